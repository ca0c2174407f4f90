"""The client plan: its sections as each role may read them, and caseworkers' writes.

Reads follow the web pages exactly: caseworkers read the plan as the plan page does
(``queries.read_plan``), the client as "My plan" does (``queries.read_my_plan``), and partner
staff as their client page does: only the sections shared with the organisation now
(``shared_versions``: the other sections' rows are never loaded) in one gate read.

A write is the plan section form's POST: lock the plan (``read_plan(for_update=True)``),
check the ETag against the version now stored, then ``save_section``, which checks the
plan's rules. Of two writers with the same ETag, one saves and the other gets 412.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy.exc import IntegrityError

from app.api import bp
from app.api.access import Reach, reach, require_open
from app.api.clients import WorkerRef
from app.api.etags import etag_of, require_match
from app.api.problems import STALE, VALIDATION, problem
from app.api.schemas import Strict, enum_field
from app.api.spec import MarshalResult, operation
from app.extensions import db_session
from app.i18n import helsinki_today
from app.models import PlanSection, PlanSectionVersion, Role, User
from app.models.plan import AgreementState
from app.partner_work.queries import shared_versions
from app.plan import commands, queries
from app.plan.commands import SectionRefused, StaleSection
from app.plan.content import SectionContent
from app.plan.queries import MySection, PlanView, SectionView
from app.plan.rules import EMPTY, TEXT_LIMIT, SectionInput
from app.security import gate
from consent.decision import BasisKind
from consent.facts import Action
from consent.sections import SectionKind
from sharing.fields import sealed

MAX_RESPONSIBLE = 50
SECTION_RULE = (
    "/clients/<uuid:client_id>/plan/sections/<any("
    + ", ".join(kind.value for kind in SectionKind)
    + "):kind>"
)
READERS = (Role.CASEWORKER, Role.CLIENT, Role.PARTNER)


# -- schemas -------------------------------------------------------------------------------


class PlanResponsibleOut(Strict):
    id = fields.UUID(metadata={"description": "The network member (not given to the client)."})
    name = fields.String(required=True)


class PlanSharedOn(Strict):
    kind = enum_field(BasisKind, required=True)
    id = fields.UUID(required=True)
    until = fields.Date(
        required=True, allow_none=True, metadata={"description": "The last day, inclusive."}
    )
    provision = fields.String(
        required=True, allow_none=True, metadata={"description": "A statutory disclosure's."}
    )


class PlanSectionOut(Strict):
    """A section's current version. Which fields are present depends on the role, as on its
    web page: partner staff get the texts, the time and the basis of the sharing."""

    kind = enum_field(SectionKind, required=True)
    version = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: nothing written yet."}
    )
    etag = fields.String(
        required=True, allow_none=True, metadata={"description": "Send it back in If-Match."}
    )
    goals = fields.String(required=True, metadata={"description": "In the client's own words."})
    measures = fields.String(required=True, metadata={"description": "Agreed measures."})
    client_view = fields.String(required=True)
    worker_view = fields.String(required=True)
    updated_at = fields.AwareDateTime(required=True, allow_none=True)
    agreement = enum_field(AgreementState, allow_none=True)
    review_on = fields.Date(allow_none=True)
    responsible = fields.List(fields.Nested(PlanResponsibleOut))
    updated_by = fields.Nested(WorkerRef, allow_none=True)
    shared_on = fields.List(
        fields.Nested(PlanSharedOn), metadata={"description": "Partner staff: why you see it."}
    )


class PlanOut(Strict):
    review_on = fields.Date(
        allow_none=True, metadata={"description": "The whole plan's review (not for partners)."}
    )
    sections = fields.List(fields.Nested(PlanSectionOut), required=True)


def _text(**kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=validate.Length(max=TEXT_LIMIT), **kwargs)


class PlanSectionIn(Strict):
    """The whole section: every field is required, so nothing is reset by leaving it out."""

    goals = _text(metadata={"description": "In the client's own words; not empty."})
    measures = _text()
    client_view = _text()
    worker_view = _text()
    agreement = enum_field(
        AgreementState,
        required=True,
        metadata={"description": "`disagreed` needs both views written."},
    )
    responsible = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(max=MAX_RESPONSIBLE),
        metadata={"description": "Ids of the client's network members."},
    )
    review_on = fields.Date(
        required=True, allow_none=True, metadata={"description": "Not in the past."}
    )


# -- reading -------------------------------------------------------------------------------


def section_etag(section: PlanSection, version: PlanSectionVersion | None) -> str | None:
    """The ETag of a section as it stands (``None`` until its first version)."""
    return etag_of(section.id, version.version) if version is not None else None


def _worker_section(view: PlanView, shown: SectionView, author: User | None) -> dict[str, Any]:
    version, data = shown.version, shown.data
    assert version is not None
    return {
        "kind": shown.section.kind,
        "version": version.version,
        "etag": section_etag(shown.section, version),
        "goals": data.goals,
        "measures": data.measures,
        "client_view": data.client_view,
        "worker_view": data.worker_view,
        "updated_at": version.created_at,
        "agreement": data.agreement,
        "review_on": data.review_on,
        "responsible": [
            {"id": member_id, "name": view.names.get(member_id, "")}
            for member_id in sorted(data.responsible_ids)
        ],
        "updated_by": author,
    }


def _client_section(shown: MySection) -> dict[str, Any]:
    version = shown.version
    return {
        "kind": shown.kind,
        "version": version.version if version else None,
        "etag": section_etag(shown.section, version),
        **shown.texts,
        "updated_at": version.created_at if version else None,
        "agreement": version.agreement if version else None,
        "review_on": version.review_on if version else None,
        "responsible": [{"name": name} for name in shown.responsible],
        "updated_by": shown.author,
    }


def _partner_sections(found: Reach, kinds: list[SectionKind]) -> list[dict[str, Any]]:
    """The shared sections among ``kinds``, read as the partner's page reads them."""
    access = found.shared
    assert access is not None  # reach() gives partners their access
    kinds = [kind for kind in access.sections if kind in kinds]
    versions = shared_versions(db_session(), found.case.id, kinds)
    read = [kind for kind in kinds if kind in versions]
    texts = (
        gate().read_texts(
            found.actor,
            [sealed(versions[kind], PlanSectionVersion.content_ct) for kind in read],
            purpose=found.purpose,
        )
        if read
        else []
    )
    contents = dict(zip(read, texts, strict=True))
    sections = []
    for kind in kinds:
        version = versions.get(kind)
        sections.append(
            {
                "kind": kind,
                "version": version.version if version else None,
                "etag": etag_of(version.section_id, version.version) if version else None,
                **SectionContent.parse(contents.get(kind)).texts(),
                "updated_at": version.created_at if version else None,
                "shared_on": [
                    {"kind": b.kind, "id": b.id, "until": b.until, "provision": b.provision}
                    for b in access.bases_for(kind)
                ],
            }
        )
    return sections


