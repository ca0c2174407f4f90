"""Request bodies as the app reads them: once, within the size limit, and only well-formed text.

A body larger than its limit is refused (413) before it is read. A form must be UTF-8:
Werkzeug would otherwise keep invalid bytes as ``%FF`` escapes in the values, so
``refuse_undecodable_form`` (``before_request``, ahead of the CSRF check that parses the form)
answers 400 instead. The API's JSON goes through ``json_body``: parsed once per request, and
refused as ``MalformedBody`` (400 problem details) when it is not UTF-8 JSON, nests deeper
than ``MAX_JSON_DEPTH`` (5,000 levels would exhaust Python's recursion limit) or holds a lone
surrogate (``"\\ud800"`` is valid JSON but no text: no database could store it).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, abort, g, request

JSON_LIMIT = 64 * 1024
"""Bytes of an API body; the longest plan section is far below this."""
MAX_JSON_DEPTH = 32
"""Objects and arrays inside each other; the API's deepest body nests three."""

FORM = "application/x-www-form-urlencoded"
_PARSED = "tukiverkko_json_body"  # g: this request's parsed JSON body


class MalformedBody(Exception):
    """Raised when a JSON body cannot be read: not JSON, too deep, not text, not an object."""

    def __init__(self, detail: str = "Send one JSON object as the body.") -> None:
        super().__init__(detail)
        self.detail = detail


def json_body(limit: int = JSON_LIMIT) -> Any:
    """The request's JSON body (read once per request, at most ``limit`` bytes).

    :raises werkzeug.exceptions.RequestEntityTooLarge: over ``limit``.
    :raises MalformedBody: when it is not well-formed (see the module docstring).
    """
    if _PARSED in g:
        return g.get(_PARSED)
    request.max_content_length = limit
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedBody("The body is not UTF-8 text.") from None
    except RecursionError:
        raise MalformedBody(f"The body nests deeper than {MAX_JSON_DEPTH} levels.") from None
    except ValueError:
        raise MalformedBody("The body is not JSON.") from None
    _check_json(data)
    setattr(g, _PARSED, data)
    return data


def _check_json(data: Any) -> None:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise MalformedBody(f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, dict):
            for key in value:
                _check_text(key)
        stack.extend((inner, depth + 1) for inner in _children(value))


def _children(value: dict[str, Any] | list[Any]) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else value


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedBody(
            "The body holds an escaped lone surrogate (\\ud800–\\udfff), which is not text."
        ) from None


def refuse_undecodable_form() -> None:
    """``before_request``: a form body that is not UTF-8 is refused (400), not garbled."""
    if request.mimetype != FORM:
        return
    raw = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH; the form parses the cache
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        abort(400)


def init_app(app: Flask) -> None:
    # Ahead of every hook but the request log's: the CSRF check parses the form.
    app.before_request_funcs.setdefault(None, []).insert(1, refuse_undecodable_form)
