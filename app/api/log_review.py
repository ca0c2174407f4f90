"""The review of the access log (omavalvonta), for the data-protection officer and designated
staff (``app.log_review.rules.is_reviewer``), each within their own county.

The same searches as the web pages (``app/web/log_review``): a page of matching entries,
newest first (``has_next`` rather than a total: counting the whole log is not a page's
work), and for one client and one past instant who in the network could read which
sections on which basis and which county staff could do case work, with the key seals and
the entries around it checked against it; the month's flags, and marking one reviewed with
a note (``app.log_review.commands.review_flag``, the page's command). Each read is entered
in the log of every client it shows (``app.log_review.commands.note_review``) and in the
security log.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import abort, current_app
from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates_schema

from app import security_log
from app.api import bp
from app.api.schemas import PageQuery, Strict, enum_field
from app.api.spec import operation
from app.extensions import db_session
from app.log_review.commands import note_review, review_flag
from app.log_review.queries import (
    Window,
    as_of,
    client_in_scope,
    flagged_entry,
    month_flags,
    review_page,
)
from app.log_review.rules import (
    FlagRules,
    SealFinding,
    StaffTie,
    Verdict,
    is_reviewer,
    month_bounds,
)
from app.models import MemberKind, Organisation, OrgKind, Role, User
from app.models.log_review import FlagKind
from app.security import current_actor, current_keyring
from app.settings import Settings
from consent.base import utcnow
from consent.decision import BasisKind
from consent.sections import SectionKind
from consent.status import HELSINKI
from sharing.access_log import AccessAction, Search

ROLES = (Role.DATA_PROTECTION, Role.ADMIN, Role.CASEWORKER)


class EntrySearch(PageQuery):
    client_id = fields.UUID(metadata={"description": "Only this client's entries."})
    user_id = fields.UUID(metadata={"description": "Only this user's entries."})
    organisation_id = fields.UUID(metadata={"description": "Only entries of this organisation."})
    scope = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A stored scope: `section:goals`, `name`, `basic`, `access_log`."},
    )
    outcome = fields.String(validate=validate.OneOf(["allowed", "denied"]))
    since = fields.Date(metadata={"description": "From this day (Helsinki time), inclusive."})
    until = fields.Date(metadata={"description": "To this day (Helsinki time), inclusive."})

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        if "since" in data and "until" in data and data["until"] < data["since"]:
            raise ValidationError("The last day cannot be before the first.", "until")


class ReviewEntryOut(Strict):
    id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    seq = fields.Integer(
        required=True, metadata={"description": "Its place in the client's chain."}
    )
    at = fields.AwareDateTime(required=True)
    actor_user_id = fields.UUID(required=True, allow_none=True)
    username = fields.String(required=True, allow_none=True)
    actor_role = fields.String(required=True)
    organisation_id = fields.UUID(required=True, allow_none=True)
    organisation = fields.String(required=True, allow_none=True)
    member_id = fields.UUID(required=True, allow_none=True)
    action = enum_field(AccessAction, required=True)
    allowed = fields.Boolean(required=True)
    reason = fields.String(required=True)
    scope = fields.String(required=True)
    purpose = fields.String(required=True)
    basis_kind = fields.String(required=True, allow_none=True)
    basis_id = fields.UUID(required=True, allow_none=True)


ENTRY_FIELDS = [
    name for name in ReviewEntryOut._declared_fields if name not in ("username", "organisation")
]
"""The fields the entry itself gives (the names of its user and organisation are looked up)."""


class ReviewPageOut(Strict):
    items = fields.List(fields.Nested(ReviewEntryOut), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)


def _logged(**values: security_log.Value) -> None:
    security_log.event(
        security_log.Kind.LOG_REVIEW,
        user_id=current_user.id,
        outcome=security_log.Outcome.SUCCESS,
        **values,
    )


def _start(day: Any) -> datetime:
    return datetime.combine(day, datetime.min.time(), HELSINKI)


@operation(
    bp,
    "/log-review/entries",
    "GET",
    summary="Search the access log",
    tag="Log review",
    roles=ROLES,
    when=is_reviewer,
    query=EntrySearch,
    response=ReviewPageOut,
)
def review_entries(query: dict[str, Any]) -> dict[str, Any]:
    """Entries of the reviewer's county (the whole service's, for a reviewer without an
    organisation) matching every criterion given, newest first. Roles: the data-protection
    officer, and administrators and caseworkers designated as log reviewers."""
    criteria = Search(
        client_id=query.get("client_id"),
        actor_user_id=query.get("user_id"),
        organisation_id=query.get("organisation_id"),
        scope=query.get("scope"),
        allowed={"allowed": True, "denied": False}.get(query.get("outcome", "")),
        since=_start(query["since"]) if "since" in query else None,
        until=_start(query["until"] + timedelta(days=1)) if "until" in query else None,
    )
    page = review_page(
        db_session(),
        criteria,
        county_id=current_user.organisation_id,
        page=query["page"],
        per_page=query["per_page"],
    )
    note_review(db_session(), current_actor(), {e.client_id for e in page.entries}, utcnow())
    _logged(operation="search", client_id=criteria.client_id, entries=len(page.entries))
    items = []
    for e in page.entries:
        user: User | None = page.users.get(e.actor_user_id) if e.actor_user_id else None
        org = page.organisations.get(e.organisation_id) if e.organisation_id else None
        items.append(
            {
                **{name: getattr(e, name) for name in ENTRY_FIELDS},
                "username": user.username if user else None,
                "organisation": org.name if org else None,
            }
        )
    return {
        "items": items,
        "page": page.page,
        "per_page": query["per_page"],
        "has_next": page.has_next,
    }


class AsOfQuery(Strict):
    at = fields.AwareDateTime(
        metadata={"description": "The moment asked about, with its offset (default: now)."}
    )
    window = enum_field(
        Window,
        metadata={
            "description": "The log entries checked: the moment's Helsinki `day` (default), "
            "an `hour` either side, or three days either side (`week`)."
        },
    )


class BasisOut(Strict):
    kind = enum_field(BasisKind, required=True)
    id = fields.UUID(required=True)
    sections = fields.List(enum_field(SectionKind), required=True)


class MemberOut(Strict):
    member_id = fields.UUID(required=True)
    kind = enum_field(MemberKind, required=True, allow_none=True)
    organisation_id = fields.UUID(required=True, allow_none=True)
    organisation = fields.String(required=True, allow_none=True)
    sections = fields.List(enum_field(SectionKind), required=True)
    bases = fields.List(fields.Nested(BasisOut), required=True)


class StaffOut(Strict):
    user_id = fields.UUID(required=True)
    display_name = fields.String(required=True, allow_none=True)
    ties = fields.List(
        enum_field(StaffTie),
        required=True,
        metadata={"description": "What tied them to the case then."},
    )
    basis_kind = enum_field(BasisKind, required=True)
    basis_id = fields.UUID(
        required=True, allow_none=True, metadata={"description": "A work task's id."}
    )


class SealCheckOut(Strict):
    finding = enum_field(SealFinding, required=True)
    discrepancy = fields.Boolean(required=True)
    member_id = fields.UUID(required=True)
    scope = fields.String(required=True)
    basis_id = fields.UUID(required=True)


class CheckedEntryOut(Strict):
    id = fields.UUID(required=True)
    at = fields.AwareDateTime(required=True)
    actor_role = fields.String(required=True)
    actor_user_id = fields.UUID(required=True, allow_none=True)
    organisation_id = fields.UUID(required=True, allow_none=True)
    member_id = fields.UUID(required=True, allow_none=True)
    action = enum_field(AccessAction, required=True)
    scope = fields.String(required=True)
    allowed = fields.Boolean(required=True)
    verdict = enum_field(
        Verdict,
        required=True,
        metadata={"description": "Whether who could read what at its instant says the same."},
    )


class AsOfOut(Strict):
    client_id = fields.UUID(required=True)
    at = fields.AwareDateTime(required=True)
    case_found = fields.Boolean(required=True)
    members = fields.List(fields.Nested(MemberOut), required=True)
    staff = fields.List(
        fields.Nested(StaffOut),
        required=True,
        metadata={"description": "County staff whom the decision let do case work then."},
    )
    seals = fields.List(fields.Nested(SealCheckOut), required=True)
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)
    truncated = fields.Boolean(
        required=True, metadata={"description": "Only the newest entries of the window."}
    )
    entries = fields.List(fields.Nested(CheckedEntryOut), required=True)
    discrepancies = fields.Integer(
        required=True,
        metadata={"description": "Inconsistent entries and seal findings that are discrepancies."},
    )


@operation(
    bp,
    "/log-review/clients/<uuid:client_id>/as-of",
    "GET",
    summary="Who could see what of a client at a past moment",
    tag="Log review",
    roles=ROLES,
    when=is_reviewer,
    query=AsOfQuery,
    response=AsOfOut,
    statuses=(404,),
)
def review_as_of(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Which network members could read which plan sections on which basis at ``at``, and
    which of the county's staff could do case work, from the facts as they were recorded
    then (the rule every read is decided by); the key seals checked against it (a seal
    missing where a basis required one, a seal without a basis, and seals now that differ
    from their record, have none, or do not open); and the client's log entries around the
    moment, each checked against it. Roles: as for the search; a client outside the
    reviewer's county is not found."""
    if not client_in_scope(db_session(), client_id, current_user.organisation_id):
        abort(404)
    view = as_of(
        db_session(),
        client_id,
        query.get("at") or utcnow(),
        current_keyring(),
        query.get("window") or Window.DAY,
    )
    note_review(db_session(), current_actor(), [client_id], utcnow())
    _logged(operation="as_of", client_id=client_id)
    return {
        "client_id": client_id,
        "at": view.at,
        "case_found": view.case_found,
        "members": [
            {
                "member_id": row.access.member_id,
                "kind": row.kind,
                "organisation_id": row.access.organisation_id,
                "organisation": row.organisation,
                "sections": row.access.sections,
                "bases": [
                    {"kind": b.kind, "id": b.id, "sections": list(b.sections)}
                    for b in row.access.bases
                ],
            }
            for row in view.members
        ],
        "staff": [
            {
                "user_id": row.access.user_id,
                "display_name": row.user.display_name if row.user else None,
                "ties": list(row.access.ties),
                "basis_kind": row.access.basis_kind,
                "basis_id": row.access.basis_id,
            }
            for row in view.staff
        ],
        "seals": [
            {
                "finding": c.finding,
                "discrepancy": c.finding.discrepancy,
                "member_id": c.member_id,
                "scope": c.scope,
                "basis_id": c.basis_id,
            }
            for c in view.seals
        ],
        "since": view.since,
        "until": view.until,
        "truncated": view.truncated,
        "discrepancies": view.discrepancies,
        "entries": [
            {
                "id": c.entry.id,
                "at": c.entry.at,
                "actor_role": c.entry.actor_role,
                "actor_user_id": c.entry.actor_user_id,
                "organisation_id": c.entry.organisation_id,
                "member_id": c.entry.member_id,
                "action": c.entry.action,
                "scope": c.entry.scope,
                "allowed": c.entry.allowed,
                "verdict": c.verdict,
            }
            for c in view.entries
        ],
    }


