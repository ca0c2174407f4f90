"""Contacts with the client: every one recorded with its channel and whether staff assisted.

DOMAIN.md requirement 14: face to face, video, phone, message or letter. A prison
terminal or a phone held by prison staff makes a contact staff-assisted.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, RadioField, SelectChoice, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length

from app.contacts.commands import record_contact
from app.contacts.queries import contact_page
from app.extensions import db_session
from app.models import Role
from app.models.contact import Contact, ContactChannel
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.forms import refusals_shown_on
from consent.facts import Purpose
from consent.status import HELSINKI
from sharing.fields import sealed

CONTACT_CHANNELS = {
    ContactChannel.FACE_TO_FACE: _l("Face to face"),
    ContactChannel.VIDEO: _l("Video"),
    ContactChannel.PHONE: _l("Phone"),
    ContactChannel.MESSAGE: _l("Message"),
    ContactChannel.LETTER: _l("Letter"),
}


@bp.app_template_global()
def contact_channel_label(channel: ContactChannel) -> str:
    return str(CONTACT_CHANNELS[channel])


class ContactForm(FlaskForm):
    occurred_on = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Give the date of the contact."))],
        description=_l("For example 2025-03-31."),
    )
    occurred_time = TimeField(
        _l("Time"),
        validators=[InputRequired(message=_l("Give the time of the contact."))],
        description=_l("For example 14:30."),
    )
    channel = RadioField(
        _l("Channel"),
        choices=[SelectChoice(value, label) for value, label in CONTACT_CHANNELS.items()],
        invalid_choice_message=_l("Choose how the contact was made."),
    )
    staff_assisted = BooleanField(
        _l("Staff-assisted"),
        description=_l(
            "Someone else's staff helped the client take part, for example prison staff "
            "at the terminal or on the phone."
        ),
    )
    note = TextAreaField(
        _l("Short note (optional)"),
        validators=[Length(max=1000, message=_l("The note can be at most 1,000 characters long."))],
        description=_l("What the contact was about, briefly. At most 1,000 characters."),
    )

    def occurred_at(self) -> datetime | None:
        """The moment entered, in Helsinki time, as an aware timestamp (``record_contact``
        refuses one in the future)."""
        if self.occurred_on.data is None or self.occurred_time.data is None:
            return None
        return datetime.combine(self.occurred_on.data, self.occurred_time.data, HELSINKI)


@bp.route("/clients/<uuid:client_id>/contacts", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def contacts(page: ClientPage) -> Response | tuple[str, int]:
    """The contacts, newest first, a page at a time, under the form for adding one."""
    if request.method == "POST":
        form = ContactForm()
        if form.validate_on_submit():
            moment = form.occurred_at()
            assert moment is not None
            with refusals_shown_on(form):
                record_contact(
                    db_session(),
                    gate(),
                    page.actor,
                    page.case,
                    occurred_at=moment,
                    channel=ContactChannel(form.channel.data),
                    staff_assisted=bool(form.staff_assisted.data),
                    note=form.note.data,
                    by_id=current_user.id,
                )
                flash(gettext("Contact recorded."), "info")
                return redirect(url_for("caseworker.contacts", client_id=page.client.id))
        status = 400
    else:
        now = datetime.now(HELSINKI)
        form = ContactForm(
            formdata=None,
            occurred_on=now.date(),
            occurred_time=now.time().replace(second=0, microsecond=0),
        )
        status = 200
    listing = contact_page(db_session(), page.case.id, page=request.args.get("page", 1, type=int))
    notes = (
        gate().read_texts(
            page.actor,
            [sealed(c, Contact.note_ct) for c in listing.rows],
            purpose=Purpose.CASE_WORK,
        )
        if listing.rows
        else []
    )
    return render_template(
        "caseworker/contacts.html",
        page=page,
        form=form,
        listing=listing,
        rows=list(zip(listing.rows, notes, strict=True)),
    ), status
