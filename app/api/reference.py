"""The API describes itself: the OpenAPI document, and a reference page made from it.

The page at ``/api/v1/docs`` is rendered on the server from the very document that
``/api/v1/openapi.json`` serves (no CDN, no script: the CSP forbids both), so the two
cannot disagree. It explains the ground rules first (tokens, problem details, ETags,
pages), then every operation grouped by tag, then every schema.
"""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, json, render_template
from markupsafe import Markup, escape

from app.api import VERSION, bp, problems
from app.api.schemas import DEFAULT_PER_PAGE, MAX_PER_PAGE
from app.api.spec import BODY_LIMIT, spec_json
from app.security import public

JSON = Mapping[str, Any]

# What each documented problem type means for a client program (``problems.TYPES``).
PROBLEM_HELP = {
    problems.VALIDATION: (
        "A query parameter or a field of the body is missing, unknown, too long or of the "
        "wrong type. `errors` lists each one: `pointer` is a JSON pointer into the body "
        "(`#/goals`), `parameter` names a query parameter. Status 422."
    ),
    problems.MALFORMED: (
        "The body is not a well-formed JSON object: not UTF-8 JSON at all, an array or a "
        "string, nested deeper than 32 levels, or holding an escaped lone surrogate "
        "(`\\ud800`), which is not text. `detail` says which. Status 400."
    ),
    problems.STALE: (
        "The `If-Match` you sent is not the current version: someone changed the resource "
        "after you read it. The response carries the current `ETag`; read the resource "
        "again, apply your change to what is there now, and send it with the new ETag. "
        "Status 412."
    ),
    problems.PRECONDITION_REQUIRED: (
        "A write that replaces or changes something needs `If-Match` with the ETag you "
        "last read (or `If-None-Match: *` to create something that must not exist yet). "
        "Status 428."
    ),
    problems.CONFLICT: (
        "The change is not possible in the current state, for example the client's case "
        "is closed and can no longer be changed. Status 409."
    ),
}

_ROLES = re.compile(r"(?:^|\n\n)Roles: ([^\n]+)\.\s*$")
_CODE = re.compile(r"`([^`]+)`")
# Tokens first (every other operation needs one), the export after the resources it exports.
_TAG_RANK = {"Tokens": 0, "Directory": 0, "FHIR": 2}
_AND, _OR = Markup(" and "), Markup(" or ")
_NULL_OBJECT = {"nullable": True, "type": "object"}  # apispec's null half of a nullable Nested


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: Markup
    required: bool
    description: Markup


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    anchor: str
    description: Markup
    fields: tuple[FieldDoc, ...]


@dataclass(frozen=True)
class ParameterDoc:
    name: str
    location: str
    type: Markup
    required: bool
    description: Markup


@dataclass(frozen=True)
class ResponseDoc:
    status: str
    description: Markup
    media_type: str | None
    type: Markup | None
    headers: tuple[tuple[str, Markup], ...]


@dataclass(frozen=True)
class OperationDoc:
    method: str
    path: str
    anchor: str
    summary: str
    description: tuple[Markup, ...]  # paragraphs
    roles: tuple[str, ...] | None  # None: public, no token
    parameters: tuple[ParameterDoc, ...]
    body_type: Markup | None
    body_media_type: str | None
    body_fields: tuple[FieldDoc, ...]
    responses: tuple[ResponseDoc, ...]


@dataclass(frozen=True)
class TagDoc:
    name: str
    anchor: str
    operations: tuple[OperationDoc, ...]


@dataclass(frozen=True)
class ProblemDoc:
    kind: str
    anchor: str
    type_uri: str
    title: str
    help: Markup


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    openapi_version: str
    introduction: tuple[Markup, ...]
    tags: tuple[TagDoc, ...]
    schemas: tuple[SchemaDoc, ...]
    problems: tuple[ProblemDoc, ...]


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    return Response(json.dumps(_document()), mimetype="application/json")


@bp.route("/docs")
@public
def docs() -> str:
    """The reference page: readable without a token, made from the OpenAPI document."""
    settings = current_app.extensions["tukiverkko.settings"]
    return render_template(
        "api/reference.html",
        reference=reference_of(_document()),
        staff_minutes=settings.staff_idle_minutes,
        client_minutes=settings.client_idle_minutes,
        failures_per_address=settings.sign_in_failures_per_address,
        failures_per_account=settings.sign_in_failures_per_account,
        tokens_per_account=settings.tokens_per_account,
        max_per_page=MAX_PER_PAGE,
        default_per_page=DEFAULT_PER_PAGE,
        body_limit_kib=BODY_LIMIT // 1024,
    )


def _document() -> JSON:
    # Flask types current_app as Flask, not as the LocalProxy it is; the spec is cached on the
    # app object itself.
    return spec_json(current_app._get_current_object(), VERSION)  # type: ignore[attr-defined]


# -- from the document to the page -----------------------------------------------------------


def reference_of(document: JSON) -> Reference:
    """What the page shows, walked from an OpenAPI 3.0 document."""
    components: JSON = document.get("components", {}).get("schemas", {})
    by_tag: dict[str, list[OperationDoc]] = {}
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            doc = _operation(method, path, op, shared, components)
            for tag in op.get("tags") or ["Other"]:
                by_tag.setdefault(tag, []).append(doc)
    seen = list(by_tag)
    order = sorted(by_tag, key=lambda tag: (_TAG_RANK.get(tag, 1), seen.index(tag)))
    info = document.get("info", {})
    return Reference(
        title=info.get("title", "API"),
        version=info.get("version", ""),
        openapi_version=document.get("openapi", ""),
        introduction=_paragraphs(info.get("description", "")),
        tags=tuple(TagDoc(tag, "tag-" + _slug(tag), tuple(by_tag[tag])) for tag in order),
        schemas=tuple(
            SchemaDoc(
                name,
                _schema_anchor(name),
                _prose(schema.get("description", "")),
                _fields(schema),
            )
            for name, schema in sorted(components.items())
        ),
        problems=tuple(
            ProblemDoc(
                kind,
                "problem-" + kind,
                problems.DOCS + kind,
                title,
                _prose(PROBLEM_HELP.get(kind, "")),
            )
            for kind, title in problems.TYPES.items()
        ),
    )


