"""Short codes and tokens: one alphabet, one format, one reading, two ways to hash."""

from __future__ import annotations

from typing import Literal

import pytest
from argon2 import PasswordHasher

from app.issued_secrets import (
    ALPHABET,
    code_matches,
    format_code,
    hash_code,
    new_code,
    new_token,
    normalise,
    read_code,
    token_digest,
    token_matches,
)

HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def test_the_alphabet_has_no_look_alikes() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("01ILO") & set(ALPHABET)
    assert ALPHABET.upper() == ALPHABET


def test_a_new_code_uses_only_the_alphabet() -> None:
    codes = {new_code(8) for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) == 8 and set(code) <= set(ALPHABET) for code in codes)


@pytest.mark.parametrize(
    ("code", "shown"),
    [("ABCDEFGH", "ABCD-EFGH"), ("ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"), ("ABCDEF", "ABCD-EF")],
)
def test_a_code_is_shown_in_groups_of_four(code: str, shown: str) -> None:
    assert format_code(code) == shown


def test_spaces_dashes_and_case_do_not_matter() -> None:
    assert normalise(" abcd-efgh\tjk–mn—pq rs ") == "ABCDEFGHJKMNPQRS"
    assert read_code("abcd efgh", 8) == "ABCDEFGH"
    assert read_code(format_code("ABCDEFGH").lower(), 8) == "ABCDEFGH"


@pytest.mark.parametrize(
    "text", [None, "", "   ", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGÄ"]
)
def test_anything_else_is_not_a_code(text: str | None) -> None:
    assert read_code(text, 8) is None


def test_a_short_code_is_kept_as_a_salted_slow_hash() -> None:
    stored = hash_code(HASHER, "ABCDEFGH")
    assert stored.startswith("$argon2") and "ABCDEFGH" not in stored
    assert stored != hash_code(HASHER, "ABCDEFGH")  # salted
    assert code_matches(HASHER, stored, "ABCDEFGH")
    assert not code_matches(HASHER, stored, "ABCDEFGJ")
    assert not code_matches(HASHER, stored, None)  # what was typed could not be a code
    assert not code_matches(HASHER, "not a hash", "ABCDEFGH")


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified: list[tuple[str | bytes, str | bytes]] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append((hash, password))
        return super().verify(hash, password)


def test_without_a_hash_a_code_matches_nothing_but_costs_a_check() -> None:
    """An unknown activation code takes as long to refuse as a wrong one: it is verified
    against a real argon2 hash made with the same parameters."""
    hasher = CountingHasher()
    assert not code_matches(hasher, None, "ABCDEFGH")
    [(dummy, code)] = hasher.verified
    assert code == "ABCDEFGH"
    assert hasher.check_needs_rehash(dummy) is False  # the same argon2 parameters


def test_a_token_is_long_and_kept_as_its_digest() -> None:
    token = new_token()
    assert len(token) >= 43 and token != new_token()
    digest = token_digest(token)
    assert len(digest) == 64 and token not in digest
    assert digest == token_digest(token)  # unsalted: the row is found by it
    assert token_matches(digest, token)
    assert not token_matches(digest, token + "x")
    assert not token_matches(None, token)
    assert not token_matches(digest, None) and not token_matches(digest, "")
