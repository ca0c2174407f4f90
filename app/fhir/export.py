"""FHIR R4 export of one client's case: network, plan and consents, as the actor may see them.

The bundle (type ``collection``) is plain JSON-ready dicts; no FHIR library at run time.
What goes in mirrors the web pages of each role exactly:

- county staff (``Purpose.CASE_WORK``) and the client (``Purpose.OWN_DATA``): the
  Patient with the identity code, the network as a CareTeam (the county, the responsible
  worker as a Practitioner, every member as an Organization or RelatedPerson, ended ones
  with the end of their period), the plan as a CarePlan with a Goal per written section,
  and every consent of the case. The client sees only the current responsible worker, as
  "My network" does; the worker sees the history, as the overview does.
- partner staff (``Purpose.NETWORK_COOPERATION``): what the partner's client page shows
  and nothing else — the Patient's name, their own Organization, a CarePlan with the
  sections shared with the organisation now (found with ``app.partner_work.queries`` exactly
  as ``app/partner/views.py`` does, so the other sections' rows are never loaded), and
  the consents that are the organisation's live basis. No CareTeam: it would name others.

Every piece of client data is read through the gate in ONE batched call as the actor
(logged; a denial raises ``AccessDenied``). Statutory disclosures are not consents and
are left out (see ``export_bundle``). Ids are the rows' UUIDs and every reference is a
``urn:uuid:`` that resolves inside the bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assessment.queries import case_members
from app.models import (
    Case,
    Client,
    ClientPlan,
    MemberKind,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSection,
    PlanSectionVersion,
    ResponsibleWorker,
    User,
)
from app.models.plan import AgreementState
from app.partner_work.queries import client_access, shared_versions
from app.partner_work.rules import AccessState, ClientAccess
from app.plan.content import SectionContent
from app.plan.queries import current_versions, load_plan
from app.plan.rules import in_order
from consent.base import utcnow
from consent.decision import BasisKind, Reason
from consent.facts import Action, Actor, ActorRole, Direction, Purpose
from consent.models import Consent
from consent.sections import DataScope, SectionKind
from consent.service import facts_of
from consent.status import (
    ConsentStatus,
    MembershipStatus,
    consent_status,
    helsinki_day,
    membership_status,
)
from sharing.errors import AccessDenied
from sharing.fields import Sealed, sealed
from sharing.gate import AccessGate

JSONDict = dict[str, Any]

IDENTITY_CODE_SYSTEM = "urn:oid:1.2.246.21"  # Finnish personal identity code (henkilötunnus)
HL7 = "http://terminology.hl7.org/CodeSystem"
GOAL_ACCEPTANCE = "http://hl7.org/fhir/StructureDefinition/goal-acceptance"
LOINC = "http://loinc.org"
RELEASE_OF_INFORMATION = "64292-6"  # LOINC: Release of information consent

# Plain English displays: this is machine data, stable whatever the user's language.
SECTION_DISPLAY = {
    SectionKind.HOUSING: "Housing",
    SectionKind.LIVELIHOOD: "Livelihood and Kela",
    SectionKind.HEALTH: "Health and substance use",
    SectionKind.RELATIONSHIPS: "Relationships",
    SectionKind.EDUCATION_WORK: "Education and work",
    SectionKind.DIGITAL_INCLUSION: "Digital inclusion",
    SectionKind.EVERYDAY_LIFE: "Everyday life and community",
    SectionKind.RELEASE_TRANSITION: "Release transition",
    SectionKind.PROBATIONARY_LIBERTY: "Supervised probationary liberty",
    SectionKind.DESISTANCE: "Desistance goals",
    SectionKind.OTHER: "Other",
}
ORG_KIND_DISPLAY = {
    OrgKind.COUNTY: "Wellbeing-services county",
    OrgKind.PRISON: "Prison",
    OrgKind.PROBATION: "Community sanctions office",
    OrgKind.PUBLIC_SERVICE: "Public service",
    OrgKind.NGO: "NGO",
    OrgKind.PEER_SUPPORT: "Peer-support organisation",
    OrgKind.OTHER: "Other",
}
# HL7 organization-type: authorities are government, NGOs and peer support community groups.
ORG_KIND_HL7 = {
    OrgKind.COUNTY: ("govt", "Government"),
    OrgKind.PRISON: ("govt", "Government"),
    OrgKind.PROBATION: ("govt", "Government"),
    OrgKind.PUBLIC_SERVICE: ("govt", "Government"),
    OrgKind.NGO: ("cg", "Community Group"),
    OrgKind.PEER_SUPPORT: ("cg", "Community Group"),
    OrgKind.OTHER: ("other", "Other"),
}
COUNTY_ROLE = "county"
WORKER_ROLE = "responsible_worker"
ROLE_DISPLAY: dict[str, str] = {
    MemberKind.PUBLIC_SERVICE: "Public service",
    MemberKind.NGO: "NGO",
    MemberKind.PEER_EXPERT: "Peer expert",
    MemberKind.CLOSE_PERSON: "Close person",
    MemberKind.PRISON: "Prison",
    MemberKind.PROBATION: "Community sanctions office",
    MemberKind.OTHER: "Other",
    COUNTY_ROLE: "Wellbeing-services county organising the client's social care",
    WORKER_ROLE: "Responsible worker (omatyöntekijä)",
}
PURPOSE_DISPLAY = {
    Purpose.NETWORK_COOPERATION: "Cooperation in the client's support network",
    Purpose.CASE_WORK: "The county's social work with the client",
    Purpose.OWN_DATA: "The client's own use",
    Purpose.LIST: "Recognising the client in a list",
    Purpose.ADMINISTRATION: "Operations run by the system",
}
PURPOSE_OF_USE = {Purpose.NETWORK_COOPERATION: ("COC", "coordination of care")}  # v3-ActReason

# Where the consent stands (``consent.status``, which also reads the dates) → FHIR consent-state.
# A revoked, expired or superseded consent is "inactive" ("terminated or replaced");
# "rejected" would say a party refused it, which never happens here. An upcoming consent
# is already given and "to be followed", so it is "active" with a period starting later.
CONSENT_STATE = {
    ConsentStatus.LIVE: "active",
    ConsentStatus.UPCOMING: "active",
    ConsentStatus.REVOKED: "inactive",
    ConsentStatus.EXPIRED: "inactive",
    ConsentStatus.SUPERSEDED: "inactive",
}
GOAL_ACCEPTANCE_STATUS = {
    AgreementState.DRAFT: "pending",
    AgreementState.AGREED: "agree",
    AgreementState.DISAGREED: "disagree",
}


class SharingEnded(AccessDenied):
    """Raised when a partner organisation's basis for the client has ended.

    The partner's web page answers this case with "access ended" (403) rather than the
    plain 404; the caller may do the same. The denial is logged like any other.
    """


# -- the entry point -----------------------------------------------------------------------


def export_bundle(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    client: Client,
    case: Case,
    *,
    purpose: Purpose,
    base_url: str,
    now: datetime | None = None,
) -> JSONDict:
    """A FHIR R4 ``Bundle`` (``collection``) of the client's case as ``actor`` may see it.

    Statutory disclosures are left out: a FHIR Consent records the patient's own choice,
    and a receiving system would treat one as revocable by the client. They stay visible
    where the law puts them (the client's log, the caseworker's consent page).

    :raises SharingEnded: for partner staff whose organisation's basis has ended.
    :raises AccessDenied: when the gate refuses the actor this client (logged, and the
        session rolled back), or for a role that has no export.
    """
    if case.client_id != client.id:
        raise ValueError("the case is not the client's")
    at = now or utcnow()
    codes = Codes(base_url.rstrip("/"))
    if actor.role is ActorRole.PARTNER:
        resources = _partner_export(session, gate, actor, client, case, purpose, codes, at)
    elif actor.role in (ActorRole.CASEWORKER, ActorRole.CLIENT):
        resources = _full_export(session, gate, actor, client, case, purpose, codes, at)
    else:
        raise AccessDenied(Reason.DENIED_ROLE.value)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": _instant(at)},
        "type": "collection",
        "timestamp": _instant(at),
        "entry": [{"fullUrl": _urn(r["id"]), "resource": r} for r in resources],
    }


@dataclass(frozen=True)
class Codes:
    """Our own CodeSystem and extension URLs, under the service's base URL."""

    base: str

    def system(self, name: str) -> str:
        return f"{self.base}/fhir/CodeSystem/{name}"

    def extension(self, name: str) -> str:
        return f"{self.base}/fhir/StructureDefinition/{name}"

    @property
    def section(self) -> str:
        return self.system("plan-section")

    def section_coding(self, kind: SectionKind) -> JSONDict:
        return {"system": self.section, "code": kind.value, "display": SECTION_DISPLAY[kind]}

    def role_coding(self, role: str) -> JSONDict:
        return {
            "system": self.system("care-team-role"),
            "code": str(role),
            "display": ROLE_DISPLAY[role],
        }

    def information_text(self, version: str) -> str:
        """The published information text the client read (``portal.consent_information``)."""
        return f"{self.base}/my/consents/information/{version}"


