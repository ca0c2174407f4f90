"""schemathesis against the served OpenAPI document: every operation, as each role, on the demo.

The module builds its own app on a fresh SQLite file with the fictional demo world (what
``flask demo seed`` creates), loads ``/api/v1/openapi.json`` from it in-process (WSGI) and
runs every operation the document declares (reads and writes) as a caseworker, partner staff
and a client, each with their own bearer token. Generated path parameters are mixed with
real ids of the demo world, so the cases reach real clients, members and consents instead of
answering 404 to random UUIDs. Checks: no server error, only documented status codes, the
documented content type and headers, bodies that match their schemas, and requests that
break the schema refused with a 4xx.

Bounded for CI: a fixed number of examples per operation, derandomized (the same cases on
every run), no example database and no shrinking. ``TUKIVERKKO_SCHEMATHESIS_EXAMPLES`` raises
the count for a deeper local run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app import create_app, demo
from app.consents import texts as consent_texts
from app.extensions import db
from app.i18n import helsinki_today
from app.models import Case, NetworkMember, Organisation, User
from app.security import password_hasher
from consent.base import Base
from consent.models import Consent
from sharing.keys import Keyring
from tests.conftest import make_settings

# Profiles are global to hypothesis: this name is this module's own, next to the suite's
# "ci" and "dev" (tests/conftest.py), and it is applied to this test only, never loaded.
settings.register_profile(
    "api-schemathesis",
    max_examples=int(os.environ.get("TUKIVERKKO_SCHEMATHESIS_EXAMPLES", "15")),
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no database replay, no shrinking: bounded
    suppress_health_check=list(HealthCheck),  # slow data and filtered cases are expected here
)

ROLES = {
    "caseworker": "sosiaalityo.aino",
    "partner": "rise.riikka",
    "client": "asiakas.demo1",
    "manager": "johto.jaana",  # the county's statistics only
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

# Real values for generated path parameters and body fields, by name (filled by ``demo_app``).
REAL: dict[str, list[Any]] = {}


@pytest.fixture(scope="module")
def demo_app(keyring: Keyring, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on its own SQLite file, seeded with the fictional demo world."""
    import app.models  # noqa: F401

    folder: Path = tmp_path_factory.mktemp("schemathesis")
    application = create_app(make_settings(f"sqlite:///{folder / 'demo.db'}", folder, keyring))
    with application.app_context():
        Base.metadata.create_all(db.engine)
        demo.seed(db.session, keyring, password_hasher().hash(demo.DEMO_PASSWORD))
        db.session.commit()
        REAL.update(_real_ids())
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


def _real_ids() -> dict[str, list[Any]]:
    """Values worth sending: the demo client, clients shared with the partner, a client of
    the other county and a closed case; the demo client's members and consents."""
    own = db.session.scalar(select(User.client_id).where(User.username == ROLES["client"]))
    partner_org = db.session.scalar(
        select(User.organisation_id).where(User.username == ROLES["partner"])
    )
    shared = db.session.scalars(
        select(NetworkMember.client_id)
        .where(NetworkMember.organisation_id == partner_org, NetworkMember.client_id != own)
        .order_by(NetworkMember.client_id)
    ).all()
    county_b = db.session.scalar(
        select(Case.client_id)
        .join(Organisation, Organisation.id == Case.county_id)
        .where(Organisation.name == demo.COUNTY_B)
        .order_by(Case.client_id)
    )
    closed = db.session.scalar(
        select(Case.client_id).where(Case.closed_at.is_not(None)).order_by(Case.client_id)
    )
    members = db.session.scalars(
        select(NetworkMember.id).where(NetworkMember.client_id == own).order_by(NetworkMember.id)
    ).all()
    consents = db.session.scalars(
        select(Consent.id).where(Consent.client_id == own).order_by(Consent.id)
    ).all()
    assert own and shared and county_b and closed and members and consents, "the demo changed"
    today = helsinki_today()
    # The demo client twice: most of what a client's own token can do is about them.
    clients = [own, own, *shared[:2], county_b, closed]
    return {
        "client_id": [str(c) for c in clients],
        "member_id": [str(m) for m in members],
        "responsible": [str(m) for m in members],
        "consent_id": [str(c) for c in consents],
        # What a consent needs besides a member: the text shown, a confirmation, dates.
        "information_text_version": [consent_texts.FIRST_VERSION],
        "confirmed": [True],
        "valid_from": [today.isoformat()],
        "valid_until": [(today + timedelta(days=365)).isoformat()],
    }


