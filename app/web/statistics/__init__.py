from flask import Blueprint

bp = Blueprint("statistics", __name__, template_folder="templates", url_prefix="/statistics")

from app.web.statistics import national, views  # noqa: E402, F401