# -- county staff and the client -----------------------------------------------------------


def _full_export(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    client: Client,
    case: Case,
    purpose: Purpose,
    codes: Codes,
    at: datetime,
) -> list[JSONDict]:
    """Everything the worker's pages (or the client's own pages) show, in one gate read."""
    county = session.get(Organisation, case.county_id)
    members = case_members(session, case.id)
    plan = load_plan(session, case.id)
    sections = in_order(plan.sections) if plan else []
    versions = current_versions(session, sections)
    written = [(s, versions[s.id]) for s in sections if s.id in versions]
    consents = list(
        session.scalars(
            select(Consent)
            .where(Consent.case_id == case.id)
            .order_by(Consent.recorded_at, Consent.id)
        )
    )
    workers = _responsible_workers(session, case, current_only=actor.role is ActorRole.CLIENT)

    refs: list[Sealed] = [
        sealed(client, Client.name_ct),
        sealed(client, Client.identity_code_ct),
    ]
    refs += [
        sealed(m, column)
        for m in members
        for column in (NetworkMember.person_name_ct, NetworkMember.role_ct)
    ]
    refs += [sealed(v, PlanSectionVersion.content_ct) for s, v in written]
    refs += [sealed(c, Consent.purpose_text_ct) for c in consents]
    texts = iter(gate.read_texts(actor, refs, purpose=purpose))
    name, identity_code = next(texts), next(texts)
    person_names: dict[uuid.UUID, str | None] = {}
    roles: dict[uuid.UUID, str | None] = {}
    for m in members:
        person_names[m.id], roles[m.id] = next(texts), next(texts)
    contents = {v.id: _content(next(texts)) for _, v in written}
    purposes = {c.id: next(texts) for c in consents}

    patient_ref = _ref(client.id)
    resources = [_patient(client, name, identity_code, county)]
    organisations = {o.id: o for o in [county] if o is not None}
    organisations |= {m.organisation.id: m.organisation for m in members if m.organisation}
    resources += [_organisation(o, codes) for o in organisations.values()]
    resources += [_practitioner(u) for u in {u.id: u for _, u in workers}.values()]
    resources += [
        _related_person(m, person_names[m.id], patient_ref, codes, at)
        for m in members
        if m.organisation_id is None
    ]
    resources.append(_care_team(case, county, workers, members, roles, patient_ref, codes))
    performers = {m.id: _member_ref(m) for m in members}
    if plan is not None:
        goals = [
            _goal(s, v, contents[v.id], case, patient_ref, codes, full=True) for s, v in written
        ]
        resources += goals
        resources.append(
            _care_plan(
                plan,
                case,
                written,
                contents,
                patient_ref,
                codes,
                care_team=_ref(case.id),
                performers=performers,
                full=True,
            )
        )
    resources += [
        _consent(
            c,
            patient_ref,
            performers[c.member_id],
            codes,
            at,
            purpose_text=purposes[c.id],
            county=county,
        )
        for c in consents
    ]
    return resources


