"""Errors raised by the sharing layer; ``app/errors.py`` maps them to responses."""

from __future__ import annotations


class SharingError(Exception):
    """Base of every error the sharing layer raises."""


class KeyringError(SharingError):
    """Raised when master keys are missing, malformed or do not include a needed key id."""


class DecryptionError(SharingError):
    """Raised when a ciphertext does not open: wrong key, wrong context or tampered bytes."""


class KeyDestroyed(DecryptionError):
    """Raised when a data key was crypto-shredded, so its ciphertexts are gone for good."""


class AccessDenied(SharingError):
    """Raised by the access gate after a denied decision has been recorded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
