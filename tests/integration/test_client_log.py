"""The client's "who has looked at my information" page and "I don't recognise this"."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import record_statutory_disclosure, revoke_consent
from app.dashboard import queries as dashboard
from app.models import OrgKind, Role, User
from app.models.case import Client
from app.models.log_query import LogQuery, LogQueryStatus
from app.security import new_gate
from consent.facts import Actor, ActorRole, Purpose
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from sharing.fields import sealed
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.test_portal_consents import (
    World,
    grant,
    make_world,
    reads,
    text_of,
    today,
    write_section,
)

PROVISION = "Laki toimeentulotuesta (1412/1997) (fictional test reference)"
TIME = re.compile(r"\d{1,2}[:.]\d{2}")


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def log_table(page: str) -> str:
    return page[page.index("<table") : page.index("</table>")]


def rows(table: str) -> list[str]:
    return table.split("<tr")[2:]  # after the header row


def partner_history(db: Session, w: World) -> tuple[Actor, Actor]:
    """A partner reads on consent, then is refused after the consent is withdrawn; an
    authority reads on a statutory basis. Returns (housing staff, probation staff)."""
    consent = grant(db, w, w.housing, SectionKind.HOUSING)
    db.commit()
    assert reads(w.housing_staff, w, SectionKind.HOUSING)
    probation = factories.partner(
        db,
        w.case,
        OrgKind.PROBATION,
        name=f"Yhdyskuntaseuraamustoimisto {w.case.id}",
        starts_on=today() - timedelta(days=10),
    )
    w.versions[SectionKind.LIVELIHOOD] = write_section(
        db, w.worker_actor, w.case, SectionKind.LIVELIHOOD, "Perustoimeentulotuki (fictional)"
    )
    record_statutory_disclosure(
        db,
        new_gate(),
        w.worker_actor,
        case=w.case,
        member_id=probation.member.id,
        sections=frozenset({SectionKind.LIVELIHOOD}),
        provision=PROVISION,
        justification="Toimeentulon turvaaminen (fictional)",
        valid_from=today(),
        valid_until=today() + timedelta(days=7),
    )
    db.commit()
    assert reads(probation.actor, w, SectionKind.LIVELIHOOD)
    revoke_consent(db, new_gate(), w.worker_actor, consent, receipt=None)
    db.commit()
    with pytest.raises(AccessDenied):
        reads(w.housing_staff, w, SectionKind.HOUSING)
    return w.housing_staff, probation.actor


def test_the_log_shows_reads_refusals_and_statutory_disclosures_by_organisation_and_date(
    client: FlaskClient, db: Session, world: World
) -> None:
    housing_staff, _ = partner_history(db, world)
    staff_name = db.get(User, housing_staff.user_id).display_name
    case_id = world.case.id
    login(client, world.user.username)
    page = text_of(client.get("/my/log"))
    table = log_table(page)
    assert f"Asuntotoimisto {case_id}" in table and "Staff member" in table
    assert "Looked at: Housing" in table and "Your consent" in table
    assert "Tried to look at: Housing" in table
    assert "Refused: you had withdrawn your consent" in table
    assert f"Yhdyskuntaseuraamustoimisto {case_id}" in table
    assert f"A disclosure allowed or required by law ({PROVISION})" in table
    assert "Social worker" in table  # the worker wrote the plan and the disclosure
    # By default: organisation and role, the date only.
    assert staff_name not in page
    assert not TIME.search(table)
    assert "Staff are shown by organisation and role, not by name." in page
    # The disclosure itself, with its justification.
    assert "Information given without your consent" in page
    assert "Toimeentulon turvaaminen (fictional)" in page


def test_staff_names_and_exact_times_when_the_settings_say_so(
    app: Flask, client: FlaskClient, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    housing_staff, _ = partner_history(db, world)
    staff_name = db.get(User, housing_staff.user_id).display_name
    settings = app.extensions["tukiverkko.settings"]
    monkeypatch.setitem(
        app.extensions,
        "tukiverkko.settings",
        replace(settings, log_show_staff_names=True, log_show_exact_times=True),
    )
    login(client, world.user.username)
    table = log_table(text_of(client.get("/my/log")))
    assert f"Staff member: {staff_name}" in table
    assert TIME.search(table)


def test_own_use_is_left_out_unless_asked_for_but_staff_assisted_use_is_shown(
    client: FlaskClient, db: Session, world: World
) -> None:
    case_id = world.case.id
    prison = factories.organisation(db, OrgKind.PRISON, name=f"Vankila {case_id}")
    officer = factories.user(db, Role.PARTNER, prison)
    assisted = Actor(
        ActorRole.CLIENT, user_id=world.user.id, client_id=world.client.id, assisted_by=officer.id
    )
    new_gate().read_texts(
        assisted, [sealed(world.client, Client.name_ct)], purpose=Purpose.OWN_DATA
    )
    db.commit()
    login(client, world.user.username)
    client.get("/my/")  # the client's own read of their name, alone
    table = log_table(text_of(client.get("/my/log")))
    assert f"Staff helped at the terminal: Vankila {case_id}" in table
    own = [row for row in rows(table) if 'class="log-role">You' in row]
    assert len(own) == 1 and "Staff helped at the terminal" in own[0]  # the assisted read only
    mine = log_table(text_of(client.get("/my/log?mine=1")))
    assert len([row for row in rows(mine) if 'class="log-role">You' in row]) > 1


def test_i_dont_recognise_this_opens_a_query_for_the_responsible_worker(
    client: FlaskClient, db: Session, world: World
) -> None:
    partner_history(db, world)
    entry = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.actor_role == "partner",
            AccessLogEntry.allowed.is_(True),
            AccessLogEntry.scope == "section:housing",
        )
    ).first()
    assert entry is not None
    entry_id, case_id, client_id = entry.id, world.case.id, world.client.id
    worker_id, worker_name, user_id = world.worker.id, world.worker.display_name, world.user.id
    login(client, world.user.username)
    path = f"/my/log/{entry_id}/query"
    assert path in text_of(client.get("/my/log"))
    confirm = text_of(client.get(path))
    assert "I don't recognise this" in confirm and f"Asuntotoimisto {case_id}" in confirm

    note = "En tunne tätä asuntotoimistoa (fictional)"
    long = client.post(path, data={"csrf_token": csrf_token(client, path), "note": "x" * 2001})
    assert long.status_code == 400 and "Write at most 2000 characters." in text_of(long)
    assert db.scalars(select(LogQuery)).all() == []

    sent = client.post(path, data={"csrf_token": csrf_token(client, path), "note": note})
    assert sent.status_code == 302
    query = db.scalars(select(LogQuery)).one()
    assert (query.entry_id, query.status, query.created_by_id) == (
        entry_id,
        LogQueryStatus.OPEN,
        user_id,
    )
    assert query.note_ct and note.encode() not in query.note_ct
    assert sent.headers["Location"].endswith(f"/my/log/queries/{query.id}")
    done = text_of(client.get(sent.headers["Location"]))
    assert "Your question has been sent." in done
    assert re.fullmatch(r"LQ-[2-9A-HJKMNPQRTV-Y]{4}", query.reference)
    assert query.reference in done and note in done
    assert worker_name in done

    waiting = dashboard.log_queries(db, worker_id, world.worker.organisation_id).rows
    assert [(r.query.id, r.entry.id, r.client.id) for r in waiting] == [
        (query.id, entry_id, client_id)
    ]
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db))
    assert dashboard.log_queries(db, stranger.id, stranger.organisation_id).rows == []

    # Asking again about the same entry leads to the same query, and the log says so.
    assert client.get(path).headers["Location"].endswith(f"/my/log/queries/{query.id}")
    assert "You asked about this" in text_of(client.get("/my/log"))


def test_a_client_never_sees_another_clients_log(
    client: FlaskClient, db: Session, world: World
) -> None:
    partner_history(db, world)
    other = make_world(db, name="Toinen Kuvitteellinen")
    db.commit()
    entry = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.client_id == world.client.id)
    ).first()
    assert entry is not None
    case_id, other_user = world.case.id, other.user.username
    login(client, world.user.username)
    path = f"/my/log/{entry.id}/query"
    token = csrf_token(client, path)
    client.post(path, data={"csrf_token": token, "note": ""})
    query_id = db.scalars(select(LogQuery)).one().id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my/")})

    login(client, other_user)
    page = text_of(client.get("/my/log"))
    assert f"Asuntotoimisto {case_id}" not in page
    assert f"Yhdyskuntaseuraamustoimisto {case_id}" not in page
    assert client.get(path).status_code == 404
    assert client.get(f"/my/log/queries/{query_id}").status_code == 404
    assert client.get(f"/my/log/{uuid.uuid4()}/query").status_code == 404
    refused = client.post(path, data={"csrf_token": csrf_token(client, "/my/log"), "note": "x"})
    assert refused.status_code == 404
    assert len(db.scalars(select(LogQuery)).all()) == 1


def test_the_log_page_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    grant(db, world, world.housing, SectionKind.HOUSING)
    grant(db, world, world.person, SectionKind.HOUSING)
    db.commit()
    person = Actor(ActorRole.PERSON, member_id=world.person.id)
    login(client, world.user.username)

    def partner_reads(times: int) -> None:
        for _ in range(times):
            reads(world.housing_staff, world, SectionKind.HOUSING)
            reads(person, world, SectionKind.HOUSING)
            db.commit()

    partner_reads(1)
    sql_count.clear()
    assert client.get("/my/log").status_code == 200
    few = len(sql_count)
    partner_reads(15)
    sql_count.clear()
    page = text_of(client.get("/my/log"))
    assert len(sql_count) == few
    assert "Läheinen Kuvitteellinen" in page and "Close person" in page  # a person grantee
    assert "Page 1 of 2" in page
    assert "Page 2 of 2" in text_of(client.get("/my/log?page=2"))
    assert client.get("/my/log?page=nonsense").status_code == 200