def _responsible_workers(
    session: Session, case: Case, *, current_only: bool
) -> list[tuple[ResponsibleWorker, User]]:
    """The case's responsible-worker periods with the worker, oldest first (one query)."""
    query = (
        select(ResponsibleWorker, User)
        .join(User, User.id == ResponsibleWorker.worker_id)
        .where(ResponsibleWorker.case_id == case.id)
        .order_by(ResponsibleWorker.starts_on, ResponsibleWorker.assigned_at)
    )
    if current_only:
        query = query.where(ResponsibleWorker.ends_on.is_(None))
    return [(row, worker) for row, worker in session.execute(query).all()]


# -- partner staff -------------------------------------------------------------------------


def _partner_export(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    client: Client,
    case: Case,
    purpose: Purpose,
    codes: Codes,
    at: datetime,
) -> list[JSONDict]:
    """What the partner's client page shows: the name, the shared sections, the bases."""
    organisation_id = actor.organisation_id
    if organisation_id is None:  # partner accounts always belong to an organisation
        raise AccessDenied(Reason.DENIED_ROLE.value)
    record, newest, access = client_access(session, organisation_id, client.id, at=at)
    if record is None or newest is None or access.state is not AccessState.SHARED:
        _refuse(gate, actor, client.id, purpose, access)
    if newest is None or newest.id != case.id:  # only the newest case is ever shared
        raise AccessDenied(Reason.DENIED_NO_CASE.value)
    shared = access.sections
    versions = shared_versions(session, case.id, shared)
    read = [kind for kind in shared if kind in versions]
    texts = gate.read_texts(
        actor,
        [sealed(client, Client.name_ct)]
        + [sealed(versions[kind], PlanSectionVersion.content_ct) for kind in read],
        purpose=purpose,
    )
    contents = {
        versions[kind].id: _content(text) for kind, text in zip(read, texts[1:], strict=True)
    }
    organisation = session.get(Organisation, organisation_id)
    plan = session.scalar(select(ClientPlan).where(ClientPlan.case_id == case.id))
    basis_ids = [b.id for b in access.bases if b.kind is BasisKind.CONSENT]
    consents = (
        list(
            session.scalars(
                select(Consent)
                .where(Consent.id.in_(basis_ids))
                .order_by(Consent.recorded_at, Consent.id)
            )
        )
        if basis_ids
        else []
    )

    patient_ref = _ref(client.id)
    resources = [_patient(client, texts[0], None, None)]
    if organisation is not None:
        resources.append(_organisation(organisation, codes))
    if plan is not None:
        # The section rows are not loaded: the version's section id and kind are enough.
        written = [(_SectionRef(versions[k].section_id, k), versions[k]) for k in read]
        resources += [
            _goal(s, v, contents[v.id], case, patient_ref, codes, full=False) for s, v in written
        ]
        resources.append(
            _care_plan(
                plan,
                case,
                written,
                contents,
                patient_ref,
                codes,
                care_team=None,
                performers={},
                full=False,
            )
        )
    resources += [
        _consent(c, patient_ref, _ref(organisation_id), codes, at, purpose_text=None, county=None)
        for c in consents
    ]
    return resources


