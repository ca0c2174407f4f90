"""The caseworker's consent pages: record, revoke, disclose by statute, and the matrix."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import end_membership, revoke_consent
from app.consents.rules import GrantCode
from app.consents.texts import FIRST_VERSION
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSectionVersion,
    Role,
    User,
)
from app.plan.content import SectionContent
from app.refusals import Refused
from app.security import new_gate
from consent.decision import Reason
from consent.facts import Actor, Purpose
from consent.models import Consent, ConsentState, GivenHow, StatutoryDisclosure
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from sharing.fields import sealed
from tests import factories
from tests.conftest import csrf_token, login

COOP = Purpose.NETWORK_COOPERATION
PURPOSE = "Asunnon järjestäminen ennen vapautumista (fictional)"


@dataclass
class World:
    worker: User
    worker_actor: Actor
    client: Client
    case: Case
    housing: NetworkMember  # an authority (public service)
    housing_staff: Actor
    ngo: NetworkMember  # not an authority, no confidentiality commitment yet
    ngo_staff: Actor

    @property
    def base(self) -> str:
        return f"/caseworker/clients/{self.client.id}"


def today() -> date:
    return helsinki_today()


def make_world(db: Session, county: Organisation | None = None) -> World:
    base = factories.county_case(db, name="Kuvitteellinen Kalle", county=county)
    joined = today() - timedelta(days=10)
    housing = factories.partner(
        db, base.case, name=f"Asuntotoimisto {base.case.id}", starts_on=joined
    )
    ngo = factories.partner(
        db, base.case, OrgKind.NGO, name=f"Tukiyhdistys {base.case.id}", starts_on=joined
    )
    return World(
        base.worker,
        base.actor,
        base.client,
        base.case,
        housing.member,
        housing.actor,
        ngo.member,
        ngo.actor,
    )


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def write_section(db: Session, w: World, kind: SectionKind, text: str) -> PlanSectionVersion:
    return factories.plan_section(db, w.worker_actor, w.case, kind, SectionContent(goals=text))


def partner_reads(actor: Actor, version: PlanSectionVersion, kind: SectionKind) -> str:
    text = new_gate().read_texts(
        actor, [sealed(version, PlanSectionVersion.content_ct)], purpose=COOP
    )[0]
    assert text is not None
    return str(json.loads(text)["goals"])


def consent_form(w: World, member: NetworkMember, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "member": str(member.id),
        "sections": [SectionKind.HOUSING.value],
        "direction": "disclose",
        "purpose_text": PURPOSE,
        "given_how": "written",
        "valid_from": today().isoformat(),
        "valid_until": (today() + timedelta(days=30)).isoformat(),
        "information_text_version": FIRST_VERSION,
        "information_shown": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(client: FlaskClient, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def grant(
    db: Session,
    w: World,
    member: NetworkMember,
    *sections: SectionKind,
    valid_from: date | None = None,
    valid_until: date | None = None,
    purpose: str = PURPOSE,
) -> Consent:
    return factories.consent(
        db,
        w.worker_actor,
        w.case,
        member,
        *sections,
        valid_from=valid_from,
        valid_until=valid_until,
        purpose_text=purpose,
    )


# -- recording a consent -----------------------------------------------------------------------


def test_a_written_consent_lets_the_partner_read_that_section_and_no_other(
    client: FlaskClient, db: Session, world: World
) -> None:
    housing = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    health = write_section(db, world, SectionKind.HEALTH, "Päihdekuntoutus")
    db.commit()
    login(client, world.worker.username)
    form = client.get(f"{world.base}/consents/new").get_data(as_text=True)
    assert "Consent to share information in your support network" in form
    assert f"The information text (version {FIRST_VERSION}) was shown to the client" in form
    assert "<legend>Plan sections</legend>" in form

    done = post(client, f"{world.base}/consents/new", consent_form(world, world.housing))
    assert done.status_code == 302
    stored = db.scalars(select(Consent)).one()
    assert stored.given_how is GivenHow.WRITTEN
    assert stored.recorded_by_id == world.worker.id
    assert stored.information_text_version == FIRST_VERSION
    assert stored.sections == ["housing"]
    assert stored.valid_until == today() + timedelta(days=30)
    assert stored.purpose_text_ct and PURPOSE.encode() not in stored.purpose_text_ct

    assert partner_reads(world.housing_staff, housing, SectionKind.HOUSING) == "Oma asunto"
    db.commit()
    with pytest.raises(AccessDenied, match=Reason.DENIED_SECTION_NOT_IN_SCOPE.value):
        partner_reads(world.housing_staff, health, SectionKind.HEALTH)


def test_an_oral_consent_names_the_worker_who_recorded_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.worker.username)
    done = post(
        client,
        f"{world.base}/consents/new",
        consent_form(world, world.housing, given_how="oral", direction="obtain"),
    )
    assert done.status_code == 302
    stored = db.scalars(select(Consent)).one()
    assert (stored.given_how, stored.recorded_by_id) == (GivenHow.ORAL, world.worker.id)
    page = client.get(f"{world.base}/consents").get_data(as_text=True)
    assert "Orally" in page and f"Recorded by {world.worker.display_name}" in page
    assert "We obtain from them" in page and PURPOSE in page


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"information_shown": None}, "Confirm that the client was shown the information text."),
        ({"purpose_text": "  "}, "Write the purpose in plain words."),
        ({"sections": None}, "Choose at least one section of the plan."),
        ({"member": ""}, "Choose the network member."),
        ({"valid_from": "31.2.2026"}, "Not a valid date value."),
        ({"valid_until": (date(2020, 1, 1)).isoformat()}, "The last day"),
        ({"information_text_version": "1999-bogus"}, "Unknown version of the information text"),
    ],
)
def test_a_consent_missing_something_is_refused_with_the_inputs_kept(
    client: FlaskClient, db: Session, world: World, missing: dict[str, object], message: str
) -> None:
    db.commit()
    login(client, world.worker.username)
    typed = "Kela-asiointi vapautumispäivänä (fictional)"
    data = consent_form(world, world.housing, purpose_text=typed, valid_until="2099-12-31")
    data.update(missing)
    refused = post(
        client, f"{world.base}/consents/new", {k: v for k, v in data.items() if v is not None}
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert message in page
    assert "Please correct the following" in page
    if "purpose_text" not in missing:
        assert typed in page
    if "valid_until" not in missing:
        assert 'value="2099-12-31"' in page
    if "member" not in missing:
        assert f'<option selected value="{world.housing.id}">' in page
    assert db.scalars(select(Consent)).all() == []


def test_a_member_who_is_not_an_authority_needs_a_confidentiality_commitment(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.worker.username)
    assert "no confidentiality commitment" in client.get(f"{world.base}/consents/new").get_data(
        as_text=True
    )
    refused = post(client, f"{world.base}/consents/new", consent_form(world, world.ngo))
    assert refused.status_code == 400
    assert "has no recorded confidentiality commitment" in refused.get_data(as_text=True)
    assert PURPOSE in refused.get_data(as_text=True)
    assert db.scalars(select(Consent)).all() == []
    # The command refuses too, whatever calls it.
    with pytest.raises(Refused) as refused_by_command:
        grant(db, world, world.ngo, SectionKind.HOUSING)
    assert refused_by_command.value.errors == {"member_id": GrantCode.NO_COMMITMENT}
    assert "confidentiality commitment" in GrantCode.NO_COMMITMENT.message

    db.get(NetworkMember, world.ngo.id).confidentiality_committed_on = today()
    db.commit()
    done = post(client, f"{world.base}/consents/new", consent_form(world, world.ngo))
    assert done.status_code == 302
    assert db.scalars(select(Consent)).one().member_id == world.ngo.id


def test_an_ended_member_is_not_offered_and_cannot_be_chosen(
    client: FlaskClient, db: Session, world: World
) -> None:
    end_membership(db, new_gate(), world.housing, by_user_id=world.worker.id)
    db.commit()
    login(client, world.worker.username)
    form = client.get(f"{world.base}/consents/new").get_data(as_text=True)
    assert str(world.housing.id) not in form
    refused = post(client, f"{world.base}/consents/new", consent_form(world, world.housing))
    assert refused.status_code == 400
    assert "Choose a member of this client&#39;s network." in refused.get_data(as_text=True)


def test_a_release_timeline_template_fills_in_the_dates(
    client: FlaskClient, db: Session, world: World
) -> None:
    release = today() + timedelta(days=60)  # the factory's default
    db.commit()
    login(client, world.worker.username)
    page = client.get(
        f"{world.base}/consents/new?template=first_90_days&member={world.housing.id}"
    ).get_data(as_text=True)
    assert f'value="{release.isoformat()}"' in page
    assert f'value="{(release + timedelta(days=89)).isoformat()}"' in page
    assert f'<option selected value="{world.housing.id}">' in page
    # No end of probationary liberty recorded: offered disabled, with the reason.
    assert re.search(r'id="template-probationary_liberty"[^>]*\bdisabled\b', page)
    assert "No end date of supervised probationary liberty is recorded." in page
    refused = client.get(f"{world.base}/consents/new?template=probationary_liberty")
    assert "That period cannot be used" in refused.get_data(as_text=True)
    assert client.get(f"{world.base}/consents/new?template=nonsense").status_code == 200


# -- revoking ----------------------------------------------------------------------------------


def test_revoking_on_the_page_denies_the_partners_next_read(
    client: FlaskClient, db: Session, world: World
) -> None:
    version = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    assert partner_reads(world.housing_staff, version, SectionKind.HOUSING) == "Oma asunto"
    db.commit()
    login(client, world.worker.username)
    listing = client.get(f"{world.base}/consents").get_data(as_text=True)
    revoke_path = f"{world.base}/consents/{consent.id}/revoke"
    assert revoke_path in listing
    confirm = client.get(revoke_path).get_data(as_text=True)
    assert "Revoke this consent?" in confirm and PURPOSE in confirm
    done = client.post(revoke_path, data={"csrf_token": csrf_token(client, revoke_path)})
    assert done.status_code == 302
    stored = db.get(Consent, consent.id)
    db.refresh(stored)
    assert (stored.state, stored.ended_by_id) == (ConsentState.REVOKED, world.worker.id)
    with pytest.raises(AccessDenied, match=Reason.DENIED_REVOKED.value):
        partner_reads(world.housing_staff, version, SectionKind.HOUSING)
    # Revoking again is a message, not an error page.
    again = client.post(
        revoke_path, data={"csrf_token": csrf_token(client, f"{world.base}/consents")}
    )
    assert again.status_code == 302
    assert "already ended" in client.get(f"{world.base}/consents").get_data(as_text=True)


# -- statutory disclosure ----------------------------------------------------------------------


def disclosure_form(member: NetworkMember, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "member": str(member.id),
        "sections": [SectionKind.LIVELIHOOD.value],
        "provision": "Laki toimeentulotuesta (1412/1997) (fictional test reference)",
        "justification": "Toimeentulon turvaaminen vapautumispäivänä (fictional)",
        "valid_from": today().isoformat(),
        "valid_until": (today() + timedelta(days=7)).isoformat(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_statutory_disclosure_goes_only_to_an_authority_with_provision_and_justification(
    client: FlaskClient, db: Session, world: World
) -> None:
    livelihood = write_section(db, world, SectionKind.LIVELIHOOD, "Perustoimeentulotuki")
    db.get(NetworkMember, world.ngo.id).confidentiality_committed_on = today()
    db.commit()
    login(client, world.worker.username)
    path = f"{world.base}/disclosures/new"
    form = client.get(path).get_data(as_text=True)
    assert str(world.housing.id) in form and str(world.ngo.id) not in form
    assert '<datalist id="provision-suggestions">' in form

    to_ngo = post(client, path, disclosure_form(world.ngo))
    assert to_ngo.status_code == 400
    for missing, message in (
        ("provision", "Name the provision."),
        ("justification", "Write the justification."),
    ):
        refused = post(client, path, disclosure_form(world.housing, **{missing: " "}))
        assert refused.status_code == 400
        assert message in refused.get_data(as_text=True)
        assert "Perustoimeentulotuki" not in refused.get_data(as_text=True)
    kept = post(client, path, disclosure_form(world.housing, provision=""))
    assert "Toimeentulon turvaaminen vapautumispäivänä (fictional)" in kept.get_data(as_text=True)
    assert db.scalars(select(StatutoryDisclosure)).all() == []

    assert post(client, path, disclosure_form(world.housing)).status_code == 302
    stored = db.scalars(select(StatutoryDisclosure)).one()
    assert stored.decided_by_id == world.worker.id and stored.member_id == world.housing.id
    assert stored.justification_ct and b"Toimeentulon" not in stored.justification_ct
    page = client.get(f"{world.base}/consents").get_data(as_text=True)
    assert "Laki toimeentulotuesta (1412/1997) (fictional test reference)" in page
    assert "Toimeentulon turvaaminen vapautumispäivänä (fictional)" in page
    assert "The client can see every statutory disclosure" in page

    assert partner_reads(world.housing_staff, livelihood, SectionKind.LIVELIHOOD) == (
        "Perustoimeentulotuki"
    )
    logged = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.scope == "section:livelihood",
            AccessLogEntry.actor_role == "partner",
        )
    ).one()
    assert (logged.basis_kind, logged.basis_id) == ("statutory", stored.id)


# -- the matrix --------------------------------------------------------------------------------


def matrix_row(page: str, label: str) -> str:
    """The matrix row (<tr>…</tr>) whose row header names ``label``."""
    table = page.split('<table class="list matrix">', 1)[1].split("</table>", 1)[0]
    rows = [r for r in table.split("<tr") if f'<span class="member-name">{label}</span>' in r]
    assert len(rows) == 1, label
    return rows[0]


def test_the_matrix_shows_live_upcoming_and_ended_consents(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.get(NetworkMember, world.ngo.id).confidentiality_committed_on = today()
    grant(db, world, world.housing, SectionKind.HOUSING, valid_until=today() + timedelta(days=5))
    upcoming = today() + timedelta(days=3)
    grant(db, world, world.ngo, SectionKind.EVERYDAY_LIFE, valid_from=upcoming)
    revoked = grant(db, world, world.ngo, SectionKind.HEALTH, purpose="Päihdetyö (fictional)")
    revoke_consent(db, new_gate(), world.worker_actor, revoked, receipt=None)
    grant(
        db,
        world,
        world.housing,
        SectionKind.LIVELIHOOD,
        valid_from=today() - timedelta(days=20),
        valid_until=today() - timedelta(days=1),
        purpose="Vanha Kela-asia (fictional)",
    )
    db.commit()
    login(client, world.worker.username)
    page = client.get(f"{world.base}/consents").get_data(as_text=True)
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page

    housing_row = matrix_row(page, f"Asuntotoimisto {world.case.id}")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", housing_row, re.S)
    sections = list(SectionKind)
    assert "We disclose to them" in cells[sections.index(SectionKind.HOUSING)]
    assert "Not shared" in cells[sections.index(SectionKind.LIVELIHOOD)]  # expired
    ngo_row = matrix_row(page, f"Tukiyhdistys {world.case.id}")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", ngo_row, re.S)
    assert "not yet in force" in cells[sections.index(SectionKind.EVERYDAY_LIFE)]
    assert "Not shared" in cells[sections.index(SectionKind.HEALTH)]  # revoked

    in_force, ended = page.split('id="ended-title"', 1)
    assert PURPOSE in in_force
    assert "Päihdetyö (fictional)" in ended and "Revoked" in ended
    assert f"by {world.worker.display_name}" in ended
    assert "Vanha Kela-asia (fictional)" in ended and "Expired" in ended


def test_an_ended_member_shows_no_access_in_the_matrix(
    client: FlaskClient, db: Session, world: World
) -> None:
    grant(db, world, world.housing, SectionKind.HOUSING)
    end_membership(db, new_gate(), world.housing, by_user_id=world.worker.id)
    db.commit()
    login(client, world.worker.username)
    page = client.get(f"{world.base}/consents").get_data(as_text=True)
    row = matrix_row(page, f"Asuntotoimisto {world.case.id}")
    assert "Membership ended: no access." in row
    table = page.split('<table class="list matrix">', 1)[1]
    assert table.index(f"Tukiyhdistys {world.case.id}") < table.index(
        f"Asuntotoimisto {world.case.id}"
    )  # active members first


def test_a_person_member_is_shown_by_their_decrypted_name(
    client: FlaskClient, db: Session, world: World
) -> None:
    person = factories.member(
        db,
        world.case,
        person_name="Siskonen Sanna (fictional)",
        starts_on=today(),
        committed_on=today(),
    )
    grant(db, world, person, SectionKind.RELATIONSHIPS)
    db.commit()
    login(client, world.worker.username)
    page = client.get(f"{world.base}/consents").get_data(as_text=True)
    assert "We disclose to them" in matrix_row(page, "Siskonen Sanna (fictional)")


def test_the_pages_reads_are_logged_and_kept(
    client: FlaskClient, db: Session, world: World
) -> None:
    grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    login(client, world.worker.username)
    assert client.get(f"{world.base}/consents").status_code == 200
    reads = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.actor_user_id == world.worker.id,
            AccessLogEntry.action == "read",
        )
    ).all()
    assert {(r.scope, r.allowed) for r in reads} >= {("basic", True), ("name", True)}


# -- access and cost ---------------------------------------------------------------------------


def test_another_countys_worker_gets_404_everywhere(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, stranger.username)
    for path in (
        "/consents",
        "/consents/new",
        f"/consents/{consent.id}/revoke",
        "/disclosures/new",
    ):
        response = client.get(world.base + path)
        assert response.status_code == 404, path
        assert "Kuvitteellinen" not in response.get_data(as_text=True)
    token = csrf_token(client, "/caseworker/")
    assert (
        client.post(
            f"{world.base}/consents/{consent.id}/revoke", data={"csrf_token": token}
        ).status_code
        == 404
    )
    db.refresh(db.get(Consent, consent.id))
    assert db.get(Consent, consent.id).state is ConsentState.ACTIVE


def test_a_consent_of_another_client_is_not_found_here(
    client: FlaskClient, db: Session, world: World
) -> None:
    other = make_world(db, county=db.get(Organisation, world.client.county_id))
    consent = grant(db, other, other.housing, SectionKind.HOUSING)
    db.commit()
    login(client, world.worker.username)
    assert client.get(f"{world.base}/consents/{consent.id}/revoke").status_code == 404


def test_the_consents_page_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, sql_count: list[str], world: World
) -> None:
    def give_consents(member: NetworkMember) -> None:
        grant(db, world, member, SectionKind.HOUSING, SectionKind.HEALTH)
        ended = grant(db, world, member, SectionKind.LIVELIHOOD)
        revoke_consent(db, new_gate(), world.worker_actor, ended, receipt=None)

    def queries() -> int:
        sql_count.clear()
        assert client.get(f"{world.base}/consents").status_code == 200
        return len(sql_count)

    db.get(NetworkMember, world.ngo.id).confidentiality_committed_on = today()
    for member in (world.housing, world.ngo):
        give_consents(member)
    db.commit()
    login(client, world.worker.username)
    with_two_members = queries()
    for _ in range(8):
        give_consents(
            factories.partner(db, world.case, starts_on=today() - timedelta(days=10)).member
        )
    db.commit()
    with_ten_members = queries()
    assert with_ten_members == with_two_members
    assert len(db.scalars(select(Consent).where(Consent.case_id == world.case.id)).all()) == 20
