"""SHL § 35 notifications from prison and probation systems, and the state of what they sent.

The partner pages' ``/partner/notifications`` as operations, over the same command
(``app.intake.commands.send_staff_notification``) and read model: the sender sees the
state of each notification they sent, never the county's case.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates

from app.api import bp
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import MarshalResult, operation
from app.extensions import db_session
from app.intake import commands as intake_commands
from app.intake import queries as intake_queries
from app.intake.queries import SentRow
from app.intake.rules import SentState, notification_reference, sends_notifications
from app.models import Role
from app.models.intake import ConsentManner, NotificationPath
from app.security import current_actor, current_keyring, gate


class StaffNotificationIn(Strict):
    county_id = fields.UUID(
        required=True, metadata={"description": "The person's county (see /organisations)."}
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    identity_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"description": "With it the county finds the person if already its client."},
    )
    need = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    path = enum_field(
        NotificationPath,
        required=True,
        metadata={
            "description": "consent, or no_consent (SHL § 35: the person manifestly "
            "cannot look after their own care, health or safety)."
        },
    )
    consent_manner = enum_field(
        ConsentManner,
        load_default=None,
        allow_none=True,
        metadata={"description": "How the person gave consent; required on the consent path."},
    )
    no_consent_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Required on the no_consent path."},
    )
    contacted_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Default: today."}
    )
    conditional_release = fields.Date(load_default=None, allow_none=True)

    @validates("name")
    def _name_not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Enter the person's name.")

    @validates("need")
    def _need_not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Describe the need.")


class SentNotificationOut(Strict):
    id = fields.UUID(required=True)
    reference = fields.String(
        required=True, metadata={"description": "A short reference to quote to the county."}
    )
    sent_at = fields.AwareDateTime(required=True)
    county = fields.String(required=True)
    path = enum_field(NotificationPath, required=True)
    state = enum_field(
        SentState,
        required=True,
        metadata={
            "description": "received (in the county's intake queue), assigned (a social "
            "worker took it), assessment_started, or closed_no_action."
        },
    )


def _body(row: SentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "reference": notification_reference(row.id),
        "sent_at": row.sent_at,
        "county": row.county,
        "path": row.path,
        "state": row.state,
    }


@operation(
    bp,
    "/notifications",
    "GET",
    summary="The notifications you have sent, and their state",
    tag="Notifications",
    roles=[Role.PARTNER],
    when=sends_notifications,
    query=PageQuery,
    response=page_of(SentNotificationOut, "SentNotificationPage"),
)
def sent_notifications(query: dict[str, Any]) -> dict[str, Any]:
    """Prison and probation staff: each notification you sent, newest first, with its state
    only; the client's case stays with the county."""
    page, per_page = query["page"], query["per_page"]
    result = intake_queries.sent_notifications(
        db_session(), current_user.id, page=page, per_page=per_page
    )
    rows = result.rows if result.page == page else []
    return page_body([_body(row) for row in rows], page=page, per_page=per_page, total=result.total)


@operation(
    bp,
    "/notifications",
    "POST",
    summary="Notify a county of a person's need for social care (SHL § 35)",
    tag="Notifications",
    roles=[Role.PARTNER],
    when=sends_notifications,
    body=StaffNotificationIn,
    response=SentNotificationOut,
    status=201,
)
def send_notification(body: dict[str, Any]) -> MarshalResult:
    """Prison and probation staff: the notification goes to the county's intake queue, as
    one a social worker records. With consent, say how it was given; without, the reason."""
    sent = intake_commands.send_staff_notification(
        db_session(),
        gate(),
        current_keyring(),
        current_actor(),
        intake_commands.StaffNotification(**body),
        notifier_name=current_user.display_name,
    )
    row = intake_queries.sent_notification(db_session(), current_user.id, sent.id)
    assert row is not None  # just sent by this user
    return MarshalResult(_body(row))
