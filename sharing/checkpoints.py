"""Signed checkpoints of the access log's chain heads, in an append-only file outside the database.

``flask maintenance run`` writes one line per checkpoint (``write``): the number of chains and
of entries, a digest (``root``) of every chain's head (client, seq, MAC), the name and digest
of the file holding the heads, the digest of the previous line, and an Ed25519 signature by
the keyring's checkpoint key over all of it. The heads themselves go to a side file next to
the checkpoint file (gzipped JSON), holding only the heads that changed since the previous
checkpoint; every so often (once the changes since the last full set add up to as many heads
as there are chains) a full set, so reading the heads back replays at most about two full
sets. At 10,000 chains a line stays about 600 bytes (short enough for syslog), and a busy
hour's side files hold the chains that moved in it.

The file is opened with ``O_APPEND`` and each line and side file is synced to disk before the
next step. Lines are linked (``prev``) and signed, so a line cannot be changed, removed from
the middle or inserted without ``read`` naming it; removing the newest lines is what a copy
kept elsewhere (syslog, or shipping the file off the machine) catches. ``write`` never writes
a checkpoint that would bless a lost entry: when a chain is shorter than, differs from, or is
missing against the previous checkpoint, or the previous checkpoint does not verify, it
refuses (``CheckpointRefused``) and the operator runs ``flask audit verify``.

Writers are serialised by the caller (``flask maintenance run`` holds the maintenance lock).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sharing.errors import SharingError
from sharing.keys import LogKeys, signature_holds

FORMAT = 1
NO_PREVIOUS = "0" * 64  # the ``prev`` of the first line

Heads = Mapping[uuid.UUID, tuple[int, bytes]]
"""Chain heads: client id → (seq, MAC of the entry at seq)."""


class CheckpointRefused(SharingError):
    """Raised when a checkpoint would bless a chain that lost entries, or follow a bad one."""


@dataclass(frozen=True)
class Checkpoint:
    """One line of the checkpoint file, its signature checked."""

    n: int
    at: str
    chains: int
    entries: int
    root: str
    heads_file: str
    heads_sha256: str
    full: bool
    base: int  # the checkpoint whose side file holds the full set this one builds on
    changed: int  # heads in this checkpoint's side file
    key: str  # the id of the checkpoint key that signed it
    line_sha256: str  # the digest of the line as stored, which the next line links to


@dataclass
class CheckpointLog:
    """What ``read`` found: the last good checkpoint and its heads, and every problem."""

    path: Path
    lines: int = 0
    checkpoints: list[Checkpoint] = field(default_factory=list)  # the lines that hold
    last: Checkpoint | None = None
    heads: dict[uuid.UUID, tuple[int, bytes]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def heads_folder(path: Path) -> Path:
    """Where the side files of the checkpoint file at ``path`` live."""
    return path.with_name(path.name + ".heads")


def root_of(heads: Heads) -> str:
    """The SHA-256 digest a checkpoint signs for a set of heads (sorted by client)."""
    digest = hashlib.sha256()
    for client_id in sorted(heads):
        seq, mac = heads[client_id]
        digest.update(f"{client_id.hex}:{seq}:{mac.hex()}\n".encode())
    return digest.hexdigest()


def _canonical(fields_: Mapping[str, Any]) -> bytes:
    return json.dumps(fields_, sort_keys=True, separators=(",", ":")).encode()


def _parse(line: bytes, public_keys: Mapping[str, bytes]) -> tuple[dict[str, Any], str | None]:
    """The line's fields and, if it does not hold, why."""
    try:
        doc = json.loads(line)
        signed = {k: v for k, v in doc.items() if k != "sig"}
        signature = base64.b64decode(doc["sig"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}, "not a checkpoint line"
    key = public_keys.get(str(doc.get("key")))
    if key is None:
        return doc, f"signed by an unknown key {doc.get('key')!r}"
    if not signature_holds(key, signature, _canonical(signed)):
        return doc, "bad signature"
    if doc.get("v") != FORMAT:
        return doc, f"unknown format {doc.get('v')!r}"
    return doc, None


def _checkpoint(doc: Mapping[str, Any], line: bytes) -> Checkpoint:
    return Checkpoint(
        n=int(doc["n"]),
        at=str(doc["at"]),
        chains=int(doc["chains"]),
        entries=int(doc["entries"]),
        root=str(doc["root"]),
        heads_file=str(doc["heads"]),
        heads_sha256=str(doc["heads_sha256"]),
        full=bool(doc["full"]),
        base=int(doc["base"]),
        changed=int(doc["changed"]),
        key=str(doc["key"]),
        line_sha256=hashlib.sha256(line).hexdigest(),
    )


def read(
    path: Path, public_keys: Mapping[str, bytes], *, since_last_full: bool = False
) -> CheckpointLog:
    """Check the lines of the checkpoint file (signature, number, link to the line before)
    and read back the heads of the last one that holds; name each problem.

    Every line, or with ``since_last_full`` only those from the full set the last line builds
    on (what a new checkpoint needs: ``write`` runs every few minutes, ``flask audit verify``
    reads it all).
    """
    found = CheckpointLog(path)
    if not path.exists():
        return found
    lines = path.read_bytes().splitlines()
    found.lines = len(lines)
    first = _base_of_last(lines) if since_last_full else 1
    good: list[Checkpoint] = []
    previous = NO_PREVIOUS if first == 1 else hashlib.sha256(lines[first - 2]).hexdigest()
    for number, line in enumerate(lines[first - 1 :], start=first):
        doc, problem = _parse(line, public_keys)
        if problem is None:
            if doc.get("n") != number:
                problem = f"numbered {doc.get('n')!r}: lines were removed or added before it"
            elif doc.get("prev") != previous:
                problem = "does not link to the line before it"
        previous = hashlib.sha256(line).hexdigest()
        if problem is not None:
            found.problems.append(f"checkpoint line {number}: {problem}")
            continue
        good.append(_checkpoint(doc, line))
    found.checkpoints = good
    if good:
        last = good[-1]
        try:
            found.heads = _replay(path, good, last)
            found.last = last
        except CheckpointRefused as error:
            found.problems.append(f"checkpoint {last.n}: {error}")
    return found


def _base_of_last(lines: list[bytes]) -> int:
    """The number of the line whose full set the last line builds on (1 if unreadable:
    then every line is checked, and the problem named)."""
    try:
        base = int(json.loads(lines[-1])["base"]) if lines else 1
    except (ValueError, KeyError, TypeError):
        return 1
    return base if 1 <= base <= len(lines) else 1


def _replay(
    path: Path, good: list[Checkpoint], last: Checkpoint
) -> dict[uuid.UUID, tuple[int, bytes]]:
    """The full set of heads ``last`` signed: its base's full set, then each change since."""
    by_n = {c.n: c for c in good}
    heads: dict[uuid.UUID, tuple[int, bytes]] = {}
    for n in range(last.base, last.n + 1):
        checkpoint = by_n.get(n)
        if checkpoint is None:
            raise CheckpointRefused(f"its heads build on checkpoint {n}, which does not hold")
        heads.update(_load_heads(path, checkpoint))
    if root_of(heads) != last.root:
        raise CheckpointRefused("its heads do not add up to the digest it signed")
    return heads


def _load_heads(path: Path, checkpoint: Checkpoint) -> dict[uuid.UUID, tuple[int, bytes]]:
    side = heads_folder(path) / checkpoint.heads_file
    try:
        data = side.read_bytes()
    except OSError:
        raise CheckpointRefused(f"its heads file {side} is missing") from None
    if hashlib.sha256(data).hexdigest() != checkpoint.heads_sha256:
        raise CheckpointRefused(f"its heads file {side} was altered")
    rows = json.loads(gzip.decompress(data))["heads"]
    return {uuid.UUID(c): (int(s), bytes.fromhex(m)) for c, s, m in rows}


@dataclass(frozen=True)
class Written:
    """What ``write`` did: the new checkpoint and its line, or the unchanged last one."""

    checkpoint: Checkpoint
    line: str | None  # None: nothing changed since the last checkpoint, nothing written


def write(path: Path, heads: Heads, keys: LogKeys, now: datetime) -> Written:
    """Append a signed checkpoint of ``heads`` unless they equal the last checkpoint's.

    :raises CheckpointRefused: when the file's checkpoints do not verify, or a chain is
        missing, shorter or different against the last checkpoint.
    """
    previous = read(path, keys.public_keys(), since_last_full=True)
    if previous.problems:
        raise CheckpointRefused(
            "the checkpoint file does not verify (" + "; ".join(previous.problems[:3]) + ")"
        )
    last = previous.last
    _refuse_losses(previous.heads, heads, last)
    root = root_of(heads)
    if last is not None and root == last.root:
        return Written(last, None)
    changed = {c: h for c, h in heads.items() if previous.heads.get(c) != h}
    n = previous.lines + 1
    # A full set once the changes since the last one add up to as many heads as it holds:
    # a replay then reads at most about two full sets.
    since_base = sum(c.changed for c in previous.checkpoints if last and c.n > last.base)
    full = last is None or since_base + len(changed) >= len(heads)
    rows = heads if full else changed
    side = _write_heads(path, n, rows, full)
    fields_ = {
        "v": FORMAT,
        "n": n,
        "at": now.isoformat(timespec="seconds"),
        "chains": len(heads),
        "entries": sum(seq for seq, _ in heads.values()),  # seq runs 1, 2, 3… in each chain
        "root": root,
        "heads": side.name,
        "heads_sha256": hashlib.sha256(side.read_bytes()).hexdigest(),
        "full": full,
        "base": n if full or last is None else last.base,
        "changed": len(rows),
        "prev": last.line_sha256 if last is not None else NO_PREVIOUS,
        "key": keys.active_signing_id,
    }
    key_id, signature = keys.sign(_canonical(fields_))
    assert key_id == fields_["key"]
    line = _canonical({**fields_, "sig": base64.b64encode(signature).decode()})
    _append_line(path, line)
    return Written(_checkpoint(fields_, line), line.decode())


def _refuse_losses(before: Heads, now: Heads, last: Checkpoint | None) -> None:
    lost = []
    for client_id, (seq, mac) in sorted(before.items()):
        current = now.get(client_id)
        if current is None:
            lost.append(f"client {client_id}: chain missing (seq {seq} at checkpoint)")
        elif current[0] < seq:
            lost.append(
                f"client {client_id}: chain ends at seq {current[0]} (seq {seq} at checkpoint)"
            )
        elif current[0] == seq and current[1] != mac:
            lost.append(f"client {client_id}: entry {seq} differs from the checkpoint's")
    if lost:
        where = f"checkpoint {last.n}" if last is not None else "the last checkpoint"
        raise CheckpointRefused(
            f"{len(lost)} chains lost entries against {where} ({'; '.join(lost[:3])}): "
            "run `flask audit verify`"
        )


def _write_heads(path: Path, n: int, heads: Heads, full: bool) -> Path:
    folder = heads_folder(path)
    folder.mkdir(parents=True, exist_ok=True)
    rows = [[c.hex, seq, mac.hex()] for c, (seq, mac) in sorted(heads.items())]
    data = gzip.compress(
        json.dumps({"n": n, "full": full, "heads": rows}, separators=(",", ":")).encode(), mtime=0
    )
    side = folder / f"{n:08d}.json.gz"
    # A side file left by a run that died before its line: unreferenced, so replaced.
    tmp = side.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, side)
    _sync_folder(folder)
    return side


def _append_line(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
