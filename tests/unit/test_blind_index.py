"""The blind index's normalisation and digests (pure; the database side is in integration)."""

from __future__ import annotations

import pytest

from sharing import blind_index
from sharing.blind_index import IndexKind, _digest, name_terms, name_tokens

KEY = bytes(range(32))


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Kalle Kuvitelma", ["kalle", "kuvitelma"]),
        ("  KALLE   kuvitelma ", ["kalle", "kuvitelma"]),
        ("Anna-Liisa Äijälä", ["anna", "liisa", "äijälä"]),
        ("José Müller", ["jose", "muller"]),
        ("Åsa Öhman", ["åsa", "öhman"]),  # Finnish letters stay: å ä ö are not a, a, o
        ("A\u030asa", ["åsa"]),  # a + combining ring is the same letter å
        ("D'Angelo, O’Brien.", ["dangelo", "obrien"]),
        ("ＫＡＬＬＥ", ["kalle"]),  # full-width letters (NFKC)
        ("Straße", ["strasse"]),  # case folding
        ("Kalle Kalle", ["kalle"]),
        ("!!! --- ", []),
    ],
)
def test_name_tokens_are_normalised(text: str, tokens: list[str]) -> None:
    assert name_tokens(text) == tokens


def test_terms_are_tokens_and_their_prefixes_of_three_letters_or_more() -> None:
    assert name_terms("Kalle Li") == {"kal", "kall", "kalle", "li"}
    assert name_terms("Öljy") == {"ölj", "öljy"}


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("010190-900P", IndexKind.IDENTITY_CODE),
        (" 010190-900p ", IndexKind.IDENTITY_CODE),
        ("010594Y9032", IndexKind.IDENTITY_CODE),  # century sign of 2023
        ("020502E903Y", IndexKind.IDENTITY_CODE),
        ("Kalle", IndexKind.NAME),
        ("010190", IndexKind.NAME),
        ("010190-900P Kalle", IndexKind.NAME),
    ],
)
def test_identity_codes_are_searched_exactly_and_everything_else_as_a_name(
    query: str, kind: IndexKind
) -> None:
    assert blind_index.query_kind(query) is kind


def test_digests_are_keyed_truncated_and_separated_by_kind() -> None:
    name = _digest(KEY, IndexKind.NAME, "kalle")
    assert len(name) == blind_index.DIGEST_BYTES == 16
    assert name == _digest(KEY, IndexKind.NAME, "kalle")  # deterministic: searchable
    assert name != _digest(bytes(32), IndexKind.NAME, "kalle")  # another key, another digest
    assert name != _digest(KEY, IndexKind.IDENTITY_CODE, "kalle")
    assert b"kalle" not in name