class FlagsQuery(Strict):
    month = fields.String(
        validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"),
        metadata={"description": "The month, `YYYY-MM` (Helsinki time); default: this one."},
    )
    county_id = fields.UUID(
        metadata={
            "description": "For a reviewer of the whole service: one county (default: all). "
            "A county's reviewer reviews their own."
        }
    )


class FlagOut(Strict):
    kind = enum_field(FlagKind, required=True)
    entry_id = fields.UUID(required=True, metadata={"description": "The entry that shows it."})
    client_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True, allow_none=True)
    at = fields.AwareDateTime(required=True)
    reviewed_at = fields.AwareDateTime(required=True, allow_none=True)
    reviewed_by_id = fields.UUID(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)


class FlagsOut(Strict):
    month = fields.String(required=True)
    allowed = fields.Integer(required=True, metadata={"description": "Entries allowed."})
    denied = fields.Integer(required=True, metadata={"description": "Entries refused."})
    truncated = fields.Boolean(
        required=True, metadata={"description": "Only the newest entries were looked at."}
    )
    flags = fields.List(fields.Nested(FlagOut), required=True)


@operation(
    bp,
    "/log-review/flags",
    "GET",
    summary="The month's flags of the access log, with their reviews",
    tag="Log review",
    roles=ROLES,
    when=is_reviewer,
    query=FlagsQuery,
    response=FlagsOut,
    statuses=(404,),
)
def review_flags(query: dict[str, Any]) -> dict[str, Any]:
    """Many clients opened in a short time, reads outside office hours (Helsinki time,
    weekends and Finnish public holidays), reads of closed cases, refused attempts and work
    tasks given as the reason repeatedly, each with who marked it reviewed, when, and their
    note; and the month's entries by outcome. Roles: as for the search."""
    month = query.get("month") or utcnow().astimezone(HELSINKI).strftime("%Y-%m")
    since, until = month_bounds(month)
    county = current_user.organisation_id
    if county is None and query.get("county_id") is not None:
        chosen = db_session().get(Organisation, query["county_id"])
        if chosen is None or chosen.kind is not OrgKind.COUNTY:
            abort(404)
        county = chosen.id
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    found = month_flags(db_session(), county, since, until, FlagRules.of(settings))
    note_review(db_session(), current_actor(), {r.flag.client_id for r in found.rows}, utcnow())
    _logged(operation="flags", month=month, county_id=county)
    return {
        "month": month,
        "allowed": found.outcomes[True],
        "denied": found.outcomes[False],
        "truncated": found.truncated,
        "flags": [
            {
                "kind": r.flag.kind,
                "entry_id": r.flag.entry_id,
                "client_id": r.flag.client_id,
                "user_id": r.flag.user_id,
                "at": r.flag.at,
                "reviewed_at": r.review.reviewed_at if r.review else None,
                "reviewed_by_id": r.review.reviewed_by_id if r.review else None,
                "note": r.review.note if r.review else None,
            }
            for r in found.rows
        ],
    }


