"""The partner's list of shared clients agrees with ``access_of`` at every instant.

``share_periods`` evaluates ``access_of`` only where a fact can change it; these properties
check, at instants drawn anywhere (on the boundaries above all), that an organisation is
inside one of its periods exactly when ``access_of`` says something is shared, with the same
last day, that an organisation's periods never overlap, and that the day the list sorts a
period by is never before a day it is shared on, nor after the day it ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.partner_work.rules import AccessState, SharePeriod, access_of, share_periods
from app.partner_work.shares import last_day
from consent.facts import CaseContext
from consent.status import helsinki_day
from tests.unit.test_consent_properties import FOREIGN_ORG, ORGS, cases, instants, instants_near


def _covering(
    periods: list[SharePeriod], organisation: uuid.UUID, at: datetime
) -> list[SharePeriod]:
    return [
        p
        for p in periods
        if p.organisation_id == organisation
        and p.starts_at <= at
        and (p.ends_at is None or at < p.ends_at)
    ]


@st.composite
def case_and_instants(draw: st.DrawFn) -> tuple[CaseContext, list[datetime]]:
    around = draw(instants)
    case = draw(cases(around, max_consents=4))
    periods = share_periods(case)
    # The boundaries themselves and the instants just before them, and some anywhere.
    edges = [t for p in periods for t in (p.starts_at, p.ends_at) if t is not None]
    asked = [*edges, *(t - timedelta(microseconds=1) for t in edges)]
    asked += draw(st.lists(instants_near(around), min_size=1, max_size=6))
    return case, asked


@given(drawn=case_and_instants())
def test_periods_say_what_access_of_says(drawn: tuple[CaseContext, list[datetime]]) -> None:
    case, asked = drawn
    periods = share_periods(case)
    for organisation in (*ORGS, FOREIGN_ORG):
        for at in asked:
            access = access_of(case, organisation, at)
            covering = _covering(periods, organisation, at)
            assert len(covering) <= 1, (organisation, at, covering)
            assert (access.state is AccessState.SHARED) == bool(covering), (organisation, at)
            if covering:
                assert covering[0].until == access.until
                assert helsinki_day(at) <= last_day(covering[0]), (organisation, at)
    for period in periods:
        if period.ends_at is not None:
            assert last_day(period) <= helsinki_day(period.ends_at - timedelta(microseconds=1))
