"""Forms of the administration pages: organisations and staff accounts."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.activation.rules import USERNAME_PATTERN
from app.labels import ORG_KINDS, ROLES
from app.models import Organisation, OrgKind, Role

SPANS_COUNTIES = ""  # the county choice of an organisation that spans counties
NO_ORGANISATION = ""  # an administrator of the whole service


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """A button with CSRF protection and nothing else."""


class OrganisationSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing

    q = StringField(_l("Name or business id"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _l("All kinds"))] + [
            (k.value, label) for k, label in ORG_KINDS.items()
        ]
        self.state.choices = [
            ("", _l("All")),
            ("active", _l("Active")),
            ("inactive", _l("Inactive")),
        ]


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Type the organisation's name.")), Length(max=200)],
        filters=[_strip],
    )
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    authority = BooleanField(
        _l("An authority"),
        description=_l(
            "Authorities may receive statutory disclosures. A county, a prison and a probation "
            "office always are; an NGO and a peer-support organisation never are."
        ),
    )
    county_id = SelectField(
        _l("County"),
        description=_l(
            "A local organisation belongs to one county; Kela or a national NGO spans counties."
        ),
        validators=[Optional()],
    )
    business_id = StringField(
        _l("Business id (Y-tunnus)"),
        description=_l("For example 0109862-8. Its last digit is checked."),
        validators=[Optional(), Length(max=20)],
        filters=[_strip],
    )
    municipality = StringField(
        _l("Municipality"), validators=[Optional(), Length(max=100)], filters=[_strip]
    )
    phone = StringField(
        _l("Phone"),
        description=_l("The contact details are shown to the network and the client."),
        validators=[Optional(), Length(max=40)],
        filters=[_strip],
        render_kw={"autocomplete": "off", "type": "tel"},
    )
    email = StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Length(max=200),
            Regexp(
                r"[^@\s]+@[^@\s]+\.[^@\s]+\Z",
                message=_l("Type an e-mail address such as info@example.fi."),
            ),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "off", "type": "email"},
    )
    address = TextAreaField(
        _l("Address"), validators=[Optional(), Length(max=300)], filters=[_strip]
    )

    def set_choices(
        self, counties: Iterable[Organisation], *, kinds: Iterable[OrgKind], spanning: bool
    ) -> None:
        """The kinds and counties offered; ``spanning``: "spans counties" among them."""
        self.kind.choices = [(k.value, ORG_KINDS[k]) for k in kinds]
        self.county_id.choices = [(SPANS_COUNTIES, _l("Spans counties"))] if spanning else []
        self.county_id.choices += [(str(c.id), c.name) for c in counties]


class StaffForm(FlaskForm):
    """The name, role and organisation of a staff account (changing an existing one)."""

    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Type the staff member's name.")), Length(max=200)],
        filters=[_strip],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    organisation_id = SelectField(_l("Organisation"), validators=[Optional()])

    def set_choices(self, organisations: Iterable[Organisation], *, service_admin: bool) -> None:
        self.role.choices = [(r.value, ROLES[r]) for r in Role if r is not Role.CLIENT]
        none = (
            [(NO_ORGANISATION, _l("None (administrator of the whole service)"))]
            if service_admin
            else []
        )
        self.organisation_id.choices = none + [
            (str(o.id), f"{o.name} ({ORG_KINDS[o.kind]})") for o in organisations
        ]


class InviteForm(StaffForm):
    username = StringField(
        _l("Username"),
        description=_l(
            "3–40 characters: letters a–z, numbers, dot (.), dash (-) or underscore (_)."
        ),
        validators=[
            DataRequired(message=_l("Type a username.")),
            Length(max=40),
        ],
        filters=[_strip],
        render_kw={
            "autocomplete": "off",
            "spellcheck": "false",
            "pattern": USERNAME_PATTERN.pattern,
        },
    )
    # Shown only while e-mail is configured (``app.web.admin.views.invite`` removes it else).
    email = EmailField(
        _l("E-mail address (optional)"),
        description=_l(
            "Given, the invitation link goes to this address by e-mail and is not shown to you."
        ),
        validators=[Optional(), Length(max=254)],
        filters=[_strip],
        render_kw={"autocomplete": "off"},
    )


class AccountSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing

    q = StringField(_l("Username or name"), validators=[Optional(), Length(max=100)])
