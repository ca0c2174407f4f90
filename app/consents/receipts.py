"""Consent receipts the client keeps: the Kantara Consent Receipt (v1.1) fields, stored encrypted.

Each change of a consent writes one ``ConsentReceipt`` in the same transaction as the
change (``app/consents/commands.py`` issues it): the client's own (in the portal or through
the API: grant, narrow, extend, revoke) and one a worker records for the client (a consent
given in writing or orally, withdrawn at the client's request), since it is the client's
consent either way and a client without a computer most needs a paper receipt.

The receipt is the client's to keep, so its texts are written once, in the client's
language, when the change is made. This module holds what a receipt says: ``issue_receipt``
gathers the facts of a change into a ``ReceiptDraft`` (codes, names and dates), asks the
edge for its words (``ReceiptWording``, ``app/web/receipts.py``: the translations and the
link to the information text), and ``record_receipt`` stores the JSON that the pure
``build_receipt`` makes of it, sealed by the access gate. ``receipts_page`` lists a
client's receipts, ``case_receipts`` a case's, and ``open_receipts`` decrypts some of them
in one gate call.

Where Kantara's fields do not fit a Finnish social-welfare consent, the receipt says so
in plain values rather than leaving them out: ``piiPrincipalId`` is an opaque id derived
from the client record (never the identity code); ``piiControllers`` names the county
with the client's responsible worker as contact (the app keeps no postal address,
e-mail or phone of a county); the change itself (grant, narrow, extend, revoke), the
period, the consent's id and, for a change a worker recorded, the worker's name
(``recordedBy``) are in a ``tukiverkko`` extension object. ``ReceiptAction`` has no
action of its own for a worker's record: who made the change is said in
``collectionMethod`` and ``recordedBy`` (and the row's ``created_by_id``).

Each receipt also carries the client's access-log chain head at the moment of the change
(``accessLogHead``: the entry number and the first 16 hex digits of its MAC,
``sharing.access_log.fingerprint``). The client keeps it outside Tukiverkko, so
``flask audit verify --receipt-head`` can show that no entry up to it was removed or
rewritten since.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.consents.rules import consent_purpose
from app.consents.texts import LANGUAGES
from app.models import Case, Organisation, ResponsibleWorker, User
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.pagination import ListPage, paginate
from consent.facts import Actor, Direction
from consent.models import Consent, GivenHow
from consent.sections import SectionKind
from consent.status import helsinki_day
from sharing import access_log
from sharing.fields import field_ref, sealed
from sharing.gate import AccessGate

KANTARA_VERSION = "KI-CR-v1.1.0"
JURISDICTION = "FI"
PER_PAGE = 20

# A fixed namespace: the same client always gets the same opaque principal id, and the id
# reveals neither the identity code nor the database key it is derived from.
PRINCIPAL_NAMESPACE = uuid.UUID("6f0d7c1e-3c55-4a55-9a5e-2d0b1c7a9e41")

# Special categories (GDPR Art 9) and criminal-offence data (Art 10) by plan section.
# Every section is social-welfare client data, which Finnish law keeps secret.
SPI_BY_SECTION = {
    SectionKind.HEALTH: "health",
    SectionKind.PROBATIONARY_LIBERTY: "criminal_offences",
    SectionKind.DESISTANCE: "criminal_offences",
}
SOCIAL_WELFARE = "social_welfare"


def principal_id(client_id: uuid.UUID) -> str:
    """The client's opaque id on receipts (stable, not the identity code or the record key)."""
    return str(uuid.uuid5(PRINCIPAL_NAMESPACE, str(client_id)))


def spi_categories(sections: Sequence[SectionKind]) -> list[str]:
    """The sensitive categories a set of plan sections holds, in a stable order."""
    found = {SOCIAL_WELFARE} | {SPI_BY_SECTION[s] for s in sections if s in SPI_BY_SECTION}
    return sorted(found, key=[SOCIAL_WELFARE, "health", "criminal_offences"].index)


@dataclass(frozen=True)
class ReceiptFacts:
    """Everything a receipt says, with every text already in the receipt's language."""

    receipt_id: uuid.UUID
    action: ReceiptAction
    at: datetime
    language: str
    client_id: uuid.UUID
    controller_name: str  # the county
    controller_contact: str  # the responsible worker, or a role when none is appointed
    policy_url: str  # the information text version shown, within the app
    information_text_version: str
    collection_method: str
    service_name: str
    consent_id: uuid.UUID
    previous_consent_id: uuid.UUID | None
    member_label: str
    direction: Direction
    sections: tuple[SectionKind, ...]
    section_labels: tuple[str, ...]
    purpose_text: str
    purpose_category: str
    valid_from: date
    valid_until: date | None
    termination: str
    staff_assisted: bool = False
    recorded_by: str | None = None  # the worker who recorded a change the client asked for
    log_head: tuple[int, str] | None = None  # the client's log chain: seq and MAC fingerprint
    transferred_to: str | None = None  # ended by the case's transfer to this county


