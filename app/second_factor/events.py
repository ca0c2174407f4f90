"""Security events of the second factor, as JSON lines through ``logging``.

Each event names the user, where the request came from and the outcome; never a code, a
recovery code or a secret. The logger is ``tukiverkko.security``, apart from the request log;
in production ``app.request_log.configure`` writes it as JSON lines like every record.
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass

from app.request_log import FIELDS

log = logging.getLogger("tukiverkko.security")


class Event(enum.StrEnum):
    ENROLLED = "second_factor.enrolled"
    USED = "second_factor.used"
    FAILED = "second_factor.failed"
    REPLAY_REFUSED = "second_factor.replay_refused"
    RECOVERY_CODE_USED = "second_factor.recovery_code_used"
    RECOVERY_CODES_REPLACED = "second_factor.recovery_codes_replaced"
    REMOVED = "second_factor.removed"


@dataclass(frozen=True)
class Origin:
    """Where an attempt came from: the client's address and the channel (``web`` or ``api``)."""

    address: str | None
    channel: str


def record(event: Event, user_id: uuid.UUID, origin: Origin, *, success: bool) -> None:
    """Write one security event."""
    log.log(
        logging.INFO if success else logging.WARNING,
        event.value,
        extra={
            FIELDS: {
                "event": event.value,
                "user_id": str(user_id),
                "address": origin.address,
                "channel": origin.channel,
                "outcome": "success" if success else "failure",
            }
        },
    )
