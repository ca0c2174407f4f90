"""The client overview: phase timeline with key dates, responsible worker and team with
their history (and the access that follows them), and parallel plans referenced."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.cases.rules import build_timeline, months_before
from app.i18n import helsinki_today
from app.models import Case, CaseTeamMember, Organisation, OrgKind, Phase, ResponsibleWorker, Role
from app.models.case import PhaseChange, ReleaseDatesChange
from app.models.parallel_plan import ParallelPlan, ParallelPlanKind
from consent.facts import SYSTEM_ACTOR, Purpose
from sharing.fields import field_ref
from tests import factories
from tests.conftest import csrf_token, login

NAME = "Kuvitteellinen Kalle"


def url(record, tail: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/caseworker/clients/{record.id}{tail}"


def timeline_items(page: str) -> list[str]:
    """The timeline's list items as plain text, in document order."""
    match = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert match, "no timeline on the page"
    items = re.findall(r"<li[^>]*>(.*?)</li>", match.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def sign_in(client, username: str) -> None:  # type: ignore[no-untyped-def]
    """Sign out whoever is signed in, then sign in as ``username``."""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    assert login(client, username).status_code == 302


def post(client, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/caseworker/"), **data})


# -- the timeline ------------------------------------------------------------------------


def test_timeline_shows_phases_and_key_dates_in_date_order(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, name=NAME)
    today = helsinki_today()
    case.opened_at = datetime(2024, 1, 10, 10, tzinfo=UTC)
    case.phase = Phase.NETWORK
    case.sentence_start = date(2023, 6, 1)
    case.conditional_release = today + timedelta(days=200)
    case.probation_start = today + timedelta(days=30)
    case.probation_end = today + timedelta(days=199)
    db.add_all(
        [
            PhaseChange(
                case_id=case.id,
                from_phase=Phase.NOTIFIED,
                phase=Phase.ASSESSMENT,
                changed_at=datetime(2024, 2, 1, 9, tzinfo=UTC),
                changed_by_id=worker.id,
            ),
            PhaseChange(
                case_id=case.id,
                from_phase=Phase.ASSESSMENT,
                phase=Phase.NETWORK,
                changed_at=datetime(2024, 3, 5, 9, tzinfo=UTC),
                changed_by_id=worker.id,
            ),
        ]
    )
    db.commit()
    sign_in(client, worker.username)
    items = timeline_items(client.get(url(record)).get_data(as_text=True))
    assert items == [
        "1 Jun 2023 Key date: Sentence started",
        "10 Jan 2024 Phase: Notification received",
        f"1 Feb 2024 Phase: Service-need assessment moved by {worker.display_name}",
        f"5 Mar 2024 Phase: Assembling the support network (current phase) "
        f"moved by {worker.display_name}",
        items[4],  # today, in the user's date format
        items[5],
        items[6],
        items[7],
        "Not reached Phase: Release transition",
        "Not reached Phase: Plan and follow-up",
        "Not reached Phase: Ending services",
        "Not reached Phase: Closed",
    ]
    assert items[4].endswith("Today")
    assert items[5].endswith("Key date: Supervised probationary liberty starts")
    assert items[6].endswith("Key date: Supervised probationary liberty ends")
    assert items[7].endswith("Key date: Expected conditional release")


def test_a_case_without_phase_history_shows_its_phase_from_the_day_it_opened(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, name=NAME)
    case.opened_at = datetime(2024, 4, 2, 8, tzinfo=UTC)
    db.commit()
    sign_in(client, worker.username)
    page = client.get(url(record)).get_data(as_text=True)
    assert timeline_items(page)[0] == "2 Apr 2024 Phase: Service-need assessment (current phase)"
    assert '<li class="timeline-phase timeline-current" aria-current="step">' in page
    assert '<time datetime="2024-04-02">' in page


def test_phase_change_is_attributed_timestamped_and_validated(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, name=NAME)
    db.commit()
    sign_in(client, worker.username)

    for bad in ("closed", "assessment", "nonsense", ""):  # closing, current, unknown, none
        refused = post(client, url(record, "/phase"), {"phase-phase": bad})
        assert refused.status_code == 400, bad
        assert "Nothing was saved" in refused.get_data(as_text=True)
    assert db.scalars(select(PhaseChange)).all() == []

    moved = post(client, url(record, "/phase"), {"phase-phase": "network"})
    assert moved.status_code == 302
    change = db.scalars(select(PhaseChange)).one()
    assert (change.from_phase, change.phase, change.changed_by_id) == (
        Phase.ASSESSMENT,
        Phase.NETWORK,
        worker.id,
    )
    assert datetime.now(UTC) - change.changed_at < timedelta(minutes=1)
    case = db.get(Case, case.id)
    assert case.phase is Phase.NETWORK
    items = timeline_items(client.get(url(record)).get_data(as_text=True))
    assert items[0].endswith("Phase: Service-need assessment")
    assert items[1].endswith(
        f"Phase: Assembling the support network (current phase) moved by {worker.display_name}"
    )


# -- key dates ---------------------------------------------------------------------------


def test_key_dates_validation_shows_a_clear_error_and_keeps_the_input(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, name=NAME)
    db.commit()
    sign_in(client, worker.username)
    release = date(2026, 8, 31)
    too_early = months_before(release, 6) - timedelta(days=1)  # 2026-02-27
    refused = post(
        client,
        url(record, "/dates"),
        {
            "dates-sentence_start": "2024-05-02",
            "dates-conditional_release": release.isoformat(),
            "dates-probation_start": too_early.isoformat(),
            "dates-probation_end": release.isoformat(),
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert (
        "Supervised probationary liberty can start at most 6 months before the conditional "
        "release, so on 28 Feb 2026 at the earliest." in page
    )
    assert 'value="2024-05-02"' in page and f'value="{too_early.isoformat()}"' in page
    assert 'aria-invalid="true"' in page
    assert "<details open>" in page
    case = db.get(Case, case.id)
    assert case.sentence_start is None and case.probation_start is None

    for data, message in [
        ({"dates-probation_start": "2026-05-01"}, "Give the expected conditional release too"),
        (
            {"dates-conditional_release": "2026-08-31", "dates-probation_end": "2026-05-01"},
            "Give the day the probationary liberty starts too.",
        ),
        (
            {"dates-sentence_start": "2026-09-01", "dates-conditional_release": "2026-08-31"},
            "The conditional release cannot be before the sentence started.",
        ),
        (
            {
                "dates-conditional_release": "2026-08-31",
                "dates-probation_start": "2026-06-01",
                "dates-probation_end": "2026-05-01",
            },
            "The probationary liberty cannot end before it starts.",
        ),
        ({"dates-conditional_release": "2026-13-45"}, "Not a valid date value."),
    ]:
        refused = post(client, url(record, "/dates"), data)
        assert refused.status_code == 400, data
        assert html.escape(message, quote=True) in refused.get_data(as_text=True), message

    saved = post(
        client,
        url(record, "/dates"),
        {
            "dates-sentence_start": "2024-05-02",
            "dates-conditional_release": release.isoformat(),
            "dates-probation_start": months_before(release, 6).isoformat(),
            "dates-probation_end": release.isoformat(),
        },
    )
    assert saved.status_code == 302
    case = db.get(Case, case.id)
    assert (case.sentence_start, case.probation_start) == (date(2024, 5, 2), date(2026, 2, 28))
    change = db.scalars(select(ReleaseDatesChange)).one()
    assert change.changed_by_id == worker.id and change.conditional_release == release
    assert "Last changed" in client.get(url(record)).get_data(as_text=True)


# -- responsible worker and team ---------------------------------------------------------


def test_changing_the_responsible_worker_keeps_history_and_moves_access(client, db) -> None:  # type: ignore[no-untyped-def]
    county, first, record, _ = factories.county_case(db, name=NAME)
    case_rw = db.scalars(select(ResponsibleWorker)).one()
    case_rw.starts_on = helsinki_today() - timedelta(days=30)
    second = factories.user(db, Role.CASEWORKER, county)
    outsider = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()

    sign_in(client, second.username)
    assert client.get(url(record)).status_code == 403  # no relationship yet
    sign_in(client, first.username)
    assert str(second.id) in client.get(url(record)).get_data(as_text=True)  # in the select
    assert str(outsider.id) not in client.get(url(record)).get_data(as_text=True)

    today = helsinki_today()
    for data, message in [
        (
            {"appoint-worker": str(outsider.id)},
            "caseworkers listed.",
        ),
        ({"appoint-worker": str(first.id)}, "caseworkers listed."),  # already appointed
        ({"appoint-starts_on": (today + timedelta(days=1)).isoformat()}, "today at the latest"),
        (
            {"appoint-starts_on": (today - timedelta(days=31)).isoformat()},
            "cannot start before the current one began",
        ),
        ({"appoint-worker": ""}, "Choose the worker."),
    ]:
        refused = post(
            client,
            url(record, "/responsible-worker"),
            {"appoint-worker": str(second.id), "appoint-starts_on": today.isoformat(), **data},
        )
        assert refused.status_code == 400, data
        assert message in refused.get_data(as_text=True), message
    assert len(db.scalars(select(ResponsibleWorker)).all()) == 1

    changed = post(
        client,
        url(record, "/responsible-worker"),
        {"appoint-worker": str(second.id), "appoint-starts_on": today.isoformat()},
    )
    assert changed.status_code == 302
    assert changed.headers["Location"] == "/caseworker/"  # the first worker's access ended
    rows = db.scalars(select(ResponsibleWorker).order_by(ResponsibleWorker.starts_on)).all()
    assert [(r.worker_id, r.ends_on) for r in rows] == [
        (first.id, today - timedelta(days=1)),
        (second.id, None),
    ]
    assert rows[1].assigned_by_id == first.id and rows[1].starts_on == today

    assert client.get(url(record)).status_code == 403  # the former worker, not in the team
    sign_in(client, second.username)
    page = client.get(url(record)).get_data(as_text=True)
    assert NAME in page
    assert "Responsible workers over time" in page and first.display_name in page


def test_team_membership_gives_and_removing_ends_access_and_keeps_history(client, db) -> None:  # type: ignore[no-untyped-def]
    county, worker, record, _ = factories.county_case(db, name=NAME)
    colleague = factories.user(db, Role.CASEWORKER, county)
    db.commit()

    sign_in(client, worker.username)
    assert post(client, url(record, "/team"), {"team-user": ""}).status_code == 400
    assert post(client, url(record, "/team"), {"team-user": str(colleague.id)}).status_code == 302
    sign_in(client, colleague.username)
    assert client.get(url(record)).status_code == 200

    member = db.scalars(select(CaseTeamMember)).one()
    assert member.added_by_id == worker.id
    sign_in(client, worker.username)
    assert post(client, url(record, f"/team/{member.id}/remove"), {}).status_code == 302
    assert post(client, url(record, f"/team/{member.id}/remove"), {}).status_code == 404
    member = db.get(CaseTeamMember, member.id)
    assert member.removed_at is not None and member.removed_by_id == worker.id
    page = client.get(url(record)).get_data(as_text=True)
    assert colleague.display_name in page  # still shown, as a former member

    sign_in(client, colleague.username)
    assert client.get(url(record)).status_code == 403

    sign_in(client, worker.username)  # added again: a new period, the old one kept
    assert post(client, url(record, "/team"), {"team-user": str(colleague.id)}).status_code == 302
    assert len(db.scalars(select(CaseTeamMember)).all()) == 2
    sign_in(client, colleague.username)
    assert client.get(url(record)).status_code == 200


# -- parallel plans ----------------------------------------------------------------------


def test_parallel_plans_are_added_listed_and_ended(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db, name=NAME)
    prison = factories.organisation(db, OrgKind.PRISON, name="Kuvitteellinen vankila (fictional)")
    db.commit()
    sign_in(client, worker.username)

    neither = post(
        client,
        url(record, "/parallel-plans"),
        {"plan-kind": "health_care_plan", "plan-reference": "HOITO-123"},
    )
    assert neither.status_code == 400
    page = neither.get_data(as_text=True)
    assert "Choose the organisation that owns the plan, or write the owner." in page
    assert 'value="HOITO-123"' in page
    both = post(
        client,
        url(record, "/parallel-plans"),
        {"plan-kind": "other", "plan-organisation": str(prison.id), "plan-owner_name": "X"},
    )
    assert both.status_code == 400
    assert post(client, url(record, "/parallel-plans"), {"plan-kind": "x"}).status_code == 400
    assert db.scalars(select(ParallelPlan)).all() == []

    assert (
        post(
            client,
            url(record, "/parallel-plans"),
            {
                "plan-kind": "sentence_plan",
                "plan-organisation": str(prison.id),
                "plan-review_on": "2026-01-15",
            },
        ).status_code
        == 302
    )
    assert (
        post(
            client,
            url(record, "/parallel-plans"),
            {
                "plan-kind": "health_care_plan",
                "plan-owner_name": "Tohtori Keksitty (fictional)",
                "plan-reference": "HOITO-123",
                "plan-made_on": "2025-01-02",
            },
        ).status_code
        == 302
    )
    plans = {p.kind: p for p in db.scalars(select(ParallelPlan))}
    health = plans[ParallelPlanKind.HEALTH_CARE_PLAN]
    assert health.organisation_id is None and health.added_by_id == worker.id
    assert b"Keksitty" not in health.owner_name_ct and b"HOITO" not in health.reference_ct

    page = client.get(url(record)).get_data(as_text=True)
    assert "Sentence plan (Rise)" in page and "Kuvitteellinen vankila (fictional)" in page
    assert "Health care plan" in page and "Tohtori Keksitty (fictional)" in page
    assert "HOITO-123" in page

    sentence = plans[ParallelPlanKind.SENTENCE_PLAN]
    assert post(client, url(record, f"/parallel-plans/{sentence.id}/end"), {}).status_code == 302
    assert post(client, url(record, f"/parallel-plans/{sentence.id}/end"), {}).status_code == 404
    sentence = db.get(ParallelPlan, sentence.id)
    assert sentence.ended_at is not None and sentence.ended_by_id == worker.id
    assert "Ended" in client.get(url(record)).get_data(as_text=True)


# -- who may use the pages ---------------------------------------------------------------


def every_page(record, case, db):  # type: ignore[no-untyped-def]
    """(method, path, data) of every overview page and action, with something to act on."""
    member = CaseTeamMember(
        case_id=case.id, user_id=db.scalars(select(ResponsibleWorker)).one().worker_id
    )
    db.add(member)
    org = db.scalars(select(Organisation)).first()
    plan = ParallelPlan(
        case_id=case.id, client_id=record.id, kind=ParallelPlanKind.OTHER, organisation_id=org.id
    )
    db.add(plan)
    db.commit()
    return [
        ("get", url(record), {}),
        ("post", url(record, "/phase"), {"phase-phase": "network"}),
        ("post", url(record, "/dates"), {"dates-conditional_release": "2026-01-01"}),
        ("post", url(record, "/responsible-worker"), {"appoint-worker": ""}),
        ("post", url(record, "/team"), {"team-user": ""}),
        ("post", url(record, f"/team/{member.id}/remove"), {}),
        ("post", url(record, "/parallel-plans"), {"plan-kind": "other"}),
        ("post", url(record, f"/parallel-plans/{plan.id}/end"), {}),
        ("get", url(record, "/contacts"), {}),
        ("post", url(record, "/contacts"), {"channel": "phone"}),
    ]


def request(client, method: str, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.get(path) if method == "get" else post(client, path, data)


def test_another_countys_worker_gets_404_on_every_page(client, db) -> None:  # type: ignore[no-untyped-def]
    _, _, record, case = factories.county_case(db, name=NAME)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    pages = every_page(record, case, db)
    sign_in(client, stranger.username)
    for method, path, data in pages:
        response = request(client, method, path, data)
        assert response.status_code == 404, path
        assert NAME not in response.get_data(as_text=True)
    assert db.scalars(select(PhaseChange)).all() == []


def test_a_colleague_without_relationship_gets_the_work_task_page_everywhere(client, db) -> None:  # type: ignore[no-untyped-def]
    county, _, record, case = factories.county_case(db, name=NAME)
    colleague = factories.user(db, Role.CASEWORKER, county)
    pages = every_page(record, case, db)
    sign_in(client, colleague.username)
    for method, path, data in pages:
        response = request(client, method, path, data)
        assert response.status_code == 403, path
        assert "Reason needed" in response.get_data(as_text=True), path
    assert db.scalars(select(PhaseChange)).all() == []
    assert db.scalars(select(CaseTeamMember)).one().removed_at is None


# -- performance -------------------------------------------------------------------------


def test_overview_runs_a_fixed_number_of_queries(client, db, sql_count) -> None:  # type: ignore[no-untyped-def]
    county, worker, record, case = factories.county_case(db, name=NAME)
    org = factories.organisation(db, OrgKind.NGO)

    def add_history(n: int) -> None:
        colleague = factories.user(db, Role.CASEWORKER, county)
        db.add(CaseTeamMember(case_id=case.id, user_id=colleague.id, added_by_id=worker.id))
        day = date(2020, 1, 1) + timedelta(days=n)
        factories.responsible_worker(
            db, case, colleague, starts_on=day, ends_on=day, assigned_by=worker
        )
        db.add(
            PhaseChange(
                case_id=case.id,
                from_phase=Phase.NOTIFIED,
                phase=Phase.ASSESSMENT,
                changed_by_id=colleague.id,
            )
        )
        plan = ParallelPlan(
            case_id=case.id,
            client_id=record.id,
            kind=ParallelPlanKind.OTHER,
            organisation_id=org.id if n % 2 else None,
            added_by_id=worker.id,
        )
        if n % 2 == 0:
            plan.owner_name_ct = factories.system_gate(db).write_text(
                SYSTEM_ACTOR,
                field_ref(plan, ParallelPlan.owner_name_ct),
                f"Omistaja {n}",
                purpose=Purpose.ADMINISTRATION,
            )
        db.add(plan)

    def queries() -> int:
        sql_count.clear()
        page = client.get(url(record)).get_data(as_text=True)
        assert NAME in page
        return len(sql_count)

    add_history(0)
    db.commit()
    sign_in(client, worker.username)
    with_one = queries()
    for n in range(1, 15):
        add_history(n)
    db.commit()
    assert queries() == with_one


def test_a_phase_set_without_a_recorded_change_is_shown_without_a_date() -> None:
    case = Case(phase=Phase.RELEASE, opened_at=datetime(2024, 1, 10, 10, tzinfo=UTC))
    change = PhaseChange(
        from_phase=Phase.NOTIFIED,
        phase=Phase.ASSESSMENT,
        changed_at=datetime(2024, 2, 1, tzinfo=UTC),
    )
    entries = build_timeline(case, [change], date(2024, 6, 1))
    phases = [(e.phase, e.on, e.current, e.recorded) for e in entries if e.phase and not e.upcoming]
    assert phases == [
        (Phase.NOTIFIED, date(2024, 1, 10), False, True),
        (Phase.ASSESSMENT, date(2024, 2, 1), False, True),
        (Phase.RELEASE, None, True, False),
    ]
    assert [e.phase for e in entries if e.upcoming] == [
        Phase.FOLLOW_UP,
        Phase.ENDING,
        Phase.CLOSED,
    ]
    assert entries[-4].milestone == "today"
