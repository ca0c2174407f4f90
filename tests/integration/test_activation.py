"""Activation codes (issue, use once, expiry, reuse, lock, generic errors) and staff-assisted
sessions (both identities in the log, the banner, ending the session)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.commands import open_session
from app.activation import commands as service
from app.activation import rules
from app.issued_secrets import ALPHABET, format_code, read_code
from app.models import Case, Client, Organisation, OrgKind, Role, User
from app.models.activation import ActivationCode, CodeState
from app.models.user_session import UserSession
from app.security import password_hasher
from consent.base import utcnow
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import csrf_token, login, smallest_limit

PASSWORD = "kuusi kuusta kuusessa"
GENERIC = "The code did not work."


@dataclass
class Setting:
    county: Organisation
    worker: User
    record: Client
    case: Case

    @property
    def access_url(self) -> str:
        return f"/caseworker/clients/{self.record.id}/portal-access"


@pytest.fixture
def setting(db: Session) -> Setting:
    made = factories.county_case(db, name="Kuvitteellinen Kaisa")
    db.commit()
    return Setting(made.county, made.worker, made.client, made.case)


def issue(db: Session, s: Setting, **kwargs) -> service.IssuedCode:  # type: ignore[no-untyped-def]
    issued = service.issue_code(
        db, password_hasher(), client_id=s.record.id, issued_by_id=s.worker.id, **kwargs
    )
    db.commit()
    return issued


def activate(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    code: str,
    username: str = "kaisa.k",
    *,
    address: str = "127.0.0.1",
    **overrides: str,
):
    data = {
        "csrf_token": csrf_token(client, "/activate"),
        "code": code,
        "username": username,
        "password": PASSWORD,
        "confirm": PASSWORD,
        **overrides,
    }
    return client.post("/activate", data=data, environ_overrides={"REMOTE_ADDR": address})


def wrong(code: str) -> str:
    """The same selector with another verifier."""
    raw = read_code(code, rules.CODE_LENGTH)
    assert raw is not None
    last = raw[-1]
    other = ALPHABET[(ALPHABET.index(last) + 1) % len(ALPHABET)]
    return format_code(raw[:-1] + other)


def reload(db: Session, row):  # type: ignore[no-untyped-def]
    """The row as the database has it now (requests close the session they ran in)."""
    return db.get(type(row), row.id, populate_existing=True)


def error_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page without its CSRF token, to compare two error pages."""
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


# -- the code's lifecycle ------------------------------------------------------------------


def test_a_code_is_stored_only_as_a_hash_and_creates_the_clients_sign_in(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    issued = issue(db, setting)
    assert re.fullmatch(r"[2-9A-Z]{4}(-[2-9A-Z]{4}){3}", issued.text)
    raw = read_code(issued.text, rules.CODE_LENGTH)
    stored = db.get(ActivationCode, issued.code.id)
    assert stored is not None and stored.state(utcnow()) is CodeState.LIVE
    assert raw is not None and raw[rules.SELECTOR_LENGTH :] not in stored.verifier_hash
    assert stored.verifier_hash.startswith("$argon2")
    assert stored.expires_at - stored.issued_at == timedelta(hours=72)

    response = activate(client, issued.text.lower().replace("-", " "))  # forgiving input
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    account = db.scalars(select(User).where(User.client_id == setting.record.id)).one()
    assert account.role is Role.CLIENT and account.username == "kaisa.k"
    stored = reload(db, stored)
    assert stored.state(utcnow()) is CodeState.USED and stored.user_id == account.id

    login(client, "kaisa.k", PASSWORD)
    assert "Kuvitteellinen Kaisa" in client.get("/my/").get_data(as_text=True)


def test_a_used_code_cannot_be_used_again(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    issued = issue(db, setting)
    assert activate(client, issued.text).status_code == 302
    again = activate(client, issued.text, username="someone.else")
    assert again.status_code == 400
    assert GENERIC in again.get_data(as_text=True)
    assert db.scalar(select(User).where(User.username == "someone.else")) is None
    with pytest.raises(service.CodeRejected) as rejected:
        service.verify_code(db, password_hasher(), issued.text)
    assert rejected.value.reason == "used"


def test_an_expired_code_is_refused(client: FlaskClient, db: Session, setting: Setting) -> None:
    issued = issue(db, setting, now=utcnow() - timedelta(hours=73))
    response = activate(client, issued.text)
    assert response.status_code == 400
    assert GENERIC in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.client_id == setting.record.id)) is None
    with pytest.raises(service.CodeRejected) as rejected:
        service.verify_code(db, password_hasher(), issued.text)
    assert rejected.value.reason == "expired"


