"""Translation catalogs: every source string is translated into Finnish and Swedish.

The source strings (msgids) are English. The messages are extracted afresh from the code with
Babel's API, using babel.cfg and the --keyword options of scripts/translations.sh, so these tests
see a new string the moment it is wrapped in _() — whether or not anyone re-ran the extraction.

When a test here fails because of a new or changed string:

    scripts/translations.sh extract update
    # translate the empty (and check any "#, fuzzy") entries in
    # app/translations/fi/LC_MESSAGES/messages.po and app/translations/sv/LC_MESSAGES/messages.po
    scripts/translations.sh compile
"""

from __future__ import annotations

import gettext
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
SCRIPT = ROOT / "scripts" / "translations.sh"
TRANSLATED = ("fi", "sv")  # must be complete
LOCALES = (*TRANSLATED, "en")  # English is the source language: its msgstr may stay empty
PLURAL_FORMS = "nplurals=2; plural=(n != 1);"
HOWTO = (
    "Run `scripts/translations.sh extract update`, translate the empty or fuzzy entries in "
    "app/translations/{fi,sv}/LC_MESSAGES/messages.po (remove the `#, fuzzy` flag once a "
    "suggested translation is checked), then `scripts/translations.sh compile`."
)

Key = tuple[str, str | None]  # (msgid, msgctxt) as Babel keys a catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


@cache
def catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=True)


