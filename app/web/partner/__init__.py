"""Staff of partner organisations: only what clients consented to share with them."""

from flask import Blueprint

bp = Blueprint("partner", __name__, template_folder="templates", url_prefix="/partner")

from app.web.partner import views  # noqa: E402, F401  (registers the routes)
from app.web.partner import notifications  # noqa: E402, F401  (prison and probation staff)
