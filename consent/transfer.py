"""What becomes of a client's consents when their case moves to another county (pure).

A consent is the client's choice about *their* data going to *someone*; the county that
owns the case is the one that discloses or obtains. When the case moves from the sending
county to the receiving one, the rule is:

- a consent to **disclose to an organisation** (Kela, the housing service, an NGO, a close
  person) **continues**: it names the recipient the client chose, not the county, and the
  receiving county becomes the one that discloses. The client is told.
- a consent whose **recipient is the sending county itself** does **not** carry over: a
  consent to *obtain* from a member (the county is the recipient of what is obtained), and
  any consent to a member that is the sending county. Consent is given to a controller
  for a purpose; the receiving county is another controller and must ask the client again.
  Such consents end at the instant of the transfer (the sending county can no longer use
  them, and the receiving one never had them).
- a consent to a member that is the **receiving** county ends too: the receiving county
  owns the case now and reads it on its own basis, so a grantee's consent to it would only
  leave a seal nobody needs.

Ended, not rewritten: the consent's history stays as it was, with the ending's event.
"""

from __future__ import annotations

import enum
import uuid

from consent.facts import Direction


class TransferFate(enum.StrEnum):
    """What a consent does when the case moves to another county."""

    CONTINUES = "continues"
    ENDS = "ends"


def consent_fate(
    direction: Direction,
    member_organisation_id: uuid.UUID | None,
    *,
    sending_county_id: uuid.UUID,
    receiving_county_id: uuid.UUID,
) -> TransferFate:
    """Whether a consent in force continues after the transfer or ends with it."""
    if direction is Direction.OBTAIN:
        return TransferFate.ENDS  # the sending county was the recipient
    if member_organisation_id in (sending_county_id, receiving_county_id):
        return TransferFate.ENDS
    return TransferFate.CONTINUES
