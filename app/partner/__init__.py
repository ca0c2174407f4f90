"""Staff of partner organisations: only what clients consented to share with them."""

from flask import Blueprint

bp = Blueprint("partner", __name__, url_prefix="/partner")

from app.partner import views  # noqa: E402, F401  (registers the routes)
