"""The plan-section vocabulary shared by consents, key scopes and the client plan."""

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
