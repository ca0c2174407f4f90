"""The rules of giving, changing and disclosing (app/consents/rules.py), without a database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.consents.rules import (
    Change,
    ChangeCode,
    DisclosureCode,
    GrantCode,
    Grantee,
    change_refusal,
    discloses_to,
    disclosure_codes,
    grant_codes,
    grantee_refusal,
    offered,
)
from app.consents.texts import FIRST_VERSION
from app.refusals import Code
from consent.facts import Direction
from consent.models import GivenHow
from consent.sections import SectionKind
from consent.status import MembershipStatus
from tests.unit.test_architecture import imports_of, violates

TODAY = date(2026, 11, 23)
ACTIVE = Grantee(MembershipStatus.ACTIVE, commitment_missing=False)
UPCOMING = Grantee(MembershipStatus.UPCOMING, commitment_missing=False)
ENDED = Grantee(MembershipStatus.ENDED, commitment_missing=False)
UNCOMMITTED = Grantee(MembershipStatus.ACTIVE, commitment_missing=True)
HOUSING, HEALTH = SectionKind.HOUSING, SectionKind.HEALTH


@pytest.mark.parametrize(
    ("grantee", "worker", "client"),
    [
        (ACTIVE, None, None),
        (UPCOMING, None, GrantCode.NOT_OFFERED),  # a worker may record one that starts later
        (ENDED, GrantCode.NOT_IN_NETWORK, GrantCode.NOT_OFFERED),
        (None, GrantCode.NOT_IN_NETWORK, GrantCode.NOT_OFFERED),
        (UNCOMMITTED, GrantCode.NO_COMMITMENT, GrantCode.NOT_OFFERED),
    ],
)
def test_who_may_be_given_a_consent(
    grantee: Grantee | None, worker: GrantCode | None, client: GrantCode | None
) -> None:
    assert grantee_refusal(grantee, client=False) is worker
    assert grantee_refusal(grantee, client=True) is client


def test_a_worker_is_offered_an_uncommitted_member_to_be_told_why_and_the_client_is_not() -> None:
    assert offered(UNCOMMITTED, client=False) and not offered(UNCOMMITTED, client=True)
    assert not offered(ENDED, client=False) and not offered(ENDED, client=True)
    assert offered(UPCOMING, client=False) and not offered(UPCOMING, client=True)


def test_a_worker_records_a_written_or_oral_consent_under_a_published_text() -> None:
    assert (
        grant_codes(
            ACTIVE,
            client=False,
            given_how=GivenHow.WRITTEN,
            information_text_version=FIRST_VERSION,
            current_version=FIRST_VERSION,
            version_published=True,
        )
        == {}
    )
    assert grant_codes(
        ACTIVE,
        client=False,
        given_how=GivenHow.ELECTRONIC,
        information_text_version="1999-01",
        current_version=FIRST_VERSION,
        version_published=False,
    ) == {
        "given_how": GrantCode.WRITTEN_OR_ORAL,
        "information_text_version": GrantCode.UNKNOWN_TEXT,
    }
    # A worker may record a consent that obtains, or starts on another day.
    assert (
        grant_codes(
            ACTIVE,
            client=False,
            given_how=GivenHow.ORAL,
            information_text_version=FIRST_VERSION,
            current_version=FIRST_VERSION,
            version_published=True,
            direction=Direction.OBTAIN,
            valid_from=date(2027, 1, 1),
            today=TODAY,
        )
        == {}
    )


def test_the_client_gives_one_electronically_from_today_to_disclose_after_the_current_text() -> (
    None
):
    assert (
        grant_codes(
            ACTIVE,
            client=True,
            given_how=GivenHow.ELECTRONIC,
            information_text_version=FIRST_VERSION,
            current_version=FIRST_VERSION,
            version_published=True,
            direction=Direction.DISCLOSE,
            valid_from=TODAY,
            today=TODAY,
        )
        == {}
    )
    assert grant_codes(
        UNCOMMITTED,
        client=True,
        given_how=GivenHow.WRITTEN,
        information_text_version="2026-11",
        current_version=FIRST_VERSION,
        version_published=False,
        direction=Direction.OBTAIN,
        valid_from=date(2027, 1, 1),
        today=TODAY,
    ) == {
        "member_id": GrantCode.NOT_OFFERED,
        "given_how": GrantCode.ELECTRONIC,
        "direction": GrantCode.DISCLOSES,
        "valid_from": GrantCode.STARTS_TODAY,
        "information_text_version": GrantCode.TEXT_UPDATED,
    }


def change(
    kind: Change, new: set[SectionKind], until: date | None, old_until: date | None = None
) -> tuple[dict[str, Code], object] | None:
    refusal = change_refusal(
        kind,
        sections={HOUSING, HEALTH} if kind is Change.NARROW else {HOUSING},
        valid_from=date(2026, 11, 1),
        valid_until=old_until,
        new_sections=new,
        new_until=until,
    )
    if refusal is None:
        return None
    return refusal.errors, refusal.params.get("day")


def test_narrowing_only_removes_and_extending_only_adds() -> None:
    end = date(2026, 12, 31)
    assert change(Change.NARROW, {HOUSING}, None) is None
    assert change(Change.NARROW, {HOUSING, HEALTH}, end) is None  # an earlier last day
    assert change(Change.NARROW, {HOUSING, HEALTH, SectionKind.EDUCATION_WORK}, None) == (
        {"sections": ChangeCode.NARROW_ADDS},
        None,
    )
    assert change(Change.NARROW, {HOUSING}, None, old_until=end) == (
        {"valid_until": ChangeCode.NARROW_LONGER},
        end,
    )
    assert change(Change.NARROW, {HOUSING, HEALTH}, None) == ({"": ChangeCode.NARROW_SAME}, None)
    assert change(Change.EXTEND, {HOUSING, HEALTH}, None) is None
    assert change(Change.EXTEND, {HEALTH}, None) == ({"sections": ChangeCode.EXTEND_REMOVES}, None)
    assert change(Change.EXTEND, {HOUSING}, end) == (
        {"valid_until": ChangeCode.EXTEND_SETS_END},
        None,
    )
    assert change(Change.EXTEND, {HOUSING}, date(2026, 12, 1), old_until=end) == (
        {"valid_until": ChangeCode.EXTEND_SHORTER},
        end,
    )
    assert change(Change.EXTEND, {HOUSING}, end, old_until=end) == (
        {"": ChangeCode.EXTEND_SAME},
        None,
    )


def test_a_last_day_before_the_first_names_the_first_day() -> None:
    first = date(2026, 11, 1)
    assert change(Change.NARROW, {HOUSING}, date(2026, 10, 1)) == (
        {"valid_until": ChangeCode.BEFORE_FIRST_DAY},
        first,
    )


def test_a_statutory_disclosure_goes_only_to_an_authority_still_in_the_network() -> None:
    assert discloses_to(MembershipStatus.UPCOMING, is_authority=True)
    assert not discloses_to(MembershipStatus.ENDED, is_authority=True)
    assert not discloses_to(MembershipStatus.ACTIVE, is_authority=False)
    assert (
        disclosure_codes(
            MembershipStatus.ACTIVE,
            is_authority=True,
            sections={HOUSING},
            provision="703/2023",
            justification="Why (fictional)",
            valid_from=TODAY,
            valid_until=None,
        )
        == {}
    )
    assert disclosure_codes(
        None,
        is_authority=True,
        sections=set(),
        provision=" ",
        justification="",
        valid_from=TODAY,
        valid_until=date(2026, 11, 1),
    ) == {
        "member_id": DisclosureCode.NOT_AN_AUTHORITY_IN_NETWORK,
        "sections": DisclosureCode.NO_SECTIONS,
        "provision": DisclosureCode.NO_PROVISION,
        "justification": DisclosureCode.NO_JUSTIFICATION,
        "valid_until": DisclosureCode.ENDS_BEFORE_START,
    }


def test_the_consents_feature_never_imports_the_web_layer() -> None:
    root = Path(__file__).resolve().parents[2]
    forbidden = (
        "flask",
        "flask_",
        "werkzeug",
        "app.web",
        "app.api",
        "app.web.caseworker",
        "app.web.portal",
        "app.web.partner",
        "app.web.person",
        "app.web.auth",
        "app.web.admin",
    )
    offenders = [
        f"{path.relative_to(root)} imports {module}"
        for path in sorted((root / "app" / "consents").rglob("*.py"))
        for module in imports_of(path)
        if violates(module, forbidden)
        or any(module == p or module.startswith(p + ".") for p in forbidden if "." in p)
    ]
    assert offenders == []
