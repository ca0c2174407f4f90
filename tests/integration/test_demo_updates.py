"""The demo world's walk-through of partner updates: the housing service (asuminen.anna) has
an agreed flow to the county and the client's consent to the county obtaining housing news
from it, so it sends a housing offer; Kela has only a county → Kela flow and sends nothing."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app import demo
from app.models import NetworkMember, Organisation
from app.models.partner import PartnerUpdate, PartnerUpdateKind, SharePeriod
from app.security import password_hasher
from consent.base import utcnow
from consent.facts import Direction
from consent.models import Consent
from sharing.keys import Keyring
from tests.conftest import api_token

PROBLEM = "application/problem+json"


def housing_client(db: Session) -> uuid.UUID:
    """A demo client whose network has the housing service with an obtain-consent, and who
    shares something with it now (the demo's ids are random: not every such client does)."""
    now = utcnow()
    client_id = db.scalar(
        select(Consent.client_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .join(Organisation, Organisation.id == NetworkMember.organisation_id)
        .join(
            SharePeriod,
            and_(
                SharePeriod.client_id == Consent.client_id,
                SharePeriod.organisation_id == Organisation.id,
                SharePeriod.starts_at <= now,
                SharePeriod.ends_at > now,
            ),
        )
        .where(Organisation.name == demo.HOUSING, Consent.direction == Direction.OBTAIN)
        .order_by(Consent.client_id)
        .limit(1)
    )
    assert client_id is not None, "the demo's housing service has a client's obtain-consent"
    return client_id


def test_the_demo_housing_partner_sends_a_housing_offer_and_kela_no_free_text(
    client: FlaskClient, db: Session, keyring: Keyring
) -> None:
    assert demo.seed(db, keyring, password_hasher().hash("pw"))
    db.commit()
    client_id = housing_client(db)
    path = f"/api/v1/clients/{client_id}/updates"

    anna = api_token(client, "asuminen.anna")
    sent = client.post(
        path, json={"kind": "housing_offer", "text": "Asunto 1.3. alkaen (fictional)"}, headers=anna
    )
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert sent.json["kind"] == "housing_offer" and sent.json["sections"] == ["housing"]
    # Not about housing: the demo's consent covers only housing.
    refused = client.post(
        path, json={"kind": "benefit_decision", "text": "Myönnetty (fictional)"}, headers=anna
    )
    assert refused.status_code == 422
    assert refused.json["errors"][0]["code"] == "kind_not_covered"

    kela = api_token(client, "kela.kalle")
    refused = client.post(
        path, json={"kind": "other", "text": "Hakemus saapui (fictional)"}, headers=kela
    )
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert [(e["pointer"], e["code"]) for e in refused.json["errors"]] == [
        ("#/kind", "no_flow_agreed")
    ]
    stored = db.scalars(select(PartnerUpdate).where(PartnerUpdate.client_id == client_id)).all()
    assert [u.kind for u in stored] == [PartnerUpdateKind.HOUSING_OFFER]
