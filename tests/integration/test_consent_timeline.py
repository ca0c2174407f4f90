"""Consents follow the release timeline; withdrawals and ended sharing reach the worker
(issue 15, points 4 and 6).

- A consent given with a template's period remembers the template; when the release or
  probationary-liberty dates change, it is listed for the worker (the consents page and
  the dashboard) and for the client to confirm again — its own period never moves by itself.
- Confirming again goes through the information text (and, for the client, the preview)
  and replaces the consent with one for the template's period on the new dates.
- Every page shows the same release day.
- A client's withdrawal and each notice the organisation has not confirmed are dashboard
  items; a withdrawal is marked as seen; the ended-consents table names who ended it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.commands import save_release_dates
from app.consents.commands import (
    DisclosureEnded,
    end_statutory_disclosure,
    record_statutory_disclosure,
    revoke_consent,
    timeline_of,
)
from app.consents.rules import PeriodTemplate, period
from app.consents.texts import FIRST_VERSION
from app.dashboard import queries as dashboard
from app.dashboard.queries import ConsentChange
from app.i18n import helsinki_today
from app.models import Case
from app.models.partner import NoticeReason, RevocationNotice
from app.network.commands import end_member
from app.partner_work.queries import notices_for_client, pending_notices
from app.security import new_gate
from consent.base import utcnow
from consent.models import Consent, ConsentState, GivenHow, StatutoryDisclosure
from consent.sections import SectionKind
from sharing.errors import AccessDenied
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.test_portal_consents import HOUSING_TEXT, PURPOSE, World, make_world, reads

T = PeriodTemplate


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def second_browser(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def template_consent(db: Session, w: World, template: PeriodTemplate) -> Consent:
    """A consent to the housing service for ``template``'s period on the case's dates."""
    p = period(template, timeline_of(w.case, utcnow()))
    assert p.valid_from is not None
    return factories.consent(
        db,
        w.worker_actor,
        w.case,
        w.housing,
        SectionKind.HOUSING,
        valid_from=p.valid_from,
        valid_until=p.valid_until,
        purpose_text=PURPOSE,
    )


def probation_earlier(db: Session, w: World) -> tuple[date, date]:
    """Supervised probationary liberty from 20 days before the conditional release."""
    assert w.case.conditional_release is not None
    start = w.case.conditional_release - timedelta(days=20)
    end = w.case.conditional_release - timedelta(days=1)
    changed = save_release_dates(
        db,
        w.case,
        w.worker.id,
        sentence_start=w.case.sentence_start,
        conditional_release=w.case.conditional_release,
        probation_start=start,
        probation_end=end,
    )
    assert changed is not None
    return start, end


def fresh(db: Session, consent_id: object) -> Consent:
    """The consent as stored now (a request closes the session the test's objects were in)."""
    found = db.get(Consent, consent_id)
    assert found is not None
    return found


def counts(db: Session, w: World) -> dashboard.Counts:
    return dashboard.counts(db, w.worker.id, w.case.county_id, helsinki_today())


def test_a_consent_from_a_template_remembers_it_and_a_custom_one_does_not(db: Session) -> None:
    w = make_world(db)
    follows = template_consent(db, w, T.FIRST_90_DAYS)
    custom = factories.consent(
        db,
        w.worker_actor,
        w.case,
        w.person,
        SectionKind.HOUSING,
        valid_until=helsinki_today() + timedelta(days=17),
    )
    assert follows.period_template == T.FIRST_90_DAYS.value
    assert custom.period_template is None


def test_moving_the_dates_lists_the_consent_to_confirm_again_and_never_moves_it(
    client: FlaskClient, db: Session
) -> None:
    w = make_world(db)
    follows = template_consent(db, w, T.FIRST_90_DAYS)
    custom = factories.consent(
        db,
        w.worker_actor,
        w.case,
        w.person,
        SectionKind.HOUSING,
        valid_until=helsinki_today() + timedelta(days=17),
    )
    old = (follows.valid_from, follows.valid_until)
    assert counts(db, w).to_reconfirm == 0
    start, _ = probation_earlier(db, w)

    assert follows.reconfirm_since is not None
    assert (follows.valid_from, follows.valid_until) == old  # never silently moved
    assert follows.state is ConsentState.ACTIVE
    assert custom.reconfirm_since is None
    assert counts(db, w).to_reconfirm == 1
    listed = dashboard.consent_changes(
        db, w.worker.id, w.case.county_id, helsinki_today(), ConsentChange.RECONFIRM
    )
    assert [row.consent.id for row in listed.rows] == [follows.id]
    follows_id, custom_id, case_id, worker_id = follows.id, custom.id, w.case.id, w.worker.id
    release = w.case.conditional_release
    base = f"/caseworker/clients/{w.client.id}"
    db.commit()

    login(client, w.worker.username)
    page = text_of(client.get(f"{base}/consents"))
    assert "Consents to confirm again" in page
    assert f"{base}/consents/{follows_id}/reconfirm" in page
    assert f"{base}/consents/{custom_id}/reconfirm" not in page
    dash = text_of(client.get("/caseworker/dashboard/consent-changes?kind=reconfirm"))
    assert "Kuvitteellinen Kalle" in dash
    assert client.get("/caseworker/dashboard/consent-changes?kind=nonsense").status_code == 404
    # The template the worker is offered reads the new release day.
    new = text_of(client.get(f"{base}/consents/new?template=first_90_days"))
    assert f'value="{start.isoformat()}"' in new

    # The dates move back: in step again, no longer listed.
    case = db.get(Case, case_id)
    assert case is not None
    save_release_dates(
        db,
        case,
        worker_id,
        sentence_start=None,
        conditional_release=release,
        probation_start=None,
        probation_end=None,
    )
    assert fresh(db, follows_id).reconfirm_since is None


def test_the_client_confirms_again_after_reading_the_text_and_the_preview(
    client: FlaskClient, db: Session
) -> None:
    w = make_world(db)
    follows = template_consent(db, w, T.FIRST_90_DAYS)
    start, _ = probation_earlier(db, w)
    follows_id, sections, member_id = follows.id, follows.sections, follows.member_id
    worker_id, county_id = w.worker.id, w.case.county_id
    db.commit()
    login(client, w.user.username)
    mine = text_of(client.get("/my/consents"))
    path = f"/my/consents/{follows_id}/reconfirm"
    assert "Your dates have changed" in mine and path in mine

    page = text_of(client.get(path))
    assert "Consent to share information in your support network" in page  # the text
    assert f"Information text, version {FIRST_VERSION}." in page
    assert "Exactly what they would see today" in page  # the preview

    unticked = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "information_text_version": FIRST_VERSION},
    )
    assert unticked.status_code == 400
    assert "Tick the box to confirm" in text_of(unticked)
    assert fresh(db, follows_id).state is ConsentState.ACTIVE

    done = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "information_text_version": FIRST_VERSION,
            "information_read": "y",
        },
    )
    assert done.status_code == 302 and "/my/consents/receipts/" in done.headers["Location"]
    assert fresh(db, follows_id).state is ConsentState.SUPERSEDED
    renewed = db.scalars(select(Consent).where(Consent.supersedes_id == follows_id)).one()
    assert (renewed.valid_from, renewed.valid_until) == (start, start + timedelta(days=89))
    assert renewed.given_how is GivenHow.ELECTRONIC
    assert renewed.period_template == T.FIRST_90_DAYS.value
    assert renewed.reconfirm_since is None
    assert renewed.sections == sections and renewed.member_id == member_id
    assert dashboard.counts(db, worker_id, county_id, helsinki_today()).to_reconfirm == 0
    # Nothing left to confirm: the page says so instead of offering it again.
    again = client.get(path)
    assert again.status_code == 302


