"""One commit per request, at the edge; and the few writes that outlast a refused request.

Commands flush and never commit; views do not commit either. After the view has answered,
``finish_unit_of_work`` commits everything the request did when the answer is a success
(2xx/3xx), and rolls it back otherwise — keeping the access-log entries of the reads that
did happen, because a refused or failed page must still leave its log rows. CLI commands
commit once at their own end.

Some bookkeeping must outlast a refusal too: a wrong password or code still counts although
the answer is 401 or 400. The command writes it with ``execute_kept`` (views never commit);
a rollback that undoes it (the edge's, or one on the way, such as the gate's on a denial)
leaves the statement to be executed again, and the edge executes it and commits. A code's
count is ``failed_attempts + 1`` in SQL, so executing it again after the rollback counts
once, even when parallel wrong guesses were counted in between.

On SQLite, which has one writer, how the request's transaction begins matters too
(``app.writes_expected``, ``sharing.write_lock``): a request that may change something begins
``IMMEDIATE``, taking the write lock before it reads and holding it to this commit, so its
reads and writes are one serialisable step and it never fails to become the writer. A page
that only reads begins ``DEFERRED`` and reads beside the writer; its access-log entries are
appended under the write lock and committed at once (``sharing.access_log.append``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable

from sharing import access_log

if TYPE_CHECKING:
    from flask import Flask, Response
    from flask_sqlalchemy import SQLAlchemy

_PENDING = "tukiverkko.transactions.kept"  # executed in the transaction under way
_UNDONE = "tukiverkko.transactions.undone"  # undone by a rollback: to be executed again
_DISCARD = "tukiverkko.transactions.discard"  # this request's changes are not to be committed


def execute_kept(session: Session, statement: Executable) -> Result[Any]:
    """Execute ``statement`` now, and keep its effect even when the request is refused.

    For bookkeeping that a refusal must not undo, such as counting a wrong code. Should
    the transaction (or the SAVEPOINT it ran in) roll back, the edge executes ``statement``
    again and commits it, so write it to be right whenever it runs: where parallel requests
    count too, count in SQL (``failed_attempts + 1``, not ``3``).
    """
    result = session.execute(statement)
    within = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((within, statement))
    return result


def redo_undone(session: Session) -> int:
    """Execute again the kept statements that a rollback undid; how many there were."""
    undone: list[Executable] = session.info.pop(_UNDONE, [])
    for statement in undone:
        session.execute(statement)
    return len(undone)


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    if not session.in_nested_transaction():  # a released SAVEPOINT is not committed yet
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_soft_rollback")
def _note_undone(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[tuple[SessionTransaction | None, Executable]] = session.info.get(_PENDING, [])
    undone = [statement for within, statement in pending if _inside(within, previous_transaction)]
    if undone:
        session.info[_PENDING] = [
            (within, statement)
            for within, statement in pending
            if not _inside(within, previous_transaction)
        ]
        session.info.setdefault(_UNDONE, []).extend(undone)


def discard_work(session: Session) -> None:
    """Roll this request's changes back even though it answers with a redirect.

    For a refusal shown on the next page (flash + redirect): nothing the refused command
    may have flushed is kept, while its log entries and kept writes are.
    """
    session.info[_DISCARD] = True


def finish(session: Session, *, succeeded: bool) -> None:
    """Commit a request's work, or roll it back keeping its log entries and kept writes."""
    if succeeded and not session.info.pop(_DISCARD, False):
        redo_undone(session)
        if session.in_transaction():
            session.commit()
        return
    session.info.pop(_DISCARD, None)
    session.rollback()
    redone = redo_undone(session)
    if lost := access_log.lost_in_rollback(session):
        access_log.append(session, lost)
    if redone or lost:
        session.commit()


def init_app(app: Flask) -> None:
    database: SQLAlchemy = app.extensions["sqlalchemy"]

    @app.after_request
    def finish_unit_of_work(response: Response) -> Response:
        """Commit a successful request's work, or roll back and keep what must be kept."""
        finish(database.session(), succeeded=response.status_code < 400)
        return response
