"""The yardstick: a bare Flask app doing only the round trips a shared-section read needs.

    gunicorn -w 2 -b 127.0.0.1:8001 'benchmarks.baseline:create_baseline()'
    (BENCH_DATABASE_URL and TUKIVERKKO_INSTANCE_PATH name the generated data set)

A partner's read of one shared plan section cannot do less than this, on the same data:

1. Flask-Login loads the user from the session cookie: one SELECT of the session the
   cookie's secret names (by its SHA-256 digest) joined to its user. The cookie is the
   app's own: the same secret key, cookie name and session protection, so a browser signed
   in to the app is signed in here too.
2. One SELECT of the client's consents to the user's organisation, through the consents'
   client index (the decision's lookup; the dates and sections are checked in Python).
3. One SELECT of the section's current version (its ciphertext, not decrypted: the crypto
   costs about 0.5 ms and is not a round trip).
4. The log append: ``BEGIN IMMEDIATE`` on SQLite, or a lock on the client's row on
   PostgreSQL (the chain's lock), the chain-head SELECT, one INSERT of the entry MACed
   with the app's ``entry_mac``, and COMMIT. The entries form valid chains.
5. A small JSON body, or a small HTML page rendered from a compiled Jinja template.

``/baseline/hello`` answers without any database work: the floor of the server itself.
It deliberately does not import ``app`` (whose engine events would apply here too).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, g, jsonify, render_template_string
from flask_login import LoginManager, UserMixin, current_user, login_required
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    Integer,
    LargeBinary,
    String,
    Uuid,
    bindparam,
    create_engine,
    insert,
    text,
)
from sqlalchemy.engine import Engine

from consent.base import Base, utcnow
from sharing.access_log import GENESIS, AccessAction, AccessLogEntry, LogRecord, entry_mac
from sharing.keys import Keyring, LogKeys

COOKIE = "tukiverkko_session"  # the app's session cookie name (app/__init__.py)
LOG = Base.metadata.tables[AccessLogEntry.__tablename__]

# Typed statements: ids bind and load as the app's ``Uuid`` columns store them on each dialect.
_IDS = {name: bindparam(name, type_=Uuid()) for name in ("id", "client", "org")}
USER = (
    text(
        "SELECT u.id, u.organisation_id, u.active FROM user_sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.digest = :digest"
    )
    .bindparams(bindparam("digest", type_=String()))
    .columns(id=Uuid(), organisation_id=Uuid(), active=Boolean())
)
CONSENTS = (
    text(
        # Only the client's index narrows it: SQLite (no statistics here) would otherwise walk
        # the index on ``state`` (every active consent in the country). The state, direction
        # and dates of the organisation's few consents are checked in Python.
        "SELECT c.id, c.state, c.direction, c.sections, c.valid_from, c.valid_until "
        "FROM consents c JOIN network_members m ON m.id = c.member_id "
        "WHERE c.client_id = :client AND m.organisation_id = :org"
    )
    .bindparams(_IDS["client"], _IDS["org"])
    .columns(
        id=Uuid(),
        state=String(),
        direction=String(),
        sections=JSON(),
        valid_from=Date(),
        valid_until=Date(),
    )
)
SECTION = (
    text(
        "SELECT v.id, v.content_ct FROM plan_section_versions v "
        "JOIN plan_sections s ON s.id = v.section_id AND s.current_version = v.version "
        "WHERE s.client_id = :client AND s.kind = :kind"
    )
    .bindparams(_IDS["client"])
    .columns(id=Uuid(), content_ct=LargeBinary())
)
CHAIN_LOCK = text("SELECT id FROM clients WHERE id = :client FOR UPDATE").bindparams(_IDS["client"])
HEAD = (
    text(
        "SELECT seq, entry_hash FROM access_log WHERE client_id = :client ORDER BY seq DESC LIMIT 1"
    )
    .bindparams(_IDS["client"])
    .columns(seq=Integer(), entry_hash=LargeBinary())
)
PAGE = """<!doctype html><html lang="fi"><head><meta charset="utf-8">
<title>{{ kind }}</title></head><body><main><h1>{{ kind }}</h1>
<p>Versio {{ version_id }} ({{ size }} tavua), suostumus {{ consent_id }}.</p>
</main></body></html>"""


class BaselineUser(UserMixin):  # type: ignore[misc]  # flask-login ships no types
    def __init__(self, user_id: uuid.UUID, organisation_id: uuid.UUID | None, secret: str) -> None:
        self.id = user_id
        self.organisation_id = organisation_id
        self.secret = secret

    def get_id(self) -> str:
        return self.secret


def create_baseline(url: str | None = None, instance: str | None = None) -> Flask:
    """The baseline app over the database at ``url`` with the app's secret key."""
    url = url or os.environ["BENCH_DATABASE_URL"]
    folder = Path(instance or os.environ["TUKIVERKKO_INSTANCE_PATH"])
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=(folder / "secret_key").read_text().strip(),
        SESSION_COOKIE_NAME=COOKIE,
    )
    log_keys = Keyring.from_json((folder / "master-keys.json").read_text()).log
    assert log_keys is not None
    sqlite = url.startswith("sqlite")
    engine: Engine = create_engine(
        url,
        # SQLite: no implicit BEGIN from the driver; each statement stands alone until the
        # explicit BEGIN IMMEDIATE, and waits for the lock as long as the app does.
        connect_args={"isolation_level": None, "timeout": 10} if sqlite else {},
    )
    logins = LoginManager(app)
    logins.session_protection = "strong"  # as the app's

    def connection() -> Connection:
        if "db" not in g:
            g.db = engine.connect()
        found: Connection = g.db
        return found

    @app.teardown_appcontext
    def _close(_: BaseException | None) -> None:
        if (held := g.pop("db", None)) is not None:
            held.close()

    @logins.user_loader  # type: ignore[untyped-decorator]  # flask-login ships no types
    def _load(secret: str) -> BaselineUser | None:
        digest = hashlib.sha256(secret.encode()).hexdigest()
        row = connection().execute(USER, {"digest": digest}).first()
        if row is None or not row.active:
            return None
        return BaselineUser(row.id, row.organisation_id, secret)

    def read(client_id: uuid.UUID, kind: str) -> dict[str, Any]:
        user: BaselineUser = current_user
        db = connection()
        today = date.today()
        consent_id = next(
            (
                row.id
                for row in db.execute(CONSENTS, {"client": client_id, "org": user.organisation_id})
                if row.state == "active"
                and row.direction == "disclose"
                and kind in row.sections
                and row.valid_from <= today
                and (row.valid_until is None or today <= row.valid_until)
            ),
            None,
        )
        if consent_id is None:
            abort(404)
        section = db.execute(SECTION, {"client": client_id, "kind": kind}).first()
        if section is None:
            abort(404)
        _append(db, sqlite, user, client_id, kind, consent_id, log_keys)
        return {
            "client_id": str(client_id),
            "kind": kind,
            "version_id": str(section.id),
            "size": len(section.content_ct),
            "consent_id": str(consent_id),
        }

    @app.get("/baseline/clients/<uuid:client_id>/sections/<kind>.json")
    @login_required  # type: ignore[untyped-decorator]  # flask-login ships no types
    def section_json(client_id: uuid.UUID, kind: str) -> Response:
        return jsonify(read(client_id, kind))

    @app.get("/baseline/clients/<uuid:client_id>/sections/<kind>.html")
    @login_required  # type: ignore[untyped-decorator]  # flask-login ships no types
    def section_html(client_id: uuid.UUID, kind: str) -> str:
        return render_template_string(PAGE, **read(client_id, kind))

    @app.get("/baseline/hello")
    def hello() -> str:
        return "hello"

    return app