def test_the_worker_records_the_clients_confirmation_or_keeps_the_old_period(
    client: FlaskClient, db: Session
) -> None:
    w = make_world(db)
    first = template_consent(db, w, T.FIRST_90_DAYS)
    db.commit()
    second = factories.consent(
        db,
        w.worker_actor,
        w.case,
        w.person,
        SectionKind.HOUSING,
        valid_from=first.valid_from,
        valid_until=first.valid_until,
    )
    start, _ = probation_earlier(db, w)
    first_id, second_id, worker_id, county_id = first.id, second.id, w.worker.id, w.case.county_id
    db.commit()
    login(client, w.worker.username)
    base = f"/caseworker/clients/{w.client.id}/consents"
    path = f"{base}/{first_id}/reconfirm"
    page = text_of(client.get(path))
    assert "Confirm a consent again" in page
    assert f"Information text, version {FIRST_VERSION}." in page
    missing = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "information_text_version": FIRST_VERSION},
    )
    assert missing.status_code == 400
    assert "Choose how the client gave consent." in text_of(missing)
    done = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "information_text_version": FIRST_VERSION,
            "given_how": GivenHow.WRITTEN.value,
            "information_shown": "y",
        },
    )
    assert done.status_code == 302
    renewed = db.scalars(select(Consent).where(Consent.supersedes_id == first_id)).one()
    assert (renewed.valid_from, renewed.given_how) == (start, GivenHow.WRITTEN)
    assert renewed.recorded_by_id == worker_id

    keep = client.post(
        f"{base}/{second_id}/keep-period", data={"csrf_token": csrf_token(client, base)}
    )
    assert keep.status_code == 302
    kept = fresh(db, second_id)
    assert kept.state is ConsentState.ACTIVE and kept.reconfirm_since is None
    assert kept.period_template is None  # it no longer follows the timeline
    assert dashboard.counts(db, worker_id, county_id, helsinki_today()).to_reconfirm == 0


