from __future__ import annotations

import hmac
import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from sharing.errors import DecryptionError, KeyringError
from sharing.keys import (
    AccountSecretRef,
    KeyFile,
    Keyring,
    LogKeys,
    generate_keyring,
    open_account_secret,
    rewrap_account_secret,
    seal_account_secret,
    signature_holds,
    write_key_file,
)


def test_wrap_binds_the_context() -> None:
    keyring = generate_keyring()
    key_id, blob = keyring.wrap(b"k" * 32, b"data-key|a")
    assert b"k" * 32 not in blob
    assert keyring.unwrap(key_id, blob, b"data-key|a") == b"k" * 32
    with pytest.raises(DecryptionError):
        keyring.unwrap(key_id, blob, b"data-key|b")


def test_a_rotated_keyring_still_unwraps_old_keys_and_wraps_with_the_new_one() -> None:
    old = generate_keyring()
    key_id, blob = old.wrap(b"s" * 32, b"ctx")
    new = old.with_new_active_key()
    assert new.active_id != old.active_id
    assert new.unwrap(key_id, blob, b"ctx") == b"s" * 32
    assert new.wrap(b"s" * 32, b"ctx")[0] == new.active_id


def test_a_key_not_held_is_a_clear_error() -> None:
    key_id, blob = generate_keyring().wrap(b"s" * 32, b"ctx")
    with pytest.raises(KeyringError, match="not in the keyring"):
        generate_keyring().unwrap(key_id, blob, b"ctx")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{}",
        '{"active": "a", "keys": {"a": "not base64!"}}',
        '{"active": "b", "keys": {"a": "AAAA"}}',
        json.dumps({"active": "a", "keys": {"a": "AAAA"}}),
    ],
)
def test_malformed_key_documents_are_refused(text: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.from_json(text)


def test_key_file_round_trips_and_is_private(tmp_path) -> None:  # type: ignore[no-untyped-def]
    keyring = generate_keyring()
    path = tmp_path / "keys.json"
    write_key_file(path, keyring)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Keyring.from_json(path.read_text()) == keyring


def test_repr_never_shows_key_bytes() -> None:
    keyring = generate_keyring()
    assert repr(keyring.keys[keyring.active_id]) not in repr(keyring)


def test_a_key_file_is_re_read_when_it_changes_and_kept_when_it_breaks(tmp_path: Path) -> None:
    path = tmp_path / "master-keys.json"
    first = generate_keyring()
    write_key_file(path, first)
    source = KeyFile(first, path)
    assert source.current().active_id == first.active_id
    rotated = first.with_new_active_key()
    write_key_file(path, rotated)
    assert source.current().active_id == rotated.active_id
    path.write_text("{not json")  # a hand edit half-way: the last good keyring stays
    assert source.current().active_id == rotated.active_id
    write_key_file(path, rotated.without_key(first.active_id))
    assert set(source.current().keys) == {rotated.active_id}


def test_a_keyring_read_before_a_rotation_finds_the_new_key_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "master-keys.json"
    first = generate_keyring()
    write_key_file(path, first)
    held = KeyFile(first, path).current()  # a request's keyring, taken before the rotation
    rotated = first.with_new_active_key()
    write_key_file(path, rotated)
    key_id, blob = rotated.wrap(b"s" * 32, b"ctx")  # re-wrapped meanwhile
    assert key_id not in held.keys
    assert held.unwrap(key_id, blob, b"ctx") == b"s" * 32


def test_without_key_refuses_the_active_key_and_unknown_ids() -> None:
    keyring = generate_keyring().with_new_active_key()
    with pytest.raises(KeyringError):
        keyring.without_key(keyring.active_id)
    with pytest.raises(KeyringError):
        keyring.without_key("mk-unknown")
    old = next(k for k in keyring.keys if k != keyring.active_id)
    assert set(keyring.without_key(old).keys) == {keyring.active_id}


# -- account secrets (a staff member's TOTP secret) -----------------------------------------


def test_an_account_secret_opens_only_for_its_purpose_owner_and_row() -> None:
    keyring = generate_keyring()
    ref = AccountSecretRef("totp", uuid.uuid4(), uuid.uuid4())
    key_id, wrapped = seal_account_secret(keyring, ref, b"twenty bytes secret!")
    assert b"twenty bytes secret!" not in wrapped
    assert open_account_secret(keyring, ref, key_id, wrapped) == b"twenty bytes secret!"
    for elsewhere in (
        AccountSecretRef("other", ref.owner_id, ref.row_id),
        AccountSecretRef("totp", uuid.uuid4(), ref.row_id),
        AccountSecretRef("totp", ref.owner_id, uuid.uuid4()),
    ):
        with pytest.raises(DecryptionError):
            open_account_secret(keyring, elsewhere, key_id, wrapped)
    rotated = keyring.with_new_active_key()
    new_id, rewrapped = rewrap_account_secret(rotated, ref, key_id, wrapped)
    assert new_id == rotated.active_id != key_id
    assert open_account_secret(rotated, ref, new_id, rewrapped) == b"twenty bytes secret!"


def test_with_active_switches_to_a_held_key_only() -> None:
    staged = generate_keyring().with_new_active_key()
    old = next(k for k in staged.keys if k != staged.active_id)
    back = staged.with_active(old)
    assert back.active_id == old and back.keys == staged.keys and back.log == staged.log
    assert back.wrap(b"s" * 32, b"ctx")[0] == old
    with pytest.raises(KeyringError):
        staged.with_active("mk-unknown")


# -- the access log's keys -------------------------------------------------------------------


def test_the_log_keys_travel_with_every_keyring_made_from_another() -> None:
    keyring = generate_keyring()
    assert keyring.log is not None
    rotated = keyring.with_new_active_key()
    retired = rotated.without_key(keyring.active_id)
    for other in (rotated, retired, Keyring.from_json(retired.to_json())):
        assert other.log == keyring.log  # master-key rotation and retirement leave them be
    assert "log" not in json.loads(Keyring(keyring.keys, keyring.active_id).to_json())
    assert Keyring.from_json(Keyring(keyring.keys, keyring.active_id).to_json()).log is None


def test_rotating_the_log_keys_keeps_every_old_one() -> None:
    first = LogKeys.generate()
    second = first.rotated()
    assert second.active_mac_id != first.active_mac_id
    assert second.active_signing_id != first.active_signing_id
    assert first.mac_keys.items() <= second.mac_keys.items()
    assert first.signing_keys.items() <= second.signing_keys.items()
    old_mac, new_mac = second.mac(first.active_mac_id), second.mac(second.active_mac_id)
    assert old_mac is not None and new_mac is not None and old_mac(b"m") != new_mac(b"m")
    assert old_mac(b"m") == hmac.digest(first.mac_keys[first.active_mac_id], b"m", "sha256")
    assert second.mac("lk-never") is None


def test_a_checkpoint_signature_holds_only_for_its_key_and_its_bytes() -> None:
    keys = LogKeys.generate().rotated()
    key_id, signature = keys.sign(b"line")
    public = keys.public_keys()
    assert key_id == keys.active_signing_id and len(public) == 2
    assert signature_holds(public[key_id], signature, b"line")
    assert not signature_holds(public[key_id], signature, b"line!")
    other = next(k for k in public if k != key_id)
    assert not signature_holds(public[other], signature, b"line")
    assert not signature_holds(public[key_id], b"\x00" * 64, b"line")


@pytest.mark.parametrize(
    "change",
    [
        {"active_mac": "lk-missing"},
        {"active_signing": "ck-missing"},
        {"mac_keys": {"lk-short": "AAAA"}},
    ],
)
def test_malformed_log_keys_are_refused(change: dict[str, object]) -> None:
    doc = json.loads(generate_keyring().to_json())
    doc["log"] |= change
    with pytest.raises(KeyringError):
        Keyring.from_json(json.dumps(doc))


def test_a_running_process_takes_rotated_log_keys_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "master-keys.json"
    keyring = generate_keyring()
    write_key_file(path, keyring)
    source = KeyFile(keyring, path)
    assert keyring.log is not None
    write_key_file(path, keyring.with_log_keys(keyring.log.rotated()))
    current = source.current().log
    assert current is not None and current.active_mac_id != keyring.log.active_mac_id
    assert keyring.log.active_mac_id in current.mac_keys
