#!/usr/bin/env bash
# Translation catalogs: extract the English source strings, update the fi/sv/en catalogs, compile.
#
#   scripts/translations.sh extract            app/**.py + app/**/templates/**.html -> messages.pot
#   scripts/translations.sh update             messages.pot -> {fi,sv,en}/LC_MESSAGES/messages.po
#                                              (a missing catalog is created with `pybabel init`)
#   scripts/translations.sh compile            *.po -> *.mo (quietly nothing when no .po exists)
#   scripts/translations.sh extract update     subcommands run in the order given
#
# Adding a string: wrap it in _() / {{ _("...") }}, run `scripts/translations.sh extract update`,
# fill in the empty msgstr lines in fi and sv (English is the source: its msgstr may stay empty),
# clear any `#, fuzzy` flag after checking the suggestion, then `scripts/translations.sh compile`.
# tests/unit/test_translations.py fails while a string lacks a Finnish or Swedish translation.
#
# pybabel comes from ${VENV:-.venv}/bin when present, else from PATH.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

LOCALES=(fi sv en)
DIR=app/translations
POT="$DIR/messages.pot"
VENV="${VENV:-.venv}"

if [[ -x "$VENV/bin/pybabel" ]]; then
  PYBABEL="$VENV/bin/pybabel"
elif command -v pybabel >/dev/null 2>&1; then
  PYBABEL="$(command -v pybabel)"
else
  echo "translations.sh: pybabel not found in $VENV/bin or on PATH (pip install Babel)" >&2
  exit 1
fi

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

extract() {
  echo "==> pybabel extract -> $POT"
  # Locations are kept (translators need context) and sorted by file, so the output is stable.
  # Besides Babel's defaults (_, gettext, ngettext, pgettext, ...) Flask-Babel's lazy forms are
  # keywords; tests/unit/test_translations.py reads the --keyword options below, keep them here.
  local new="$POT.new"
  "$PYBABEL" --quiet extract \
    --mapping-file=babel.cfg \
    --keyword=_l --keyword=lazy_gettext --keyword=lazy_ngettext:1,2 --keyword=lazy_pgettext:1c,2 \
    --add-comments=TRANSLATORS: \
    --sort-by-file \
    --project=Tukiverkko \
    --copyright-holder="Tukiverkko contributors" \
    --output-file="$new" \
    . || { rm -f "$new"; exit 1; }
  # When only the POT-Creation-Date changed, keep the old template (and so the catalogs' dates).
  if [[ -f "$POT" ]] && cmp -s <(grep -v '^"POT-Creation-Date: ' "$POT") \
                               <(grep -v '^"POT-Creation-Date: ' "$new"); then
    rm -f "$new"
  else
    mv "$new" "$POT"
  fi
  echo "    $(grep -c '^msgid "' "$POT" | awk '{print $1 - 1}') messages"
}

update() {
  if [[ ! -f "$POT" ]]; then
    echo "translations.sh: $POT is missing; run '$0 extract' first" >&2
    exit 1
  fi
  local locale po
  for locale in "${LOCALES[@]}"; do
    po="$DIR/$locale/LC_MESSAGES/messages.po"
    if [[ -f "$po" ]]; then
      echo "==> pybabel update -l $locale"
      # --ignore-obsolete drops removed strings. No --previous: Babel 2.18 re-reads those
      # '#|' lines as comments on the next update, and they pile up.
      "$PYBABEL" --quiet update --input-file="$POT" --output-dir="$DIR" --locale="$locale" \
        --ignore-obsolete
    else
      echo "==> pybabel init -l $locale (new catalog)"
      "$PYBABEL" --quiet init --input-file="$POT" --output-dir="$DIR" --locale="$locale"
    fi
  done
  local untranslated
  for locale in fi sv; do
    po="$DIR/$locale/LC_MESSAGES/messages.po"
    # One PO entry per paragraph; the header (msgid "" directly followed by msgstr) is skipped.
    untranslated="$(awk 'BEGIN { RS = ""; FS = "\n" }
      {
        header = 0; todo = 0
        for (i = 1; i <= NF; i++) {
          if ($i == "msgid \"\"" && $(i + 1) ~ /^msgstr/) header = 1
          if ($i ~ /^#,.*fuzzy/) todo = 1
          if ($i ~ /^msgstr(\[[0-9]+\])? ""$/ && $(i + 1) !~ /^"/) todo = 1
        }
        if (!header && todo) n++
      }
      END { print n + 0 }' "$po")"
    if (( untranslated > 0 )); then
      echo "    $locale: $untranslated entries are empty or fuzzy: translate them in $po"
    fi
  done
}

compile() {
  if compgen -G "$DIR/*/LC_MESSAGES/*.po" >/dev/null; then
    echo "==> pybabel compile -d $DIR"
    "$PYBABEL" --quiet compile --directory="$DIR"
  fi
}

(( $# )) || usage
for command in "$@"; do
  case "$command" in
    extract | update | compile) "$command" ;;
    -h | --help | help) usage 0 ;;
    *) echo "translations.sh: unknown subcommand '$command'" >&2; usage ;;
  esac
done
