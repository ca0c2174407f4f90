"""One error path: every failure becomes a plain page that reveals nothing internal.

Under ``/api/`` the same failures are RFC 9457 problem details instead of pages.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, render_template
from flask_babel import gettext, ngettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from app import rate_limits
from app.api.problems import CONFLICT, MALFORMED, STALE, VALIDATION, field_errors, problem
from app.api.spec import QueryError
from app.extensions import db_session, login_manager
from app.refusals import Refused
from app.request_bodies import MalformedBody
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
        429: gettext("Too many attempts"),
        500: gettext("Something went wrong"),
        503: gettext("The service is not available right now"),
    }


def _page(status: int, message: str | None = None, title: str | None = None) -> tuple[str, int]:
    title = title or _titles().get(status, gettext("The request could not be handled"))
    return render_template("errors/error.html", status=status, title=title, message=message), status


Answer = tuple[str, int] | tuple[str, int, dict[str, str]] | Response
UNAVAILABLE_RETRY_SECONDS = 60


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
    if status == 413:
        return _page(status, gettext("Shorten what you wrote and send the form again."))
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
    return problem(400, error.detail, kind=MALFORMED)


def handle_rate_limited(error: RateLimitExceeded) -> Answer:
    """A limit on guessing reached (``app.rate_limits``): 429 saying when to try again."""
    seconds = rate_limits.retry_after()
    rate_limits.log_throttled()
    headers = {"Retry-After": str(seconds)}
    if is_api_request():
        detail = f"Too many attempts. Try again in {seconds} seconds."
        return problem(429, detail, headers=headers)
    minutes = -(-seconds // 60)
    message = ngettext(
        "For your security, this is paused for a while. Try again in %(num)d minute.",
        "For your security, this is paused for a while. Try again in %(num)d minutes.",
        minutes,
    )
    return (*_page(429, message), headers)


def handle_database_unavailable(error: SQLAlchemyError) -> Answer:
    """The database does not answer: 503, on a page that needs nothing from it."""
    log.error("the database is unavailable", exc_info=error)
    try:
        db_session().rollback()
    except SQLAlchemyError:
        log.warning("rollback failed on the unavailable database", exc_info=True)
    headers = {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}
    if is_api_request():
        detail = "The database is not available. Try again in a minute."
        return problem(503, detail, headers=headers)
    # The page's header would look up the signed-in user: it is drawn as if signed out.
    login_manager._update_request_context_with_user()
    message = gettext("Nothing you entered was saved. Try again in a few minutes.")
    return (*_page(503, message), headers)


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
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    for unavailable in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(unavailable, handle_database_unavailable)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
