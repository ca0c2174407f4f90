"""The multi-agency service-need assessment: dates, participants, needs and desistance factors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.assessment.rules import FACTORS
from app.i18n import helsinki_today
from app.models import Case, NetworkMember, OrgKind, Phase, Role
from app.models.assessment import (
    Assessment,
    AssessmentFactor,
    AssessmentNeed,
    AssessmentParticipant,
    AssessmentVersion,
    VersionKind,
)
from app.models.case import PhaseChange
from consent.base import utcnow
from consent.sections import SectionKind
from sharing.gate import AccessGate
from tests import factories
from tests.conftest import csrf_token, login

TODAY = helsinki_today()
DAY = timedelta(days=1)
CLIENT_VIEW = "Haluan oman asunnon Kuopiosta (fictional)"
PROFESSIONAL_VIEW = "Tukiasuminen ensin, velkaneuvonta (fictional)"


def org_member(
    db: Session, case: Case, name: str | None = None, ended_at: datetime | None = None
) -> NetworkMember:
    org = factories.organisation(db, OrgKind.NGO, name=name)
    return factories.member(db, case, org, ended_at=ended_at)


def person_member(db: Session, case: Case, name: str) -> NetworkMember:
    return factories.member(db, case, person_name=name)


def url(record, suffix: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/caseworker/clients/{record.id}/assessment{suffix}"


def form(token: str, version: int = 0, **values: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": token,
        "version": str(version),
        "contact_on": (TODAY - 10 * DAY).isoformat(),
        "started_on": (TODAY - 5 * DAY).isoformat(),
    }
    data.update(values)
    return data


def raw_bytes(db) -> bytes:  # type: ignore[no-untyped-def]
    """Every ciphertext column of the assessment tables, straight from the database."""
    chunks: list[bytes] = []
    for statement in (
        "SELECT no_worker_reason_ct, other_participants_ct FROM assessments",
        "SELECT client_view_ct, professional_view_ct FROM assessment_needs",
        "SELECT note_ct FROM assessment_factors",
        "SELECT snapshot_ct FROM assessment_versions",
    ):
        for row in db.execute(text(statement)):
            chunks += [bytes(value) for value in row if value is not None]
    return b"\n".join(chunks)


def test_invalid_input_is_refused_with_everything_typed_kept(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    response = client.post(
        url(record),
        data=form(
            token,
            started_on=(TODAY - 11 * DAY).isoformat(),  # before the contact
            completed_on=(TODAY - 12 * DAY).isoformat(),
            urgency_assessed_on="31.2.2025",
            responsible_worker_needed="no",
            **{
                "area_housing-level": "significant",
                "area_housing-client_view": CLIENT_VIEW,
                "factor_sobriety-note": "Raitis kolme kuukautta (fictional)",
            },
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The assessment cannot start before the contact date." in page
    assert "Give the reason no responsible worker is needed." in page
    assert "Not a valid date value." in page
    assert CLIENT_VIEW in page
    assert "Raitis kolme kuukautta (fictional)" in page
    assert 'value="31.2.2025"' in page
    assert f'value="{(TODAY - 11 * DAY).isoformat()}"' in page
    assert re.search(r'value="significant"[^>]*checked|checked[^>]*value="significant"', page)
    assert db.scalars(select(Assessment)).all() == []

    # Only the first date rule is shown for a field; fixing it reveals none left for others.
    missing_contact = client.post(url(record), data=form(token, contact_on=""))
    assert missing_contact.status_code == 400
    assert "Give the date of the contact or notification." in missing_contact.get_data(as_text=True)


@pytest.mark.parametrize(
    "bad",
    [
        {"area_health-level": "catastrophic"},
        {"urgency": "maybe"},
        {"responsible_worker_needed": "perhaps"},
        {"participants": "not-a-uuid"},
        {"version": "x"},
    ],
)
def test_forged_choices_are_a_400_not_a_500(client, db, bad) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    response = client.post(url(record), data=form(token, **bad))
    assert response.status_code in (400, 409)
    assert db.scalars(select(Assessment)).all() == []


def test_both_views_are_stored_encrypted_and_shown(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    secrets = {
        "area_housing-client_view": CLIENT_VIEW,
        "area_housing-professional_view": PROFESSIONAL_VIEW,
        "area_health-level": "some",
        "area_health-client_view": "Pärjään ilman lääkkeitä (fictional)",
        "factor_sobriety-addressed": "y",
        "factor_sobriety-note": "Raitis kolme kuukautta (fictional)",
        "other_participants": "Kuvitteellinen kummi Kaarina",
        "no_worker_reason": "Omatyöntekijä jo vankilan sosiaalityössä (fictional)",
    }
    response = client.post(
        url(record),
        data=form(
            token,
            urgency_assessed_on=(TODAY - 10 * DAY).isoformat(),
            urgency="not_urgent",
            responsible_worker_needed="no",
            client_took_part="yes",
            **{"area_housing-level": "significant"},
            **secrets,
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    stored = raw_bytes(db)
    assert stored  # there is ciphertext …
    for secret in secrets.values():
        if secret != "y":
            assert secret.encode() not in stored  # … and no plaintext
    assessment = db.scalars(select(Assessment)).one()
    assert assessment.case_id == case.id
    assert assessment.updated_by_id == worker.id
    assert assessment.version == 1
    assert assessment.started_on == TODAY - 5 * DAY
    version = db.scalars(select(AssessmentVersion)).one()
    assert (version.kind, version.author_id, version.version) == (VersionKind.CREATED, worker.id, 1)
    assert "area:housing" in version.changed.split()

    page = client.get(url(record)).get_data(as_text=True)
    for secret in secrets.values():
        if secret != "y":
            assert secret in page
    assert page.count(CLIENT_VIEW) == 2  # the summary and the form
    assert page.count(PROFESSIONAL_VIEW) == 2
    assert "Significant need for support" in page
    assert "1 of 16 factors addressed." in page


def test_an_edit_reseals_only_what_changed_and_adds_a_version(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    views = {
        "area_housing-client_view": CLIENT_VIEW,
        "area_housing-professional_view": PROFESSIONAL_VIEW,
    }
    assert client.post(url(record), data=form(token, **views)).status_code == 302
    need = db.scalars(select(AssessmentNeed)).one()
    client_before, professional_before = need.client_view_ct, need.professional_view_ct

    unchanged = client.post(url(record), data=form(token, version=1, **views))
    assert unchanged.status_code == 302
    assert db.scalar(select(Assessment.version)) == 1  # nothing changed, no new version

    edited = dict(views, **{"area_housing-professional_view": "Asumisneuvoja mukaan (fictional)"})
    assert client.post(url(record), data=form(token, version=1, **edited)).status_code == 302
    db.expire_all()
    need = db.scalars(select(AssessmentNeed)).one()
    assert need.client_view_ct == client_before
    assert need.professional_view_ct != professional_before
    versions = db.scalars(select(AssessmentVersion).order_by(AssessmentVersion.version)).all()
    assert [(v.version, v.changed) for v in versions] == [
        (1, "dates area:housing"),
        (2, "area:housing"),
    ]

    page = client.get(url(record)).get_data(as_text=True)
    assert "Asumisneuvoja mukaan (fictional)" in page
    first = client.get(url(record, "/versions/1")).get_data(as_text=True)
    assert PROFESSIONAL_VIEW in first and "Asumisneuvoja" not in first
    assert client.get(url(record, "/versions/9")).status_code == 404


def test_a_stale_form_is_refused_and_keeps_the_input(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    assert client.post(url(record), data=form(token)).status_code == 302
    stale = client.post(url(record), data=form(token, version=0, other_participants="Kummi K."))
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone else saved this assessment" in page
    assert "Kummi K." in page
    assert 'name="version" type="hidden" value="1"' in page
    assert db.scalar(select(Assessment.version)) == 1


def test_participants_are_the_cases_own_network_members(client, db) -> None:  # type: ignore[no-untyped-def]
    county, worker, record, case = factories.county_case(db)
    ngo = org_member(db, case, name="Kuvitteellinen Kriminaalihuollon tukisäätiö")
    sister = person_member(db, case, "Kuvitteellinen Sisko Saara")
    ended = org_member(db, case, name="Päättynyt Järjestö (fictional)", ended_at=utcnow())
    _, other_case = factories.client(db, county, name="Toinen Asiakas", worker=worker)
    stranger = org_member(db, other_case, name="Vieras Järjestö (fictional)")
    db.commit()
    login(client, worker.username)

    page = client.get(url(record)).get_data(as_text=True)
    assert "Kuvitteellinen Kriminaalihuollon tukisäätiö" in page
    assert "Kuvitteellinen Sisko Saara" in page  # the person's name, decrypted
    assert "Päättynyt Järjestö" not in page  # no longer in the network
    assert "Vieras Järjestö" not in page

    token = csrf_token(client, url(record))
    for forged in (stranger.id, ended.id):
        refused = client.post(
            url(record), data=form(token, participants=[str(ngo.id), str(forged)])
        )
        assert refused.status_code == 400
        assert "Choose participants from the client&#39;s own network." in refused.get_data(
            as_text=True
        )
    assert db.scalars(select(AssessmentParticipant)).all() == []

    saved = client.post(url(record), data=form(token, participants=[str(ngo.id), str(sister.id)]))
    assert saved.status_code == 302
    named = {p.member_id for p in db.scalars(select(AssessmentParticipant))}
    assert named == {ngo.id, sister.id}
    summary = client.get(url(record)).get_data(as_text=True)
    assert "<li>Kuvitteellinen Sisko Saara</li>" in summary
    assert all(p.added_by_id == worker.id for p in db.scalars(select(AssessmentParticipant)))

    # A participant whose membership has since ended stays named and selectable.
    db.get(NetworkMember, sister.id).ended_at = utcnow()
    db.commit()
    page = client.get(url(record)).get_data(as_text=True)
    assert "Kuvitteellinen Sisko Saara" in page and "no longer in the network" in page
    kept = client.post(
        url(record), data=form(token, version=1, participants=[str(ngo.id), str(sister.id)])
    )
    assert kept.status_code == 302


def test_another_countys_worker_gets_404_everywhere(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    assert client.post(url(record), data=form(token)).status_code == 302
    client.post("/logout", data={"csrf_token": token})

    login(client, stranger.username)
    token = csrf_token(client, "/caseworker/")
    assert client.get(url(record)).status_code == 404
    assert client.get(url(record, "/versions/1")).status_code == 404
    assert (
        client.post(url(record), data=form(token, version=1, other_participants="x")).status_code
        == 404
    )
    assert (
        client.post(
            url(record, "/complete"), data={"csrf_token": token, "version": "1"}
        ).status_code
        == 404
    )
    db.expire_all()
    assessment = db.scalars(select(Assessment)).one()
    assert (assessment.version, assessment.completed_on) == (1, None)
    assert db.get(Case, case.id).phase is Phase.ASSESSMENT


def test_mark_completed_moves_an_assessment_case_on_to_the_network(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))

    nothing = client.post(url(record, "/complete"), data={"csrf_token": token, "version": "0"})
    assert nothing.status_code == 400

    assert client.post(url(record), data=form(token, started_on="")).status_code == 302
    not_started = client.post(url(record, "/complete"), data={"csrf_token": token, "version": "1"})
    assert not_started.status_code == 400
    assert "Record the start date first." in not_started.get_data(as_text=True)

    assert client.post(url(record), data=form(token, version=1)).status_code == 302
    page = client.get(url(record)).get_data(as_text=True)
    assert "Mark completed" in page
    stale = client.post(url(record, "/complete"), data={"csrf_token": token, "version": "1"})
    assert stale.status_code == 409

    done = client.post(url(record, "/complete"), data={"csrf_token": token, "version": "2"})
    assert done.status_code == 302
    db.expire_all()
    assessment = db.scalars(select(Assessment)).one()
    assert assessment.completed_on == TODAY
    assert db.get(Case, case.id).phase is Phase.NETWORK
    change = db.scalars(select(PhaseChange).where(PhaseChange.case_id == case.id)).one()
    assert (change.from_phase, change.phase, change.changed_by_id) == (
        Phase.ASSESSMENT,
        Phase.NETWORK,
        worker.id,
    )
    newest = db.scalars(select(AssessmentVersion).where(AssessmentVersion.version == 3)).one()
    assert (newest.kind, newest.author_id) == (VersionKind.COMPLETED, worker.id)
    page = client.get(url(record)).get_data(as_text=True)
    assert "Completed on" in page and "Mark completed</button>" not in page


def test_completing_leaves_a_later_phase_alone(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, phase=Phase.RELEASE)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    assert client.post(url(record), data=form(token)).status_code == 302
    assert (
        client.post(
            url(record, "/complete"), data={"csrf_token": token, "version": "1"}
        ).status_code
        == 302
    )
    db.expire_all()
    assert db.get(Case, case.id).phase is Phase.RELEASE


def test_starting_an_assessment_moves_a_notified_case_into_assessment(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db, phase=Phase.NOTIFIED)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    assert client.post(url(record), data=form(token, started_on="")).status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).phase is Phase.NOTIFIED  # contact recorded, not started
    assert client.post(url(record), data=form(token, version=1)).status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).phase is Phase.ASSESSMENT
    assert db.scalars(select(PhaseChange.changed_by_id)).all() == [worker.id]


def test_the_page_reads_in_one_batch_and_a_fixed_number_of_queries(
    client, db, sql_count, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, case = factories.county_case(db)
    org_member(db, case)
    person_member(db, case, "Kuvitteellinen Veli Ville")
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    one_area = {"area_housing-client_view": CLIENT_VIEW, "factor_sobriety-note": "huomio"}
    assert client.post(url(record), data=form(token, **one_area)).status_code == 302

    reads: list[int] = []
    original = AccessGate.read_texts

    def counting(self, actor, fields, *, purpose):  # type: ignore[no-untyped-def]
        reads.append(len(fields))
        return original(self, actor, fields, purpose=purpose)

    monkeypatch.setattr(AccessGate, "read_texts", counting)

    def queries() -> int:
        sql_count.clear()
        reads.clear()
        response = client.get(url(record))
        assert response.status_code == 200
        assert len(reads) == 2  # the client's name (every client page), then the whole page
        return len(sql_count)

    with_one = queries()
    everything = {
        f"area_{kind.value}-{part}": f"{kind.value} {part} (fictional)"
        for kind in SectionKind
        for part in ("client_view", "professional_view")
    }
    everything |= {f"area_{kind.value}-level": "some" for kind in SectionKind}
    everything |= {f"factor_{f.code}-note": f"{f.code} (fictional)" for f in FACTORS}
    everything |= {f"factor_{f.code}-addressed": "y" for f in FACTORS}
    assert client.post(url(record), data=form(token, version=1, **everything)).status_code == 302
    for n in range(12):  # enough saves for a second page of history
        changed = dict(everything, other_participants=f"Kummi {n}")
        assert (
            client.post(url(record), data=form(token, version=2 + n, **changed)).status_code == 302
        )
    with_all = queries()
    assert with_all == with_one
    assert reads == [1, 2 + 2 * len(SectionKind) + len(FACTORS) + 2]
    assert "16 of 16 factors addressed." in client.get(url(record)).get_data(as_text=True)
    assert 'rel="next"' in client.get(url(record)).get_data(as_text=True)
    assert "Version 1<" in client.get(url(record) + "?page=2").get_data(as_text=True)


def test_entered_dates_are_helsinki_days(client, db) -> None:  # type: ignore[no-untyped-def]
    """Tomorrow in Finland is refused, today is fine, whatever the server's own zone."""
    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    tomorrow = client.post(url(record), data=form(token, started_on=(TODAY + DAY).isoformat()))
    assert tomorrow.status_code == 400
    assert "The date cannot be in the future." in tomorrow.get_data(as_text=True)
    today = client.post(url(record), data=form(token, started_on=TODAY.isoformat()))
    assert today.status_code == 302
    assert db.scalar(select(Assessment.started_on)) == TODAY


