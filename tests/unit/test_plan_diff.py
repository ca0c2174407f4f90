"""Differences between two versions of a plan section: word by word, field by field."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.i18n import helsinki_today
from app.models.plan import AgreementState
from app.plan.rules import (
    MESSAGE_PARAMS,
    SectionInput,
    SectionProblem,
    Segment,
    compare,
    problems,
    word_diff,
)


def sides(segments: list[Segment]) -> tuple[str, str]:
    """The older and the newer text rebuilt from the segments."""
    old = "".join(s.text for s in segments if s.op != "insert")
    new = "".join(s.text for s in segments if s.op != "delete")
    return old, new


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("sama teksti", "sama teksti", [Segment("equal", "sama teksti")]),
        ("", "", []),
        ("", "uusi", [Segment("insert", "uusi")]),
        ("vanha", "", [Segment("delete", "vanha")]),
        (
            "oma asunto keväällä",
            "oma asunto kesällä",
            [
                Segment("equal", "oma asunto "),
                Segment("delete", "keväällä"),
                Segment("insert", "kesällä"),
            ],
        ),
        (
            "hakemus Kelaan",
            "hakemus Kelaan ja velkaneuvontaan",
            [Segment("equal", "hakemus Kelaan"), Segment("insert", " ja velkaneuvontaan")],
        ),
    ],
)
def test_word_diff_marks_whole_words(old: str, new: str, expected: list[Segment]) -> None:
    assert word_diff(old, new) == expected


def test_line_breaks_are_kept_and_a_word_change_does_not_mark_the_line() -> None:
    segments = word_diff("eka rivi\ntoka rivi", "eka rivi\ntoinen rivi")
    assert Segment("delete", "toka") in segments and Segment("insert", "toinen") in segments
    assert segments[0] == Segment("equal", "eka rivi\n")


@given(st.text(alphabet="ab \n", max_size=30), st.text(alphabet="ab \n", max_size=30))
def test_both_texts_are_rebuilt_exactly_from_the_segments(old: str, new: str) -> None:
    segments = word_diff(old, new)
    assert sides(segments) == (old, new)
    # Adjacent segments never share an operation: each run is marked once.
    assert all(a.op != b.op for a, b in itertools.pairwise(segments))


def test_compare_names_each_field_and_what_changed() -> None:
    kept, gone, new = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    before = SectionInput(
        goals="oma asunto",
        measures="hakemus",
        agreement=AgreementState.DRAFT,
        responsible_ids=frozenset({kept, gone}),
    )
    after = SectionInput(
        goals="oma asunto pian",
        measures="hakemus",
        client_view="tärkeää",
        worker_view="tuettu asuminen",
        agreement=AgreementState.DISAGREED,
        responsible_ids=frozenset({kept, new}),
        review_on=date(2030, 1, 31),
    )
    changes = {c.name: c for c in compare(before, after)}
    assert list(changes) == [
        "goals",
        "measures",
        "responsible",
        "client_view",
        "worker_view",
        "agreement",
        "review_on",
    ]
    assert {name for name, c in changes.items() if c.changed} == {
        "goals",
        "responsible",
        "client_view",
        "worker_view",
        "agreement",
        "review_on",
    }
    assert changes["goals"].segments[-1] == Segment("insert", " pian")
    assert changes["responsible"].added == [new] and changes["responsible"].removed == [gone]
    assert changes["responsible"].kept == [kept]
    assert (changes["agreement"].before, changes["agreement"].after) == (
        AgreementState.DRAFT,
        AgreementState.DISAGREED,
    )
    assert not any(c.changed for c in compare(after, after))


def test_the_content_holds_the_texts_only() -> None:
    data = SectionInput(goals="Ä", measures="m", client_view="c", worker_view="w")
    assert (
        data.content().to_json()
        == '{"client_view": "c", "goals": "Ä", "measures": "m", "worker_view": "w"}'
    )


def test_the_rules_of_a_section() -> None:
    today = date(2030, 6, 1)
    member = uuid.uuid4()

    def found(data: SectionInput, stored: date | None = None) -> set[str]:
        return set(problems(data, allowed_members=[member], stored_review_on=stored, today=today))

    assert found(SectionInput(goals="asunto", responsible_ids=frozenset({member}))) == set()
    assert found(SectionInput(goals="  ")) == {"goals"}
    assert found(SectionInput(goals="a", agreement=AgreementState.DISAGREED)) == {
        "client_view",
        "worker_view",
    }
    assert found(SectionInput(goals="a", responsible_ids=frozenset({uuid.uuid4()}))) == {
        "responsible"
    }
    past = date(2030, 5, 31)
    assert found(SectionInput(goals="a", review_on=past)) == {"review_on"}
    assert found(SectionInput(goals="a", review_on=past), stored=past) == set()  # unchanged
    assert found(SectionInput(goals="a" * 4001)) == {"goals"}


def test_a_rule_speaks_in_codes_with_english_messages() -> None:
    found = problems(
        SectionInput(goals="a" * 4001),
        allowed_members=[],
        stored_review_on=None,
        today=helsinki_today(),
    )
    assert found == {"goals": SectionProblem.TOO_LONG}
    assert found["goals"].message % MESSAGE_PARAMS == "At most 4000 characters."
