"""Command-line operations: ``flask keys``, ``audit``, ``maintenance``, ``demo``, ``backup``,
``second-factor`` and ``outbox``."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
import os
import re
import secrets
import time
import uuid
from collections import defaultdict
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session

from app import security_log
from app.accounts.commands import PurgedSession
from app.directory.queries import organisations_keyed, without_grantee_key
from app.extensions import db, db_session
from app.research import commands as research
from app.second_factor import commands as second_factor
from app.second_factor.queries import wrapped_secret_counts
from app.settings import MASTER_KEY_FILE, SECRET_KEY_FILE, Settings
from sharing import access_log, blind_index, checkpoints, keys, seal, write_lock
from sharing.access_log import ExpectedHead, VerifyReport
from sharing.keys import KeyFile, Keyring, LogKeys, generate_keyring, write_key_file

keys_cli = AppGroup("keys", help="Master keys and the secret key.")
audit_cli = AppGroup("audit", help="The tamper-evident access log.")
maintenance_cli = AppGroup("maintenance", help="Expiry, seal clean-up and retention.")
demo_cli = AppGroup("demo", help="The fictional demo world.")
outbox_cli = AppGroup("outbox", help="E-mail waiting to be sent.")
_maintenance_log = logging.getLogger("tukiverkko.maintenance")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


def _key_event(
    operation: str,
    outcome: security_log.Outcome,
    *,
    key_id: str | None = None,
    rewrapped: int | None = None,
    reason: str | None = None,
) -> None:
    """A master-key or secret-key operation in the security log (ids only, never a key)."""
    security_log.event(
        security_log.Kind.KEYS,
        outcome=outcome,
        operation=operation,
        key_id=key_id,
        rewrapped=rewrapped,
        reason=reason,
    )


def _refused(operation: str, message: str) -> click.ClickException:
    _key_event(operation, security_log.Outcome.FAILURE, reason=message)
    return click.ClickException(message)


def _keyring() -> Keyring:
    key_file: KeyFile | None = current_app.extensions["tukiverkko.key_file"]
    if key_file is None:
        raise click.ClickException("no master keys: run `flask keys init` first")
    return key_file.current()


def _key_file(operation: str, instead: str) -> Path:
    """The instance key file a command rewrites.

    :raises click.ClickException: when the keys come from the environment, saying ``instead``
        (and the refusal is a security event of ``operation``).
    """
    path = _settings().keyring_file
    if path is None:
        raise _refused(operation, f"the master keys come from TUKIVERKKO_MASTER_KEYS: {instead}")
    return path


@keys_cli.command("init")
def keys_init() -> None:
    """Create the instance secret key and master key file when missing (never overwrites)."""
    settings = _settings()
    folder = settings.instance_path
    folder.mkdir(parents=True, exist_ok=True)
    secret_path = folder / SECRET_KEY_FILE
    if settings.secret_key:
        click.echo("secret key: present")
    else:
        # O_EXCL: never replace an existing key; 0600: readable by the owner only.
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        _key_event("init_secret_key", security_log.Outcome.SUCCESS)
        click.echo(f"secret key: created {secret_path}")
    if settings.keyring is not None:
        current = _keyring()  # as the key file holds it now
        click.echo(f"master keys: present (active {current.active_id})")
        if current.log is not None:
            click.echo(f"access-log keys: present (active {current.log.active_mac_id})")
        elif settings.keyring_file is None:
            raise click.ClickException(
                'TUKIVERKKO_MASTER_KEYS has no "log" section: run `flask keys init` with a new '
                'instance folder and copy the "log" section of the key file it writes'
            )
        else:
            # A key file from before the access log's own keys: add them, keep everything else.
            with_log = current.with_log_keys(LogKeys.generate())
            write_key_file(settings.keyring_file, with_log)
            assert with_log.log is not None
            click.echo(f"access-log keys: added (active {with_log.log.active_mac_id})")
    else:
        keyring = generate_keyring()
        write_key_file(folder / MASTER_KEY_FILE, keyring)
        _key_event("init", security_log.Outcome.SUCCESS, key_id=keyring.active_id)
        click.echo(f"master keys: created {folder / MASTER_KEY_FILE} (active {keyring.active_id})")


def _pending(keyring: Keyring) -> int:
    counts = [
        keys.wrapped_counts(db_session()),
        seal.wrapped_grantee_counts(db_session()),
        blind_index.wrapped_index_counts(db_session()),
        wrapped_secret_counts(db_session()),
        research.wrapped_study_counts(db_session()),
    ]
    return sum(n for c in counts for key_id, n in c.items() if key_id != keyring.active_id)


def _rewrap_batch(keyring: Keyring, batch_size: int) -> int:
    # A read-modify-write beside a serving app: on SQLite take the write lock before reading
    # the batch, or the batch's update fails whenever a request wrote meanwhile.
    write_lock.take(db_session().connection())
    return (
        keys.rewrap_data_keys(db_session(), keyring, batch_size)
        + seal.rewrap_grantee_keys(db_session(), keyring, batch_size)
        + blind_index.rewrap_index_keys(db_session(), keyring, batch_size)
        + second_factor.rewrap_secrets(db_session(), keyring, batch_size)
        + research.rewrap_study_keys(db_session(), keyring, batch_size)
    )


@keys_cli.command("add")
def keys_add() -> None:
    """Add a new master key to the key file without making it active (several nodes).

    The first step of a rotation when more than one node serves: copy the key file to every
    node, then run ``flask keys rotate --to <id>`` on one of them. Until then every node
    keeps wrapping under the active key, so no node meets a key it does not hold.
    """
    keyring = _keyring()
    path = _key_file(
        "add",
        "add the new key there (not active) on every node, restart them, then run "
        "`flask keys rotate --to <id>`",
    )
    added = keyring.with_new_active_key()
    write_key_file(path, added.with_active(keyring.active_id))
    _key_event("add", security_log.Outcome.SUCCESS, key_id=added.active_id)
    click.echo(
        f"master key {added.active_id} added to {path} (not active): copy "
        f"this file to every node, then run `flask keys rotate --to {added.active_id}`"
    )


@keys_cli.command("rotate")
@click.option("--batch-size", default=200, show_default=True, help="Keys re-wrapped per commit.")
@click.option(
    "--to",
    "to_key",
    metavar="KEY_ID",
    help="Make this held key (from `flask keys add`) active instead of a new one.",
)
def keys_rotate(batch_size: int, to_key: str | None) -> None:
    """Make a new master key active and re-wrap every key under it; resumable.

    Content is not re-encrypted. A run that stops half-way is finished by running
    the command again: it carries on with the same new key. On several nodes, stage the
    key with ``flask keys add`` first and rotate ``--to`` it (ARCHITECTURE.md, "Past one
    machine").
    """
    keyring = _keyring()
    if to_key is not None and to_key != keyring.active_id:
        if to_key not in keyring.keys:
            raise _refused(
                "rotate",
                f"master key {to_key} is not in the keyring: run `flask keys add` and copy "
                "the key file here first",
            )
        path = _key_file(
            "rotate",
            f"make {to_key} active there, restart, and run this command again to re-wrap under it",
        )
        keyring = keyring.with_active(to_key)
        write_key_file(path, keyring)
        click.echo(f"master key {to_key} made active in {path}")
    elif _pending(keyring):
        click.echo(f"resuming: re-wrapping under {keyring.active_id}")
    elif to_key is None:
        path = _key_file(
            "rotate",
            "add a new key there, make it active, restart, and run this command again to "
            "re-wrap under it",
        )
        keyring = keyring.with_new_active_key()
        write_key_file(path, keyring)
        click.echo(f"new active master key {keyring.active_id} written to {path}")
        _key_event("rotate", security_log.Outcome.SUCCESS, key_id=keyring.active_id)
    done = 0
    while batch := _rewrap_batch(keyring, batch_size):
        db_session().commit()
        done += batch
        click.echo(f"re-wrapped {done}")
    _key_event("rewrap", security_log.Outcome.SUCCESS, key_id=keyring.active_id, rewrapped=done)
    click.echo(f"done: every key is wrapped under {keyring.active_id}")


@keys_cli.command("status")
def keys_status() -> None:
    """Show how many data keys, grantee keys, index keys and second-factor secrets each
    master key wraps."""
    keyring = _keyring()
    data = keys.wrapped_counts(db_session())
    grantees = seal.wrapped_grantee_counts(db_session())
    index = blind_index.wrapped_index_counts(db_session())
    totp = wrapped_secret_counts(db_session())
    studies = research.wrapped_study_counts(db_session())
    click.echo(f"active master key: {keyring.active_id}")
    wrapping = set(data) | set(grantees) | set(index) | set(totp) | set(studies)
    for key_id in sorted(set(keyring.keys) | wrapping):
        held = "held" if key_id in keyring.keys else "NOT HELD"
        click.echo(
            f"  {key_id}: {data.get(key_id, 0)} data keys, "
            f"{grantees.get(key_id, 0)} grantee keys, "
            f"{index.get(key_id, 0)} index keys, "
            f"{totp.get(key_id, 0)} second-factor secrets, "
            f"{studies.get(key_id, 0)} study keys ({held})"
        )
    pending = _pending(keyring)
    click.echo("re-wrap pending: " + (str(pending) if pending else "none"))
    keyless = without_grantee_key(db_session())
    click.echo(f"organisations with a grantee key: {organisations_keyed(db_session())}")
    click.echo("organisations without one yet: " + ("; ".join(keyless) if keyless else "none"))
    _echo_log_keys(keyring.log)


@keys_cli.command("rotate-log")
def keys_rotate_log() -> None:
    """Make a new access-log MAC key and checkpoint signing key active (the old ones stay).

    New entries and checkpoints use the new keys; older ones are verified with the keys they
    name, so log keys are never retired. A running server takes the new keys from the file.
    """
    settings = _settings()
    keyring = _keyring()
    if settings.keyring_file is None:
        raise click.ClickException(
            'the keys come from TUKIVERKKO_MASTER_KEYS: add a new key to its "log" section, '
            "make it active and restart"
        )
    if keyring.log is None:
        raise click.ClickException("no access-log keys yet: run `flask keys init` first")
    rotated = keyring.with_log_keys(keyring.log.rotated())
    write_key_file(settings.keyring_file, rotated)
    assert rotated.log is not None
    click.echo(
        f"new active access-log key {rotated.log.active_mac_id} and checkpoint key "
        f"{rotated.log.active_signing_id} written to {settings.keyring_file}"
    )


def _echo_log_keys(log_keys: LogKeys | None) -> None:
    if log_keys is None:
        click.echo("access-log keys: NONE (run `flask keys init`)")
        return
    for key_id in sorted(log_keys.mac_keys):
        active = " (active)" if key_id == log_keys.active_mac_id else ""
        click.echo(f"access-log MAC key {key_id}{active}")
    for key_id, public in sorted(log_keys.public_keys().items()):
        active = " (active)" if key_id == log_keys.active_signing_id else ""
        click.echo(
            f"checkpoint signing key {key_id}{active}: public key "
            f"{base64.b64encode(public).decode()}"
        )


@keys_cli.command("retire")
@click.argument("key_id")
def keys_retire(key_id: str) -> None:
    """Remove an old master key from the key file once nothing is wrapped under it.

    Data crypto-shredded since the key was active then stays unreadable even in old backups,
    unless the key was archived with them: archive it first if those backups must be restorable.
    """
    keyring = _keyring()
    path = _key_file(
        "retire",
        "remove the key there (once `flask keys status` shows nothing under it) and restart",
    )
    if key_id == keyring.active_id:
        raise _refused(
            "retire", f"{key_id} is the active master key: run `flask keys rotate` first"
        )
    if key_id not in keyring.keys:
        raise _refused("retire", f"master key {key_id} is not in the keyring")
    data = keys.wrapped_counts(db_session()).get(key_id, 0)
    grantees = seal.wrapped_grantee_counts(db_session()).get(key_id, 0)
    index = blind_index.wrapped_index_counts(db_session()).get(key_id, 0)
    totp = wrapped_secret_counts(db_session()).get(key_id, 0)
    studies = research.wrapped_study_counts(db_session()).get(key_id, 0)
    if remaining := data + grantees + index + totp + studies:
        raise _refused(
            "retire",
            f"{remaining} keys are still wrapped under {key_id} ({data} data keys, "
            f"{grantees} grantee keys, {index} index keys, {totp} second-factor secrets, "
            f"{studies} study keys): finish `flask keys rotate` first",
        )
    write_key_file(path, keyring.without_key(key_id))
    _key_event("retire", security_log.Outcome.SUCCESS, key_id=key_id)
    click.echo(
        f"retired {key_id}: removed from {path}; backups taken while it was "
        "active restore only with the keyring archived with them"
    )


RECEIPT_HEAD = re.compile(r"^(?P<id>[0-9a-fA-F-]{32,36}):(?P<seq>\d+):(?P<code>[0-9a-fA-F ]{8,})$")
SHOWN_PROBLEMS = 50


def _log_keys() -> LogKeys:
    log_keys = _keyring().log
    if log_keys is None:
        raise click.ClickException("the keyring has no access-log keys: run `flask keys init`")
    return log_keys


def _receipt_heads(specs: tuple[str, ...]) -> dict[uuid.UUID, list[ExpectedHead]]:
    """Heads copied from receipts: ``ID:SEQ:CHECK CODE``, the id being the receipt's number for
    the client (``piiPrincipalId``) or the client's id."""
    from app.consents.receipts import principal_id
    from app.models import Client

    heads: dict[uuid.UUID, list[ExpectedHead]] = defaultdict(list)
    by_principal: dict[uuid.UUID, uuid.UUID] | None = None
    for spec in specs:
        match = RECEIPT_HEAD.match(spec.strip())
        code = match["code"].replace(" ", "").lower() if match else ""
        try:
            if match is None or len(code) % 2:
                raise ValueError(spec)
            given = uuid.UUID(match["id"])
        except ValueError:
            raise click.BadParameter(
                f"{spec!r} is not ID:SEQ:CHECK-CODE", param_hint="--receipt-head"
            ) from None
        if by_principal is None:
            clients = db_session().scalars(sa_select(Client.id)).all()
            by_principal = {uuid.UUID(principal_id(c)): c for c in clients}
        client_id = by_principal.get(given, given)
        heads[client_id].append(ExpectedHead(int(match["seq"]), bytes.fromhex(code), "receipt"))
    return heads


def _problem_line(broken: access_log.Broken) -> str:
    where = f"client {broken.client_id}" + (f" entry {broken.seq}" if broken.seq else "")
    detail = f" ({broken.detail})" if broken.detail else ""
    return f"BROKEN: {where}: {broken.problem}{detail}"


@audit_cli.command("verify")
@click.option("--client", "client_id", type=click.UUID, help="Verify one client's chain only.")
@click.option(
    "--receipt-head",
    "receipt_heads",
    multiple=True,
    metavar="ID:SEQ:CODE",
    help="A chain head from a consent receipt (the client's number on receipts, the entry "
    "and the check code); repeatable.",
)
@click.option(
    "--checkpoints",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The checkpoint file to compare with (default: the instance's, or "
    "TUKIVERKKO_CHECKPOINT_FILE); e.g. a copy kept off the machine.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    help="Processes to split the chains over (default 0: one per core on PostgreSQL, one on "
    "SQLite, where more did not verify faster).",
)
def audit_verify(
    client_id: uuid.UUID | None,
    receipt_heads: tuple[str, ...],
    checkpoint_file: Path | None,
    jobs: int,
) -> None:
    """Check every chain of the access log against its MACs, the last signed checkpoint and
    any receipt heads given; name each problem (client, entry, kind). Exit 1 on any."""
    log_keys = _log_keys()
    path = checkpoint_file or _settings().checkpoints_path
    kept = checkpoints.read(path, log_keys.public_keys())
    expected: dict[uuid.UUID, list[ExpectedHead]] = defaultdict(list)
    if kept.last is not None:
        source = f"checkpoint {kept.last.n} of {kept.last.at}"
        for chain, (seq, mac) in kept.heads.items():
            expected[chain].append(ExpectedHead(seq, mac, source))
    for chain, heads in _receipt_heads(receipt_heads).items():
        expected[chain] += heads
    if not jobs:
        jobs = (os.cpu_count() or 1) if db.engine.dialect.name == "postgresql" else 1
    report = access_log.verify(db_session(), client_id, expected=expected, workers=jobs)
    problems = [f"BROKEN: {problem}" for problem in kept.problems]
    problems += [_problem_line(broken) for broken in report.problems]
    for line in problems[:SHOWN_PROBLEMS]:
        click.echo(line)
    if len(problems) > SHOWN_PROBLEMS:
        click.echo(f"… and {len(problems) - SHOWN_PROBLEMS} more")
    if problems:
        raise click.ClickException(f"{len(problems)} problems in the access log")
    click.echo(_verified(report, kept, len(receipt_heads)))


def _verified(report: VerifyReport, kept: checkpoints.CheckpointLog, receipts: int) -> str:
    said = f"ok: {report.entries} entries in {report.chains} chains"
    if report.legacy_entries:
        said += f" ({report.legacy_entries} of them version 1, before the MAC)"
    if kept.last is not None:
        said += (
            f"; checkpoint {kept.last.n} of {kept.last.at} holds ({kept.last.chains} chains, "
            f"{kept.last.entries} entries)"
        )
    else:
        said += f"; no checkpoint yet in {kept.path} (nothing to compare the heads with)"
    if receipts:
        said += f"; {receipts} receipt heads hold"
    return said


@maintenance_cli.command("run")
def maintenance_run() -> None:
    """Expire consents, make and remove seals as bases start and end, crypto-shred old cases.

    Takes the maintenance lock first (``app.maintenance.lock``): a run on another node at the
    same time makes this one skip. Logs its outcome as one structured record.
    """
    from app.maintenance import commands as maintenance
    from app.maintenance.lock import try_lock
    from app.rate_limit_storage import purge_expired
    from app.request_log import FIELDS
    from app.security import log_session_ended, new_gate
    from consent.base import utcnow

    started = time.perf_counter()
    session = db_session()
    if not try_lock(session):
        session.rollback()
        _maintenance_log.info(
            "maintenance",
            extra={FIELDS: {"outcome": "skipped", "reason": "another run holds the lock"}},
        )
        click.echo("maintenance: skipped, another run holds the lock")
        return
    report = maintenance.run(
        session, new_gate(), now=utcnow(), retention_years=_settings().retention_years
    )
    sessions_ended = _purge_sessions(session)
    purge_expired(session, now=utcnow())  # rate-limit counters past their window
    session.commit()
    for purged in sessions_ended:
        log_session_ended(purged.user_id, purged.id, purged.reason)
    click.echo(
        f"consents expired {report.consents_expired}, clients re-sealed {report.clients_resealed}, "
        f"seals removed {report.seals_removed}, seals made {report.seals_created}, "
        f"cases disposed {report.cases_disposed}, "
        f"person addresses removed {report.person_addresses_removed}, "
        f"sessions ended {len(sessions_ended)}"
    )
    fields: dict[str, object] = {
        "outcome": "ran",
        **dataclasses.asdict(report),
        "sessions_ended": len(sessions_ended),
    }
    refused = None
    try:
        fields |= _checkpoint(session)
    except checkpoints.CheckpointRefused as error:
        refused = str(error)
        fields |= {"checkpoint": "refused", "checkpoint_error": refused}
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    _maintenance_log.log(
        logging.ERROR if refused else logging.INFO, "maintenance", extra={FIELDS: fields}
    )
    if refused:
        raise click.ClickException(f"checkpoint refused: {refused}")


def _purge_sessions(session: Session) -> list[PurgedSession]:
    """Delete the sign-in sessions that are idle too long or past their lifetime."""
    from app.accounts.commands import purge_sessions
    from app.models import Role
    from app.security import session_limits
    from consent.base import utcnow

    return purge_sessions(
        session, now=utcnow(), limits={role: session_limits(role) for role in Role}
    )


def _checkpoint(session: Session) -> dict[str, object]:
    """Checkpoint the access log's chain heads under the maintenance lock (taken again: the
    run's commit gave it back); what the structured log says about it."""
    from app.maintenance import commands as maintenance
    from app.maintenance.lock import try_lock
    from consent.base import utcnow

    settings = _settings()
    if not try_lock(session):
        session.rollback()
        click.echo("checkpoint: skipped, another run holds the lock")
        return {"checkpoint": "skipped"}
    try:
        written = maintenance.checkpoint(
            session,
            _log_keys(),
            settings.checkpoints_path,
            now=utcnow(),
            syslog=settings.checkpoint_syslog,
        )
    finally:
        session.rollback()  # it only read; this gives the lock back
    done = written.checkpoint
    said = "written" if written.line is not None else "unchanged"
    click.echo(
        f"checkpoint {done.n} {said}: {done.chains} chains, {done.entries} entries "
        f"({settings.checkpoints_path})"
    )
    return {"checkpoint": said, "checkpoint_n": done.n, "checkpoint_root": done.root}


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create the fictional demo world unless it exists; print the demo logins."""
    from app import demo
    from app.security import password_hasher

    if _settings().environment == "production":
        raise click.ClickException("the demo world is never seeded in production")
    created = demo.seed(db_session(), _keyring(), password_hasher().hash(demo.DEMO_PASSWORD))
    db_session().commit()
    click.echo("demo world created" if created else "demo world already present")
    click.echo(demo.logins_text())


@demo_cli.command("logins")
def demo_logins() -> None:
    """Print the demo logins."""
    from app import demo

    click.echo(demo.logins_text())


backup_cli = AppGroup("backup", help="Encrypted backups of the database.")


def _migrations_dir() -> str:
    return str(current_app.extensions["migrate"].directory)


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(path: Path) -> None:
    """Write a consistent, encrypted backup of the database to PATH (never overwrites).

    The file holds no master key: keep the key file (or secret) backed up separately.
    """
    from app import backup

    if path.exists():
        raise click.ClickException(f"{path} exists: choose a new file name")
    keyring = _keyring()
    try:
        taken = backup.create(db.engine, keyring)
    except backup.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(taken.blob)
    manifest, checksum = taken.manifest, hashlib.sha256(taken.blob).hexdigest()
    click.echo(
        f"backup written to {path}: schema {manifest['schema_revision']}, "
        f"{manifest['chains']['count']} log chains, sha256 {checksum}, "
        f"needs master key {keyring.active_id}"
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def backup_restore(path: Path) -> None:
    """Restore the backup in PATH onto this instance's empty database."""
    from app import backup

    keyring = _keyring()
    db.session.remove()
    db.engine.dispose()
    try:
        manifest = backup.restore(db.engine, keyring, _migrations_dir(), path.read_bytes())
    except backup.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(
        f"restored the backup of {manifest['created_at']} (schema {manifest['schema_revision']}); "
        f"{manifest['chains']['count']} log chain heads match its manifest; "
        "now run `flask audit verify`"
    )


second_factor_cli = AppGroup("second-factor", help="Staff's two-step sign-in.")


@second_factor_cli.command("reset")
@click.argument("username")
def second_factor_reset(username: str) -> None:
    """Turn off USERNAME's two-step sign-in (a lost phone and lost recovery codes).

    Every session and API token of the user ends; where two-step sign-in is required, they
    set it up again at their next sign-in. Check who is asking before running this.
    """
    from sqlalchemy import select

    from app.models import Role, User
    from app.second_factor.events import Origin
    from app.staff.commands import reset_second_factor
    from consent.base import utcnow

    user = db_session().scalar(select(User).where(User.username == username))
    if user is None or user.role is Role.CLIENT:  # clients sign in without a second factor
        raise click.ClickException(f"no user {username!r} with a second factor")
    # The administrator's page runs the same command: the account's history shows it (by a
    # command line), as the security log does.
    reset_second_factor(
        db_session(), user, scope=None, by_id=None, origin=Origin(None, "cli"), now=utcnow()
    )
    db_session().commit()
    click.echo(f"two-step sign-in of {username} is off; their sessions and API tokens have ended")


@outbox_cli.command("send")
def outbox_send() -> None:
    """Send the e-mail that is due (run every minute by tukiverkko-outbox.timer).

    Safe on several nodes at once: each message is claimed by one run. Does nothing while
    e-mail is not configured (TUKIVERKKO_SMTP_HOST).
    """
    from app import mail

    if not _settings().mail_enabled:
        click.echo("outbox: e-mail is off (no TUKIVERKKO_SMTP_HOST); nothing sent")
        return
    report = mail.send_due(db_session())
    click.echo(
        f"outbox: {report.reminders_queued} reminders queued, {report.sent} sent, "
        f"{report.retrying} to retry, {report.failed} given up"
    )


@outbox_cli.command("remind")
def outbox_remind() -> None:
    """Queue the day's reminders now (``flask outbox send`` does it first on every run
    outside the quiet hours): at most one a Helsinki day to each user who chose e-mail and
    has something waiting, so running it again the same day queues nothing."""
    from app import mail
    from app.outbox.commands import queue_daily_reminders
    from consent.base import utcnow

    now = utcnow()
    queued = queue_daily_reminders(db_session(), today=mail.helsinki_day(now), now=now)
    db_session().commit()
    click.echo(f"outbox: {queued} reminders queued")


def init_app(app: Flask) -> None:
    for group in (keys_cli, audit_cli, maintenance_cli, demo_cli, outbox_cli):
        app.cli.add_command(group)
    app.cli.add_command(backup_cli)
    app.cli.add_command(second_factor_cli)
