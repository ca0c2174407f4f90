"""A client's network, plan and consents as FHIR R4, for the county's client-information systems.

Tukiverkko coordinates; it is not the record of authority. The export carries only what
the caller may see (``app.fhir.export``), read through the gate like any page.
"""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields

from app.api import bp
from app.api.access import reach
from app.api.schemas import Strict
from app.api.spec import operation
from app.extensions import db_session
from app.fhir.export import export_bundle
from app.models import Role
from app.public_url import public_base
from app.security import gate

MEDIA_TYPE = "application/fhir+json"


class FhirBundle(Strict):
    """A FHIR R4 Bundle of type ``collection`` (see hl7.org/fhir/R4/bundle.html)."""

    resourceType = fields.String(required=True, metadata={"enum": ["Bundle"]})
    id = fields.String(required=True)
    meta = fields.Dict(required=True)
    type = fields.String(required=True, metadata={"enum": ["collection"]})
    timestamp = fields.String(required=True)
    entry = fields.List(fields.Dict(), required=True)


@operation(
    bp,
    "/clients/<uuid:client_id>/fhir",
    "GET",
    summary="The client's network, plan and consents as a FHIR R4 Bundle",
    tag="FHIR",
    roles=(Role.CASEWORKER, Role.CLIENT, Role.PARTNER),
    response=FhirBundle,
    statuses=(404,),
    media_type=MEDIA_TYPE,
)
def fhir_export(client_id: uuid.UUID) -> dict[str, Any]:
    """Patient, CareTeam (Organization, RelatedPerson and Practitioner participants),
    CarePlan with a Goal per section, and a Consent per consent with a provision per
    section. Partner staff get only the sections shared with their organisation now
    and the consents that are their basis; statutory disclosures are never exported."""
    found = reach(client_id)
    return export_bundle(
        db_session(),
        gate(),
        found.actor,
        found.client,
        found.case,
        purpose=found.purpose,
        base_url=public_base(),
    )
