"""Clients and their cases: phase, release dates, responsible worker and case team.

Names, identity codes and free text are ciphertext (``*_ct``) sealed by the
access gate; these classes never decrypt.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement, Enum, ForeignKey, Index, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.organisation import Organisation
from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow
from consent.sections import DataScope
from consent.status import release_day


class Phase(enum.StrEnum):
    """Where the case stands in the VAPAA process, in order."""

    NOTIFIED = "notified"  # contact or notification received
    ASSESSMENT = "assessment"  # multi-agency service-need assessment
    NETWORK = "network"  # assembling the individual support network
    RELEASE = "release"  # securing services across the release transition
    FOLLOW_UP = "follow_up"  # plan carried out and reviewed
    ENDING = "ending"  # services being ended with the client
    CLOSED = "closed"


class ServiceTask(enum.StrEnum):
    """The service task (palvelutehtävä) a case belongs to, chosen at intake and confirmed
    when closing; it sets the retention period after closing (``app.maintenance.retention``)."""

    ADULT_SOCIAL_WORK = "adult_social_work"
    SUBSTANCE_ABUSE = "substance_abuse"


class Client(Base):
    __tablename__ = "clients"
    client_key = "id"  # a client's own row is its own data

    county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name_ct: Mapped[bytes] = encrypted(DataScope.NAME)
    identity_code_ct: Mapped[bytes | None] = encrypted()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    """A client's case in the county that organises their social care."""

    __tablename__ = "cases"
    __table_args__ = (
        # The county's caseload, soonest release day first (``county_caseload``): read in
        # index order, a page at a time, whatever the county's size.
        Index(
            "ix_cases_caseload",
            "county_id",
            text("(release_on IS NULL)"),
            "release_on",
            "id",
            sqlite_where=text("disposed_at IS NULL"),
            postgresql_where=text("disposed_at IS NULL"),
        ),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    prison_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    probation_office_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    phase: Mapped[Phase] = mapped_column(str_enum(Phase), default=Phase.NOTIFIED, index=True)
    service_task: Mapped[ServiceTask] = mapped_column(
        str_enum(ServiceTask), default=ServiceTask.ADULT_SOCIAL_WORK
    )
    sentence_start: Mapped[date | None]
    conditional_release: Mapped[date | None] = mapped_column(index=True)  # expected
    probation_start: Mapped[date | None]  # supervised probationary liberty (valvottu koevapaus)
    probation_end: Mapped[date | None]
    # The day the client leaves prison, as every page shows it (``release_day`` below): kept
    # by ``_keep_release_on`` whenever either date is set, so lists sort and filter by it.
    release_on: Mapped[date | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    # The first Helsinki day past retention, set when the case closes from its service task
    # (``app.maintenance.retention``); ``flask maintenance run`` disposes of the case then.
    disposal_on: Mapped[date | None] = mapped_column(index=True)
    disposed_at: Mapped[datetime | None]  # retention over: data keys destroyed

    client: Mapped[Client] = relationship(lazy="raise")
    prison: Mapped[Organisation | None] = relationship(foreign_keys=[prison_id], lazy="raise")
    probation_office: Mapped[Organisation | None] = relationship(
        foreign_keys=[probation_office_id], lazy="raise"
    )
    responsible_workers: Mapped[list[ResponsibleWorker]] = relationship(
        lazy="raise", order_by="ResponsibleWorker.starts_on.desc()"
    )
    team: Mapped[list[CaseTeamMember]] = relationship(lazy="raise")

    @hybrid_property
    def release_day(self) -> date | None:
        """The day the client leaves prison, as every page shows it: the one rule,
        ``consent.status.release_day``, kept in ``release_on`` (lists sort and filter by it)."""
        return self.release_on

    @release_day.inplace.expression
    @classmethod
    def _release_day_sql(cls) -> ColumnElement[date | None]:
        return cls.release_on  # type: ignore[return-value]  # a mapped column is an expression

    @validates("conditional_release", "probation_start")
    def _keep_release_on(self, key: str, value: date | None) -> date | None:
        """Whoever sets either date (creating a case, saving the key dates, a notification's
        date, the demo, a test) sets ``release_on`` by the one rule in the same step."""
        conditional = value if key == "conditional_release" else self.conditional_release
        probation = value if key == "probation_start" else self.probation_start
        self.release_on = release_day(conditional, probation)
        return value


class ResponsibleWorker(Base):
    """One period as the case's responsible worker (omatyöntekijä); the open one is current."""

    __tablename__ = "responsible_workers"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    worker: Mapped[User] = relationship(foreign_keys=[worker_id], lazy="raise")
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id], lazy="raise")


class CaseTeamMember(Base):
    """A county colleague working on the case with the responsible worker, for a period.

    Removing a member keeps the row (``removed_at``) as history; only rows not removed
    give access. A colleague may be added again later: one current row per person.
    """

    __tablename__ = "case_team"
    __table_args__ = (
        Index(
            "uq_case_team_current_member",
            "case_id",
            "user_id",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id], lazy="raise")


class WorkTaskReason(Base):
    """A recorded reason for a worker without a relationship to open a case (e.g. on-call duty)."""

    __tablename__ = "work_task_reasons"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    reason_ct: Mapped[bytes] = encrypted()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime]


class PhaseChange(Base):
    """The case moved from one phase of the process to another: when and by whom.

    A case opens in its first phase at ``Case.opened_at`` without a row here; every
    later move adds one. ``from_phase`` keeps what the case was in before, so the
    history reads right even for cases opened before phase changes were recorded.
    """

    __tablename__ = "phase_changes"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    # Its own type name, so the two columns' check constraints get different names.
    from_phase: Mapped[Phase] = mapped_column(str_enum(Phase).adapt(Enum, name="from_phase"))
    phase: Mapped[Phase] = mapped_column(str_enum(Phase))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    changed_by: Mapped[User | None] = relationship(lazy="raise")


class ReleaseDatesChange(Base):
    """The key dates of a case as someone saved them: sentence start, probationary liberty,
    expected conditional release. The newest row equals the dates on the case."""

    __tablename__ = "release_date_changes"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    sentence_start: Mapped[date | None]
    conditional_release: Mapped[date | None]
    probation_start: Mapped[date | None]
    probation_end: Mapped[date | None]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    changed_by: Mapped[User | None] = relationship(lazy="raise")
