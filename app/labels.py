"""Translated names for the domain's enumerations, for templates."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.intake.rules import SentState
from app.models import MemberKind, OrgKind, Phase, Role, ServiceTask
from app.models.appointment import (
    AppointmentChannel,
    AppointmentEventKind,
    AppointmentPurpose,
    AppointmentState,
    ChangeReason,
    ClientAsk,
    ClientAskReason,
    ClientPreference,
)
from app.models.intake import ConsentManner
from app.models.partner import NoticeReason, PartnerUpdateKind
from app.models.review import GoalProgress
from app.models.staff import AccountAction
from consent.sections import SectionKind

_E = TypeVar("_E", bound=enum.StrEnum)

SERVICE_TASKS = {
    ServiceTask.ADULT_SOCIAL_WORK: _l("Social work for working-age adults"),
    ServiceTask.SUBSTANCE_ABUSE: _l("Substance-abuse work"),
}
PHASES = {
    Phase.NOTIFIED: _l("Notification received"),
    Phase.ASSESSMENT: _l("Service-need assessment"),
    Phase.NETWORK: _l("Assembling the support network"),
    Phase.RELEASE: _l("Release transition"),
    Phase.FOLLOW_UP: _l("Plan and follow-up"),
    Phase.ENDING: _l("Ending services"),
    Phase.CLOSED: _l("Closed"),
}
SECTIONS = {
    SectionKind.HOUSING: _l("Housing"),
    SectionKind.LIVELIHOOD: _l("Livelihood and Kela"),
    SectionKind.HEALTH: _l("Health and substance use"),
    SectionKind.RELATIONSHIPS: _l("Relationships"),
    SectionKind.EDUCATION_WORK: _l("Education and work"),
    SectionKind.DIGITAL_INCLUSION: _l("Digital inclusion"),
    SectionKind.EVERYDAY_LIFE: _l("Everyday life and community"),
    SectionKind.RELEASE_TRANSITION: _l("Release transition"),
    SectionKind.PROBATIONARY_LIBERTY: _l("Supervised probationary liberty"),
    SectionKind.DESISTANCE: _l("Desistance goals"),
    SectionKind.OTHER: _l("Other"),
}
MEMBER_KINDS = {
    MemberKind.PUBLIC_SERVICE: _l("Public service"),
    MemberKind.NGO: _l("NGO"),
    MemberKind.PEER_EXPERT: _l("Peer expert"),
    MemberKind.CLOSE_PERSON: _l("Close person"),
    MemberKind.PRISON: _l("Prison"),
    MemberKind.PROBATION: _l("Probation office"),
    MemberKind.OTHER: _l("Other"),
}
ORG_KINDS = {
    OrgKind.COUNTY: _l("Wellbeing services county"),
    OrgKind.PRISON: _l("Prison"),
    OrgKind.PROBATION: _l("Probation office"),
    OrgKind.PUBLIC_SERVICE: _l("Public service"),
    OrgKind.NGO: _l("NGO"),
    OrgKind.PEER_SUPPORT: _l("Peer-support organisation"),
    OrgKind.OTHER: _l("Other"),
}
ROLES = {
    Role.CASEWORKER: _l("Caseworkers"),
    Role.PARTNER: _l("Partner staff"),
    Role.CLIENT: _l("Clients"),
    Role.ADMIN: _l("Administrators"),
    Role.MANAGER: _l("County managers"),
    Role.ANALYST: _l("Analysts"),
    Role.DATA_PROTECTION: _l("Data-protection officers"),
}

# Why sharing with an organisation ended early, on its notice to delete copies.
NOTICE_REASONS = {
    NoticeReason.REVOKED: _l("Consent withdrawn"),
    NoticeReason.MEMBERSHIP_ENDED: _l("Membership in the support network ended"),
    NoticeReason.CASE_CLOSED: _l("Case closed"),
    NoticeReason.DISCLOSURE_ENDED: _l("Statutory disclosure ended"),
    NoticeReason.TRANSFERRED: _l("Case moved to another county"),
}

# Where a plan goal stands at a review (the caseworker's review and the client's plan page).
GOAL_PROGRESS = {
    GoalProgress.ACHIEVED: _l("Achieved"),
    GoalProgress.IN_PROGRESS: _l("In progress"),
    GoalProgress.NOT_STARTED: _l("Not started"),
    GoalProgress.CHANGED: _l("The goal was changed"),
}

# Notifications from prison and probation staff: how consent was given, and what the
# sender sees of what they sent.
CONSENT_MANNERS = {
    ConsentManner.IN_WRITING: _l("In writing"),
    ConsentManner.ORALLY: _l("Orally, written down by the notifier"),
    ConsentManner.ELECTRONICALLY: _l("Electronically"),
}
SENT_STATES = {
    SentState.RECEIVED: _l("Received: waiting in the county's intake queue"),
    SentState.ASSIGNED: _l("Assigned to a social worker"),
    SentState.ASSESSMENT_STARTED: _l("Service-need assessment started"),
    SentState.CLOSED_NO_ACTION: _l("Closed without action"),
}

# What an administrator (or a client's worker) did to an account, in its history.
ACCOUNT_ACTIONS = {
    AccountAction.INVITED: _l("Invitation link created"),
    AccountAction.INVITATION_ACCEPTED: _l("Invitation accepted, password chosen"),
    AccountAction.CHANGED: _l("Name, role or organisation changed"),
    AccountAction.PASSWORD_SET: _l("One-time password set"),
    AccountAction.SECOND_FACTOR_RESET: _l("Two-step sign-in reset"),
    AccountAction.DEACTIVATED: _l("Deactivated"),
    AccountAction.REACTIVATED: _l("Reactivated"),
    AccountAction.SIGN_IN_LOCKED: _l("Sign-in locked"),
    AccountAction.SIGN_IN_UNLOCKED: _l("Sign-in unlocked"),
}

# What a partner's update is about (its own list, the dashboard, the partner's page).
PARTNER_UPDATE_KINDS = {
    PartnerUpdateKind.RELEASE_DATE_CHANGED: _l("Release date changed"),
    PartnerUpdateKind.HOUSING_OFFER: _l("Housing offer made"),
    PartnerUpdateKind.BENEFIT_DECISION: _l("Benefit decision"),
    PartnerUpdateKind.DECISION_MADE: _l("Decision made"),
    PartnerUpdateKind.APPOINTMENT_KEPT: _l("Appointment kept"),
    PartnerUpdateKind.APPOINTMENT_MISSED: _l("Appointment missed"),
    PartnerUpdateKind.CONTACT_LOST: _l("We cannot reach the client"),
    PartnerUpdateKind.CONCERN: _l("Concern"),
    PartnerUpdateKind.OTHER: _l("Something else (free text)"),
    PartnerUpdateKind.TASK_DONE: _l("Task done"),
    PartnerUpdateKind.TASK_NOT_POSSIBLE: _l("Task cannot be done"),
}

# Appointments and network meetings (the worker's, the client's and the partner's pages, and
# the summary of an .ics file).
APPOINTMENT_CHANNELS = {
    AppointmentChannel.FACE_TO_FACE: _l("Face to face"),
    AppointmentChannel.VIDEO: _l("Video"),
    AppointmentChannel.PHONE: _l("Phone"),
}
APPOINTMENT_PURPOSES = {
    AppointmentPurpose.APPOINTMENT: _l("Meeting with the social worker"),
    AppointmentPurpose.NETWORK_MEETING: _l("Network meeting"),
    AppointmentPurpose.PLAN_REVIEW: _l("Going through the plan"),
    AppointmentPurpose.RELEASE_PLANNING: _l("Planning for the release"),
}
APPOINTMENT_STATES = {
    AppointmentState.BOOKED: _l("Booked"),
    AppointmentState.CANCELLED: _l("Cancelled"),
    AppointmentState.HELD: _l("Held"),
}
CHANGE_REASONS = {
    ChangeReason.CLIENT_ASKED: _l("The client asked for it"),
    ChangeReason.CLIENT_UNWELL: _l("The client is unwell"),
    ChangeReason.WORKER_UNAVAILABLE: _l("The worker cannot come"),
    ChangeReason.PARTICIPANT_UNAVAILABLE: _l("A participant cannot come"),
    ChangeReason.CIRCUMSTANCES_CHANGED: _l("Circumstances changed"),
    ChangeReason.OTHER: _l("Another reason"),
    ChangeReason.CASE_CLOSED: _l("The case was closed"),
    ChangeReason.CASE_TRANSFERRED: _l("The case moved to another county"),
    ChangeReason.MEMBERSHIP_ENDED: _l("The participant's membership in the network ended"),
}
APPOINTMENT_EVENTS = {
    AppointmentEventKind.BOOKED: _l("Booked"),
    AppointmentEventKind.CONFIRMED: _l("Confirmed by the client"),
    AppointmentEventKind.RESCHEDULED: _l("Moved to a new time"),
    AppointmentEventKind.CANCELLED: _l("Cancelled"),
    AppointmentEventKind.HELD: _l("Held, recorded as a contact"),
    AppointmentEventKind.ASKED_MOVE: _l("The client asked to move it"),
    AppointmentEventKind.ASKED_CANCEL: _l("The client asked to cancel it"),
    AppointmentEventKind.PARTICIPANT_REMOVED: _l("A participant was removed"),
}
CLIENT_ASKS = {
    ClientAsk.MOVE: _l("Move to another time"),
    ClientAsk.CANCEL: _l("Cancel the appointment"),
}
CLIENT_ASK_REASONS = {
    ClientAskReason.UNWELL: _l("I am unwell"),
    ClientAskReason.CLASH: _l("I have something else at that time"),
    ClientAskReason.TRAVEL: _l("I cannot get there"),
    ClientAskReason.OTHER: _l("Another reason"),
}
CLIENT_PREFERENCES = {
    ClientPreference.MORNING: _l("A morning suits me better"),
    ClientPreference.AFTERNOON: _l("An afternoon suits me better"),
    ClientPreference.NEXT_WEEK: _l("Next week or later"),
}


def _labeller(table: Mapping[_E, LazyString]) -> Callable[[_E], str]:
    return lambda value: str(table[value])


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        phase_label=_labeller(PHASES),
        section_label=_labeller(SECTIONS),
        member_kind_label=_labeller(MEMBER_KINDS),
        org_kind_label=_labeller(ORG_KINDS),
        role_label=_labeller(ROLES),
        notice_reason_label=_labeller(NOTICE_REASONS),
        goal_progress_label=_labeller(GOAL_PROGRESS),
        consent_manner_label=_labeller(CONSENT_MANNERS),
        sent_state_label=_labeller(SENT_STATES),
        account_action_label=_labeller(ACCOUNT_ACTIONS),
        appointment_channel_label=_labeller(APPOINTMENT_CHANNELS),
        appointment_purpose_label=_labeller(APPOINTMENT_PURPOSES),
        appointment_state_label=_labeller(APPOINTMENT_STATES),
        change_reason_label=_labeller(CHANGE_REASONS),
        appointment_event_label=_labeller(APPOINTMENT_EVENTS),
        client_ask_label=_labeller(CLIENT_ASKS),
        client_ask_reason_label=_labeller(CLIENT_ASK_REASONS),
        client_preference_label=_labeller(CLIENT_PREFERENCES),
    )
