"""One commit per request, at the edge.

Commands flush and never commit; views do not commit either. After the view has answered,
``finish_unit_of_work`` commits everything the request did when the answer is a success
(2xx/3xx), and rolls it back otherwise — keeping the access-log entries of the reads that
did happen, because a refused or failed page must still leave its log rows. CLI commands
commit once at their own end.

On SQLite, which has one writer, how the request's transaction begins matters too
(``writes_expected``, ``sharing.write_lock``): a request that may change something begins
``IMMEDIATE``, taking the write lock before it reads and holding it to this commit, so its
reads and writes are one serialisable step and it never fails to become the writer. A page
that only reads begins ``DEFERRED`` and reads beside the writer; its access-log entries are
appended under the write lock and committed at once (``sharing.access_log.append``).
"""

from __future__ import annotations

from flask import Flask, Response, has_request_context, request

from app.extensions import db
from sharing import access_log

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing (RFC 9110): the request reads, and logs what it read."""


def writes_expected() -> bool:
    """Whether a transaction beginning now is expected to write: it belongs to a request
    whose method may change state. CLI commands and pages that read begin as readers."""
    return has_request_context() and request.method not in SAFE_METHODS


def finish_unit_of_work(response: Response) -> Response:
    """``after_request``: commit a successful request's work, or roll back and keep its log."""
    session = db.session
    if response.status_code < 400:
        if session().in_transaction():
            session.commit()
        return response
    session.rollback()
    if lost := access_log.lost_in_rollback(session):
        access_log.append(session, lost)
        session.commit()
    return response


def init_app(app: Flask) -> None:
    app.after_request(finish_unit_of_work)
