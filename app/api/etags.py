"""Optimistic concurrency for writes: ``If-Match`` with the ETag last read, or 412.

A write names the version it was based on. The writer checks it against the stored
version *after* taking the row lock its service takes (``read_plan(for_update=True)``,
``SELECT … FOR UPDATE``), so of two writers with the same ETag exactly one wins and
the other gets 412 with the current ETag, and nothing is overwritten silently.
"""

from __future__ import annotations

import hashlib

from flask import abort, request

from app.api.problems import PRECONDITION_REQUIRED, STALE, problem


def etag_of(*parts: object) -> str:
    """An opaque strong ETag (without quotes) from the parts that change on every write."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def require_match(current: str | None) -> None:
    """Let the write go on only if the request was based on ``current``.

    ``current`` is the resource's ETag now, or ``None`` when it does not exist yet
    (then ``If-None-Match: *`` says "create it, unless someone else just did").

    :raises HTTPException: 428 without If-Match (or If-None-Match: * to create),
        412 when the ETag is not the current one (the response carries the current ETag).
    """
    if request.if_none_match.star_tag and not request.if_match:
        if current is None:
            return
        _stale(current, "It exists already: read it and send If-Match with its ETag.")
    if not request.if_match:
        abort(
            problem(
                428,
                "Send If-Match with the ETag you last read"
                + (" (or If-None-Match: * to create it)." if current is None else "."),
                kind=PRECONDITION_REQUIRED,
            )
        )
    if current is None or not request.if_match.contains(current):
        _stale(current, "Read it again and apply your change to the current version.")


def _stale(current: str | None, detail: str) -> None:
    response = problem(412, detail, kind=STALE)
    if current is not None:
        response.set_etag(current)
    abort(response)