def build_receipt(facts: ReceiptFacts) -> dict[str, Any]:
    """The receipt as JSON-ready data: the Kantara v1.1 fields plus a ``tukiverkko`` object."""
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": JURISDICTION,
        "consentTimestamp": int(facts.at.timestamp()),
        "collectionMethod": facts.collection_method,
        "consentReceiptID": str(facts.receipt_id),
        "language": facts.language,
        "piiPrincipalId": principal_id(facts.client_id),
        "piiControllers": [
            {
                "piiController": facts.controller_name,
                "onBehalf": False,
                "contact": facts.controller_contact,
            }
        ],
        "policyUrl": facts.policy_url,
        "services": [
            {
                "service": facts.service_name,
                "purposes": [
                    {
                        "purpose": facts.purpose_text,
                        "purposeCategory": [facts.purpose_category],
                        "consentType": "EXPLICIT",
                        "piiCategory": list(facts.section_labels),
                        "primaryPurpose": True,
                        "termination": facts.termination,
                        "thirdPartyDisclosure": facts.direction is Direction.DISCLOSE,
                        "thirdPartyName": facts.member_label,
                    }
                ],
            }
        ],
        "sensitive": True,
        "spiCat": spi_categories(facts.sections),
        "tukiverkko": {
            "action": facts.action.value,
            "at": facts.at.isoformat(timespec="seconds"),
            "consentId": str(facts.consent_id),
            "replacesConsentId": (
                str(facts.previous_consent_id) if facts.previous_consent_id else None
            ),
            "recipient": facts.member_label,
            "direction": facts.direction.value,
            "sections": [s.value for s in facts.sections],
            "validFrom": facts.valid_from.isoformat(),
            "validUntil": facts.valid_until.isoformat() if facts.valid_until else None,
            "informationTextVersion": facts.information_text_version,
            "staffAssisted": facts.staff_assisted,
            "recordedBy": facts.recorded_by,
            "endedByTransferTo": facts.transferred_to,
            "accessLogHead": (
                {"seq": facts.log_head[0], "fingerprint": facts.log_head[1]}
                if facts.log_head
                else None
            ),
        },
    }


def receipt_json(receipt: dict[str, Any]) -> str:
    """The receipt as the client downloads it: UTF-8 JSON, keys in the order built."""
    return json.dumps(receipt, ensure_ascii=False, indent=2)


def record_receipt(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    facts: ReceiptFacts,
) -> ConsentReceipt:
    """Store the receipt of one change, its JSON sealed by the gate (the client's own data, or
    case work when a worker records the change).

    :raises AccessDenied: when the actor may not write this client's data.
    """
    receipt = ConsentReceipt(
        id=facts.receipt_id,
        client_id=facts.client_id,
        consent_id=facts.consent_id,
        previous_consent_id=facts.previous_consent_id,
        action=facts.action,
        created_at=facts.at,
        created_by_id=actor.user_id,
        assisted_by_id=actor.assisted_by,
        json_ct=b"",
    )
    session.add(receipt)
    receipt.json_ct = gate.write_text(
        actor,
        field_ref(receipt, ConsentReceipt.json_ct),
        receipt_json(build_receipt(facts)),
        purpose=consent_purpose(actor),
    )
    session.flush()
    return receipt


@dataclass(frozen=True)
class ReceiptDraft:
    """What a receipt says before it is put into words: codes, names and days."""

    action: ReceiptAction
    language: str  # the language the receipt is written in
    day: date  # the Finnish calendar day of the change
    given_how: GivenHow
    recorded_by: str | None  # the worker who recorded a change the client asked for
    staff_assisted: bool  # staff helped at the terminal
    responsible_worker: str | None  # None: no responsible worker is appointed
    information_text_version: str
    sections: tuple[SectionKind, ...]
    valid_until: date | None
    transferred_to: str | None = None  # ended by the case's transfer to this county


@dataclass(frozen=True)
class ReceiptWords:
    """The receipt's texts in its language, and the address of the information text."""

    controller_contact: str
    policy_url: str
    collection_method: str
    service_name: str
    section_labels: tuple[str, ...]
    purpose_category: str
    termination: str


class ReceiptWording(Protocol):
    """The edge's words for a receipt (translations and links belong to the web layer)."""

    def fallback_language(self) -> str:
        """The language of a receipt for a client who chose none: the current request's."""
        ...

    def words(self, draft: ReceiptDraft) -> ReceiptWords:
        """The texts ``draft`` says, in ``draft.language``."""
        ...


def receipt_language(session: Session, client_id: uuid.UUID, wording: ReceiptWording) -> str:
    """The language a receipt is written in: the one the client chose for their portal
    account, else (no account, or no choice made) the language of this request."""
    chosen = session.scalar(select(User.locale).where(User.client_id == client_id))
    return chosen if chosen in LANGUAGES else wording.fallback_language()


