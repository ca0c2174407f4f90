"""The client plan: versioned encrypted sections, differences, concurrent edits, "view as …"
a network member, and the print for the client."""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

from app.consents.commands import end_membership
from app.consents.rules import GrantCode
from app.i18n import helsinki_today
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    ClientPlan,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSection,
    PlanSectionVersion,
    Role,
    User,
)
from app.models.plan import AgreementState, PlanResponsible, PlanReviewDate
from app.plan import commands, queries, rules
from app.plan.content import SectionContent
from app.refusals import Refused
from app.security import new_gate
from consent.base import utcnow
from consent.facts import Actor
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.gate import AccessGate
from tests import factories
from tests.conftest import csrf_token, login

NAME = "Kuvitteellinen Kalle"
TODAY = helsinki_today()


@dataclass
class Setting:
    county: Organisation
    worker: User
    actor: Actor
    client: Client
    case: Case
    housing: NetworkMember  # an authority (public service)
    ngo: NetworkMember
    person: NetworkMember  # a close person


def setting(db: Session) -> Setting:
    base = factories.county_case(db, name=NAME)
    actor, case = base.actor, base.case
    housing_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Asumispalvelut (fictional)")
    ngo_org = factories.organisation(db, OrgKind.NGO, "Tukiyhdistys (fictional)")
    start = TODAY - timedelta(days=10)
    housing = factories.org_member(
        db, actor, case, housing_org.id, role="Asumisneuvonta", starts_on=start
    )
    ngo = factories.org_member(db, actor, case, ngo_org.id, role="Tukihenkilö", starts_on=start)
    person = factories.person_member(
        db, actor, case, "Sisko Kuvitteellinen", role="Sisar", starts_on=start
    )
    return Setting(base.county, base.worker, actor, base.client, case, housing, ngo, person)


def plan_path(s: Setting, rest: str = "") -> str:
    return f"/caseworker/clients/{s.client.id}/plan{rest}"


def section_path(s: Setting, kind: SectionKind) -> str:
    return plan_path(s, f"/sections/{kind.value}")


def form(version: object = 0, **data: object) -> dict[str, object]:
    return {
        "version": str(version),
        "goals": "",
        "measures": "",
        "client_view": "",
        "worker_view": "",
        "agreement": "draft",
        "review_on": "",
        **data,
    }


