"""Typed refusals: how a command says no, in codes that the edge translates.

Commands (``app/<feature>/commands.py``) raise these instead of returning flags or
translated text. A refusal class is one rule: its ``code`` (``"duplicate_membership"``)
is what programs read, its ``message`` is the English source string (marked with ``N_``
so it is extracted into the catalogs) and its ``field`` the form or body field it concerns
(``None`` for the request as a whole). A pure rule that checks a whole form at once
returns ``Code`` members per field instead, and the command raises ``Refused(errors=…)``.

The edge translates and nothing else does: ``app/errors.py`` turns a refusal into a 4xx
page or RFC 9457 problem details (the API sends the English source as it is), and a form
page attaches each message to the field it names. The status is the class: ``Refused``
422 (the input breaks a rule), ``Conflict`` 409 (the record's state does not allow it:
already ended, case closed), ``Stale`` 412 (someone changed it first), ``NotFound`` 404.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import ClassVar, Self


def N_(message: str) -> str:  # gettext's conventional name
    """Mark ``message`` for extraction; it is translated only at the edge."""
    return message


class Code(enum.StrEnum):
    """A rule's outcome: the value is the code, ``message`` the English source string.

    Declare members as ``NAME = "code", N_("Message.")``.
    """

    message: str

    def __new__(cls, code: str, message: str = "") -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.message = message
        return member


class Listed(tuple[enum.StrEnum, ...]):
    """Members of an enumeration as a refusal's placeholder value: the API's English detail
    shows their codes (``housing, livelihood``), a form page their translated labels
    (``app.web.forms.shown_params``)."""

    def __str__(self) -> str:
        return ", ".join(member.value for member in self)


class Refused(Exception):
    """Raised when a command refuses its input; ``code`` says which rule, ``field`` where."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "refused"
    field: ClassVar[str | None] = None
    message: ClassVar[str] = N_("The request could not be handled.")

    def __init__(
        self,
        *,
        errors: Mapping[str, Code] | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.errors: dict[str, Code] = dict(errors or {})
        # Values for placeholders in the message: N_("Choose a day after %(day)s.").
        self.params: dict[str, object] = dict(params or {})
        super().__init__(self.code)

    def messages(self) -> list[tuple[str | None, str, str]]:
        """Every ``(field, code, English message)`` this refusal carries."""
        if self.errors:
            return [(name, code.value, code.message) for name, code in self.errors.items()]
        return [(self.field, self.code, self.message)]


class Conflict(Refused):
    """Raised when the record's current state does not allow the change."""

    status = 409
    code = "conflict"
    message = N_("This can no longer be changed.")


class Stale(Conflict):
    """Raised when the record changed after the caller read it (optimistic locking)."""

    status = 412
    code = "stale"
    message = N_("Someone else changed this while you were working on it.")


class NotFound(Refused):
    """Raised when the record does not exist, or is not one the caller may know of."""

    status = 404
    code = "not_found"
    message = N_("There is nothing here that you may see.")
