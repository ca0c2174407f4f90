"""Network assembly, confidentiality commitments, information-flow agreements, the picture."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import Case, Client, MemberKind, NetworkMember, Organisation, OrgKind, Role, User
from app.models.flows import FlowAgreement, FlowChannel, FlowDirection, MemberContact
from app.network import commands as network_service
from app.security import new_gate
from consent.decision import Reason
from consent.facts import Actor, Purpose
from consent.sections import SectionKind
from sharing.errors import AccessDenied
from sharing.fields import sealed
from sharing.models import KeySeal
from tests import factories
from tests.conftest import csrf_token, login

TODAY = helsinki_today()
REASON = "Lisätty vahingossa (fictional)"  # why a membership is ended by hand


@dataclass
class Setting:
    county: Organisation
    worker: User
    record: Client
    case: Case
    housing: Organisation  # a public service: an authority
    ngo: Organisation

    @property
    def url(self) -> str:
        return f"/caseworker/clients/{self.record.id}/network"

    def member_url(self, member: NetworkMember) -> str:
        return f"{self.url}/members/{member.id}"

    @property
    def actor(self) -> Actor:
        return factories.actor(self.worker)


@pytest.fixture
def setting(db: Session) -> Setting:
    base = factories.county_case(db, name="Kuvitteellinen Kalle")
    housing = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Asumispalvelut (fictional)")
    ngo = factories.organisation(db, OrgKind.NGO, "Tukiyhdistys ry (fictional)")
    db.commit()
    return Setting(base.county, base.worker, base.client, base.case, housing, ngo)


@pytest.fixture
def signed_in(client: FlaskClient, setting: Setting) -> FlaskClient:
    login(client, setting.worker.username)
    return client


def token(client: FlaskClient, path: str) -> str:
    return csrf_token(client, path)


def add_organisation(client: FlaskClient, s: Setting, org: Organisation, **overrides: str):  # type: ignore[no-untyped-def]
    data = {
        "org-csrf_token": token(client, s.url),
        "org-organisation": str(org.id),
        "org-role": "Järjestää asunnon ennen vapautumista (fictional)",
        "org-starts_on": TODAY.isoformat(),
        "org-ends_on": "",
        **overrides,
    }
    return client.post(f"{s.url}/organisations", data=data)


def add_person(client: FlaskClient, s: Setting, **overrides: str):  # type: ignore[no-untyped-def]
    data = {
        "person-csrf_token": token(client, s.url),
        "person-kind": MemberKind.CLOSE_PERSON.value,
        "person-name": "Liisa Läheinen (fictional)",
        "person-contact": "040 000 0000 (fictional)",
        "person-role": "Sisko, tukee arjessa (fictional)",
        "person-starts_on": TODAY.isoformat(),
        "person-ends_on": "",
        **overrides,
    }
    return client.post(f"{s.url}/persons", data=data)


def add_flow(client: FlaskClient, s: Setting, member: NetworkMember, **overrides: str):  # type: ignore[no-untyped-def]
    data = {
        "flow-csrf_token": token(client, s.member_url(member)),
        "flow-direction": FlowDirection.FROM_MEMBER.value,
        "flow-channel": FlowChannel.PHONE.value,
        "flow-subject": "Vapautumispäivän muutokset (fictional)",
        "flow-practice": "Asumispalvelut ilmoittaa omatyöntekijälle päivän sisällä (fictional)",
        "flow-agreed_on": TODAY.isoformat(),
        "flow-agreed_with_client": "y",
        **overrides,
    }
    return client.post(f"{s.member_url(member)}/flows", data=data)


def only_member(db: Session) -> NetworkMember:
    return db.scalars(select(NetworkMember)).one()


def test_add_an_organisation_from_the_directory(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    page = signed_in.get(setting.url).get_data(as_text=True)
    assert "Asumispalvelut (fictional)" in page  # in the directory select
    assert f'<option value="{setting.county.id}"' not in page  # counties are not members
    assert '<optgroup label="Public service">' in page

    response = add_organisation(signed_in, setting, setting.housing)
    assert response.status_code == 302
    member = only_member(db)
    assert member.kind is MemberKind.PUBLIC_SERVICE
    assert member.organisation_id == setting.housing.id
    assert member.added_by_id == setting.worker.id
    assert member.starts_on == TODAY and member.ends_on is None
    assert b"fictional" not in member.role_ct

    page = signed_in.get(setting.url).get_data(as_text=True)
    assert "Järjestää asunnon ennen vapautumista (fictional)" in page
    assert "Not needed (authority)" in page
    assert page.count('class="member member-public_service"') == 1  # in the picture


def test_add_a_person_with_encrypted_name_role_and_contact(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    assert add_person(signed_in, setting).status_code == 302
    member = only_member(db)
    contact = db.scalars(select(MemberContact)).one()
    assert member.kind is MemberKind.CLOSE_PERSON and member.organisation_id is None
    for blob in (member.person_name_ct, member.role_ct, contact.contact_ct):
        assert blob and b"fictional" not in blob and "Läheinen".encode() not in blob
    assert contact.member_id == member.id and contact.recorded_by_id == setting.worker.id

    page = signed_in.get(setting.url).get_data(as_text=True)
    assert "Liisa Läheinen (fictional)" in page
    assert "Missing" in page  # a close person is not an authority
    detail = signed_in.get(setting.member_url(member)).get_data(as_text=True)
    assert "040 000 0000 (fictional)" in detail
    assert "Sisko, tukee arjessa (fictional)" in detail


def test_validation_errors_are_clear_and_keep_what_was_typed(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    early = (TODAY - timedelta(days=1)).isoformat()
    response = add_organisation(
        signed_in, setting, setting.housing, **{"org-ends_on": early, "org-role": "Oma rooli"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The end date cannot be before the start date." in page
    assert 'value="Oma rooli"' in page
    assert f'<option selected value="{setting.housing.id}"' in page
    assert 'aria-invalid="true"' in page

    response = add_person(signed_in, setting, **{"person-name": "", "person-kind": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter the person's name." in page
    assert "Choose whether the person is a close person or a peer expert." in page
    assert "040 000 0000 (fictional)" in page  # the contact details typed stay

    response = add_organisation(signed_in, setting, setting.county)  # not in the directory
    assert response.status_code == 400
    response = add_organisation(signed_in, setting, setting.housing, **{"org-starts_on": "x"})
    assert response.status_code == 400
    assert db.scalar(select(func.count(NetworkMember.id))) == 0


def test_the_same_organisation_twice_at_once_is_refused(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    later = (TODAY + timedelta(days=30)).isoformat()
    assert add_organisation(signed_in, setting, setting.ngo).status_code == 302
    response = add_organisation(signed_in, setting, setting.ngo, **{"org-starts_on": later})
    assert response.status_code == 400
    assert "already a member of the network for an overlapping period" in response.get_data(
        as_text=True
    )
    # Ended today, it may join again from today.
    member = only_member(db)
    end = signed_in.post(
        f"{setting.member_url(member)}/end",
        data={"csrf_token": token(signed_in, setting.url), "reason": REASON},
    )
    assert end.status_code == 302
    assert add_organisation(signed_in, setting, setting.ngo).status_code == 302
    assert db.scalar(select(func.count(NetworkMember.id))) == 2


def test_ending_a_membership_through_the_page_ends_the_partners_access_at_once(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    assert add_organisation(signed_in, setting, setting.housing).status_code == 302
    member = only_member(db)
    partner = factories.user(db, Role.PARTNER, setting.housing)
    factories.consent(
        db, setting.actor, setting.case, member, SectionKind.HOUSING, valid_from=TODAY
    )
    db.commit()
    partner_actor = factories.actor(partner)
    name = [sealed(setting.record, Client.name_ct)]
    coop = Purpose.NETWORK_COOPERATION
    assert new_gate().read_texts(partner_actor, name, purpose=coop) == ["Kuvitteellinen Kalle"]
    assert db.scalar(select(func.count(KeySeal.id)).where(KeySeal.member_id == member.id)) > 0

    # No one-click end: the member page links to a confirmation page, which asks why.
    end_url = f"{setting.member_url(member)}/end"
    assert f'href="{end_url}"' in signed_in.get(setting.member_url(member)).get_data(as_text=True)
    confirm = signed_in.get(end_url).get_data(as_text=True)
    assert "End the membership today" in confirm and "Why the membership ends" in confirm
    one_click = signed_in.post(end_url, data={"csrf_token": token(signed_in, end_url)})
    assert one_click.status_code == 400
    assert "Write down why the membership ends." in one_click.get_data(as_text=True)
    db.expire_all()
    assert only_member(db).ended_at is None

    response = signed_in.post(
        end_url, data={"csrf_token": token(signed_in, end_url), "reason": REASON}
    )
    assert response.status_code == 302
    db.expire_all()
    ended = only_member(db)
    assert ended.ended_at is not None and ended.ended_by_id == setting.worker.id
    assert ended.end_reason_ct is not None and REASON.encode() not in ended.end_reason_ct
    assert new_gate().read_texts(
        setting.actor, [sealed(ended, NetworkMember.end_reason_ct)], purpose=Purpose.CASE_WORK
    ) == [REASON]
    assert db.scalar(select(func.count(KeySeal.id)).where(KeySeal.member_id == member.id)) == 0
    with pytest.raises(AccessDenied, match=Reason.DENIED_NOT_IN_NETWORK.value):
        new_gate().read_texts(partner_actor, name, purpose=coop)


def test_ended_members_are_listed_but_left_out_of_the_picture(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    assert add_organisation(signed_in, setting, setting.ngo).status_code == 302
    member = only_member(db)
    signed_in.post(
        f"{setting.member_url(member)}/end",
        data={"csrf_token": token(signed_in, setting.url), "reason": REASON},
    )
    page = signed_in.get(setting.url).get_data(as_text=True)
    assert "Ended" in page and "Tukiyhdistys ry (fictional)" in page
    assert 'class="member member-ngo"' not in page
    again = signed_in.post(
        f"{setting.member_url(member)}/end",
        data={"csrf_token": token(signed_in, setting.url), "reason": REASON},
    )
    assert again.status_code == 302  # already ended: a message, nothing changes
    assert "already ended" in signed_in.get(again.headers["Location"]).get_data(as_text=True)


def test_confidentiality_commitment_is_recorded_for_members_who_are_not_authorities(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    assert add_organisation(signed_in, setting, setting.ngo).status_code == 302
    member = only_member(db)
    url = setting.member_url(member)
    page = signed_in.get(url).get_data(as_text=True)
    assert "Missing." in page and "Record the commitment" in page

    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = signed_in.post(
        f"{url}/confidentiality",
        data={"commitment-csrf_token": token(signed_in, url), "commitment-committed_on": tomorrow},
    )
    assert response.status_code == 400
    assert "The date cannot be in the future." in response.get_data(as_text=True)

    yesterday = TODAY - timedelta(days=1)
    response = signed_in.post(
        f"{url}/confidentiality",
        data={
            "commitment-csrf_token": token(signed_in, url),
            "commitment-committed_on": yesterday.isoformat(),
        },
    )
    assert response.status_code == 302
    db.expire_all()
    member = only_member(db)
    assert member.confidentiality_committed_on == yesterday
    assert member.confidentiality_recorded_by_id == setting.worker.id
    page = signed_in.get(url).get_data(as_text=True)
    assert "Missing." not in page and setting.worker.display_name in page


def test_an_authority_needs_no_commitment(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    assert add_organisation(signed_in, setting, setting.housing).status_code == 302
    member = only_member(db)
    url = setting.member_url(member)
    assert "Record the commitment" not in signed_in.get(url).get_data(as_text=True)
    response = signed_in.post(
        f"{url}/confidentiality",
        data={
            "commitment-csrf_token": token(signed_in, url),
            "commitment-committed_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 302
    db.expire_all()
    assert only_member(db).confidentiality_committed_on is None


def test_flow_agreements_are_added_with_the_clients_agreement_and_ended(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    assert add_organisation(signed_in, setting, setting.housing).status_code == 302
    member = only_member(db)

    refused = add_flow(signed_in, setting, member, **{"flow-agreed_with_client": ""})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "An information flow is recorded only as agreed with the client." in page
    assert "Vapautumispäivän muutokset (fictional)" in page  # kept
    refused = add_flow(signed_in, setting, member, **{"flow-direction": "sideways"})
    assert refused.status_code == 400
    assert db.scalar(select(func.count(FlowAgreement.id))) == 0

    assert add_flow(signed_in, setting, member).status_code == 302
    flow = db.scalars(select(FlowAgreement)).one()
    assert flow.direction is FlowDirection.FROM_MEMBER and flow.channel is FlowChannel.PHONE
    assert flow.agreed_with_client and flow.agreed_on == TODAY
    assert flow.recorded_by_id == setting.worker.id
    assert b"fictional" not in flow.subject_ct and b"fictional" not in flow.practice_ct

    page = signed_in.get(setting.url).get_data(as_text=True)
    assert 'class="flow flow-from_member"' in page  # the picture
    assert "From the member to the county · Phone: Vapautumispäivän muutokset" in page  # in words
    detail = signed_in.get(setting.member_url(member)).get_data(as_text=True)
    assert "Asumispalvelut ilmoittaa omatyöntekijälle päivän sisällä (fictional)" in detail

    end = signed_in.post(
        f"{setting.member_url(member)}/flows/{flow.id}/end",
        data={"csrf_token": token(signed_in, setting.url)},
    )
    assert end.status_code == 302
    db.expire_all()
    flow = db.scalars(select(FlowAgreement)).one()
    assert flow.ended_at is not None and flow.ended_by_id == setting.worker.id
    assert 'class="flow flow-' not in signed_in.get(setting.url).get_data(as_text=True)
    assert "Ended" in signed_in.get(setting.member_url(member)).get_data(as_text=True)


def test_ending_a_membership_ends_its_agreements_and_closes_the_forms(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    assert add_organisation(signed_in, setting, setting.housing).status_code == 302
    member = only_member(db)
    assert add_flow(signed_in, setting, member).status_code == 302
    signed_in.post(
        f"{setting.member_url(member)}/end",
        data={"csrf_token": token(signed_in, setting.url), "reason": REASON},
    )
    db.expire_all()
    assert db.scalars(select(FlowAgreement)).one().ended_at is not None
    page = signed_in.get(setting.member_url(member)).get_data(as_text=True)
    assert "Record the agreement" not in page and "End the membership now" not in page
    response = add_flow(signed_in, setting, member)
    assert response.status_code == 302  # refused with a message
    assert db.scalar(select(func.count(FlowAgreement.id))) == 1


def test_the_network_page_runs_a_fixed_number_of_queries(
    signed_in: FlaskClient, db: Session, setting: Setting, sql_count: list[str]
) -> None:
    def grow_to(count: int) -> None:
        existing = db.scalar(
            select(func.count(NetworkMember.id)).where(NetworkMember.case_id == setting.case.id)
        )
        for n in range(existing, count):
            if n % 2:
                member = network_service.add_person_member(
                    db,
                    new_gate(),
                    setting.actor,
                    case=setting.case,
                    kind=MemberKind.PEER_EXPERT,
                    name=f"Vertainen {n} (fictional)",
                    contact="0400 (fictional)",
                    role="Vertaistuki",
                    starts_on=TODAY,
                    ends_on=None,
                )
            else:
                org = factories.organisation(db, OrgKind.NGO)
                member = network_service.add_organisation_member(
                    db,
                    new_gate(),
                    setting.actor,
                    case=setting.case,
                    organisation_id=org.id,
                    role="Tuki",
                    starts_on=TODAY,
                    ends_on=None,
                )
            network_service.add_flow(
                db,
                new_gate(),
                setting.actor,
                member=member,
                direction=FlowDirection.BOTH,
                channel=FlowChannel.MEETING,
                subject="Kuulumiset",
                practice="Kerran kuussa",
                agreed_on=TODAY,
                agreed_with_client=True,
            )
        db.commit()

    def queries() -> int:
        sql_count.clear()
        response = signed_in.get(setting.url)
        assert response.status_code == 200
        return len(sql_count)

    grow_to(3)
    with_three = queries()
    grow_to(12)
    with_twelve = queries()
    assert with_twelve == with_three
    page = signed_in.get(setting.url).get_data(as_text=True)
    assert len(re.findall(r'class="member member-', page)) == 12


def test_another_countys_caseworker_gets_404_everywhere(
    client: FlaskClient, db: Session, setting: Setting
) -> None:
    member = network_service.add_organisation_member(
        db,
        new_gate(),
        setting.actor,
        case=setting.case,
        organisation_id=setting.ngo.id,
        role="Tuki",
        starts_on=TODAY,
        ends_on=None,
    )
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    member_url = setting.member_url(member)  # a refused request rolls back: read ids first
    login(client, stranger.username)
    form = {"csrf_token": csrf_token(client, "/caseworker/")}
    assert client.get(setting.url).status_code == 404
    assert client.get(member_url).status_code == 404
    for path in (
        f"{setting.url}/organisations",
        f"{setting.url}/persons",
        f"{member_url}/end",
        f"{member_url}/flows",
        f"{member_url}/confidentiality",
    ):
        assert client.post(path, data=form).status_code == 404, path
    db.expire_all()
    assert only_member(db).ended_at is None


def test_a_member_of_another_clients_network_is_not_found(
    signed_in: FlaskClient, db: Session, setting: Setting
) -> None:
    _, other_case = factories.client(db, setting.county, worker=setting.worker)
    member = network_service.add_organisation_member(
        db,
        new_gate(),
        setting.actor,
        case=other_case,
        organisation_id=setting.ngo.id,
        role="Tuki",
        starts_on=TODAY,
        ends_on=None,
    )
    db.commit()
    member_id, member_url = member.id, setting.member_url(member)  # a 404 rolls back: read first
    assert signed_in.get(member_url).status_code == 404
    response = signed_in.post(
        f"{member_url}/end", data={"csrf_token": token(signed_in, setting.url), "reason": REASON}
    )
    assert response.status_code == 404
    db.expire_all()
    untouched = db.get(NetworkMember, member_id)
    assert untouched is not None and untouched.ended_at is None
