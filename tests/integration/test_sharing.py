"""Consent-scoped sharing enforced twice: by the decision and by possession of sealed keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.consents.commands import (
    end_membership,
    record_statutory_disclosure,
    revoke_consent,
)
from app.consents.rules import DisclosureCode
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    NetworkMember,
    OrgKind,
    PlanSectionVersion,
    Role,
)
from app.plan.content import SectionContent
from app.refusals import Refused
from app.security import new_gate
from consent.decision import Reason
from consent.facts import Actor, ActorRole, Purpose
from consent.models import Consent
from consent.sections import SectionKind
from sharing import envelope, seal
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied, DecryptionError
from sharing.fields import field_ref, sealed
from sharing.models import DataKey, KeySeal
from tests import factories
from tests.conftest import login

TODAY = helsinki_today()
COOP = Purpose.NETWORK_COOPERATION


@dataclass
class World:
    county_worker: Actor
    housing_staff: Actor
    kela_staff: Actor
    outsider: Actor
    client: Client
    case: Case
    housing_member: NetworkMember
    kela_member: NetworkMember


@pytest.fixture
def world(db: Session) -> World:
    base = factories.county_case(db, name="Kuvitteellinen Kalle")
    housing, kela = (
        factories.partner(db, base.case, starts_on=TODAY - timedelta(days=10)) for _ in range(2)
    )
    outsider = factories.user(db, Role.PARTNER, factories.organisation(db, OrgKind.PUBLIC_SERVICE))
    return World(
        base.actor,
        housing.actor,
        kela.actor,
        factories.actor(outsider),
        base.client,
        base.case,
        housing.member,
        kela.member,
    )


def write_section(db: Session, w: World, kind: SectionKind, text: str) -> PlanSectionVersion:
    """The caseworker writes a new version of a plan section."""
    return factories.plan_section(db, w.county_worker, w.case, kind, SectionContent(goals=text))


def read(
    actor: Actor, version: PlanSectionVersion, kind: SectionKind, purpose: Purpose = COOP
) -> str:
    text = new_gate().read_texts(
        actor, [sealed(version, PlanSectionVersion.content_ct)], purpose=purpose
    )[0]
    assert text is not None
    return json.loads(text)["goals"]


def grant(
    db: Session, w: World, member: NetworkMember, *sections: SectionKind, until: date | None = None
) -> Consent:
    return factories.consent(
        db,
        w.county_worker,
        w.case,
        member,
        *sections,
        valid_from=TODAY,
        valid_until=until,
        purpose_text="Asunnon järjestäminen ennen vapautumista (fictional)",
    )


def test_a_consented_partner_reads_exactly_the_consented_section(db: Session, world: World) -> None:
    housing = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    health = write_section(db, world, SectionKind.HEALTH, "Päihdekuntoutus")
    grant(db, world, world.housing_member, SectionKind.HOUSING)
    db.commit()  # a denial ends the unit of work: keep the setup
    assert read(world.housing_staff, housing, SectionKind.HOUSING) == "Oma asunto"
    name = new_gate().read_texts(
        world.housing_staff, [sealed(world.client, Client.name_ct)], purpose=COOP
    )
    assert name == ["Kuvitteellinen Kalle"]
    with pytest.raises(AccessDenied, match=Reason.DENIED_SECTION_NOT_IN_SCOPE.value):
        read(world.housing_staff, health, SectionKind.HEALTH)
    with pytest.raises(AccessDenied, match=Reason.DENIED_ROLE.value):
        new_gate().read_texts(
            world.housing_staff, [sealed(world.client, Client.identity_code_ct)], purpose=COOP
        )
    with pytest.raises(AccessDenied, match=Reason.DENIED_NOT_IN_NETWORK.value):
        read(world.outsider, housing, SectionKind.HOUSING)


def test_revocation_denies_the_very_next_read_and_removes_the_seals(
    db: Session, world: World
) -> None:
    version = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    consent = grant(db, world, world.housing_member, SectionKind.HOUSING)
    db.commit()
    assert read(world.housing_staff, version, SectionKind.HOUSING) == "Oma asunto"
    assert (
        db.scalar(select(func.count(KeySeal.id)).where(KeySeal.basis_id == consent.id)) == 2
    )  # name + section
    revoke_consent(db, new_gate(), world.county_worker, consent, receipt=None)
    db.commit()
    assert db.scalar(select(func.count(KeySeal.id)).where(KeySeal.basis_id == consent.id)) == 0
    with pytest.raises(AccessDenied, match=Reason.DENIED_REVOKED.value):
        read(world.housing_staff, version, SectionKind.HOUSING)


def test_without_a_seal_the_low_level_functions_cannot_open_the_key(
    db: Session, world: World
) -> None:
    version = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    consent = grant(db, world, world.housing_member, SectionKind.HOUSING)
    key_id = envelope.key_id_of(version.content_ct)
    keyring = factories.keyring_of()
    # Skipping the decision entirely: only the sealed grantee can open the key.
    opened = seal.open_as_grantee(
        db,
        keyring,
        organisation_id=world.housing_staff.organisation_id,
        member_id=None,
        data_key_ids=[key_id],
    )
    assert envelope.open_sealed(
        opened[key_id], field_ref(version, PlanSectionVersion.content_ct), version.content_ct
    )
    for org in (world.kela_staff.organisation_id, world.outsider.organisation_id):
        with pytest.raises(seal.NoSeal):
            seal.open_as_grantee(
                db, keyring, organisation_id=org, member_id=None, data_key_ids=[key_id]
            )
    revoke_consent(db, new_gate(), world.county_worker, consent, receipt=None)
    with pytest.raises(seal.NoSeal):
        seal.open_as_grantee(
            db,
            keyring,
            organisation_id=world.housing_staff.organisation_id,
            member_id=None,
            data_key_ids=[key_id],
        )


def test_content_written_after_revocation_is_under_a_key_the_former_grantee_never_held(
    db: Session, world: World
) -> None:
    before = write_section(db, world, SectionKind.HOUSING, "Ennen")
    consent = grant(db, world, world.housing_member, SectionKind.HOUSING)
    grant(db, world, world.kela_member, SectionKind.HOUSING)
    revoke_consent(db, new_gate(), world.county_worker, consent, receipt=None)
    after = write_section(db, world, SectionKind.HOUSING, "Jälkeen")
    old_key, new_key = envelope.key_id_of(before.content_ct), envelope.key_id_of(after.content_ct)
    assert old_key != new_key
    housing_seals = db.scalars(
        select(KeySeal.data_key_id).where(KeySeal.member_id == world.housing_member.id)
    ).all()
    assert new_key not in housing_seals
    # Kela's consent remains: the new key was sealed to Kela when it was made.
    assert read(world.kela_staff, after, SectionKind.HOUSING) == "Jälkeen"
    # The county reads every version, old and new.
    assert read(world.county_worker, before, SectionKind.HOUSING, Purpose.CASE_WORK) == "Ennen"
    assert read(world.county_worker, after, SectionKind.HOUSING, Purpose.CASE_WORK) == "Jälkeen"


def disclose_livelihood_to_kela(
    db: Session,
    w: World,
    provision: str,
    justification: str = "Toimeentulon turvaaminen vapautumispäivänä (fictional)",
):  # type: ignore[no-untyped-def]
    return record_statutory_disclosure(
        db,
        new_gate(),
        w.county_worker,
        case=w.case,
        member_id=w.kela_member.id,
        sections=frozenset({SectionKind.LIVELIHOOD}),
        provision=provision,
        justification=justification,
        valid_from=TODAY,
        valid_until=TODAY,
    )


def test_a_statutory_disclosure_allows_exactly_what_it_names(db: Session, world: World) -> None:
    livelihood = write_section(db, world, SectionKind.LIVELIHOOD, "Perustoimeentulotuki")
    housing = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    disclose_livelihood_to_kela(db, world, "Asiakastietolaki 703/2023 (fictional test reference)")
    db.commit()
    assert read(world.kela_staff, livelihood, SectionKind.LIVELIHOOD) == "Perustoimeentulotuki"
    with pytest.raises(AccessDenied):
        read(world.kela_staff, housing, SectionKind.HOUSING)
    entry = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.scope == "section:livelihood", AccessLogEntry.actor_role == "partner"
        )
    ).one()
    assert entry.basis_kind == "statutory" and entry.allowed


def test_statutory_disclosure_needs_an_authority_a_provision_and_a_justification(
    db: Session, world: World
) -> None:
    with pytest.raises(Refused) as no_provision:
        disclose_livelihood_to_kela(db, world, provision=" ")
    assert no_provision.value.errors == {"provision": DisclosureCode.NO_PROVISION}
    with pytest.raises(Refused) as no_justification:
        disclose_livelihood_to_kela(db, world, "703/2023", justification="")
    assert no_justification.value.errors == {"justification": DisclosureCode.NO_JUSTIFICATION}


def test_leaving_the_network_ends_access_and_removes_seals(db: Session, world: World) -> None:
    version = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    grant(db, world, world.housing_member, SectionKind.HOUSING)
    end_membership(db, new_gate(), world.housing_member, by_user_id=world.county_worker.user_id)
    db.commit()
    assert (
        db.scalar(
            select(func.count(KeySeal.id)).where(KeySeal.member_id == world.housing_member.id)
        )
        == 0
    )
    with pytest.raises(AccessDenied, match=Reason.DENIED_NOT_IN_NETWORK.value):
        read(world.housing_staff, version, SectionKind.HOUSING)


def test_ciphertexts_swapped_between_rows_do_not_open(db: Session, world: World) -> None:
    first = write_section(db, world, SectionKind.HOUSING, "Yksi")
    second = write_section(db, world, SectionKind.HOUSING, "Kaksi")
    first.content_ct, second.content_ct = second.content_ct, first.content_ct
    with pytest.raises(DecryptionError):
        read(world.county_worker, first, SectionKind.HOUSING, Purpose.CASE_WORK)
    db.rollback()
    other, _ = factories.client(db, factories.organisation(db), name="Toinen Testinen")
    other.name_ct = world.client.name_ct
    with pytest.raises(DecryptionError):
        new_gate().read_texts(
            Actor(ActorRole.SYSTEM),
            [sealed(other, Client.name_ct)],
            purpose=Purpose.ADMINISTRATION,
        )


def test_preview_shows_what_the_member_would_see_and_is_logged(db: Session, world: World) -> None:
    housing = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    health = write_section(db, world, SectionKind.HEALTH, "Päihdekuntoutus")
    grant(db, world, world.housing_member, SectionKind.HOUSING)
    shown = new_gate().preview(
        world.county_worker,
        world.housing_staff,
        [
            sealed(housing, PlanSectionVersion.content_ct),
            sealed(health, PlanSectionVersion.content_ct),
        ],
    )
    assert [json.loads(p.text)["goals"] if p.text else None for p in shown] == ["Oma asunto", None]
    assert shown[1].decision.reason is Reason.DENIED_SECTION_NOT_IN_SCOPE
    previews = db.scalars(select(AccessLogEntry).where(AccessLogEntry.action == "preview")).all()
    assert {(p.scope, p.allowed) for p in previews} == {
        ("section:housing", True),
        ("section:health", False),
    }
    assert all(
        p.previewed_as == f"organisation:{world.housing_staff.organisation_id}" for p in previews
    )


def test_reads_writes_and_denials_are_logged_with_actor_and_basis(
    db: Session, world: World
) -> None:
    version = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    consent = grant(db, world, world.housing_member, SectionKind.HOUSING)
    db.commit()
    read(world.housing_staff, version, SectionKind.HOUSING)  # logged, not yet committed
    with pytest.raises(AccessDenied):
        read(world.outsider, version, SectionKind.HOUSING)
    rows = db.scalars(
        select(AccessLogEntry)
        .where(
            AccessLogEntry.client_id == world.client.id, AccessLogEntry.scope == "section:housing"
        )
        .order_by(AccessLogEntry.seq)
    ).all()
    summary = [(r.action, r.actor_role, r.allowed, r.basis_kind) for r in rows]
    assert ("write", "caseworker", True, "relationship") in summary
    assert ("read", "partner", True, "consent") in summary
    assert ("read", "partner", False, None) in summary
    assert next(r for r in rows if r.basis_kind == "consent").basis_id == consent.id


def test_a_refused_page_still_leaves_its_log_row(client, db: Session) -> None:  # type: ignore[no-untyped-def]
    county = factories.organisation(db)
    record, _ = factories.client(db, county, name="Kuvitteellinen Kalle")
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db))
    db.commit()
    login(client, stranger.username)
    assert client.get(f"/caseworker/clients/{record.id}").status_code == 404
    denied = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == record.id, AccessLogEntry.allowed.is_(False)
        )
    ).all()
    assert [(d.actor_user_id, d.reason) for d in denied] == [
        (stranger.id, Reason.DENIED_OTHER_COUNTY.value)
    ]


def test_destroyed_keys_make_content_unreadable_but_keep_the_log(db: Session, world: World) -> None:
    version = write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    read(world.county_worker, version, SectionKind.HOUSING, Purpose.CASE_WORK)
    entries = db.scalar(
        select(func.count(AccessLogEntry.id)).where(AccessLogEntry.client_id == world.client.id)
    )
    seal.destroy_client_keys(db, world.client.id, factories.now())
    assert (
        db.scalar(
            select(func.count(DataKey.id)).where(
                DataKey.client_id == world.client.id, DataKey.wrapped.is_not(None)
            )
        )
        == 0
    )
    with pytest.raises(DecryptionError):
        read(world.county_worker, version, SectionKind.HOUSING, Purpose.CASE_WORK)
    assert (
        db.scalar(
            select(func.count(AccessLogEntry.id)).where(AccessLogEntry.client_id == world.client.id)
        )
        >= entries
    )


def test_maintenance_expires_consents_and_removes_their_seals_idempotently(
    db: Session, world: World
) -> None:
    from app.cases.facts import load_case_contexts
    from app.maintenance import commands as maintenance
    from consent.models import Consent, ConsentState
    from sharing.gate import AccessGate

    write_section(db, world, SectionKind.HOUSING, "Oma asunto")
    consent = grant(db, world, world.housing_member, SectionKind.HOUSING, until=TODAY)
    assert db.scalar(select(func.count(KeySeal.id)).where(KeySeal.basis_id == consent.id)) == 2
    tomorrow = factories.now() + timedelta(days=1)
    later = AccessGate(db, factories.keyring_of(), load_case_contexts, clock=lambda: tomorrow)
    first = maintenance.run(db, later, now=tomorrow, retention_years=10)
    assert (first.consents_expired, first.seals_removed) == (1, 2)
    assert db.get(Consent, consent.id).state is ConsentState.EXPIRED
    second = maintenance.run(db, later, now=tomorrow, retention_years=10)
    assert (second.consents_expired, second.seals_removed, second.cases_disposed) == (0, 0, 0)


def test_a_batched_write_decides_and_logs_once_per_client_and_scope(
    db: Session, world: World
) -> None:
    first = write_section(db, world, SectionKind.HOUSING, "Yksi")
    second = write_section(db, world, SectionKind.HOUSING, "Kaksi")

    def writes() -> list[str]:
        return list(
            db.scalars(select(AccessLogEntry.scope).where(AccessLogEntry.action == "write"))
        )

    before = writes()
    values = new_gate().write_texts(
        world.county_worker,
        [
            (field_ref(first, PlanSectionVersion.content_ct), json.dumps({"goals": "Uusi yksi"})),
            (field_ref(second, PlanSectionVersion.content_ct), json.dumps({"goals": "Uusi 2"})),
            (field_ref(world.client, Client.identity_code_ct), None),
        ],
        purpose=Purpose.CASE_WORK,
    )
    assert values[2] is None
    first.content_ct, second.content_ct = values[0], values[1]  # type: ignore[assignment]
    assert read(world.county_worker, second, SectionKind.HOUSING, Purpose.CASE_WORK) == "Uusi 2"
    assert sorted(writes()) == sorted([*before, "section:housing", "basic"])
