"""The access gate: the one path by which client content is encrypted or decrypted.

Every call runs gather → decide → (only on allow) unwrap and open or seal.
A denied request raises ``AccessDenied``. Nothing else in the code base calls
``sharing.envelope`` or unwraps data keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from consent.base import utcnow
from consent.decision import (
    AccessRequest,
    Action,
    Actor,
    CaseContext,
    Decision,
    Purpose,
    decide,
)
from consent.sections import SectionKind
from sharing import envelope, keys
from sharing.envelope import FieldRef
from sharing.errors import AccessDenied

CaseLoader = Callable[[Session, Sequence[uuid.UUID]], dict[uuid.UUID, CaseContext]]
"""Gathers the case facts for the given clients in one query (wired by ``app``)."""


def _scope(section: SectionKind | None) -> str:
    return "client" if section is None else f"section:{section.value}"


class AccessGate:
    """Decides, then seals or opens; one instance per unit of work (a request, a command)."""

    def __init__(
        self,
        session: Session,
        keyring: keys.Keyring,
        load_cases: CaseLoader,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._session = session
        self._keyring = keyring
        self._load_cases = load_cases
        self._clock = clock

    def check(
        self,
        actor: Actor,
        client_id: uuid.UUID,
        action: Action,
        purpose: Purpose,
        section: SectionKind | None = None,
    ) -> Decision:
        """Decide without touching content.

        :raises AccessDenied: when the decision is a denial.
        """
        return self._decide_many(actor, [client_id], action, purpose, section)[client_id]

    def write_text(
        self,
        actor: Actor,
        ref: FieldRef,
        value: str | None,
        *,
        purpose: Purpose,
        section: SectionKind | None = None,
    ) -> bytes | None:
        """Encrypt ``value`` for the field at ``ref``; ``None`` stays ``None``.

        :raises AccessDenied: when the actor may not write this client's data.
        """
        self.check(actor, ref.client_id, Action.WRITE, purpose, section)
        if value is None:
            return None
        key_id, key = keys.current_data_key(
            self._session, self._keyring, ref.client_id, _scope(section)
        )
        return envelope.seal(key_id, key, ref, value.encode())

    def read_text(
        self,
        actor: Actor,
        ref: FieldRef,
        blob: bytes | None,
        *,
        purpose: Purpose,
        section: SectionKind | None = None,
    ) -> str | None:
        """Decrypt one field.

        :raises AccessDenied: when the actor may not read it.
        """
        return self.read_texts(actor, [(ref, blob)], purpose=purpose, section=section)[0]

    def read_texts(
        self,
        actor: Actor,
        fields: Sequence[tuple[FieldRef, bytes | None]],
        *,
        purpose: Purpose,
        section: SectionKind | None = None,
    ) -> list[str | None]:
        """Decrypt many fields (of one or many clients) with one case query and one key query.

        :raises AccessDenied: when any of the clients may not be read.
        """
        client_ids = list(dict.fromkeys(ref.client_id for ref, _ in fields))
        self._decide_many(actor, client_ids, Action.READ, purpose, section)
        key_ids = {envelope.key_id_of(blob) for _, blob in fields if blob is not None}
        data_keys = keys.data_keys_by_id(self._session, self._keyring, key_ids)
        return [
            None
            if blob is None
            else envelope.open_sealed(data_keys[envelope.key_id_of(blob)], ref, blob).decode()
            for ref, blob in fields
        ]

    def _decide_many(
        self,
        actor: Actor,
        client_ids: Sequence[uuid.UUID],
        action: Action,
        purpose: Purpose,
        section: SectionKind | None,
    ) -> dict[uuid.UUID, Decision]:
        cases = self._load_cases(self._session, client_ids)
        at = self._clock()
        decisions = {}
        for client_id in client_ids:
            request = AccessRequest(actor, client_id, action, purpose, at, section)
            decision = decide(request, cases.get(client_id))
            if not decision.allowed:
                raise AccessDenied(decision.reason.value)
            decisions[client_id] = decision
        return decisions