def test_wrong_tries_lock_the_code(client: FlaskClient, db: Session, setting: Setting) -> None:
    issued = issue(db, setting)
    for _ in range(rules.MAX_ATTEMPTS):
        assert activate(client, wrong(issued.text)).status_code == 400
    stored = reload(db, issued.code)
    assert stored.failed_attempts == rules.MAX_ATTEMPTS
    assert stored.state(utcnow()) is CodeState.LOCKED
    # Now even the right code is refused, with the same words.
    response = activate(client, issued.text)
    assert response.status_code == 400 and GENERIC in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.client_id == setting.record.id)) is None


def test_a_wrong_code_counts_although_the_page_answers_400(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    issued = issue(db, setting)
    assert activate(client, wrong(issued.text)).status_code == 400
    stored = reload(db, issued.code)
    assert stored.failed_attempts == 1 and stored.state(utcnow()) is CodeState.LIVE


def test_every_kind_of_bad_code_gets_the_same_page(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    live = issue(db, setting)
    other_county = factories.organisation(db, OrgKind.COUNTY)
    other, _ = factories.client(db, other_county)
    expired = service.issue_code(
        db,
        password_hasher(),
        client_id=other.id,
        issued_by_id=None,
        now=utcnow() - timedelta(days=4),
    )
    db.commit()
    pages = [
        error_text(activate(client, code))
        for code in (
            "AAAA-BBBB-CCCC-DDDD",  # no such code
            wrong(live.text),  # wrong verifier
            expired.text,  # expired
            "not a code at all",  # malformed
        )
    ]
    assert all(GENERIC in page for page in pages)
    assert len(set(pages)) == 1


def test_wrong_codes_from_one_address_are_stopped_even_without_the_cookie(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    """The limit lives in the database: a client that drops its cookie is still counted."""
    allowed = smallest_limit(client.application, "code_failures_per_address")
    for n in range(allowed):
        assert activate(client, f"AAAA-BBBB-CCCC-{n + 2:04d}".replace("0", "2")).status_code == 400
        client.delete_cookie("tukiverkko_session")
    issued = issue(db, setting)
    response = activate(client, issued.text)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Try again in" in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.client_id == setting.record.id)) is None
    # The code itself was not touched, and the client elsewhere can use it.
    client.delete_cookie("tukiverkko_session")
    assert activate(client, issued.text, address="198.51.100.20").status_code == 302


def test_password_and_username_rules_keep_the_code_usable(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    issued = issue(db, setting)
    factories.user(db, Role.CASEWORKER, setting.county, username="Varattu")
    db.commit()
    cases = [
        ({"password": "short", "confirm": "short"}, "at least 12 characters"),
        ({"confirm": PASSWORD + "x"}, "The two passwords are not the same."),
        (
            {"password": issued.text + "!", "confirm": issued.text + "!"},
            "Do not use the activation code",
        ),
        ({"username": "varattu"}, "That username is taken."),  # case does not matter
        ({"username": "has space"}, "No spaces."),
        (
            {
                "username": "kaisa.kuvitelma",
                "password": "Kaisa.Kuvitelma",
                "confirm": "Kaisa.Kuvitelma",
            },
            "too close to your name or username",
        ),
    ]
    for overrides, message in cases:
        response = activate(client, issued.text, **overrides)
        assert response.status_code == 400, overrides
        page = response.get_data(as_text=True)
        assert message in page, overrides
        assert f'value="{issued.text}"' in page  # what the client typed is kept
    stored = reload(db, issued.code)
    assert stored.state(utcnow()) is CodeState.LIVE and stored.failed_attempts == 0
    assert activate(client, issued.text).status_code == 302


def test_a_code_resets_the_sign_in_the_client_already_has(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    account = factories.user(db, Role.CLIENT, client=setting.record, username="vanha")
    old_sign_in = open_session(
        db, account, now=utcnow(), lifetime=timedelta(hours=2), user_agent=""
    ).record.id
    db.commit()
    issued = issue(db, setting)
    assert activate(client, issued.text, username="uusi.nimi").status_code == 302
    account = reload(db, account)
    assert account.username == "uusi.nimi"
    assert db.get(UserSession, old_sign_in) is None  # every old session ended
    assert db.scalars(select(User).where(User.client_id == setting.record.id)).all() == [account]
    assert login(client, "vanha", "pw").headers.get("Location") != "/my/"
    assert login(client, "uusi.nimi", PASSWORD).headers["Location"] == "/my/"


def test_a_new_code_cancels_the_earlier_one(db: Session, setting: Setting) -> None:
    first = issue(db, setting)
    second = issue(db, setting)
    assert reload(db, first.code).state(utcnow()) is CodeState.CANCELLED
    assert second.code.state(utcnow()) is CodeState.LIVE
    with pytest.raises(service.CodeRejected):
        service.verify_code(db, password_hasher(), first.text)


# -- the worker's page ---------------------------------------------------------------------


def test_the_worker_issues_a_code_that_is_shown_once(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    login(client, setting.worker.username)
    page = client.get(setting.access_url).get_data(as_text=True)
    assert "The client has no sign-in yet." in page
    response = client.post(
        f"{setting.access_url}/codes", data={"csrf_token": csrf_token(client, setting.access_url)}
    )
    assert response.status_code == 200
    shown = re.search(r"<code>([2-9A-Z-]{19})</code>", response.get_data(as_text=True))
    assert shown is not None
    code = db.scalars(select(ActivationCode)).one()
    assert code.issued_by_id == setting.worker.id
    # Not on the page again, and not stored anywhere.
    again = client.get(setting.access_url).get_data(as_text=True)
    assert shown.group(1) not in again and "Can be used" in again
    assert shown.group(1).replace("-", "")[rules.SELECTOR_LENGTH :] not in code.verifier_hash

    client.post("/logout", data={"csrf_token": csrf_token(client, setting.access_url)})
    assert activate(client, shown.group(1)).status_code == 302


def test_the_worker_cancels_a_code(client: FlaskClient, db: Session, setting: Setting) -> None:
    issued = issue(db, setting)
    login(client, setting.worker.username)
    url = f"{setting.access_url}/codes/{issued.code.id}/cancel"
    response = client.post(url, data={"csrf_token": csrf_token(client, setting.access_url)})
    assert response.status_code == 302
    assert reload(db, issued.code).cancelled_by_id == setting.worker.id
    client.post("/logout", data={"csrf_token": csrf_token(client, setting.access_url)})
    assert activate(client, issued.text).status_code == 400


def test_only_a_worker_with_a_relationship_issues_codes(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    colleague = factories.user(db, Role.CASEWORKER, setting.county)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, stranger.username)
    assert client.get(setting.access_url).status_code == 404  # another county
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})
    login(client, colleague.username)
    assert client.get(setting.access_url).status_code == 403  # no relationship: work task page
    # A recorded work task lets them see the page, not issue codes.
    from app.models import WorkTaskReason

    db.add(
        WorkTaskReason(
            case_id=setting.case.id,
            client_id=setting.record.id,
            user_id=colleague.id,
            reason_ct=b"",
            valid_until=utcnow() + timedelta(hours=2),
        )
    )
    db.commit()
    page = client.get(setting.access_url)
    assert page.status_code == 200
    assert "Only the client's responsible worker" in page.get_data(as_text=True)
    response = client.post(
        f"{setting.access_url}/codes", data={"csrf_token": csrf_token(client, setting.access_url)}
    )
    assert response.status_code == 403
    assert db.scalar(select(ActivationCode)) is None


def test_the_code_list_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, setting: Setting, sql_count: list[str]
) -> None:
    issue(db, setting)
    login(client, setting.worker.username)

    def queries() -> int:
        sql_count.clear()
        assert client.get(setting.access_url).status_code == 200
        return len(sql_count)

    one = queries()
    for _ in range(15):
        issue(db, setting)
    assert queries() == one
    page_two = client.get(f"{setting.access_url}?page=2").get_data(as_text=True)
    assert page_two.count("Cancelled") == 6


# -- staff-assisted sessions ---------------------------------------------------------------


@pytest.fixture
def prison_staff(db: Session) -> User:
    prison = factories.organisation(db, OrgKind.PRISON, "Kuvitteellinen vankila (fictional)")
    staff = factories.user(db, Role.PARTNER, prison)
    staff.display_name = "Vartija Esimerkki"
    db.commit()
    return staff


def start_assist(client: FlaskClient, staff: User):  # type: ignore[no-untyped-def]
    login(client, staff.username)
    return client.post("/assist", data={"csrf_token": csrf_token(client, "/assist")})


def assisted_sign_in(client: FlaskClient, username: str, password: str = "pw"):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": csrf_token(client, "/assist/sign-in"),
        "username": username,
        "password": password,
    }
    return client.post("/assist/sign-in", data=data)


def test_an_assisted_session_records_both_identities_and_shows_the_banner(
    client: FlaskClient, db: Session, setting: Setting, prison_staff: User
) -> None:
    account = factories.user(db, Role.CLIENT, client=setting.record)
    db.commit()
    started = start_assist(client, prison_staff)
    assert started.headers["Location"] == "/assist/sign-in"
    assert client.get("/partner/").status_code == 302  # the staff member is signed out
    waiting = client.get("/assist/sign-in").get_data(as_text=True)
    assert "Staff-assisted session: Vartija Esimerkki" in waiting

    assert assisted_sign_in(client, account.username).headers["Location"] == "/my/"
    home = client.get("/my/").get_data(as_text=True)
    assert "Staff-assisted session: Vartija Esimerkki" in home
    assert "Kuvitteellinen vankila (fictional)" in home
    entries = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.client_id == setting.record.id)
    ).all()
    reads = [e for e in entries if e.actor_user_id == account.id]
    assert reads and all(e.assisted_by_user_id == prison_staff.id for e in reads)
    assert all(e.actor_role == "client" for e in reads)

    ended = client.post("/assist/end", data={"csrf_token": csrf_token(client, "/my/")})
    assert ended.headers["Location"] == "/login"
    assert client.get("/my/").status_code == 302  # the client is signed out too


