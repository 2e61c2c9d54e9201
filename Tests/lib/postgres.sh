# Sourced by scripts/test.sh (and usable by hand): a throwaway PostgreSQL cluster for the tests, from Debian's
# postgresql package, in a temporary folder, on a free local port, run as an unprivileged user (postgres when run as
# root: initdb refuses root), with trust authentication on 127.0.0.1 only.
#
#   postgres_start   starts it and exports PAPERBOY_TEST_POSTGRES=postgres://paperboy@127.0.0.1:PORT/postgres
#                    (fsync off for speed: PAPERBOY_PG_FSYNC=on for benchmarks; PAPERBOY_PG_OPTIONS adds server
#                    options, e.g. "-c shared_buffers=1GB")
#   postgres_stop    stops it and removes the folder
#
# The store tests create a database of their own per test on it (PaperboyPostgresTests).

postgres_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/initdb" ]]; then
            echo "$dir"
            return 0
        fi
    done
    command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
    return 1
}

postgres_start() {
    local bin port run_as=()
    if ! bin="$(postgres_bin)"; then
        echo "postgres: initdb not found (Debian: apt-get install postgresql; scripts/setup.sh)" >&2
        return 69
    fi
    PAPERBOY_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/paperboy-pg.XXXXXX")"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres "$PAPERBOY_PG_DIR"
        run_as=(runuser -u postgres --)
    fi
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "${run_as[@]}" "$bin/initdb" -D "$PAPERBOY_PG_DIR/data" -U paperboy -A trust --no-sync -E UTF8 --locale=C.UTF-8 \
        >"$PAPERBOY_PG_DIR/initdb.log" 2>&1 || {
        cat "$PAPERBOY_PG_DIR/initdb.log" >&2
        return 1
    }
    "${run_as[@]}" "$bin/pg_ctl" -D "$PAPERBOY_PG_DIR/data" -l "$PAPERBOY_PG_DIR/server.log" -w -t 60 \
        -o "-p $port -k $PAPERBOY_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=${PAPERBOY_PG_FSYNC:-off} ${PAPERBOY_PG_OPTIONS:-} -c max_connections=500" start \
        >/dev/null || {
        cat "$PAPERBOY_PG_DIR/server.log" >&2
        return 1
    }
    PAPERBOY_PG_RUN_AS="${run_as[*]}"
    PAPERBOY_PG_BIN="$bin"
    export PAPERBOY_TEST_POSTGRES="postgres://paperboy@127.0.0.1:$port/postgres?sslmode=disable"
    echo "postgres: a test cluster on 127.0.0.1:$port ($PAPERBOY_PG_DIR)"
}

postgres_stop() {
    if [[ -n "${PAPERBOY_PG_DIR:-}" && -d "$PAPERBOY_PG_DIR/data" ]]; then
        # shellcheck disable=SC2086
        $PAPERBOY_PG_RUN_AS "$PAPERBOY_PG_BIN/pg_ctl" -D "$PAPERBOY_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PAPERBOY_PG_DIR"
    fi
}

# postgres_create_database NAME: makes an empty database NAME on the test cluster (dropping one of that name) and prints
# its URL.
postgres_create_database() {
    local name="$1"
    "$PAPERBOY_PG_BIN/psql" "$PAPERBOY_TEST_POSTGRES" -q -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" \
        -c "CREATE DATABASE $name" >/dev/null
    echo "${PAPERBOY_TEST_POSTGRES/\/postgres\?//$name?}"
}
