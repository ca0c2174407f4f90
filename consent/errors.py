"""Errors raised by the consent domain; ``app/errors.py`` maps them to responses."""

from __future__ import annotations


class ConsentError(Exception):
    """Base of every error the consent domain raises."""


class InvalidConsent(ConsentError):
    """Raised when a consent's scope or period is not something a client can agree to."""


class ConsentNotActive(ConsentError):
    """Raised when revoking or amending a consent that has already ended."""
