"""Social workers of a wellbeing-services county: from notification to an agreed network."""

from flask import Blueprint

bp = Blueprint("caseworker", __name__, template_folder="templates", url_prefix="/caseworker")

# Each module registers the routes of one part of the work.
from app.web.caseworker import (  # noqa: E402, F401
    appointments,
    assessment,
    consents,
    contacts,
    dashboard,
    ending,
    intake,
    log_queries,
    log_requests,
    messages,
    network,
    person_access,
    plan,
    portal_access,
    release,
    reviews,
    transfer,
    updates,
    views,
    who_could_see,
)
