#!/usr/bin/env bash
# Provide Debian's Chromium for the browser tests and print its path.
#
#   path="$(bash scripts/provision-chromium.sh)"   # stdout: only the path, as the last line
#
# - CHROMIUM_PATH set: use it if it is executable, else fail (never second-guess the caller).
# - Otherwise /usr/bin/chromium (or chromium on PATH); when missing and we are root:
#   apt-get update (at most once an hour) and apt-get install -y chromium.
# Never downloads a browser of its own (no `playwright install`).
# Exits non-zero (with the reason on stderr) when it cannot provide Chromium.
set -euo pipefail

exec 3>&1 1>&2

APT_STAMP="${TMPDIR:-/tmp}/tukiverkko-apt-update.stamp"

log() { printf 'provision-chromium: %s\n' "$*"; }
die() {
    log "ERROR: $*"
    log "Browser tests need Chromium: run as root (sudo make test) so this script can"
    log "apt-get install chromium, or export CHROMIUM_PATH=/path/to/chromium"
    exit 1
}

found() {
    local path="$1" version
    version="$(timeout 60 "$path" --version 2>/dev/null)" || die "$path does not run ($path --version failed)"
    log "using $path ($version)"
    printf '%s\n' "$path" >&3
    exit 0
}

if [[ -n "${CHROMIUM_PATH:-}" ]]; then
    [[ -x "$CHROMIUM_PATH" ]] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
    found "$CHROMIUM_PATH"
fi

find_chromium() {
    if [[ -x /usr/bin/chromium ]]; then
        echo /usr/bin/chromium
    else
        command -v chromium || true
    fi
}

path="$(find_chromium)"
if [[ -z "$path" ]]; then
    [[ "$(id -u)" -eq 0 ]] || die "Chromium is not installed and we are not root (cannot apt-get install chromium)"
    export DEBIAN_FRONTEND=noninteractive
    apt=(apt-get -o DPkg::Lock::Timeout=300 -q)
    if [[ ! -f "$APT_STAMP" || -n "$(find "$APT_STAMP" -mmin +60 2>/dev/null)" ]]; then
        log "apt-get update"
        "${apt[@]}" update || die "apt-get update failed"
        touch "$APT_STAMP"
    fi
    log "apt-get install -y chromium"
    if ! "${apt[@]}" install -y chromium; then
        log "install failed; refreshing the package lists once and retrying"
        "${apt[@]}" update || die "apt-get update failed"
        touch "$APT_STAMP"
        "${apt[@]}" install -y chromium || die "apt-get install chromium failed"
    fi
    path="$(find_chromium)"
    [[ -n "$path" ]] || die "apt-get installed chromium but no chromium executable was found"
fi
found "$path"
