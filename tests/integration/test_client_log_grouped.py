"""The client's log reads: name-only looks grouped per organisation and day (in SQL),
filters, a printable view, refusals and disclosures without consent marked in words."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from app.client_log import days
from app.client_log.queries import LogFilters, NameLooks, Outcome, grouped_log_page
from app.models import Client, OrgKind, Role
from app.security import new_gate
from consent.base import UTCDateTime
from consent.facts import Actor, Purpose
from consent.sections import SectionKind
from sharing.errors import AccessDenied
from sharing.fields import sealed
from tests import factories
from tests.conftest import login
from tests.integration.test_client_log import PROVISION, log_table, partner_history, rows
from tests.integration.test_portal_consents import (
    COOP,
    World,
    grant,
    make_world,
    text_of,
    today,
)


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def looks_at_name(db: Session, w: World, actor: Actor, purpose: Purpose, times: int) -> None:
    """``actor`` reads the client's name alone, ``times`` times (as a list of clients does)."""
    client_id = w.case.client_id
    for _ in range(times):
        record = db.get(Client, client_id)
        assert record is not None
        new_gate().read_texts(actor, [sealed(record, Client.name_ct)], purpose=purpose)
        db.commit()


def day_text(day: date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"  # the English medium date (app/i18n.py)


def test_name_only_looks_are_one_line_per_organisation_and_day(
    client: FlaskClient, db: Session, world: World
) -> None:
    county = world.worker.organisation.name
    housing, client_id = f"Asuntotoimisto {world.case.id}", world.client.id
    grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    looks_at_name(db, world, world.worker_actor, Purpose.LIST, 14)
    looks_at_name(db, world, world.housing_staff, COOP, 3)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    with pytest.raises(AccessDenied):
        looks_at_name(db, world, factories.actor(stranger), Purpose.LIST, 1)

    login(client, world.user.username)
    page = text_of(client.get("/my/log"))
    lines = rows(log_table(page))
    looked = [line for line in lines if "looked at your name" in line]
    assert len(looked) == 2  # 17 looks, two lines
    on = day_text(today())
    assert f"{county} looked at your name 14 times on {on}" in page
    assert f"{housing} looked at your name 3 times on {on}" in page
    # The refused attempt is a line of its own, marked in words.
    (refused,) = [line for line in lines if "log-refused" in line]
    assert "Refused" in refused and "Tried to look at: Your name" in refused
    # Everything else the world did (writing the plan, the consent) is listed as before.
    assert len(lines) == grouped_log_page(db, client_id).explained.total


def test_grouping_is_done_in_sql_whatever_the_number_of_looks(
    db: Session, world: World, sql_count: list[str]
) -> None:
    looks_at_name(db, world, world.worker_actor, Purpose.LIST, 2)
    sql_count.clear()
    few = grouped_log_page(db, world.client.id)
    statements = len(sql_count)
    looks_at_name(db, world, world.worker_actor, Purpose.LIST, 40)
    sql_count.clear()
    many = grouped_log_page(db, world.client.id)
    assert len(sql_count) == statements
    assert many.explained.total == few.explained.total  # still one line for the day
    (group,) = [r for r in many.rows if isinstance(r, NameLooks)]
    assert group.times == 42
    # The database groups: the looks themselves are never fetched, only the newest of them.
    fetched = [" ".join(s.split()) for s in sql_count if "GROUP BY" not in s]
    assert not any("access_log.scope = " in s and "LIMIT" not in s for s in fetched)


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (datetime(2026, 12, 6, 21, 59, tzinfo=UTC), date(2026, 12, 6)),  # 23:59 in Helsinki
        (datetime(2026, 12, 6, 22, 0, tzinfo=UTC), date(2026, 12, 7)),  # 00:00
        (datetime(2026, 7, 1, 20, 59, tzinfo=UTC), date(2026, 7, 1)),  # summer time, 23:59
        (datetime(2026, 7, 1, 21, 0, tzinfo=UTC), date(2026, 7, 2)),
    ],
)
def test_a_day_is_the_finnish_day_the_page_prints(db: Session, at: datetime, day: date) -> None:
    assert db.scalar(select(days.helsinki_day(literal(at, UTCDateTime())))) == day


