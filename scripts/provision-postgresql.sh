#!/usr/bin/env bash
# Provide a PostgreSQL server for the test suite and print its URL.
#
#   url="$(bash scripts/provision-postgresql.sh)"   # stdout: only the URL, as the last line
#
# Idempotent, safe to run again and again:
#   - TEST_DATABASE_URL already set: print it and touch nothing.
#   - PostgreSQL missing and we are root: apt-get update (at most once an hour) and
#     apt-get install -y postgresql.
#   - Finds the cluster with pg_lsclusters (no hard-coded version), creates one when none
#     exists, starts it when it is down (one already running is fine), waits for pg_isready.
#   - Creates the role tukiverkko (LOGIN, password tukiverkko, CREATEDB) when missing, and
#     drops and recreates the databases tukiverkko_test, tukiverkko_test_browser and
#     tukiverkko_test_migrations, tukiverkko_test_concurrency owned by it, so leftovers of an old run never break a new one.
#   - Checks that the URL really logs in over TCP before printing it.
# Exits non-zero (with the reason on stderr) when it cannot provide PostgreSQL.
set -euo pipefail

# Everything but the final URL goes to stderr, so callers can capture stdout.
exec 3>&1 1>&2

ROLE=tukiverkko
PASSWORD=tukiverkko
DATABASES=(tukiverkko_test tukiverkko_test_browser tukiverkko_test_migrations tukiverkko_test_concurrency)
HOST=127.0.0.1
APT_STAMP="${TMPDIR:-/tmp}/tukiverkko-apt-update.stamp"

log() { printf 'provision-postgresql: %s\n' "$*"; }
die() {
    log "ERROR: $*"
    log "PostgreSQL tests need a server: run as root (sudo make test) so this script can"
    log "install and start one, or export TEST_DATABASE_URL=postgresql+psycopg://USER:PASS@HOST:PORT/DB"
    exit 1
}

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
    log "TEST_DATABASE_URL is already set; leaving PostgreSQL alone"
    printf '%s\n' "$TEST_DATABASE_URL" >&3
    exit 0
fi

# Run a command that may leave a server behind (apt's postinst, pg_ctlcluster start) with no
# file descriptor but 0-2: a server that inherits fd 3 (our caller's stdout pipe) or any pipe of
# whoever runs us keeps it open, and `url="$(... | tail -n 1)"` would wait for ever.
detached() {
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd="${fd##*/}"
            if (( fd > 2 )); then eval "exec $fd>&-"; fi
        done
        "$@" </dev/null
    )
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as the postgres superuser (peer authentication over the Unix socket).
as_postgres() {
    if [[ "$(id -un)" == postgres ]]; then
        (cd / && "$@")
    elif is_root; then
        (cd / && runuser -u postgres -- "$@")
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        (cd / && sudo -n -u postgres -- "$@")
    else
        return 1
    fi
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=300 -q)
    if [[ ! -f "$APT_STAMP" || -n "$(find "$APT_STAMP" -mmin +60 2>/dev/null)" ]]; then
        log "apt-get update"
        "${apt[@]}" update
        touch "$APT_STAMP"
    fi
    log "apt-get install -y $*"
    if ! "${apt[@]}" install -y "$@"; then
        log "install failed; refreshing the package lists once and retrying"
        "${apt[@]}" update
        touch "$APT_STAMP"
        "${apt[@]}" install -y "$@"
    fi
}

# 1. The server software.
if ! command -v pg_lsclusters >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1 \
    || ! command -v psql >/dev/null 2>&1 || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    is_root || die "PostgreSQL is not installed and we are not root (cannot apt-get install postgresql)"
    detached apt_install postgresql || die "apt-get install postgresql failed"
fi

# 2. The cluster: prefer one that is already online, else the newest version.
#    pg_lsclusters -h columns: version name port status owner datadir logfile
pick_cluster() {
    pg_lsclusters -h 2>/dev/null | awk '
        { online = ($4 ~ /^online/) ? 1 : 0
          printf "%d %s %s %s %s\n", online, $1, $1, $2, $3 }' \
        | sort -k1,1nr -k2,2Vr | head -n 1 | cut -d' ' -f3-
}

cluster="$(pick_cluster)"
if [[ -z "$cluster" ]]; then
    is_root || die "no PostgreSQL cluster exists and we are not root (cannot pg_createcluster)"
    version="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' -printf '%P\n' \
        | cut -d/ -f1 | sort -V | tail -n 1)"
    [[ -n "$version" ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    log "no cluster yet: pg_createcluster $version main"
    pg_createcluster "$version" main || die "pg_createcluster $version main failed"
    cluster="$(pick_cluster)"
    [[ -n "$cluster" ]] || die "pg_lsclusters shows no cluster even after pg_createcluster"
fi
read -r version name port <<<"$cluster"
log "using cluster $version/$name on port $port"

cluster_status() { pg_lsclusters -h "$version" "$name" 2>/dev/null | awk '{print $4}'; }

if [[ "$(cluster_status)" != online* ]]; then
    log "starting cluster $version/$name"
    start_cluster() {
        if is_root; then
            pg_ctlcluster "$version" "$name" start \
                || pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
        else
            as_postgres pg_ctlcluster "$version" "$name" start
        fi
    }
    if ! detached start_cluster; then
        # Another process may have started it meanwhile; only a cluster still down is an error.
        [[ "$(cluster_status)" == online* ]] \
            || die "could not start cluster $version/$name (see /var/log/postgresql/postgresql-$version-$name.log)"
    fi
fi

# 3. Wait until it accepts connections on TCP.
for _ in $(seq 1 60); do
    if pg_isready -q -h "$HOST" -p "$port" -t 2; then
        break
    fi
    sleep 1
done
pg_isready -h "$HOST" -p "$port" -t 2 \
    || die "cluster $version/$name does not accept connections on $HOST:$port"

# 4. Role and fresh databases (as the postgres superuser over the Unix socket).
psql_admin() { PGOPTIONS="-c client_min_messages=warning" as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"; }

psql_admin -c 'SELECT 1' >/dev/null \
    || die "cannot act as the postgres superuser (need root, or passwordless sudo -u postgres)"

role_exists="$(psql_admin -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")"
if [[ "$role_exists" != 1 ]]; then
    log "creating role $ROLE"
    psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD' CREATEDB"
else
    # Keep an existing role usable: same password, login and createdb rights.
    psql_admin -c "ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD' CREATEDB"
fi

for db in "${DATABASES[@]}"; do
    log "recreating database $db (owner $ROLE)"
    psql_admin -tA -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                       WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null
    psql_admin -c "DROP DATABASE IF EXISTS $db"
    psql_admin -c "CREATE DATABASE $db OWNER $ROLE"
done

# 5. Prove the URL works the way the tests will use it: password login over TCP.
PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=10 psql -X -q -h "$HOST" -p "$port" -U "$ROLE" \
    -d "${DATABASES[0]}" -tA -c 'SELECT 1' >/dev/null \
    || die "role $ROLE cannot log in with a password on $HOST:$port (check pg_hba.conf)"

url="postgresql+psycopg://$ROLE:$PASSWORD@$HOST:$port/${DATABASES[0]}"
log "ready: $url"
printf '%s\n' "$url" >&3
