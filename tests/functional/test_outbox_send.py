"""`flask outbox send` as the timer runs it: a new process with the SMTP settings and password
from the environment, against a real SMTP server with STARTTLS, on a migrated database."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from app.extensions import db
from app.models import Role, User
from app.models.outbox import MailKind
from app.outbox import commands as outbox
from app.settings import Settings
from consent.base import utcnow
from tests.live_server import flask_here, run_flask, server_env
from tests.smtp_server import HOST, PASSWORD, USER, smtp_server


def test_flask_outbox_send_delivers_what_waits_once_over_starttls(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    for command in (("keys", "init"), ("db", "upgrade")):
        flask_here(env, *command)
    app = create_app(Settings.from_env(env))
    with app.app_context():
        account = User(username="uusi.tyontekija", display_name="Uusi", role=Role.ADMIN)
        account.locale = "en"
        db.session.add(account)
        db.session.flush()
        outbox.send_link(
            db.session,
            account,
            MailKind.STAFF_INVITATION,
            address="uusi@example.fi",
            link="http://localhost/invitation/abc",
            now=utcnow(),
        )
        db.session.commit()
        db.engine.dispose()
    assert "e-mail is off" in flask_here(env, "outbox", "send")  # nothing configured yet

    with smtp_server(tmp_path) as (inbox, port, ca_file):
        env.update(
            TUKIVERKKO_SMTP_HOST=HOST,
            TUKIVERKKO_SMTP_PORT=str(port),
            TUKIVERKKO_SMTP_SECURITY="starttls",
            TUKIVERKKO_SMTP_USER=USER,
            TUKIVERKKO_SMTP_PASSWORD=PASSWORD,
            TUKIVERKKO_SMTP_CA_FILE=str(ca_file),
            TUKIVERKKO_MAIL_FROM="tukiverkko@example.fi",
        )
        first = run_flask(env, "outbox", "send")
        again = run_flask(env, "outbox", "send")
    assert "1 sent" in first.stdout and "0 sent" in again.stdout
    assert PASSWORD not in first.stdout + first.stderr and "uusi@" not in first.stderr
    [message] = inbox.messages
    assert inbox.recipients == ["uusi@example.fi"] and inbox.logins == [(USER, PASSWORD)]
    assert message["Subject"] == "Your Tukiverkko account"
    assert "http://localhost/invitation/abc" in message.get_content()
