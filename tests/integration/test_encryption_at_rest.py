"""The database file holds no plaintext of any client's name, identity code or free text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import create_engine

from app import create_app, demo
from app.extensions import db
from app.security import password_hasher
from consent.base import Base
from tests.conftest import make_settings


def demo_plaintexts() -> list[str]:
    names = [
        f"{first} {demo.SURNAMES[n % len(demo.SURNAMES)]}"
        for n, first in enumerate(demo.FIRST_NAMES)
    ]
    free_text = [text for pair in demo.PLAN_TEXT.values() for text in pair]
    flows = [text for *_, subject, practice in demo.FLOWS for text in (subject, practice)]
    consent_purposes = [purpose for *_, purpose in demo.CONSENTS]
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


def test_the_raw_demo_database_file_contains_no_client_plaintext(tmp_path: Path, keyring) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "at-rest.db"
    url = f"sqlite:///{path}"
    Base.metadata.create_all(create_engine(url))
    app = create_app(make_settings(url, tmp_path, keyring))
    with app.app_context():
        assert demo.seed(db.session, keyring, password_hasher().hash(demo.DEMO_PASSWORD))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("at-rest.db*"))
    # Sanity: the reading sees stored text (organisation names are not personal data).
    assert demo.COUNTY_A.encode() in raw
    leaked = [
        t for t in demo_plaintexts() if t.encode() in raw or json.dumps(t)[1:-1].encode() in raw
    ]
    assert leaked == []
    assert re.findall(rb"\d{6}[-+A-FU-Y]9\d\d[0-9A-Y]", raw) == []  # no identity code