class FlagReviewIn(Strict):
    kind = enum_field(FlagKind, required=True, metadata={"description": "The flag's kind."})
    note = fields.String(
        required=True,
        validate=validate.Length(max=1000),
        metadata={"description": "What the reviewer found; no client information."},
    )


class FlagReviewOut(Strict):
    kind = enum_field(FlagKind, required=True)
    entry_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    note = fields.String(required=True)
    reviewed_by_id = fields.UUID(required=True)
    reviewed_at = fields.AwareDateTime(required=True)


@operation(
    bp,
    "/log-review/clients/<uuid:client_id>/entries/<uuid:entry_id>/review",
    "POST",
    summary="Mark a flag of the log review reviewed, with a note",
    tag="Log review",
    roles=ROLES,
    when=is_reviewer,
    body=FlagReviewIn,
    response=FlagReviewOut,
    status=201,
    statuses=(404, 409, 422),
)
def review_flag_of_entry(
    client_id: uuid.UUID, entry_id: uuid.UUID, body: dict[str, Any]
) -> dict[str, Any]:
    """The flag of ``kind`` that the entry shows (as ``GET /log-review/flags`` lists it)
    marked reviewed by the caller now, with their note: the page's command. An empty note
    is refused (422, field `note`); a flag reviewed already keeps its first review (409); an
    entry of a client outside the reviewer's county is not found. Roles: as for the
    search."""
    entry = flagged_entry(db_session(), entry_id, current_user.organisation_id)
    if entry is None or entry.client_id != client_id:
        abort(404)
    review = review_flag(db_session(), current_user.id, body["kind"], entry, body["note"], utcnow())
    security_log.event(
        security_log.Kind.LOG_REVIEW,
        user_id=current_user.id,
        outcome=security_log.Outcome.SUCCESS,
        operation="flag_reviewed",
        client_id=client_id,
    )
    return {
        "kind": review.kind,
        "entry_id": review.entry_id,
        "client_id": review.client_id,
        "note": review.note,
        "reviewed_by_id": review.reviewed_by_id,
        "reviewed_at": review.reviewed_at,
    }
