"""Keyed blind indexes: find a client by name or identity code without storing either in clear.

Names and identity codes are ciphertext (``clients.name_ct``, ``identity_code_ct``), so the
database cannot search them. Instead each client gets rows in ``client_search_index``
holding HMAC-SHA256 digests, under a secret *index key*, of

- the identity code, normalised (trimmed, upper case): kind ``identity_code``, one digest;
- every token of the name, normalised (Unicode NFKC, case-folded, punctuation removed,
  diacritics removed except the Finnish letters å, ä and ö, which stay distinct from a and o),
  and every prefix of a token that is at least three letters long: kind ``name``. So
  "Kal" finds "Kalle", "Jose" finds "José", and "Anna-Liisa" is the two tokens "anna" and
  "liisa". A query token matches when its digest equals one of the stored digests; a query
  of several tokens must match every one of them (AND).

Digests are truncated to 16 bytes (collisions are negligible at any realistic number of
clients) and domain-separated by kind, so an identity-code digest never equals a name digest.

The index key is 32 random bytes, stored only wrapped under the master keyring
(``index_keys``, one row per purpose, created on first use, re-wrapped by
``flask keys rotate``). Without it the digests cannot be recomputed, so a copy of the
database alone does not allow guessing names or identity codes offline (an unkeyed hash of
an identity code could be reversed by trying the few hundred million possible codes). The
key itself is never replaced: a new index key would need every client's plaintext to
rebuild the index, so rotation changes only its wrapping.

Leakage, accepted for the sake of search:

- The digests are deterministic: someone who can read the table sees which clients share a
  name token, a prefix or an identity code (equality), and can count how common each is
  (frequency analysis against common Finnish names), though not what they are.
- Prefix digests reveal the length of each name token (a token of n ≥ 3 letters stores
  n − 2 digests) and so the rough shape of the name.
- The number of rows per client reveals the number of tokens.

These are weaker than the ciphertexts themselves, which reveal nothing but their length;
the table holds no plaintext and nothing reversible without the index key, and a
disposed client's entries are removed with ``remove_client``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
import unicodedata
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from consent.base import Base, utcnow
from sharing.keys import Keyring

DIGEST_BYTES = 16
INDEX_KEY_BYTES = 32
MIN_PREFIX = 3
CLIENT_SEARCH = "client-search"  # the purpose (and name) of the one index key in use
_LABEL = b"tukiverkko/blind-index/v1"
_KEEP = frozenset("åäö")
_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼ`´"), None)
_IDENTITY_SHAPE = re.compile(r"^\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]$")


class IndexKind(enum.StrEnum):
    IDENTITY_CODE = "identity_code"
    NAME = "name"


class IndexKey(Base):
    """The secret key of a blind index, stored only wrapped under a master key."""

    __tablename__ = "index_keys"

    name: Mapped[str] = mapped_column(String(32), unique=True)
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientSearchEntry(Base):
    """One keyed digest of a client's name token (or prefix) or identity code."""

    __tablename__ = "client_search_index"
    __table_args__ = (Index("ix_client_search_index_kind_digest", "kind", "digest"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    digest: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_BYTES))


# -- normalisation (pure) ------------------------------------------------------------------


def normalise_identity_code(code: str) -> str:
    return code.strip().upper()


def looks_like_identity_code(query: str) -> bool:
    """Whether a search query has the shape of an identity code (searched exactly, not as name)."""
    return bool(_IDENTITY_SHAPE.match(normalise_identity_code(query)))


def _fold_letter(char: str) -> str:
    if char in _KEEP:
        return char
    return "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))


