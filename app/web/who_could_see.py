"""Who could see what of a client at a past moment, for every page that shows it.

The data-protection officer and designated reviewers (``app/web/log_review``), the
responsible worker answering a client's question about their log
(``app/web/caseworker/who_could_see.py``) and the client on their own pages
(``app/web/portal/who_could_see.py``) read the same reconstruction
(``app.log_review.queries.as_of``): here are the form that chooses the moment (a day and a
minute, Finnish time) and the window of log entries set beside it, ``reconstruct`` (the
query with the keyring the seal check opens the seals with), and the words the staff pages
name roles, scopes, bases, verdicts, staff ties and seal findings by. The staff pages draw
it with ``components/who_could_see.html``; the client's page says it in plain words of its
own, and shows a discrepancy only as "we are checking this" (the detail is the staff's).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, SelectChoice, SelectField, TimeField
from wtforms.validators import DataRequired

from app.labels import SECTIONS
from app.log_review.queries import AsOf, Window, as_of
from app.log_review.rules import LOG_SCOPE, SealFinding, StaffTie, Verdict
from app.research.commands import LOG_SCOPE as RESEARCH_SCOPE
from app.security import current_keyring
from consent.base import utcnow
from consent.decision import BasisKind
from consent.facts import ActorRole
from consent.sections import DataScope, SectionKind, scope_key
from consent.status import HELSINKI


class AsOfForm(FlaskForm):
    class Meta:
        csrf = False  # a GET view: it changes nothing

    day = DateField(_l("Day"), validators=[DataRequired()])
    time = TimeField(_l("Time (Finnish time)"), validators=[DataRequired()])
    window = SelectField(
        _l("Log entries shown"),
        choices=[
            SelectChoice(Window.DAY.value, _l("The whole day")),
            SelectChoice(Window.HOUR.value, _l("An hour before and after")),
            SelectChoice(Window.WEEK.value, _l("Three days before and after")),
        ],
        default=Window.DAY.value,
    )

    def moment(self) -> datetime:
        """The moment chosen, as an aware instant (call after ``validate``)."""
        return datetime.combine(self.day.data, self.time.data, HELSINKI)

    def chosen_window(self) -> Window:
        return Window(self.window.data or Window.DAY.value)

    def default_to_now(self) -> None:
        now = utcnow().astimezone(HELSINKI)
        self.day.data, self.time.data = now.date(), now.time().replace(second=0, microsecond=0)


def reconstruct(session: Session, client_id: uuid.UUID, form: AsOfForm) -> AsOf:
    """``as_of`` at the form's moment and window, with this instance's keyring."""
    return as_of(session, client_id, form.moment(), current_keyring(), form.chosen_window())


SCOPES: dict[str, Any] = {
    **{scope_key(kind): SECTIONS[kind] for kind in SectionKind},
    scope_key(DataScope.NAME): _l("The client's name"),
    scope_key(DataScope.BASIC): _l("County-only details"),
    scope_key(DataScope.MESSAGES): _l("Messages between the client and the county"),
    LOG_SCOPE: _l("The client's access log"),
    RESEARCH_SCOPE: _l("Coded facts in a research extract"),
}
"""Every scope a log entry names, with its label."""


def scope_choices() -> list[SelectChoice]:
    return [SelectChoice("", "–")] + [
        SelectChoice(value, str(label)) for value, label in SCOPES.items()
    ]


ACTOR_ROLES = {
    ActorRole.CASEWORKER: _l("Social worker"),
    ActorRole.PARTNER: _l("Partner staff"),
    ActorRole.PERSON: _l("Person member (close person, peer expert)"),
    ActorRole.CLIENT: _l("The client"),
    ActorRole.ADMIN: _l("Administrator"),
    ActorRole.DATA_PROTECTION: _l("Data-protection officer"),
    ActorRole.SYSTEM: _l("The service itself"),
}
BASES = {
    BasisKind.CONSENT: _l("Consent"),
    BasisKind.STATUTORY: _l("Statutory disclosure"),
    BasisKind.RELATIONSHIP: _l("Case relationship"),
    BasisKind.WORK_TASK: _l("Work task"),
}
STAFF_TIES = {
    StaffTie.RESPONSIBLE_WORKER: _l("Responsible worker"),
    StaffTie.TEAM: _l("Case team member"),
    StaffTie.WORK_TASK: _l("Recorded work task"),
}
SEAL_FINDINGS = {
    SealFinding.SEALED: _l("Sealed, as the basis required"),
    SealFinding.NOTHING_TO_SEAL: _l("Nothing written in this part yet: nothing to seal"),
    SealFinding.MISSING: _l("Missing: the basis required a key seal that did not exist"),
    SealFinding.WITHOUT_BASIS: _l("A key seal existed without a basis"),
    SealFinding.UNRECORDED: _l("A key seal exists that no record tells of"),
    SealFinding.GONE: _l("A recorded key seal has disappeared"),
    SealFinding.ALTERED: _l("A key seal does not match its record or does not open"),
}
VERDICTS = {
    Verdict.CONSISTENT: _l("Consistent"),
    Verdict.INCONSISTENT: _l("Inconsistent"),
    Verdict.NOT_COVERED: _l("Not checked (the client, the service or a review)"),
}


def _actor_role_name(value: str) -> str:
    try:
        return str(ACTOR_ROLES[ActorRole(value)])
    except ValueError:
        return value


def _section_names(kinds: Sequence[SectionKind]) -> str:
    return ", ".join(str(SECTIONS[kind]) for kind in kinds)


def helsinki_moment(at: datetime) -> tuple[str, str]:
    """An instant as the form's day and minute (Finnish time), for a link to the moment."""
    local = at.astimezone(HELSINKI)
    return local.date().isoformat(), local.strftime("%H:%M")


def names() -> dict[str, Callable[..., str]]:
    """The template helpers the staff pages name the log's fields with."""
    return {
        "actor_role_name": _actor_role_name,
        "scope_name": lambda value: str(SCOPES.get(value, value)),
        "section_names": _section_names,
        "basis_name": lambda kind: str(BASES[kind]),
        "verdict_name": lambda verdict: str(VERDICTS[verdict]),
        "tie_name": lambda tie: str(STAFF_TIES[tie]),
        "seal_finding_name": lambda finding: str(SEAL_FINDINGS[finding]),
    }
