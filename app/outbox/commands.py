"""Adding e-mails to the outbox, and a sender's claim on them. Functions flush, never commit.

A message is added in the same transaction as the event that causes it: if that transaction
rolls back, no e-mail is ever sent; nothing is sent inside a request. ``flask outbox send``
(``app.mail``) claims due messages in a short transaction of its own and commits the claim
before it talks to the SMTP server, so a second sender (another node) skips them: on
PostgreSQL it reads them ``FOR UPDATE SKIP LOCKED``; on SQLite, which lets one writer at a time,
one UPDATE claims them. Each is then marked sent, or put back with a later attempt time, by the
claim that holds it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from app.models import NetworkMember, User
from app.models.outbox import (
    EmailAddress,
    MailKind,
    MailState,
    OutboxMessage,
    PersonEmailAddress,
)
from app.outbox.rules import CLAIM_LEASE, LINK_KINDS, QuietHours, gives_up, retry_delay
from app.refusals import N_, Conflict, Refused
from app.reminders import queries as reminders

LANGUAGES = ("fi", "sv", "en")
MAX_ADDRESS_LENGTH = 254
# Deliberately plain: one @, no spaces or control characters (no header can be smuggled in),
# a dot in the domain. Whether it reaches anyone is for the user to see.
_ADDRESS = re.compile(
    r"^[^@\s\x00-\x1f\x7f<>,;\"]+@[^@\s\x00-\x1f\x7f<>,;\"]+\.[^@\s\x00-\x1f\x7f<>,;\".]+$"
)


class AddressNotValid(Refused):
    """Raised when an e-mail address does not look like one."""

    code = "address_not_valid"
    field = "email"
    message = N_("Check the e-mail address: it should look like name@example.fi.")


class AddressMissing(Refused):
    """Raised when e-mail notifications are asked for without an address."""

    code = "address_missing"
    field = "email"
    message = N_("Type your e-mail address to get notifications by e-mail.")


class NoAddress(Conflict):
    """Raised when a link is to go by e-mail to an account without an address (or e-mail is off)."""

    code = "no_address"
    message = N_("This account has no e-mail address: set a one-time password instead.")


class NotGivenUp(Conflict):
    """Raised when "retry now" is asked of a message that is not given up on."""

    code = "not_given_up"
    message = N_("Only an e-mail that was given up on can be tried again: this one is not.")


class LinkForgotten(Conflict):
    """Raised when "retry now" is asked of an invitation or reset given up on: its one-time
    link was forgotten then, so the e-mail could not carry it."""

    code = "link_forgotten"
    message = N_(
        "An invitation or password reset that was given up on no longer has its link: "
        "send a new one from the account's page."
    )


def check_address(address: str) -> str:
    """The address, trimmed.

    :raises AddressNotValid: unless it looks like an e-mail address.
    """
    address = address.strip()
    if len(address) > MAX_ADDRESS_LENGTH or not _ADDRESS.match(address):
        raise AddressNotValid()
    return address


def language_of(user: User) -> str:
    """The language the user chose (Finnish when they have not)."""
    return user.locale if user.locale in LANGUAGES else "fi"


def set_address(
    session: Session, user: User, *, address: str, notify: bool, now: datetime
) -> EmailAddress | None:
    """Save the user's own address and choice; an empty address removes both.

    :raises AddressNotValid: when the address does not look like one.
    :raises AddressMissing: when notifications are asked for without an address.
    """
    current = session.scalar(select(EmailAddress).where(EmailAddress.user_id == user.id))
    if not address.strip():
        if notify:
            raise AddressMissing()
        if current is not None:
            session.delete(current)
            session.flush()
        return None
    address = check_address(address)
    if current is None:
        current = EmailAddress(user_id=user.id, address=address, notify=notify, updated_at=now)
        session.add(current)
    else:
        current.address, current.notify, current.updated_at = address, notify, now
    session.flush()
    return current


def notify(session: Session, user_id: uuid.UUID, kind: MailKind, *, now: datetime) -> bool:
    """Queue "something is waiting" for the user if they chose e-mail; whether it was queued.

    The message carries no content: the kind's fixed text and a link to the site.
    """
    if kind in LINK_KINDS:
        raise ValueError(f"{kind} carries a link: use send_link")
    row = session.execute(
        select(EmailAddress, User)
        .join(User, User.id == EmailAddress.user_id)
        .where(EmailAddress.user_id == user_id, EmailAddress.notify.is_(True), User.active)
    ).first()
    if row is None:
        return False
    address, user = row
    _queue(session, user, kind, address.address, link=None, now=now)
    return True


def set_person_address(
    session: Session, member_id: uuid.UUID, *, address: str, locale: str, now: datetime
) -> PersonEmailAddress | None:
    """Save a person member's address for "you have a new message" (in ``locale``); an empty
    address removes it, and with it every such e-mail.

    :raises AddressNotValid: when the address does not look like one.
    """
    current = session.scalar(
        select(PersonEmailAddress).where(PersonEmailAddress.member_id == member_id)
    )
    if not address.strip():
        if current is not None:
            session.delete(current)
            session.flush()
        return None
    address = check_address(address)
    locale = locale if locale in LANGUAGES else "fi"
    if current is None:
        current = PersonEmailAddress(member_id=member_id, address=address, locale=locale)
        session.add(current)
    current.address, current.locale, current.updated_at = address, locale, now
    session.flush()
    return current


def forget_person_addresses(session: Session, *, today: date) -> int:
    """Remove the addresses of person members whose membership has ended (by hand, or past
    its last day): an address is kept only for telling a member of the network of a new
    message. How many went (the caller commits)."""
    ended = session.scalars(  # from the addresses (few), each member by its key
        select(PersonEmailAddress.id)
        .join(NetworkMember, NetworkMember.id == PersonEmailAddress.member_id)
        .where(or_(NetworkMember.ended_at.is_not(None), NetworkMember.ends_on < today))
    ).all()
    if ended:
        session.execute(delete(PersonEmailAddress).where(PersonEmailAddress.id.in_(ended)))
        session.flush()
    return len(ended)


def notify_persons(
    session: Session, member_ids: Sequence[uuid.UUID], kind: MailKind, *, now: datetime
) -> int:
    """Queue "something is waiting" for each person member who gave an address (one query);
    how many were queued. Like ``notify``, the e-mail names nothing."""
    if kind in LINK_KINDS:
        raise ValueError(f"{kind} carries a link: use send_link")
    if not member_ids:
        return 0
    found = session.scalars(
        select(PersonEmailAddress)
        .where(PersonEmailAddress.member_id.in_(sorted(set(member_ids))))
        .order_by(PersonEmailAddress.member_id)
    ).all()
    for person in found:
        session.add(
            OutboxMessage(
                user_id=None,
                kind=kind,
                address=person.address,
                locale=person.locale,
                link=None,
                state=MailState.PENDING,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    session.flush()
    return len(found)


def send_link(
    session: Session, user: User, kind: MailKind, *, address: str, link: str, now: datetime
) -> OutboxMessage:
    """Queue an invitation or password-reset link to ``address`` (the link is kept until sent).

    :raises AddressNotValid: when the address does not look like one.
    """
    if kind not in LINK_KINDS:
        raise ValueError(f"{kind} carries no link")
    return _queue(session, user, kind, check_address(address), link=link, now=now)


def _queue(
    session: Session, user: User, kind: MailKind, address: str, *, link: str | None, now: datetime
) -> OutboxMessage:
    message = OutboxMessage(
        user_id=user.id,
        kind=kind,
        address=address,
        locale=language_of(user),
        link=link,
        state=MailState.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    session.flush()
    return message


def queue_daily_reminders(session: Session, *, today: date, now: datetime) -> int:
    """Once a Helsinki day, "something is waiting" to each user who chose e-mail and has a
    reminder (``app.reminders.queries``: the worker's, the client's and the partner's).
    Returns how many were queued.

    One statement per reminder source, whatever the number of users; then ONE update marks
    the day on the addresses of the users to remind (``EmailAddress.reminded_on``) and
    returns those it changed, so a second run the same day — or another node's run at the
    same moment, which waits for this one's row locks — queues nothing more.
    """
    waiting = reminders.users_with_reminders(session, today)
    if not waiting:
        return 0
    marked = session.execute(
        update(EmailAddress)
        .where(
            EmailAddress.user_id.in_(sorted(waiting)),
            EmailAddress.notify.is_(True),
            or_(EmailAddress.reminded_on.is_(None), EmailAddress.reminded_on < today),
            EmailAddress.user_id.in_(select(User.id).where(User.active.is_(True))),
        )
        .values(reminded_on=today)
        .returning(EmailAddress.user_id, EmailAddress.address)
        .execution_options(synchronize_session=False)
    ).all()
    if not marked:
        return 0
    addresses = dict(marked)
    for user in session.scalars(select(User).where(User.id.in_(sorted(addresses)))):
        _queue(session, user, MailKind.REMINDER, addresses[user.id], link=None, now=now)
    session.flush()
    return len(addresses)


def claim_due(
    session: Session, *, claim: str, now: datetime, limit: int, quiet: QuietHours | None
) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages for this sender run (the caller commits at once).

    Due: pending and past their attempt time, or claimed by a sender longer ago than the
    lease (it died). In quiet hours, only invitation and reset links are due.
    """
    due = or_(
        (OutboxMessage.state == MailState.PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == MailState.SENDING) & (OutboxMessage.claimed_at < now - CLAIM_LEASE),
    )
    if quiet is not None and quiet.contains(now):
        due = due & OutboxMessage.kind.in_(sorted(LINK_KINDS))
    candidates = select(OutboxMessage.id).where(due).order_by(OutboxMessage.created_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            return []
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(state=MailState.SENDING, claim=claim, claimed_at=now)
        )
    else:
        # One statement: SQLite runs one writer at a time, so no two runs claim a row twice.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates.scalar_subquery()), due)
            .values(state=MailState.SENDING, claim=claim, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claim == claim, OutboxMessage.state == MailState.SENDING)
            .order_by(OutboxMessage.created_at)
        )
    )