def _mixed(value: Any, pool: list[Any]) -> Any:
    """A generated value that fits the pool's kind: kept now and then, mostly a real one.

    Only values already valid are replaced (by values equally valid), so an invalid case
    schemathesis made on purpose stays invalid in the same way.
    """
    if not pool or not _same_kind(value, pool[0]):
        return st.just(value)
    return st.sampled_from([*pool, *pool, value])


def _same_kind(value: Any, real: Any) -> bool:
    if isinstance(real, bool) or not isinstance(value, str):
        return isinstance(value, bool) and isinstance(real, bool)
    for parse in (uuid.UUID, date.fromisoformat):
        try:
            parse(real)
        except ValueError:
            continue
        try:
            parse(value)
        except ValueError:
            return False
        return True
    return 0 < len(value) <= 40  # a version string: valid at any such length


def _schema(application: Flask) -> Any:
    """The served document, with the demo world's real values mixed into generated cases."""
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    # A write whose preconditions are garbage is refused with 412 (its If-Match cannot
    # match), which is a refusal too: count it as one.
    rejection = loaded.config.checks.negative_data_rejection
    if "412" not in rejection.expected_statuses:
        rejection.expected_statuses = [*rejection.expected_statuses, "412"]

    @loaded.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {name: _mixed(value, REAL.get(name, [])) for name, value in path_parameters.items()}
        )

    @loaded.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        if not isinstance(body, dict):
            return st.just(body)
        fields = {}
        for name, value in body.items():
            pool = REAL.get(name, [])
            if isinstance(value, list):
                fields[name] = st.tuples(*(_mixed(item, pool) for item in value)).map(list)
            else:
                fields[name] = _mixed(value, pool)
        return st.fixed_dictionaries(fields)

    return loaded


@pytest.fixture(scope="module")
def tokens(demo_app: Flask) -> dict[str, str]:
    """One bearer token per role for the whole run (replaced when a case revokes it)."""
    return {role: _token(demo_app, username) for role, username in ROLES.items()}


def _token(application: Flask, username: str) -> str:
    response = application.test_client().post(
        "/api/v1/tokens", json={"username": username, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.json["token"])  # type: ignore[index]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_operation_keeps_its_documented_contract(
    demo_app: Flask, tokens: dict[str, str], role: str
) -> None:
    """Valid and invalid requests to every operation of the document, as one role."""
    # schemathesis' own pytest integration (``from_fixture``) does not run on pytest 9.2
    # (it sets ``Function._nodeid``), so the module drives it through hypothesis itself.
    failures: list[str] = []
    operations = 0
    for result in _schema(demo_app).get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in GenerationMode:
            try:
                _exercise(demo_app, operation, mode, role, tokens)
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (no parameter or body, and
                # the token is fixed): there is no negative case to send.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as failure:  # one report for all of them
                failures.append(f"{operation.label} [{mode.value}]\n{failure}")
    assert operations >= 6, "the document lost its operations"
    assert not failures, f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)


def _exercise(
    application: Flask, operation: Any, mode: GenerationMode, role: str, tokens: dict[str, str]
) -> None:
    # The token is a fixed header: schemathesis must not count a missing one as invalid data.
    fixed = {"Authorization": f"Bearer {tokens[role]}"}
    needs_token = operation.definition.raw.get("security") != []

    @settings(settings.get_profile("api-schemathesis"))
    @given(case=operation.as_strategy(generation_mode=mode, headers=fixed))
    def run(case: Any) -> None:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        revoking = case.method.upper() == "DELETE" and case.path.startswith("/api/v1/tokens")
        if revoking:
            # Revocation would end the token the role's run uses: revoke a fresh one instead,
            # then replace the run's token (DELETE /tokens revokes every token of the account).
            headers["Authorization"] = f"Bearer {_token(application, ROLES[role])}"
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        # A 401 is documented everywhere, so a lost token would pass unnoticed: refuse it.
        assert not needs_token or response.status_code != 401, "the run's token was refused"
        if revoking:
            tokens[role] = _token(application, ROLES[role])

    run()
