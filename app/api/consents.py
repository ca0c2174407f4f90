"""Consents and statutory disclosures: list, read, grant, revoke — as the consent pages do.

A caseworker records a consent the client gave in writing or orally, after showing the
information text (``app/caseworker/consents.py``); the client's own token gives one
electronically (``app/portal/consents.py``): the body names the version of the
information text shown and confirms it was read, since there is no confirmation page.
Every change is the same command of ``app.consents.commands`` that those pages call: it
checks who may be given a consent and how, re-syncs the key seals and writes the same
receipt as the pages (the client's, naming the worker who recorded it) in one
transaction. Its refusals become problem details in ``app/errors.py``: 422 with a
pointer per field, 409 for a consent that has already ended.

Revoking needs ``If-Match`` with the consent's ETag: a consent amended or revoked since
it was read answers 412 and stays as it is; one that has already ended (with its current
ETag) answers 409. So do re-confirming a consent whose period came from the release
timeline after the release dates moved (``reconfirm_consent``: the client, or a worker
recording the client's written or oral consent) and keeping its own period instead
(``keep_period``, a worker); ``GET …/consents/to-reconfirm`` lists those waiting.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from flask import abort, url_for
from marshmallow import ValidationError, fields, validate, validates, validates_schema
from sqlalchemy import select

from app.api import bp
from app.api.access import Reach, reach, require_open
from app.api.etags import etag_of, require_match
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import MarshalResult, operation
from app.consents import commands
from app.consents.queries import (
    ConsentItem,
    ConsentMatrix,
    DisclosureItem,
    MemberInfo,
    load_matrix,
)
from app.consents.rules import PeriodTemplate
from app.extensions import db_session
from app.i18n import helsinki_today
from app.models import MemberKind, Role
from app.security import gate
from app.web.receipts import RequestWording
from consent.base import utcnow
from consent.facts import Direction
from consent.models import Consent, GivenHow, StatutoryDisclosure
from consent.sections import SectionKind
from consent.service import ConsentTerms
from consent.status import ConsentStatus, MembershipStatus, helsinki_day

ROLES = (Role.CASEWORKER, Role.CLIENT)
PURPOSE_TEXT_MAX = 1000  # as the consent forms of the caseworker and the client


# -- schemas ----------------------------------------------------------------------------------


class ConsentMember(Strict):
    id = fields.UUID(required=True)
    label = fields.String(
        required=True, metadata={"description": "The organisation's name, or the person's name."}
    )
    kind = enum_field(MemberKind, required=True)
    status = enum_field(MembershipStatus, required=True)


class ConsentUser(Strict):
    id = fields.UUID(required=True)
    display_name = fields.String(required=True)


class ConsentRecord(Strict):
    id = fields.UUID(required=True)
    member = fields.Nested(ConsentMember, required=True)
    sections = fields.List(enum_field(SectionKind), required=True)
    direction = enum_field(Direction, required=True)
    purpose_text = fields.String(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(
        required=True, allow_none=True, metadata={"description": "The last day; null: no end."}
    )
    given_how = enum_field(GivenHow, required=True)
    information_text_version = fields.String(required=True)
    state = enum_field(
        ConsentStatus,
        required=True,
        metadata={"description": "Where it stands today (expired by its dates included)."},
    )
    recorded_by = fields.Nested(ConsentUser, required=True, allow_none=True)
    recorded_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True, allow_none=True)
    ended_by = fields.Nested(ConsentUser, required=True, allow_none=True)
    ended_by_transfer_to = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Ended because the case moved to another county: that county's "
            "name (`ended_by` accepted the transfer)."
        },
    )
    supersedes = fields.UUID(
        required=True, allow_none=True, metadata={"description": "The consent this one replaced."}
    )
    superseded_by = fields.UUID(required=True, allow_none=True)
    etag = fields.String(
        required=True, metadata={"description": "Send it in If-Match to revoke this consent."}
    )


class DisclosureRecord(Strict):
    id = fields.UUID(required=True)
    member = fields.Nested(ConsentMember, required=True)
    sections = fields.List(enum_field(SectionKind), required=True)
    provision = fields.String(required=True)
    justification = fields.String(required=True)
    decided_by = fields.Nested(ConsentUser, required=True, allow_none=True)
    decided_at = fields.AwareDateTime(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True, allow_none=True)
    state = enum_field(ConsentStatus, required=True)
    ended_at = fields.AwareDateTime(required=True, allow_none=True)


class ConsentQuery(PageQuery):
    state = fields.List(
        enum_field(ConsentStatus),
        validate=validate.Length(max=len(ConsentStatus)),
        metadata={"description": "Only consents in these states (repeat the parameter)."},
    )
    member_id = fields.UUID(metadata={"description": "Only consents given to this member."})


class DisclosureQuery(PageQuery):
    current = fields.Boolean(
        metadata={"description": "true: only those in force or upcoming; false: only ended."}
    )


class InformationRead(Strict):
    """A consent given (again): how, and under which information text."""

    given_how = enum_field(
        GivenHow,
        metadata={
            "description": "Caseworkers: written or oral (required). The client: electronic "
            "(the default)."
        },
    )
    information_text_version = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "The version of the information text shown to the client: the "
            "one in force for the client's county (administrators publish new versions; read "
            "any published one at /my/consents/information/{version})."
        },
    )
    confirmed = fields.Boolean(
        required=True,
        metadata={
            "description": "Must be true: the client read (or, for a caseworker's record, "
            "was shown) that information text."
        },
    )

    @validates("confirmed")
    def _confirmed(self, value: bool, **_: Any) -> None:
        if value is not True:
            raise ValidationError("Confirm that the information text was read.")


class ConsentGrant(InformationRead):
    member_id = fields.UUID(required=True, metadata={"description": "A member of the network."})
    sections = fields.List(
        enum_field(SectionKind),
        required=True,
        validate=validate.Length(min=1, max=len(SectionKind)),
    )
    purpose_text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=PURPOSE_TEXT_MAX),
        metadata={"description": "Why the information is shared, in plain words."},
    )
    valid_from = fields.Date(
        metadata={"description": "Caseworkers only: the first valid day (default today)."}
    )
    valid_until = fields.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "The last valid day; leave out for no end date."},
    )
    direction = enum_field(
        Direction,
        load_default=Direction.DISCLOSE,
        metadata={"description": "Caseworkers only; a client's own consent discloses."},
    )

    @validates("sections")
    def _no_duplicates(self, value: list[SectionKind], **_: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("Name each section once.")

    @validates("purpose_text")
    def _not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Write the purpose in plain words.")

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        until = data.get("valid_until")
        if until is None:
            return
        if until < helsinki_today():
            raise ValidationError("The last day has already passed.", "valid_until")
        if "valid_from" in data and until < data["valid_from"]:
            raise ValidationError("The last day cannot be before the first day.", "valid_until")


class ProposedPeriod(Strict):
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)


class ReconfirmRecord(Strict):
    consent = fields.Nested(ConsentRecord, required=True)
    period_template = enum_field(
        PeriodTemplate,
        required=True,
        metadata={"description": "The release-timeline phase its period was taken from."},
    )
    waiting_since = fields.AwareDateTime(
        required=True, metadata={"description": "When the release dates moved away from it."}
    )
    proposed = fields.Nested(
        ProposedPeriod,
        required=True,
        allow_none=True,
        metadata={
            "description": "The period the phase gives on the current dates, which "
            "re-confirming gives the consent; null when the phase has no period now (keep "
            "the old one or revoke)."
        },
    )


class Reconfirm(InformationRead):
    """The consent given again for its phase's period on the current dates."""


