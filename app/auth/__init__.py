"""Signing in and out, the language choice and the public pages."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import activation, views  # noqa: E402, F401  (registers the routes)
