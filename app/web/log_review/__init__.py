"""The review of the access log (omavalvonta): the data-protection officer and designated staff.

Who may use it: ``app.log_review.rules.may_review``; each reviewer within their own county
(no organisation: the whole service). Never client content: ids, organisations, roles and
the log's own fields.
"""

from flask import Blueprint

bp = Blueprint("log_review", __name__, template_folder="templates", url_prefix="/log-review")

from app.web.log_review import flags, views  # noqa: E402, F401  (registers the routes)
