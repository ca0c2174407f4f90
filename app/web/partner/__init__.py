"""Staff of partner organisations: only what clients consented to share with them."""

from flask import Blueprint

bp = Blueprint("partner", __name__, template_folder="templates", url_prefix="/partner")

# Importing the modules registers their routes.
from app.web.partner import appointments, messages, notifications, views  # noqa: E402, F401
