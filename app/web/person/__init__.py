"""Close persons and peer experts without an account: a one-time link bound to one browser."""

from flask import Blueprint

bp = Blueprint("person", __name__, template_folder="templates", url_prefix="/p")

from app.web.person import views  # noqa: E402, F401  (registers the routes)
