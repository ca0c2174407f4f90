"""Social workers of a wellbeing-services county: their county's clients and cases."""

from flask import Blueprint

bp = Blueprint("caseworker", __name__, url_prefix="/caseworker")

from app.caseworker import views  # noqa: E402, F401  (registers the routes)
