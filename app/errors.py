"""One error path: every failure becomes a plain page that reveals nothing internal."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from sharing.errors import AccessDenied

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: gettext("The request could not be handled"),
        403: gettext("You do not have access to this page"),
        404: gettext("Page not found"),
        405: gettext("The request could not be handled"),
        409: gettext("This case is closed and can no longer be changed"),
        413: gettext("The request was too large"),
        500: gettext("Something went wrong"),
    }


def _page(status: int, message: str | None = None) -> tuple[str, int]:
    title = _titles().get(status, gettext("The request could not be handled"))
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_http_error(error: HTTPException) -> tuple[str, int]:
    return _page(error.code or 500)


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    return _page(
        400, gettext("The form had expired. Go back, reload the page and send the form again.")
    )


def handle_access_denied(error: AccessDenied) -> tuple[str, int]:
    # A denial looks exactly like a client that does not exist.
    db.session.rollback()
    return _page(404)


def handle_unexpected(error: Exception) -> tuple[str, int]:
    db.session.rollback()
    if not isinstance(error, InternalServerError):
        log.exception("unhandled error")
    return _page(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(AccessDenied, handle_access_denied)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