ConsentPage = page_of(ConsentRecord, "ConsentPage")
ReconfirmPage = page_of(ReconfirmRecord, "ReconfirmPage")
DisclosurePage = page_of(DisclosureRecord, "DisclosurePage")


# -- shaping ----------------------------------------------------------------------------------


def consent_etag(consent: Consent) -> str:
    """Changes whenever the consent is revoked, superseded or expired."""
    return etag_of(consent.id, consent.state, consent.ended_at)


def _member(info: MemberInfo) -> dict[str, Any]:
    return {"id": info.id, "label": info.label, "kind": info.kind, "status": info.status}


def _user(user_id: uuid.UUID | None, name: str) -> dict[str, Any] | None:
    return {"id": user_id, "display_name": name} if user_id is not None else None


def _consent_body(
    item: ConsentItem, consent: Consent, superseded_by: uuid.UUID | None
) -> dict[str, Any]:
    return {
        "id": item.id,
        "member": _member(item.member),
        "sections": list(item.sections),
        "direction": item.direction,
        "purpose_text": item.purpose_text,
        "valid_from": item.valid_from,
        "valid_until": item.valid_until,
        "given_how": item.given_how,
        "information_text_version": item.information_text_version,
        "state": item.status,
        "recorded_by": _user(consent.recorded_by_id, item.recorded_by),
        "recorded_at": item.recorded_at,
        "ended_at": item.ended_at,
        "ended_by": _user(consent.ended_by_id, item.ended_by),
        "ended_by_transfer_to": item.ended_by_transfer_to,
        "supersedes": consent.supersedes_id,
        "superseded_by": superseded_by,
        "etag": consent_etag(consent),
    }


