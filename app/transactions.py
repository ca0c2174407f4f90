"""One commit per request, at the edge.

Commands flush and never commit; views do not commit either. After the view has answered,
``finish_unit_of_work`` commits everything the request did when the answer is a success
(2xx/3xx), and rolls it back otherwise — keeping the access-log entries of the reads that
did happen, because a refused or failed page must still leave its log rows. CLI commands
commit once at their own end.
"""

from __future__ import annotations

from flask import Flask, Response, g

from app.extensions import db_session
from sharing import access_log


def discard_work() -> None:
    """Roll this request's changes back even though it answers with a redirect.

    For a refusal shown on the next page (flash + redirect): nothing the refused command
    may have flushed is kept, while the log entries of the reads it made are.
    """
    g.discard_work = True


def finish_unit_of_work(response: Response) -> Response:
    """``after_request``: commit a successful request's work, or roll back and keep its log."""
    session = db_session()
    if response.status_code < 400 and not g.get("discard_work"):
        if session.in_transaction():
            session.commit()
        return response
    session.rollback()
    if lost := access_log.lost_in_rollback(session):
        access_log.append(session, lost)
        session.commit()
    return response


def init_app(app: Flask) -> None:
    app.after_request(finish_unit_of_work)
