"""What a consent, a key and a log entry can be about: plan sections and basic data."""

from __future__ import annotations

import enum


class SectionKind(enum.StrEnum):
    """A section of the client plan (asiakassuunnitelma); the unit a consent covers."""

    HOUSING = "housing"
    LIVELIHOOD = "livelihood"  # livelihood and Kela
    HEALTH = "health"  # health and substance use
    RELATIONSHIPS = "relationships"
    EDUCATION_WORK = "education_work"
    DIGITAL_INCLUSION = "digital_inclusion"
    EVERYDAY_LIFE = "everyday_life"  # everyday life and community
    RELEASE_TRANSITION = "release_transition"  # nivelvaihe
    PROBATIONARY_LIBERTY = "probationary_liberty"  # valvottu koevapaus
    DESISTANCE = "desistance"  # desistance goals
    OTHER = "other"


class DataScope(enum.StrEnum):
    """Client data outside the plan sections."""

    NAME = "name"  # the client's name: what identifies them to anyone sharing with them
    BASIC = "basic"  # identity code, case notes, reasons, network details: county only
    MESSAGES = "messages"  # secure messages between the client and the county: never shared


Scope = SectionKind | DataScope


def scope_key(scope: Scope) -> str:
    """The stable string a data key, a seal and a log entry name a scope by."""
    return f"section:{scope.value}" if isinstance(scope, SectionKind) else scope.value


def scope_of(value: str) -> Scope:
    """The scope a row's scope column names: a section kind's value or a data scope's.

    :raises ValueError: when ``value`` names neither.
    """
    try:
        return SectionKind(value)
    except ValueError:
        return DataScope(value)
