#!/usr/bin/env bash
# Runs the MCP client suite (Tests/mcp_client): the official Python SDK against `paperboy mcp` (stdio) and against
# /mcp on a live `paperboy serve` (streamable HTTP), on the same database.
#
# Usage: Tests/mcp_client/run.sh .build/debug/paperboy
#
# Needs, installed beforehand (scripts/setup.sh does this): python3 -m pip install 'mcp==2.3.0' pytest
#
# Environment:
#   PAPERBOY_TEST_PORT  port to serve on (default 18090)
#   DATA_DIR            directory with seed-papers.jsonl and arxiv-sample-200.jsonl (default: Tests/Fixtures)
#   PAPERBOY_MODEL      the embedding model's folder (default: models/all-MiniLM-L6-v2; scripts/install-model.sh)
#   PYTEST_ARGS         extra pytest arguments (default -q)
set -euo pipefail

# shellcheck source=Tests/lib/live-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/live-server.sh"
live_server_setup mcp "$@"
PORT="${PAPERBOY_TEST_PORT:-18090}"
MODEL="${PAPERBOY_MODEL:-$REPO/models/all-MiniLM-L6-v2}"
if [[ ! -f "$MODEL/model.safetensors" ]]; then
    echo "$0: the embedding model is not installed in $MODEL: run scripts/install-model.sh" >&2
    exit 66
fi

DB="$TMP/db.sqlite"
"$BIN" ingest --database "$DB" --log-level warning "$DATA_DIR/seed-papers.jsonl" "$DATA_DIR/arxiv-sample-200.jsonl" \
    >/dev/null
# Two papers outside the fixture files, one for each transport to submit.
python3 - "$DATA_DIR/seed-papers.jsonl" >"$TMP/extra.jsonl" <<'PY'
import json, sys
record = json.loads(open(sys.argv[1]).readline())
for n in (11, 12):
    record.update(id=f"2612.900{n}", title=f"A Paper Submitted Through MCP {n}",
                  versions=[{"version": "v1", "created": "Tue, 1 Dec 2026 10:00:00 GMT"}], update_date="2026-12-01")
    print(json.dumps(record))
PY
"$BIN" ingest --database "$DB" --log-level warning "$TMP/extra.jsonl" >/dev/null
"$BIN" embed --database "$DB" --model "$MODEL" --log-level warning >/dev/null
printf 'correct horse battery\n' | "$BIN" user create --database "$DB" --username mcpuser \
    --email mcpuser@example.org --fullname "MCP User" --password-stdin >/dev/null
PAPERBOY_TEST_TOKEN="$("$BIN" user token create mcpuser --database "$DB" --name mcp-suite | tail -n 1)"
export PAPERBOY_TEST_TOKEN

# Submissions of old papers are allowed here: the fixtures are years old. The stdio server is given the same setting
# through the environment.
export PAPERBOY_SUBMIT_WINDOW_DAYS=3650
"$BIN" serve --database "$DB" --port "$PORT" --model "$MODEL" --base-url "http://127.0.0.1:$PORT" \
    >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
wait_healthy "http://127.0.0.1:$PORT" "$SERVER_PID" "$TMP/serve.log"

status=0
# shellcheck disable=SC2086
(cd "$REPO" && PAPERBOY_BIN="$BIN" PAPERBOY_DATABASE="$DB" PAPERBOY_MODEL="$MODEL" \
    PAPERBOY_TEST_URL="http://127.0.0.1:$PORT" PYTHONDONTWRITEBYTECODE=1 \
    python3 -m pytest -p no:cacheprovider ${PYTEST_ARGS:--q} Tests/mcp_client) || status=$?
if [[ $status -ne 0 ]]; then
    echo "--- paperboy serve log (tail) ---" >&2
    tail -n 50 "$TMP/serve.log" >&2 || true
fi
exit $status
