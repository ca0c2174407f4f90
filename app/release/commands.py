"""Changing the release-day checklist: generating it from the dates, and tailoring it.

The checklist's rules (``app.release.rules``) derive the tasks and their due dates from the
case's key dates. A new item goes to whoever the client plan names responsible for its area
(the plan section's current version), else — for probationary-liberty planning — to the
probation office in the network, else to the responsible worker.

Generation is idempotent: a task already on the checklist is never added again (removed
or not), a finished one is left as it is, and an open one gets its derived dates again
unless the worker set its due date by hand.

Commands take a Session, flush and never commit; they raise typed refusals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, MemberKind
from app.models.release import ChecklistItem, ItemState
from app.refusals import N_, Conflict, Refused
from app.release.queries import Candidates, candidates, plan_responsibles
from app.release.rules import Responsible, default_responsible, planned_tasks
from consent.base import utcnow
from consent.facts import Actor, Purpose
from sharing.fields import field_ref
from sharing.gate import AccessGate


class NotAResponsible(Refused):
    """Raised when the chosen responsible is not an active member or a worker of the case."""

    code = "not_a_responsible"
    field = "responsible"
    message = N_("Choose one of the people or members listed.")


class ItemFinished(Conflict):
    """Raised when an item's state does not allow the change (done, not needed, removed,
    or already open or back on the list): it changed after the page was shown."""

    code = "item_finished"
    message = N_("The item has changed in the meantime: check its state and try again.")


@dataclass(frozen=True)
class Generated:
    added: int
    updated: int


def generate(session: Session, case: Case, by_id: uuid.UUID | None, now: datetime) -> Generated:
    """Add the tasks the case's dates call for that are not on the checklist yet, and give
    open generated items their derived dates again (unless set by hand).

    A new item's responsible comes from ``default_responsible``: the plan, the probation
    office, or the responsible worker.
    """
    existing = {
        item.task: item
        for item in session.scalars(
            select(ChecklistItem).where(
                ChecklistItem.case_id == case.id, ChecklistItem.task.is_not(None)
            )
        )
    }
    people = candidates(session, case, now)
    in_network = {m.id for m in people.members}
    plan = {
        kind: [m for m in members if m in in_network]
        for kind, members in plan_responsibles(session, case.id).items()
    }
    probation = next((m.id for m in people.members if m.kind is MemberKind.PROBATION), None)
    added = updated = 0
    for planned in planned_tasks(case.conditional_release, case.probation_start):
        item = existing.get(planned.task)
        if item is None:
            who = default_responsible(planned.task, plan, probation, people.responsible_worker_id)
            session.add(
                ChecklistItem(
                    case_id=case.id,
                    client_id=case.client_id,
                    task=planned.task,
                    due_on=planned.due_on,
                    opens_on=planned.opens_on,
                    responsible_member_id=who.member_id,
                    responsible_user_id=who.user_id,
                    added_at=now,
                    added_by_id=by_id,
                )
            )
            added += 1
        elif (
            item.state is ItemState.OPEN
            and item.removed_at is None
            and not item.due_set_by_hand
            and (item.due_on, item.opens_on) != (planned.due_on, planned.opens_on)
        ):
            item.due_on, item.opens_on = planned.due_on, planned.opens_on
            _touch(item, by_id, now)
            updated += 1
    session.flush()
    return Generated(added, updated)


def add_custom(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    people: Candidates,
    *,
    title: str,
    due_on: date | None,
    responsible: Responsible,
    note: str | None,
    by_id: uuid.UUID | None,
) -> ChecklistItem:
    """Add an item of the worker's own; its title and note are encrypted.

    :raises NotAResponsible: when ``responsible`` is not among ``people``.
    """
    if not people.allows(responsible):
        raise NotAResponsible()
    item = ChecklistItem(
        case_id=case.id,
        client_id=case.client_id,
        due_on=due_on,
        due_set_by_hand=due_on is not None,
        responsible_member_id=responsible.member_id,
        responsible_user_id=responsible.user_id,
        added_at=utcnow(),
        added_by_id=by_id,
    )
    item.title_ct, item.note_ct = gate.write_texts(
        actor,
        [
            (field_ref(item, ChecklistItem.title_ct), title.strip()),
            (field_ref(item, ChecklistItem.note_ct), _text(note)),
        ],
        purpose=Purpose.CASE_WORK,
    )
    session.add(item)
    session.flush()
    return item


def update(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    item: ChecklistItem,
    people: Candidates,
    *,
    due_on: date | None,
    responsible: Responsible,
    note: str | None,
    title: str | None,
    by_id: uuid.UUID | None,
) -> None:
    """Change an item's due date, responsible, note and (a custom item's) title.

    The item's current responsible may stay even if their membership has since ended.

    :raises ItemFinished: when the item is removed.
    :raises NotAResponsible: when ``responsible`` is someone else not among ``people``.
    """
    if item.removed_at is not None:
        raise ItemFinished()
    if responsible != Responsible.of(item) and not people.allows(responsible):
        raise NotAResponsible()
    if due_on != item.due_on:
        item.due_on = due_on
        item.due_set_by_hand = True
    item.responsible_member_id = responsible.member_id
    item.responsible_user_id = responsible.user_id
    refs = [(field_ref(item, ChecklistItem.note_ct), _text(note))]
    if item.task is None and title is not None:
        refs.append((field_ref(item, ChecklistItem.title_ct), title.strip()))
    sealed = gate.write_texts(actor, refs, purpose=Purpose.CASE_WORK)
    item.note_ct = sealed[0]
    if len(sealed) > 1:
        item.title_ct = sealed[1]
    _touch(item, by_id, utcnow())
    session.flush()


def mark_done(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Record that the item is done, by whom and when.

    :raises ItemFinished: when it is not open.
    """
    _finish(item, ItemState.DONE, by_id)
    item.not_needed_reason_ct = None
    session.flush()


