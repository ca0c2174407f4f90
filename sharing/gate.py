"""The access gate: the one path by which client content is encrypted or decrypted.

Every call runs gather → decide → (only on allow) open the keys → open or seal
the content → append to the access log. County staff, the client and the system
open data keys with the master keyring; partner staff and person grantees can
only open keys sealed to their own grantee key, so a code path that skipped the
decision still could not decrypt for them. A grantee allowed to read who holds no seal yet
(its basis started since it was recorded, and maintenance has not run) gets its client's
seals synced to the live grants in the same transaction, and the keys are opened once more.

A denial ends the unit of work: the gate rolls the session back, commits the
denial's log entry (and re-appends the entries of reads this gate already made
that the rollback discarded), then raises ``AccessDenied``. Call the gate before
changing anything you would not want rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from consent.base import Base, utcnow
from consent.decision import Decision, decide, live_grants
from consent.facts import (
    EVERYTHING,
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    FactsNeeded,
    Membership,
    Purpose,
)
from consent.sections import Scope, scope_key
from sharing import access_log, envelope, keys, seal, write_lock
from sharing.access_log import AccessAction, LogRecord
from sharing.envelope import FieldRef
from sharing.errors import AccessDenied
from sharing.fields import Sealed, field_ref

CaseLoader = Callable[[Session, Sequence[uuid.UUID], FactsNeeded], dict[uuid.UUID, CaseContext]]
"""Gathers the case facts for the given clients in a fixed number of queries (wired by
``app``): the part of them a decision needs (``consent.facts.FactsNeeded``)."""


@dataclass(frozen=True)
class Preview:
    """What one field would show the previewed grantee: its text, or the denial's reason."""

    ref: FieldRef
    decision: Decision
    text: str | None


def _grantee_reads(actor: Actor) -> bool:
    return actor.role in (ActorRole.PARTNER, ActorRole.PERSON)


