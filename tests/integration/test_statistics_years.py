"""A year's report counts the facts of its own Finnish calendar year, and reads from the
years around it only what its definitions need (a notification before an assessment, the
review before a review, a task done before a release)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import Case, Organisation, OrgKind, Role, User
from app.models.assessment import Assessment
from app.models.ending import CaseClosure, ClosureFactor
from app.models.intake import Channel, Notification, NotificationPath, NotifierKind
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.models.review import GoalProgress, PlanReview, ReviewGoal
from app.statistics.disclosure import CountTable, quartiles
from app.statistics.queries import report
from consent.sections import SectionKind
from tests import factories

NAME = "Kuvitteellinen Vuosiasiakas"


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, 30, tzinfo=UTC)


def new_case(db: Session, county: Organisation) -> Case:
    return factories.client(db, county, name=NAME)[1]


def notified(db: Session, county: Organisation, by: User, received: datetime) -> Case:
    case = new_case(db, county)
    db.add(
        Notification(
            county_id=county.id,
            client_id=case.client_id,
            case_id=case.id,
            received_at=received,
            contacted_on=received.date(),
            notifier_kind=NotifierKind.PRISON_STAFF,
            channel=Channel.PHONE,
            need_ct=b"",
            path=NotificationPath.CONSENT,
            recorded_by_id=by.id,
        )
    )
    return case


def closed(db: Session, county: Organisation, at: datetime) -> None:
    case = new_case(db, county)
    case.closed_at = at
    closure = CaseClosure(case_id=case.id, client_id=case.client_id, closed_at=at, summary_ct=b"")
    db.add(closure)
    db.flush()
    db.add(ClosureFactor(closure_id=closure.id, client_id=case.client_id, code="housing"))


def reviewed(db: Session, county: Organisation, *held: tuple[date, date | None]) -> PlanReview:
    case = new_case(db, county)
    reviews = [
        PlanReview(case_id=case.id, client_id=case.client_id, held_on=on, next_review_on=next_on)
        for on, next_on in held
    ]
    db.add_all(reviews)
    db.flush()
    return reviews[-1]


def goal(db: Session, review: PlanReview) -> None:
    db.add(
        ReviewGoal(
            review_id=review.id,
            client_id=review.client_id,
            section_kind=SectionKind.HOUSING,
            section_version=1,
            position=0,
            progress=GoalProgress.ACHIEVED,
        )
    )


def test_a_year_counts_its_own_days_and_reads_earlier_facts_its_definitions_need(
    db: Session,
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    worker = factories.user(db, Role.CASEWORKER, county)
    y = helsinki_today().year - 1
    # Closings around Helsinki's midnights (UTC+2 in winter, +3 from the end of March):
    # 31 Dec 23:30 is the old year, 00:30 the new one.
    for at in (
        utc(y - 1, 12, 31, 21),  # 23:30 on the year before: not counted
        utc(y - 1, 12, 31, 22),  # 00:30 on 1 January: Q1
        utc(y, 3, 31, 20),  # 23:30 on 31 March: Q1
        utc(y, 3, 31, 21),  # 00:30 on 1 April: Q2
        utc(y, 12, 31, 21),  # 23:30 on 31 December: Q4
        utc(y, 12, 31, 22),  # 00:30 on 1 January of the next year: not counted
    ):
        closed(db, county, at)
    # Notified in December of the year before, assessed in January: the duration counts
    # in the year, the notification does not.
    for received, started in (
        (utc(y - 1, 12, 1, 10), date(y, 1, 10)),
        (utc(y - 1, 12, 11, 10), date(y, 1, 10)),
        (utc(y - 1, 12, 21, 10), date(y, 1, 10)),
        (utc(y - 1, 12, 1, 10), date(y - 1, 12, 20)),  # both the year before
        (utc(y, 12, 31, 22), date(y + 1, 1, 5)),  # both the year after (Helsinki time)
    ):
        case = notified(db, county, worker, received)
        db.add(Assessment(case_id=case.id, client_id=case.client_id, started_on=started))
    notified(db, county, worker, utc(y - 1, 12, 31, 22))  # 1 January, Helsinki: Q1
    # Released on 1 January with housing done in December: counts in the year; released
    # on 31 December of the year before: does not.
    for release_day in (date(y, 1, 1), date(y - 1, 12, 31)):
        case = new_case(db, county)
        case.probation_start = release_day
        db.add(
            ChecklistItem(
                case_id=case.id,
                client_id=case.client_id,
                task=ReleaseTask.HOUSING_APPLICATION,
                state=ItemState.DONE,
                state_changed_at=utc(y - 1, 12, 20, 10),
            )
        )
    # A review agreed in the year before decides whether January's was on time.
    goal(db, reviewed(db, county, (date(y - 1, 11, 1), date(y, 1, 10)), (date(y, 1, 9), None)))
    reviewed(db, county, (date(y - 1, 12, 1), date(y, 1, 5)), (date(y, 1, 20), None))
    goal(db, reviewed(db, county, (date(y - 1, 6, 1), None)))  # the year before only
    reviewed(db, county, (date(y, 12, 1), date(y + 1, 1, 1)), (date(y + 1, 1, 20), None))
    db.flush()

    raw: dict[str, CountTable] = {}
    data = report(db, county.id, y, helsinki_today(), 1, raw=raw)

    def q(n: int) -> str:
        return f"{y}-Q{n}"

    assert dict(raw["funnel"].counts) == {
        ("notified", q(1)): 1,
        ("assessed", q(1)): 3,
        ("released", q(1)): 1,
        ("reviewed", q(1)): 2,
        ("reviewed", q(4)): 1,
        ("closed", q(1)): 2,
        ("closed", q(2)): 1,
        ("closed", q(4)): 1,
    }
    assert dict(raw["endings"].counts) == {
        ("closed_cases", q(1)): 2,
        ("closed_cases", q(2)): 1,
        ("closed_cases", q(4)): 1,
    }
    assert dict(raw["factors_closing"].counts) == {
        ("housing", q(1)): 2,
        ("housing", q(2)): 1,
        ("housing", q(4)): 1,
    }
    assert dict(raw["release"].counts) == {("housing", q(1)): 1}
    assert dict(raw["reviews"].counts) == {
        ("reviews_on_time", q(1)): 1,
        ("reviews_late", q(1)): 1,
        ("goals_achieved", q(1)): 1,
    }
    to_assessment = data.spreads[0].by_column
    assert to_assessment[q(1)] == to_assessment["year"] == quartiles([20, 30, 40], 1)
    assert to_assessment[q(2)] is None
