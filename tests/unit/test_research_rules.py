"""The research extract's pure rules: months on the Finnish calendar, keyed pseudonyms."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from app.research.rules import month
from sharing.pseudonyms import pseudonym


def test_a_moment_becomes_the_month_of_its_finnish_day() -> None:
    assert month(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == "2026-02"  # 01:30 in Helsinki
    assert month(date(2026, 12, 31)) == "2026-12"
    assert month(None) == ""


def test_a_pseudonym_depends_on_the_study_key_and_the_client_alone() -> None:
    client = uuid.uuid4()
    one, other = bytes(32), bytes([1]) + bytes(31)
    assert pseudonym(one, client) == pseudonym(one, client)
    assert pseudonym(one, client) != pseudonym(other, client)
    assert pseudonym(one, client) != pseudonym(one, uuid.uuid4())
    assert len(pseudonym(one, client)) == 32 and client.hex not in pseudonym(one, client)
