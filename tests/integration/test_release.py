"""The release-day checklist: generated from the dates, idempotent, tailorable, attributed."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    NetworkMember,
    Organisation,
    OrgKind,
    Role,
    User,
)
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.plan.content import SectionContent
from app.release import commands as release_checklist
from app.release import holidays, rules
from app.security import new_gate
from consent.base import utcnow
from consent.facts import SYSTEM_ACTOR, Purpose
from consent.sections import SectionKind
from sharing.fields import field_ref
from tests import factories
from tests.conftest import csrf_token, login

TODAY = helsinki_today()
NAME = "Kuvitteellinen Ville"
SISTER = "Kuvitteellinen Sisko"
SECTION = SectionContent(goals="Tavoite (fictional)")


@dataclass
class Setting:
    county: Organisation
    worker: User
    record: Client
    case: Case
    probation: NetworkMember
    close_person: NetworkMember
    url: str = ""

    def __post_init__(self) -> None:
        self.url = f"/caseworker/clients/{self.record.id}/release"

    def item_url(self, item: ChecklistItem, action: str = "") -> str:
        return f"{self.url}/items/{item.id}{action}"


@pytest.fixture
def setting(db: Session) -> Setting:
    county, worker, record, case = factories.county_case(db, name=NAME, release_in_days=120)
    office = factories.organisation(
        db, OrgKind.PROBATION, "Yhdyskuntaseuraamustoimisto (fictional)"
    )
    probation = factories.member(db, case, office)
    close = factories.member(db, case, person_name=SISTER)
    db.commit()
    return Setting(county, worker, record, case, probation, close)


def post(client: FlaskClient, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/caseworker/"), **data})


def items(db: Session, case: Case) -> list[ChecklistItem]:
    db.expire_all()
    return list(db.scalars(select(ChecklistItem).where(ChecklistItem.case_id == case.id)))


def by_task(rows: list[ChecklistItem]) -> dict[ReleaseTask | None, ChecklistItem]:
    return {i.task: i for i in rows}


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_generated_from_the_dates_and_generating_again_adds_nothing(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    login(client, setting.worker.username)
    page = client.get(setting.url).get_data(as_text=True)
    assert "No checklist yet." in page and "Create the checklist from the dates" in page

    assert post(client, f"{setting.url}/generate").status_code == 302
    rows = items(db, setting.case)
    release = setting.case.conditional_release
    expected = {p.task: p.due_on for p in rules.planned_tasks(release, None)}
    assert {i.task: i.due_on for i in rows} == expected
    assert len(rows) == 9  # no probationary liberty recorded: no planning task
    assert all(i.responsible_user_id == setting.worker.id for i in rows)
    assert all(i.added_by_id == setting.worker.id and i.state is ItemState.OPEN for i in rows)
    page = text(client.get(setting.url).get_data(as_text=True))
    assert "Housing application" in page and "First meeting after release" in page
    assert "Update from the dates" in page

    assert post(client, f"{setting.url}/generate").status_code == 302
    assert len(items(db, setting.case)) == 9  # nothing duplicated
    done = client.get(setting.url).get_data(as_text=True)
    assert "The checklist already has every task the dates call for." in done


def test_missing_dates_give_a_checklist_without_due_dates_that_fills_in_later(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    setting.case.conditional_release = None
    db.commit()
    login(client, setting.worker.username)
    page = client.get(setting.url).get_data(as_text=True)
    assert "Record the expected conditional release on the overview" in page
    post(client, f"{setting.url}/generate")
    rows = items(db, setting.case)
    assert len(rows) == 9 and all(i.due_on is None for i in rows)

    release = TODAY + timedelta(days=200)
    db.get(Case, setting.case.id).conditional_release = release  # re-read: requests close
    db.commit()
    post(client, f"{setting.url}/generate")
    rows = by_task(items(db, setting.case))
    assert len(rows) == 9
    assert rows[ReleaseTask.FIRST_MEETING].due_on == holidays.working_day_on_or_after(release)
    assert rows[ReleaseTask.HOUSING_APPLICATION].due_on is not None


def test_generating_again_keeps_done_removed_and_hand_set_items(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    login(client, setting.worker.username)
    post(client, f"{setting.url}/generate")
    rows = by_task(items(db, setting.case))
    housing, kela = rows[ReleaseTask.HOUSING_APPLICATION], rows[ReleaseTask.KELA_SOCIAL_ASSISTANCE]
    debt, health = rows[ReleaseTask.DEBT_ADVICE], rows[ReleaseTask.HEALTH_CARE]
    assert post(client, setting.item_url(housing, "/done")).status_code == 302
    assert post(client, setting.item_url(debt, "/remove")).status_code == 302
    hand_set = TODAY + timedelta(days=5)
    edited = post(
        client,
        setting.item_url(kela),
        **{"item-due_on": hand_set.isoformat(), "item-responsible": f"user:{setting.worker.id}"},
    )
    assert edited.status_code == 302
    housing_due = housing.due_on

    # The release moves a month later; the checklist is generated again.
    db.get(Case, setting.case.id).conditional_release += timedelta(days=30)
    db.commit()
    post(client, f"{setting.url}/generate")
    rows = by_task(items(db, setting.case))
    assert len(rows) == 9
    assert rows[ReleaseTask.HOUSING_APPLICATION].state is ItemState.DONE
    assert rows[ReleaseTask.HOUSING_APPLICATION].due_on == housing_due  # done: left alone
    assert rows[ReleaseTask.DEBT_ADVICE].removed_at is not None  # removed: not brought back
    assert rows[ReleaseTask.KELA_SOCIAL_ASSISTANCE].due_on == hand_set  # set by hand: kept
    assert rows[ReleaseTask.HEALTH_CARE].due_on == health.due_on + timedelta(days=30)  # moved


def test_probationary_liberty_adds_planning_for_the_probation_office(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    release = setting.case.conditional_release
    setting.case.probation_start = release - timedelta(days=90)
    db.commit()
    login(client, setting.worker.username)
    post(client, f"{setting.url}/generate")
    rows = by_task(items(db, setting.case))
    planning = rows[ReleaseTask.PROBATION_PLANNING]
    assert planning.responsible_member_id == setting.probation.id
    assert planning.responsible_user_id is None
    assert planning.opens_on == rules.probation_planning_opens(release)
    # The client leaves prison when probationary liberty starts: the meeting follows it.
    assert rows[ReleaseTask.FIRST_MEETING].due_on == holidays.working_day_on_or_after(
        setting.case.probation_start
    )
    page = text(client.get(setting.url).get_data(as_text=True))
    assert "Plan for supervised probationary liberty" in page
    assert "Yhdyskuntaseuraamustoimisto (fictional)" in page


def test_the_plan_names_who_sees_to_each_area(db: Session, setting: Setting) -> None:
    housing_office = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Asuntotoimi (fictional)")
    housing = factories.member(db, setting.case, housing_office)
    gone = factories.member(db, setting.case, person_name=SISTER, ended_at=utcnow())
    actor = factories.actor(setting.worker)
    factories.plan_section(
        db, actor, setting.case, SectionKind.HOUSING, SECTION, responsible=(housing,)
    )
    # Ended since, so not given new tasks: the worker's pages would not name them now.
    factories.plan_section(
        db, actor, setting.case, SectionKind.HEALTH, SECTION, responsible=(gone,), direct=True
    )
    release_checklist.generate(db, setting.case, setting.worker.id, utcnow())
    rows = by_task(items(db, setting.case))
    assert rows[ReleaseTask.HOUSING_APPLICATION].responsible_member_id == housing.id
    assert rows[ReleaseTask.HEALTH_CARE].responsible_user_id == setting.worker.id
    assert rows[ReleaseTask.KELA_SOCIAL_ASSISTANCE].responsible_user_id == setting.worker.id


def test_a_custom_item_is_encrypted_and_shown(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    login(client, setting.worker.username)
    page = client.get(setting.url).get_data(as_text=True)
    assert "Kuvitteellinen Sisko (Close person)" in page  # a person member, decrypted
    title, note = "Hae päivätoimintapaikka (fictional)", "Yhteys ohjaajaan (fictional)"
    due = TODAY + timedelta(days=10)
    added = post(
        client,
        f"{setting.url}/items",
        **{
            "item-title": title,
            "item-due_on": due.isoformat(),
            "item-responsible": f"member:{setting.close_person.id}",
            "item-note": note,
        },
    )
    assert added.status_code == 302
    (item,) = items(db, setting.case)
    assert item.task is None and item.due_on == due and item.due_set_by_hand
    assert item.responsible_member_id == setting.close_person.id
    assert item.added_by_id == setting.worker.id and item.added_at is not None
    assert item.title_ct and title.encode() not in item.title_ct
    assert item.note_ct and note.encode() not in item.note_ct
    page = text(client.get(setting.url).get_data(as_text=True))
    assert title in page and note in page and "own item" in page


def test_invalid_input_keeps_what_was_typed(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    _, other_case = factories.client(db, setting.county, worker=setting.worker)
    stranger = factories.member(db, other_case, person_name=SISTER)
    db.commit()
    login(client, setting.worker.username)
    empty = post(
        client, f"{setting.url}/items", **{"item-title": "  ", "item-note": "Muistiinpano (f)"}
    )
    assert empty.status_code == 400
    body = empty.get_data(as_text=True)
    assert "Write what needs to be done." in body and "Muistiinpano (f)" in body
    bad_date = post(
        client, f"{setting.url}/items", **{"item-title": "Tehtävä (f)", "item-due_on": "31.2."}
    )
    assert bad_date.status_code == 400 and "Tehtävä (f)" in bad_date.get_data(as_text=True)
    foreign = post(
        client,
        f"{setting.url}/items",
        **{"item-title": "Tehtävä (f)", "item-responsible": f"member:{stranger.id}"},
    )
    assert foreign.status_code == 400
    assert "Choose one of the people or members listed." in foreign.get_data(as_text=True)
    assert items(db, setting.case) == []


def test_done_not_needed_and_reopen_are_attributed(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    login(client, setting.worker.username)
    post(client, f"{setting.url}/generate")
    rows = by_task(items(db, setting.case))
    id_card, bank = rows[ReleaseTask.IDENTITY_CARD], rows[ReleaseTask.BANK_ACCOUNT]

    assert post(client, setting.item_url(id_card, "/done")).status_code == 302
    id_card = by_task(items(db, setting.case))[ReleaseTask.IDENTITY_CARD]
    assert id_card.state is ItemState.DONE
    assert id_card.state_changed_by_id == setting.worker.id and id_card.state_changed_at
    twice = post(client, setting.item_url(id_card, "/done"))
    assert twice.status_code == 400  # sent twice: a clear message, not a 500
    assert "The item has changed in the meantime" in twice.get_data(as_text=True)

    no_reason = post(client, setting.item_url(bank, "/not-needed"), **{"skip-reason": " "})
    assert no_reason.status_code == 400
    assert "Say briefly why the client does not need this." in no_reason.get_data(as_text=True)
    reason = "Asiakkaalla on jo pankkitili (fictional)"
    assert (
        post(client, setting.item_url(bank, "/not-needed"), **{"skip-reason": reason}).status_code
        == 302
    )
    bank = by_task(items(db, setting.case))[ReleaseTask.BANK_ACCOUNT]
    assert bank.state is ItemState.NOT_NEEDED and bank.state_changed_by_id == setting.worker.id
    assert bank.not_needed_reason_ct and reason.encode() not in bank.not_needed_reason_ct
    assert reason in client.get(setting.url).get_data(as_text=True)

    assert post(client, setting.item_url(bank, "/reopen")).status_code == 302
    bank = by_task(items(db, setting.case))[ReleaseTask.BANK_ACCOUNT]
    assert bank.state is ItemState.OPEN and bank.not_needed_reason_ct is None
    assert bank.updated_by_id == setting.worker.id and bank.updated_at is not None


def test_editing_changes_due_date_and_responsible(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    login(client, setting.worker.username)
    post(client, f"{setting.url}/generate")
    work = by_task(items(db, setting.case))[ReleaseTask.WORK_OR_STUDY]
    form = client.get(setting.item_url(work)).get_data(as_text=True)
    assert 'name="item-title"' not in form  # a generated item's title is its code
    due = TODAY + timedelta(days=3)
    saved = post(
        client,
        setting.item_url(work),
        **{
            "item-due_on": due.isoformat(),
            "item-responsible": f"member:{setting.probation.id}",
            "item-note": "TE-palvelut (fictional)",
        },
    )
    assert saved.status_code == 302
    work = by_task(items(db, setting.case))[ReleaseTask.WORK_OR_STUDY]
    assert work.due_on == due and work.due_set_by_hand
    assert (work.responsible_member_id, work.responsible_user_id) == (setting.probation.id, None)
    assert work.updated_by_id == setting.worker.id
    assert "TE-palvelut (fictional)" in client.get(setting.item_url(work)).get_data(as_text=True)


def test_removed_items_can_be_put_back(client: FlaskClient, db: Session, setting: Setting) -> None:
    login(client, setting.worker.username)
    post(client, f"{setting.url}/generate")
    debt = by_task(items(db, setting.case))[ReleaseTask.DEBT_ADVICE]
    post(client, setting.item_url(debt, "/remove"))
    debt = by_task(items(db, setting.case))[ReleaseTask.DEBT_ADVICE]
    assert debt.removed_by_id == setting.worker.id
    page = text(client.get(setting.url).get_data(as_text=True))
    assert "Removed items" in page
    assert post(client, setting.item_url(debt, "/restore")).status_code == 302
    assert by_task(items(db, setting.case))[ReleaseTask.DEBT_ADVICE].removed_at is None


def test_a_closed_case_cannot_change(client: FlaskClient, db: Session, setting: Setting) -> None:
    login(client, setting.worker.username)
    post(client, f"{setting.url}/generate")
    db.get(Case, setting.case.id).closed_at = utcnow()
    db.commit()
    page = client.get(setting.url).get_data(as_text=True)
    assert "Update from the dates" not in page and "Mark done" not in page  # read only
    assert post(client, f"{setting.url}/generate").status_code == 409
    item = items(db, setting.case)[0]
    assert post(client, setting.item_url(item, "/done")).status_code == 409


def test_access_follows_the_client_record(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    colleague = factories.user(db, Role.CASEWORKER, setting.county).username
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    release_checklist.generate(db, setting.case, setting.worker.id, utcnow())
    item = items(db, setting.case)[0]
    other_record, _ = factories.client(db, setting.county, worker=setting.worker)
    item_url = setting.item_url(item)
    elsewhere = f"/caseworker/clients/{other_record.id}/release/items/{item.id}"
    worker, stranger_name = setting.worker.username, stranger.username
    db.commit()
    login(client, stranger_name)
    assert client.get(setting.url).status_code == 404
    assert client.get(item_url).status_code == 404
    post(client, "/logout")
    login(client, colleague)
    assert client.get(setting.url).status_code == 403  # the page for recording a work task
    post(client, "/logout")
    login(client, worker)
    assert client.get(item_url).status_code == 200
    assert client.get(elsewhere).status_code == 404  # an item of another client's case


def test_the_checklist_page_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, setting: Setting, sql_count: list[str]
) -> None:
    login(client, setting.worker.username)

    def queries() -> int:
        sql_count.clear()
        assert client.get(setting.url).status_code == 200
        return len(sql_count)

    def add_items(count: int) -> None:
        gate = new_gate()
        for n in range(count):
            extra = ChecklistItem(
                case_id=setting.case.id,
                client_id=setting.record.id,
                responsible_member_id=setting.close_person.id,
            )
            extra.title_ct, extra.note_ct = gate.write_texts(
                SYSTEM_ACTOR,
                [
                    (field_ref(extra, ChecklistItem.title_ct), f"Tehtävä {n} (f)"),
                    (field_ref(extra, ChecklistItem.note_ct), "N"),
                ],
                purpose=Purpose.ADMINISTRATION,
            )
            db.add(extra)
        db.commit()

    release_checklist.generate(db, setting.case, setting.worker.id, utcnow())
    add_items(1)
    few = queries()
    add_items(20)
    factories.member(db, setting.case, person_name=SISTER)
    db.commit()
    assert queries() == few
