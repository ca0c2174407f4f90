"""Tables owned by ``sharing``: wrapped data keys, grantee key pairs and key seals."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class DataKey(Base):
    """A data key, stored only wrapped under a master key.

    ``scope`` is ``client`` for the client's basic data and ``section:<kind>``
    for a plan section. A retired generation still decrypts old ciphertexts;
    a destroyed one (``wrapped`` is NULL) never will again: crypto-shredding.
    """

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("client_id", "scope", "generation"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    scope: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int]
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    destroyed_at: Mapped[datetime | None]


class GranteeKey(Base):
    """An X25519 key pair of a grantee: an organisation, or a person member without an account.

    The private key is stored only wrapped under a master key; seals are encrypted
    to the public key, so only requests acting for this grantee can open them.
    """

    __tablename__ = "grantee_keys"
    __table_args__ = (
        CheckConstraint("(organisation_id IS NULL) != (member_id IS NULL)", name="org_xor_person"),
    )

    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), unique=True
    )
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("network_members.id"), unique=True
    )
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    private_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeySeal(Base):
    """A data key encrypted to one grantee (HPKE) on one basis: a consent or a statutory record.

    A seal exists only while its basis is live; deleting it removes the grantee's
    ability to decrypt, whatever code path asks.
    """

    __tablename__ = "key_seals"
    __table_args__ = (UniqueConstraint("data_key_id", "grantee_key_id", "basis_id"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_keys.id"), index=True)
    grantee_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grantee_keys.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"))
    basis_kind: Mapped[str] = mapped_column(String(20))
    basis_id: Mapped[uuid.UUID]
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SealRecord(Base):
    """The history of one key seal: when it was made and when it was removed.

    A seal row is deleted when its basis ends (``KeySeal``), so this record is what tells,
    later, which grantee held which keys at a past moment (the log review's "who could see
    what"). ``sharing.seal`` writes it in the same flush as the seal itself; a seal without
    a record, or a record whose seal is gone though it was never marked removed, shows a
    change made outside the service. No foreign keys: the record outlives its seal.
    """

    __tablename__ = "key_seal_records"

    seal_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    data_key_id: Mapped[uuid.UUID]
    grantee_key_id: Mapped[uuid.UUID]
    member_id: Mapped[uuid.UUID]
    scope: Mapped[str] = mapped_column(String(64))
    basis_kind: Mapped[str] = mapped_column(String(20))
    basis_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
