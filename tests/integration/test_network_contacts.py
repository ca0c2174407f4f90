"""The directory's contact details where the network and the client see them: the worker's
network page and the client's "My network" show each member organisation's public contact
(phone, e-mail, address from the directory), never its staff's own details; a close person
shows nothing from the directory. Loaded with the members: the pages' statement counts do not
grow with the number of organisations."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import MemberKind, OrgKind, Role
from app.network import commands as network
from app.security import new_gate
from tests import factories
from tests.conftest import Statements, login

PHONE, EMAIL, ADDRESS = "029 000 1111", "asunnot@example.fi", "Kuvitteellinen katu 1, 00100"


def test_both_network_pages_show_each_organisations_directory_contact(
    app: Flask, client: FlaskClient, db: Session, sql_count: Statements
) -> None:
    made = factories.county_case(db, name="Kuvitteellinen Kaisa")
    housing = factories.partner(db, made.case, name="Kuvitteellinen asuntotoimisto")
    housing.organisation.phone, housing.organisation.email = PHONE, EMAIL
    housing.organisation.address = ADDRESS
    housing.staff.work_contact = "050 999 9999 (staff, fictional)"  # never on these pages
    bare = factories.partner(db, made.case, OrgKind.NGO, name="Yhteystiedoton ry (fictional)")
    network.add_person_member(
        db,
        new_gate(),
        made.actor,
        case=made.case,
        kind=MemberKind.CLOSE_PERSON,
        name="Läheinen Kuvitteellinen",
        contact="040 222 3333 (sister, fictional)",
        role="Sisar",
        starts_on=helsinki_today(),
        ends_on=None,
    )
    own = factories.user(db, Role.CLIENT, client=made.client)
    db.commit()

    login(client, made.worker.username)
    path = f"/caseworker/clients/{made.client.id}/network"
    sql_count.clear()
    html = client.get(path).get_data(as_text=True)
    worker_statements = len(sql_count)
    row = html.split("Kuvitteellinen asuntotoimisto</a>")[1].split("</tr>")[0]
    assert PHONE in row and f'href="mailto:{EMAIL}"' in row and ADDRESS in row
    assert (
        "None in the directory" in html.split(f"{bare.organisation.name}</a>")[1].split("</tr>")[0]
    )
    person = html.split("Läheinen Kuvitteellinen</a>")[1].split("</tr>")[0]
    assert "040 222 3333 (sister, fictional)" in person and PHONE not in person
    assert "050 999 9999" not in html
    member = client.get(f"{path}/members/{housing.member.id}").get_data(as_text=True)
    assert "Contact details (directory)" in member and PHONE in member

    mine = app.test_client()
    login(mine, own.username)
    sql_count.clear()
    page = mine.get("/my/network").get_data(as_text=True)
    client_statements = len(sql_count)
    page = page.split('id="members"')[1].split('id="flows"')[0]  # who is in the network
    row = page.split("Kuvitteellinen asuntotoimisto</th>")[1].split("</tr>")[0]
    assert PHONE in row and EMAIL in row and ADDRESS in row
    bare_row = page.split(f"{bare.organisation.name}</th>")[1].split("</tr>")[0]
    assert "Kysy heidän yhteystietojaan" in bare_row  # the client sees the page in Finnish
    assert "050 999 9999" not in page

    # Three more organisations with contacts: not one statement more on either page.
    for n in range(3):
        more = factories.partner(db, made.case, name=f"Lisäpalvelu {n} (fictional)")
        more.organisation.phone = f"029 000 000{n}"
    db.commit()
    sql_count.clear()
    assert "029 000 0002" in client.get(path).get_data(as_text=True)
    assert len(sql_count) == worker_statements
    sql_count.clear()
    assert "029 000 0002" in mine.get("/my/network").get_data(as_text=True)
    assert len(sql_count) == client_statements
