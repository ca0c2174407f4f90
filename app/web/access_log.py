"""The client's access log in the reader's language, for every page that shows its entries.

``app.client_log.queries.describe`` says, in codes and names, who did what to which part
on what basis; here that becomes the words the client reads on "Who has looked at my
information" (``app/portal/access_log.py``), and the responsible worker reads the same
words about the entries clients ask about (``app/caseworker/dashboard.py``,
``app/caseworker/log_queries.py``). Staff names and exact times only when the settings say
so (``log_show_staff_names``, ``log_show_exact_times``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import format_date, format_datetime, gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.client_log.queries import (
    DescribedEntry,
    GroupedLogPage,
    LogPage,
    Named,
    NameLooks,
    describe_entries,
    named_persons,
    who_looked,
)
from app.labels import MEMBER_KINDS, SECTIONS
from app.models.log_query import LogQuery
from app.models.network import NetworkMember
from app.security import gate
from app.settings import Settings
from consent.decision import Reason
from consent.facts import Actor, ActorRole, Purpose
from sharing.access_log import AccessAction
from sharing.fields import sealed

ROLES = {
    ActorRole.CASEWORKER: _l("Social worker"),
    ActorRole.PARTNER: _l("Staff member"),
    ActorRole.ADMIN: _l("Administrator"),
    ActorRole.DATA_PROTECTION: _l("Data-protection officer"),
    ActorRole.ANALYST: _l("Analyst"),
    ActorRole.SYSTEM: _l("Tukiverkko itself (automatic processing)"),
}
ACTIONS = {
    AccessAction.READ: _l("Looked at"),
    AccessAction.WRITE: _l("Wrote or changed"),
    AccessAction.PREVIEW: _l("Checked what another would see"),
}
DENIED_ACTIONS = {
    AccessAction.READ: _l("Tried to look at"),
    AccessAction.WRITE: _l("Tried to write or change"),
    AccessAction.PREVIEW: _l("Tried to check what another would see"),
}
BASES = {
    "consent": _l("Your consent"),
    "statutory": _l("A disclosure allowed or required by law"),
    "relationship": _l("Your responsible worker or your case team"),
    "work_task": _l("A recorded work task"),
}
ALLOWED_WITHOUT_BASIS = {
    Reason.ALLOWED_SELF: _l("Your own information"),
    Reason.ALLOWED_SYSTEM: _l("Automatic processing"),
    Reason.ALLOWED_COUNTY_LIST: _l("Your name in the county's list of clients"),
    Reason.ALLOWED_LOG_REVIEW: _l("A check of who has looked at your information"),
    Reason.ALLOWED_TRANSFER_PROPOSED: _l(
        "Your name, for the county that was asked to take over your matter"
    ),
}
REFUSALS = {
    Reason.DENIED_NO_CASE: _l("no such case"),
    Reason.DENIED_NOT_OWN_DATA: _l("it is not their own information"),
    Reason.DENIED_OTHER_COUNTY: _l("they work in another county"),
    Reason.DENIED_NO_RELATIONSHIP: _l("they do not work with you"),
    Reason.DENIED_NOT_IN_NETWORK: _l("they are not in your network"),
    Reason.DENIED_CASE_CLOSED: _l("your case is closed"),
    Reason.DENIED_NO_CONSENT: _l("you have not given consent"),
    Reason.DENIED_REVOKED: _l("you had withdrawn your consent"),
    Reason.DENIED_EXPIRED: _l("your consent had ended"),
    Reason.DENIED_NOT_YET_VALID: _l("your consent had not started yet"),
    Reason.DENIED_SECTION_NOT_IN_SCOPE: _l("your consent does not cover this part"),
    Reason.DENIED_PURPOSE: _l("not for an allowed purpose"),
    Reason.DENIED_READ_ONLY: _l("they may only read"),
    Reason.DENIED_ROLE: _l("their role does not allow it"),
}


@dataclass(frozen=True)
class LogLine:
    """One entry as the client reads it."""

    entry_id: uuid.UUID
    when: str
    organisation: str
    role: str
    staff_name: str | None
    assisted: str | None  # staff at the terminal in the client's own session
    what: str
    done: str
    allowed: bool
    basis: str
    statutory: bool
    query: LogQuery | None  # the client's newest query about the entry


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


def _person_names(page: LogPage, reader: Actor, purpose: Purpose) -> dict[uuid.UUID, str | None]:
    persons = named_persons(page)
    return dict(
        zip(
            [m.id for m in persons],
            gate().read_texts(
                reader, [sealed(m, NetworkMember.person_name_ct) for m in persons], purpose=purpose
            )
            if persons
            else [],
            strict=True,
        )
    )


def describe(page: LogPage, reader: Actor, purpose: Purpose = Purpose.OWN_DATA) -> list[LogLine]:
    """The page's entries in plain words, as the client reads them (one gate read, by the
    reader for the purpose, for the names of person grantees). The client's own use is
    "You" to the client and "The client" to a worker."""
    return _lines(page, _person_names(page, reader, purpose), reader)


@dataclass(frozen=True)
class GroupLine:
    """The name-only looks of one organisation on one basis on one day, in one line."""

    entry_id: uuid.UUID  # the newest look: what "I don't recognise this" asks about
    when: str  # the day
    organisation: str
    role: str
    times: int
    summary: str  # "Kela looked at your name 14 times on 7 Dec 2026"
    basis: str
    statutory: bool
    query: LogQuery | None  # the client's newest query about the newest look
    staff_name: None = None
    assisted: None = None
    allowed: bool = True
    grouped: bool = True


def describe_grouped(
    page: GroupedLogPage,
    reader: Actor,
    purpose: Purpose = Purpose.OWN_DATA,
    *,
    names_and_times: bool | None = None,
) -> list[LogLine | GroupLine]:
    """A grouped page (``grouped_log_page``) in plain words: its single entries as
    ``describe`` says them, each group of name-only looks in one line. ``names_and_times``
    (a county's setting for log requests' answers) overrides the settings' staff names and
    exact times."""
    names = _person_names(page.explained, reader, purpose)
    singles = iter(_lines(page.explained, names, reader, names_and_times))
    return [
        _group_line(row, page.explained, names, reader)
        if isinstance(row, NameLooks)
        else next(singles)
        for row in page.rows
    ]


def _group_line(
    looks: NameLooks, page: LogPage, names: dict[uuid.UUID, str | None], reader: Actor
) -> GroupLine:
    named = who_looked(looks, page, names)
    if looks.actor_role is ActorRole.PERSON:
        organisation = _person(named)
        role = str(MEMBER_KINDS[named.member_kind]) if named.member_kind else ""
    elif looks.actor_role is ActorRole.CLIENT:
        organisation = ""
        role = gettext("You") if reader.role is ActorRole.CLIENT else gettext("The client")
    else:
        organisation = named.name or ""
        role = str(ROLES.get(looks.actor_role, looks.actor_role.value))
    day: str = format_date(looks.day)
    who = organisation or role
    summary: str = ngettext(
        "%(who)s looked at your name once on %(day)s",
        "%(who)s looked at your name %(num)d times on %(day)s",
        looks.times,
        who=who,
        day=day,
    )
    if looks.basis == "statutory":
        basis = str(BASES["statutory"])
    elif looks.basis in BASES:
        basis = str(BASES[looks.basis])
    elif looks.actor_role is ActorRole.CASEWORKER:
        basis = str(ALLOWED_WITHOUT_BASIS[Reason.ALLOWED_COUNTY_LIST])
    elif looks.actor_role is ActorRole.CLIENT:
        basis = str(ALLOWED_WITHOUT_BASIS[Reason.ALLOWED_SELF])
    else:
        basis = str(ALLOWED_WITHOUT_BASIS[Reason.ALLOWED_SYSTEM])
    return GroupLine(
        entry_id=looks.last.id,
        when=day,
        organisation=organisation,
        role=role,
        times=looks.times,
        summary=summary,
        basis=basis,
        statutory=looks.statutory,
        query=page.queries.get(looks.last.id),
    )


def _lines(
    page: LogPage,
    names: dict[uuid.UUID, str | None],
    reader: Actor,
    names_and_times: bool | None = None,
) -> list[LogLine]:
    settings = _settings()
    staff_names = settings.log_show_staff_names if names_and_times is None else names_and_times
    exact = settings.log_show_exact_times if names_and_times is None else names_and_times
    return [
        _line(described, reader, exact)
        for described in describe_entries(page, names, show_staff_names=staff_names)
    ]


def _line(d: DescribedEntry, reader: Actor, exact_times: bool) -> LogLine:
    entry = d.entry
    organisation = d.who.name or ""
    staff_name = d.staff_name
    if d.role is ActorRole.PERSON:
        organisation = _person(d.who)
        role_text = str(MEMBER_KINDS[d.who.member_kind]) if d.who.member_kind else ""
    elif d.role is ActorRole.CLIENT:
        organisation = "" if d.you else gettext("Another user of Tukiverkko")
        if not d.you:
            role_text = gettext("Client")
        elif reader.role is ActorRole.CLIENT:
            role_text = gettext("You")
        else:
            role_text = gettext("The client")
    else:
        role_text = str(ROLES.get(d.role, d.role.value))
    assisted = None
    if d.assisted_by is not None:
        assisted = gettext(
            "Staff helped at the terminal: %(who)s", who=d.assisted_by.organisation or "–"
        )
        if d.assisted_by.staff_name is not None:
            assisted += f" ({d.assisted_by.staff_name})"
    done = str((ACTIONS if entry.allowed else DENIED_ACTIONS)[d.action])
    if d.action is AccessAction.PREVIEW and d.previewed is not None:
        done = gettext("Checked what %(who)s would see", who=_person(d.previewed) or "–")
    if d.study is not None:  # an approved study's extract (``app.research``)
        done = gettext("Used in research")
    if not entry.allowed:
        refusal = REFUSALS.get(d.reason) if d.reason else None
        basis = gettext("Refused: %(why)s", why=refusal or entry.reason)
    elif d.basis == "statutory":
        basis = str(BASES["statutory"])
        if d.provision is not None:
            basis += f" ({d.provision})"
    elif d.study is not None:
        basis = gettext(
            "The approved study %(study)s (permit %(permit)s)",
            study=d.study.study_name,
            permit=d.study.permit_reference,
        )
    elif d.basis in BASES:
        basis = str(BASES[d.basis])
    else:
        basis = str(ALLOWED_WITHOUT_BASIS.get(d.reason, "–")) if d.reason else "–"
    return LogLine(
        entry_id=entry.id,
        when=_when(entry.at, exact_times),
        organisation=organisation,
        role=role_text,
        staff_name=staff_name,
        assisted=assisted,
        what=_scope_label(d),
        done=done,
        allowed=entry.allowed,
        basis=basis,
        statutory=d.statutory,
        query=d.query,
    )


def _person(named: Named) -> str:
    """An organisation's or a person grantee's name; one of no network of this client's is
    only "a person in your network"."""
    if named.unknown_person:
        return gettext("A person in your network")
    return named.name or ""


def _scope_label(d: DescribedEntry) -> str:
    if d.section is not None:
        return str(SECTIONS[d.section])
    if d.entry.scope == "name":
        return gettext("Your name")
    if d.entry.scope == "basic":
        return gettext("Your basic information and the worker's notes")
    if d.entry.scope == "research":
        return gettext(
            "Coded facts of your case: months, phases and outcomes (not your name or any notes)"
        )
    if d.entry.scope == "messages":
        return gettext("Your messages with the social workers")
    return d.entry.scope


def _when(at: datetime, exact: bool) -> str:
    # Flask-Babel's format_date and format_datetime are unannotated; they return str.
    when: str = format_datetime(at, "short") if exact else format_date(at)
    return when
