"""Research studies: their approvals (administrators and the data-protection officer) and
the pseudonymised extract (the analyst an approval names), ``app.research``."""

from flask import Blueprint

bp = Blueprint("research", __name__, template_folder="templates", url_prefix="/research")

from app.web.research import views  # noqa: E402, F401