@cache
def extracted() -> dict[Key, tuple[bool, tuple[str, ...]]]:
    """(msgid, context) -> (is plural, locations) for every message in the source today."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(re.findall(r"--keyword=(\S+)", SCRIPT.read_text())))
    found: dict[Key, tuple[bool, list[str]]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        plural = not isinstance(message, str)
        msgid = message if isinstance(message, str) else message[0]
        if not msgid:
            continue
        entry = found.setdefault((msgid, context), (plural, []))
        entry[1].append(f"{filename}:{lineno}")
        if plural and not entry[0]:
            found[(msgid, context)] = (True, entry[1])
    return {key: (plural, tuple(where)) for key, (plural, where) in found.items()}


def messages(locale: str) -> Iterator[Message]:
    return (message for message in catalog(locale) if message.id)


def forms(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, tuple | list) else (string or "",)


def describe(key: Key) -> str:
    msgid, context = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


# --- (a) every extracted string is translated -------------------------------------------------


def test_the_extraction_finds_the_source_strings() -> None:
    """Guards the guard: an empty extraction (a broken babel.cfg) would pass every check below."""
    found = extracted()
    assert len(found) > 50, f"only {len(found)} messages extracted: check babel.cfg"
    places = {where.split(":")[0] for _plural, locations in found.values() for where in locations}
    assert any(place.endswith(".py") for place in places), "no strings extracted from Python"
    assert any(place.endswith(".html") for place in places), "no strings extracted from templates"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_exists_with_two_plural_forms(locale: str) -> None:
    assert po_path(locale).is_file(), f"{po_path(locale)} is missing. {HOWTO}"
    cat = catalog(locale)
    assert str(cat.locale) == locale
    assert cat.plural_forms == PLURAL_FORMS
    # pybabel compile skips a catalog whose header is fuzzy: the app would silently show English.
    assert not cat.fuzzy, f"{po_path(locale)}: remove `#, fuzzy` from the header entry"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_source_string_is_translated(locale: str) -> None:
    cat = catalog(locale)
    problems: dict[str, list[str]] = defaultdict(list)
    for key, (plural, locations) in sorted(extracted().items()):
        where = ", ".join(locations[:3]) + (" …" if len(locations) > 3 else "")
        message = cat.get(*key)
        if message is None:
            problems["missing from the catalog"].append(f"{describe(key)}  [{where}]")
        elif plural != message.pluralizable:
            kind = "plural" if plural else "singular"
            problems[f"{kind} in the code, not in the catalog"].append(
                f"{describe(key)}  [{where}]"
            )
        elif message.fuzzy:
            problems["fuzzy (a guess that needs checking)"].append(f"{describe(key)}  [{where}]")
        elif not all(form.strip() for form in forms(message)):
            problems["not translated"].append(f"{describe(key)}  [{where}]")
    report = "\n".join(
        f"{len(items)} {what}:\n" + "\n".join(f"  {item}" for item in items)
        for what, items in problems.items()
    )
    assert not problems, f"{po_path(locale).relative_to(ROOT)}:\n{report}\n{HOWTO}"


def test_the_english_catalog_lists_every_source_string() -> None:
    cat = catalog("en")
    missing = [describe(key) for key in sorted(extracted()) if cat.get(*key) is None]
    assert not missing, (
        "missing from the English catalog:\n  " + "\n  ".join(missing) + f"\n{HOWTO}"
    )


# --- (b) placeholders ---------------------------------------------------------------------------

# printf-style conversions as Python's % operator reads them: %(name)s, %d, %.1f, %%
PRINTF = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}")


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...], frozenset[str], int]:
    """Named %(x)s placeholders, positional %s ones in order, {x} fields, and stray % signs."""
    named: set[str] = set()
    positional: list[str] = []
    for match in PRINTF.finditer(text):
        if match["type"] == "%":
            continue
        if match["name"] is not None:
            named.add(match.group(0))
        else:
            positional.append(match.group(0))
    stray = PRINTF.sub("", text).count("%")
    return frozenset(named), tuple(positional), frozenset(BRACES.findall(text)), stray


def placeholder_problems(locale: str) -> Iterator[str]:
    for message in messages(locale):
        sources = message.id if isinstance(message.id, tuple | list) else (message.id,)
        for index, form in enumerate(forms(message)):
            if not form:
                continue  # untranslated: reported by the tests above (or English, the source)
            source = sources[min(index, len(sources) - 1)]
            want_named, want_positional, want_fields, want_stray = placeholders(source)
            named, positional, fields, stray = placeholders(form)
            label = f"{message.id!r}" + (f" msgstr[{index}]" if len(sources) > 1 else "")
            if named != want_named:
                yield f"{label}: has {sorted(named)}, the source has {sorted(want_named)}"
            if positional != want_positional:
                yield f"{label}: has {list(positional)}, the source has {list(want_positional)}"
            if fields != want_fields:
                yield f"{label}: has {sorted(fields)}, the source has {sorted(want_fields)}"
            if stray > want_stray:
                # Jinja's newstyle gettext always applies %: write a literal percent sign as %%.
                yield f"{label}: a lone % sign (write %% for a literal percent sign)"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    problems = list(placeholder_problems(locale))
    assert not problems, f"{po_path(locale).relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def test_the_placeholder_check_notices_mistakes() -> None:
    assert placeholders("Hello, %(name)s") == placeholders("Hei, %(name)s")
    assert placeholders("Hello, %(name)s") != placeholders("Hei, %(nimi)s")
    assert placeholders("%(num)d clients") != placeholders("%(num)s asiakasta")
    assert placeholders("%s of %d") != placeholders("%d / %s")
    assert placeholders("{n} left") != placeholders("{m} jäljellä")
    assert placeholders("100%% done")[3] == 0
    assert placeholders("100 % valmis")[3] == 1


# --- (c) the catalogs compile -------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_compiles_without_errors(locale: str) -> None:
    cat = catalog(locale)
    errors = [f"{message.id!r}: {error}" for message, errs in cat.check() for error in errs]
    assert not errors, f"{po_path(locale).relative_to(ROOT)}:\n  " + "\n  ".join(errors)
    buffer = BytesIO()
    write_mo(buffer, cat)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    for message in messages(locale):
        if message.fuzzy or not all(forms(message)):
            continue
        translated = forms(message)
        if isinstance(message.id, str):
            if message.context:
                assert compiled.pgettext(message.context, message.id) == translated[0]
            else:
                assert compiled.gettext(message.id) == translated[0]
        else:
            singular, plural = message.id[0], message.id[1]
            assert compiled.ngettext(singular, plural, 1) == translated[0]
            assert compiled.ngettext(singular, plural, 5) == translated[1]
