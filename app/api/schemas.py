"""Schemas shared by every resource: pages, problems, and strict loading.

Every request body and query string is loaded through a schema: unknown fields are
refused, strings and lists have a maximum length, and numbers a range.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25


class Strict(Schema):
    """A schema that refuses fields it does not define."""

    class Meta:
        unknown = RAISE
        ordered = True


class PageQuery(Strict):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": "Page number, from 1."},
    )
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"Items per page, at most {MAX_PER_PAGE}."},
    )


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of ``item``s: the items and where the page lies."""
    return Strict.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "pages": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
        name=name,
    )


def page_body(items: list[Any], *, page: int, per_page: int, total: int) -> dict[str, Any]:
    """A page's body from its items and the totals (``pages`` is at least 1)."""
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "pages": max(1, -(-total // per_page)),
        "total": total,
    }


class FieldError(Schema):
    pointer = fields.String(metadata={"description": "JSON pointer into the request body."})
    parameter = fields.String(metadata={"description": "The query parameter."})
    code = fields.String(
        metadata={
            "description": "Which rule refused it, for programs (such as `member_not_in_network`)."
        }
    )
    detail = fields.String(required=True)


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldError))


def enum_field(enum: type[Any], **kwargs: Any) -> fields.Enum[Any]:
    """An enum as its values ("caseworker"), not its member names."""
    return fields.Enum(enum, by_value=True, **kwargs)
