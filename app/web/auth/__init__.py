"""Signing in and out, the language choice and the public pages."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from app.web.auth import activation, second_factor, views  # noqa: E402, F401  (registers the routes)
