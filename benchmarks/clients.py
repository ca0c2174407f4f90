"""One generated client: the rows the app would have written for them, encrypted as it would.

A client has a case in their county with a responsible worker, a portal account, a support
network (the national organisations, local ones and close persons), a plan whose sections
have versions, consents to the network members with their whole history (each member's
consent amended several times; the last one in force, revoked or expired), now and then a
statutory disclosure, the key seals their live grants need, and an access log.

What is reused from the app, so the data is what the app writes and reads:

- ciphertexts: ``sharing.envelope.seal`` under the client's own data keys (one per scope,
  wrapped by ``Keyring.wrap`` in the context ``sharing.keys`` binds), each bound to the
  ``FieldRef`` that ``sharing.fields`` derives from the model's declared encrypted column;
- consents and their events: ``consent.service.ConsentTerms`` (validated, with its
  ``snapshot`` as the events' shape) and the columns ``consent.service.grant`` fills;
- key seals: ``consent.decision.live_grants`` over the same ``CaseContext`` that
  ``AccessGate.sync_seals`` builds, sealed with ``sharing.seal.SUITE`` and its ``info``;
- the log: ``benchmarks.log_rows`` (``sharing.access_log.entry_mac`` and its chain).

The only thing not done as the app does it is doing it one client at a time through the
ORM; the functional test ``tests/functional/test_bench_data.py`` reads the result back
through the app's gate and checks that ``sync_seals`` finds nothing to change.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import InstrumentedAttribute

from app.consents.texts import FIRST_VERSION
from app.intake.identity_code import make as identity_code
from app.models import Client, MemberKind, NetworkMember, OrgKind, Phase, Role, ServiceTask
from app.models.plan import AgreementState, PlanSectionVersion
from app.network.rules import MEMBER_KIND_OF
from app.plan.content import SectionContent
from benchmarks.log_rows import Actors, Grantee, chain_rows
from benchmarks.scale import Scale
from benchmarks.world import Organisation, World, grantee_key_row
from consent.decision import live_grants
from consent.facts import CaseContext, ConsentFacts, Direction, Membership, Purpose, StatutoryFacts
from consent.models import Consent, ConsentEventKind, ConsentState, GivenHow, StatutoryDisclosure
from consent.sections import Scope, SectionKind, scope_key
from consent.service import ConsentTerms
from sharing import envelope, keys, seal
from sharing.envelope import FieldRef
from sharing.fields import declaration
from sharing.keys import Keyring
from sharing.models import DataKey

# Every plan has these; the other sections are drawn per client.
CORE_SECTIONS = (SectionKind.LIVELIHOOD, SectionKind.HOUSING, SectionKind.RELEASE_TRANSITION)
NATIONAL_SHARE = 0.95  # how often a national organisation is in a client's network
CLOSED_SHARE = 0.04
STATUTORY_SHARE = 0.10
PROVISION = "Laki yhdyskuntaseuraamusten täytäntöönpanosta 400/2015 (kuvitteellinen peruste)"


def ref(
    column: InstrumentedAttribute[Any],
    row_id: uuid.UUID,
    client_id: uuid.UUID,
    kind: SectionKind | None = None,
) -> FieldRef:
    """The ``FieldRef`` ``sharing.fields.field_ref`` gives a row of ``column``'s model,
    built from the model's declaration without an ORM object (a million of those is slow)."""
    declared = declaration(column)
    scope: Scope | None = declared.scope if declared.scope is not None else kind
    if scope is None:
        raise TypeError(f"{column} is sealed by section: name the section")
    return FieldRef(column.class_.__tablename__, column.key, row_id, client_id, scope)


