"""Follow-up: reviews recorded with participants and notes move the plan's review date."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from app.dashboard import queries as dashboard
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    ClientPlan,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSection,
    Role,
    User,
)
from app.models.review import GoalProgress, PlanReview, ReviewGoal, ReviewParticipant
from app.reviews.commands import GoalAssessment, ReviewFacts, ReviewRefused, record_review
from app.reviews.rules import ReviewProblem
from app.security import new_gate
from consent.facts import SYSTEM_ACTOR, Purpose
from consent.sections import SectionKind
from sharing.fields import field_ref
from tests import factories
from tests.conftest import csrf_token, login

TODAY = helsinki_today()


@dataclass
class Setting:
    county: Organisation
    worker: User
    record: Client
    case: Case
    kela: NetworkMember
    sister: NetworkMember
    url: str = ""
    username: str = ""
    ids: dict[str, uuid.UUID] = dataclass_field(default_factory=dict)

    def __post_init__(self) -> None:
        # Requests close the session: keep what the tests need as plain values.
        self.url = f"/caseworker/clients/{self.record.id}/reviews"
        self.username = self.worker.username
        self.ids = {
            "worker": self.worker.id,
            "county": self.county.id,
            "case": self.case.id,
            "client": self.record.id,
            "kela": self.kela.id,
            "sister": self.sister.id,
        }


def member(db: Session, case: Case, org: Organisation | None = None) -> NetworkMember:
    """In the network for two months; without an organisation, the client's sister."""
    return factories.member(
        db, case, org, person_name="Kuvitteellinen Sisar", starts_on=TODAY - timedelta(days=60)
    )


@pytest.fixture
def setting(db: Session) -> Setting:
    county, worker, record, case = factories.county_case(db, name="Kuvitteellinen Urho")
    kela = member(db, case, factories.organisation(db, OrgKind.PUBLIC_SERVICE))
    sister = member(db, case)
    db.commit()
    return Setting(county, worker, record, case, kela, sister)


def record(client: FlaskClient, setting: Setting, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        setting.url,
        data={
            "csrf_token": csrf_token(client, "/caseworker/"),
            **{f"review-{k}": v for k, v in data.items()},
        },
    )


def plan_of(db: Session, setting: Setting) -> ClientPlan | None:
    db.expire_all()
    return db.scalar(select(ClientPlan).where(ClientPlan.case_id == setting.ids["case"]))


def reminders(db: Session, setting: Setting) -> int:
    return dashboard.counts(db, setting.ids["worker"], setting.ids["county"], TODAY).reviews_due


