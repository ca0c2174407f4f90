"""The rules of a TOTP code (RFC 6238): which codes a secret makes and which one is accepted.

Codes are six digits, a new one every 30 seconds (HMAC-SHA1, what every authenticator app
uses by default). A code is accepted for the current step or the one before or after (the
clocks of a phone and the server differ a little); a code for a step at or before the last
one accepted is refused as replayed, so each code works once. Pure: no database, no clock.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from app.refusals import N_, Code

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends
ISSUER = "Tukiverkko"
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 12  # ABCD-EFGH-JKMN: about 59 bits
_SPACES = re.compile(r"[\s\-]+")
_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")  # ASCII: \d takes any script


class CodeCheck(Code):
    """What became of a presented code."""

    ACCEPTED = "accepted", N_("The code was accepted.")
    WRONG = "wrong_code", N_("The code is not right. Type the newest code from your app.")
    REPLAYED = "code_used", N_("This code was already used. Wait for the next code in your app.")
    MISSING = "code_required", N_("Type the code from your authenticator app.")


@dataclass(frozen=True)
class Verdict:
    outcome: CodeCheck
    step: int | None = None  # the step accepted


def time_step(at: datetime) -> int:
    """The 30-second step ``at`` falls in (counted from 1970)."""
    return int(at.timestamp()) // STEP_SECONDS


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303  (SHA-1 is RFC 6238's HMAC default and what apps use)


def code_at(secret: bytes, step: int) -> str:
    """The code ``secret`` makes for ``step``."""
    return _totp(secret).generate(step * STEP_SECONDS).decode()


def read_code(text: str | None) -> str | None:
    """The six digits a person typed (spaces allowed); ``None`` when it cannot be a code."""
    if not text:
        return None
    code = _SPACES.sub("", text)
    return code if _CODE.fullmatch(code) else None


def check_code(
    secret: bytes, code: str | None, at: datetime, last_used_step: int | None
) -> Verdict:
    """Whether ``code`` is accepted at ``at``: its step within ``WINDOW``, newer than the last.

    Every step of the window is compared (in constant time each), and the newest matching
    step not used yet wins.
    """
    if code is None:
        return Verdict(CodeCheck.WRONG)
    now = time_step(at)
    matching = [
        step
        for step in range(now - WINDOW, now + WINDOW + 1)
        if hmac.compare_digest(code_at(secret, step), code)
    ]
    if not matching:
        return Verdict(CodeCheck.WRONG)
    fresh = [step for step in matching if last_used_step is None or step > last_used_step]
    if not fresh:
        return Verdict(CodeCheck.REPLAYED)
    return Verdict(CodeCheck.ACCEPTED, max(fresh))


def secret_text(secret: bytes) -> str:
    """The secret as an app takes it typed: base32 without padding."""
    return base64.b32encode(secret).decode().rstrip("=")


def grouped(text: str, size: int = 4) -> str:
    """``ABCD EFGH …``: easier to read and type than 32 letters in a row."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def provisioning_uri(secret: bytes, username: str) -> str:
    """The ``otpauth://`` address the QR code carries (issuer and username label it in the app)."""
    return _totp(secret).get_provisioning_uri(username, ISSUER)