@dataclass
class ClientRows:
    """What one client adds to each table, and what the benchmarks may ask of it."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shared_with_kela: list[tuple[uuid.UUID, SectionKind]] = field(default_factory=list)
    client_username: str | None = None  # set when the client's case is open

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


class _Keys:
    """The client's data keys, one per scope (generation 1), and what they seal."""

    def __init__(self, keyring: Keyring, client_id: uuid.UUID, at: datetime, out: ClientRows):
        self._keyring, self._client_id, self._at, self._out = keyring, client_id, at, out
        self.by_scope: dict[str, tuple[DataKey, bytes]] = {}

    def key(self, scope: Scope) -> tuple[DataKey, bytes]:
        name = scope_key(scope)
        if name not in self.by_scope:
            row = DataKey(id=uuid.uuid4(), client_id=self._client_id, scope=name, generation=1)
            secret = AESGCM.generate_key(256)
            # The context ``sharing.keys.create_data_key`` wraps a new key in.
            master_key_id, wrapped = self._keyring.wrap(secret, keys._data_key_context(row))
            self._out.add(
                "data_keys",
                {
                    "id": row.id,
                    "client_id": self._client_id,
                    "scope": name,
                    "generation": 1,
                    "master_key_id": master_key_id,
                    "wrapped": wrapped,
                    "created_at": self._at,
                },
            )
            self.by_scope[name] = (row, secret)
        return self.by_scope[name]

    def seal_text(self, at: FieldRef, text: str) -> bytes:
        row, secret = self.key(at.scope)
        return envelope.seal(row.id, secret, at, text.encode())


