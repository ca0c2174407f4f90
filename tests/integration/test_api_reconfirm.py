"""Re-confirmation through the API (issue 15, point 4): the consents waiting after the release
dates moved are listed for the worker and the client; the client confirms one again
electronically, the worker records the client's written consent or keeps the old period —
the same commands as the consents pages, with problem+json and field errors."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.rules import PeriodTemplate
from app.consents.texts import FIRST_VERSION
from app.dashboard import queries as dashboard
from app.i18n import helsinki_today
from consent.models import Consent, ConsentState, GivenHow
from consent.sections import SectionKind
from tests import factories
from tests.conftest import api_token
from tests.integration.test_consent_timeline import fresh, probation_earlier, template_consent
from tests.integration.test_portal_consents import make_world

T = PeriodTemplate
PROBLEM = "application/problem+json"


def test_the_client_lists_and_confirms_again_through_the_api(
    client: FlaskClient, db: Session
) -> None:
    w = make_world(db)
    follows = template_consent(db, w, T.FIRST_90_DAYS)
    start, _ = probation_earlier(db, w)
    follows_id, client_id = follows.id, w.client.id
    worker_id, county_id = w.worker.id, w.case.county_id
    db.commit()
    auth = api_token(client, w.user.username)
    base = f"/api/v1/clients/{client_id}/consents"

    listed = client.get(f"{base}/to-reconfirm", headers=auth)
    assert listed.status_code == 200, listed.json
    [item] = listed.json["items"]
    assert item["consent"]["id"] == str(follows_id)
    assert item["period_template"] == "first_90_days"
    assert item["proposed"] == {
        "valid_from": start.isoformat(),
        "valid_until": (start + timedelta(days=89)).isoformat(),
    }
    etag = item["consent"]["etag"]
    path = f"{base}/{follows_id}/reconfirm"

    # Not confirmed that the text was read: a field error, nothing changes.
    unread = client.post(
        path,
        headers=auth | {"If-Match": etag},
        json={"information_text_version": FIRST_VERSION, "confirmed": False},
    )
    assert unread.status_code == 422 and unread.mimetype == PROBLEM
    assert "confirmed" in str(unread.json["errors"])
    # Without If-Match: 428; a client cannot claim a written consent: a field error.
    bare = {"information_text_version": FIRST_VERSION, "confirmed": True}
    assert client.post(path, headers=auth, json=bare).status_code == 428
    written = client.post(
        path, headers=auth | {"If-Match": etag}, json=bare | {"given_how": "written"}
    )
    assert written.status_code == 422 and written.mimetype == PROBLEM
    assert "given_how" in str(written.json["errors"])
    assert fresh(db, follows_id).state is ConsentState.ACTIVE

    done = client.post(path, headers=auth | {"If-Match": etag}, json=bare)
    assert done.status_code == 201, done.json
    renewed = db.scalars(select(Consent).where(Consent.supersedes_id == follows_id)).one()
    assert done.json["id"] == str(renewed.id)
    assert done.headers["Location"].endswith(f"/consents/{renewed.id}")
    assert (renewed.valid_from, renewed.valid_until) == (start, start + timedelta(days=89))
    assert renewed.given_how is GivenHow.ELECTRONIC and renewed.reconfirm_since is None
    assert fresh(db, follows_id).state is ConsentState.SUPERSEDED
    assert client.get(f"{base}/to-reconfirm", headers=auth).json["items"] == []
    assert dashboard.counts(db, worker_id, county_id, helsinki_today()).to_reconfirm == 0

    # The replaced consent changed since it was read: 412 with its current ETag.
    stale = client.post(path, headers=auth | {"If-Match": etag}, json=bare)
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    # With the current ETag, it is not waiting any more: 409.
    again = client.post(path, headers=auth | {"If-Match": stale.headers["ETag"]}, json=bare)
    assert again.status_code == 409 and again.mimetype == PROBLEM
    # Keeping the period is the worker's: the client's role may not.
    keep = client.post(f"{base}/{follows_id}/keep-period", headers=auth | {"If-Match": etag})
    assert keep.status_code == 403 and keep.mimetype == PROBLEM


def test_the_worker_records_the_clients_consent_or_keeps_the_old_period(
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
    first_id, second_id, client_id = first.id, second.id, w.client.id
    worker_id, county_id = w.worker.id, w.case.county_id
    db.commit()
    auth = api_token(client, w.worker.username)
    base = f"/api/v1/clients/{client_id}/consents"
    listed = client.get(f"{base}/to-reconfirm", headers=auth).json["items"]
    etags = {i["consent"]["id"]: i["consent"]["etag"] for i in listed}
    assert set(etags) == {str(first_id), str(second_id)}

    path = f"{base}/{first_id}/reconfirm"
    how_missing = client.post(
        path,
        headers=auth | {"If-Match": etags[str(first_id)]},
        json={"information_text_version": FIRST_VERSION, "confirmed": True},
    )
    assert how_missing.status_code == 422 and "given_how" in str(how_missing.json["errors"])
    unknown_text = client.post(
        path,
        headers=auth | {"If-Match": etags[str(first_id)]},
        json={"information_text_version": "9.9", "confirmed": True, "given_how": "written"},
    )
    assert unknown_text.status_code == 422
    assert "information_text_version" in str(unknown_text.json["errors"])
    done = client.post(
        path,
        headers=auth | {"If-Match": etags[str(first_id)]},
        json={"information_text_version": FIRST_VERSION, "confirmed": True, "given_how": "written"},
    )
    assert done.status_code == 201, done.json
    renewed = db.scalars(select(Consent).where(Consent.supersedes_id == first_id)).one()
    assert (renewed.valid_from, renewed.given_how) == (start, GivenHow.WRITTEN)
    assert renewed.recorded_by_id == worker_id

    kept = client.post(
        f"{base}/{second_id}/keep-period", headers=auth | {"If-Match": etags[str(second_id)]}
    )
    assert kept.status_code == 200, kept.json
    assert (
        kept.json["id"] == str(second_id) and kept.json["state"] == "upcoming"
    )  # first 90 days: later
    row = fresh(db, second_id)
    assert row.state is ConsentState.ACTIVE and row.reconfirm_since is None
    assert row.period_template is None  # it no longer follows the timeline
    assert client.get(f"{base}/to-reconfirm", headers=auth).json["items"] == []
    assert dashboard.counts(db, worker_id, county_id, helsinki_today()).to_reconfirm == 0
    # Nothing left to keep: 409.
    twice = client.post(
        f"{base}/{second_id}/keep-period", headers=auth | {"If-Match": kept.headers["ETag"]}
    )
    assert twice.status_code == 409 and twice.mimetype == PROBLEM
