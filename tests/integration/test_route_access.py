"""Deny by default: every endpoint declares who may use it, and nobody else gets in."""

from __future__ import annotations

import pytest
from flask import Flask

from app.models import Role
from app.security import PUBLIC, declared_access
from tests import factories
from tests.conftest import login

HOMES = {
    Role.CASEWORKER: "/caseworker/",
    Role.PARTNER: "/partner/",
    Role.CLIENT: "/my/",
    Role.ADMIN: "/admin/",
}


def test_every_endpoint_declares_its_access(app: Flask) -> None:
    with app.test_request_context():
        undeclared = [
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if declared_access(rule.endpoint) is None
        ]
    assert undeclared == []


def test_an_undeclared_view_is_refused(app: Flask) -> None:
    """The rule itself: a view without a declaration answers 403 even to a signed-in user."""
    from app import create_app

    probe = create_app(app.extensions["tukiverkko.settings"])
    probe.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert probe.test_client().get("/forgotten").status_code == 403


def test_non_public_pages_send_anonymous_visitors_to_login_and_the_api_says_401(
    app: Flask, client
) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        private = [
            rule
            for rule in app.url_map.iter_rules()
            if declared_access(rule.endpoint) != PUBLIC
            and "GET" in rule.methods
            and not rule.arguments
        ]
    assert private, "expected some private GET pages"
    for rule in private:
        response = client.get(rule.rule)
        if rule.rule.startswith("/api/"):  # a program is told, not redirected
            assert response.status_code == 401, rule.rule
            assert response.mimetype == "application/problem+json", rule.rule
            continue
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/login"), rule.rule


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_only_its_own_home(client, db, role: Role) -> None:  # type: ignore[no-untyped-def]
    county = factories.organisation(db)
    if role is Role.CLIENT:
        record, _ = factories.client(db, county)
        account = factories.user(db, role, client=record)
    else:
        account = factories.user(db, role, None if role is Role.ADMIN else county)
    db.commit()
    assert login(client, account.username).headers["Location"] == HOMES[role]
    for other, path in HOMES.items():
        assert client.get(path).status_code == (200 if other is role else 403), path