def test_every_page_shows_the_same_release_day(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    w = make_world(db)
    start, _ = probation_earlier(db, w)
    client_id, worker_name, user_name = w.client.id, w.worker.username, w.user.username
    db.commit()
    login(client, worker_name)
    header = text_of(client.get(f"/caseworker/clients/{client_id}"))
    worker_sees = re.search(r"Expected release (.+?)</p>", header)
    assert worker_sees is not None
    listed = text_of(client.get("/caseworker/dashboard/clients"))
    assert worker_sees.group(1) in listed
    own = second_browser(app)
    login(own, user_name)
    home = text_of(own.get("/my/"))
    client_sees = re.search(r"<dt>Expected release date</dt><dd>(.+?)</dd>", home)
    assert client_sees is not None
    assert client_sees.group(1) == worker_sees.group(1)
    assert str(start.year) in client_sees.group(1) and str(start.day) in client_sees.group(1)


def test_a_clients_withdrawal_is_a_dashboard_item_until_a_worker_has_seen_it(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    w = make_world(db)
    withdrawn = factories.consent(
        db, w.worker_actor, w.case, w.housing, SectionKind.HOUSING, purpose_text=PURPOSE
    )
    by_worker = factories.consent(db, w.worker_actor, w.case, w.person, SectionKind.HOUSING)
    revoke_consent(db, new_gate(), w.worker_actor, by_worker, receipt=None)
    withdrawn_id, user_id, client_id = withdrawn.id, w.user.id, w.client.id
    worker_id, county_id, worker_name = w.worker.id, w.case.county_id, w.worker.display_name
    worker_name_, user_name = w.worker.username, w.user.username
    db.commit()

    def numbers() -> dashboard.Counts:
        return dashboard.counts(db, worker_id, county_id, helsinki_today())

    assert numbers().withdrawals == 0  # the worker who revoked it knows

    own = client
    login(own, user_name)
    path = f"/my/consents/{withdrawn_id}/revoke"
    assert own.post(path, data={"csrf_token": csrf_token(own, path)}).status_code == 302
    stored = fresh(db, withdrawn_id)
    assert stored.state is ConsentState.REVOKED and stored.ended_by_id == user_id
    theirs = text_of(own.get("/my/consents"))
    assert (
        "You withdrew it on" in theirs[theirs.index("Consents that have ended") :]
    )  # spoken to the client
    now = numbers()
    assert now.withdrawals == 1
    # The housing service is asked to confirm it keeps no copy: an open notice, too.
    notice = db.scalars(
        select(RevocationNotice).where(RevocationNotice.consent_id == withdrawn_id)
    ).one()
    notice_id = notice.id
    assert now.open_notices == 1
    notices = dashboard.consent_changes(
        db, worker_id, county_id, helsinki_today(), ConsentChange.NOTICES
    )
    assert [row.notice.id for row in notices.rows if row.notice] == [notice_id]
    db.commit()

    worker = second_browser(app)
    login(worker, worker_name_)
    listing = text_of(worker.get("/caseworker/dashboard/consent-changes?kind=withdrawals"))
    assert "Kuvitteellinen Kalle" in listing and "Mark as seen" in listing
    consents = text_of(worker.get(f"/caseworker/clients/{client_id}/consents"))
    assert "Withdrawn by the client" in consents
    ended = consents[consents.index("Ended consents") :]
    assert "by the client" in ended  # not "by " with a blank name
    assert re.search(r"by\s*</td>", ended) is None
    assert f"by {worker_name}" in ended  # the one the worker revoked

    seen = f"/caseworker/clients/{client_id}/consents/{withdrawn_id}/seen"
    token = csrf_token(worker, "/caseworker/dashboard/consent-changes?kind=withdrawals")
    done = worker.post(seen, data={"csrf_token": token, "back": "dashboard"})
    assert done.status_code == 302 and "kind=withdrawals" in done.headers["Location"]
    assert fresh(db, withdrawn_id).end_seen_by_id == worker_id
    assert numbers().withdrawals == 0
    again = worker.post(seen, data={"csrf_token": token})
    assert again.status_code == 302
    followed = text_of(worker.get(again.headers["Location"]))
    assert "Someone has already marked this withdrawal as seen." in followed

    # Once the organisation confirms, the notice leaves the dashboard.
    confirmed = db.get(RevocationNotice, notice_id)
    assert confirmed is not None
    confirmed.confirmed_at, confirmed.confirmed_by_id = utcnow(), worker_id
    db.commit()
    assert numbers().open_notices == 0


# -- ending a statutory disclosure or a membership -----------------------------------------------


def disclose(db: Session, w: World) -> StatutoryDisclosure:
    return record_statutory_disclosure(
        db,
        new_gate(),
        w.worker_actor,
        case=w.case,
        member_id=w.housing.id,
        sections=frozenset({SectionKind.HOUSING}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Asunnon järjestäminen (fictional)",
        valid_from=helsinki_today(),
        valid_until=None,
    )


def test_ending_a_statutory_disclosure_notifies_the_organisation_like_a_revocation(
    client: FlaskClient, db: Session
) -> None:
    w = make_world(db)
    disclosure = disclose(db, w)
    assert reads(w.housing_staff, w, SectionKind.HOUSING) == HOUSING_TEXT
    ids = (disclosure.id, w.client.id, w.worker.id, w.case.county_id, w.housing.organisation_id)
    disclosure_id, client_id, worker_id, county_id, organisation_id = ids
    worker_name = w.worker.display_name
    db.commit()
    login(client, w.worker.username)
    base = f"/caseworker/clients/{client_id}"
    path = f"{base}/disclosures/{disclosure_id}/end"
    assert path in text_of(client.get(f"{base}/consents"))
    confirm = text_of(client.get(path))
    assert "End this statutory disclosure?" in confirm
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302

    ended = db.get(StatutoryDisclosure, disclosure_id)
    assert ended is not None and ended.ended_at is not None
    assert ended.ended_by_id == worker_id
    notice = db.scalars(
        select(RevocationNotice).where(RevocationNotice.disclosure_id == disclosure_id)
    ).one()
    assert (notice.reason, notice.consent_id) == (NoticeReason.DISCLOSURE_ENDED, None)
    assert notice.organisation_id == organisation_id
    with pytest.raises(AccessDenied):
        reads(w.housing_staff, w, SectionKind.HOUSING)
    # The organisation sees the notice to confirm; the client sees it; the worker too.
    assert organisation_id is not None
    pending = pending_notices(db, organisation_id).rows
    assert [(p.notice.id, p.sections) for p in pending] == [(notice.id, [SectionKind.HOUSING])]
    told = notices_for_client(db, client_id)
    assert [(n.notice_id, n.sections) for n in told] == [(notice.id, [SectionKind.HOUSING])]
    assert dashboard.counts(db, worker_id, county_id, helsinki_today()).open_notices == 1
    listed = dashboard.consent_changes(
        db, worker_id, county_id, helsinki_today(), ConsentChange.NOTICES
    ).rows
    assert [(r.disclosure.id if r.disclosure else None, r.sections) for r in listed] == [
        (disclosure_id, ["housing"])
    ]
    db.commit()
    page = text_of(client.get("/caseworker/dashboard/consent-changes?kind=notices"))
    assert "Statutory disclosure ended" in page and "Kuvitteellinen Kalle" in page
    consents = text_of(client.get(f"{base}/consents"))
    assert f"by {worker_name}" in consents
    assert path not in consents  # nothing left to end
    again = client.post(path, data={"csrf_token": csrf_token(client, f"{base}/consents")})
    assert again.status_code == 302
    assert "already ended" in text_of(client.get(f"{base}/consents"))


def test_ending_a_membership_notifies_for_its_statutory_disclosures_too(db: Session) -> None:
    w = make_world(db)
    disclosure = disclose(db, w)
    end_member(db, new_gate(), w.housing, by_user_id=w.worker.id)
    notice = db.scalars(
        select(RevocationNotice).where(RevocationNotice.disclosure_id == disclosure.id)
    ).one()
    assert notice.reason is NoticeReason.MEMBERSHIP_ENDED
    assert notice.organisation_id == w.housing.organisation_id


def test_a_disclosure_that_never_began_asks_for_no_confirmation(db: Session) -> None:
    w = make_world(db)
    later = record_statutory_disclosure(
        db,
        new_gate(),
        w.worker_actor,
        case=w.case,
        member_id=w.housing.id,
        sections=frozenset({SectionKind.HOUSING}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Myöhemmin (fictional)",
        valid_from=helsinki_today() + timedelta(days=3),
        valid_until=None,
    )
    end_statutory_disclosure(db, new_gate(), w.worker_actor, later, case=w.case)
    assert later.ended_at is not None
    assert db.scalars(select(RevocationNotice)).all() == []
    with pytest.raises(DisclosureEnded):
        end_statutory_disclosure(db, new_gate(), w.worker_actor, later, case=w.case)