@dataclass(frozen=True)
class _SectionRef:
    """A shared section known only by its id and kind (its row is never loaded)."""

    id: uuid.UUID
    kind: SectionKind


def _refuse(
    gate: AccessGate,
    actor: Actor,
    client_id: uuid.UUID,
    purpose: Purpose,
    access: ClientAccess,
) -> NoReturn:
    """Log the refused export through the gate, as the partner's page does, and raise.

    :raises SharingEnded: when the organisation's basis has ended.
    :raises AccessDenied: otherwise.
    """
    try:
        gate.check(actor, client_id, Action.READ, purpose, DataScope.NAME)
    except AccessDenied as denied:
        if access.state is AccessState.ENDED:
            raise SharingEnded(denied.reason) from denied
        raise
    # The gate would let the name be read, yet nothing is shared now (e.g. a basis that
    # names no section): the partner's page shows nothing then, and neither does this.
    raise AccessDenied(Reason.DENIED_NO_CONSENT.value)


# -- resources -----------------------------------------------------------------------------


def _patient(
    client: Client, name: str | None, identity_code: str | None, county: Organisation | None
) -> JSONDict:
    patient: JSONDict = {"resourceType": "Patient", "id": str(client.id)}
    if identity_code:
        patient["identifier"] = [
            {"use": "official", "system": IDENTITY_CODE_SYSTEM, "value": identity_code}
        ]
    if name:
        patient["name"] = [{"use": "official", "text": name}]
    if county is not None:
        patient["managingOrganization"] = _ref(county.id)
    return patient