def test_factors_unknown_to_the_list_are_ignored_not_an_error(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    token = csrf_token(client, url(record))
    response = client.post(
        url(record),
        data=form(token, **{"factor_astrology-addressed": "y", "area_moon-level": "some"}),
    )
    assert response.status_code == 302
    assert db.scalars(select(AssessmentFactor)).all() == []


def test_a_new_assessment_starts_from_the_intakes_contact_day(client, db) -> None:  # type: ignore[no-untyped-def]
    from app.models.intake import Channel, Notification, NotificationPath, NotifierKind

    county, worker, record, case = factories.county_case(db, phase=Phase.NOTIFIED)
    contacted = TODAY - 40 * DAY
    db.add(
        Notification(
            county_id=county.id,
            client_id=record.id,
            case_id=case.id,
            received_at=utcnow(),
            contacted_on=contacted,
            notifier_kind=next(iter(NotifierKind)),
            channel=next(iter(Channel)),
            need_ct=b"not read here",
            path=next(iter(NotificationPath)),
            recorded_by_id=worker.id,
        )
    )
    db.commit()
    login(client, worker.username)
    page = client.get(url(record)).get_data(as_text=True)
    assert "Start the assessment" in page
    assert f'id="contact_on" name="contact_on" type="date" value="{contacted.isoformat()}"' in page
