"""The consent domain: records, lifecycle and the pure deny-by-default decision.

Imports neither Flask, ``app`` nor ``sharing``.
"""

from consent.base import Base, utcnow
from consent.sections import SectionKind

__all__ = ["Base", "SectionKind", "utcnow"]
