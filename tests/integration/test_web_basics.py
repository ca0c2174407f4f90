"""Sign-in, sessions, CSRF, headers and error pages."""

from __future__ import annotations

from app.accounts.commands import end_sessions
from app.models import OrgKind, Role
from consent.base import utcnow
from tests import factories
from tests.conftest import CSRF, csrf_token, login


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, db) -> None:  # type: ignore[no-untyped-def]
    account = factories.user(db, Role.CASEWORKER, factories.organisation(db))
    db.commit()
    wrong_password = login(client, account.username, "nope").get_data(as_text=True)
    no_such_user = login(client, "nobody-here", "nope").get_data(as_text=True)
    assert "Wrong username or password." in wrong_password
    assert "Wrong username or password." in no_such_user
    assert client.get("/caseworker/").status_code == 302


def test_login_without_csrf_token_is_rejected(client, db) -> None:  # type: ignore[no-untyped-def]
    account = factories.user(db, Role.CASEWORKER, factories.organisation(db))
    db.commit()
    response = client.post("/login", data={"username": account.username, "password": "pw"})
    assert response.status_code == 400
    assert "form had expired" in response.get_data(as_text=True)


def test_next_parameter_cannot_redirect_off_site(client, db) -> None:  # type: ignore[no-untyped-def]
    account = factories.user(db, Role.ADMIN)
    db.commit()
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            "/login",
            data={
                "csrf_token": csrf_token(client),
                "username": account.username,
                "password": "pw",
                "next": target,
            },
        )
        assert response.headers["Location"] == "/admin/", target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})


def test_logout_ends_the_session(client, db) -> None:  # type: ignore[no-untyped-def]
    account = factories.user(db, Role.ADMIN)
    db.commit()
    login(client, account.username)
    assert client.get("/admin/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert client.get("/admin/").status_code == 302


def test_ending_every_session_of_the_user_ends_existing_sessions(client, db) -> None:  # type: ignore[no-untyped-def]
    account = factories.user(db, Role.ADMIN)
    db.commit()
    login(client, account.username)
    assert client.get("/admin/").status_code == 200
    end_sessions(db, account.id, now=utcnow())
    db.commit()
    assert client.get("/admin/").status_code == 302


def test_deactivated_user_cannot_sign_in(client, db) -> None:  # type: ignore[no-untyped-def]
    account = factories.user(db, Role.ADMIN)
    account.active = False
    db.commit()
    assert login(client, account.username).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_session_cookie_and_security_headers(client, db) -> None:  # type: ignore[no-untyped-def]
    account = factories.user(db, Role.ADMIN)
    db.commit()
    response = login(client, account.username)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/admin/")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        "script-src" not in page.headers["Content-Security-Policy"]
    )  # default-src 'none': no scripts
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_over_https_a_form_needs_the_same_origin_referer_its_page_lets_browsers_send(
    client, db
) -> None:  # type: ignore[no-untyped-def]
    """Behind the TLS proxy, Flask-WTF refuses a POST without a same-origin Referer; a page
    whose policy forbade sending one (no-referrer) could never be submitted."""
    account = factories.user(db, Role.ADMIN)
    db.commit()
    https = "https://tukiverkko.example.fi"
    page = client.get("/login", base_url=https)
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    form = {"csrf_token": token.group(1), "username": account.username, "password": "pw"}
    assert client.post("/login", base_url=https, data=form).status_code == 400
    elsewhere = {"Referer": "https://elsewhere.example/login"}
    assert client.post("/login", base_url=https, data=form, headers=elsewhere).status_code == 400
    same_site = {"Referer": f"{https}/login"}
    signed_in = client.post("/login", base_url=https, data=form, headers=same_site)
    assert signed_in.status_code == 302


def test_pages_serve_every_asset_themselves(client, db) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    assert "<script" not in page
    assert "http://" not in page and "https://" not in page
    with client.get("/static/app.css") as stylesheet:
        assert stylesheet.status_code == 200


def test_error_pages_reveal_nothing_internal(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "werkzeug" not in body.lower()


def test_an_unexpected_error_is_a_plain_500_page(app) -> None:  # type: ignore[no-untyped-def]
    from app import create_app

    probe = create_app(app.extensions["tukiverkko.settings"])

    def boom() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    probe.add_url_rule("/boom", "boom", boom)
    probe.view_functions["boom"]._tukiverkko_access = "public"  # type: ignore[attr-defined]
    response = probe.test_client().get("/boom")
    assert response.status_code == 500
    assert "hunter2" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_language_follows_the_choice_and_defaults_to_finnish(client, db) -> None:  # type: ignore[no-untyped-def]
    german = {"Accept-Language": "de"}
    assert '<html lang="fi">' in client.get("/login", headers=german).get_data(as_text=True)
    assert "Kirjaudu" in client.get("/login", headers=german).get_data(as_text=True)
    client.post(
        "/language", data={"csrf_token": csrf_token(client), "language": "sv", "next": "/login"}
    )
    assert '<html lang="sv">' in client.get("/login").get_data(as_text=True)


def test_a_partner_sees_its_own_organisation_at_home(client, db) -> None:  # type: ignore[no-untyped-def]
    org = factories.organisation(
        db, OrgKind.PROBATION, "Kuvitteellinen valvontatoimisto (fictional)"
    )
    account = factories.user(db, Role.PARTNER, org)
    db.commit()
    login(client, account.username)
    assert "Kuvitteellinen valvontatoimisto (fictional)" in client.get("/partner/").get_data(
        as_text=True
    )
