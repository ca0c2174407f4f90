"""County transfer: proposed → accepted / declined / withdrawn, and who may read what at each.

The sending county (A) proposes; the receiving county (B) sees the client's name only and
accepts or declines; A may withdraw before an answer. On acceptance the case moves to B
with its network, plan, consents and notifications; consents to organisations continue,
consents whose recipient was A end (``consent.transfer``); the seals to A's grantee key go
and the data keys they held are retired; A's staff are refused through the gate from then
on, and keep only the transfer record and their own log entries. A partner keeps reading
what the client's consent shares with it.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases import commands as cases
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    MemberKind,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSectionVersion,
    Role,
    User,
)
from app.models.case import ResponsibleWorker
from app.models.intake import Channel, Notification, NotificationPath, NotifierKind
from app.models.transfer import CountyTransfer, DeclineReason, TransferReason, TransferState
from app.plan.content import SectionContent
from app.security import current_keyring, new_gate
from app.transfer import commands as transfer
from consent.base import utcnow
from consent.decision import Reason
from consent.facts import SYSTEM_ACTOR, Actor, Direction, Purpose
from consent.models import Consent, ConsentEvent, ConsentEventKind, ConsentState
from consent.sections import SectionKind
from sharing import seal
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from sharing.fields import sealed
from sharing.models import DataKey, GranteeKey, KeySeal
from tests import factories
from tests.conftest import api_token, csrf_token, login

NAME = "Kuvitteellinen Taisto"
GOALS = "Oma vuokra-asunto Tampereelta (fictional)"


@dataclass
class World:
    a: Organisation
    b: Organisation
    a_worker: User
    a_team: User  # in A's case team
    b_worker: User
    b_colleague: User
    c_worker: User  # a third county
    client: Client
    case: Case
    housing: factories.Partner
    kela: factories.Partner
    housing_consent: Consent
    obtain_consent: Consent
    section: PlanSectionVersion
    notification: Notification


def actor(user: User) -> Actor:
    return factories.actor(user)


@pytest.fixture
def world(db: Session) -> World:
    base = factories.county_case(db, name=NAME)
    a, case = base.county, base.case
    b = factories.organisation(db, OrgKind.COUNTY, "Vastaanottava hyvinvointialue (fictional)")
    c = factories.organisation(db, OrgKind.COUNTY)
    team = factories.user(db, Role.CASEWORKER, a)
    cases.add_team_member(db, case, team, base.worker.id)
    housing = factories.partner(db, case, name="Asuntotoimi (fictional)")
    kela = factories.partner(db, case, name="Kela-toimisto (fictional)")
    section = factories.plan_section(
        db, base.actor, case, SectionKind.HOUSING, SectionContent(goals=GOALS)
    )
    since = helsinki_today() - timedelta(days=5)
    housing_consent = factories.consent(
        db, base.actor, case, housing.member, SectionKind.HOUSING, valid_from=since
    )
    obtain = factories.consent(
        db,
        base.actor,
        case,
        kela.member,
        SectionKind.LIVELIHOOD,
        valid_from=since,
        direction=Direction.OBTAIN,
    )
    notification = Notification(
        county_id=a.id,
        client_id=case.client_id,
        case_id=case.id,
        received_at=utcnow(),
        contacted_on=helsinki_today(),
        notifier_kind=NotifierKind.PRISON_STAFF,
        channel=Channel.PHONE,
        path=NotificationPath.CONSENT,
        need_ct=b"",
        recorded_by_id=base.worker.id,
    )
    new_gate().write_fields(
        SYSTEM_ACTOR,
        [(notification, Notification.need_ct, "Asunto (fictional)")],
        purpose=Purpose.ADMINISTRATION,
    )
    db.add(notification)
    db.commit()  # a denial ends the unit of work: keep the setup
    return World(
        a,
        b,
        base.worker,
        team,
        factories.user(db, Role.CASEWORKER, b),
        factories.user(db, Role.CASEWORKER, b),
        factories.user(db, Role.CASEWORKER, c),
        base.client,
        case,
        housing,
        kela,
        housing_consent,
        obtain,
        section,
        notification,
    )


def read_name(w: World, user: User, purpose: Purpose = Purpose.LIST) -> str | None:
    return new_gate().read_texts(actor(user), [sealed(w.client, Client.name_ct)], purpose=purpose)[
        0
    ]


def read_goals(w: World, who: Actor, purpose: Purpose = Purpose.CASE_WORK) -> str:
    text = new_gate().read_texts(
        who, [sealed(w.section, PlanSectionVersion.content_ct)], purpose=purpose
    )[0]
    assert text is not None
    return str(json.loads(text)["goals"])


def denied(reason: Reason):  # type: ignore[no-untyped-def]
    return pytest.raises(AccessDenied, match=reason.value)


def propose(db: Session, w: World) -> CountyTransfer:
    made = transfer.propose_transfer(
        db,
        new_gate(),
        actor(w.a_worker),
        case=w.case,
        to_county_id=w.b.id,
        reason=TransferReason.MOVED,
    )
    db.commit()
    return made


def accept(db: Session, w: World, made: CountyTransfer) -> transfer.Accepted:
    accepted = transfer.accept_transfer(
        db, new_gate(), actor(w.b_worker), transfer=made, worker=w.b_worker
    )
    db.commit()
    return accepted


# -- the states and who sees what --------------------------------------------------------


def test_before_any_proposal_the_receiving_county_cannot_even_see_the_name(
    db: Session, world: World
) -> None:
    with denied(Reason.DENIED_OTHER_COUNTY):
        read_name(world, world.b_worker)


def test_a_proposal_shows_the_receiving_county_the_name_and_nothing_more(
    db: Session, world: World
) -> None:
    made = propose(db, world)
    assert made.state is TransferState.PROPOSED and made.from_county_id == world.a.id
    assert read_name(world, world.b_worker) == NAME
    assert read_name(world, world.b_colleague) == NAME  # any caseworker of B may answer
    with denied(Reason.DENIED_OTHER_COUNTY):
        read_name(world, world.b_worker, Purpose.CASE_WORK)
    with denied(Reason.DENIED_OTHER_COUNTY):
        read_goals(world, actor(world.b_worker))
    with denied(Reason.DENIED_OTHER_COUNTY):
        read_name(world, world.c_worker)
    # Until the answer the case is A's, and the partner reads what it read.
    assert read_goals(world, actor(world.a_worker)) == GOALS
    assert read_goals(world, world.housing.actor, Purpose.NETWORK_COOPERATION) == GOALS
    reasons = db.scalars(
        select(AccessLogEntry.reason).where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.actor_user_id == world.b_worker.id,
        )
    ).all()
    assert Reason.ALLOWED_TRANSFER_PROPOSED.value in reasons
    assert Reason.DENIED_OTHER_COUNTY.value in reasons  # the refused reads are there too


def test_acceptance_moves_the_case_and_the_sending_county_is_refused(
    db: Session, world: World
) -> None:
    made = propose(db, world)
    accepted = accept(db, world, made)

    db.expire_all()
    case = db.get(Case, world.case.id)
    client = db.get(Client, world.client.id)
    assert case is not None and client is not None
    assert case.county_id == client.county_id == world.b.id
    assert db.get(Notification, world.notification.id).county_id == world.b.id  # type: ignore[union-attr]
    current = db.scalars(
        select(ResponsibleWorker).where(
            ResponsibleWorker.case_id == case.id, ResponsibleWorker.ends_on.is_(None)
        )
    ).one()
    assert current.worker_id == world.b_worker.id
    stored = db.get(CountyTransfer, made.id)
    assert stored is not None and stored.state is TransferState.ACCEPTED
    assert stored.answered_by_id == world.b_worker.id and stored.answered_at is not None

    # B reads the whole case: the plan A wrote, under the same keys.
    assert read_name(world, world.b_worker, Purpose.CASE_WORK) == NAME
    assert read_goals(world, actor(world.b_worker)) == GOALS
    # A, its responsible worker and its team, are refused everything, names included.
    for user in (world.a_worker, world.a_team):
        with denied(Reason.DENIED_OTHER_COUNTY):
            read_goals(world, actor(user))
        with denied(Reason.DENIED_OTHER_COUNTY):
            read_name(world, user)
    # B's colleague without a relationship is refused as in any case of B's.
    with denied(Reason.DENIED_NO_RELATIONSHIP):
        read_goals(world, actor(world.b_colleague))

    # The consent to the housing service continues; the consent to obtain from Kela ended.
    assert read_goals(world, world.housing.actor, Purpose.NETWORK_COOPERATION) == GOALS
    housing = db.get(Consent, world.housing_consent.id)
    obtain = db.get(Consent, world.obtain_consent.id)
    assert housing is not None and housing.state is ConsentState.ACTIVE
    assert obtain is not None and obtain.state is ConsentState.REVOKED
    assert [c.id for c in accepted.ended_consents] == [obtain.id]
    assert stored.ended_consent_ids == [str(obtain.id)]
    events = db.scalars(select(ConsentEvent.kind).where(ConsentEvent.consent_id == obtain.id)).all()
    assert sorted(events) == sorted([ConsentEventKind.GRANTED, ConsentEventKind.REVOKED])
    # The network and its memberships are the same rows, now under B's case.
    members = db.scalars(select(NetworkMember.id).where(NetworkMember.case_id == case.id)).all()
    assert set(members) == {world.housing.member.id, world.kela.member.id}


def test_every_act_leaves_its_entry_in_the_clients_log(db: Session, world: World) -> None:
    made = propose(db, world)
    accept(db, world, made)
    entries = db.scalars(
        select(AccessLogEntry)
        .where(AccessLogEntry.client_id == world.client.id)
        .order_by(AccessLogEntry.seq)
    ).all()
    mine = [
        (e.actor_user_id, e.action, e.purpose, e.reason)
        for e in entries
        if e.actor_user_id in (world.a_worker.id, world.b_worker.id)
    ]
    assert (world.a_worker.id, "write", "case_work", "allowed_case_relationship") in mine
    assert (world.b_worker.id, "read", "list", "allowed_transfer_proposed") in mine
    assert (world.b_worker.id, "write", "case_work", "allowed_case_relationship") in mine


def test_seals_to_the_sending_county_as_a_grantee_go_and_their_keys_retire(
    db: Session, world: World
) -> None:
    """A shape the commands refuse (a county is never a network member) but the rule covers:
    whatever was sealed to A's grantee key is no longer openable by A after the transfer,
    and new content goes under a key A never held."""
    as_member = NetworkMember(
        case_id=world.case.id,
        client_id=world.client.id,
        kind=MemberKind.PUBLIC_SERVICE,
        organisation_id=world.a.id,
        starts_on=helsinki_today() - timedelta(days=30),
    )
    db.add(as_member)
    db.flush()
    given = factories.consent(db, actor(world.a_worker), world.case, as_member, SectionKind.HOUSING)
    db.commit()
    key_id = db.scalars(
        select(KeySeal.data_key_id)
        .join(GranteeKey, GranteeKey.id == KeySeal.grantee_key_id)
        .where(GranteeKey.organisation_id == world.a.id)
    ).first()
    assert key_id is not None
    opened = seal.open_as_grantee(
        db, current_keyring(), organisation_id=world.a.id, member_id=None, data_key_ids=[key_id]
    )
    assert key_id in opened

    accept(db, world, propose(db, world))

    assert db.get(Consent, given.id).state is ConsentState.REVOKED  # type: ignore[union-attr]
    with pytest.raises(seal.NoSeal):
        seal.open_as_grantee(
            db, current_keyring(), organisation_id=world.a.id, member_id=None, data_key_ids=[key_id]
        )
    assert db.get(DataKey, key_id).retired_at is not None  # type: ignore[union-attr]
    # The partner's seals on its continuing consent remain, and B reads with the keyring.
    assert db.scalars(
        select(KeySeal.id).where(KeySeal.member_id == world.housing.member.id)
    ).first()
    assert read_goals(world, actor(world.b_worker)) == GOALS


def test_declining_leaves_the_case_with_the_sender_and_hides_the_name_again(
    db: Session, world: World
) -> None:
    made = propose(db, world)
    transfer.decline_transfer(
        db,
        new_gate(),
        actor(world.b_colleague),
        transfer=made,
        reason=DeclineReason.NOT_RESIDENT,
    )
    db.commit()
    assert made.state is TransferState.DECLINED
    assert made.decline_reason is DeclineReason.NOT_RESIDENT
    assert db.get(Case, world.case.id).county_id == world.a.id  # type: ignore[union-attr]
    with denied(Reason.DENIED_OTHER_COUNTY):
        read_name(world, world.b_worker)
    assert read_goals(world, actor(world.a_worker)) == GOALS
    with pytest.raises(transfer.AlreadyAnswered):
        transfer.accept_transfer(
            db, new_gate(), actor(world.b_worker), transfer=made, worker=world.b_worker
        )
    propose(db, world)  # a new proposal may follow


def test_withdrawing_before_the_answer_ends_the_proposal(db: Session, world: World) -> None:
    made = propose(db, world)
    transfer.withdraw_transfer(db, new_gate(), actor(world.a_worker), case=world.case)
    db.commit()
    assert made.state is TransferState.WITHDRAWN
    with denied(Reason.DENIED_OTHER_COUNTY):
        read_name(world, world.b_worker)
    with pytest.raises(transfer.AlreadyAnswered):
        transfer.accept_transfer(
            db, new_gate(), actor(world.b_worker), transfer=made, worker=world.b_worker
        )
    with pytest.raises(transfer.AlreadyAnswered):
        transfer.decline_transfer(
            db,
            new_gate(),
            actor(world.b_worker),
            transfer=made,
            reason=DeclineReason.OTHER_COUNTY,
        )
    with pytest.raises(transfer.NoPendingTransfer):
        transfer.withdraw_transfer(db, new_gate(), actor(world.a_worker), case=world.case)


def test_the_proposal_is_refused_where_the_rules_say_so(db: Session, world: World) -> None:
    a = actor(world.a_worker)

    def proposing(to: object, who: Actor = a) -> CountyTransfer:
        return transfer.propose_transfer(
            db,
            new_gate(),
            who,
            case=world.case,
            to_county_id=to,
            reason=TransferReason.MOVED,  # type: ignore[arg-type]
        )

    with pytest.raises(transfer.ProposalRefused) as same:
        proposing(world.a.id)
    assert same.value.errors["to_county"] == "same_county"
    with pytest.raises(transfer.ProposalRefused) as partner:
        proposing(world.housing.organisation.id)
    assert partner.value.errors["to_county"] == "not_a_county"
    with denied(Reason.DENIED_OTHER_COUNTY):
        proposing(world.b.id, actor(world.b_worker))
    with denied(Reason.DENIED_READ_ONLY):
        proposing(world.b.id, world.housing.actor)
    propose(db, world)
    with pytest.raises(transfer.TransferPending):
        proposing(world.b.id)


def test_only_the_receiving_county_answers(db: Session, world: World) -> None:
    made = propose(db, world)
    for user in (world.c_worker, world.a_worker):
        with pytest.raises(transfer.NotYourTransfer):
            transfer.accept_transfer(db, new_gate(), actor(user), transfer=made, worker=user)
        with pytest.raises(transfer.NotYourTransfer):
            transfer.decline_transfer(
                db, new_gate(), actor(user), transfer=made, reason=DeclineReason.OTHER_COUNTY
            )
    assert made.state is TransferState.PROPOSED


# -- the pages -----------------------------------------------------------------------------


def body(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


def signed_in(app, user: User) -> FlaskClient:  # type: ignore[no-untyped-def]
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(browser, user.username)
    return browser


def test_the_pages_walk_a_transfer_from_proposal_to_acceptance(
    app, client: FlaskClient, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    sender = signed_in(app, world.a_worker)
    receiver = signed_in(app, world.b_worker)
    page = f"/caseworker/clients/{world.client.id}/transfer"

    form = body(sender.get(page))
    assert "Propose a transfer" in form and world.b.name in form
    assert world.a.name not in form.split('name="to_county"')[1].split("</select>")[0]
    missing = sender.post(page, data={"csrf_token": csrf_token(sender, page)})
    assert missing.status_code == 400 and "Choose the reason for the transfer." in body(missing)
    proposed = sender.post(
        page,
        data={
            "csrf_token": csrf_token(sender, page),
            "to_county": str(world.b.id),
            "reason": "moved",
        },
    )
    assert proposed.status_code == 302
    waiting = body(sender.get(page))
    assert "Waiting for an answer from" in waiting and "Withdraw the proposal" in waiting
    made = db.scalars(select(CountyTransfer)).one()

    listing = body(receiver.get("/caseworker/transfers"))
    assert NAME in listing and world.a.name in listing
    dashboard = body(receiver.get("/caseworker/"))
    assert '<strong class="count">1</strong> transfer proposed to your county' in dashboard
    detail = f"/caseworker/transfers/{made.id}"
    assert NAME in body(receiver.get(detail))
    # Before accepting, B cannot open the record; A cannot reach B's transfer page.
    assert receiver.get(f"/caseworker/clients/{world.client.id}").status_code == 404
    assert sender.get(detail).status_code == 404
    partner = signed_in(app, world.housing.staff)
    assert partner.get("/caseworker/transfers").status_code == 403
    assert partner.get(detail).status_code == 403
    shared = f"/partner/clients/{world.client.id}"
    assert GOALS in body(partner.get(shared))  # the partner's view, before

    accepted = receiver.post(f"{detail}/accept", data={"csrf_token": csrf_token(receiver, detail)})
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith(f"/caseworker/clients/{world.client.id}")
    record = receiver.get(f"/caseworker/clients/{world.client.id}")
    assert record.status_code == 200 and NAME in body(record)
    # The partner's consent continues: its page shows the same section after the transfer.
    after = partner.get(shared)
    assert after.status_code == 200 and GOALS in body(after)

    # The sending county: the record is gone (404 like any other county's), the transfer
    # record stays, without the client's name.
    assert sender.get(f"/caseworker/clients/{world.client.id}").status_code == 404
    assert sender.get(page).status_code == 404
    kept = body(sender.get("/caseworker/transfers"))
    assert world.b.name in kept and "Accepted" in kept and NAME not in kept
    assert NAME not in body(sender.get("/caseworker/clients"))

    # The client is told, in plain words.
    person = db.scalars(select(User).where(User.client_id == world.client.id)).first()
    if person is None:
        person = factories.user(db, Role.CLIENT, client=world.client)
        db.commit()
    told = body(signed_in(app, person).get("/my/"))
    assert f"Your matter moved to {world.b.name}" in told
    assert "1 consent to fetch information about you ended with the move" in told


def test_declining_and_withdrawing_through_the_pages(
    app, client: FlaskClient, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    sender = signed_in(app, world.a_worker)
    receiver = signed_in(app, world.b_worker)
    made = propose(db, world)
    detail = f"/caseworker/transfers/{made.id}"
    no_reason = receiver.post(
        f"{detail}/decline", data={"csrf_token": csrf_token(receiver, detail)}
    )
    assert no_reason.status_code == 400 and "Choose the reason for declining." in body(no_reason)
    declined = receiver.post(
        f"{detail}/decline",
        data={"csrf_token": csrf_token(receiver, detail), "reason": "needs_information"},
    )
    assert declined.status_code == 302
    shown = body(receiver.get(detail))
    assert "Declined" in shown and NAME not in shown
    page = f"/caseworker/clients/{world.client.id}/transfer"
    assert "We need to agree on more with you first" in body(sender.get(page))

    again = propose(db, world)
    withdrawn = sender.post(f"{page}/withdraw", data={"csrf_token": csrf_token(sender, page)})
    assert withdrawn.status_code == 302
    db.expire_all()
    assert db.get(CountyTransfer, again.id).state is TransferState.WITHDRAWN  # type: ignore[union-attr]
    late = receiver.post(
        f"/caseworker/transfers/{again.id}/accept",
        data={"csrf_token": csrf_token(receiver, f"/caseworker/transfers/{again.id}")},
    )
    assert late.status_code == 302  # back to the transfer, saying it was answered
    assert "This transfer has already been answered or withdrawn." in body(
        receiver.get(late.headers["Location"])
    )
    assert db.get(Case, world.case.id).county_id == world.a.id  # type: ignore[union-attr]


def test_the_transfer_pages_exist_in_finnish_and_swedish(
    app, client: FlaskClient, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    sender = signed_in(app, world.a_worker)
    page = f"/caseworker/clients/{world.client.id}/transfer"
    sender.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    assert "Ehdota siirtoa" in body(sender.get(page))
    sender.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    assert "Föreslå en överföring" in body(sender.get(page))


def test_the_whole_record_moves_so_no_list_of_the_sender_names_the_client(
    app, client: FlaskClient, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    earlier = Case(
        client_id=world.client.id,
        county_id=world.a.id,
        opened_at=world.case.opened_at - timedelta(days=400),
        closed_at=world.case.opened_at - timedelta(days=200),
    )
    db.add(earlier)
    db.commit()
    sender = signed_in(app, world.a_worker)
    receiver = signed_in(app, world.b_worker)
    accept(db, world, propose(db, world))
    assert db.get(Case, earlier.id).county_id == world.b.id  # type: ignore[union-attr]
    caseload = sender.get("/caseworker/clients")
    assert caseload.status_code == 200 and NAME not in body(caseload)
    assert NAME in body(receiver.get("/caseworker/clients"))


# -- the API ----------------------------------------------------------------------------------


def test_the_api_lists_the_county_s_transfers_naming_only_waiting_clients(
    client: FlaskClient, db: Session, world: World
) -> None:
    receiver = api_token(client, world.b_worker.username)
    sender = api_token(client, world.a_worker.username)
    partner = api_token(client, world.housing.staff.username)
    made = propose(db, world)

    waiting = client.get("/api/v1/transfers", headers=receiver).get_json()
    assert waiting["total"] == 1
    [item] = waiting["items"]
    assert item["id"] == str(made.id) and item["state"] == "proposed"
    assert item["client"] == {"id": str(world.client.id), "name": NAME}
    assert item["from_county"]["name"] == world.a.name and item["reason"] == "moved"
    assert (
        client.get("/api/v1/transfers?direction=outgoing", headers=receiver).get_json()["total"]
        == 0
    )
    mine = client.get("/api/v1/transfers?direction=outgoing", headers=sender).get_json()
    assert [i["client"] for i in mine["items"]] == [None]  # the sender's record: no name here
    assert client.get("/api/v1/transfers", headers=partner).status_code == 403
    bad = client.get("/api/v1/transfers?direction=sideways", headers=receiver)
    assert bad.status_code == 422
    assert [e["parameter"] for e in bad.get_json()["errors"]] == ["direction"]

    stored = db.get(CountyTransfer, made.id)  # the requests closed the session
    assert stored is not None
    accept(db, world, stored)
    answered = client.get("/api/v1/transfers?state=accepted", headers=receiver).get_json()
    assert [(i["state"], i["client"]) for i in answered["items"]] == [("accepted", None)]
    assert client.get("/api/v1/transfers?state=proposed", headers=receiver).get_json()["total"] == 0
