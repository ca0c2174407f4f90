"""RFC 9457 problem details: every API error is ``application/problem+json``.

A problem has a ``type`` (a link to its explanation in the API reference, or
``about:blank`` for a plain HTTP status), a ``title``, the ``status`` and a ``detail``.
A validation problem adds ``errors``: one entry per field, with a JSON pointer into the
body (``pointer``) or the name of a query parameter (``parameter``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, json

MEDIA_TYPE = "application/problem+json"
DOCS = "/api/v1/docs#problem-"

# The problem types the API documents; anything else is ``about:blank`` with the status.
VALIDATION = "validation"
MALFORMED = "malformed-body"
STALE = "stale-version"
PRECONDITION_REQUIRED = "precondition-required"
CONFLICT = "conflict"
TYPES = {
    VALIDATION: "Some fields are not valid",
    MALFORMED: "The body is not a well-formed JSON object",
    STALE: "Someone else changed this since you read it",
    PRECONDITION_REQUIRED: "Send If-Match with the ETag you last read",
    CONFLICT: "The request conflicts with the current state",
}


def problem(
    status: int,
    detail: str | None = None,
    *,
    kind: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The problem response for ``status``, of the documented ``kind`` when given."""
    body: dict[str, Any] = {
        "type": DOCS + kind if kind else "about:blank",
        "title": TYPES[kind] if kind else HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def field_errors(messages: Any, *, in_query: bool) -> list[dict[str, str]]:
    """marshmallow's nested ``{field: [message]}`` as a flat list of per-field errors."""
    key = "parameter" if in_query else "pointer"
    errors = []
    for path, message in _flatten(messages, ()):
        if in_query:
            where = path[0] if path else ""
        else:
            where = "#" + "".join("/" + _escape(str(part)) for part in path)
        errors.append({key: where, "detail": message})
    return errors


def _flatten(messages: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(messages, Mapping):
        for name, inner in messages.items():
            yield from _flatten(inner, path if name == "_schema" else (*path, name))
    elif isinstance(messages, list | tuple):
        for inner in messages:
            yield from _flatten(inner, path)
    else:
        yield path, str(messages)


def _escape(part: str) -> str:
    """A JSON pointer reference token (RFC 6901)."""
    return part.replace("~", "~0").replace("/", "~1")