def record_report(
    session: Session, item: ChecklistItem, state: ItemState, by_id: uuid.UUID | None
) -> None:
    """Record the responsible member's report that the item is done or cannot be done
    (``app.partner_work.commands.report_task`` checks who may report).

    :raises ItemFinished: when it is not open.
    """
    if state not in (ItemState.DONE, ItemState.NOT_POSSIBLE):
        raise ValueError(f"a report says done or not possible, not {state}")
    _finish(item, state, by_id)
    session.flush()


def mark_not_needed(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    item: ChecklistItem,
    reason: str,
    by_id: uuid.UUID | None,
) -> None:
    """Record that the client does not need the item, with a short (encrypted) reason.

    :raises ItemFinished: when it is not open.
    """
    _finish(item, ItemState.NOT_NEEDED, by_id)
    item.not_needed_reason_ct = gate.write_text(
        actor,
        field_ref(item, ChecklistItem.not_needed_reason_ct),
        reason.strip(),
        purpose=Purpose.CASE_WORK,
    )
    session.flush()


def reopen(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Open a done or not-needed item again (the change is attributed; the reason goes).

    :raises ItemFinished: when the item is removed or already open.
    """
    if item.removed_at is not None or item.state is ItemState.OPEN:
        raise ItemFinished()
    item.state = ItemState.OPEN
    item.not_needed_reason_ct = None
    item.state_changed_at = item.state_changed_by_id = None
    _touch(item, by_id, utcnow())
    session.flush()


def remove(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Take an item off the checklist; it is kept as removed and generation skips it.

    :raises ItemFinished: when it is removed already.
    """
    if item.removed_at is not None:
        raise ItemFinished()
    item.removed_at = utcnow()
    item.removed_by_id = by_id
    session.flush()


def restore(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Put a removed item back on the checklist.

    :raises ItemFinished: when it is not removed.
    """
    if item.removed_at is None:
        raise ItemFinished()
    item.removed_at = item.removed_by_id = None
    _touch(item, by_id, utcnow())
    session.flush()


def _finish(item: ChecklistItem, state: ItemState, by_id: uuid.UUID | None) -> None:
    if item.removed_at is not None or item.state is not ItemState.OPEN:
        raise ItemFinished()
    now = utcnow()
    item.state = state
    item.state_changed_at = now
    item.state_changed_by_id = by_id
    _touch(item, by_id, now)


def _touch(item: ChecklistItem, by_id: uuid.UUID | None, now: datetime) -> None:
    item.updated_at = now
    item.updated_by_id = by_id


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None
