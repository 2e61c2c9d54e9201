#!/usr/bin/env bash
# Three `serve` nodes on one PostgreSQL database (issue 16): votes through different nodes, a paper ingested beside
# one node and searched on the others, the digest scheduler on all three, one node killed with SIGKILL under load
# and restarted (Tests/nodes/test_nodes.py says what each check asserts).
#
# Usage: Tests/nodes/run.sh PATH/TO/paperboy postgres://user@host:port/empty_database
#
# Needs psql (Debian's postgresql-client) and aiosmtpd (scripts/setup.sh installs both). scripts/test.sh runs it on
# the throwaway cluster of Tests/lib/postgres.sh.
set -euo pipefail

# shellcheck source=Tests/lib/live-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/live-server.sh"
live_server_setup nodes "$@"
if [[ $# -lt 2 ]]; then
    echo "usage: $0 PATH/TO/paperboy postgres://user@host:port/database" >&2
    exit 64
fi
export PAPERBOY_DATABASE="$2"
export PAPERBOY_INDEX_DIR="$TMP/ingest.index"

"$BIN" migrate --log-level warning >/dev/null
"$BIN" ingest --log-level warning "$DATA_DIR/seed-papers.jsonl" "$DATA_DIR/arxiv-sample-200.jsonl" >/dev/null
# Papers of yesterday, for the daily digest the nodes' schedulers send at start (--digest-hour 0).
python3 - "$DATA_DIR/seed-papers.jsonl" >"$TMP/yesterday.jsonl" <<'PY'
import datetime, json, sys
day = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
stamp = day.strftime("%a, %d %b %Y 09:00:00 GMT")
for n, line in enumerate(open(sys.argv[1]).readlines()[:3]):
    record = json.loads(line)
    record.update(id=f"2612.9{n:04d}", title=f"Yesterday's paper {n}", update_date=day.strftime("%Y-%m-%d"),
                  versions=[{"version": "v1", "created": stamp}])
    print(json.dumps(record))
PY
"$BIN" ingest --log-level warning "$TMP/yesterday.jsonl" >/dev/null

# Twelve voters, each with a personal access token.
tokens=()
for n in $(seq 1 12); do
    printf 'correct horse battery\n' | "$BIN" user create --username "voter$n" --email "voter$n@example.org" \
        --fullname "Voter $n" --password-stdin >/dev/null
    tokens+=("$("$BIN" user token create "voter$n" --name nodes | tail -n 1)")
done
# Five confirmed daily subscribers (subscribing by mail is the subscription suites' business, not this one's).
subscribers=()
now_ms="$(($(date +%s) * 1000))"
for n in $(seq 1 5); do
    subscribers+=("reader$n@example.org")
    psql "$PAPERBOY_DATABASE" -q -v ON_ERROR_STOP=1 -c "INSERT INTO subscriptions (email, email_key, frequency, \
        categories, confirmed_at, created_at) VALUES ('reader$n@example.org', 'reader$n@example.org', 'daily', '', \
        $now_ms, $now_ms)" >/dev/null
done

start_smtp_sink
mkdir -p "$TMP/no-model"
NODE_PORTS="$(free_port),$(free_port),$(free_port)"
VOTED_PAPER="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' \
    "$DATA_DIR/seed-papers.jsonl")"
IFS=,
PAPERBOY_BIN="$BIN" NODES_TMP="$TMP" SMTP_PORT="$SMTP_PORT" NODE_PORTS="$NODE_PORTS" VOTER_TOKENS="${tokens[*]}" \
    SUBSCRIBERS="${subscribers[*]}" VOTED_PAPER="$VOTED_PAPER" python3 "$REPO/Tests/nodes/test_nodes.py" || {
    status=$?
    unset IFS
    for log in "$TMP"/node*.log; do
        echo "--- $log (tail) ---" >&2
        tail -n 30 "$log" >&2 || true
    done
    exit $status
}