@operation(
    bp,
    "/clients/<uuid:client_id>/plan",
    "GET",
    summary="The client plan: every section you may read, as it stands",
    tag="Plan",
    roles=READERS,
    response=PlanOut,
    statuses=(404,),
)
def client_plan(client_id: uuid.UUID) -> dict[str, Any]:
    """Caseworkers and the client: every section. Partner staff: only the sections shared
    with your organisation now (one that is shared but not written yet has `version`
    null)."""
    found = reach(client_id)
    if found.role is Role.PARTNER:
        return {"sections": _partner_sections(found, list(SectionKind))}
    if found.role is Role.CLIENT:
        mine = queries.read_my_plan(db_session(), gate(), found.actor, found.case.id, kind=None)
        if mine is None:
            return {"review_on": None, "sections": []}
        return {
            "review_on": mine.review_on,
            "sections": [_client_section(s) for s in mine.sections],
        }
    view = queries.read_plan(db_session(), gate(), found.actor, found.case)
    return {
        "review_on": view.plan.review_on if view.plan else None,
        "sections": [
            _worker_section(view, s, s.version.author if s.version else None)
            for s in view.sections
            if s.version is not None
        ],
    }


@operation(
    bp,
    SECTION_RULE,
    "GET",
    summary="One section of the client plan, with its ETag",
    tag="Plan",
    roles=READERS,
    response=PlanSectionOut,
    etag=True,
    statuses=(404,),
)
def get_plan_section(client_id: uuid.UUID, kind: str) -> MarshalResult:
    """404 when the section has not been written yet, or (partner staff) is not shared
    with your organisation now."""
    found = reach(client_id)
    section_kind = SectionKind(kind)
    if found.role is Role.PARTNER:
        assert found.shared is not None
        if section_kind not in found.shared.sections:
            # The gate refuses and logs the attempt (→ 404), as it would any unshared read.
            gate().check(found.actor, found.client.id, Action.READ, found.purpose, section_kind)
            abort(404)
        body = _partner_sections(found, [section_kind])[0]
    elif found.role is Role.CLIENT:
        mine = queries.read_my_plan(
            db_session(), gate(), found.actor, found.case.id, kind=section_kind
        )
        if mine is None or not mine.sections:
            abort(404)
        body = _client_section(mine.sections[0])
    else:
        view = queries.read_plan(
            db_session(), gate(), found.actor, found.case, kinds=[section_kind]
        )
        shown = view.section(section_kind)
        if shown is None or shown.version is None:
            abort(404)
        body = _worker_section(view, shown, shown.version.author)
    if body["version"] is None:
        abort(404)
    return MarshalResult(body, etag=body["etag"])


