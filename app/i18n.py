"""Languages: Finnish (default), Swedish and English; dates in Europe/Helsinki."""

from __future__ import annotations

import functools
from datetime import date, datetime

from babel import support
from flask import Flask, request, session
from flask_babel import format_date, format_datetime, format_time, get_locale, get_translations
from flask_login import current_user
from jinja2.runtime import Context
from jinja2.utils import pass_context
from wtforms.i18n import messages_path

from app.extensions import babel
from consent.status import HELSINKI

LANGUAGES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
DEFAULT_LOCALE = "fi"
SESSION_KEY = "locale"


def select_locale() -> str:
    """The user's choice this session, then their saved preference, then the browser's, then fi."""
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LOCALE)


def current_language() -> str:
    """The language of this request's locale ("fi", "sv" or "en"), as Flask-Babel resolved it.

    :raises RuntimeError: outside a request, where Flask-Babel has no locale.
    """
    locale = get_locale()
    if locale is None:
        raise RuntimeError("no locale outside a request")
    return locale.language


def _language_form() -> dict[str, object]:
    from app.web.auth.forms import LanguageForm

    # Never from the request's form: an error page (a body over the size limit) must not read
    # the body again; the language is posted to its own view, which reads its own form.
    return {"language_form": LanguageForm(formdata=None, language=select_locale())}


# Babel's "en" is US English: "Dec 7, 2026" and "12/7/26", which a reader in Finland takes for
# 12 July. English pages say "7 Dec 2026" and use the 24-hour clock; Finnish ("7.12.2026") and
# Swedish ("7 dec. 2026", "2026-12-07 14:05") keep their CLDR forms. Every date on every page
# goes through Flask-Babel's ``format_date``/``format_datetime`` (the ``date`` and ``datetime``
# filters too), which look their patterns up in ``Babel.date_formats``: ``DateFormats`` answers
# that look-up by the language being drawn, so no call site needs a pattern of its own.
ENGLISH_PATTERNS: dict[str, str] = {
    "date.short": "d MMM y",
    "date.medium": "d MMM y",
    "date.long": "d MMMM y",
    "datetime.short": "d MMM y, HH:mm",
    "datetime.medium": "d MMM y, HH:mm:ss",
    "datetime.long": "d MMMM y, HH:mm:ss",
    "time.short": "HH:mm",
    "time.medium": "HH:mm:ss",
}


class DateFormats(dict[str, str | None]):
    """Flask-Babel's ``date_formats``, with the English patterns while English is drawn."""

    def __getitem__(self, key: str) -> str | None:
        if key in ENGLISH_PATTERNS:
            locale = get_locale()  # None outside a request: the CLDR pattern of the default
            if locale is not None and locale.language == "en":
                return ENGLISH_PATTERNS[key]
        return super().__getitem__(key)


def helsinki_today() -> date:
    """Today's calendar date in Finland: what 'valid until' and release dates mean."""
    return datetime.now(HELSINKI).date()


@functools.cache
def _wtforms_catalog(language: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class _WtformsMessages:
    """WTForms' own messages ("Not a valid choice.") in the request's language, from
    catalogs read once per process: Flask-WTF would read and parse the catalog again in
    every request that draws a form (``flask_wtf.i18n``, whose ``request.wtforms_translations``
    this fills)."""

    def ugettext(self, string: str) -> str:
        return str(_wtforms_catalog(current_language()).ugettext(string))

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return str(_wtforms_catalog(current_language()).ungettext(singular, plural, n))


_WTFORMS_MESSAGES = _WtformsMessages()


def _wtforms_messages() -> None:
    # Flask-WTF looks for it on the request, which declares no such attribute.
    request.wtforms_translations = _WTFORMS_MESSAGES  # type: ignore[attr-defined]


RENDER_TRANSLATIONS = "_render_translations"
"""The template context's catalogue, looked up once per render (a context processor)."""


def _translations_of_render() -> dict[str, object]:
    return {RENDER_TRANSLATIONS: get_translations()}


def _translations(context: Context) -> support.NullTranslations:
    """The catalogue a template draws with: the one its render looked up, or (a macro imported
    without the context) Flask-Babel's. Flask-Babel's own look-up reads ``g`` three times and
    formats the locale on every string, hundreds of times a page."""
    found = context.get(RENDER_TRANSLATIONS)
    return found if found is not None else get_translations()


@pass_context
def _gettext(context: Context, string: str) -> str:
    return str(_translations(context).ugettext(string))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(_translations(context).ungettext(singular, plural, n))


@pass_context
def _pgettext(context: Context, message_context: str, string: str) -> str:
    return str(_translations(context).upgettext(message_context, string))


@pass_context
def _npgettext(context: Context, message_context: str, singular: str, plural: str, n: int) -> str:
    return str(_translations(context).unpgettext(message_context, singular, plural, n))


def init_app(app: Flask) -> None:
    app.before_request(_wtforms_messages)
    babel.date_formats = DateFormats(babel.default_date_formats)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_locale=DEFAULT_LOCALE,
        default_timezone="Europe/Helsinki",
    )
    # Each render looks its catalogue up once (inside ``force_locale`` too: the context
    # processor runs in the block), not on every string.
    app.context_processor(_translations_of_render)
    # The i18n extension (added by Flask-Babel) sets this method on the environment at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_locale=select_locale)
    app.context_processor(_language_form)
    app.jinja_env.filters["date"] = lambda value: format_date(value, "medium") if value else "–"
    app.jinja_env.filters["datetime"] = lambda value: (
        format_datetime(value, "short") if value else "–"
    )
    app.jinja_env.filters["time"] = lambda value: format_time(value, "short") if value else "–"
