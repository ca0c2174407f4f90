"""Log requests: started by the client or a worker, extended once, answered or refused.

Each step goes through the access gate and is logged: starting one is recorded as an act on
the client's record (``AccessGate.record``), the extension's and the refusal's reasons are
written sealed (``write_text``), and answering records the read of the client's log that
the document is. All flush and never commit.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.log_requests import rules
from app.models import Case
from app.models.log_request import CountySetting, LogDetail, LogRequest, LogRequestState
from app.refusals import N_, Conflict, Refused
from consent.base import utcnow
from consent.facts import Action, Actor, ActorRole, Purpose
from consent.sections import DataScope
from consent.status import helsinki_day
from sharing.fields import field_ref
from sharing.gate import AccessGate


class PeriodInvalid(Refused):
    code = "log_request_period_invalid"
    field = "period_from"
    message = N_("The period must start before it ends and end today at the latest.")


class LanguageInvalid(Refused):
    code = "log_request_language_invalid"
    field = "language"
    message = N_("Choose Finnish, Swedish or English.")


class ReasonMissing(Refused):
    code = "log_request_reason_missing"
    field = "reason"
    message = N_("Write down the reasons.")


class NotPending(Conflict):
    code = "log_request_not_pending"
    message = N_("This request has already been answered or refused, so nothing was saved.")


class AlreadyExtended(Conflict):
    code = "log_request_already_extended"
    message = N_("The time limit can be extended only once, and it already has been.")


def purpose_of(actor: Actor) -> Purpose:
    """The client asks about their own data; the county's staff do case work."""
    return Purpose.OWN_DATA if actor.role is ActorRole.CLIENT else Purpose.CASE_WORK


def start_request(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    language: str,
    period: tuple[date, date] | None = None,
    due_days: int = rules.DUE_DAYS,
) -> LogRequest:
    """Start a log request for the case's client (a pending one is returned instead of a
    second). ``period`` defaults to two years back; the answer is due ``due_days`` later.

    :raises LanguageInvalid: when ``language`` is not fi, sv or en.
    :raises PeriodInvalid: when the period ends before it starts or after today.
    :raises AccessDenied: when the actor may not work on this client's record.
    """
    now = utcnow()
    today = helsinki_day(now)
    if language not in rules.LANGUAGES:
        raise LanguageInvalid()
    period_from, period_to = period or rules.default_period(today)
    if not rules.period_valid(period_from, period_to, today):
        raise PeriodInvalid()
    gate.record(actor, case.client_id, Action.WRITE, purpose_of(actor), DataScope.BASIC)
    existing = session.scalar(
        select(LogRequest).where(
            LogRequest.case_id == case.id, LogRequest.state == LogRequestState.PENDING
        )
    )
    if existing is not None:
        return existing
    request = LogRequest(
        client_id=case.client_id,
        case_id=case.id,
        county_id=case.county_id,
        reference=new_reference(session),
        period_from=period_from,
        period_to=period_to,
        language=language,
        requested_at=now,
        requested_by_id=actor.user_id,
        by_client=actor.role is ActorRole.CLIENT,
        due_on=rules.due_on(today, due_days),
        state=LogRequestState.PENDING,
    )
    session.add(request)
    session.flush()
    return request


REFERENCE_TRIES = 8


def new_reference(session: Session) -> str:
    """A reference no request has; five letters once four are crowded."""
    for attempt in range(REFERENCE_TRIES):
        candidate = rules.reference(4 + attempt // 4)
        if session.scalar(select(LogRequest.id).where(LogRequest.reference == candidate)) is None:
            return candidate
    raise RuntimeError("no free log request reference")  # 8 taken in a row: not in this world


def _pending(request: LogRequest) -> None:
    if request.state is not LogRequestState.PENDING:
        raise NotPending()


def extend(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    request: LogRequest,
    reason: str,
    *,
    days: int = rules.EXTENSION_DAYS,
) -> None:
    """Extend the time limit once by ``days``, for the reasons given (kept sealed; the
    client reads them).

    :raises NotPending: when the request has been answered or refused.
    :raises AlreadyExtended: when it has been extended before.
    :raises ReasonMissing: when no reasons are given.
    :raises AccessDenied: when the actor may not write this client's data.
    """
    _pending(request)
    if request.extended_at is not None:
        raise AlreadyExtended()
    text = reason.strip()
    if not text:
        raise ReasonMissing()
    request.extension_reason_ct = gate.write_text(
        actor, field_ref(request, LogRequest.extension_reason_ct), text, purpose=Purpose.CASE_WORK
    )
    request.due_on = rules.due_on(request.due_on, days)
    request.extended_at = utcnow()
    request.extended_by_id = actor.user_id
    session.flush()


def answer(
    session: Session, gate: AccessGate, actor: Actor, request: LogRequest, detail: LogDetail
) -> None:
    """Give the client the document: the log of the period up to now, with ``detail`` (the
    county's setting now) recorded so that it reads the same later.

    :raises NotPending: when the request has been answered or refused.
    :raises AccessDenied: when the actor may not read this client's record.
    """
    _pending(request)
    gate.record(actor, request.client_id, Action.READ, Purpose.CASE_WORK, DataScope.BASIC)
    request.state = LogRequestState.ANSWERED
    request.answered_at = utcnow()
    request.answered_by_id = actor.user_id
    request.detail = detail
    session.flush()


def refuse(
    session: Session, gate: AccessGate, actor: Actor, request: LogRequest, reason: str
) -> None:
    """Refuse the request in writing with reasons (kept sealed; the client reads them).

    :raises NotPending: when the request has been answered or refused.
    :raises ReasonMissing: when no reasons are given.
    :raises AccessDenied: when the actor may not write this client's data.
    """
    _pending(request)
    text = reason.strip()
    if not text:
        raise ReasonMissing()
    request.refusal_reason_ct = gate.write_text(
        actor, field_ref(request, LogRequest.refusal_reason_ct), text, purpose=Purpose.CASE_WORK
    )
    request.state = LogRequestState.REFUSED
    request.answered_at = utcnow()
    request.answered_by_id = actor.user_id
    session.flush()


def set_county_detail(
    session: Session, county_id: uuid.UUID, detail: LogDetail, *, by: uuid.UUID | None
) -> CountySetting:
    """Set how much a county's answers to log requests say (by the county's administrator)."""
    setting = session.scalar(select(CountySetting).where(CountySetting.county_id == county_id))
    if setting is None:
        setting = CountySetting(county_id=county_id)
        session.add(setting)
    setting.log_request_detail = detail
    setting.updated_at = utcnow()
    setting.updated_by_id = by
    session.flush()
    return setting
