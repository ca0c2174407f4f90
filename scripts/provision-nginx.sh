#!/usr/bin/env bash
# Provide Debian's nginx for the reverse-proxy test and print its path.
#
#   path="$(bash scripts/provision-nginx.sh)"   # stdout: only the path, as the last line
#
# - NGINX_PATH set: use it if it is executable, else fail (never second-guess the caller).
# - Otherwise /usr/sbin/nginx (or nginx on PATH); when missing and we are root:
#   apt-get update (at most once an hour) and apt-get install -y nginx.
# The package's own service is not started here (the test starts its own nginx on loopback).
# Exits non-zero (with the reason on stderr) when it cannot provide nginx.
set -euo pipefail

exec 3>&1 1>&2

APT_STAMP="${TMPDIR:-/tmp}/tukiverkko-apt-update.stamp"

log() { printf 'provision-nginx: %s\n' "$*"; }
die() {
    log "ERROR: $*"
    log "The reverse-proxy test needs nginx: run as root (sudo make test) so this script can"
    log "apt-get install nginx, or export NGINX_PATH=/path/to/nginx"
    exit 1
}

found() {
    local path="$1" version
    version="$("$path" -v 2>&1)" || die "$path does not run ($path -v failed)"
    log "using $path ($version)"
    printf '%s\n' "$path" >&3
    exit 0
}

if [[ -n "${NGINX_PATH:-}" ]]; then
    [[ -x "$NGINX_PATH" ]] || die "NGINX_PATH=$NGINX_PATH is not an executable file"
    found "$NGINX_PATH"
fi

find_nginx() {
    if [[ -x /usr/sbin/nginx ]]; then
        echo /usr/sbin/nginx
    else
        command -v nginx || true
    fi
}

path="$(find_nginx)"
if [[ -z "$path" ]]; then
    [[ "$(id -u)" -eq 0 ]] || die "nginx is not installed and we are not root (cannot apt-get install nginx)"
    export DEBIAN_FRONTEND=noninteractive
    apt=(apt-get -o DPkg::Lock::Timeout=300 -q)
    if [[ ! -f "$APT_STAMP" || -n "$(find "$APT_STAMP" -mmin +60 2>/dev/null)" ]]; then
        log "apt-get update"
        "${apt[@]}" update || die "apt-get update failed"
        touch "$APT_STAMP"
    fi
    log "apt-get install -y nginx"
    if ! "${apt[@]}" install -y nginx; then
        log "install failed; refreshing the package lists once and retrying"
        "${apt[@]}" update || die "apt-get update failed"
        touch "$APT_STAMP"
        "${apt[@]}" install -y nginx || die "apt-get install nginx failed"
    fi
    path="$(find_nginx)"
    [[ -n "$path" ]] || die "apt-get installed nginx but no nginx executable was found"
fi
found "$path"
