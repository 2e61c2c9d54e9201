#!/usr/bin/env bash
# API conformance: schemathesis generates requests from the live server's /openapi.json and checks every answer
# against it (no 5xx, documented status codes and content types, bodies matching the response schemas).
# Exits non-zero when schemathesis finds a problem.
#
# Usage: Tests/api_conformance/run.sh .build/debug/paperboy
#
# Needs schemathesis 4.x (scripts/setup.sh installs the pinned version; verified with 4.32.5 on Python 3.11).
#
# Environment:
#   DATA_DIR            directory with seed-papers.jsonl and arxiv-sample-200.jsonl (default: Tests/Fixtures)
#   MAX_EXAMPLES        test cases per operation (default 1000: about 2 minutes on 2 cores busy with other builds)
#   SEED                the generator's seed (default 20261120); the same seed and server give the same requests
#   SERVE_ARGS          extra `paperboy serve` arguments, appended to EXTRA_SERVE_ARGS below
#   ST_ARGS             extra `st run` arguments (e.g. --include-path /api/papers/search)
set -euo pipefail

# shellcheck source=Tests/lib/live-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/live-server.sh"
live_server_setup api "$@"
MAX_EXAMPLES="${MAX_EXAMPLES:-1000}"
SEED="${SEED:-20261120}"
# Serve settings for a fuzzer: schemathesis sends thousands of requests from one address in a few minutes, which
# the overload limits (searches at once and waiting, connections per address) must let through.
EXTRA_SERVE_ARGS=(--search-concurrency 64 --search-queue 10000 --connections-per-address 0)
# shellcheck disable=SC2206
EXTRA_SERVE_ARGS+=(${SERVE_ARGS:-})
if ! command -v st >/dev/null 2>&1; then
    echo "$0: schemathesis (st) is not installed: run scripts/setup.sh" >&2
    exit 69
fi

"$BIN" ingest --database "$TMP/db.sqlite" --log-level warning "$DATA_DIR/seed-papers.jsonl" \
    "$DATA_DIR/arxiv-sample-200.jsonl" >/dev/null

# A user with a personal access token, so that the write operations (votes, submissions) are fuzzed past 401, and
# an arXiv API stub on loopback that knows no paper (every lookup of an id not stored is a quick 404).
printf 'correct horse battery\n' | "$BIN" user create --database "$TMP/db.sqlite" --username fuzzer \
    --email fuzzer@example.org --password-stdin --log-level warning >/dev/null
TOKEN="$("$BIN" user token create fuzzer --database "$TMP/db.sqlite" --log-level warning | tail -n 1)"
mkdir -p "$TMP/arxiv/api"
cat >"$TMP/arxiv/api/query" <<'FEED'
<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>https://arxiv.org/api/stub</id><title>arXiv Query</title>
<updated>2026-01-01T00:00:00Z</updated></feed>
FEED
STUB_PORT="$(free_port)"
python3 -m http.server "$STUB_PORT" --bind 127.0.0.1 --directory "$TMP/arxiv" >"$TMP/stub.log" 2>&1 &
STUB_PID=$!
# A real SMTP server (the tests' aiosmtpd sink), so that subscriptions are fuzzed past 503: the answers are 202, 400
# and, past 20 an hour from the fuzzer's address, 429.
trap 'kill "$STUB_PID" 2>/dev/null || true; live_server_cleanup' EXIT
start_smtp_sink
EXTRA_SERVE_ARGS+=(--arxiv-api-url "http://127.0.0.1:$STUB_PORT/api/query" --smtp-host 127.0.0.1
    --smtp-port "$SMTP_PORT" --smtp-tls none --mail-from papers@example.org)

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
# Keyword search only (no model): semantic mode answers like keyword mode without one, and the answers do not
# change while vectors are computed.
"$BIN" serve --database "$TMP/db.sqlite" --port "$PORT" --base-url "$BASE" --cache-ttl 0 --model "$TMP/no-model" \
    --log-level warning "${EXTRA_SERVE_ARGS[@]}" >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!

wait_healthy "$BASE" "$SERVER_PID" "$TMP/serve.log" || exit 1

status=0
# One worker and a fixed seed keep runs reproducible; --generation-database none and running in $TMP (schemathesis
# keeps a cache of past failures in ./.schemathesis, replayed first) leave nothing from one run to the next.
cd "$TMP"
# shellcheck disable=SC2086
st run "$BASE/openapi.json" --url "$BASE" -H "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" --seed "$SEED" \
    --generation-database none --workers 1 --request-timeout 10 --continue-on-failure --no-color ${ST_ARGS:-} ||
    status=$?

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "$0: paperboy exited during the run" >&2
    status=1
fi
if [[ $status -ne 0 ]]; then
    echo "--- paperboy serve log (tail) ---" >&2
    tail -n 50 "$TMP/serve.log" >&2 || true
fi
exit $status
