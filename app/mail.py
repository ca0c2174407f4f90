"""E-mail: the fixed texts of each kind, and `flask outbox send`, which sends the outbox.

Every message says only that something is waiting, in the recipient's language, with a link
to the site's public address (``TUKIVERKKO_PUBLIC_URL``); an invitation or a password reset
carries its one-time link instead. No name, section, message text or other content is ever
part of an e-mail: a message is built from its kind, language and link alone (the outbox row
holds nothing else), so there is nothing else it could say.

Each run first queues the day's reminders (``app.outbox.commands.queue_daily_reminders``:
at most once a Helsinki day to each user who chose e-mail and has a reminder in
``app.reminders``, outside the quiet hours). Sending
(``send_due``): claim due messages and commit the claim (``app.outbox.commands``), then
talk to the SMTP server (``smtplib``; STARTTLS or implicit TLS, certificate checked), then mark
each sent, or failed with a backoff, and commit. Two senders on two nodes never send the same
message; a sender that dies holding a claim has its messages sent again after the lease.
"""

from __future__ import annotations

import dataclasses
import logging
import smtplib
import ssl
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from app.models.outbox import MailKind, MailState, OutboxMessage
from app.outbox import commands as outbox
from app.outbox.rules import QuietHours
from app.refusals import N_
from app.request_log import FIELDS
from app.settings import Settings
from app.staff.rules import INVITATION_LIFETIME
from consent.base import utcnow
from consent.status import HELSINKI

_log = logging.getLogger("tukiverkko.outbox")
BATCH = 50
SMTP_TIMEOUT = 30  # seconds


@dataclass(frozen=True)
class Text:
    subject: str
    lead: str  # the one sentence saying what is waiting
    action: str  # what the link does
    footer: str


_NOTIFICATION_FOOTER = N_(
    "This message was sent automatically; replies are not read. You can turn these e-mails "
    "off on your account page in Tukiverkko."
)
_LINK_FOOTER = N_(
    "The link works once and for %(days)s days. If you were not expecting this message, "
    "ignore it: nothing happens without the link."
)
TEXTS: dict[MailKind, Text] = {
    MailKind.NEW_MESSAGE: Text(
        N_("You have a new message in Tukiverkko"),
        N_("You have a new message in Tukiverkko."),
        N_("Sign in to read it:"),
        _NOTIFICATION_FOOTER,
    ),
    MailKind.REMINDER: Text(
        N_("Something is waiting for you in Tukiverkko"),
        N_("Something is waiting for you in Tukiverkko."),
        N_("Sign in to see it:"),
        _NOTIFICATION_FOOTER,
    ),
    MailKind.STAFF_INVITATION: Text(
        N_("Your Tukiverkko account"),
        N_("An administrator has made you an account in Tukiverkko."),
        N_("Choose your password with this link:"),
        _LINK_FOOTER,
    ),
    MailKind.PASSWORD_RESET: Text(
        N_("Choose a new password for Tukiverkko"),
        N_("An administrator has asked for a new password to be chosen for your account."),
        N_("Choose your new password with this link:"),
        _LINK_FOOTER,
    ),
}


def helsinki_day(at: datetime) -> date:
    """The calendar day in Helsinki at the instant ``at``."""
    return at.astimezone(HELSINKI).date()


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


def compose(kind: MailKind, *, locale: str, address: str, link: str | None) -> EmailMessage:
    """The e-mail of ``kind`` in ``locale`` to ``address`` (needs an app context).

    A notification links to the site's address; a link kind carries ``link``.
    """
    settings = _settings()
    text = TEXTS[kind]
    url = link if link is not None else settings.public_url.rstrip("/") + "/"
    with force_locale(locale):
        body = "\n\n".join(
            [
                gettext(text.lead),
                gettext(text.action) + "\n" + url,
                gettext(text.footer, days=INVITATION_LIFETIME.days),
            ]
        )
        subject = gettext(text.subject)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from or "tukiverkko@localhost"
    message["To"] = address
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.public_url).hostname or None)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = locale
    message.set_content(body + "\n")
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the SMTP server, encrypted as configured and signed in when a user is set."""
    context = ssl.create_default_context(
        cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    )
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password or "")
    return smtp


def _error(error: Exception) -> str:
    """What to keep of a failure: the SMTP code or the error's class, never an address."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__} {error.smtp_code}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "SMTPRecipientsRefused"
    return type(error).__name__


@dataclass(frozen=True)
class SendReport:
    sent: int
    retrying: int
    failed: int
    reminders_queued: int = 0


def send_due(session: Session) -> SendReport:
    """Send every due message, a batch at a time, committing after each claim and each send.

    A connection that cannot be opened counts as a failed attempt for the whole batch.
    """
    settings = _settings()
    quiet = QuietHours.parse(settings.mail_quiet_hours)
    now = utcnow()
    reminders = 0
    if quiet is None or not quiet.contains(now):  # the day's reminders arrive after the quiet
        reminders = outbox.queue_daily_reminders(session, today=helsinki_day(now), now=now)
        session.commit()
    counts: Counter[MailState] = Counter()
    claim = uuid.uuid4().hex
    while True:
        claimed = outbox.claim_due(session, claim=claim, now=utcnow(), limit=BATCH, quiet=quiet)
        session.commit()
        if not claimed:
            break
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as error:
            for message in claimed:
                counts[
                    outbox.mark_failed(
                        session, message, claim=claim, error=_error(error), now=utcnow()
                    )
                ] += 1
            session.commit()
            break
        with smtp:
            for message in claimed:
                counts[_send_one(session, smtp, message, claim=claim)] += 1
                session.commit()
        if len(claimed) < BATCH:
            break
    report = SendReport(
        counts[MailState.SENT], counts[MailState.PENDING], counts[MailState.FAILED], reminders
    )
    _log.info("outbox", extra={FIELDS: dataclasses.asdict(report)})
    return report


def _send_one(
    session: Session, smtp: smtplib.SMTP, message: OutboxMessage, *, claim: str
) -> MailState:
    email = compose(message.kind, locale=message.locale, address=message.address, link=message.link)
    try:
        smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        return outbox.mark_failed(session, message, claim=claim, error=_error(error), now=utcnow())
    outbox.mark_sent(session, message.id, claim=claim, now=utcnow())
    return MailState.SENT