def _append(
    db: Connection,
    sqlite: bool,
    user: BaselineUser,
    client_id: uuid.UUID,
    kind: str,
    consent_id: uuid.UUID,
    log_keys: LogKeys,
) -> None:
    """The chained log append of the read, in its own short write transaction."""
    if sqlite:
        db.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        db.execute(CHAIN_LOCK, {"client": client_id})
    head = db.execute(HEAD, {"client": client_id}).first()
    seq, prev_hash = (head.seq, bytes(head.entry_hash)) if head else (0, GENESIS)
    record = LogRecord(
        client_id=client_id,
        at=utcnow(),
        actor_user_id=user.id,
        actor_role="partner",
        action=AccessAction.READ,
        allowed=True,
        reason="allowed_consent",
        scope=f"section:{kind}",
        purpose="network_cooperation",
        organisation_id=user.organisation_id,
        basis_kind="consent",
        basis_id=consent_id,
    )
    values = {name: getattr(record, name) for name in LogRecord.__dataclass_fields__}
    key_id = log_keys.active_mac_id
    mac = log_keys.mac(key_id)
    assert mac is not None
    entry_hash = entry_mac(mac, key_id, prev_hash, seq + 1, record)
    db.execute(
        insert(LOG),
        {
            **values,
            "id": uuid.uuid4(),
            "seq": seq + 1,
            "prev_hash": prev_hash,
            "entry_hash": entry_hash,
            "key_id": key_id,
        },
    )
    if sqlite:
        db.exec_driver_sql("COMMIT")
    else:
        db.commit()