@dataclasses.dataclass(frozen=True)
class _Listed:
    matrix: ConsentMatrix
    rows: dict[uuid.UUID, Consent]
    successors: dict[uuid.UUID, uuid.UUID]

    def items(self) -> list[ConsentItem]:
        """Current consents first (as the matrix orders them), then ended ones, newest first."""
        return [*self.matrix.consents, *self.matrix.ended_consents]

    def body(self, item: ConsentItem) -> dict[str, Any]:
        return _consent_body(item, self.rows[item.id], self.successors.get(item.id))


def _listed(r: Reach) -> _Listed:
    """The matrix of the client's case, as the consent pages read it (one gate read)."""
    matrix = load_matrix(db_session(), gate(), r.actor, r.case, purpose=r.purpose, now=utcnow())
    rows = {
        c.id: c for c in db_session().scalars(select(Consent).where(Consent.case_id == r.case.id))
    }
    successors = {c.supersedes_id: c.id for c in rows.values() if c.supersedes_id is not None}
    return _Listed(matrix, rows, successors)


def _shown(r: Reach, consent_id: uuid.UUID, *, created: bool = False) -> MarshalResult:
    """The consent as the API shows it after a change, with its ETag (and, when the change
    made a new consent, its Location)."""
    listed = _listed(r)
    body = listed.body(next(i for i in listed.items() if i.id == consent_id))
    if not created:
        return MarshalResult(body, etag=body["etag"])
    location = url_for("api.consent", client_id=r.client.id, consent_id=consent_id)
    return MarshalResult(body, etag=body["etag"], location=location)


def _page(items: Sequence[Any], query: dict[str, Any]) -> dict[str, Any]:
    page, per_page = query["page"], query["per_page"]
    chosen = list(items[(page - 1) * per_page : page * per_page])
    return page_body(chosen, page=page, per_page=per_page, total=len(items))


# -- operations -------------------------------------------------------------------------------


