"""The consent receipt builder: the Kantara Consent Receipt v1.1 fields, without a database."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from app.consents.receipts import (
    KANTARA_VERSION,
    ReceiptFacts,
    build_receipt,
    principal_id,
    receipt_json,
    spi_categories,
)
from app.models.receipt import ReceiptAction
from consent.facts import Direction
from consent.sections import SectionKind

CLIENT = uuid.UUID("11111111-2222-4333-8444-555555555555")
AT = datetime(2026, 11, 23, 10, 30, 15, tzinfo=UTC)

FACTS = ReceiptFacts(
    receipt_id=uuid.UUID("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"),
    action=ReceiptAction.GRANT,
    at=AT,
    language="fi",
    client_id=CLIENT,
    controller_name="Testin hyvinvointialue (fictional)",
    controller_contact="Omatyöntekijä Testi Työntekijä (fictional)",
    policy_url="https://tukiverkko.example/my/consents/information/2026-11-v1?lang=fi",
    information_text_version="2026-11-v1",
    collection_method="Annettu sähköisesti (fictional)",
    service_name="Tukiverkko",
    consent_id=uuid.UUID("cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee"),
    previous_consent_id=None,
    member_label="Asuntotoimisto (fictional)",
    direction=Direction.DISCLOSE,
    sections=(SectionKind.HOUSING, SectionKind.HEALTH),
    section_labels=("Asuminen", "Terveys ja päihteet"),
    purpose_text="Asunnon järjestäminen (fictional)",
    purpose_category="Yhteistyö tukiverkostossa",
    valid_from=date(2026, 11, 23),
    valid_until=date(2027, 1, 31),
    termination="Päättyy 31.1.2027 (fictional)",
)

KANTARA_FIELDS = {
    "version",
    "jurisdiction",
    "consentTimestamp",
    "collectionMethod",
    "consentReceiptID",
    "language",
    "piiPrincipalId",
    "piiControllers",
    "policyUrl",
    "services",
    "sensitive",
    "spiCat",
}


def test_the_receipt_has_every_kantara_field_with_its_value() -> None:
    receipt = build_receipt(FACTS)
    assert receipt.keys() >= KANTARA_FIELDS
    assert receipt["version"] == KANTARA_VERSION == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == "FI"
    assert receipt["consentTimestamp"] == int(AT.timestamp())  # NumericDate, seconds
    assert receipt["collectionMethod"] == "Annettu sähköisesti (fictional)"
    assert receipt["consentReceiptID"] == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    assert receipt["language"] == "fi"
    assert receipt["piiControllers"] == [
        {
            "piiController": "Testin hyvinvointialue (fictional)",
            "onBehalf": False,
            "contact": "Omatyöntekijä Testi Työntekijä (fictional)",
        }
    ]
    assert receipt["policyUrl"].endswith("/my/consents/information/2026-11-v1?lang=fi")
    assert receipt["sensitive"] is True
    assert "publicKey" not in receipt  # optional; the receipt is not signed


def test_the_service_names_the_purpose_sections_and_recipient() -> None:
    (service,) = build_receipt(FACTS)["services"]
    assert service["service"] == "Tukiverkko"
    (purpose,) = service["purposes"]
    assert purpose == {
        "purpose": "Asunnon järjestäminen (fictional)",
        "purposeCategory": ["Yhteistyö tukiverkostossa"],
        "consentType": "EXPLICIT",
        "piiCategory": ["Asuminen", "Terveys ja päihteet"],
        "primaryPurpose": True,
        "termination": "Päättyy 31.1.2027 (fictional)",
        "thirdPartyDisclosure": True,
        "thirdPartyName": "Asuntotoimisto (fictional)",
    }


def test_the_principal_is_opaque_and_stable() -> None:
    receipt = build_receipt(FACTS)
    assert receipt["piiPrincipalId"] == principal_id(CLIENT)
    assert receipt["piiPrincipalId"] != str(CLIENT)
    assert str(CLIENT) not in receipt_json(receipt)
    assert principal_id(CLIENT) == principal_id(uuid.UUID(str(CLIENT)))
    assert principal_id(CLIENT) != principal_id(uuid.uuid4())


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ((SectionKind.HOUSING,), ["social_welfare"]),
        ((SectionKind.HEALTH, SectionKind.HOUSING), ["social_welfare", "health"]),
        ((SectionKind.DESISTANCE,), ["social_welfare", "criminal_offences"]),
        (
            (SectionKind.PROBATIONARY_LIBERTY, SectionKind.HEALTH, SectionKind.DESISTANCE),
            ["social_welfare", "health", "criminal_offences"],
        ),
    ],
)
def test_sensitive_categories_follow_the_sections(
    sections: tuple[SectionKind, ...], expected: list[str]
) -> None:
    assert spi_categories(sections) == expected
    assert build_receipt(replace(FACTS, sections=sections))["spiCat"] == expected


def test_the_change_itself_is_in_the_extension() -> None:
    previous = uuid.uuid4()
    revoked = build_receipt(
        replace(
            FACTS,
            action=ReceiptAction.REVOKE,
            previous_consent_id=previous,
            valid_until=None,
            direction=Direction.OBTAIN,
            staff_assisted=True,
        )
    )
    ext = revoked["tukiverkko"]
    assert ext["action"] == "revoke"
    assert ext["consentId"] == str(FACTS.consent_id)
    assert ext["replacesConsentId"] == str(previous)
    assert ext["sections"] == ["housing", "health"]
    assert (ext["validFrom"], ext["validUntil"]) == ("2026-11-23", None)
    assert ext["direction"] == "obtain" and ext["staffAssisted"] is True
    assert ext["informationTextVersion"] == "2026-11-v1"
    # Obtaining from the member is not a disclosure to a third party.
    assert revoked["services"][0]["purposes"][0]["thirdPartyDisclosure"] is False


def test_a_consent_ended_by_a_county_transfer_names_the_county_it_moved_to() -> None:
    assert build_receipt(FACTS)["tukiverkko"]["endedByTransferTo"] is None
    moved = build_receipt(
        replace(
            FACTS, action=ReceiptAction.TRANSFERRED, transferred_to="Pirkanmaan hyvinvointialue"
        )
    )
    assert moved["tukiverkko"]["action"] == "transferred"
    assert moved["tukiverkko"]["endedByTransferTo"] == "Pirkanmaan hyvinvointialue"


def test_the_json_is_utf8_text_that_reads_back_the_same() -> None:
    receipt = build_receipt(FACTS)
    text = receipt_json(receipt)
    assert "Terveys ja päihteet" in text  # not escaped: readable when opened
    assert json.loads(text) == receipt
    assert list(json.loads(text))[:3] == ["version", "jurisdiction", "consentTimestamp"]