def _organisation(organisation: Organisation, codes: Codes) -> JSONDict:
    hl7_code, hl7_display = ORG_KIND_HL7[organisation.kind]
    return {
        "resourceType": "Organization",
        "id": str(organisation.id),
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": codes.system("organisation-kind"),
                        "code": organisation.kind.value,
                        "display": ORG_KIND_DISPLAY[organisation.kind],
                    },
                    {
                        "system": f"{HL7}/organization-type",
                        "code": hl7_code,
                        "display": hl7_display,
                    },
                ]
            }
        ],
        "name": organisation.name,
    }


def _practitioner(worker: User) -> JSONDict:
    practitioner: JSONDict = {"resourceType": "Practitioner", "id": str(worker.id)}
    if worker.display_name:
        practitioner["name"] = [{"text": worker.display_name}]
    return practitioner


def _related_person(
    member: NetworkMember, name: str | None, patient_ref: JSONDict, codes: Codes, at: datetime
) -> JSONDict:
    person: JSONDict = {
        "resourceType": "RelatedPerson",
        "id": str(member.id),
        "active": membership_status(member.membership(), at) is MembershipStatus.ACTIVE,
        "patient": patient_ref,
        "relationship": [
            {"coding": [codes.role_coding(member.kind)], "text": ROLE_DISPLAY[member.kind]}
        ],
        "period": _membership_period(member),
    }
    if name:
        person["name"] = [{"text": name}]
    return person


def _care_team(
    case: Case,
    county: Organisation | None,
    workers: Sequence[tuple[ResponsibleWorker, User]],
    members: Sequence[NetworkMember],
    roles: dict[uuid.UUID, str | None],
    patient_ref: JSONDict,
    codes: Codes,
) -> JSONDict:
    """The support network (tukiverkosto) of the case: the county, its responsible worker
    and every member the case has had, each with the period of its part."""
    participants: list[JSONDict] = []
    if county is not None:
        participants.append(
            {
                "role": [{"coding": [codes.role_coding(COUNTY_ROLE)]}],
                "member": _ref(county.id),
                "period": _period(case.opened_at, case.closed_at),
            }
        )
    for row, worker in workers:
        participant: JSONDict = {
            "role": [{"coding": [codes.role_coding(WORKER_ROLE)]}],
            "member": _ref(worker.id),
            "period": _period(row.starts_on, row.ends_on),
        }
        if county is not None:
            participant["onBehalfOf"] = _ref(county.id)
        participants.append(participant)
    for member in members:
        role: JSONDict = {"coding": [codes.role_coding(member.kind)]}
        if text := (roles.get(member.id) or "").strip():
            role["text"] = text
        participants.append(
            {"role": [role], "member": _member_ref(member), "period": _membership_period(member)}
        )
    team: JSONDict = {
        "resourceType": "CareTeam",
        "id": str(case.id),
        "status": "inactive" if case.closed_at is not None else "active",
        "name": "Support network",
        "subject": patient_ref,
        "period": _period(case.opened_at, case.closed_at),
        "participant": participants,
    }
    if county is not None:
        team["managingOrganization"] = [_ref(county.id)]
    return team


@dataclass(frozen=True)
class _Texts:
    """A section version's texts (``SectionContent``, stripped); missing ones are ""."""

    goals: str = ""
    measures: str = ""
    client_view: str = ""
    worker_view: str = ""


def _content(text: str | None) -> _Texts:
    """The texts of a version; an unreadable or foreign shape counts as empty."""
    content = SectionContent.parse(text)
    if isinstance(content.plain, str):
        return _Texts(goals=content.plain)
    return _Texts(*(value.strip() for value in content.texts().values()))