@operation(
    bp,
    "/clients/<uuid:client_id>/consents",
    "GET",
    summary="The client's consents, current and ended",
    tag="Consents",
    roles=ROLES,
    query=ConsentQuery,
    response=ConsentPage,
    statuses=(404,),
)
def consents(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Current consents first (by member), then ended ones, the most recently ended first:
    what the consents page shows the caseworker and the client. Each carries its ETag."""
    r = reach(client_id)
    listed = _listed(r)
    items = listed.items()
    if "state" in query:
        items = [i for i in items if i.status in set(query["state"])]
    if "member_id" in query:
        items = [i for i in items if i.member.id == query["member_id"]]
    return _page([listed.body(i) for i in items], query)


@operation(
    bp,
    "/clients/<uuid:client_id>/consents/<uuid:consent_id>",
    "GET",
    summary="One consent",
    tag="Consents",
    roles=ROLES,
    response=ConsentRecord,
    etag=True,
    statuses=(404,),
)
def consent(client_id: uuid.UUID, consent_id: uuid.UUID) -> MarshalResult:
    r = reach(client_id)
    listed = _listed(r)
    item = next((i for i in listed.items() if i.id == consent_id), None)
    if item is None:
        abort(404)
    body = listed.body(item)
    return MarshalResult(body, etag=body["etag"])


@operation(
    bp,
    "/clients/<uuid:client_id>/consents",
    "POST",
    summary="Record a consent (caseworker) or give one (the client)",
    tag="Consents",
    roles=ROLES,
    body=ConsentGrant,
    response=ConsentRecord,
    status=201,
    etag=True,
    statuses=(404, 409),
)
def grant_consent(client_id: uuid.UUID, body: dict[str, Any]) -> MarshalResult:
    """A caseworker records a consent the client gave in writing or orally, after showing
    the information text; the member must not have left the network, and one who is not an
    authority needs a recorded confidentiality commitment. The client gives one
    electronically to an active member who may receive information; it starts today. Either
    way the client gets a receipt, as on the pages. The response carries Location and ETag."""
    r = reach(client_id)
    require_open(r)
    if r.role is Role.CLIENT and "valid_from" in body:
        raise ValidationError(
            {"valid_from": ["A consent you give starts today: leave this field out."]}
        )
    terms = ConsentTerms(
        member_id=body["member_id"],
        sections=frozenset(body["sections"]),
        valid_from=body.get("valid_from", helsinki_day(utcnow())),
        valid_until=body["valid_until"],
        direction=body["direction"],
    )
    granted = commands.grant_consent(
        db_session(),
        gate(),
        r.actor,
        case=r.case,
        terms=terms,
        purpose_text=body["purpose_text"].strip(),
        given_how=body.get("given_how", GivenHow.ELECTRONIC),
        information_text_version=body["information_text_version"],
        receipt=RequestWording(),
    )
    return _shown(r, granted.id, created=True)


@operation(
    bp,
    "/clients/<uuid:client_id>/consents/<uuid:consent_id>/revoke",
    "POST",
    summary="Revoke a consent now",
    tag="Consents",
    roles=ROLES,
    response=ConsentRecord,
    etag=True,
    if_match=True,
    statuses=(404, 409),
)
def revoke_consent(client_id: uuid.UUID, consent_id: uuid.UUID) -> MarshalResult:
    """Sharing under the consent stops at once and the member's organisation is asked to
    confirm it keeps no copy. Send If-Match with the consent's ETag: 412 when it changed
    since you read it (amended, revoked, expired), 409 when it had already ended. The client
    gets a receipt, as on the pages."""
    r = reach(client_id)
    row = _locked_consent(r, consent_id)
    commands.revoke_consent(db_session(), gate(), r.actor, row, receipt=RequestWording())
    return _shown(r, consent_id)


@operation(
    bp,
    "/clients/<uuid:client_id>/disclosures",
    "GET",
    summary="Statutory disclosures (without consent)",
    tag="Consents",
    roles=ROLES,
    query=DisclosureQuery,
    response=DisclosurePage,
    statuses=(404,),
)
def disclosures(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Every disclosure on a statutory basis, with its provision and justification: the
    caseworker and the client both see them on the consents page. Current ones first."""
    r = reach(client_id)
    matrix = load_matrix(db_session(), gate(), r.actor, r.case, purpose=r.purpose, now=utcnow())
    items: list[DisclosureItem] = []
    if query.get("current") is not False:
        items += matrix.disclosures
    if query.get("current") is not True:
        items += matrix.ended_disclosures
    deciders = dict(
        db_session()
        .execute(
            select(StatutoryDisclosure.id, StatutoryDisclosure.decided_by_id).where(
                StatutoryDisclosure.case_id == r.case.id
            )
        )
        .all()
    )
    return _page(
        [
            {
                "id": d.id,
                "member": _member(d.member),
                "sections": list(d.sections),
                "provision": d.provision,
                "justification": d.justification,
                "decided_by": _user(deciders.get(d.id), d.decided_by),
                "decided_at": d.decided_at,
                "valid_from": d.valid_from,
                "valid_until": d.valid_until,
                "state": d.status,
                "ended_at": d.ended_at,
            }
            for d in items
        ],
        query,
    )


# -- re-confirmation after the release dates moved ------------------------------------------


@operation(
    bp,
    "/clients/<uuid:client_id>/consents/to-reconfirm",
    "GET",
    summary="Consents waiting to be confirmed again after the release dates moved",
    tag="Consents",
    roles=ROLES,
    query=PageQuery,
    response=ReconfirmPage,
    statuses=(404,),
)
def consents_to_reconfirm(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Current consents whose period came from a phase of the release timeline that no
    longer matches it on the current dates: each keeps its old period until it is confirmed
    again (``POST …/reconfirm``) or kept as it is (``POST …/keep-period``, a caseworker). The
    list the consents pages of the caseworker and the client show."""
    r = reach(client_id)
    listed = _listed(r)
    items = []
    for item in listed.matrix.to_reconfirm:
        proposed = item.proposed
        available = proposed is not None and proposed.available
        items.append(
            {
                "consent": listed.body(item),
                "period_template": item.period_template,
                "waiting_since": item.reconfirm_since,
                "proposed": {"valid_from": proposed.valid_from, "valid_until": proposed.valid_until}
                if proposed is not None and available
                else None,
            }
        )
    return _page(items, query)


def _locked_consent(r: Reach, consent_id: uuid.UUID) -> Consent:
    """The client's consent, locked, after If-Match; 404 when not theirs."""
    require_open(r)
    row = db_session().scalar(
        select(Consent)
        .where(Consent.id == consent_id, Consent.case_id == r.case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        abort(404)
    require_match(consent_etag(row))
    return row


@operation(
    bp,
    "/clients/<uuid:client_id>/consents/<uuid:consent_id>/reconfirm",
    "POST",
    summary="Confirm a consent again for its phase's period on the current dates",
    tag="Consents",
    roles=ROLES,
    body=Reconfirm,
    response=ConsentRecord,
    status=201,
    etag=True,
    if_match=True,
    statuses=(404, 409),
)
def reconfirm_consent(
    client_id: uuid.UUID, consent_id: uuid.UUID, body: dict[str, Any]
) -> MarshalResult:
    """A new consent replaces the one waiting (same member, sections, direction and
    purpose) for the period its release-timeline phase gives now, given again under the
    information text: the client electronically, a caseworker recording the client's written
    or oral consent. Send If-Match with the waiting consent's ETag (412 when it changed);
    409 when it is not waiting or has ended. The client gets a receipt, as on the pages;
    the response is the new consent, with Location and ETag."""
    r = reach(client_id)
    row = _locked_consent(r, consent_id)
    renewed = commands.reconfirm_consent(
        db_session(),
        gate(),
        r.actor,
        row,
        case=r.case,
        given_how=body.get("given_how", GivenHow.ELECTRONIC),
        information_text_version=body["information_text_version"],
        receipt=RequestWording(),
    )
    return _shown(r, renewed.id, created=True)


@operation(
    bp,
    "/clients/<uuid:client_id>/consents/<uuid:consent_id>/keep-period",
    "POST",
    summary="Keep a consent's own period although the release dates moved",
    tag="Consents",
    roles=[Role.CASEWORKER],
    response=ConsentRecord,
    etag=True,
    if_match=True,
    statuses=(404, 409),
)
def keep_consent_period(client_id: uuid.UUID, consent_id: uuid.UUID) -> MarshalResult:
    """The consent keeps the period it has and stops following the release timeline: it is
    no longer listed to confirm again. Send If-Match with its ETag; 409 when it is not
    waiting for re-confirmation."""
    r = reach(client_id)
    row = _locked_consent(r, consent_id)
    commands.keep_period(db_session(), row, case=r.case)
    return _shown(r, consent_id)
