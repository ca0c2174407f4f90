"""The log query reference is short and read out one way only."""

from __future__ import annotations

import re
from collections import Counter

from app.client_log import rules


def test_the_alphabet_leaves_out_symbols_people_mix_up() -> None:
    assert not set("01OILSUZ") & set(rules.ALPHABET)
    assert len(set(rules.ALPHABET)) == len(rules.ALPHABET) == 28


def test_a_reference_is_the_prefix_and_four_symbols_of_the_alphabet() -> None:
    made = [rules.reference() for _ in range(2000)]
    assert all(re.fullmatch(r"LQ-[23456789ABCDEFGHJKMNPQRTVWXY]{4}", r) for r in made)
    used = Counter("".join(r.removeprefix("LQ-") for r in made))
    assert set(used) == set(rules.ALPHABET)  # every symbol turns up: not a fixed few
    assert rules.reference(6).startswith("LQ-") and len(rules.reference(6)) == 9
