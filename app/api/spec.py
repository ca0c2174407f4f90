"""One declaration per operation: it routes, guards, validates, serialises and documents.

``@operation(...)`` registers a view on the API blueprint with its roles (``@allow``),
loads the query string and the JSON body through the declared schemas (the view gets
``query=`` and ``body=``), dumps what the view returns through the response schema,
and keeps all of it on the view, where ``build_spec`` reads it to write the OpenAPI
document. Validation and documentation come from the same schemas, so they cannot
drift apart.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, json, request
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import AnyConverter, Rule, UUIDConverter

from app.api import problems
from app.api.schemas import Problem
from app.models import Role
from app.request_bodies import JSON_LIMIT, MalformedBody, json_body
from app.security import Condition, allow, public

BODY_LIMIT = JSON_LIMIT  # bytes; the longest plan section is far below this
_OPERATION = "_tukiverkko_operation"
_ETAG_HEADER = {
    "ETag": {"description": "The version to send back in If-Match.", "schema": {"type": "string"}}
}


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    summary: str
    description: str
    tag: str
    roles: frozenset[Role] | None  # None: public
    query: type[Schema] | None
    body: type[Schema] | None
    response: type[Schema] | None  # None: 204 No Content
    status: int
    etag: bool  # the response carries an ETag
    if_match: bool  # the request must carry If-Match (or If-None-Match: * to create)
    statuses: tuple[int, ...]  # other documented outcomes (404, 409, …)
    media_type: str  # of the response body
    also: tuple[int, ...]  # other success statuses, with the same body (201 when created)


class MarshalResult:
    """What a view returns when it needs more than a body: an ETag, a Location, another status."""

    def __init__(
        self,
        body: Any,
        *,
        status: int | None = None,
        etag: str | None = None,
        location: str | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.etag = etag
        self.location = location


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    roles: Iterable[Role] | None,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    etag: bool = False,
    if_match: bool = False,
    statuses: Iterable[int] = (),
    media_type: str = "application/json",
    also: Iterable[int] = (),
    when: Condition | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated view as ``method rule`` (see the module docstring).

    The view returns the response body (dumped through ``response``), a
    ``MarshalResult``, or a ``Response`` of its own. ``when`` narrows ``roles`` as
    ``app.security.allow`` does.
    """

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        op = Operation(
            name=view.__name__,
            method=method.lower(),
            summary=summary,
            description=(view.__doc__ or "").strip(),
            tag=tag,
            roles=frozenset(roles) if roles is not None else None,
            query=query,
            body=body,
            response=response,
            status=status,
            etag=etag,
            if_match=if_match,
            statuses=tuple(statuses),
            media_type=media_type,
            also=tuple(also),
        )

        @functools.wraps(view)
        def handle(**kwargs: Any) -> Response:
            if query is not None:
                kwargs["query"] = load_query(query())
            if body is not None:
                kwargs["body"] = load_body(body())
            return marshal(op, view(**kwargs))

        guarded = allow(*op.roles, when=when)(handle) if op.roles is not None else public(handle)
        setattr(guarded, _OPERATION, op)
        bp.add_url_rule(rule, view.__name__, guarded, methods=[method])
        return guarded

    return register


def load_query(schema: Schema) -> dict[str, Any]:
    """The query string through ``schema``; a repeated parameter is only allowed for lists.

    :raises ValidationError: with per-parameter messages.
    """
    raw: dict[str, Any] = {}
    repeated: dict[str, list[str]] = {}
    for name in request.args:
        values = request.args.getlist(name)
        if isinstance(schema.fields.get(name), fields.List):
            raw[name] = values
        elif len(values) > 1:
            repeated[name] = ["Give this parameter once."]
        else:
            raw[name] = values[0]
    if repeated:
        raise QueryError(repeated)
    try:
        loaded: dict[str, Any] = schema.load(raw)
    except ValidationError as error:
        raise QueryError(error.messages) from error
    return loaded


class QueryError(ValidationError):
    """A query string that does not validate (reported per parameter)."""


def load_body(schema: Schema) -> Any:
    """The JSON body through ``schema``.

    :raises UnsupportedMediaType: unless the body is ``application/json``.
    :raises MalformedBody: unless the body is one well-formed JSON object
        (``app.request_bodies.json_body``).
    :raises ValidationError: with per-field messages.
    """
    if not request.is_json:
        raise UnsupportedMediaType()
    data = json_body(BODY_LIMIT)
    if not isinstance(data, dict):
        raise MalformedBody()
    return schema.load(data)


