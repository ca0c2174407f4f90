"""Administrators: organisations and user accounts; never client data."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")

from app.web.admin import (  # noqa: E402, F401  (registers the routes)
    clients,
    county_settings,
    disposals,
    information_texts,
    log_reviewer,
    mail,
    organisations,
    team_lead,
    views,
)