def _goal(
    section: PlanSection | _SectionRef,
    version: PlanSectionVersion,
    texts: _Texts,
    case: Case,
    patient_ref: JSONDict,
    codes: Codes,
    *,
    full: bool,
) -> JSONDict:
    """One plan section as a Goal: the goals in the client's own words, both views as notes.

    ``full`` adds what only the worker's and the client's pages show: the agreement with
    the client (the standard goal-acceptance extension) and the section's review date.
    """
    coding = codes.section_coding(section.kind)
    goal: JSONDict = {
        "resourceType": "Goal",
        "id": str(section.id),
        "meta": {"lastUpdated": _instant(version.created_at)},
        "lifecycleStatus": _lifecycle(version.agreement, case),
        "category": [{"coding": [coding]}],
        "description": {"text": texts.goals} if texts.goals else {"coding": [coding]},
        "subject": patient_ref,
        # The goals are written in the client's own words (SHL § 39).
        "expressedBy": patient_ref,
    }
    notes = []
    if texts.client_view:
        notes.append({"authorReference": patient_ref, "text": texts.client_view})
    if texts.worker_view:
        notes.append({"authorString": "Social worker", "text": texts.worker_view})
    if notes:
        goal["note"] = notes
    if full:
        extensions: list[JSONDict] = [
            {
                "url": GOAL_ACCEPTANCE,
                "extension": [
                    {"url": "individual", "valueReference": patient_ref},
                    {"url": "status", "valueCode": GOAL_ACCEPTANCE_STATUS[version.agreement]},
                ],
            }
        ]
        if version.review_on is not None:
            extensions.append(
                {"url": codes.extension("review-date"), "valueDate": version.review_on.isoformat()}
            )
        goal["extension"] = extensions
    return goal


def _lifecycle(agreement: AgreementState, case: Case) -> str:
    if case.closed_at is not None:
        return "completed"
    return "proposed" if agreement is AgreementState.DRAFT else "active"


def _activity_status(agreement: AgreementState, case: Case) -> str:
    if case.closed_at is not None:
        return "completed"
    return "not-started" if agreement is AgreementState.DRAFT else "in-progress"


def _care_plan(
    plan: ClientPlan,
    case: Case,
    written: Sequence[tuple[PlanSection | _SectionRef, PlanSectionVersion]],
    contents: dict[uuid.UUID, _Texts],
    patient_ref: JSONDict,
    codes: Codes,
    *,
    care_team: JSONDict | None,
    performers: dict[uuid.UUID, JSONDict],
    full: bool,
) -> JSONDict:
    """The client plan (asiakassuunnitelma); each written section is a Goal and, when it
    has agreed measures, an activity naming the members responsible for them."""
    activities = []
    for section, version in written:
        texts = contents[version.id]
        if not texts.measures:
            continue
        detail: JSONDict = {
            "code": {"coding": [codes.section_coding(section.kind)]},
            "status": _activity_status(version.agreement, case),
            "description": texts.measures,
            "goal": [_ref(section.id)],
        }
        if full:
            named = [
                performers[r.member_id] for r in version.responsibles if r.member_id in performers
            ]
            if named:
                detail["performer"] = named
        activities.append({"detail": detail})
    care_plan: JSONDict = {
        "resourceType": "CarePlan",
        "id": str(plan.id),
        "status": "completed" if case.closed_at is not None else "active",
        "intent": "plan",
        "title": "Client plan",
        "subject": patient_ref,
    }
    if full:
        care_plan["period"] = _period(plan.created_at, case.closed_at)
        care_plan["created"] = _instant(plan.created_at)
        if plan.review_on is not None:
            care_plan["extension"] = [
                {"url": codes.extension("review-date"), "valueDate": plan.review_on.isoformat()}
            ]
    if care_team is not None:
        care_plan["careTeam"] = [care_team]
    if written:
        care_plan["goal"] = [_ref(section.id) for section, _ in written]
    if activities:
        care_plan["activity"] = activities
    return care_plan


