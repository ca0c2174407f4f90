"""A person's link as ``consent.status.link_status`` sees it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.models.person_access import PersonAccessGrant
from app.person_access.rules import link_facts
from consent.status import LinkFacts

AT = datetime(2025, 3, 10, 9, tzinfo=UTC)


def test_a_new_link_is_neither_bound_nor_locked() -> None:
    grant = PersonAccessGrant(valid_until=date(2025, 6, 30))
    assert link_facts(grant) == LinkFacts(valid_until=date(2025, 6, 30))


def test_binding_locking_and_ending_are_read_from_the_row() -> None:
    grant = PersonAccessGrant(
        valid_until=date(2025, 6, 30),
        binding_hash="b" * 64,
        locked_at=AT,
        ended_at=AT,
    )
    assert link_facts(grant) == LinkFacts(date(2025, 6, 30), AT, bound=True, locked=True)
