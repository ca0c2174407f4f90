"""A plan section's content: the one parser and serialiser of a version's JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.plan.content import TEXT_FIELDS, SectionContent

texts = st.text(max_size=40)


@given(texts, texts, texts, texts)
def test_the_texts_round_trip(goals: str, measures: str, client_view: str, worker: str) -> None:
    content = SectionContent(goals, measures, client_view, worker)
    assert SectionContent.parse(content.to_json()) == content


def test_the_json_holds_the_four_texts_sorted_and_unescaped() -> None:
    assert SectionContent(goals="Ä", measures="m").to_json() == (
        '{"client_view": "", "goals": "Ä", "measures": "m", "worker_view": ""}'
    )


@pytest.mark.parametrize("stored", [None, ""])
def test_nothing_written_is_empty(stored: str | None) -> None:
    content = SectionContent.parse(stored)
    assert content == SectionContent()
    assert content.texts() == dict.fromkeys(TEXT_FIELDS, "")


def test_unknown_keys_and_foreign_values_are_kept_as_they_were() -> None:
    stored = json.dumps({"goals": "A", "measures": ["B", {"text": "C"}], "steps": {"n": 1}})
    content = SectionContent.parse(stored)
    assert (content.goals, content.measures) == ("A", "")  # a text is a string or nothing
    assert content.value("measures") == ["B", {"text": "C"}]
    assert list(content.other_keys()) == ["steps"]
    assert json.loads(content.to_json())["steps"] == {"n": 1}


def test_replacing_a_text_keeps_everything_else() -> None:
    stored = json.dumps({"goals": "A", "client_view": 3, "extra": "x"})
    changed = SectionContent.parse(stored).with_text("client_view", "oma näkemys")
    assert json.loads(changed.to_json()) == {
        "goals": "A",
        "measures": "",
        "client_view": "oma näkemys",
        "worker_view": "",
        "extra": "x",
    }
    with pytest.raises(ValueError):
        changed.with_text("extra", "y")


@pytest.mark.parametrize(
    ("stored", "plain"),
    [("not json", "not json"), ('"just a string"', "just a string"), ("[1, 2]", [1, 2])],
)
def test_content_that_is_not_an_object_is_kept_plain(stored: str, plain: object) -> None:
    content = SectionContent.parse(stored)
    assert content.plain == plain
    assert content.texts() == dict.fromkeys(TEXT_FIELDS, "")
