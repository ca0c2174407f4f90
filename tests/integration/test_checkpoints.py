"""Signed checkpoints of the log's chain heads, and `flask audit verify` naming what is wrong.

Each test writes its checkpoints to a file of its own (``maintenance.checkpoint``, as
``flask maintenance run`` does) and runs `flask audit verify --checkpoints` on it. Tampering
switches the append-only triggers off first, as a privileged hand would
(``test_access_log.tamper``).
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.consents.receipts import principal_id
from app.maintenance import commands as maintenance
from sharing import access_log, checkpoints
from sharing.access_log import append, entry_mac
from sharing.checkpoints import CheckpointRefused, heads_folder
from sharing.keys import LogKeys
from tests import factories
from tests.integration.test_access_log import chain_of, fields_of, record, remove, tamper

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def log_keys(db: Session) -> LogKeys:
    keys = access_log.keys_of(db.connection())
    return keys


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.jsonl"


def checkpoint(db: Session, keys: LogKeys, path: Path, minutes: int = 0) -> checkpoints.Written:
    return maintenance.checkpoint(db, keys, path, now=NOW + timedelta(minutes=minutes))


def audit(app: Flask, path: Path, *more: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(
        args=["audit", "verify", "--checkpoints", str(path), *more]
    )
    return result.exit_code, result.output


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- writing ------------------------------------------------------------------------------


def test_a_checkpoint_names_every_head_and_is_written_only_when_something_moved(
    db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna, ben = uuid.uuid4(), uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)] + [record(ben, 0)])

    first = checkpoint(db, log_keys, path)
    assert first.line is not None and first.checkpoint.n == 1 and first.checkpoint.full
    again = checkpoint(db, log_keys, path, minutes=1)
    assert again.line is None and again.checkpoint == first.checkpoint  # idempotent
    append(db, [record(ben, 1)])
    second = checkpoint(db, log_keys, path, minutes=2)

    assert [line["n"] for line in lines(path)] == [1, 2]
    line = lines(path)[1]
    assert (
        line["prev"] == first.checkpoint.line_sha256 and line["key"] == log_keys.active_signing_id
    )
    assert (line["chains"], line["entries"]) == (
        second.checkpoint.chains,
        second.checkpoint.entries,
    )
    assert line["full"] is False and line["changed"] == 1  # only ben's head moved
    side = json.loads(gzip.decompress((heads_folder(path) / str(line["heads"])).read_bytes()))
    assert [row[0] for row in side["heads"]] == [ben.hex]
    kept = checkpoints.read(path, log_keys.public_keys())
    assert kept.problems == [] and kept.last == second.checkpoint
    assert kept.heads == access_log.heads(db)
    assert kept.heads[anna] == (3, chain_of(db, anna)[-1].entry_hash)


def test_a_full_set_follows_once_the_changes_add_up_to_one(
    db: Session, log_keys: LogKeys, path: Path
) -> None:
    clients = [uuid.uuid4() for _ in range(3)]
    append(db, [record(c) for c in clients])
    checkpoint(db, log_keys, path)
    for n, client in enumerate(clients, start=1):
        append(db, [record(client, n)])
        checkpoint(db, log_keys, path, minutes=n)

    assert [(line["full"], line["base"], line["changed"]) for line in lines(path)] == [
        (True, 1, 3),
        (False, 1, 1),
        (False, 1, 1),
        (True, 4, 3),  # three changes since the full set of three: a new full set
    ]
    assert checkpoints.read(path, log_keys.public_keys()).heads == access_log.heads(db)


def test_a_checkpoint_of_ten_thousand_chains_stays_one_short_line(
    log_keys: LogKeys, path: Path
) -> None:
    heads = {uuid.uuid4(): (1000, bytes(range(32))) for _ in range(10_000)}
    checkpoints.write(path, heads, log_keys, NOW)
    moved = dict(list(heads.items())[:25])
    heads |= {client: (seq + 1, bytes(32)) for client, (seq, _) in moved.items()}
    checkpoints.write(path, heads, log_keys, NOW + timedelta(minutes=5))

    assert all(len(line) < 700 for line in path.read_bytes().splitlines())
    first, second = sorted(heads_folder(path).iterdir())
    assert second.stat().st_size < 4_000 < first.stat().st_size  # the 25 that moved
    kept = checkpoints.read(path, log_keys.public_keys())
    assert kept.problems == [] and kept.heads == heads and kept.last is not None
    assert (kept.last.chains, kept.last.entries) == (10_000, 10_000 * 1000 + 25)


def test_a_checkpoint_that_would_bless_a_lost_entry_is_refused(
    db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)])
    checkpoint(db, log_keys, path)

    remove(db, anna, 3)

    with pytest.raises(CheckpointRefused, match=f"client {anna}: chain ends at seq 2"):
        checkpoint(db, log_keys, path, minutes=1)
    assert len(lines(path)) == 1


def test_no_checkpoint_follows_a_forged_one(db: Session, log_keys: LogKeys, path: Path) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, 0)])
    checkpoint(db, log_keys, path)
    doc = lines(path)[0]
    doc["entries"] = 1000  # as if to make room for entries that were never written
    path.write_text(json.dumps(doc) + "\n")
    append(db, [record(anna, 1)])

    with pytest.raises(CheckpointRefused, match="checkpoint line 1: bad signature"):
        checkpoint(db, log_keys, path, minutes=1)


# --- `flask audit verify` -------------------------------------------------------------------


def test_audit_verify_compares_the_log_with_the_last_checkpoint(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)])
    checkpoint(db, log_keys, path)
    append(db, [record(anna, 3)])  # the log goes on after the checkpoint

    code, output = audit(app, path)

    assert code == 0, output
    assert "checkpoint 1 of 2026-03-02T09:00:00+00:00 holds" in output


def test_audit_verify_names_an_edited_entry(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)])
    checkpoint(db, log_keys, path)

    tamper(db, anna, 2, reason="consent")

    code, output = audit(app, path)
    assert code == 1
    assert f"BROKEN: client {anna} entry 2: edited entry" in output


def test_audit_verify_names_deleted_newest_entries(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(4)])
    checkpoint(db, log_keys, path)

    remove(db, anna, 3, 4)  # the newest two: the chain that is left verifies on its own

    code, output = audit(app, path)
    assert code == 1
    assert f"BROKEN: client {anna} entry 2: deleted newest entries (checkpoint 1" in output
    assert "has seq 4)" in output


def test_audit_verify_names_a_deleted_chain(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna, ben = uuid.uuid4(), uuid.uuid4()
    append(db, [record(anna, 0), record(ben, 0)])
    checkpoint(db, log_keys, path)

    remove(db, anna)

    code, output = audit(app, path)
    assert code == 1
    assert f"BROKEN: client {anna}: deleted chain (checkpoint 1" in output
    assert str(ben) not in output


def test_audit_verify_names_a_chain_rewritten_with_the_key(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)])
    checkpoint(db, log_keys, path)
    # Someone holding the keyring rewrites entry 1 and re-MACs the rest of the chain.
    mac = log_keys.mac(log_keys.active_mac_id)
    assert mac is not None
    prev = access_log.GENESIS
    for entry in chain_of(db, anna):
        fields = fields_of(entry)
        if entry.seq == 1:
            fields = dataclasses.replace(fields, reason="consent")
        new = entry_mac(mac, log_keys.active_mac_id, prev, entry.seq, fields)
        tamper(db, anna, entry.seq, reason=fields.reason, prev_hash=prev, entry_hash=new)
        prev = new

    code, output = audit(app, path)
    assert code == 1
    assert f"BROKEN: client {anna} entry 3: rewritten chain (checkpoint 1" in output
    assert "edited entry" not in output  # every MAC holds: only the checkpoint tells


def test_audit_verify_names_a_forged_checkpoint(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)])
    checkpoint(db, log_keys, path)
    append(db, [record(anna, 3)])
    checkpoint(db, log_keys, path, minutes=1)
    # Lower the second checkpoint's count (as if to hide entries), keeping its signature.
    first, second = path.read_text().splitlines()
    doc = json.loads(second)
    doc["entries"] -= 1
    path.write_text(first + "\n" + json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n")

    code, output = audit(app, path)
    assert code == 1
    assert "BROKEN: checkpoint line 2: bad signature" in output


def test_audit_verify_names_a_checkpoint_signed_by_a_stranger(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, 0)])
    # Someone with write access to the file signs a line with a key of their own, under the
    # id of the real checkpoint key.
    own_key = next(iter(LogKeys.generate().signing_keys.values()))
    stranger = dataclasses.replace(log_keys, signing_keys={log_keys.active_signing_id: own_key})
    checkpoints.write(path, access_log.heads(db), stranger, NOW)

    code, output = audit(app, path)
    assert code == 1
    assert "BROKEN: checkpoint line 1: bad signature" in output


def test_audit_verify_names_a_removed_checkpoint_line_and_an_altered_heads_file(
    app: Flask, db: Session, log_keys: LogKeys, path: Path
) -> None:
    anna = uuid.uuid4()
    for n in range(3):
        append(db, [record(anna, n)])
        checkpoint(db, log_keys, path, minutes=n)
    first, _, third = path.read_text().splitlines()
    path.write_text(f"{first}\n{third}\n")

    code, output = audit(app, path)
    assert code == 1
    assert "BROKEN: checkpoint line 2: numbered 3" in output

    path.write_text(first + "\n")
    side = heads_folder(path) / str(json.loads(first)["heads"])
    data = json.loads(gzip.decompress(side.read_bytes()))
    data["heads"][0][1] = 9
    side.write_bytes(gzip.compress(json.dumps(data).encode()))
    code, output = audit(app, path)
    assert code == 1
    assert "BROKEN: checkpoint 1: its heads file" in output and "was altered" in output


def test_audit_verify_checks_a_head_from_a_receipt(app: Flask, db: Session, path: Path) -> None:
    anna = factories.county_case(db).client.id
    before = access_log.head(db, anna)  # creating the client logged its writes
    start = before[0] if before else 0
    append(db, [record(anna, n) for n in range(4)])
    head = access_log.head(db, anna)
    assert head is not None and head[0] == start + 4
    code_shown = access_log.fingerprint(head[1])
    grouped = " ".join(code_shown[i : i + 4] for i in range(0, 16, 4))  # as the receipt prints it
    receipt = f"{principal_id(anna)}:{head[0]}:{grouped}"

    code, output = audit(app, path, "--receipt-head", receipt)
    assert code == 0, output
    assert "1 receipt heads hold" in output and "no checkpoint yet" in output

    remove(db, anna, head[0])  # deleted after the client got the receipt: no checkpoint needed
    code, output = audit(app, path, "--receipt-head", f"{anna}:{head[0]}:{code_shown}")
    assert code == 1
    assert (
        f"BROKEN: client {anna} entry {head[0] - 1}: deleted newest entries "
        f"(receipt has seq {head[0]})"
    ) in output


def test_audit_verify_refuses_a_malformed_receipt_head(app: Flask, db: Session, path: Path) -> None:
    code, output = audit(app, path, "--receipt-head", "not-a-head")
    assert code == 2 and "ID:SEQ:CHECK-CODE" in output


def test_the_public_keys_verify_a_checkpoint_without_the_private_ones(
    db: Session, log_keys: LogKeys, path: Path
) -> None:
    append(db, [record(uuid.uuid4())])
    checkpoint(db, log_keys, path)
    public = {k: base64.b64decode(base64.b64encode(v)) for k, v in log_keys.public_keys().items()}

    assert checkpoints.read(path, public).problems == []
    assert checkpoints.read(path, {}).problems == [
        f"checkpoint line 1: signed by an unknown key {log_keys.active_signing_id!r}"
    ]
