#!/usr/bin/env bash
# Provide a program from a Debian package for a test suite and print its path.
#
#   path="$(bash scripts/provision-debian-program.sh PACKAGE VARIABLE DEFAULT_PATH VERSION_FLAG WHO)"
#   e.g. chromium CHROMIUM_PATH /usr/bin/chromium --version "Browser tests"
#   stdout: only the path, as the last line. scripts/provision-{chromium,nginx}.sh call this.
#
# - $VARIABLE set: use it if it is executable, else fail (never second-guess the caller).
# - Otherwise DEFAULT_PATH (or PACKAGE on PATH); when missing and we are root:
#   apt-get update (at most once an hour) and apt-get install -y PACKAGE.
# Never downloads anything but Debian's package; starts no service.
# Exits non-zero (with the reason on stderr) when it cannot provide the program.
set -euo pipefail

(( $# == 5 )) || { echo "usage: $0 PACKAGE VARIABLE DEFAULT_PATH VERSION_FLAG WHO" >&2; exit 2; }
package="$1" variable="$2" default_path="$3" version_flag="$4" who="$5"

exec 3>&1 1>&2

APT_STAMP="${TMPDIR:-/tmp}/tukiverkko-apt-update.stamp"

log() { printf 'provision-%s: %s\n' "$package" "$*"; }
die() {
    log "ERROR: $*"
    log "$who need $package: run as root (sudo make test) so this script can"
    log "apt-get install $package, or export $variable=/path/to/$package"
    exit 1
}

found() {
    local path="$1" version
    # Chromium says its version on stdout, nginx on stderr.
    version="$(timeout 60 "$path" "$version_flag" 2>/dev/null)" \
        || die "$path does not run ($path $version_flag failed)"
    [[ -n "$version" ]] || version="$(timeout 60 "$path" "$version_flag" 2>&1)"
    log "using $path ($version)"
    printf '%s\n' "$path" >&3
    exit 0
}

given="${!variable:-}"
if [[ -n "$given" ]]; then
    [[ -x "$given" ]] || die "$variable=$given is not an executable file"
    found "$given"
fi

find_program() {
    if [[ -x "$default_path" ]]; then
        echo "$default_path"
    else
        command -v "$package" || true
    fi
}

path="$(find_program)"
if [[ -z "$path" ]]; then
    [[ "$(id -u)" -eq 0 ]] || die "$package is not installed and we are not root (cannot apt-get install $package)"
    export DEBIAN_FRONTEND=noninteractive
    apt=(apt-get -o DPkg::Lock::Timeout=300 -q)
    if [[ ! -f "$APT_STAMP" || -n "$(find "$APT_STAMP" -mmin +60 2>/dev/null)" ]]; then
        log "apt-get update"
        "${apt[@]}" update || die "apt-get update failed"
        touch "$APT_STAMP"
    fi
    log "apt-get install -y $package"
    if ! "${apt[@]}" install -y "$package"; then
        log "install failed; refreshing the package lists once and retrying"
        "${apt[@]}" update || die "apt-get update failed"
        touch "$APT_STAMP"
        "${apt[@]}" install -y "$package" || die "apt-get install $package failed"
    fi
    path="$(find_program)"
    [[ -n "$path" ]] || die "apt-get installed $package but no $package executable was found"
fi
found "$path"