def mark_sent(session: Session, message_id: uuid.UUID, *, claim: str, now: datetime) -> bool:
    """The message went: keep the fact, forget the link. False when the claim was lost."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim == claim)
        .values(state=MailState.SENT, sent_at=now, link=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


def mark_failed(
    session: Session, message: OutboxMessage, *, claim: str, error: str, now: datetime
) -> MailState:
    """An attempt failed: try again after the backoff, or give up after the last attempt (the
    link is forgotten then). Returns the message's new state."""
    attempts = message.attempts + 1
    state = MailState.FAILED if gives_up(attempts) else MailState.PENDING
    values: dict[str, object] = {
        "state": state,
        "attempts": attempts,
        "next_attempt_at": now + retry_delay(attempts),
        "claim": None,
        "claimed_at": None,
        "last_error": error[:200],
    }
    if state is MailState.FAILED:
        values["link"] = None
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim == claim)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return state


def retry_now(session: Session, message: OutboxMessage, *, now: datetime) -> None:
    """Put a message that was given up on back in the queue, due now, with its attempts
    counted afresh (the administrator's "retry now"; the last error stays until it goes).

    :raises NotGivenUp: unless the message was given up on.
    :raises LinkForgotten: for an invitation or reset, whose link is gone.
    """
    if message.state is not MailState.FAILED:
        raise NotGivenUp()
    if message.kind in LINK_KINDS:
        raise LinkForgotten()
    message.state, message.attempts, message.next_attempt_at = MailState.PENDING, 0, now
    session.flush()
