"""Who could see what as of a moment: the network, the county's staff and the key seals
rebuilt from history, and the log around the moment checked against them; marking a flag
reviewed through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.cases.commands import add_team_member, appoint, remove_team_member
from app.cases.facts import load_case_contexts
from app.consents.commands import end_membership, revoke_consent
from app.i18n import helsinki_today
from app.log_review.queries import AsOf, Window, as_of
from app.log_review.rules import SealFinding, StaffTie, Verdict
from app.models import Organisation, Role, User
from app.models.plan import PlanSectionVersion
from app.security import current_keyring, new_gate
from consent.base import utcnow
from consent.decision import Reason, decide
from consent.facts import AccessRequest, Action, Actor, ActorRole, Purpose
from consent.models import Consent
from consent.sections import DataScope, SectionKind, scope_key
from consent.status import HELSINKI, helsinki_day
from sharing import access_log
from sharing.access_log import AccessAction, AccessLogEntry, LogRecord
from sharing.errors import AccessDenied
from sharing.fields import sealed
from sharing.models import DataKey, KeySeal, SealRecord
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.integration.test_portal_consents import PURPOSE, World, grant, make_world, text_of

HOUSING = scope_key(SectionKind.HOUSING)
HEALTH = scope_key(SectionKind.HEALTH)


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


@dataclass
class Story:
    """Two moments of one client: ``before`` with the first worker, a colleague in the
    team, the housing office and the support association reading on consent; ``after``,
    with the consent revoked, the association's membership ended, the colleague out of the
    team and the case reassigned to a successor."""

    before: datetime
    after: datetime
    colleague: User
    successor: User


def _county(db: Session, w: World) -> Organisation:
    county = db.get(Organisation, w.worker.organisation_id)
    assert county is not None
    return county


def _staff_actor(user: User) -> Actor:
    return Actor(ActorRole.CASEWORKER, user_id=user.id, organisation_id=user.organisation_id)


def _reads_housing(w: World, actor: Actor) -> None:
    version = w.versions[SectionKind.HOUSING]
    new_gate().read_texts(
        actor, [sealed(version, PlanSectionVersion.content_ct)], purpose=Purpose.CASE_WORK
    )


def _grant_both(db: Session, w: World) -> Consent:
    """The housing office on consent to housing; the association (its confidentiality
    commitment recorded) to health."""
    w.ngo.confidentiality_committed_on = helsinki_today()
    housing = grant(db, w, w.housing, SectionKind.HOUSING)
    grant(db, w, w.ngo, SectionKind.HEALTH)
    return housing


def tell(db: Session, w: World) -> Story:
    county = _county(db, w)
    housing_consent = _grant_both(db, w)
    colleague = factories.user(db, Role.CASEWORKER, county)
    team = add_team_member(db, w.case, colleague, w.worker.id)
    successor = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    _reads_housing(w, _staff_actor(colleague))
    db.commit()
    before = utcnow()
    revoke_consent(db, new_gate(), w.worker_actor, housing_consent, receipt=None)
    end_membership(db, new_gate(), w.ngo, by_user_id=w.worker.id)
    remove_team_member(db, w.case, team.id, w.worker.id)
    appoint(db, w.case, successor, helsinki_day(utcnow()), w.worker.id, helsinki_day(utcnow()))
    db.commit()
    # The former worker tries again: the gate refuses, and the refusal is logged.
    with pytest.raises(AccessDenied):
        _reads_housing(w, w.worker_actor)
    _reads_housing(w, _staff_actor(successor))
    db.commit()
    return Story(before, utcnow(), colleague, successor)


def _view(db: Session, w: World, at: datetime, window: Window = Window.DAY) -> AsOf:
    return as_of(db, w.client.id, at, current_keyring(), window)


def _findings(view: AsOf) -> dict[tuple[uuid.UUID, str], SealFinding]:
    return {(c.member_id, c.scope): c.finding for c in view.seals}


def test_two_moments_rebuilt_network_staff_and_seals_from_history(
    db: Session, world: World
) -> None:
    w = world
    story = tell(db, w)
    before, after = _view(db, w, story.before), _view(db, w, story.after)

    # The network: both on consent before; neither after (revoked; membership ended).
    shared = {m.access.member_id: m.access.sections for m in before.members}
    assert shared == {w.housing.id: [SectionKind.HOUSING], w.ngo.id: [SectionKind.HEALTH]}
    assert [m.access.member_id for m in after.members] == []

    # The county's staff: the first worker and the colleague before; the successor after.
    staff_before = {s.access.user_id: s.access.ties for s in before.staff}
    assert staff_before == {
        w.worker.id: (StaffTie.RESPONSIBLE_WORKER,),
        story.colleague.id: (StaffTie.TEAM,),
    }
    assert {s.access.user_id: s.access.ties for s in after.staff} == {
        story.successor.id: (StaffTie.RESPONSIBLE_WORKER,)
    }
    # ... which is what the decision over today's facts says now, worker by worker.
    facts = load_case_contexts(db, [w.client.id])[w.client.id]
    for user in (w.worker, story.colleague, story.successor):
        request = AccessRequest(
            _staff_actor(user), w.client.id, Action.READ, Purpose.CASE_WORK, story.after
        )
        listed = any(s.access.user_id == user.id for s in after.staff)
        assert decide(request, facts).allowed == listed, user.username

    # The seals: each grant of the earlier moment had its seals then, though they are gone
    # now (their records tell); nothing is wrong at either moment.
    found = _findings(before)
    assert found[(w.housing.id, HOUSING)] is SealFinding.SEALED
    assert found[(w.ngo.id, HEALTH)] is SealFinding.SEALED
    assert found[(w.housing.id, scope_key(DataScope.NAME))] is SealFinding.SEALED
    assert not db.scalars(select(KeySeal).where(KeySeal.client_id == w.client.id)).all()
    assert before.discrepancies == 0 and after.discrepancies == 0
    assert after.seals == []

    # The log: the colleague's read before, the former worker's refusal and the
    # successor's read after, each checked by the decision at its own instant.
    by_user = {
        (c.entry.actor_user_id, c.entry.allowed): c.verdict
        for c in after.entries
        if c.entry.actor_role == "caseworker" and c.entry.scope == HOUSING
    }
    assert by_user[(story.colleague.id, True)] is Verdict.CONSISTENT
    assert by_user[(w.worker.id, False)] is Verdict.CONSISTENT
    assert by_user[(story.successor.id, True)] is Verdict.CONSISTENT


def test_a_read_the_reconstruction_did_not_allow_is_a_discrepancy(
    db: Session, world: World
) -> None:
    """An allowed read entered for the former worker after the reassignment (a defect, or a
    forged entry) stands out; so does one for the colleague out of the team."""
    w = world
    story = tell(db, w)
    at = utcnow()
    access_log.append(
        db,
        [
            LogRecord(
                client_id=w.client.id,
                at=at,
                actor_user_id=w.worker.id,
                actor_role="caseworker",
                organisation_id=w.worker.organisation_id,
                action=AccessAction.READ,
                allowed=True,
                reason=Reason.ALLOWED_CASE_RELATIONSHIP.value,
                scope=HOUSING,
                purpose=Purpose.CASE_WORK.value,
            )
        ],
    )
    db.commit()
    view = _view(db, w, at, Window.HOUR)
    flagged = [c.entry.actor_user_id for c in view.entries if c.verdict is Verdict.INCONSISTENT]
    assert flagged == [w.worker.id]
    assert view.discrepancies == 1
    assert story.successor.id in {s.access.user_id for s in view.staff}


def test_a_removed_or_altered_seal_fails_the_check(db: Session, world: World) -> None:
    w = world
    _grant_both(db, w)
    db.commit()
    intact = _view(db, w, utcnow())
    assert intact.discrepancies == 0
    assert _findings(intact)[(w.housing.id, HOUSING)] is SealFinding.SEALED

    # Removed outside the service: the record still says it is there.
    housing_seal = db.scalars(
        select(KeySeal).where(KeySeal.member_id == w.housing.id).order_by(KeySeal.id)
    ).first()
    assert housing_seal is not None
    db.execute(delete(KeySeal).where(KeySeal.id == housing_seal.id))
    # Altered outside the service: its bytes no longer open to the key it names.
    health_seal = db.scalars(select(KeySeal).where(KeySeal.member_id == w.ngo.id)).first()
    assert health_seal is not None
    db.execute(
        update(KeySeal)
        .where(KeySeal.id == health_seal.id)
        .values(sealed=bytes(b ^ 1 for b in health_seal.sealed))
    )
    db.commit()
    checked = _view(db, w, utcnow())
    bad = {(c.finding, c.member_id) for c in checked.seal_discrepancies}
    assert (SealFinding.GONE, w.housing.id) in bad
    assert (SealFinding.ALTERED, w.ngo.id) in bad
    assert checked.discrepancies == len(checked.seal_discrepancies) >= 2

    # A seal the service never made: no record tells of it.
    db.execute(delete(SealRecord).where(SealRecord.seal_id == health_seal.id))
    db.commit()
    unrecorded = _view(db, w, utcnow())
    assert (SealFinding.UNRECORDED, w.ngo.id) in {
        (c.finding, c.member_id) for c in unrecorded.seal_discrepancies
    }

    # A wrapped data key altered: the check still answers, and names the seals of that key.
    intact = db.scalars(
        select(KeySeal).where(
            KeySeal.client_id == w.client.id,
            KeySeal.id != health_seal.id,
        )
    ).first()
    assert intact is not None
    key = db.get(DataKey, intact.data_key_id)
    assert key is not None and key.wrapped is not None
    db.execute(
        update(DataKey)
        .where(DataKey.id == key.id)
        .values(wrapped=bytes(b ^ 1 for b in key.wrapped))
    )
    db.commit()
    shredded = _view(db, w, utcnow())
    assert (SealFinding.ALTERED, intact.member_id, key.scope) in {
        (c.finding, c.member_id, c.scope) for c in shredded.seal_discrepancies
    }


def _review_entries(db: Session, client_id: uuid.UUID) -> int:
    return len(
        db.scalars(
            select(AccessLogEntry.id).where(
                AccessLogEntry.client_id == client_id,
                AccessLogEntry.reason == Reason.ALLOWED_LOG_REVIEW.value,
            )
        ).all()
    )


def test_the_page_the_api_and_the_clients_view_show_the_same_and_reading_is_logged(
    client: FlaskClient, db: Session, world: World
) -> None:
    w = world
    story = tell(db, w)
    seal = db.scalars(select(KeySeal).where(KeySeal.client_id == w.client.id)).first()
    assert seal is None  # every basis ended: remove a record's seal by hand instead
    factories.consent(
        db,
        _staff_actor(story.successor),
        w.case,
        w.housing,
        SectionKind.HOUSING,
        purpose_text=PURPOSE,
    )
    db.commit()
    gone = db.scalars(select(KeySeal).where(KeySeal.member_id == w.housing.id)).first()
    assert gone is not None
    db.execute(delete(KeySeal).where(KeySeal.id == gone.id))
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, w))
    officer_name, client_name = officer.username, w.user.username
    successor_name = story.successor.display_name
    db.commit()
    reviews = _review_entries(db, w.client.id)

    headers = api_token(client, officer_name)
    body = client.get(
        f"/api/v1/log-review/clients/{w.client.id}/as-of",
        query_string={"at": utcnow().isoformat(), "window": "hour"},
        headers=headers,
    ).json
    assert [s["ties"] for s in body["staff"]] == [["responsible_worker"]]
    assert {(s["finding"], s["discrepancy"]) for s in body["seals"]} >= {("gone", True)}
    assert body["discrepancies"] >= 1
    bad = client.get(
        f"/api/v1/log-review/clients/{w.client.id}/as-of",
        query_string={"window": "month"},
        headers=headers,
    )
    assert bad.status_code in (400, 422) and bad.content_type == "application/problem+json"

    login(client, officer_name)
    now = utcnow()
    local = now.astimezone(HELSINKI)
    page = text_of(
        client.get(
            f"/log-review/clients/{w.client.id}/as-of",
            query_string={"day": local.date().isoformat(), "time": "23:59", "window": "week"},
        )
    )
    assert "Discrepancies found" in page
    assert "A recorded key seal has disappeared" in page
    assert successor_name in page and "Responsible worker" in page
    assert _review_entries(db, w.client.id) == reviews + 2  # the API read and the page

    client.post("/logout", data={"csrf_token": csrf_token(client, "/log-review/")})
    login(client, client_name)
    mine = text_of(
        client.get(
            "/my/log/who-could-see",
            query_string={"day": local.date().isoformat(), "time": "23:59", "window": "day"},
        )
    )
    assert "To have it checked" in mine
    assert "key seal" not in mine.lower()  # the technical detail is the staff's
    assert successor_name in mine and "your responsible worker" in mine


def test_a_flag_is_marked_reviewed_through_the_api(
    client: FlaskClient, db: Session, world: World
) -> None:
    w = world
    tell(db, w)  # the former worker's refusal is a "denied" flag
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, w))
    officer_name, client_id = officer.username, w.client.id
    db.commit()
    headers = api_token(client, officer_name)
    flags = client.get("/api/v1/log-review/flags", headers=headers).json["flags"]
    denied = next(f for f in flags if f["kind"] == "denied" and f["client_id"] == str(client_id))
    path = f"/api/v1/log-review/clients/{client_id}/entries/{denied['entry_id']}/review"

    empty = client.post(path, json={"kind": "denied", "note": "  "}, headers=headers)
    assert empty.status_code == 422 and empty.content_type == "application/problem+json"
    assert [(e["pointer"], e["code"]) for e in empty.json["errors"]] == [
        ("#/note", "note_required")
    ]
    unknown = client.post(path, json={"kind": "sometimes", "note": "x"}, headers=headers)
    assert unknown.status_code == 422
    assert "#/kind" in {e["pointer"] for e in unknown.json["errors"]}

    done = client.post(
        path, json={"kind": "denied", "note": "Vanha kirjanmerkki (fictional)"}, headers=headers
    )
    assert done.status_code == 201, done.get_data(as_text=True)
    assert done.json["note"] == "Vanha kirjanmerkki (fictional)"
    assert done.json["reviewed_by_id"] == str(officer.id)
    again = client.post(path, json={"kind": "denied", "note": "Again."}, headers=headers)
    assert again.status_code == 409
    listed = client.get("/api/v1/log-review/flags", headers=headers).json["flags"]
    reviewed = next(f for f in listed if f["entry_id"] == denied["entry_id"])
    assert reviewed["note"] == "Vanha kirjanmerkki (fictional)"
    # The entry under another client's id is not found.
    other = client.post(
        f"/api/v1/log-review/clients/{uuid.uuid4()}/entries/{denied['entry_id']}/review",
        json={"kind": "denied", "note": "x"},
        headers=headers,
    )
    assert other.status_code == 404


def test_the_reconstruction_runs_the_same_statements_whatever_the_history(
    db: Session, world: World, sql_count: list[str]
) -> None:
    """More consents, seals, team changes and log entries: not one statement more."""
    w = world

    def counted() -> int:
        db.expire_all()
        sql_count.clear()
        _view(db, w, utcnow(), Window.WEEK)
        return len(sql_count)

    w.ngo.confidentiality_committed_on = helsinki_today()
    grant(db, w, w.housing, SectionKind.HOUSING)
    db.commit()
    small = counted()
    grant(db, w, w.ngo, SectionKind.HEALTH, SectionKind.EDUCATION_WORK)
    county = _county(db, w)
    for _ in range(3):
        colleague = factories.user(db, Role.CASEWORKER, county)
        team = add_team_member(db, w.case, colleague, w.worker.id)
        db.commit()
        _reads_housing(w, _staff_actor(colleague))
        remove_team_member(db, w.case, team.id, w.worker.id)
    db.commit()
    assert counted() == small
