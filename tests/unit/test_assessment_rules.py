"""The service-need assessment's rules, change detection and snapshots, without a database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest

from app.assessment.rules import (
    EMPTY,
    FACTOR_GROUPS,
    FACTORS,
    AssessmentInput,
    AssessmentProblem,
    FactorInput,
    NeedInput,
    changes,
    parse_snapshot,
    problems,
    snapshot_json,
)
from app.models.assessment import NeedLevel, Urgency
from consent.sections import SectionKind

TODAY = date(2025, 3, 15)
D = timedelta(days=1)
SOUND = AssessmentInput(contact_on=TODAY - 10 * D, started_on=TODAY - 5 * D)


@pytest.mark.parametrize(
    ("changes_to", "field"),
    [
        ({"contact_on": None}, "contact_on"),
        ({"contact_on": TODAY + D}, "contact_on"),
        ({"started_on": TODAY - 11 * D}, "started_on"),
        ({"started_on": TODAY + D}, "started_on"),
        ({"completed_on": TODAY - 6 * D}, "completed_on"),
        ({"completed_on": TODAY + D}, "completed_on"),
        ({"started_on": None, "completed_on": TODAY}, "completed_on"),
        ({"urgency_assessed_on": TODAY - 11 * D, "urgency": Urgency.URGENT}, "urgency_assessed_on"),
        ({"urgency_assessed_on": TODAY - 10 * D}, "urgency"),
        ({"urgency": Urgency.NOT_URGENT}, "urgency_assessed_on"),
        ({"responsible_worker_needed": False}, "no_worker_reason"),
        ({"responsible_worker_needed": False, "no_worker_reason": "  "}, "no_worker_reason"),
    ],
)
def test_a_broken_rule_names_its_field(changes_to: dict[str, object], field: str) -> None:
    assert field in problems(replace(SOUND, **changes_to), TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes_to",
    [
        {},
        {"started_on": TODAY - 10 * D},  # the day of contact
        {"started_on": None},
        {"completed_on": TODAY - 5 * D},  # the day it started
        {"completed_on": TODAY},
        {"urgency_assessed_on": TODAY - 10 * D, "urgency": Urgency.URGENT},
        {"contact_on": TODAY, "started_on": TODAY, "completed_on": TODAY},
        {
            "responsible_worker_needed": False,
            "no_worker_reason": "Has one in probation (fictional)",
        },
        {"responsible_worker_needed": True},
    ],
)
def test_sound_input_passes(changes_to: dict[str, object]) -> None:
    assert problems(replace(SOUND, **changes_to), TODAY) == {}  # type: ignore[arg-type]


def test_changes_name_parts_never_content() -> None:
    member = uuid.uuid4()
    after = replace(
        SOUND,
        participant_ids=frozenset({member}),
        needs={SectionKind.HOUSING: NeedInput(NeedLevel.SOME, "oma asunto", "")},
        factors={"sobriety": FactorInput(True, "")},
    )
    assert changes(SOUND, SOUND) == []
    assert changes(SOUND, after) == ["participants", "area:housing", "factor:sobriety"]
    assert changes(EMPTY, SOUND) == ["dates"]
    assert "oma" not in " ".join(changes(SOUND, after))


def test_a_snapshot_round_trips() -> None:
    data = AssessmentInput(
        contact_on=TODAY - 3 * D,
        urgency_assessed_on=TODAY - 3 * D,
        urgency=Urgency.NOT_URGENT,
        started_on=TODAY,
        responsible_worker_needed=False,
        no_worker_reason="Ei tarvetta (fictional)",
        client_took_part=True,
        participant_ids=frozenset({uuid.uuid4(), uuid.uuid4()}),
        other_participants="Kuvitteellinen kummi",
        needs={
            SectionKind.HEALTH: NeedInput(
                NeedLevel.SIGNIFICANT, "Pärjään kyllä", "Tarvitsee tukea"
            ),
            SectionKind.OTHER: NeedInput(None, "", "vain arvio"),
        },
        factors={"agency": FactorInput(False, "huomio"), "housing": FactorInput(True, "")},
    )
    assert parse_snapshot(snapshot_json(data)) == data
    assert parse_snapshot(snapshot_json(EMPTY)) == EMPTY


def test_the_factor_list_is_stable_data() -> None:
    codes = [f.code for f in FACTORS]
    assert len(codes) == len(set(codes))
    assert all(code.isidentifier() and len(code) <= 40 for code in codes)
    assert {f.group for f in FACTORS} == set(FACTOR_GROUPS)
    # The preconditions of a crime-free life named by the model are all there.
    assert {"sobriety", "close_relationships", "housing", "livelihood"} <= set(codes)


def test_every_factor_and_group_has_a_label_at_the_edge() -> None:
    from app.web.caseworker.assessment_forms import FACTOR_GROUPS as GROUP_LABELS
    from app.web.caseworker.assessment_forms import FACTOR_LABELS

    assert list(GROUP_LABELS) == list(FACTOR_GROUPS)
    assert set(FACTOR_LABELS) == {f.code for f in FACTORS}


def test_a_rule_speaks_in_codes_with_english_messages() -> None:
    found = problems(replace(SOUND, contact_on=None), TODAY)
    assert found == {"contact_on": AssessmentProblem.NO_CONTACT_DATE}
    assert found["contact_on"].message == "Give the date of the contact or notification."