def _operation(
    method: str, path: str, op: JSON, shared: Sequence[JSON], components: JSON
) -> OperationDoc:
    description = inspect.cleandoc(op.get("description", ""))
    roles: tuple[str, ...] | None = None
    if op.get("security") != []:
        found = _ROLES.search(description)
        roles = tuple(r.strip() for r in found.group(1).split(",")) if found else ()
        description = _ROLES.sub("", description).strip()
    body = op.get("requestBody", {}).get("content", {})
    body_media_type, body_schema = next(iter(body.items()), (None, None))
    schema = body_schema.get("schema") if body_schema else None
    return OperationDoc(
        method=method.upper(),
        path=path,
        anchor="op-" + (op.get("operationId") or _slug(f"{method} {path}")),
        summary=op.get("summary", ""),
        description=_paragraphs(description),
        roles=roles,
        parameters=tuple(
            ParameterDoc(
                name=p["name"],
                location=p["in"],
                type=_type(p.get("schema", {})),
                required=bool(p.get("required")),
                description=_describe(p.get("description", ""), p.get("schema", {})),
            )
            for p in [*shared, *op.get("parameters", [])]
        ),
        body_type=_type(schema) if schema else None,
        body_media_type=body_media_type,
        body_fields=_fields(_resolve(schema, components)) if schema else (),
        responses=tuple(
            _response(status, response) for status, response in op.get("responses", {}).items()
        ),
    )


def _response(status: str, response: JSON) -> ResponseDoc:
    media_type, content = next(iter(response.get("content", {}).items()), (None, None))
    schema = content.get("schema") if content else None
    return ResponseDoc(
        status=status,
        description=_prose(response.get("description", "")),
        media_type=media_type,
        type=_type(schema) if schema else None,
        headers=tuple(
            (name, _prose(header.get("description", "")))
            for name, header in response.get("headers", {}).items()
        ),
    )


def _fields(schema: JSON) -> tuple[FieldDoc, ...]:
    required = set(schema.get("required", []))
    return tuple(
        FieldDoc(name, _type(prop), name in required, _describe(prop.get("description", ""), prop))
        for name, prop in schema.get("properties", {}).items()
    )


def _resolve(schema: JSON, components: JSON) -> JSON:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved: JSON = components.get(ref.rsplit("/", 1)[-1], {})
        return resolved
    return schema


def _type(schema: JSON) -> Markup:
    """A schema's type in a few words, linking to named schemas."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        return Markup('<a href="#{}"><code>{}</code></a>').format(_schema_anchor(name), name)
    for combiner in ("anyOf", "oneOf", "allOf"):
        if combiner in schema:
            parts = [s for s in schema[combiner] if dict(s) != _NULL_OBJECT]
            nullable = len(parts) < len(schema[combiner])
            text = (_AND if combiner == "allOf" else _OR).join(_type(part) for part in parts)
            return text + Markup(" or null") if nullable else text
    kind = schema.get("type") or ("string" if "enum" in schema else "any")
    if kind == "array":
        text = Markup("array of ") + _type(schema.get("items", {}))
    elif "format" in schema:
        text = Markup("{} ({})").format(kind, schema["format"])
    else:
        text = Markup("{}").format(kind)
    return text + Markup(" or null") if schema.get("nullable") else text


def _describe(description: str, schema: JSON) -> Markup:
    """The description, then the allowed values and limits of a field or parameter."""
    notes = []
    if "enum" in schema:
        notes.append("One of " + ", ".join(f"`{value}`" for value in schema["enum"]) + ".")
    for low, high, unit in (
        ("minLength", "maxLength", " characters"),
        ("minItems", "maxItems", " items"),
        ("minimum", "maximum", ""),
    ):
        if low in schema and high in schema:
            notes.append(f"From {schema[low]} to {schema[high]}{unit}.")
        elif high in schema:
            notes.append(f"At most {schema[high]}{unit}.")
        elif low in schema:
            notes.append(f"At least {schema[low]}{unit}.")
    if "default" in schema:
        notes.append(f"Default `{schema['default']}`.")
    items = schema.get("items", {})
    if isinstance(items, Mapping) and "enum" in items:
        notes.append("Each one of " + ", ".join(f"`{value}`" for value in items["enum"]) + ".")
    return _prose(" ".join(part for part in (description, *notes) if part))


def _paragraphs(text: str) -> tuple[Markup, ...]:
    blocks = re.split(r"\n\s*\n", inspect.cleandoc(text)) if text.strip() else []
    return tuple(_prose(" ".join(block.split())) for block in blocks)


def _prose(text: str) -> Markup:
    """Plain text with `code` spans, escaped."""
    pieces = _CODE.split(text)  # odd pieces were between backticks
    return Markup("").join(
        Markup("<code>{}</code>").format(piece) if odd else escape(piece)
        for odd, piece in zip(itertools.cycle((False, True)), pieces, strict=False)
    )


def _schema_anchor(name: str) -> str:
    return "schema-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