class AccessGate:
    """Decides, then seals or opens, then logs; one instance per unit of work."""

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
        self, actor: Actor, client_id: uuid.UUID, action: Action, purpose: Purpose, scope: Scope
    ) -> Decision:
        """Decide without touching content; only a denial is logged (reads log themselves).

        :raises AccessDenied: when the decision is a denial.
        """
        at = self._clock()
        decision = self._decide(actor, [client_id], action, purpose, [scope], at)[
            (client_id, scope)
        ]
        if not decision.allowed:
            self._deny(actor, action, purpose, [(client_id, scope, decision)], at)
        return decision

    def record(
        self, actor: Actor, client_id: uuid.UUID, action: Action, purpose: Purpose, scope: Scope
    ) -> Decision:
        """Decide and log either way: an act on the case that opens no content itself (a
        county transfer proposed, answered or withdrawn) leaves its entry like a read does.

        :raises AccessDenied: when the decision is a denial.
        """
        at = self._clock()
        decision = self._decide(actor, [client_id], action, purpose, [scope], at)[
            (client_id, scope)
        ]
        outcome = [(client_id, scope, decision)]
        if not decision.allowed:
            self._deny(actor, action, purpose, outcome, at)
        log_action = AccessAction.WRITE if action is Action.WRITE else AccessAction.READ
        self._log(actor, log_action, purpose, outcome, at)
        return decision

    @overload
    def write_text(self, actor: Actor, ref: FieldRef, value: str, *, purpose: Purpose) -> bytes: ...
    @overload
    def write_text(
        self, actor: Actor, ref: FieldRef, value: str | None, *, purpose: Purpose
    ) -> bytes | None: ...
    def write_text(
        self, actor: Actor, ref: FieldRef, value: str | None, *, purpose: Purpose
    ) -> bytes | None:
        """Encrypt ``value`` for the field at ``ref`` (see ``write_texts``).

        :raises AccessDenied: when the actor may not write this client's data in this scope.
        """
        return self.write_texts(actor, [(ref, value)], purpose=purpose)[0]

    def write_texts(
        self, actor: Actor, fields: Sequence[tuple[FieldRef, str | None]], *, purpose: Purpose
    ) -> list[bytes | None]:
        """Encrypt many values under each scope's current key: one decision and one log entry
        per client and scope, one key lookup per scope. ``None`` stays ``None``.

        :raises AccessDenied: when the actor may not write any of them.
        """
        self._authorise(actor, [ref for ref, _ in fields], Action.WRITE, purpose)
        current: dict[tuple[uuid.UUID, Scope], tuple[uuid.UUID, bytes]] = {}
        for client, scope in dict.fromkeys(
            (r.client_id, r.scope) for r, v in fields if v is not None
        ):
            key_id, key, created = keys.current_data_key(
                self._session, self._keyring, client, scope_key(scope)
            )
            if created:
                self.sync_seals(client)
            current[(client, scope)] = (key_id, key)
        return [
            None
            if value is None
            else envelope.seal(*current[(ref.client_id, ref.scope)], ref, value.encode())
            for ref, value in fields
        ]

    def write_fields(
        self,
        actor: Actor,
        writes: Sequence[tuple[Base, InstrumentedAttribute[Any], str | None]],
        *,
        purpose: Purpose,
    ) -> None:
        """Encrypt each text into its row's column, under the scope the model declares for it
        (``consent.base.encrypted``); see ``write_texts``. ``None`` stores ``None``.

        :raises AccessDenied: when the actor may not write any of them.
        """
        ciphertexts = self.write_texts(
            actor, [(field_ref(row, column), text) for row, column, text in writes], purpose=purpose
        )
        for (row, column, _), ciphertext in zip(writes, ciphertexts, strict=True):
            setattr(row, column.key, ciphertext)

    def read_texts(
        self,
        actor: Actor,
        fields: Sequence[Sealed],
        *,
        purpose: Purpose,
        facts: Sequence[tuple[uuid.UUID, Scope]] = (),
    ) -> list[str | None]:
        """Decrypt many fields of one or many clients: one decision and log entry per client
        and scope, one query for the case facts, one for the keys. ``facts`` names the
        (client, scope) pairs of plain columns the caller reads with them (as ``read_facts``),
        decided and logged in the same entries.

        :raises AccessDenied: when any of them (fields or facts) may not be read.
        """
        pairs = [(ref.client_id, ref.scope) for ref, _ in fields] + list(facts)
        self._authorise_pairs(actor, list(dict.fromkeys(pairs)), Action.READ, purpose)
        return self._open(actor, fields)

    def read_text(
        self, actor: Actor, ref: FieldRef, blob: bytes | None, *, purpose: Purpose
    ) -> str | None:
        """Decrypt one field (see ``read_texts``).

        :raises AccessDenied: when it may not be read.
        """
        return self.read_texts(actor, [(ref, blob)], purpose=purpose)[0]

    def read_facts(
        self, actor: Actor, client_id: uuid.UUID, scopes: Sequence[Scope], *, purpose: Purpose
    ) -> None:
        """Decide and log a read of client data kept in plain columns (a release date, a
        checklist task) under each scope, as ``read_texts`` logs an encrypted field's.

        :raises AccessDenied: when any of them may not be read.
        """
        self._authorise_pairs(
            actor, list(dict.fromkeys((client_id, s) for s in scopes)), Action.READ, purpose
        )

    def preview(
        self,
        actor: Actor,
        as_actor: Actor,
        fields: Sequence[Sealed],
        *,
        purpose: Purpose = Purpose.NETWORK_COOPERATION,
    ) -> list[Preview]:
        """Exactly what ``as_actor`` would see now, opened with their keys; logged as a preview.

        :raises AccessDenied: when ``actor`` may not read these fields themselves.
        """
        at = self._clock()
        pairs = list(dict.fromkeys((ref.client_id, ref.scope) for ref, _ in fields))
        clients = [client for client, _ in pairs]
        scopes = [scope for _, scope in pairs]
        own = Purpose.OWN_DATA if actor.role is ActorRole.CLIENT else Purpose.CASE_WORK
        mine = self._decide(actor, clients, Action.READ, own, scopes, at)
        if denied := [(c, s, mine[(c, s)]) for c, s in pairs if not mine[(c, s)].allowed]:
            self._deny(actor, Action.READ, own, denied, at)
        theirs = self._decide(as_actor, clients, Action.READ, purpose, scopes, at)
        previewed = _describe(as_actor)
        access_log.append(
            self._session,
            [
                self._record(
                    actor, AccessAction.PREVIEW, purpose, c, s, theirs[(c, s)], at, previewed
                )
                for c, s in pairs
            ],
        )
        shown = [
            i for i, (ref, _) in enumerate(fields) if theirs[(ref.client_id, ref.scope)].allowed
        ]
        texts = dict(zip(shown, self._open(as_actor, [fields[i] for i in shown]), strict=True))
        return [
            Preview(ref, theirs[(ref.client_id, ref.scope)], texts.get(i))
            for i, (ref, _) in enumerate(fields)
        ]

    def sync_seals(self, client_id: uuid.UUID) -> seal.SealSync:
        """Make the client's key seals match the live consents and statutory disclosures now
        (the gate's clock, which the seals' records name as the instant of the change)."""
        at = self._clock()
        case = self._load_cases(self._session, [client_id], EVERYTHING).get(client_id)
        if case is None:
            return seal.sync_seals(self._session, self._keyring, client_id, [], at)
        members: dict[uuid.UUID, Membership] = {m.id: m for m in case.memberships}
        targets = [
            seal.SealTarget(
                member_id=grant.member_id,
                organisation_id=members[grant.member_id].organisation_id,
                scope=scope_key(grant.scope),
                basis_kind=grant.basis_kind.value,
                basis_id=grant.basis_id,
            )
            for grant in live_grants(case, at)
        ]
        return seal.sync_seals(self._session, self._keyring, client_id, targets, at)

    # -- internals -------------------------------------------------------------------------

    def _authorise(
        self, actor: Actor, refs: Sequence[FieldRef], action: Action, purpose: Purpose
    ) -> list[tuple[uuid.UUID, Scope]]:
        """Decide each (client, scope) once; deny (ending the unit of work) or log the access.

        :raises AccessDenied: when any of them is denied.
        """
        pairs = list(dict.fromkeys((ref.client_id, ref.scope) for ref in refs))
        self._authorise_pairs(actor, pairs, action, purpose)
        return pairs

    def _authorise_pairs(
        self,
        actor: Actor,
        pairs: Sequence[tuple[uuid.UUID, Scope]],
        action: Action,
        purpose: Purpose,
    ) -> None:
        at = self._clock()
        decisions = self._decide(
            actor,
            [client for client, _ in pairs],
            action,
            purpose,
            [scope for _, scope in pairs],
            at,
        )
        outcomes = [(client, scope, decisions[(client, scope)]) for client, scope in pairs]
        if denied := [o for o in outcomes if not o[2].allowed]:
            self._deny(actor, action, purpose, denied, at)
        log_action = AccessAction.WRITE if action is Action.WRITE else AccessAction.READ
        self._log(actor, log_action, purpose, outcomes, at)

    def _decide(
        self,
        actor: Actor,
        clients: Sequence[uuid.UUID],
        action: Action,
        purpose: Purpose,
        scopes: Sequence[Scope],
        at: datetime,
    ) -> dict[tuple[uuid.UUID, Scope], Decision]:
        cases = self._load_cases(
            self._session, list(dict.fromkeys(clients)), FactsNeeded.of(actor, purpose)
        )
        return {
            (client, scope): decide(
                AccessRequest(actor, client, action, purpose, at, scope), cases.get(client)
            )
            for client, scope in zip(clients, scopes, strict=True)
        }

    def _open(self, actor: Actor, fields: Sequence[Sealed]) -> list[str | None]:
        """Open the fields' keys (after the decision allowed and logged the read) and decrypt.

        A grantee opens only keys sealed to it. A basis that became live by the passage of
        time (a consent or disclosure whose first day has come, a membership that has
        started) is sealed by maintenance; a read that comes first finds no seal, so the gate
        makes the clients' seals match their live grants now (``sync_seals``: nothing a
        live grant does not name) and opens once more.
        """
        key_ids = {envelope.key_id_of(blob) for _, blob in fields if blob is not None}
        if _grantee_reads(actor):
            try:
                data_keys = self._open_as_grantee(actor, key_ids)
            except seal.NoSeal as unsealed:
                self._seal_late(
                    {
                        ref.client_id
                        for ref, blob in fields
                        if blob is not None and envelope.key_id_of(blob) in unsealed.missing
                    }
                )
                data_keys = self._open_as_grantee(actor, key_ids)
        else:
            data_keys = keys.data_keys_by_id(self._session, self._keyring, key_ids)
        return [
            None
            if blob is None
            else envelope.open_sealed(data_keys[envelope.key_id_of(blob)], ref, blob).decode()
            for ref, blob in fields
        ]

    def _open_as_grantee(self, actor: Actor, key_ids: set[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        return seal.open_as_grantee(
            self._session,
            self._keyring,
            organisation_id=actor.organisation_id if actor.role is ActorRole.PARTNER else None,
            member_id=actor.member_id if actor.role is ActorRole.PERSON else None,
            data_key_ids=list(key_ids),
        )

    def _seal_late(self, clients: set[uuid.UUID]) -> None:
        """Sync the seals of clients a grantee was allowed to read but holds no keys of.

        Concurrent first reads of one client do not both seal: the read's log entry took
        the client's chain lock (PostgreSQL: an advisory lock held to the end of the
        transaction, which maintenance takes too before it syncs, ``access_log.lock_chains``;
        SQLite: the one write lock, taken here again for a transaction that has only read),
        so the second sees the first's seals and has nothing to make. Grantee key pairs are
        per organisation, not per client: two first reads of different clients may both
        make the organisation's, and the unique key refuses the later one; its savepoint is
        rolled back and the sync runs once more with the key the other committed.
        """
        connection = self._session.connection()
        took = write_lock.take(connection)
        for attempt in (1, 2):
            try:
                with self._session.begin_nested():
                    for client_id in sorted(clients):
                        self.sync_seals(client_id)
                break
            except IntegrityError:
                # The grantee's key pair, made at the same moment for another client's
                # first read, committed first: the second attempt finds it.
                if attempt == 2:
                    raise
        if took:
            write_lock.give_back(connection)

    def _record(
        self,
        actor: Actor,
        action: AccessAction,
        purpose: Purpose,
        client_id: uuid.UUID,
        scope: Scope,
        decision: Decision,
        at: datetime,
        previewed_as: str | None = None,
    ) -> LogRecord:
        return LogRecord(
            client_id=client_id,
            at=at,
            actor_user_id=actor.user_id,
            actor_role=actor.role.value,
            organisation_id=actor.organisation_id,
            member_id=actor.member_id,
            assisted_by_user_id=actor.assisted_by,
            action=action,
            allowed=decision.allowed,
            reason=decision.reason.value,
            scope=scope_key(scope),
            purpose=purpose.value,
            basis_kind=decision.basis_kind.value if decision.basis_kind else None,
            basis_id=decision.basis_id,
            previewed_as=previewed_as,
        )

    def _log(
        self,
        actor: Actor,
        action: AccessAction,
        purpose: Purpose,
        outcomes: Sequence[tuple[uuid.UUID, Scope, Decision]],
        at: datetime,
    ) -> None:
        access_log.append(
            self._session,
            [self._record(actor, action, purpose, c, s, d, at) for c, s, d in outcomes],
        )

    def _deny(
        self,
        actor: Actor,
        action: Action,
        purpose: Purpose,
        outcomes: Sequence[tuple[uuid.UUID, Scope, Decision]],
        at: datetime,
    ) -> None:
        self._session.rollback()
        lost = access_log.lost_in_rollback(self._session)
        log_action = AccessAction.WRITE if action is Action.WRITE else AccessAction.READ
        denials = [self._record(actor, log_action, purpose, c, s, d, at) for c, s, d in outcomes]
        access_log.append(self._session, [*lost, *denials])
        self._session.commit()
        raise AccessDenied(outcomes[0][2].reason.value)


def _describe(actor: Actor) -> str:
    if actor.role is ActorRole.PERSON:
        return f"member:{actor.member_id}"
    return f"organisation:{actor.organisation_id}"
