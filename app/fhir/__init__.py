"""FHIR R4 export of a client's network, plan and consents, as the caller may see them."""
