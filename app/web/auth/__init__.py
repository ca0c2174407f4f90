"""Signing in and out, the language choice and the public pages."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from app.web.auth import (  # noqa: E402, F401  (registers the routes)
    account,
    activation,
    invitation,
    second_factor,
    views,
)
