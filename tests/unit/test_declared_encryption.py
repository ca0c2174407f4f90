"""Declared encryption: the model says which scope a ciphertext column is sealed under.

No call site names a column by string or passes a scope: ``sharing.fields.field_ref`` reads
the declaration from the column attribute, and refuses anything that is not one.
"""

from __future__ import annotations

import uuid

import pytest

import app.models  # noqa: F401  (every model registered)
from app.models import Client, NetworkMember, PlanSectionVersion
from consent.base import ENCRYPTED, Base
from consent.models import Consent
from consent.sections import DataScope, SectionKind
from sharing.fields import declaration, field_ref, sealed


def test_a_client_row_is_its_own_client_and_its_name_is_under_the_name_scope() -> None:
    client = Client(county_id=uuid.uuid4(), name_ct=b"x")
    ref = field_ref(client, Client.name_ct)
    assert (ref.table, ref.column, ref.row_id, ref.client_id, ref.scope) == (
        "clients",
        "name_ct",
        client.id,
        client.id,
        DataScope.NAME,
    )
    assert field_ref(client, Client.identity_code_ct).scope is DataScope.BASIC


def test_a_plan_section_version_is_sealed_under_its_own_section() -> None:
    version = PlanSectionVersion(
        section_id=uuid.uuid4(), client_id=uuid.uuid4(), version=1, kind=SectionKind.HEALTH
    )
    ref = field_ref(version, PlanSectionVersion.content_ct)
    assert ref.scope is SectionKind.HEALTH and ref.client_id == version.client_id


def test_sealed_pairs_the_reference_with_the_ciphertext_the_row_holds() -> None:
    member = NetworkMember(client_id=uuid.uuid4(), person_name_ct=b"ciphertext")
    ref, blob = sealed(member, NetworkMember.person_name_ct)
    assert blob == b"ciphertext" and ref.column == "person_name_ct"


def test_a_column_that_is_not_declared_encrypted_is_refused() -> None:
    client = Client(county_id=uuid.uuid4(), name_ct=b"x")
    with pytest.raises(TypeError, match="not an encrypted column"):
        field_ref(client, Client.county_id)


def test_a_column_of_another_model_is_refused() -> None:
    client = Client(county_id=uuid.uuid4(), name_ct=b"x")
    with pytest.raises(TypeError, match="not a column of Client"):
        field_ref(client, NetworkMember.person_name_ct)


def test_every_ciphertext_column_is_declared_and_every_declaration_is_binary() -> None:
    """A ``*_ct`` column without a declaration could be sealed under a wrong scope."""
    undeclared = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if column.name.endswith("_ct") and ENCRYPTED not in column.info:
                undeclared.append(f"{table.name}.{column.name}")
            if ENCRYPTED in column.info:
                assert column.type.python_type is bytes, column
    assert undeclared == []
    assert declaration(Consent.purpose_text_ct).scope is DataScope.BASIC
