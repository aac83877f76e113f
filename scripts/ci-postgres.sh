#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server, then stops the server and deletes its data.
#
#   scripts/ci-postgres.sh [--port 54329] -- COMMAND [ARGS...]
#
# The server lives in a fresh temporary directory, listens on 127.0.0.1 only (plus a Unix socket inside
# that directory), trusts every local connection and has one empty database, `mhi`. COMMAND runs with
# DATABASE_URL=postgres://postgres@127.0.0.1:PORT/mhi exported; the script exits with COMMAND's status.
# `make test` uses this for its PostgreSQL pass. Needs Debian's postgresql package (`make test` installs
# it). As root, the server runs as the `postgres` user, because PostgreSQL refuses to run as root.
set -euo pipefail

port="${MHI_PG_PORT:-54329}"
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port="$2"; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
if [ $# -eq 0 ]; then
    echo "usage: $0 [--port PORT] -- COMMAND [ARGS...]" >&2
    exit 2
fi

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "ci-postgres: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin;" \
        "install Debian's postgresql package (make test does)." >&2
    exit 1
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
first_port="$port"
while port_in_use "$port"; do
    port=$((port + 1))
    if [ "$port" -ge $((first_port + 50)) ]; then
        echo "ci-postgres: no free port in $first_port-$port" >&2
        exit 1
    fi
done

tmp="$(mktemp -d /tmp/mhi-pg.XXXXXX)"
as_pg=()
if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$tmp"
    as_pg=(runuser -u postgres --)
fi
chmod 700 "$tmp"
data="$tmp/data"

stop_server() {
    if [ -f "$data/postmaster.pid" ]; then
        "${as_pg[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "ci-postgres: starting PostgreSQL ($bindir) on 127.0.0.1:$port in $tmp"
"${as_pg[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }
# Durability is pointless for a database that is deleted in a minute; turning it off makes tests faster.
"${as_pg[@]}" "$bindir/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
"${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres mhi

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/mhi"
echo "ci-postgres: DATABASE_URL=$DATABASE_URL"
status=0
"$@" || status=$?
exit "$status"
