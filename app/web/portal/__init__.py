"""The client's own pages ("my page")."""

from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="templates", url_prefix="/my")

from app.web.portal import (  # noqa: E402, F401  (registers the routes)
    access_log,
    appointments,
    consents,
    log_requests,
    release,
    views,
    who_could_see,
)