def marshal(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    outcome = result if isinstance(result, MarshalResult) else MarshalResult(result)
    status = outcome.status or op.status
    if op.response is None or status == 204:
        response = Response(status=204)
    else:
        data = _dumper(op.response).dump(outcome.body)
        response = Response(json.dumps(data), status=status, mimetype=op.media_type)
    if outcome.etag is not None:
        response.set_etag(outcome.etag)
    if outcome.location is not None:
        response.headers["Location"] = outcome.location
    return response


@functools.cache
def _dumper(schema: type[Schema]) -> Schema:
    """One instance of each response schema, made once (dumping keeps no state in it)."""
    return schema()


def operation_of(view: Callable[..., Any]) -> Operation | None:
    op: Operation | None = getattr(view, _OPERATION, None)
    return op


# -- the OpenAPI document ------------------------------------------------------------------

_STATUS_TEXT = {
    400: "The request could not be read.",
    401: "No valid bearer token (missing, expired or revoked).",
    403: "Your role may not use this operation.",
    404: "Not found, or outside what you may see: the two are not told apart.",
    409: "The request conflicts with the current state.",
    412: "The ETag in If-Match is not the current one: read again, then retry.",
    413: "The body is too large.",
    415: "The body must be application/json.",
    422: "Some fields are not valid; `errors` names each one.",
    428: "If-Match is required for this change.",
    429: "Too many attempts from your address (or for this account): wait Retry-After seconds.",
}
_RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def build_spec(app: Flask, *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every operation registered on the app."""
    spec = APISpec(
        title="Tukiverkko API",
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Partner systems read and write exactly what the web pages allow: "
                "the same roles, the same consents, the same access log. "
                "Authenticate with `POST /api/v1/tokens` and send "
                "`Authorization: Bearer <token>`. Errors are RFC 9457 problem details."
            )
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=Problem)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = operation_of(app.view_functions[rule.endpoint])
        if op is None:
            continue
        path, parameters = _path_of(rule)
        paths.setdefault(path, {"parameters": parameters})[op.method] = _operation_doc(op)
    for path, operations in paths.items():
        parameters = operations.pop("parameters")
        spec.path(path=path, operations=operations, parameters=parameters)
    return spec.to_dict()


def _path_of(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
    parameters = []
    for name, converter in rule._converters.items():
        schema: dict[str, Any] = {"type": "string"}
        if isinstance(converter, UUIDConverter):
            schema["format"] = "uuid"
        elif isinstance(converter, AnyConverter):
            schema["enum"] = sorted(converter.items)
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return path, parameters


def _operation_doc(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": op.name,
    }
    if op.description:
        doc["description"] = op.description
    if op.roles is None:
        doc["security"] = []
    else:
        doc["security"] = [{"bearer": []}]
        roles = ", ".join(sorted(r.value for r in op.roles))
        doc["description"] = (doc.get("description", "") + f"\n\nRoles: {roles}.").strip()
    if op.query is not None:
        doc["parameters"] = [{"in": "query", "schema": op.query}]
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    if op.if_match:
        doc.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": "If-Match",
                "required": False,
                "description": (
                    "The ETag you last read (required unless creating with If-None-Match: *)."
                ),
                "schema": {"type": "string"},
            }
        )
        doc["parameters"].append(
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "description": "`*` to create what does not exist yet (and 412 if it does).",
                "schema": {"type": "string", "enum": ["*"]},
            }
        )
    success: dict[str, Any] = {"description": "Done."}
    if op.response is not None and op.status != 204:
        success["content"] = {op.media_type: {"schema": op.response}}
    elif op.media_type != "application/json":  # a file of its own type (e.g. text/calendar)
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
    if op.etag:
        success["headers"] = dict(_ETAG_HEADER)
    responses: dict[Any, Any] = {str(status): success for status in (op.status, *op.also)}
    for status in _problem_statuses(op):
        responses[str(status)] = {
            "description": _STATUS_TEXT[status],
            "content": {problems.MEDIA_TYPE: {"schema": "Problem"}},
        }
        if status == 429:
            responses[str(status)]["headers"] = dict(_RETRY_AFTER_HEADER)
    doc["responses"] = responses
    return doc


def _problem_statuses(op: Operation) -> list[int]:
    statuses = set(op.statuses)
    if op.roles is not None:
        statuses |= {401, 403}
    if op.query is not None or op.body is not None:
        statuses.add(422)
    if op.body is not None:
        statuses |= {400, 413, 415}
    if op.if_match:
        statuses |= {412, 428}
    return sorted(statuses)


def spec_json(app: Flask, version: str) -> Mapping[str, Any]:
    """The document, built once per app."""
    key = "tukiverkko.openapi"
    if key not in app.extensions:
        app.extensions[key] = build_spec(app, version=version)
    document: Mapping[str, Any] = app.extensions[key]
    return document
