"""Consent periods from the release timeline, and the versioned information text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.consents import texts as consent_texts
from app.consents.rules import (
    PeriodTemplate,
    Timeline,
    Unavailable,
    period,
    periods,
)

T = PeriodTemplate
TODAY = date(2026, 11, 23)
RELEASE = date(2027, 1, 15)
PROBATION_END = date(2027, 6, 30)
FULL = Timeline(TODAY, RELEASE, PROBATION_END)


@pytest.mark.parametrize(
    ("template", "valid_from", "valid_until"),
    [
        (T.IN_PRISON, TODAY, date(2027, 1, 14)),  # until the day before release
        (T.RELEASE_DAY, date(2027, 1, 8), date(2027, 1, 22)),  # ± 7 days
        (T.FIRST_90_DAYS, RELEASE, date(2027, 4, 14)),  # 90 days, release day included
        (T.PROBATIONARY_LIBERTY, TODAY, PROBATION_END),
    ],
)
def test_each_template_reads_the_clients_own_dates(
    template: PeriodTemplate, valid_from: date, valid_until: date
) -> None:
    got = period(template, FULL)
    assert (got.valid_from, got.valid_until, got.available) == (valid_from, valid_until, True)
    assert (valid_until - valid_from).days + 1 == {
        T.IN_PRISON: 53,
        T.RELEASE_DAY: 15,
        T.FIRST_90_DAYS: 90,
        T.PROBATIONARY_LIBERTY: 220,
    }[template]


def test_all_templates_come_in_timeline_order() -> None:
    assert [p.template for p in periods(FULL)] == [
        T.IN_PRISON,
        T.RELEASE_DAY,
        T.FIRST_90_DAYS,
        T.PROBATIONARY_LIBERTY,
    ]


@pytest.mark.parametrize(
    ("timeline", "unavailable"),
    [
        (
            Timeline(TODAY, None, PROBATION_END),
            {
                T.IN_PRISON: Unavailable.NO_RELEASE_DATE,
                T.RELEASE_DAY: Unavailable.NO_RELEASE_DATE,
                T.FIRST_90_DAYS: Unavailable.NO_RELEASE_DATE,
            },
        ),
        (Timeline(TODAY, RELEASE, None), {T.PROBATIONARY_LIBERTY: Unavailable.NO_PROBATION_END}),
        (
            Timeline(TODAY, None, None),
            {
                T.IN_PRISON: Unavailable.NO_RELEASE_DATE,
                T.RELEASE_DAY: Unavailable.NO_RELEASE_DATE,
                T.FIRST_90_DAYS: Unavailable.NO_RELEASE_DATE,
                T.PROBATIONARY_LIBERTY: Unavailable.NO_PROBATION_END,
            },
        ),
    ],
)
def test_a_template_without_its_date_is_offered_disabled_with_the_reason(
    timeline: Timeline, unavailable: dict[PeriodTemplate, Unavailable]
) -> None:
    for p in periods(timeline):
        assert p.unavailable == unavailable.get(p.template)
        assert p.available is (p.template not in unavailable)
        if not p.available:
            assert (p.valid_from, p.valid_until) == (None, None)


def test_periods_never_reach_into_the_past() -> None:
    released_ten_days_ago = Timeline(date(2027, 1, 25), RELEASE, date(2027, 1, 30))
    got = {p.template: p for p in periods(released_ten_days_ago)}
    assert got[T.IN_PRISON].unavailable is Unavailable.PERIOD_OVER
    assert got[T.RELEASE_DAY].unavailable is Unavailable.PERIOD_OVER  # ended on 22 Jan
    assert (got[T.FIRST_90_DAYS].valid_from, got[T.FIRST_90_DAYS].valid_until) == (
        date(2027, 1, 25),
        date(2027, 4, 14),
    )
    assert got[T.PROBATIONARY_LIBERTY].valid_from == date(2027, 1, 25)
    after_probation = Timeline(date(2027, 2, 1), RELEASE, date(2027, 1, 31))
    assert period(T.PROBATIONARY_LIBERTY, after_probation).unavailable is Unavailable.PERIOD_OVER


def test_release_day_boundaries() -> None:
    # Released tomorrow: "while in prison" is today alone.
    tomorrow = Timeline(date(2027, 1, 14), RELEASE)
    assert (
        period(T.IN_PRISON, tomorrow).valid_from,
        period(T.IN_PRISON, tomorrow).valid_until,
    ) == (
        date(2027, 1, 14),
        date(2027, 1, 14),
    )
    # Released today: the prison period is over, the release-day one starts today.
    on_the_day = Timeline(RELEASE, RELEASE)
    assert period(T.IN_PRISON, on_the_day).unavailable is Unavailable.PERIOD_OVER
    assert period(T.RELEASE_DAY, on_the_day).valid_from == RELEASE
    # The last day of the release-day window is still offered.
    last = Timeline(date(2027, 1, 22), RELEASE)
    assert period(T.RELEASE_DAY, last).valid_from == period(T.RELEASE_DAY, last).valid_until


def test_leap_day_release() -> None:
    leap = Timeline(date(2028, 1, 1), date(2028, 2, 29))
    assert period(T.FIRST_90_DAYS, leap).valid_until == date(2028, 5, 28)
    assert period(T.RELEASE_DAY, leap).valid_from == date(2028, 2, 22)
    assert period(T.RELEASE_DAY, leap).valid_until == date(2028, 3, 7)


@pytest.mark.parametrize(
    ("now", "helsinki_today"),
    [
        # Late evening in UTC is already tomorrow in Helsinki (winter, UTC+2) …
        (datetime(2026, 12, 31, 22, 0, tzinfo=UTC), date(2027, 1, 1)),
        (datetime(2026, 12, 31, 21, 59, tzinfo=UTC), date(2026, 12, 31)),
        # … and in summer (UTC+3), and across the night the clocks go forward.
        (datetime(2026, 7, 14, 21, 0, tzinfo=UTC), date(2026, 7, 15)),
        (datetime(2026, 3, 28, 22, 30, tzinfo=UTC), date(2026, 3, 29)),
    ],
)
def test_today_is_the_helsinki_calendar_day(now: datetime, helsinki_today: date) -> None:
    assert Timeline.at(now, None, None).today == helsinki_today


def test_released_tomorrow_in_helsinki_though_today_in_utc() -> None:
    # 23:30 in Helsinki on 14 Jan is still 14 Jan; at 22:30 UTC it is 15 Jan, release day.
    before = Timeline.at(datetime(2027, 1, 14, 21, 30, tzinfo=UTC), RELEASE, None)
    after = Timeline.at(datetime(2027, 1, 14, 22, 30, tzinfo=UTC), RELEASE, None)
    assert period(T.IN_PRISON, before).valid_until == date(2027, 1, 14)
    assert period(T.IN_PRISON, after).unavailable is Unavailable.PERIOD_OVER
    assert period(T.RELEASE_DAY, after).valid_from == RELEASE  # starts today at the earliest


# -- the information text ----------------------------------------------------------------------


def _first(language: str, *, plain: bool = False) -> consent_texts.InformationText:
    content = consent_texts.first_version_row()["content"]
    return consent_texts.information_text(
        consent_texts.FIRST_VERSION, content, language, plain=plain
    )


def test_the_first_version_is_published_in_every_language_and_both_wordings() -> None:
    row = consent_texts.first_version_row()
    assert row["version"] == consent_texts.FIRST_VERSION and row["published_at"] is not None
    for plain in (False, True):
        texts = [_first(lang, plain=plain) for lang in consent_texts.LANGUAGES]
        assert {t.language for t in texts} == set(consent_texts.LANGUAGES)
        # The same structure in every language: a translation, not a different text.
        assert len({len(t.sections) for t in texts}) == 1
        assert all(t.title and all(h and p for h, p in t.sections) for t in texts)


def test_the_text_says_what_the_law_requires() -> None:
    text = _first("en")
    body = " ".join(f"{heading}: {paragraph}" for heading, paragraph in text.sections)
    for required in (
        "which parts may be shared, with whom",  # content and scope
        "for what purpose",
        "voluntary",
        "withdraw your consent at any time",
        "as easy as giving",
        "shared lawfully",  # past sharing stays lawful
        "If you do not consent:",  # what happens without consent
        "Ask your social worker",  # who to ask
    ):
        assert required in body, required


def test_an_unknown_language_falls_back_to_finnish() -> None:
    assert _first("de").language == "fi"


def test_a_body_is_headed_paragraphs_and_reads_back_as_it_was_stored() -> None:
    sections = (("Otsikko", "Kappale yksi."), ("Toinen", "Kappale kaksi."))
    assert consent_texts.parse_body(consent_texts.as_body(sections)) == sections
    # A paragraph's lines join; Windows line ends from a form are read the same.
    assert consent_texts.parse_body(
        "Otsikko\r\nrivi yksi\r\nrivi kaksi\r\n\r\n\r\nVain kappale"
    ) == (
        ("Otsikko", "rivi yksi rivi kaksi"),
        ("", "Vain kappale"),
    )