# -- writing -------------------------------------------------------------------------------


@operation(
    bp,
    SECTION_RULE,
    "PUT",
    summary="Write a new version of a section (create it with If-None-Match: *)",
    tag="Plan",
    roles=[Role.CASEWORKER],
    body=PlanSectionIn,
    response=PlanSectionOut,
    etag=True,
    if_match=True,
    statuses=(404, 409),
    also=(201,),
)
def put_plan_section(client_id: uuid.UUID, kind: str, body: dict[str, Any]) -> MarshalResult:
    """Send the whole section with `If-Match: <etag>` (or `If-None-Match: *` when the
    section is not written yet). Every save is a new version, attributed to you; a body
    equal to the current version saves nothing and returns it. Answers 201 when the
    section was created. 412: someone saved in between; read it again (the response
    carries the current ETag). 409: the case is closed."""
    found = reach(client_id)
    require_open(found)
    section_kind = SectionKind(kind)
    view = queries.read_plan(
        db_session(), gate(), found.actor, found.case, kinds=[section_kind], for_update=True
    )
    current = view.section(section_kind)
    before = current.data if current else EMPTY
    stored = current.section.current_version if current else 0
    require_match(section_etag(current.section, current.version) if current else None)
    today = helsinki_today()
    after = SectionInput(
        goals=body["goals"].strip(),
        measures=body["measures"].strip(),
        client_view=body["client_view"].strip(),
        worker_view=body["worker_view"].strip(),
        agreement=body["agreement"],
        responsible_ids=frozenset(body["responsible"]),
        review_on=body["review_on"],
    )
    try:
        version = commands.save_section(
            db_session(),
            gate(),
            found.actor,
            case=found.case,
            kind=section_kind,
            section=current.section if current else None,
            seen_version=stored,
            before=before,
            after=after,
            members=view.members,
            today=today,
        )
    except SectionRefused as refusal:  # the API speaks English: the messages' source
        errors = [
            {"pointer": f"#/{name}", "detail": message % refusal.params}
            for name, _code, message in refusal.messages()
            if name is not None
        ]
        abort(problem(422, "The section breaks the plan's rules.", kind=VALIDATION, errors=errors))
    except (StaleSection, IntegrityError):
        # Another writer created or saved it first (a plan or section row made at the same
        # moment collides on a unique constraint): nothing of this request was stored.
        db_session().rollback()
        abort(_stale(found, section_kind))
    if version is None:  # nothing changed: the current version stands
        assert current is not None and current.version is not None
        saved, author, status = current, current.version.author, 200
    else:
        section = db_session().get(PlanSection, version.section_id)  # in the session already
        assert section is not None
        saved = SectionView(section, version, after)
        author, status = current_user, 200 if current else 201
    answer = _worker_section(view, saved, author)
    return MarshalResult(answer, status=status, etag=answer["etag"])


def _stale(found: Reach, kind: SectionKind) -> Any:
    section = queries.find_section(db_session(), found.case.id, kind)
    current = (
        etag_of(section.id, section.current_version)
        if section is not None and section.current_version > 0
        else None
    )
    response = problem(412, "Someone else saved this section first: read it again.", kind=STALE)
    if current is not None:
        response.set_etag(current)
    return response
