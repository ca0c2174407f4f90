"""The answer to a client's log request as a printable document, for the worker and the
client alike (``app/web/caseworker/log_requests.py``, ``app/web/portal/log_requests.py``).

Built from the access log through its functions (``grouped_log_page`` for the request's
period up to the answer, ``describe_grouped`` for the words, ``statutory_disclosures`` for
the disclosures without consent), in the language recorded on the request, with the detail
recorded when it was answered (or, before that, the county's setting now). Print CSS, no
JavaScript. Reading it is recorded through the gate for the reader.
"""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.client_log.queries import grouped_log_page, statutory_disclosures
from app.extensions import db_session
from app.i18n import DEFAULT_LOCALE, LANGUAGES, helsinki_today
from app.log_requests import rules
from app.log_requests.queries import county_detail
from app.models import Organisation
from app.models.log_request import LogDetail, LogRequest, LogRequestState
from app.security import gate
from app.web.access_log import describe_grouped
from consent.facts import Action, Actor, Purpose
from consent.models import StatutoryDisclosure
from consent.sections import DataScope
from sharing.fields import sealed

DOCUMENT_PER_PAGE = 500  # a long log prints as several documents' pages, each complete
STATES = {
    LogRequestState.PENDING: _l("Waiting for an answer"),
    LogRequestState.ANSWERED: _l("Answered"),
    LogRequestState.REFUSED: _l("Refused"),
}
DETAILS = {
    LogDetail.ROLE_AND_DATE: _l("Organisation, role and date"),
    LogDetail.NAMES_AND_TIMES: _l("Organisation, role, staff names and exact times"),
}


def state_label(state: LogRequestState) -> str:
    return str(STATES[state])


def detail_label(detail: LogDetail) -> str:
    return str(DETAILS[detail])


def reasons(request: LogRequest, reader: Actor, purpose: Purpose) -> tuple[str | None, str | None]:
    """The extension's and the refusal's reasons, decrypted for ``reader`` (one gate call)."""
    extension, refusal = gate().read_texts(
        reader,
        [
            sealed(request, LogRequest.extension_reason_ct),
            sealed(request, LogRequest.refusal_reason_ct),
        ],
        purpose=purpose,
    )
    return extension, refusal


def render_document(
    request: LogRequest,
    *,
    client_name: str,
    reader: Actor,
    purpose: Purpose,
    page: int,
    back_url: str,
    page_endpoint: str,
    page_args: dict[str, object],
) -> str:
    """The document (or the written refusal) in the request's language."""
    gate().record(reader, request.client_id, Action.READ, purpose, DataScope.BASIC)
    session = db_session()
    county = session.get(Organisation, request.county_id)
    detail = request.detail or county_detail(session, request.county_id)
    period = rules.period_bounds(request.period_from, request.period_to, request.answered_at)
    extension, refusal = reasons(request, reader, purpose)
    with force_locale(request.language):
        refused = request.state is LogRequestState.REFUSED
        log = (
            None
            if refused
            else grouped_log_page(
                session, request.client_id, page=page, per_page=DOCUMENT_PER_PAGE, period=period
            )
        )
        disclosures = (
            []
            if refused
            else [
                (d, name)
                for d, name in statutory_disclosures(session, request.case_id)
                if period[0] <= d.decided_at < period[1]
            ]
        )
        justifications = (
            gate().read_texts(
                reader,
                [sealed(d, StatutoryDisclosure.justification_ct) for d, _ in disclosures],
                purpose=purpose,
            )
            if disclosures
            else []
        )
        return render_template(
            "print/log_request.html",
            lang=request.language,
            request=request,
            client_name=client_name,
            county=county,
            detail=detail,
            names_and_times=detail is LogDetail.NAMES_AND_TIMES,
            log=log.explained if log else None,
            lines=describe_grouped(
                log, reader, purpose, names_and_times=detail is LogDetail.NAMES_AND_TIMES
            )
            if log
            else [],
            disclosures=[
                (d, name, text or "")
                for (d, name), text in zip(disclosures, justifications, strict=True)
            ],
            extension=extension,
            refusal=refusal,
            today=helsinki_today(),
            back_url=back_url,
            page_endpoint=page_endpoint,
            page_args=page_args,
            draft=request.state is LogRequestState.PENDING,
            title=gettext("Log of the processing of your information"),
        )


# -- the forms both audiences use ------------------------------------------------------------


def _languages() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in LANGUAGES.items()]


class StartForm(FlaskForm):
    """Start a log request: the language of the answer and the period (two years back)."""

    language = SelectField(
        _l("Language of the answer"),
        choices=_languages(),
        validators=[InputRequired(_l("Choose the language."))],
    )
    period_from = DateField(
        _l("From"), validators=[InputRequired(_l("Enter the first day of the period."))]
    )
    period_to = DateField(
        _l("To"), validators=[InputRequired(_l("Enter the last day of the period."))]
    )

    def fill(self, language: str | None) -> StartForm:
        """Defaults for a new request: the client's language, two years back to today."""
        if not self.is_submitted():
            start, end = rules.default_period(helsinki_today())
            self.language.data = language if language in LANGUAGES else DEFAULT_LOCALE
            self.period_from.data, self.period_to.data = start, end
        return self

    def period(self) -> tuple[date, date]:
        assert self.period_from.data is not None and self.period_to.data is not None
        return self.period_from.data, self.period_to.data
