"""The database file holds no plaintext of any client's name, identity code or free text."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app import create_app, demo
from app.extensions import db
from app.models import Client
from app.security import password_hasher
from consent.base import Base
from sharing.envelope import key_id_of, open_sealed
from sharing.fields import field_ref
from sharing.keys import Keyring, data_keys_by_id
from tests.conftest import make_settings


def demo_plaintexts() -> list[str]:
    names = [
        f"{first} {demo.SURNAMES[n % len(demo.SURNAMES)]}"
        for n, first in enumerate(demo.FIRST_NAMES)
    ]
    free_text = [text for pair in demo.PLAN_TEXT.values() for text in pair]
    flows = [text for *_, subject, practice in demo.FLOWS for text in (subject, practice)]
    consent_purposes = [purpose for _, _, purpose, _ in demo.CONSENTS]
    workflow = [
        "Läheinen Kuvitteellinen",
        "Rikosseuraamusesimies",
        "Asumisneuvoja",
        "Vankilan sosiaalityöntekijä",  # a notifier's name
        "Ensitapaaminen vankilassa",  # a contact note
        "Haluan oman asunnon",  # the client's own view in the assessment
        "Päihdetyön jatko sovittu",  # a desistance-factor note
        "Saapuneen yhteydenoton kirjaaminen",  # a work-task reason
    ]
    return [*names, *free_text, *demo.NEEDS, *flows, *consent_purposes, *workflow]


def stored_identity_codes(session: Session, keyring: Keyring) -> list[str]:
    """The identity codes the seed drew at random, opened straight from their envelopes."""
    stored = [
        (field_ref(c, Client.identity_code_ct), c.identity_code_ct)
        for c in session.scalars(select(Client))
        if c.identity_code_ct is not None
    ]
    keys = data_keys_by_id(session, keyring, [key_id_of(blob) for _, blob in stored])
    return [open_sealed(keys[key_id_of(blob)], ref, blob).decode() for ref, blob in stored]


def test_the_raw_demo_database_file_contains_no_client_plaintext(tmp_path: Path, keyring) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "at-rest.db"
    url = f"sqlite:///{path}"
    Base.metadata.create_all(create_engine(url))
    app = create_app(make_settings(url, tmp_path, keyring))
    with app.app_context():
        assert demo.seed(db.session, keyring, password_hasher().hash(demo.DEMO_PASSWORD))
        db.session.commit()
        identity_codes = stored_identity_codes(db.session, keyring)
        db.session.remove()
        db.engine.dispose()

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("at-rest.db*"))
    # Sanity: the reading sees stored text (organisation names are not personal data).
    assert demo.COUNTY_A.encode() in raw
    leaked = [
        t for t in demo_plaintexts() if t.encode() in raw or json.dumps(t)[1:-1].encode() in raw
    ]
    assert leaked == []
    assert identity_codes and all(len(code) == 11 for code in identity_codes)
    assert [code for code in identity_codes if code.encode() in raw] == []
