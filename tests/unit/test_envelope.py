"""Field encryption: Given a data key and a field, When sealed, Then only that field opens it."""

from __future__ import annotations

import os
import uuid

import pytest

from consent.sections import DataScope, SectionKind
from sharing import envelope
from sharing.envelope import FieldRef
from sharing.errors import DecryptionError

KEY_ID = uuid.uuid4()
KEY = os.urandom(32)
CLIENT = uuid.uuid4()
ROW = uuid.uuid4()
REF = FieldRef("clients", "name_ct", ROW, CLIENT, DataScope.NAME)
SECRET = b"Kuvitteellinen Kalle Testinen"


def test_round_trip_and_no_plaintext_in_ciphertext() -> None:
    blob = envelope.seal(KEY_ID, KEY, REF, SECRET)
    assert SECRET not in blob and b"Kalle" not in blob
    assert envelope.key_id_of(blob) == KEY_ID
    assert envelope.open_sealed(KEY, REF, blob) == SECRET


def test_same_plaintext_encrypts_differently_each_time() -> None:
    assert envelope.seal(KEY_ID, KEY, REF, SECRET) != envelope.seal(KEY_ID, KEY, REF, SECRET)


@pytest.mark.parametrize(
    "other",
    [
        FieldRef("clients", "name_ct", uuid.uuid4(), CLIENT, DataScope.NAME),  # another row
        FieldRef("clients", "identity_code_ct", ROW, CLIENT, DataScope.NAME),  # another column
        FieldRef("network_members", "name_ct", ROW, CLIENT, DataScope.NAME),  # another table
        FieldRef("clients", "name_ct", ROW, uuid.uuid4(), DataScope.NAME),  # another client
        FieldRef("clients", "name_ct", ROW, CLIENT, DataScope.BASIC),  # another scope
        FieldRef("clients", "name_ct", ROW, CLIENT, SectionKind.HOUSING),  # a plan section
    ],
    ids=["row", "column", "table", "client", "scope", "section"],
)
def test_ciphertext_moved_to_another_field_does_not_open(other: FieldRef) -> None:
    blob = envelope.seal(KEY_ID, KEY, REF, SECRET)
    with pytest.raises(DecryptionError):
        envelope.open_sealed(KEY, other, blob)


def test_wrong_key_does_not_open() -> None:
    blob = envelope.seal(KEY_ID, KEY, REF, SECRET)
    with pytest.raises(DecryptionError):
        envelope.open_sealed(os.urandom(32), REF, blob)


@pytest.mark.parametrize("position", [0, 5, 20, 30, -1])
def test_any_flipped_byte_is_detected(position: int) -> None:
    blob = bytearray(envelope.seal(KEY_ID, KEY, REF, SECRET))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        envelope.open_sealed(KEY, REF, bytes(blob))


def test_garbage_is_not_an_envelope() -> None:
    with pytest.raises(DecryptionError):
        envelope.key_id_of(b"plain text")
