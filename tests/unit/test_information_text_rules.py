"""The lifecycle rules of information texts (``app.information_texts.rules``): four eyes on
every published word, a published version never changes, and each wording is complete."""

from __future__ import annotations

import uuid

import pytest

from app.consents.texts import LANGUAGES
from app.information_texts import rules
from app.information_texts.rules import FIELDS, Lifecycle, Stage, TextCode

DRAFTER, REVIEWER = uuid.uuid4(), uuid.uuid4()
DRAFT = Lifecycle(DRAFTER, reviewed=False, published=False)
APPROVED = Lifecycle(DRAFTER, reviewed=True, published=False)
PUBLISHED = Lifecycle(DRAFTER, reviewed=True, published=True)


def complete() -> dict[str, dict[str, str]]:
    return {language: {name: "Otsikko\nKappale." for name in FIELDS} for language in LANGUAGES}


def test_the_stages_follow_from_the_facts() -> None:
    assert [t.stage for t in (DRAFT, APPROVED, PUBLISHED)] == [
        Stage.DRAFT,
        Stage.APPROVED,
        Stage.PUBLISHED,
    ]


def test_the_one_who_changed_a_draft_last_cannot_approve_it_and_another_can() -> None:
    assert rules.approve_code(DRAFT, DRAFTER) is TextCode.OWN_DRAFT
    assert rules.approve_code(DRAFT, REVIEWER) is None
    assert rules.approve_code(APPROVED, REVIEWER) is TextCode.ALREADY_APPROVED
    assert rules.approve_code(PUBLISHED, REVIEWER) is TextCode.PUBLISHED


def test_only_an_approved_version_is_published_and_only_once() -> None:
    assert rules.publish_code(DRAFT) is TextCode.NOT_APPROVED
    assert rules.publish_code(APPROVED) is None
    assert rules.publish_code(PUBLISHED) is TextCode.PUBLISHED


def test_a_published_version_is_never_changed_a_draft_or_approved_one_is() -> None:
    assert rules.edit_code(DRAFT) is None and rules.edit_code(APPROVED) is None
    assert rules.edit_code(PUBLISHED) is TextCode.PUBLISHED


def test_every_language_needs_both_wordings_with_headed_paragraphs() -> None:
    assert rules.content_codes(complete()) == {}
    content = complete()
    content["sv"]["plain_body"] = "  "
    content["en"]["title"] = ""
    content["fi"]["body"] = "Vain yksi rivi ilman otsikkoa"
    del content["en"]["plain_title"]
    assert rules.content_codes(content) == {
        "sv_plain_body": TextCode.MISSING,
        "en_title": TextCode.MISSING,
        "en_plain_title": TextCode.MISSING,
        "fi_body": TextCode.NO_PARAGRAPH,
    }
    assert set(rules.content_codes({})) == {
        f"{lang}_{name}" for lang in LANGUAGES for name in FIELDS
    }


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("2027-01-v2", True),
        ("2027-12-pohjanmaa-1", True),
        ("2027-1-v2", False),
        ("2027-01-V2", False),
        ("2027-01-", False),
        ("v2", False),
        ("2027-01-v2/../x", False),
    ],
)
def test_a_version_id_is_year_month_and_a_lowercase_name(version: str, ok: bool) -> None:
    assert (rules.version_code(version) is None) is ok


def test_an_administrator_works_on_their_own_scope_only() -> None:
    county, other = uuid.uuid4(), uuid.uuid4()
    assert rules.in_scope(None, None) and rules.in_scope(county, county)
    assert not rules.in_scope(county, None) and not rules.in_scope(None, county)
    assert not rules.in_scope(county, other)
