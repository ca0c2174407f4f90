"""The JSON API for partner systems, ``/api/v1``: bearer tokens, no cookies, no CSRF surface.

Each module declares its operations with ``app.api.spec.operation``; the same
declarations validate requests and write the OpenAPI document.
"""

from flask import Blueprint

VERSION = "1.0.0"

bp = Blueprint("api", __name__, template_folder="templates", url_prefix="/api/v1")

# Each module registers the operations of one resource.
from app.api import (  # noqa: E402, F401
    access_log,
    accounts,
    appointments,
    clients,
    consents,
    directory,
    fhir,
    log_review,
    messages,
    national_statistics,
    notifications,
    partner,
    plan,
    reference,
    statistics,
    transfers,
)