def name_tokens(text: str) -> list[str]:
    """The normalised tokens of a name, in order, without duplicates."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    # NFC first so that "a" + combining ring is the one letter "å" that is kept.
    letters = "".join(_fold_letter(c) for c in unicodedata.normalize("NFC", folded))
    cleaned = "".join(c if c.isalnum() else " " for c in letters)
    return list(dict.fromkeys(cleaned.split()))


def name_terms(text: str) -> set[str]:
    """What is indexed for a name: each token and each of its prefixes of three or more letters."""
    terms: set[str] = set()
    for token in name_tokens(text):
        terms.add(token)
        terms.update(token[:n] for n in range(MIN_PREFIX, len(token)))
    return terms


# -- the key -------------------------------------------------------------------------------


def _context(key: IndexKey) -> bytes:
    return f"index-key\x00{key.id}\x00{key.name}".encode()


def _load_key(session: Session, keyring: Keyring) -> bytes | None:
    row = session.scalar(select(IndexKey).where(IndexKey.name == CLIENT_SEARCH))
    if row is None:
        return None
    return keyring.unwrap(row.master_key_id, row.wrapped, _context(row))


def _ensure_key(session: Session, keyring: Keyring) -> bytes:
    """The index key, created (random, wrapped under the active master key) on first use."""
    if (key := _load_key(session, keyring)) is not None:
        return key
    secret = secrets.token_bytes(INDEX_KEY_BYTES)
    row = IndexKey(name=CLIENT_SEARCH, wrapped=b"")
    row.master_key_id, row.wrapped = keyring.wrap(secret, _context(row))
    try:
        with session.begin_nested():  # a concurrent first use may have won the unique name
            session.add(row)
    except IntegrityError:
        if (key := _load_key(session, keyring)) is None:
            raise
        return key
    return secret


def _digest(key: bytes, kind: IndexKind, value: str) -> bytes:
    message = _LABEL + b"\x00" + kind.value.encode() + b"\x00" + value.encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:DIGEST_BYTES]


# -- indexing and searching ----------------------------------------------------------------


def index_client(
    session: Session,
    keyring: Keyring,
    client_id: uuid.UUID,
    name: str | None,
    identity_code: str | None,
) -> int:
    """Replace the client's index entries with digests of ``name`` and ``identity_code``.

    Creates the index key on first use. Returns the number of entries written (flushes).
    """
    key = _ensure_key(session, keyring)
    entries = {(IndexKind.NAME, _digest(key, IndexKind.NAME, t)) for t in name_terms(name or "")}
    if identity_code and identity_code.strip():
        code = normalise_identity_code(identity_code)
        entries.add((IndexKind.IDENTITY_CODE, _digest(key, IndexKind.IDENTITY_CODE, code)))
    session.execute(delete(ClientSearchEntry).where(ClientSearchEntry.client_id == client_id))
    if entries:
        session.execute(
            insert(ClientSearchEntry),
            [
                {"id": uuid.uuid4(), "client_id": client_id, "kind": kind.value, "digest": digest}
                for kind, digest in sorted(entries)
            ],
        )
    session.flush()
    return len(entries)


def remove_client(session: Session, client_id: uuid.UUID) -> None:
    """Delete the client's index entries (when their data is disposed of)."""
    session.execute(delete(ClientSearchEntry).where(ClientSearchEntry.client_id == client_id))


def query_kind(query: str) -> IndexKind:
    """Which index a search query is looked up in."""
    return IndexKind.IDENTITY_CODE if looks_like_identity_code(query) else IndexKind.NAME


def search_digests(keyring: Keyring, session: Session, query: str) -> list[bytes]:
    """The digests a client must all have to match ``query`` (in the index of ``query_kind``).

    An identity code gives one digest; a name one per distinct token. Empty when the query
    has nothing to search for or nothing was ever indexed (then nothing can match).
    """
    if looks_like_identity_code(query):
        values = [normalise_identity_code(query)]
    else:
        values = name_tokens(query)
    if not values:
        return []
    key = _load_key(session, keyring)
    if key is None:
        return []
    kind = query_kind(query)
    return list(dict.fromkeys(_digest(key, kind, value) for value in values))


# -- rotation ------------------------------------------------------------------------------


def rewrap_index_keys(session: Session, keyring: Keyring, limit: int = 200) -> int:
    """Re-wrap up to ``limit`` index keys still under an older master key (flushes)."""
    batch = session.scalars(
        select(IndexKey)
        .where(IndexKey.master_key_id != keyring.active_id)
        .order_by(IndexKey.id)
        .limit(limit)
    ).all()
    for row in batch:
        secret = keyring.unwrap(row.master_key_id, row.wrapped, _context(row))
        row.master_key_id, row.wrapped = keyring.wrap(secret, _context(row))
    session.flush()
    return len(batch)


def wrapped_index_counts(session: Session) -> dict[str, int]:
    """How many index keys each master key wraps."""
    rows = session.execute(
        select(IndexKey.master_key_id, func.count(IndexKey.id)).group_by(IndexKey.master_key_id)
    ).all()
    return {key_id: count for key_id, count in rows}
