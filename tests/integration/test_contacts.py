"""Contacts with the client: recorded with channel and staff assistance, listed newest first."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.contacts import commands as contact_service
from app.contacts.queries import PAGE_SIZE
from app.models import OrgKind, Role
from app.models.contact import Contact, ContactChannel
from consent.facts import SYSTEM_ACTOR, Purpose
from consent.status import HELSINKI
from sharing.fields import field_ref
from tests import factories
from tests.conftest import csrf_token, login

NAME = "Kuvitteellinen Kaisa"


def path(record) -> str:  # type: ignore[no-untyped-def]
    return f"/caseworker/clients/{record.id}/contacts"


def submit(client, record, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        path(record), data={"csrf_token": csrf_token(client, "/caseworker/"), **data}
    )


def rows(page: str) -> list[str]:
    """The contact table's body rows as plain text."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body, "no contact table"
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def days(page: str) -> list[int]:
    """The January 2025 days of the listed contacts, in the order shown."""
    return [int(day) for day in re.findall(r'<time datetime="2025-01-(\d\d)T', page)]


def test_a_contact_is_recorded_attributed_and_listed(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db, name=NAME)
    db.commit()
    login(client, worker.username)
    page = client.get(path(record)).get_data(as_text=True)
    assert "No contacts recorded yet." in page
    assert "<legend>Channel</legend>" in page  # the radio group has its fieldset and legend

    note = "Puhelu vankilan ohjaajan avustamana (fictional)"
    sent = submit(
        client,
        record,
        occurred_on="2025-03-04",
        occurred_time="14:30",
        channel="phone",
        staff_assisted="y",
        note=note,
    )
    assert sent.status_code == 302
    stored = db.scalars(select(Contact)).one()
    assert stored.channel is ContactChannel.PHONE and stored.staff_assisted
    assert stored.recorded_by_id == worker.id
    assert stored.occurred_at == datetime(2025, 3, 4, 12, 30, tzinfo=UTC)  # 14:30 in Helsinki
    assert stored.note_ct is not None and note.encode() not in stored.note_ct

    listed = rows(client.get(path(record)).get_data(as_text=True))
    assert len(listed) == 1
    assert "Phone" in listed[0] and "Yes" in listed[0]
    assert note in listed[0] and worker.display_name in listed[0]


def test_invalid_input_is_refused_with_clear_messages_and_kept(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db, name=NAME)
    db.commit()
    login(client, worker.username)

    no_channel = submit(
        client, record, occurred_on="2025-03-04", occurred_time="09:15", note="Kirje (fictional)"
    )
    page = no_channel.get_data(as_text=True)
    assert no_channel.status_code == 400
    assert "Choose how the contact was made." in page
    assert "Kirje (fictional)" in page and 'value="2025-03-04"' in page and "09:15" in page

    tomorrow = (datetime.now(HELSINKI) + timedelta(days=1)).date().isoformat()
    for data, message in [
        ({"occurred_on": tomorrow, "occurred_time": "10:00"}, "the time is in the future"),
        ({"occurred_on": "2025-02-30", "occurred_time": "10:00"}, "Not a valid date value."),
        ({"occurred_on": "2025-02-03", "occurred_time": "25:00"}, "Not a valid time value."),
        ({"occurred_on": "", "occurred_time": "10:00"}, "Give the date of the contact."),
        ({"occurred_on": "2025-02-03", "occurred_time": "10:00", "channel": "fax"}, "Choose how"),
        (
            {"occurred_on": "2025-02-03", "occurred_time": "10:00", "note": "x" * 1001},
            "at most 1,000 characters",
        ),
    ]:
        refused = submit(client, record, **{"channel": "letter", **data})
        assert refused.status_code == 400, data
        assert message in refused.get_data(as_text=True), data
    assert db.scalars(select(Contact)).all() == []


def test_contacts_are_listed_newest_first_a_page_at_a_time(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, name=NAME)
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    channels = list(ContactChannel)
    for n in range(PAGE_SIZE + 5):
        contact_service.record_contact(
            db,
            factories.system_gate(db),
            SYSTEM_ACTOR,
            case,
            occurred_at=start + timedelta(days=n),
            channel=channels[n % len(channels)],
            staff_assisted=n % 2 == 0,
            by_id=worker.id,
        )
    db.commit()
    login(client, worker.username)

    first = client.get(path(record)).get_data(as_text=True)
    listed = rows(first)
    assert len(listed) == PAGE_SIZE
    assert "25 contacts" in first and "Page 1 of 2" in first
    assert days(first) == list(range(25, 5, -1))  # newest first

    second = client.get(path(record) + "?page=2").get_data(as_text=True)
    assert len(rows(second)) == 5 and days(second) == [5, 4, 3, 2, 1]
    assert days(client.get(path(record) + "?page=99").get_data(as_text=True)) == days(second)
    assert client.get(path(record) + "?page=x").status_code == 200


def test_contact_list_runs_a_fixed_number_of_queries(client, db, sql_count) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, name=NAME)
    other = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))

    def add(n: int) -> None:
        for i in range(n):
            contact = contact_service.record_contact(
                db,
                factories.system_gate(db),
                SYSTEM_ACTOR,
                case,
                occurred_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=i),
                channel=ContactChannel.VIDEO,
                staff_assisted=False,
                by_id=worker.id if i % 2 else other.id,
            )
            contact.note_ct = factories.system_gate(db).write_text(
                SYSTEM_ACTOR,
                field_ref(contact, Contact.note_ct),
                f"Muistio {i}",
                purpose=Purpose.ADMINISTRATION,
            )

    def queries() -> int:
        sql_count.clear()
        page = client.get(path(record)).get_data(as_text=True)
        assert "Muistio" in page
        return len(sql_count)

    add(1)
    db.commit()
    login(client, worker.username)
    with_one = queries()
    add(40)
    db.commit()
    assert queries() == with_one


def test_only_workers_with_a_relationship_use_the_page(client, db) -> None:  # type: ignore[no-untyped-def]
    county, _, record, _ = factories.county_case(db, name=NAME)
    colleague = factories.user(db, Role.CASEWORKER, county)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    valid = {"occurred_on": "2025-03-04", "occurred_time": "10:00", "channel": "video"}

    login(client, stranger.username)
    assert client.get(path(record)).status_code == 404
    assert submit(client, record, **valid).status_code == 404

    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login(client, colleague.username)
    refused = client.get(path(record))
    assert refused.status_code == 403 and "Reason needed" in refused.get_data(as_text=True)
    assert submit(client, record, **valid).status_code == 403
    assert db.scalars(select(Contact)).all() == []