def _consent(
    consent: Consent,
    patient_ref: JSONDict,
    grantee_ref: JSONDict,
    codes: Codes,
    at: datetime,
    *,
    purpose_text: str | None,
    county: Organisation | None,
) -> JSONDict:
    """A consent: a permit for the grantee, for a purpose and period, with one nested
    provision per plan section it covers (so, per organisation and section)."""
    disclose = consent.direction is Direction.DISCLOSE
    actors = [
        {
            "role": {
                "coding": [
                    {
                        "system": f"{HL7}/v3-ParticipationType",
                        "code": "IRCP" if disclose else "INF",
                        "display": "information recipient" if disclose else "informant",
                    }
                ]
            },
            "reference": grantee_ref,
        }
    ]
    if not disclose and county is not None:
        actors.append(
            {
                "role": {
                    "coding": [
                        {
                            "system": f"{HL7}/v3-ParticipationType",
                            "code": "IRCP",
                            "display": "information recipient",
                        }
                    ]
                },
                "reference": _ref(county.id),
            }
        )
    purposes = [
        {
            "system": codes.system("purpose"),
            "code": consent.purpose.value,
            "display": PURPOSE_DISPLAY[consent.purpose],
        }
    ]
    if consent.purpose in PURPOSE_OF_USE:
        code, display = PURPOSE_OF_USE[consent.purpose]
        purposes.append({"system": f"{HL7}/v3-ActReason", "code": code, "display": display})
    end: date | datetime | None = consent.valid_until
    if consent.ended_at is not None and (end is None or helsinki_day(consent.ended_at) <= end):
        end = consent.ended_at  # revoked or replaced: it stopped applying at this instant
    action = "disclose" if disclose else "collect"
    provision: JSONDict = {
        "type": "permit",
        "period": _period(consent.valid_from, end),
        "actor": actors,
        "action": [{"coding": [{"system": f"{HL7}/consentaction", "code": action}]}],
        "purpose": purposes,
        "provision": [
            {"type": "permit", "code": [{"coding": [codes.section_coding(kind)]}]}
            for kind in SectionKind
            if kind.value in consent.sections
        ],
    }
    resource: JSONDict = {
        "resourceType": "Consent",
        "id": str(consent.id),
        "status": CONSENT_STATE[consent_status(facts_of(consent), at)],
        "scope": {
            "coding": [{"system": f"{HL7}/consentscope", "code": "patient-privacy"}],
        },
        "category": [
            {
                "coding": [
                    {
                        "system": LOINC,
                        "code": RELEASE_OF_INFORMATION,
                        "display": "Release of information consent",
                    }
                ]
            }
        ],
        "patient": patient_ref,
        "dateTime": _instant(consent.recorded_at),
        "performer": [patient_ref],  # the grantor: the client
        "policy": [{"uri": codes.information_text(consent.information_text_version)}],
        "policyRule": {"coding": [{"system": f"{HL7}/v3-ActCode", "code": "OPTIN"}]},
        "provision": provision,
    }
    if county is not None:
        resource["organization"] = [_ref(county.id)]
    if purpose_text:
        # The purpose in the client's words has no element of its own in R4.
        resource["extension"] = [
            {"url": codes.extension("consent-purpose-text"), "valueString": purpose_text}
        ]
    return resource


# -- values --------------------------------------------------------------------------------


def _urn(resource_id: object) -> str:
    return f"urn:uuid:{resource_id}"


def _ref(resource_id: object) -> JSONDict:
    return {"reference": _urn(resource_id)}


def _member_ref(member: NetworkMember) -> JSONDict:
    """A member is its organisation's Organization, or its own RelatedPerson."""
    return _ref(member.organisation_id if member.organisation_id is not None else member.id)


def _membership_period(member: NetworkMember) -> JSONDict:
    """Ended by hand: at that instant; otherwise the planned last day (inclusive)."""
    return _period(member.starts_on, member.ended_at or member.ends_on)


def _period(start: date | datetime | None, end: date | datetime | None) -> JSONDict:
    return {
        key: _instant(value) if isinstance(value, datetime) else value.isoformat()
        for key, value in (("start", start), ("end", end))
        if value is not None
    }


def _instant(value: datetime) -> str:
    return value.isoformat()