def test_an_ordinary_client_session_has_no_banner_and_no_assistant(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    account = factories.user(db, Role.CLIENT, client=setting.record)
    db.commit()
    login(client, account.username)
    assert "Staff-assisted session" not in client.get("/my/").get_data(as_text=True)
    entries = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.actor_user_id == account.id)
    ).all()
    assert entries and all(e.assisted_by_user_id is None for e in entries)


def test_a_caseworker_may_assist_but_not_staff_of_other_organisations(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    ngo_staff = factories.user(db, Role.PARTNER, factories.organisation(db, OrgKind.NGO))
    db.commit()
    login(client, ngo_staff.username)
    assert client.get("/assist").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/partner/")})
    assert start_assist(client, setting.worker).headers["Location"] == "/assist/sign-in"


def test_only_a_client_signs_in_to_an_assisted_session(
    client: FlaskClient, db: Session, setting: Setting, prison_staff: User
) -> None:
    start_assist(client, prison_staff)
    response = assisted_sign_in(client, setting.worker.username)
    assert response.status_code == 400
    assert "This sign-in is for the client." in response.get_data(as_text=True)
    assert client.get("/caseworker/").status_code == 302
    response = assisted_sign_in(client, "nobody", "wrong")
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_an_assisted_session_can_be_cancelled_and_waits_only_briefly(
    client: FlaskClient, db: Session, setting: Setting, prison_staff: User
) -> None:
    start_assist(client, prison_staff)
    cancel = client.post(
        "/assist/cancel", data={"csrf_token": csrf_token(client, "/assist/sign-in")}
    )
    assert cancel.headers["Location"] == "/login"
    assert "No assisted session is waiting" in client.get("/assist/sign-in").get_data(as_text=True)
    start_assist(client, prison_staff)
    with client.session_transaction() as browser:
        browser["assist_pending"]["at"] -= 11 * 60
        browser.modified = True
    assert "No assisted session is waiting" in client.get("/assist/sign-in").get_data(as_text=True)


def test_activation_during_an_assisted_session_leads_back_to_the_assisted_sign_in(
    client: FlaskClient, db: Session, setting: Setting, prison_staff: User
) -> None:
    issued = issue(db, setting)
    start_assist(client, prison_staff)
    response = activate(client, issued.text)
    assert response.headers["Location"] == "/assist/sign-in"
    assert assisted_sign_in(client, "kaisa.k", PASSWORD).headers["Location"] == "/my/"
    assert "Staff-assisted session" in client.get("/my/").get_data(as_text=True)