def test_filters_by_organisation_part_and_outcome(
    client: FlaskClient, db: Session, world: World
) -> None:
    partner_history(db, world)  # housing reads then is refused; probation reads by law
    looks_at_name(db, world, world.worker_actor, Purpose.LIST, 2)
    housing_id = world.housing.organisation_id
    housing, probation = (
        f"Asuntotoimisto {world.case.id}",
        f"Yhdyskuntaseuraamustoimisto {world.case.id}",
    )
    login(client, world.user.username)

    page = text_of(client.get("/my/log"))
    assert f'<option value="{housing_id}">{housing}</option>' in page  # offered in the filter

    only_housing = log_table(text_of(client.get(f"/my/log?org={housing_id}")))
    assert housing in only_housing and probation not in only_housing
    assert "Social worker" not in only_housing

    refused = rows(log_table(text_of(client.get("/my/log?outcome=refused"))))
    assert refused and all("Refused" in line for line in refused)
    assert all("log-refused" in line for line in refused)

    by_law = rows(log_table(text_of(client.get("/my/log?outcome=statutory"))))
    assert by_law and all("Without your consent" in line for line in by_law)
    assert all(probation in line and PROVISION in line for line in by_law)

    housing_part = rows(log_table(text_of(client.get("/my/log?part=section:housing"))))
    assert housing_part and all("Housing" in line for line in housing_part)
    names = text_of(client.get("/my/log?part=name"))
    assert "looked at your name 2 times" in names and "Housing" not in log_table(names)

    for bad in ("org=nonsense", "outcome=everything", "part=section:nonsense", "part=secret"):
        assert client.get(f"/my/log?{bad}").status_code == 400, bad


def test_the_printable_view_has_no_links_forms_or_scripts_and_says_what_it_covers(
    client: FlaskClient, db: Session, world: World
) -> None:
    partner_history(db, world)
    login(client, world.user.username)
    screen = text_of(client.get("/my/log?outcome=refused"))
    assert "/my/log?print=1&amp;outcome=refused" in screen or "print=1" in screen
    printed = text_of(client.get("/my/log?print=1&outcome=refused"))
    table = log_table(printed)
    assert "I don&#39;t recognise this" not in table and "<a " not in table
    assert "<script" not in printed
    assert "<form" not in printed.split('class="portal-log log-printable"')[1]
    assert "What happened: Refused attempts" in printed
    assert "Refused" in table and "Information given without your consent" in printed


def test_statutory_and_refused_lines_stand_out_in_words(
    client: FlaskClient, db: Session, world: World
) -> None:
    partner_history(db, world)
    login(client, world.user.username)
    lines = rows(log_table(text_of(client.get("/my/log"))))
    statutory = [line for line in lines if "log-statutory" in line]
    refused = [line for line in lines if "log-refused" in line]
    assert statutory and all("Without your consent</strong>" in line for line in statutory)
    assert refused and all("Refused</strong>" in line for line in refused)
    plain = [line for line in lines if line not in statutory + refused]
    assert plain and not any("log-flag" in line for line in plain)


def test_another_clients_looks_are_not_in_the_log(db: Session, world: World) -> None:
    other = make_world(db, name="Kuvitteellinen Toinen")
    looks_at_name(db, other, other.worker_actor, Purpose.LIST, 3)
    looks_at_name(db, world, world.worker_actor, Purpose.LIST, 1)
    page = grouped_log_page(db, world.client.id, filters=LogFilters(outcome=Outcome.ALLOWED))
    (group,) = [r for r in page.rows if isinstance(r, NameLooks)]
    assert group.times == 1 and group.last.client_id == world.client.id
    assert all(e.client_id == world.client.id for e in page.explained.entries)
