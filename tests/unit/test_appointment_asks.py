"""The client's request and the service's reasons: what is kept, what a worker may choose."""

from __future__ import annotations

from app.appointments.rules import ASK_EVENTS, ask_preference
from app.labels import CHANGE_REASONS, CLIENT_ASK_REASONS, CLIENT_ASKS, CLIENT_PREFERENCES
from app.models.appointment import (
    WORKER_REASONS,
    AppointmentEventKind,
    ChangeReason,
    ClientAsk,
    ClientAskReason,
    ClientPreference,
)


def test_a_better_time_is_kept_only_with_a_request_to_move() -> None:
    assert ask_preference(ClientAsk.MOVE, ClientPreference.MORNING) is ClientPreference.MORNING
    assert ask_preference(ClientAsk.MOVE, None) is None
    assert ask_preference(ClientAsk.CANCEL, ClientPreference.MORNING) is None


def test_each_request_leaves_its_own_history_event() -> None:
    assert ASK_EVENTS == {
        ClientAsk.MOVE: AppointmentEventKind.ASKED_MOVE,
        ClientAsk.CANCEL: AppointmentEventKind.ASKED_CANCEL,
    }


def test_the_services_reasons_are_not_a_workers_choice() -> None:
    service = {
        ChangeReason.CASE_CLOSED,
        ChangeReason.CASE_TRANSFERRED,
        ChangeReason.MEMBERSHIP_ENDED,
    }
    assert set(WORKER_REASONS) == set(ChangeReason) - service


def test_every_code_has_words() -> None:
    assert set(CHANGE_REASONS) == set(ChangeReason)
    assert set(CLIENT_ASKS) == set(ClientAsk)
    assert set(CLIENT_ASK_REASONS) == set(ClientAskReason)
    assert set(CLIENT_PREFERENCES) == set(ClientPreference)