class ClientFactory:
    """Builds clients of one world, one index at a time (deterministic shape per index)."""

    def __init__(self, world: World, keyring: Keyring, scale: Scale) -> None:
        self.world, self.keyring, self.scale = world, keyring, scale
        self._publics = {
            key_id: X25519PublicKey.from_public_bytes(public)
            for key_id, public in world.grantee_keys.values()
        }

    def build(self, index: int) -> ClientRows:
        world, scale = self.world, self.scale
        rng = random.Random(scale.seed * 1_000_003 + index)
        now = world.now
        out = ClientRows()
        client_id, case_id = uuid.uuid4(), uuid.uuid4()
        county_no = world.client_county[index]
        county = world.counties[county_no]
        worker = world.client_worker[index]
        opened = now - timedelta(days=rng.uniform(120, 1000))
        closed = rng.random() < CLOSED_SHARE
        secrets = _Keys(self.keyring, client_id, opened, out)

        out.add(
            "clients",
            {
                "id": client_id,
                "county_id": county.id,
                "name_ct": secrets.seal_text(
                    ref(Client.name_ct, client_id, client_id), f"Kuvitteellinen Asiakas {index:05d}"
                ),
                "identity_code_ct": secrets.seal_text(
                    ref(Client.identity_code_ct, client_id, client_id),
                    identity_code(
                        date(1960, 1, 1) + timedelta(days=index % 14000), 900 + index % 100
                    ),
                ),
                "created_at": opened,
            },
        )
        username = f"bench.client.{index:05d}"
        client_user = uuid.uuid4()
        out.add(
            "users",
            {
                "id": client_user,
                "username": username,
                "display_name": "",
                "password_hash": world.password_hash,
                "role": Role.CLIENT,
                "organisation_id": None,
                "client_id": client_id,
                "locale": "fi",
                "created_at": opened,
            },
        )
        out.client_username = None if closed else username
        release = now.date() + timedelta(days=rng.randint(-200, 400))
        out.add(
            "cases",
            {
                "id": case_id,
                "client_id": client_id,
                "county_id": county.id,
                "prison_id": world.prison.id,
                "probation_office_id": world.probation.id,
                "phase": Phase.CLOSED
                if closed
                else rng.choice([p for p in Phase if p is not Phase.CLOSED]),
                "service_task": rng.choice(list(ServiceTask)),
                "sentence_start": release - timedelta(days=rng.randint(200, 2000)),
                "conditional_release": release,
                "opened_at": opened,
                "closed_at": now - timedelta(days=rng.uniform(1, 60)) if closed else None,
            },
        )
        out.add(
            "responsible_workers",
            {
                "id": uuid.uuid4(),
                "case_id": case_id,
                "worker_id": worker,
                "starts_on": opened.date(),
                "assigned_by_id": worker,
                "assigned_at": opened,
            },
        )

        members = self._members(rng, out, secrets, client_id, case_id, county_no, worker, opened)
        kinds = self._plan(rng, out, secrets, client_id, case_id, worker, opened)
        consents = self._consents(rng, out, secrets, client_id, case_id, worker, members, kinds)
        statutory = self._statutory(rng, out, secrets, client_id, case_id, worker, members, kinds)
        case = CaseContext(
            client_id=client_id,
            county_id=county.id,
            responsible_worker_id=worker,
            closed_at=out.rows["cases"][0]["closed_at"],
            memberships=tuple(m.facts for m in members),
            consents=tuple(consents),
            statutory=tuple(statutory),
        )
        self._seals(out, secrets, case, members, kinds, opened)

        by_member = {m.facts.id: m for m in members}
        grantees = []
        for consent in consents:
            if consent.ended_at is not None or consent.direction is not Direction.DISCLOSE:
                continue
            org = by_member[consent.member_id].org
            grantees.append(
                Grantee(
                    organisation_id=org.id if org else None,
                    member_id=consent.member_id,
                    staff=tuple(world.partner_staff[org.id]) if org else (),
                    consent_id=consent.id,
                    sections=tuple(sorted(consent.sections)),
                )
            )
        actors = Actors(
            worker=worker,
            colleague=rng.choice(world.caseworkers[county_no]),
            organisation_id=county.id,
            client_user=client_user,
            grantees=tuple(grantees),
            sections=tuple(kinds),
        )
        count = max(1, round(scale.log_rows_per_client * rng.uniform(0.5, 1.5)))
        assert self.keyring.log is not None
        log_keys = self.keyring.log
        out.rows["access_log"] = chain_rows(rng, client_id, actors, opened, now, count, log_keys)
        return out

    # -- the network ----------------------------------------------------------------------

    def _members(
        self,
        rng: random.Random,
        out: ClientRows,
        secrets: _Keys,
        client_id: uuid.UUID,
        case_id: uuid.UUID,
        county_no: int,
        worker: uuid.UUID,
        opened: datetime,
    ) -> list[_Member]:
        world = self.world
        orgs = [org for org in world.national if rng.random() < NATIONAL_SHARE]
        local_count = min(len(world.local[county_no]), max(0, self.scale.members_per_client - 5))
        orgs += rng.sample(
            world.local[county_no], rng.randint(max(0, local_count - 2), local_count + 2)
        )
        people = rng.choice([1, 2, 2, 3])
        members: list[_Member] = []
        for slot in range(len(orgs) + people):
            org = orgs[slot] if slot < len(orgs) else None
            member_id = uuid.uuid4()
            added = opened + timedelta(days=rng.uniform(0, 30))
            ended = rng.random() < 0.08
            ended_at = added + timedelta(days=rng.uniform(30, 90)) if ended else None
            if ended_at is not None and ended_at >= world.now:
                ended_at = None
            row: dict[str, Any] = {
                "id": member_id,
                "case_id": case_id,
                "client_id": client_id,
                "kind": MEMBER_KIND_OF[org.kind]
                if org
                else rng.choice([MemberKind.CLOSE_PERSON, MemberKind.PEER_EXPERT]),
                "organisation_id": org.id if org else None,
                "role_ct": secrets.seal_text(
                    ref(NetworkMember.role_ct, member_id, client_id), "Tukihenkilö (kuvitteellinen)"
                ),
                "starts_on": added.date(),
                "ended_at": ended_at,
                "ended_by_id": worker if ended_at else None,
                "added_by_id": worker,
                "added_at": added,
            }
            if org is None:
                row["person_name_ct"] = secrets.seal_text(
                    ref(NetworkMember.person_name_ct, member_id, client_id),
                    f"Kuvitteellinen Läheinen {slot}",
                )
            if org is None or not org.kind.is_authority:
                row["confidentiality_committed_on"] = added.date()
                row["confidentiality_recorded_by_id"] = worker
            out.add("network_members", row)
            members.append(
                _Member(
                    org,
                    Membership(
                        member_id, org.id if org else None, added.date(), None, ended_at, added
                    ),
                )
            )
        return members

    # -- the plan -------------------------------------------------------------------------

    def _plan(
        self,
        rng: random.Random,
        out: ClientRows,
        secrets: _Keys,
        client_id: uuid.UUID,
        case_id: uuid.UUID,
        worker: uuid.UUID,
        opened: datetime,
    ) -> list[SectionKind]:
        others = [k for k in SectionKind if k not in CORE_SECTIONS]
        extra = max(0, self.scale.sections_per_plan - len(CORE_SECTIONS))
        kinds = [*CORE_SECTIONS, *rng.sample(others, min(extra, len(others)))]
        plan_id = uuid.uuid4()
        out.add(
            "client_plans",
            {
                "id": plan_id,
                "case_id": case_id,
                "client_id": client_id,
                "created_at": opened,
                "created_by_id": worker,
            },
        )
        for kind in kinds:
            section_id = uuid.uuid4()
            versions = self.scale.versions_per_section
            out.add(
                "plan_sections",
                {
                    "id": section_id,
                    "plan_id": plan_id,
                    "client_id": client_id,
                    "kind": kind,
                    "current_version": versions,
                },
            )
            for version in range(1, versions + 1):
                version_id = uuid.uuid4()
                content = SectionContent(
                    goals=f"Kuvitteellinen tavoite ({kind.value}, versio {version}).",
                    measures="Tapaamiset kerran viikossa; yhteydenotto tarvittaessa.",
                    client_view="Asiakkaan oma näkemys (kuvitteellinen).",
                    worker_view="Työntekijän arvio (kuvitteellinen).",
                ).to_json()
                out.add(
                    "plan_section_versions",
                    {
                        "id": version_id,
                        "section_id": section_id,
                        "client_id": client_id,
                        "version": version,
                        "content_ct": secrets.seal_text(
                            ref(PlanSectionVersion.content_ct, version_id, client_id, kind), content
                        ),
                        "agreement": AgreementState.AGREED if version > 1 else AgreementState.DRAFT,
                        "author_id": worker,
                        "created_at": opened + timedelta(days=10 * version),
                        "kind": kind,
                    },
                )
        return kinds

    # -- consents -------------------------------------------------------------------------

    def _consents(
        self,
        rng: random.Random,
        out: ClientRows,
        secrets: _Keys,
        client_id: uuid.UUID,
        case_id: uuid.UUID,
        worker: uuid.UUID,
        members: Sequence[_Member],
        kinds: Sequence[SectionKind],
    ) -> list[ConsentFacts]:
        """Each member's consents, oldest first: amended (superseded) until the newest,
        which is in force, revoked or expired. Events as ``consent.service`` appends them."""
        now = self.world.now
        facts: list[ConsentFacts] = []
        total = self.scale.consents_per_client
        per_member = [
            total // len(members) + (1 if n < total % len(members) else 0)
            for n in range(len(members))
        ]
        for member, count in zip(members, per_member, strict=True):
            if count == 0:
                continue
            start = member.facts.added_at
            span = (now - timedelta(days=1) - start) / count
            previous: dict[str, Any] | None = None
            for n in range(count):
                recorded = start + span * n + timedelta(minutes=rng.uniform(0, 60))
                chosen = set(rng.sample(list(kinds), rng.randint(1, 3)))
                if member.org is not None and member.org.kind is OrgKind.PUBLIC_SERVICE:
                    chosen.add(SectionKind.LIVELIHOOD)
                last = n == count - 1
                fate = rng.random() if last else 0.0
                valid_from = recorded.date()
                if last and fate > 0.9:  # expired: its last day has passed
                    valid_until: date | None = min(
                        now.date() - timedelta(days=1),
                        valid_from + timedelta(days=rng.randint(1, 60)),
                    )
                    valid_until = max(valid_until, valid_from)  # type: ignore[type-var]  # set just above
                elif last and fate < 0.3:
                    valid_until = None
                else:
                    valid_until = valid_from + timedelta(days=rng.randint(200, 900))
                terms = ConsentTerms(
                    member_id=member.facts.id,
                    sections=frozenset(chosen),
                    valid_from=valid_from,
                    valid_until=valid_until,
                    direction=Direction.OBTAIN if rng.random() < 0.1 else Direction.DISCLOSE,
                    purpose=Purpose.NETWORK_COOPERATION,
                )
                terms.validate()
                given_how = rng.choice(
                    [GivenHow.WRITTEN, GivenHow.WRITTEN, GivenHow.ELECTRONIC, GivenHow.ORAL]
                )
                recorder = None if given_how is GivenHow.ELECTRONIC else worker
                consent_id = uuid.uuid4()
                row: dict[str, Any] = {
                    "id": consent_id,
                    "client_id": client_id,
                    "case_id": case_id,
                    "member_id": terms.member_id,
                    "sections": sorted(s.value for s in terms.sections),
                    "direction": terms.direction,
                    "purpose": terms.purpose,
                    "purpose_text_ct": secrets.seal_text(
                        ref(Consent.purpose_text_ct, consent_id, client_id),
                        "Yhteistyö tuen järjestämiseksi (kuvitteellinen)",
                    ),
                    "valid_from": terms.valid_from,
                    "valid_until": terms.valid_until,
                    "given_how": given_how,
                    "information_text_version": FIRST_VERSION,
                    "recorded_by_id": recorder,
                    "recorded_at": recorded,
                    "state": ConsentState.ACTIVE,
                    "supersedes_id": previous["id"] if previous else None,
                }
                if previous is not None:  # this one amended the previous consent
                    previous.update(
                        state=ConsentState.SUPERSEDED, ended_at=recorded, ended_by_id=recorder
                    )
                    self._event(out, previous, ConsentEventKind.SUPERSEDED, recorder, recorded)
                self._event(out, row, ConsentEventKind.GRANTED, recorder, recorded)
                out.add("consents", row)
                previous = row
            assert previous is not None
            if fate > 0.9:
                expired_at = datetime.combine(
                    previous["valid_until"] + timedelta(days=1), datetime.min.time(), now.tzinfo
                )
                if expired_at < now:
                    previous["state"] = ConsentState.EXPIRED
                    self._event(out, previous, ConsentEventKind.EXPIRED, None, expired_at)
            elif fate > 0.8:
                ended = previous["recorded_at"] + (now - previous["recorded_at"]) / 2
                previous.update(state=ConsentState.REVOKED, ended_at=ended, ended_by_id=worker)
                self._event(out, previous, ConsentEventKind.REVOKED, worker, ended)
        for row in out.rows.get("consents", []):
            facts.append(
                _terms(row).facts(
                    row["id"], row.get("ended_at"), row["state"] is ConsentState.REVOKED
                )
            )
        return facts

    @staticmethod
    def _event(
        out: ClientRows,
        consent: dict[str, Any],
        kind: ConsentEventKind,
        actor: uuid.UUID | None,
        at: datetime,
    ) -> None:
        out.add(
            "consent_events",
            {
                "id": uuid.uuid4(),
                "consent_id": consent["id"],
                "client_id": consent["client_id"],
                "kind": kind,
                "at": at,
                "actor_user_id": actor,
                "snapshot": _terms(consent).snapshot(),
            },
        )

    def _statutory(
        self,
        rng: random.Random,
        out: ClientRows,
        secrets: _Keys,
        client_id: uuid.UUID,
        case_id: uuid.UUID,
        worker: uuid.UUID,
        members: Sequence[_Member],
        kinds: Sequence[SectionKind],
    ) -> list[StatutoryFacts]:
        probation = [m for m in members if m.org is not None and m.org.kind is OrgKind.PROBATION]
        if not probation or rng.random() >= STATUTORY_SHARE:
            return []
        member = probation[0]
        disclosure_id = uuid.uuid4()
        decided = member.facts.added_at + timedelta(days=rng.uniform(1, 30))
        sections = frozenset({SectionKind.RELEASE_TRANSITION})
        valid_until = self.world.now.date() + timedelta(days=rng.randint(30, 365))
        out.add(
            "statutory_disclosures",
            {
                "id": disclosure_id,
                "client_id": client_id,
                "case_id": case_id,
                "member_id": member.facts.id,
                "sections": sorted(s.value for s in sections),
                "provision": PROVISION,
                "justification_ct": secrets.seal_text(
                    ref(StatutoryDisclosure.justification_ct, disclosure_id, client_id),
                    "Valvonnan järjestäminen (kuvitteellinen perustelu)",
                ),
                "decided_by_id": worker,
                "decided_at": decided,
                "valid_from": decided.date(),
                "valid_until": valid_until,
            },
        )
        return [
            StatutoryFacts(
                disclosure_id, member.facts.id, sections, decided.date(), valid_until, None, decided
            )
        ]

    # -- key seals ------------------------------------------------------------------------

    def _seals(
        self,
        out: ClientRows,
        secrets: _Keys,
        case: CaseContext,
        members: Sequence[_Member],
        kinds: Sequence[SectionKind],
        opened: datetime,
    ) -> None:
        """The seals ``AccessGate.sync_seals`` would keep for the live grants now."""
        by_id = {m.facts.id: m for m in members}
        person_keys: dict[uuid.UUID, tuple[uuid.UUID, X25519PublicKey]] = {}
        required: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], tuple[Any, ...]] = {}
        for grant in live_grants(case, self.world.now):
            member = by_id[grant.member_id]
            if member.org is not None:
                grantee_id, _ = self.world.grantee_keys[member.org.id]
                public = self._publics[grantee_id]
            else:
                if grant.member_id not in person_keys:
                    row, raw = grantee_key_row(
                        self.keyring, organisation_id=None, member_id=grant.member_id, at=opened
                    )
                    out.add("grantee_keys", row)
                    person_keys[grant.member_id] = (
                        row["id"],
                        X25519PublicKey.from_public_bytes(raw),
                    )
                grantee_id, public = person_keys[grant.member_id]
            name = scope_key(grant.scope)
            if name not in secrets.by_scope:
                continue  # no key for the scope yet: nothing to seal (as sync_seals)
            key, _ = secrets.by_scope[name]
            required[(key.id, grantee_id, grant.basis_id)] = (grant, public)
            if (
                member.org is not None
                and member.org.id == self.world.kela.id
                and isinstance(grant.scope, SectionKind)
                and grant.scope in kinds
                and case.closed_at is None
            ):
                out.shared_with_kela.append((case.client_id, grant.scope))
        for (key_id, grantee_id, basis_id), (grant, public) in required.items():
            key, secret = secrets.by_scope[scope_key(grant.scope)]
            seal_id = uuid.uuid4()
            # Its record, as ``sharing.seal.sync_seals`` keeps one beside every seal.
            out.add(
                "key_seal_records",
                {
                    "id": uuid.uuid4(),
                    "seal_id": seal_id,
                    "client_id": case.client_id,
                    "data_key_id": key_id,
                    "grantee_key_id": grantee_id,
                    "member_id": grant.member_id,
                    "scope": scope_key(grant.scope),
                    "basis_kind": grant.basis_kind.value,
                    "basis_id": basis_id,
                    "created_at": self.world.now,
                    "removed_at": None,
                },
            )
            out.add(
                "key_seals",
                {
                    "id": seal_id,
                    "client_id": case.client_id,
                    "data_key_id": key_id,
                    "grantee_key_id": grantee_id,
                    "member_id": grant.member_id,
                    "basis_kind": grant.basis_kind.value,
                    "basis_id": basis_id,
                    # The same suite and ``info`` binding as ``sharing.seal.sync_seals``.
                    "sealed": seal.SUITE.encrypt(
                        secret, public, info=seal._info(key, grantee_id, basis_id)
                    ),
                    "created_at": self.world.now,
                },
            )
        out.shared_with_kela = list(dict.fromkeys(out.shared_with_kela))


@dataclass(frozen=True)
class _Member:
    org: Organisation | None
    facts: Membership


def _terms(row: dict[str, Any]) -> ConsentTerms:
    """``consent.service.terms_of`` for a consent that is still a dict."""
    return ConsentTerms(
        member_id=row["member_id"],
        sections=frozenset(SectionKind(s) for s in row["sections"]),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        direction=row["direction"],
        purpose=row["purpose"],
    )