def issue_receipt(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    action: ReceiptAction,
    consent: Consent,
    previous: Consent | None,
    member_label: str,
    purpose_text: str,
    wording: ReceiptWording,
    at: datetime,
    transferred_from: Organisation | None = None,
) -> ConsentReceipt:
    """Write the receipt of a change, in the client's language, in the change's transaction.

    The actor is the client (the portal and the API give the same receipt for the same
    change) or the worker who recorded a change the client asked for; the receipt then
    names the worker and how the client gave it. ``transferred_from``: a consent that ended
    because the case moved from that county (its controller) to the case's county now.

    :raises AccessDenied: when the actor may not write this client's data.
    """
    recorder = session.get(User, actor.user_id) if actor.client_id is None else None
    county = session.get(Organisation, case.county_id)
    moved_to = county.name if transferred_from is not None and county is not None else None
    county = transferred_from or county
    worker = session.scalar(
        select(User)
        .join(ResponsibleWorker, ResponsibleWorker.worker_id == User.id)
        .where(ResponsibleWorker.case_id == case.id, ResponsibleWorker.ends_on.is_(None))
    )
    draft = ReceiptDraft(
        action=action,
        language=receipt_language(session, case.client_id, wording),
        day=helsinki_day(at),
        given_how=consent.given_how,
        recorded_by=recorder.display_name if recorder else None,  # None: the client's own
        staff_assisted=actor.assisted_by is not None,
        responsible_worker=worker.display_name if worker else None,
        information_text_version=consent.information_text_version,
        sections=tuple(s for s in SectionKind if s.value in consent.sections),
        valid_until=consent.valid_until,
        transferred_to=moved_to,
    )
    words = wording.words(draft)
    head = access_log.head(session, case.client_id)  # this change's own entries included
    facts = ReceiptFacts(
        receipt_id=uuid.uuid4(),
        action=action,
        at=at,
        language=draft.language,
        client_id=case.client_id,
        controller_name=county.name if county else "",
        controller_contact=words.controller_contact,
        policy_url=words.policy_url,
        information_text_version=consent.information_text_version,
        collection_method=words.collection_method,
        service_name=words.service_name,
        consent_id=consent.id,
        previous_consent_id=previous.id if previous else None,
        member_label=member_label,
        direction=consent.direction,
        sections=draft.sections,
        section_labels=words.section_labels,
        purpose_text=purpose_text,
        purpose_category=words.purpose_category,
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        termination=words.termination,
        staff_assisted=draft.staff_assisted,
        recorded_by=draft.recorded_by,
        log_head=(head[0], access_log.fingerprint(head[1])) if head else None,
        transferred_to=moved_to,
    )
    return record_receipt(session, gate, actor, facts)


def receipts_page(
    session: Session, client_id: uuid.UUID, *, page: int = 1, per_page: int = PER_PAGE
) -> ListPage[ConsentReceipt]:
    """One page of the client's receipts, newest first (two queries)."""
    condition = ConsentReceipt.client_id == client_id
    return paginate(
        session,
        select(ConsentReceipt)
        .where(condition)
        .order_by(ConsentReceipt.created_at.desc(), ConsentReceipt.id),
        page=page,
        per_page=per_page,
        count=select(func.count(ConsentReceipt.id)).where(condition),
    ).map(lambda row: row[0])


def receipt_of(
    session: Session, consent_id: uuid.UUID, action: ReceiptAction
) -> ConsentReceipt | None:
    """The latest receipt of this change of a consent (one query; nothing decrypted)."""
    return session.scalar(
        select(ConsentReceipt)
        .where(ConsentReceipt.consent_id == consent_id, ConsentReceipt.action == action)
        .order_by(ConsentReceipt.created_at.desc(), ConsentReceipt.id)
        .limit(1)
    )


def case_receipts(session: Session, case_id: uuid.UUID) -> list[ConsentReceipt]:
    """The receipts of a case's consents, newest first (one query; nothing decrypted)."""
    return list(
        session.scalars(
            select(ConsentReceipt)
            .join(Consent, Consent.id == ConsentReceipt.consent_id)
            .where(Consent.case_id == case_id)
            .order_by(ConsentReceipt.created_at.desc(), ConsentReceipt.id)
        )
    )


def open_receipts(
    gate: AccessGate, actor: Actor, receipts: Sequence[ConsentReceipt]
) -> list[dict[str, Any]]:
    """The receipts' JSON, decrypted in one gate call (logged as the client's own read, or
    as case work when a worker reads them).

    :raises AccessDenied: when the actor may not read them.
    """
    if not receipts:
        return []
    texts = gate.read_texts(
        actor, [sealed(r, ConsentReceipt.json_ct) for r in receipts], purpose=consent_purpose(actor)
    )
    return [json.loads(text) if text else {} for text in texts]
