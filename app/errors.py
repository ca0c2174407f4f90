"""One error path: every failure becomes a plain page that reveals nothing internal.

Under ``/api/`` the same failures are RFC 9457 problem details instead of pages.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from app.api.problems import CONFLICT, MALFORMED, STALE, VALIDATION, field_errors, problem
from app.api.spec import MalformedBody, QueryError
from app.extensions import db_session
from app.refusals import Refused
from app.security import is_api_request
from sharing.errors import AccessDenied

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: gettext("The request could not be handled"),
        403: gettext("You do not have access to this page"),
        404: gettext("Page not found"),
        405: gettext("The request could not be handled"),
        409: gettext("This case is closed and can no longer be changed"),
        412: gettext("Someone else changed this first"),
        422: gettext("The request could not be handled"),
        413: gettext("The request was too large"),
        500: gettext("Something went wrong"),
    }


def _page(status: int, message: str | None = None, title: str | None = None) -> tuple[str, int]:
    title = title or _titles().get(status, gettext("The request could not be handled"))
    return render_template("errors/error.html", status=status, title=title, message=message), status


Answer = tuple[str, int] | Response


def handle_http_error(error: HTTPException) -> Answer:
    status = error.code or 500
    if is_api_request():
        headers = {}
        if status == 401:
            headers["WWW-Authenticate"] = (
                'Bearer realm="tukiverkko", error="invalid_token"'
                if g.get("api_token_refused")
                else 'Bearer realm="tukiverkko"'
            )
        elif isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return problem(status, _API_DETAILS.get(status), headers=headers)
    return _page(status)


# What the API says beyond the status phrase (English: the API speaks to programs).
_API_DETAILS = {
    401: "Send Authorization: Bearer <token>; get a token with POST /api/v1/tokens.",
    404: "There is nothing here that you may see.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
}


def handle_validation_error(error: ValidationError) -> Response:
    """A body or query string the API's schemas refuse: 422 with a message per field."""
    db_session().rollback()
    in_query = isinstance(error, QueryError)
    return problem(
        422,
        "Check the query parameters." if in_query else "Check the fields of the body.",
        kind=VALIDATION,
        errors=field_errors(error.messages, in_query=in_query),
    )


def handle_malformed_body(error: MalformedBody) -> Response:
    return problem(400, "Send one JSON object as the body.", kind=MALFORMED)


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    return _page(
        400, gettext("The form had expired. Go back, reload the page and send the form again.")
    )


def handle_access_denied(error: AccessDenied) -> Answer:
    # A denial looks exactly like a client that does not exist.
    db_session().rollback()
    if is_api_request():
        return problem(404, _API_DETAILS[404])
    return _page(404)


# The documented problem type of each refusal status (a 404 stays ``about:blank``).
_REFUSAL_KINDS = {422: VALIDATION, 409: CONFLICT, 412: STALE}


def handle_refusal(refusal: Refused) -> Answer:
    """A command's refusal that no form showed: a 4xx page, or problem details with codes."""
    db_session().rollback()
    if is_api_request():
        errors = [
            {
                "pointer": "#/" + name if name else "#",
                "code": code,
                "detail": message % refusal.params if refusal.params else message,
            }
            for name, code, message in refusal.messages()
        ]
        kind = _REFUSAL_KINDS.get(refusal.status)
        return problem(refusal.status, errors[0]["detail"], kind=kind, errors=errors)
    return _page(
        refusal.status,
        gettext(refusal.message, **refusal.params),
        title=gettext("This could not be done"),
    )


def handle_unexpected(error: Exception) -> Answer:
    db_session().rollback()
    if not isinstance(error, InternalServerError):
        log.exception("unhandled error")
    if is_api_request():
        return problem(500)
    return _page(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(AccessDenied, handle_access_denied)
    app.register_error_handler(Refused, handle_refusal)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(MalformedBody, handle_malformed_body)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
