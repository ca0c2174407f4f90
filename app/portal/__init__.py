"""The client's own pages ("my page")."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/my")

from app.portal import access_log, consents, views  # noqa: E402, F401  (registers the routes)
