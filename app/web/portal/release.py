""" "Before you leave prison": the client's own release-day checklist, in plain words.

The same items the worker keeps (``app.release.queries.items``), read as the client with
``Purpose.OWN_DATA``: a task the worker wrote in their own words and a close person's name
are opened in one batched gate read. Removed items are not shown.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from app.extensions import db_session
from app.models import NetworkMember, Role
from app.models.release import ChecklistItem, ItemState
from app.release.queries import items
from app.release.rules import release_day
from app.security import allow, gate
from app.web.portal import bp
from app.web.portal.views import own_page
from consent.facts import Purpose
from sharing.fields import sealed

# Plain words for the client: what the state of a task means for them.
MY_STATES = {
    ItemState.OPEN: _l("Still to do"),
    ItemState.DONE: _l("Done"),
    ItemState.NOT_NEEDED: _l("You do not need this"),
    ItemState.NOT_POSSIBLE: _l("Could not be done. Your worker will look for another way."),
}


@bp.app_template_global()
def my_task_state_label(state: ItemState) -> str:
    return str(MY_STATES[state])


@bp.route("/release")
@allow(Role.CLIENT)
def release() -> str:
    page = own_page()
    shown = [i for i in items(db_session(), page.case.id) if i.removed_at is None]
    people = {
        i.responsible_member.id: i.responsible_member
        for i in shown
        if i.responsible_member is not None and i.responsible_member.organisation is None
    }
    refs = [sealed(i, ChecklistItem.title_ct) for i in shown if i.task is None]
    refs += [sealed(m, NetworkMember.person_name_ct) for m in people.values()]
    texts = iter(gate().read_texts(page.actor, refs, purpose=Purpose.OWN_DATA) if refs else [])
    titles = {i.id: next(texts) or "" for i in shown if i.task is None}
    names = {member_id: next(texts) or "" for member_id in people}
    return render_template(
        "portal/release.html",
        case=page.case,
        day=release_day(page.case.conditional_release, page.case.probation_start),
        items=shown,
        titles=titles,
        names=names,
    )
