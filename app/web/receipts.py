"""The words of a consent receipt: translated into the client's language, with its links.

A receipt is the client's own document, so it speaks to them ("given by you").

``app/consents/receipts.py`` decides what a receipt says; this is where it is put into
words (Flask-Babel) and where its link to the information text is made (``external_url``),
since both belong to the web layer. The pages and the API hand ``RequestWording()`` to the
consent commands, which write the receipt in the same transaction as the change.
"""

from __future__ import annotations

from flask_babel import force_locale, format_date, get_locale, gettext
from flask_babel import lazy_gettext as _l

from app.consents.receipts import ReceiptDraft, ReceiptWords
from app.labels import SECTIONS
from app.models.receipt import ReceiptAction
from app.public_url import external_url
from consent.models import GivenHow

COLLECTION_METHODS = {
    ReceiptAction.GRANT: _l("Given electronically by you in Tukiverkko"),
    ReceiptAction.NARROW: _l("Narrowed electronically by you in Tukiverkko"),
    ReceiptAction.EXTEND: _l("Extended electronically by you in Tukiverkko"),
    ReceiptAction.REVOKE: _l("Withdrawn electronically by you in Tukiverkko"),
}


class RequestWording:
    """A receipt's words for a change made in this request (a ``ReceiptWording``)."""

    def fallback_language(self) -> str:
        locale = get_locale()
        return locale.language if locale is not None else "fi"

    def words(self, draft: ReceiptDraft) -> ReceiptWords:
        with force_locale(draft.language):
            return ReceiptWords(
                controller_contact=(
                    gettext("Responsible worker %(name)s", name=draft.responsible_worker)
                    if draft.responsible_worker
                    else gettext("Your social worker")
                ),
                policy_url=external_url(
                    "portal.consent_information",
                    version=draft.information_text_version,
                    lang=draft.language,
                ),
                collection_method=_collection_method(draft),
                service_name=gettext(
                    "Tukiverkko: sharing information in the client's support network"
                ),
                section_labels=tuple(str(SECTIONS[s]) for s in draft.sections),
                purpose_category=gettext("Cooperation in the client's support network"),
                termination=_termination(draft),
            )


def _collection_method(draft: ReceiptDraft) -> str:
    """How the change reached Tukiverkko: by the client's own hand (perhaps with staff at the
    terminal), or told to a worker, who recorded it."""
    if draft.action is ReceiptAction.TRANSFERRED:
        return gettext(
            "Ended when your matter moved to the social work of %(county)s; recorded in "
            "Tukiverkko by %(name)s",
            county=draft.transferred_to or "–",
            name=draft.recorded_by or "–",
        )
    if draft.recorded_by is None:
        method = str(COLLECTION_METHODS[draft.action])
        if draft.staff_assisted:
            method = gettext("%(method)s, with staff helping at the terminal", method=method)
        return method
    if draft.action is ReceiptAction.REVOKE:
        return gettext(
            "Withdrawn at your request; recorded in Tukiverkko by %(name)s",
            name=draft.recorded_by,
        )
    if draft.given_how is GivenHow.ORAL:
        return gettext(
            "Given orally by you to %(name)s, who recorded it in Tukiverkko",
            name=draft.recorded_by,
        )
    return gettext(
        "Given in writing by you; recorded in Tukiverkko by %(name)s",
        name=draft.recorded_by,
    )


def _termination(draft: ReceiptDraft) -> str:
    if draft.action is ReceiptAction.TRANSFERRED:
        return gettext(
            "Ended on %(day)s, when your matter moved to the social work of %(county)s. "
            "Sharing under it stopped then. If they need it, they will ask you again.",
            day=format_date(draft.day, "medium"),
            county=draft.transferred_to or "–",
        )
    if draft.action is ReceiptAction.REVOKE:
        return gettext(
            "Withdrawn by you on %(day)s. Sharing stopped at once.",
            day=format_date(draft.day, "medium"),
        )
    if draft.valid_until is not None:
        return gettext(
            "Ends after %(day)s. You can withdraw it at any time.",
            day=format_date(draft.valid_until, "medium"),
        )
    return gettext("No last day. You can withdraw it at any time.")