def post(browser: FlaskClient, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return browser.post(path, data={"csrf_token": csrf_token(browser, "/accessibility"), **data})


def save(
    db: Session,
    s: Setting,
    kind: SectionKind,
    *,
    agreement: AgreementState = AgreementState.DRAFT,
    responsible: tuple[NetworkMember, ...] = (),
    **texts: str,
) -> PlanSectionVersion:
    """Write a version of a section through the command, as the responsible worker."""
    return factories.plan_section(
        db,
        s.actor,
        s.case,
        kind,
        SectionContent(**texts),
        agreement=agreement,
        responsible=responsible,
    )


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


def plain(page: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def hidden_version(page: str) -> str:
    match = re.search(r'name="version" type="hidden" value="(\d+)"', page) or re.search(
        r'type="hidden" name="version" value="(\d+)"', page
    )
    assert match, "no version field"
    return match.group(1)


# -- writing, versions and differences ------------------------------------------------------


def test_a_section_is_written_versioned_and_compared(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    db.commit()
    login(client, s.worker.username)
    page = text_of(client.get(plan_path(s)))
    assert "The plan has no sections yet." in page and "Housing" in page

    blank = text_of(client.get(section_path(s, SectionKind.HOUSING)))
    assert "Add the section" in blank and "Sisko Kuvitteellinen (Close person)" in blank
    assert "<legend>Agreement with the client</legend>" in blank

    created = post(
        client,
        section_path(s, SectionKind.HOUSING),
        form(
            goals="Haluan oman pienen asunnon läheltä siskoa",
            measures="Asuntohakemus jätetään yhdessä maaliskuussa",
            responsible=[str(s.housing.id), str(s.person.id)],
            client_view="Asunto on tärkein asia",
            agreement="agreed",
            review_on=(TODAY + timedelta(days=30)).isoformat(),
        ),
    )
    assert created.status_code == 302
    section = db.scalars(select(PlanSection)).one()
    assert section.kind is SectionKind.HOUSING and section.current_version == 1
    first = db.scalars(select(PlanSectionVersion)).one()
    assert first.author_id == s.worker.id and first.created_at is not None
    assert first.agreement is AgreementState.AGREED
    assert first.review_on == TODAY + timedelta(days=30)
    named = db.scalars(select(PlanResponsible.member_id)).all()
    assert set(named) == {s.housing.id, s.person.id}
    plan = db.scalars(select(ClientPlan)).one()
    assert plan.case_id == s.case.id and plan.created_by_id == s.worker.id

    shown = text_of(client.get(plan_path(s)))
    assert "Haluan oman pienen asunnon läheltä siskoa" in shown
    assert "Asumispalvelut (fictional)" in shown and "Sisko Kuvitteellinen" in shown
    assert "Agreed with the client" in shown and "Version 1, saved" in shown

    edit = text_of(client.get(section_path(s, SectionKind.HOUSING)))
    assert hidden_version(edit) == "1" and "Asunto on tärkein asia" in edit
    edited = post(
        client,
        section_path(s, SectionKind.HOUSING),
        form(
            1,
            goals="Haluan oman asunnon läheltä siskoa",
            measures="Asuntohakemus jätetään yhdessä maaliskuussa",
            responsible=[str(s.housing.id), str(s.ngo.id)],
            client_view="Asunto on tärkein asia",
            worker_view="Tuettu asuminen sopisi paremmin aluksi",
            agreement="disagreed",
            review_on=(TODAY + timedelta(days=30)).isoformat(),
        ),
    )
    assert edited.status_code == 302
    db.expire_all()
    assert db.get(PlanSection, section.id).current_version == 2
    assert len(db.scalars(select(PlanSectionVersion)).all()) == 2

    old = text_of(client.get(section_path(s, SectionKind.HOUSING) + "/versions/1"))
    assert "Haluan oman pienen asunnon läheltä siskoa" in old and "A newer version exists" in old
    assert client.get(section_path(s, SectionKind.HOUSING) + "/versions/3").status_code == 404

    history = text_of(client.get(section_path(s, SectionKind.HOUSING)))
    assert "Version 2" in history and "Changes from version 1" in history

    changes = client.get(section_path(s, SectionKind.HOUSING) + "/changes?from=1&to=2")
    body = changes.get_data(as_text=True)
    assert changes.status_code == 200
    assert re.search(r"<del><span class=\"visually-hidden\">removed: </span> ?pienen ?</del>", body)
    assert "Tuettu asuminen sopisi paremmin aluksi</ins>" in body
    assert "How to read the changes" in body  # a textual legend, not colour alone
    assert re.search(r"<del>.*Sisko Kuvitteellinen</del>", body)
    assert re.search(r"<ins>.*Tukiyhdistys \(fictional\)</ins>", body)
    assert re.search(r"<del>.*Agreed with the client</del>.*<ins>.*The client disagrees", body)
    # The default compares the latest two; reversed numbers show the same, older first.
    assert client.get(section_path(s, SectionKind.HOUSING) + "/changes").status_code == 200
    assert (
        client.get(section_path(s, SectionKind.HOUSING) + "/changes?from=2&to=1").status_code == 200
    )
    for query in ("?from=1&to=1", "?from=0&to=2", "?from=1&to=9", "?from=x&to=2", "?from=&to=2"):
        refused = client.get(section_path(s, SectionKind.HOUSING) + "/changes" + query)
        assert refused.status_code == 400, query
    assert client.get(section_path(s, SectionKind.HEALTH) + "/changes").status_code == 404
    assert client.get(plan_path(s, "/sections/garden")).status_code == 404


def test_saving_nothing_new_adds_no_version(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    save(db, s, SectionKind.HEALTH, goals="Päihteetön arki", measures="Ryhmä kerran viikossa")
    db.commit()
    login(client, s.worker.username)
    again = post(
        client,
        section_path(s, SectionKind.HEALTH),
        form(1, goals="Päihteetön arki", measures="Ryhmä kerran viikossa"),
    )
    assert again.status_code == 302
    assert len(db.scalars(select(PlanSectionVersion)).all()) == 1


def test_invalid_input_is_refused_with_clear_messages_and_kept(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    other_county = factories.organisation(db, OrgKind.COUNTY)
    _, other_case = factories.client(db, other_county, name="Toinen Kuvitteellinen")
    stranger = factories.member(
        db, other_case, factories.organisation(db, OrgKind.PUBLIC_SERVICE), starts_on=TODAY
    )
    db.commit()
    login(client, s.worker.username)
    path = section_path(s, SectionKind.LIVELIHOOD)

    missing = post(client, path, form(measures="Kelan hakemus yhdessä (fictional)"))
    page = text_of(missing)
    assert missing.status_code == 400
    assert "Write the goals in the client's own words." in page
    assert "Kelan hakemus yhdessä (fictional)" in page  # what was typed is kept
    assert "1 thing to fix" in page and 'aria-invalid="true"' in page

    long = "x" * (rules.TEXT_LIMIT + 1)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, object], str]] = [
        ({"agreement": "disagreed"}, "write down the client's view in their own words"),
        ({"agreement": "disagreed", "client_view": "Ei"}, "write down the worker's view too"),
        ({"agreement": "maybe"}, "Choose where the section stands with the client."),
        ({"agreement": ""}, "Choose where the section stands with the client."),
        ({"review_on": "2025-02-30"}, "Not a valid date value."),
        ({"review_on": yesterday}, "The review date cannot be in the past."),
        ({"measures": long}, "At most 4000 characters."),
        ({"responsible": [str(uuid.uuid4())]}, "Choose responsible members from the client's"),
        ({"responsible": [str(stranger.id)]}, "Choose responsible members from the client's"),
        ({"responsible": ["not-an-id"]}, "Choose responsible members from the client's"),
        ({"version": "x"}, "The form was out of date."),
    ]
    for data, message in cases:
        refused = post(client, path, form(**{"goals": "Toimeentulo turvattu", **data}))
        assert refused.status_code in (400, 409), data
        assert message in text_of(refused), data
        assert "Toimeentulo turvattu" in text_of(refused), data
    assert db.scalars(select(PlanSectionVersion)).all() == []
    assert db.scalars(select(PlanSection)).all() == []


def test_a_member_who_left_stays_named_but_cannot_be_newly_named(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    save(db, s, SectionKind.HOUSING, goals="Asunto", responsible=(s.ngo,))
    end_membership(db, new_gate(), s.ngo, by_user_id=s.worker.id)
    db.commit()
    login(client, s.worker.username)
    page = text_of(client.get(section_path(s, SectionKind.HOUSING)))
    assert "Tukiyhdistys (fictional) (NGO) – no longer in the network" in page
    kept = post(
        client,
        section_path(s, SectionKind.HOUSING),
        form(1, goals="Asunto ja tuki", responsible=[str(s.ngo.id)]),
    )
    assert kept.status_code == 302
    fresh = post(
        client,
        section_path(s, SectionKind.HEALTH),
        form(goals="Terveys", responsible=[str(s.ngo.id)]),
    )
    assert fresh.status_code == 400
    assert "Choose responsible members from the client's own network." in text_of(fresh)


# -- two people editing the same section ------------------------------------------------------


def second_browser(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def test_the_later_of_two_simultaneous_saves_gets_the_conflict_page(client, app, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    colleague = factories.user(db, Role.CASEWORKER, s.county)
    db.add(CaseTeamMember(case_id=s.case.id, user_id=colleague.id))
    save(db, s, SectionKind.HOUSING, goals="Oma asunto keväällä", measures="Hakemus")
    db.commit()
    aino, bertta = client, second_browser(app)
    login(aino, s.worker.username)
    login(bertta, colleague.username)
    path = section_path(s, SectionKind.HOUSING)
    # Both open the form on version 1.
    assert hidden_version(text_of(aino.get(path))) == "1"
    assert hidden_version(text_of(bertta.get(path))) == "1"

    first = post(aino, path, form(1, goals="Oma asunto keväällä Kuopiosta", measures="Hakemus"))
    assert first.status_code == 302

    mine = "Oma asunto kesällä, tuettu asuminen ensin"
    late = post(
        bertta,
        path,
        form(1, goals=mine, measures="Hakemus ja tukiasumisen jono", agreement="agreed"),
    )
    page = text_of(late)
    assert late.status_code == 409
    assert "Someone else saved this section while you were editing it." in page
    assert "Oma asunto keväällä Kuopiosta" in page  # theirs, stored
    assert f"{mine}</textarea>" in page  # yours, kept in the form
    assert "Hakemus ja tukiasumisen jono" in page
    assert "<del>" in late.get_data(as_text=True) and "<ins>" in late.get_data(as_text=True)
    assert hidden_version(page) == "2"  # saving the merge builds on their version
    db.expire_all()
    versions = db.scalars(select(PlanSectionVersion).order_by(PlanSectionVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]  # the newer stored version is untouched

    merged = post(
        bertta,
        path,
        form(2, goals="Oma asunto Kuopiosta; tuettu asuminen ensin", measures="Hakemus"),
    )
    assert merged.status_code == 302
    db.expire_all()
    section = db.scalars(select(PlanSection)).one()
    assert section.current_version == 3
    authors = db.scalars(select(PlanSectionVersion.author_id).order_by(PlanSectionVersion.version))
    assert list(authors) == [s.worker.id, s.worker.id, colleague.id]
    view = queries.read_plan(db, new_gate(), s.actor, s.case)
    data = view.section(SectionKind.HOUSING).data  # type: ignore[union-attr]
    assert data.goals == "Oma asunto Kuopiosta; tuettu asuminen ensin"
    read = queries.read_versions(db, new_gate(), s.actor, s.case, section, [2])
    assert read.versions[2][1].goals == "Oma asunto keväällä Kuopiosta"


# -- view as a network member -----------------------------------------------------------------


def test_view_as_shows_exactly_what_each_member_may_see(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    save(
        db,
        s,
        SectionKind.HOUSING,
        goals="Oma asunto läheltä siskoa",
        responsible=(s.housing, s.person),
    )
    save(db, s, SectionKind.HEALTH, goals="Päihdekuntoutus jatkuu")
    factories.consent(db, s.actor, s.case, s.housing, SectionKind.HOUSING)
    # NGOs and close persons are not authorities: a consent needs their commitment first.
    with pytest.raises(Refused) as refused:
        factories.consent(db, s.actor, s.case, s.person, SectionKind.HEALTH)
    assert refused.value.errors == {"member_id": GrantCode.NO_COMMITMENT}
    s.person.confidentiality_committed_on = TODAY
    factories.consent(db, s.actor, s.case, s.person, SectionKind.HEALTH)
    db.commit()
    login(client, s.worker.username)
    chooser = text_of(client.get(plan_path(s)))
    assert "View as a network member" in chooser and str(s.housing.id) in chooser

    housing = client.get(plan_path(s, f"/view-as?member={s.housing.id}"))
    page = text_of(housing)
    assert housing.status_code == 200
    assert "What Asumispalvelut (fictional) (Public service) sees now" in page
    assert "Oma asunto läheltä siskoa" in page and NAME in page
    assert "Päihdekuntoutus jatkuu" not in page
    assert "Not shared: The client's consent does not cover this section." in plain(page)
    # A person's name is county-only: the partner sees them by kind.
    assert "Sisko Kuvitteellinen" not in page.split("What Asumispalvelut")[1]
    assert "Close person" in page

    sister = text_of(client.get(plan_path(s, f"/view-as?member={s.person.id}")))
    assert "Päihdekuntoutus jatkuu" in sister and "Oma asunto läheltä siskoa" not in sister

    ngo = text_of(client.get(plan_path(s, f"/view-as?member={s.ngo.id}")))
    assert "Oma asunto" not in ngo and "Päihdekuntoutus" not in ngo
    assert "No consent from the client and no statutory basis covers them." in ngo
    assert f"<dd>{NAME}</dd>" not in ngo  # the name goes only with some section

    for member in ("", str(uuid.uuid4()), "x"):
        assert client.get(plan_path(s, f"/view-as?member={member}")).status_code == 400

    db.rollback()
    previews = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.action == "preview",
            AccessLogEntry.previewed_as == f"organisation:{s.housing.organisation_id}",
        )
    ).all()
    assert {(p.scope, p.allowed) for p in previews} == {
        ("name", True),
        ("section:housing", True),
        ("section:health", False),
    }
    assert all(p.actor_user_id == s.worker.id for p in previews)


# -- the print for the client -----------------------------------------------------------------


def test_the_print_is_a_clean_page_in_the_chosen_language(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    save(
        db,
        s,
        SectionKind.HOUSING,
        goals="Haluan oman asunnon",
        measures="Hakemus yhdessä",
        responsible=(s.housing, s.person),
        agreement=AgreementState.AGREED,
    )
    commands.set_review_date(
        db, case=s.case, actor=s.actor, review_on=date(2099, 5, 4), today=TODAY
    )
    db.commit()
    login(client, s.worker.username)

    swedish = client.get(plan_path(s, "/print?lang=sv"))
    page = text_of(swedish)
    assert swedish.status_code == 200
    assert '<html lang="sv">' in page and "Boende" in page  # the section in Swedish
    assert "Din plan" in page and "Your plan" not in page  # the template's own text too
    assert "maj 2099" in page  # the review date, formatted in Swedish
    assert NAME in page and s.worker.display_name in page
    assert "Haluan oman asunnon" in page and "Hakemus yhdessä" in page
    assert "Asumispalvelut (fictional)" in page and "Sisko Kuvitteellinen" in page
    assert "<nav" not in page and "/assessment" not in page and "Sign out" not in page

    finnish = text_of(client.get(plan_path(s, "/print"), headers={"Accept-Language": "fi"}))
    assert '<html lang="fi">' in finnish and "Asuminen" in finnish
    english = text_of(client.get(plan_path(s, "/print?lang=xx")))
    assert '<html lang="en">' in english and "Your plan" in english and "Housing" in english

    css = (Path(__file__).parents[2] / "app" / "web" / "static" / "app.css").read_text()
    assert "@media print" in css and ".print-page" in css


# -- encryption, the review date, access, and query counts ------------------------------------


def test_the_encrypted_column_holds_no_plaintext(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    db.commit()
    login(client, s.worker.username)
    secret = "Haluan asua Lähisaaressa (fictional)"
    post(client, section_path(s, SectionKind.HOUSING), form(goals=secret, client_view=secret))
    raw = db.execute(select(PlanSectionVersion.content_ct)).scalar_one()
    assert secret.encode() not in raw and json.dumps(secret)[1:-1].encode() not in raw
    assert b"goals" not in raw
    reads = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.action == "write", AccessLogEntry.scope == "section:housing"
        )
    ).all()
    assert [r.actor_user_id for r in reads] == [s.worker.id]


def test_the_review_date_is_set_attributed_and_checked(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    db.commit()
    login(client, s.worker.username)
    path = plan_path(s, "/review")
    past = post(client, path, {"review_on": (TODAY - timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and "The review date cannot be in the past." in text_of(past)
    for value, message in [("", "Give the date"), ("31.2.2099", "Not a valid date value.")]:
        refused = post(client, path, {"review_on": value})
        assert refused.status_code == 400 and message in text_of(refused), value
    assert db.scalars(select(ClientPlan)).all() == []

    day = TODAY + timedelta(days=60)
    assert post(client, path, {"review_on": day.isoformat()}).status_code == 302
    plan = db.scalars(select(ClientPlan)).one()
    assert plan.review_on == day and plan.review_set_by_id == s.worker.id
    history = db.scalars(select(PlanReviewDate)).all()
    assert [(h.review_on, h.set_by_id) for h in history] == [(day, s.worker.id)]
    assert "Set " in text_of(client.get(plan_path(s)))


@pytest.mark.parametrize(
    ("language", "message"),
    [("fi", "Ei ole kelvollinen päivämäärä-arvo"), ("sv", "Inte ett giltigt datum")],
)
def test_wtforms_own_messages_are_in_the_readers_language(  # type: ignore[no-untyped-def]
    client, db, language: str, message: str
) -> None:
    """WTForms' own messages come from catalogs kept per process (``app.i18n``): each
    request still gets its reader's language, whichever language the one before had."""
    s = setting(db)
    db.commit()
    login(client, s.worker.username)
    path = plan_path(s, "/review")
    for locale in ("en", language, "en", language):
        assert post(client, "/language", {"language": locale}).status_code == 302
        refused = text_of(post(client, path, {"review_on": "31.2.2099"}))
        shown = message if locale == language else "Not a valid date value."
        assert shown in refused, locale


def test_another_countys_worker_gets_404_everywhere(client, db) -> None:  # type: ignore[no-untyped-def]
    s = setting(db)
    save(db, s, SectionKind.HOUSING, goals="Asunto")
    save(db, s, SectionKind.HOUSING, goals="Asunto pian")
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, stranger.username)
    for path in (
        plan_path(s),
        section_path(s, SectionKind.HOUSING),
        section_path(s, SectionKind.HOUSING) + "/versions/1",
        section_path(s, SectionKind.HOUSING) + "/changes?from=1&to=2",
        plan_path(s, f"/view-as?member={s.housing.id}"),
        plan_path(s, "/print"),
    ):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client, "/accessibility")
    for path, data in (
        (section_path(s, SectionKind.HOUSING), form(2, goals="Ei")),
        (plan_path(s, "/review"), {"review_on": "2099-01-01"}),
    ):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 404, path
    assert len(db.scalars(select(PlanSectionVersion)).all()) == 2


def test_the_plan_page_runs_a_fixed_number_of_queries_and_one_batched_read(  # type: ignore[no-untyped-def]
    client, db, sql_count, monkeypatch
) -> None:
    s = setting(db)
    kinds = list(SectionKind)
    everyone = (s.housing, s.ngo, s.person)
    for kind in kinds[:2]:
        save(db, s, kind, goals=f"Tavoite {kind.value}", responsible=everyone)
    db.commit()
    login(client, s.worker.username)
    reads: list[int] = []
    original = AccessGate.read_texts

    def counting(self, actor, fields, *, purpose):  # type: ignore[no-untyped-def]
        reads.append(len(fields))
        return original(self, actor, fields, purpose=purpose)

    monkeypatch.setattr(AccessGate, "read_texts", counting)

    def queries(expected: int) -> int:
        sql_count.clear()
        reads.clear()
        page = text_of(client.get(plan_path(s)))
        assert page.count("Tavoite ") == expected
        # The decorator opens the name; the page then opens everything else at once.
        assert len(reads) == 2 and reads[1] == 3 + expected
        return len(sql_count)

    with_two = queries(2)
    for kind in kinds[2:]:
        save(db, s, kind, goals=f"Tavoite {kind.value}", responsible=everyone)
    save(db, s, kinds[0], goals="Tavoite uudelleen", responsible=(s.ngo,))
    db.commit()
    assert len(kinds) == 11
    assert queries(11) == with_two


@pytest.mark.postgresql_only
def test_a_first_save_that_loses_the_race_is_told_not_an_error_page(race_app: Flask) -> None:
    """Nothing exists to lock before a case's first section. Another transaction creates
    the plan and holds it uncommitted; the form's save then waits on the unique index and,
    once the other commits, answers with the conflict (409), never an error page."""
    from app.extensions import db as flask_db

    with race_app.app_context():
        s = setting(flask_db.session)
        flask_db.session.commit()
        username, path = s.worker.username, section_path(s, SectionKind.HOUSING)
        case_id, client_id = s.case.id, s.client.id
        url = flask_db.engine.url
        flask_db.session.remove()
    browser = race_app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(browser, username)
    token = csrf_token(browser, "/accessibility")

    other = create_engine(url)
    answers: list[Any] = []
    try:
        with other.connect() as holder:
            holder.execute(
                insert(ClientPlan.__table__).values(
                    id=uuid.uuid4(), case_id=case_id, client_id=client_id, created_at=utcnow()
                )
            )  # not committed yet: invisible to the request, but its index entry blocks
            writer = threading.Thread(
                target=lambda: answers.append(
                    browser.post(path, data={"csrf_token": token, **form(0, goals="Oma asunto")})
                )
            )
            writer.start()
            for _ in range(300):  # until the request waits on the holder's lock
                waiting = holder.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
                    )
                )
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting, "the request never waited on the other transaction"
            holder.commit()
            writer.join(timeout=60)
    finally:
        other.dispose()
    [answer] = answers
    assert answer.status_code == 409
    assert "out of date" in text_of(answer)
