"""Administration: the organisation directory and staff accounts.

The directory: an organisation is added with its grantee key, its Y-tunnus checked, an NGO
is never an authority (nor receives a statutory disclosure), and deactivating one ends its
memberships as ending each would, and its staff's sign-ins. Staff accounts: an invitation
link works once, sets the password and is kept only as a digest; a county's administrator
manages only their own county's workers and the partner staff they invited; each action is
in the account's history.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import record_statutory_disclosure
from app.directory import commands as directory
from app.directory.rules import OrganisationFacts
from app.i18n import helsinki_today
from app.issued_secrets import token_digest
from app.models import NetworkMember, Organisation, OrgKind, Role, User
from app.models.partner import RevocationNotice
from app.models.staff import AccountAction, AccountEvent, StaffInvitation
from app.refusals import NotFound, Refused
from app.request_log import JsonFormatter
from app.security import current_keyring, new_gate
from app.staff import commands as staff
from consent.base import utcnow
from consent.sections import SectionKind
from sharing.models import GranteeKey
from tests import factories
from tests.conftest import api_token, csrf_token, login

GOOD = "sininen kettu juoksee metsässä"
LINK = re.compile(r'<code class="invitation-url">[^<]*/invitation/([A-Za-z0-9_-]+)</code>')


def _post(client: FlaskClient, path: str, data: dict[str, str], form_page: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, form_page or path), **data})


def _facts(name: str, kind: OrgKind, **changes: object) -> OrganisationFacts:
    values: dict[str, object] = {
        "name": name,
        "kind": kind,
        "authority": kind.is_authority,
        "county_id": None,
        "business_id": "",
    }
    return OrganisationFacts(**(values | changes))  # type: ignore[arg-type]


# -- the directory ------------------------------------------------------------------------------


def test_an_organisation_is_added_with_its_grantee_key_and_checked_business_id(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    admin = factories.user(db, Role.ADMIN)
    keyless = factories.organisation(db, OrgKind.NGO, name="Avaimeton ry (fictional)")
    db.commit()
    login(client, admin.username)
    form = {
        "name": "Kela, Testitoimisto (fictional)",
        "kind": "public_service",
        "authority": "y",
        "county_id": "",
        "business_id": "0246246-1",
        "phone": "020 692 200",
        "email": "info@example.fi",
    }
    wrong = _post(client, "/admin/organisations/new", form)
    assert wrong.status_code == 400
    assert "not a valid business id" in wrong.get_data(as_text=True)
    done = _post(client, "/admin/organisations/new", form | {"business_id": "0246246-0"})
    assert done.status_code == 302, done.get_data(as_text=True)
    created = db.scalars(select(Organisation).where(Organisation.name == form["name"])).one()
    assert created.business_id == "0246246-0" and created.is_authority and created.active
    assert created.phone == "020 692 200" and created.county_id is None
    key = db.scalars(select(GranteeKey).where(GranteeKey.organisation_id == created.id)).one()
    assert key.master_key_id == current_keyring().active_id
    output = app.test_cli_runner().invoke(args=["keys", "status"]).output
    assert "organisations with a grantee key:" in output
    without = output.split("organisations without one yet:")[1].splitlines()[0]
    assert keyless.name in without and created.name not in without
    listing = client.get("/admin/organisations?q=0246246").get_data(as_text=True)
    assert created.name in listing and keyless.name not in listing


def test_an_ngo_is_never_an_authority_nor_receives_a_statutory_disclosure(db: Session) -> None:
    with pytest.raises(Refused) as refused:
        directory.create_organisation(
            db,
            current_keyring(),
            _facts("Tukiyhdistys (fictional)", OrgKind.NGO, authority=True),
            scope=None,
        )
    assert refused.value.errors["authority"].value == "never_authority"
    with pytest.raises(Refused) as refused:
        directory.create_organisation(
            db,
            current_keyring(),
            _facts("Vankila (fictional)", OrgKind.PRISON, authority=False),
            scope=None,
        )
    assert refused.value.errors["authority"].value == "always_authority"
    # Even were the row marked an authority by hand, the disclosure is refused by kind.
    _, worker, _, case = factories.county_case(db)
    ngo = factories.partner(db, case, OrgKind.NGO, committed_on=helsinki_today())
    ngo.organisation.authority = True
    db.flush()
    with pytest.raises(Refused) as refused:
        record_statutory_disclosure(
            db,
            new_gate(),
            factories.actor(worker),
            case=case,
            member_id=ngo.member.id,
            sections=frozenset({SectionKind.HOUSING}),
            provision="SHL 41 §",
            justification="Asunnon järjestäminen (fictional)",
            valid_from=helsinki_today(),
            valid_until=None,
        )
    assert "member_id" in refused.value.errors
    # A public service the directory does not mark as an authority is refused as well.
    kela = factories.partner(db, case, OrgKind.PUBLIC_SERVICE)
    kela.organisation.authority = False
    db.flush()
    with pytest.raises(Refused):
        record_statutory_disclosure(
            db,
            new_gate(),
            factories.actor(worker),
            case=case,
            member_id=kela.member.id,
            sections=frozenset({SectionKind.HOUSING}),
            provision="SHL 41 §",
            justification="Asunnon järjestäminen (fictional)",
            valid_from=helsinki_today(),
            valid_until=None,
        )


def test_deactivating_an_organisation_ends_its_memberships_and_its_staffs_sign_ins(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    county, worker, _, case = factories.county_case(db)
    housing = factories.partner(db, case, OrgKind.PUBLIC_SERVICE, starts_on=helsinki_today())
    factories.consent(db, factories.actor(worker), case, housing.member, SectionKind.HOUSING)
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    staff_browser = app.test_client()
    login(staff_browser, housing.staff.username)
    assert staff_browser.get("/partner/").status_code == 200
    login(client, admin.username)
    path = f"/admin/organisations/{housing.organisation.id}"
    done = _post(client, path + "/deactivate", {}, path)
    assert done.headers["Location"] == path
    db.expire_all()
    member = db.get(NetworkMember, housing.member.id)
    assert member is not None and member.ended_at is not None and member.ended_by_id == admin.id
    notices = db.scalars(
        select(RevocationNotice).where(RevocationNotice.organisation_id == housing.organisation.id)
    ).all()
    assert notices  # asked to confirm it keeps no copy, as when a worker ends a membership
    organisation = db.get(Organisation, housing.organisation.id)
    assert organisation is not None and not organisation.active
    account = db.get(User, housing.staff.id)
    assert account is not None and not account.active
    assert staff_browser.get("/partner/").status_code == 302  # its open session ended
    # No longer offered to networks, nor addable.
    other = factories.county_case(db, identity_code=None)
    with pytest.raises(Refused):
        factories.org_member(
            db, other.actor, other.case, organisation.id, role="Asunnot", starts_on=helsinki_today()
        )
    # A county is not deactivated here.
    county_path = f"/admin/organisations/{county.id}"
    refused = _post(client, county_path + "/deactivate", {}, county_path)
    assert refused.status_code == 302
    assert "cannot be deactivated" in client.get(county_path).get_data(as_text=True)


def test_a_countys_administrator_changes_only_its_own_countys_organisations(
    client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    other_county = factories.organisation(db, OrgKind.COUNTY)
    local = directory.create_organisation(
        db,
        current_keyring(),
        _facts("Paikallinen ry (fictional)", OrgKind.NGO, county_id=county.id),
        scope=None,
    )
    foreign = directory.create_organisation(
        db,
        current_keyring(),
        _facts("Toisen alueen ry (fictional)", OrgKind.NGO, county_id=other_county.id),
        scope=None,
    )
    national = directory.create_organisation(
        db, current_keyring(), _facts("Kansallinen ry (fictional)", OrgKind.NGO), scope=None
    )
    admin = factories.user(db, Role.ADMIN, county)
    db.commit()
    with pytest.raises(NotFound):
        directory.update_organisation(
            db, national, _facts("Uusi nimi", OrgKind.NGO), scope=county.id
        )
    with pytest.raises(Refused) as refused:
        directory.create_organisation(
            db, current_keyring(), _facts("Kolmas ry (fictional)", OrgKind.NGO), scope=county.id
        )
    assert refused.value.errors["county_id"].value == "outside_scope"
    login(client, admin.username)
    offered = client.get("/admin/organisations/new").get_data(as_text=True)
    assert "Spans counties" not in offered and other_county.name not in offered
    assert f'<option selected value="{county.id}">' in offered
    for org in (foreign, national):
        path = f"/admin/organisations/{org.id}"
        assert "Save" not in client.get(path).get_data(as_text=True)
        assert _post(client, path, {"name": "X", "kind": "ngo"}, path).status_code == 403
        assert _post(client, path + "/deactivate", {}, path).status_code == 404
    path = f"/admin/organisations/{local.id}"
    changed = _post(
        client,
        path,
        {
            "name": "Paikallinen tuki ry (fictional)",
            "kind": "ngo",
            "county_id": str(county.id),
            "business_id": "",
        },
        path,
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)
    db.expire_all()
    assert db.get(Organisation, local.id).name == "Paikallinen tuki ry (fictional)"  # type: ignore[union-attr]


# -- staff accounts ---------------------------------------------------------------------------


def test_an_invitation_link_sets_the_password_once_and_is_kept_only_as_a_digest(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    db.commit()
    login(client, admin.username)
    page = _post(
        client,
        "/admin/users/invite",
        {
            "display_name": "Liisa Kokeilu",
            "username": "liisa.kokeilu",
            "role": "caseworker",
            "organisation_id": str(county.id),
        },
    )
    assert page.status_code == 200
    match = LINK.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    token = match.group(1)
    db.expire_all()
    invited = db.scalars(select(User).where(User.username == "liisa.kokeilu")).one()
    assert invited.password_hash is None and invited.organisation_id == county.id
    stored = db.scalars(select(StaffInvitation).where(StaffInvitation.user_id == invited.id)).one()
    assert stored.digest == token_digest(token) and token not in stored.digest
    # Nobody signs in with an invited account before the link is used.
    assert login(app.test_client(), "liisa.kokeilu", GOOD).status_code != 302

    newcomer = app.test_client()
    newcomer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    path = f"/invitation/{token}"
    assert "liisa.kokeilu" in newcomer.get(path).get_data(as_text=True)
    weak = _post(newcomer, path, {"password": "liisa.kokeilu1", "confirm": "liisa.kokeilu1"})
    assert weak.status_code == 400
    done = _post(newcomer, path, {"password": GOOD, "confirm": GOOD})
    assert done.headers["Location"] == "/login"
    assert newcomer.get(path).status_code == 410  # once only
    assert app.test_client().get("/invitation/" + "x" * 43).status_code == 410
    assert login(newcomer, "liisa.kokeilu", GOOD).headers["Location"] == "/caseworker/"
    actions = db.scalars(
        select(AccountEvent.action).where(AccountEvent.user_id == invited.id)
    ).all()
    assert set(actions) == {AccountAction.INVITED, AccountAction.INVITATION_ACCEPTED}
    history = client.get(f"/admin/users/{invited.id}").get_data(as_text=True)
    assert "Invitation link created" in history and "Invitation accepted" in history


def test_an_invitation_expires_and_a_new_one_replaces_the_old(db: Session) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    now = utcnow()
    first = staff.invite_staff(
        db,
        scope=None,
        by_id=None,
        username="kalle.kokeilu",
        display_name="Kalle Kokeilu",
        role=Role.CASEWORKER,
        organisation_id=county.id,
        now=now,
    )
    account = db.get(User, first.invitation.user_id)
    assert account is not None
    second = staff.reinvite(db, account, scope=None, by_id=None, now=now)
    assert staff.invitation_of(db, first.token, now=now) is None  # replaced
    assert staff.invitation_of(db, second.token, now=now) is not None
    later = now + timedelta(days=8)
    with pytest.raises(staff.InvitationNotValid):
        staff.accept_invitation(
            db, factories.password_hasher(), second.token, password=GOOD, now=later
        )
    staff.accept_invitation(db, factories.password_hasher(), second.token, password=GOOD, now=now)
    with pytest.raises(staff.AlreadySetUp):
        staff.reinvite(db, account, scope=None, by_id=None, now=now)


def test_a_countys_administrator_manages_only_its_workers_and_the_partners_it_invited(
    client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    other = factories.organisation(db, OrgKind.COUNTY)
    ngo = factories.organisation(db, OrgKind.NGO)
    admin = factories.user(db, Role.ADMIN, county)
    own_worker = factories.user(db, Role.CASEWORKER, county)
    foreign_worker = factories.user(db, Role.CASEWORKER, other)
    uninvited_partner = factories.user(db, Role.PARTNER, ngo)
    invited = staff.invite_staff(
        db,
        scope=county.id,
        by_id=admin.id,
        username="ngo.tyontekija",
        display_name="Järjestön Työntekijä",
        role=Role.PARTNER,
        organisation_id=ngo.id,
        now=utcnow(),
    )
    with pytest.raises(Refused) as refused:
        staff.invite_staff(
            db,
            scope=county.id,
            by_id=admin.id,
            username="vieras.tyontekija",
            display_name="Vieras",
            role=Role.CASEWORKER,
            organisation_id=other.id,
            now=utcnow(),
        )
    assert refused.value.errors["organisation_id"].value == "own_county_only"
    db.commit()
    login(client, admin.username)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert own_worker.username in listing and "ngo.tyontekija" in listing
    assert foreign_worker.username not in listing and uninvited_partner.username not in listing
    for account in (foreign_worker, uninvited_partner):
        path = f"/admin/users/{account.id}"
        assert client.get(path).status_code == 404
        assert _post(client, path + "/deactivate", {}, "/admin/users").status_code == 404
    path = f"/admin/users/{invited.invitation.user_id}"
    assert client.get(path).status_code == 200
    done = _post(client, path + "/deactivate", {}, path)
    assert done.headers["Location"] == path


def test_a_second_factor_reset_and_a_role_change_end_sessions_and_are_in_the_history(
    app: Flask, client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    ngo = factories.organisation(db, OrgKind.NGO)
    admin = factories.user(db, Role.ADMIN)
    worker = factories.user(db, Role.CASEWORKER, county)
    factories.second_factor(db, worker)
    db.commit()
    login(client, admin.username)
    path = f"/admin/users/{worker.id}"
    assert "Reset two-step sign-in" in client.get(path).get_data(as_text=True)
    with caplog.at_level(logging.INFO, logger="tukiverkko.security"):
        assert _post(client, path + "/second-factor/reset", {}, path).headers["Location"] == path
    db.expire_all()
    from app.second_factor.queries import has_second_factor

    assert not has_second_factor(db, worker)
    wrong = _post(
        client,
        path + "/change",
        {"display_name": "Testi", "role": "caseworker", "organisation_id": str(ngo.id)},
        path,
    )
    assert wrong.status_code == 400 and "works for a county" in wrong.get_data(as_text=True)
    with caplog.at_level(logging.INFO, logger="tukiverkko.security"):
        moved = _post(
            client,
            path + "/change",
            {"display_name": "Testi", "role": "partner", "organisation_id": str(ngo.id)},
            path,
        )
    assert moved.headers["Location"] == path
    logged = [
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.name == "tukiverkko.security"
    ]
    by_admin = [(e["event"], e["user_id"]) for e in logged if e.get("by") == str(admin.id)]
    assert by_admin == [
        ("second_factor_reset", str(worker.id)),
        ("account_changed", str(worker.id)),
    ]
    db.expire_all()
    account = db.get(User, worker.id)
    assert account is not None and account.role is Role.PARTNER
    page = client.get(path).get_data(as_text=True)
    assert "Two-step sign-in reset" in page and "Name, role or organisation changed" in page
    assert f"caseworker, {county.name} → partner, {ngo.name}" in page


def test_an_organisation_not_found_and_an_unknown_account_are_404(
    client: FlaskClient, db: Session
) -> None:
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    login(client, admin.username)
    assert client.get(f"/admin/organisations/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/admin/users/{uuid.uuid4()}").status_code == 404


# -- the API ------------------------------------------------------------------------------------


def test_the_api_reads_the_directory_with_authority_county_and_contacts(
    client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    local = directory.create_organisation(
        db,
        current_keyring(),
        _facts(
            "Rajapinnan ry (fictional)",
            OrgKind.NGO,
            county_id=county.id,
            business_id="0246246-0",
            phone="040 123 4567",
        ),
        scope=None,
    )
    worker = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    headers = api_token(client, worker.username)
    one = client.get(f"/api/v1/organisations/{local.id}", headers=headers)
    assert one.status_code == 200
    assert one.json == {
        "id": str(local.id),
        "name": "Rajapinnan ry (fictional)",
        "kind": "ngo",
        "municipality": None,
        "authority": False,
        "county_id": str(county.id),
        "business_id": "0246246-0",
        "phone": "040 123 4567",
        "email": None,
        "address": None,
        "active": True,
    }
    found = client.get("/api/v1/organisations?q=0246246-0&active=true", headers=headers).json
    assert [o["id"] for o in found["items"]] == [str(local.id)]
    assert (
        client.get("/api/v1/organisations?q=0246246-0&active=false", headers=headers).json["total"]
        == 0
    )
    missing = client.get(f"/api/v1/organisations/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


# -- clients' sign-ins --------------------------------------------------------------------------


def test_a_worker_locks_and_unlocks_a_clients_sign_in_from_the_tab(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    made = factories.county_case(db, name="Kuvitteellinen Kaisa")
    account = factories.user(db, Role.CLIENT, client=made.client)
    db.commit()
    own = app.test_client()
    assert login(own, account.username).status_code == 302
    assert own.get("/my/").status_code == 200
    login(client, made.worker.username)
    tab = f"/caseworker/clients/{made.client.id}/portal-access"
    page = client.get(tab).get_data(as_text=True)
    assert "Activated" in page and "Lock the client's sign-in" in page
    assert _post(client, tab + "/lock", {}, tab).headers["Location"] == tab
    assert own.get("/my/").status_code == 302  # the open session ended
    assert login(app.test_client(), account.username).status_code != 302
    locked = client.get(tab).get_data(as_text=True)
    assert "locked" in locked and "Issue an activation code" not in locked
    refused = _post(client, tab + "/codes", {}, tab)
    assert refused.headers["Location"] == tab
    assert "Unlock it first" in client.get(tab).get_data(as_text=True)
    assert _post(client, tab + "/unlock", {}, tab).headers["Location"] == tab
    assert login(app.test_client(), account.username).status_code == 302
    actions = db.scalars(
        select(AccountEvent.action)
        .where(AccountEvent.user_id == account.id)
        .order_by(AccountEvent.at)
    ).all()
    assert actions == [AccountAction.SIGN_IN_LOCKED, AccountAction.SIGN_IN_UNLOCKED]


def test_a_countys_administrator_reaches_only_its_own_clients_sign_ins(
    client: FlaskClient, db: Session
) -> None:
    own = factories.county_case(db, name="Kuvitteellinen Kaisa")
    foreign = factories.county_case(db, name="Kuvitteellinen Kalle", identity_code=None)
    admin = factories.user(db, Role.ADMIN, own.county)
    own_account = factories.user(db, Role.CLIENT, client=own.client)
    foreign_account = factories.user(db, Role.CLIENT, client=foreign.client)
    db.commit()
    login(client, admin.username)
    listing = client.get("/admin/clients").get_data(as_text=True)
    assert own_account.username in listing and foreign_account.username not in listing
    assert "Kaisa" not in listing  # no client data: the username and state only
    assert client.get(f"/admin/users/{foreign_account.id}").status_code == 404
    path = f"/admin/users/{own_account.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Activated" in page and "Kaisa" not in page
    assert _post(client, path + "/lock", {}, path).headers["Location"] == path
    db.expire_all()
    assert not db.get(User, own_account.id).active  # type: ignore[union-attr]
    code_page = _post(client, path + "/unlock", {}, path)
    assert code_page.status_code == 302
    issued = _post(client, path + "/activation-code", {}, path)
    assert issued.status_code == 200 and "The code is shown only now" in issued.get_data(
        as_text=True
    )
    # A staff account has no client sign-in to lock: deactivated instead.
    staff_path = f"/admin/users/{own.worker.id}"
    assert _post(client, staff_path + "/lock", {}, staff_path).status_code == 409


def test_the_client_sees_the_directorys_contact_details_of_an_organisation_in_their_network(
    client: FlaskClient, db: Session
) -> None:
    made = factories.county_case(db)
    housing = factories.partner(db, made.case, OrgKind.PUBLIC_SERVICE)
    housing.organisation.phone = "09 123 4567"
    housing.organisation.email = "asunnot@example.fi"
    account = factories.user(db, Role.CLIENT, client=made.client)
    db.commit()
    login(client, account.username)
    page = client.get("/my/network").get_data(as_text=True)
    members = page.split('id="members"')[1]  # who is in the network, not the picture
    row = members.split(f"{housing.organisation.name}</th>")[1].split("</tr>")[0]
    assert "09 123 4567" in row and 'href="mailto:asunnot@example.fi"' in row


def test_the_home_counts_accounts_by_role_and_organisations_by_kind(
    client: FlaskClient, db: Session
) -> None:
    """The home holds counts and links, whatever the number of organisations; the directory
    lists them a page at a time."""
    admin = factories.user(db, Role.ADMIN)
    before = len(db.scalars(select(Organisation).where(Organisation.kind == OrgKind.NGO)).all())
    for n in range(3):
        factories.organisation(db, OrgKind.NGO, f"Kuvitteellinen yhdistys {n} (fictional)")
    db.commit()
    login(client, admin.username)
    page = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'href="/admin/organisations\?kind=ngo">[^<]*: ' + str(before + 3), page)
    assert "Kuvitteellinen yhdistys 0" not in page  # listed in the directory, not here
    staff = len(db.scalars(select(User).where(User.role == Role.CASEWORKER)).all())
    assert f"<li>Caseworkers: {staff}</li>" in page
    assert "<li>Clients:" not in page  # as many as the clients: not counted
    directory_page = client.get("/admin/organisations?kind=ngo").get_data(as_text=True)
    assert "Kuvitteellinen yhdistys 0 (fictional)" in directory_page