def test_recording_a_review_creates_the_plan_and_sets_its_review_date(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    assert plan_of(db, setting) is None
    login(client, setting.username)
    page = client.get(setting.url).get_data(as_text=True)
    assert "No review date" in page and "No reviews recorded yet." in page
    assert "<legend>Who took part</legend>" in page
    assert "Kuvitteellinen Sisar (Close person)" in page  # a person member, decrypted

    notes = "Asuminen sujuu, työkokeilu alkaa (fictional)"
    others = "Työhönvalmentaja (fictional)"
    next_on = TODAY + timedelta(days=90)
    sent = client.post(
        setting.url,
        data=MultiDict(
            [
                ("csrf_token", csrf_token(client, "/caseworker/")),
                ("review-held_on", TODAY.isoformat()),
                ("review-client_took_part", "y"),
                ("review-members", str(setting.ids["kela"])),
                ("review-members", str(setting.ids["sister"])),
                ("review-other_participants", others),
                ("review-notes", notes),
                ("review-next_review_on", next_on.isoformat()),
            ]
        ),
    )
    assert sent.status_code == 302
    plan = plan_of(db, setting)
    assert plan is not None and plan.review_on == next_on
    assert db.scalars(select(PlanSection).where(PlanSection.plan_id == plan.id)).all() == []
    review = db.scalars(select(PlanReview)).one()
    assert review.held_on == TODAY and review.client_took_part
    assert review.recorded_by_id == setting.ids["worker"] and review.recorded_at is not None
    assert review.notes_ct and notes.encode() not in review.notes_ct
    assert review.other_participants_ct and others.encode() not in review.other_participants_ct
    participants = db.scalars(select(ReviewParticipant.member_id)).all()
    assert set(participants) == {setting.ids["kela"], setting.ids["sister"]}

    page = client.get(setting.url).get_data(as_text=True)
    assert notes in page and others in page and "Kuvitteellinen Sisar" in page
    assert "Scheduled" in page and "Review recorded." in page


def test_the_review_date_drives_the_reminder_and_a_review_clears_it(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    factories.client_plan(db, setting.case, review_on=TODAY - timedelta(3))
    db.commit()
    assert reminders(db, setting) == 1
    login(client, setting.username)
    assert "Overdue" in client.get(setting.url).get_data(as_text=True)

    sent = record(
        client,
        setting,
        held_on=TODAY.isoformat(),
        notes="Tarkistettu (fictional)",
        next_review_on=(TODAY + timedelta(days=60)).isoformat(),
    )
    assert sent.status_code == 302
    assert plan_of(db, setting).review_on == TODAY + timedelta(days=60)  # type: ignore[union-attr]
    assert reminders(db, setting) == 0

    # The next review comes within two weeks: the reminder is back.
    record(
        client,
        setting,
        held_on=TODAY.isoformat(),
        next_review_on=(TODAY + timedelta(days=14)).isoformat(),
    )
    assert reminders(db, setting) == 1
    # No further review agreed: the date is cleared, and so is the reminder.
    record(client, setting, held_on=TODAY.isoformat())
    assert plan_of(db, setting).review_on is None  # type: ignore[union-attr]
    assert reminders(db, setting) == 0


def test_a_review_of_an_earlier_meeting_does_not_move_the_date(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    login(client, setting.username)
    later = TODAY + timedelta(days=45)
    record(client, setting, held_on=TODAY.isoformat(), next_review_on=later.isoformat())
    earlier = record(
        client,
        setting,
        held_on=(TODAY - timedelta(days=30)).isoformat(),
        next_review_on=(TODAY + timedelta(days=5)).isoformat(),
    )
    assert earlier.status_code == 302
    assert plan_of(db, setting).review_on == later  # type: ignore[union-attr]
    assert len(db.scalars(select(PlanReview)).all()) == 2


@pytest.mark.parametrize(
    ("data", "field_name", "message"),
    [
        ({"held_on": ""}, "held_on", "Give the date the review was held."),
        (
            {"held_on": (TODAY + timedelta(days=1)).isoformat()},
            "held_on",
            "Record a review once it has been held",
        ),
        (
            {"held_on": TODAY.isoformat(), "next_review_on": TODAY.isoformat()},
            "next_review_on",
            "The next review must be after this one",
        ),
        (
            {
                "held_on": (TODAY - timedelta(days=40)).isoformat(),
                "next_review_on": (TODAY - timedelta(days=1)).isoformat(),
            },
            "next_review_on",
            "The next review must be after this one",
        ),
        ({"held_on": "2025-02-30"}, "held_on", "Not a valid date value."),
    ],
)
def test_invalid_reviews_are_refused_keeping_the_input(
    client: FlaskClient,
    db: Session,
    setting: Setting,
    data: dict[str, str],
    field_name: str,
    message: str,
) -> None:
    login(client, setting.username)
    notes = "Kirjoitettu muistiinpano (fictional)"
    refused = record(client, setting, notes=notes, **data)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert message in page and notes in page
    assert f'id="review-{field_name}" aria-describedby' in page or "aria-invalid" in page
    assert db.scalars(select(PlanReview)).all() == []
    assert plan_of(db, setting) is None


def test_a_member_of_another_network_cannot_be_a_participant(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    _, other_case = factories.client(db, setting.county, worker=setting.worker)
    stranger = member(db, other_case)
    stranger_id = str(stranger.id)
    db.commit()
    login(client, setting.username)
    refused = record(client, setting, held_on=TODAY.isoformat(), members=stranger_id)
    assert refused.status_code == 400
    assert "Choose members of the client&#39;s network." in refused.get_data(as_text=True)
    assert db.scalars(select(PlanReview)).all() == []


def test_the_reviews_page_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, setting: Setting, sql_count: list[str]
) -> None:
    gate = new_gate()

    def add_reviews(count: int) -> None:
        for n in range(count):
            review = PlanReview(
                case_id=setting.ids["case"],
                client_id=setting.ids["client"],
                held_on=date(2025, 1, 1) + timedelta(days=n),
                recorded_by_id=setting.ids["worker"],
            )
            review.notes_ct = gate.write_text(
                SYSTEM_ACTOR,
                field_ref(review, PlanReview.notes_ct),
                f"M {n}",
                purpose=Purpose.ADMINISTRATION,
            )
            db.add(review)
            db.add(ReviewParticipant(review_id=review.id, member_id=setting.ids["sister"]))
            db.add(ReviewParticipant(review_id=review.id, member_id=setting.ids["kela"]))
        db.commit()

    add_reviews(1)
    login(client, setting.username)

    def queries() -> int:
        sql_count.clear()
        assert client.get(setting.url).status_code == 200
        return len(sql_count)

    few = queries()
    add_reviews(15)
    assert queries() == few


def test_a_closed_case_is_read_only(client: FlaskClient, db: Session, setting: Setting) -> None:
    from consent.base import utcnow

    db.get(Case, setting.ids["case"]).closed_at = utcnow()  # type: ignore[union-attr]
    db.commit()
    login(client, setting.username)
    page = client.get(setting.url)
    assert page.status_code == 200 and "Record the review" not in page.get_data(as_text=True)
    assert record(client, setting, held_on=TODAY.isoformat()).status_code == 409
    assert db.scalars(select(PlanReview)).all() == []


# -- each plan goal assessed, with the client's view --------------------------------------------

HOUSING_GOAL = "Oma vuokra-asunto ennen kevättä (fictional)"
WORK_GOAL = "Työkokeilu alkaa (fictional)"
CLIENT_VIEW = "Asuntoa on haettu kahdesti, odotan vastausta (fictional)"


def write_goals(db: Session, setting: Setting) -> None:
    from app.plan.content import SectionContent

    actor = factories.CountyCase(setting.county, setting.worker, setting.record, setting.case).actor
    for kind, goals in (
        (SectionKind.HOUSING, HOUSING_GOAL),
        (SectionKind.EDUCATION_WORK, WORK_GOAL),
    ):
        factories.plan_section(db, actor, setting.case, kind, SectionContent(goals=goals))
    db.commit()


def test_a_review_assesses_each_goal_with_the_clients_view(
    app: Flask, client: FlaskClient, db: Session, setting: Setting
) -> None:
    write_goals(db, setting)
    client_user = factories.user(db, Role.CLIENT, client=setting.record)
    client_username = client_user.username
    db.commit()
    login(client, setting.username)
    form = unescape(client.get(setting.url).get_data(as_text=True))
    assert "<legend>The plan's goals</legend>" in form
    assert "<legend>Housing</legend>" in form and HOUSING_GOAL in form
    assert "<legend>Education and work</legend>" in form and WORK_GOAL in form
    for label in ("Achieved", "In progress", "Not started", "The goal was changed"):
        assert label in form

    sent = client.post(
        setting.url,
        data={
            "csrf_token": csrf_token(client, "/caseworker/"),
            "review-held_on": TODAY.isoformat(),
            "review-goals-0-section": "housing",
            "review-goals-0-progress": "in_progress",
            "review-goals-0-client_view": CLIENT_VIEW,
            "review-goals-1-section": "education_work",
            "review-goals-1-progress": "",  # not assessed: nothing stored
            "review-goals-1-client_view": "",
        },
    )
    assert sent.status_code == 302
    [goal] = db.scalars(select(ReviewGoal)).all()
    assert (goal.section_kind, goal.progress, goal.section_version) == (
        SectionKind.HOUSING,
        GoalProgress.IN_PROGRESS,
        1,
    )
    assert goal.client_view_ct and CLIENT_VIEW.encode() not in goal.client_view_ct
    listed = unescape(client.get(setting.url).get_data(as_text=True))
    assert "<strong>Housing</strong>: In progress" in listed and CLIENT_VIEW in listed

    # The client reads it on their own plan page, addressed as "you".
    own = app.test_client()
    own.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(own, client_username)
    mine = unescape(own.get("/my/plan").get_data(as_text=True))
    latest = mine.split('class="latest-review"', 1)[1].split("</section>", 1)[0]
    assert f"the review on {TODAY.day} {TODAY:%b %Y}" in latest
    assert "<strong>Housing</strong>: In progress" in latest
    assert f'Your view: <span class="pre">{CLIENT_VIEW}</span>' in latest
    assert "Education and work" not in latest  # not assessed at this review


def test_a_goal_that_is_not_in_the_plan_is_refused(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    write_goals(db, setting)
    login(client, setting.username)
    sent = client.post(
        setting.url,
        data={
            "csrf_token": csrf_token(client, "/caseworker/"),
            "review-held_on": TODAY.isoformat(),
            "review-goals-0-section": "health",  # no Health section is written
            "review-goals-0-progress": "achieved",
        },
    )
    assert sent.status_code == 400
    assert "Assess only the goals written in the client's plan." in unescape(
        sent.get_data(as_text=True)
    )
    assert db.scalars(select(PlanReview)).all() == []


@pytest.mark.parametrize(
    "goals",
    [
        (GoalAssessment(SectionKind.HEALTH, GoalProgress.ACHIEVED),),  # not written
        (  # the same goal twice
            GoalAssessment(SectionKind.HOUSING, GoalProgress.ACHIEVED),
            GoalAssessment(SectionKind.HOUSING, GoalProgress.CHANGED),
        ),
    ],
)
def test_the_command_refuses_goals_outside_the_plan_or_twice(
    db: Session, setting: Setting, goals: tuple[GoalAssessment, ...]
) -> None:
    write_goals(db, setting)
    actor = factories.CountyCase(setting.county, setting.worker, setting.record, setting.case).actor
    facts = ReviewFacts(TODAY, True, frozenset(), None, None, None, goals)
    with pytest.raises(ReviewRefused) as refused:
        record_review(db(), new_gate(), actor, setting.case, facts, today=TODAY)
    assert refused.value.errors == {"goals": ReviewProblem.NOT_A_GOAL}
