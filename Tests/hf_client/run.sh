#!/usr/bin/env bash
# Runs the huggingface_hub compatibility suite (Tests/hf_client) against a live Paperboy.
#
# Usage: Tests/hf_client/run.sh .build/debug/paperboy
#
# Needs, installed beforehand (CI does this, not this script):
#   python3 -m pip install 'huggingface_hub>=2.4' pytest   # verified with huggingface_hub 2.4.0
#
# Environment:
#   PAPERBOY_HF_DATABASE  the store to load and serve: an empty PostgreSQL database's postgres:// URL (default: an
#                       SQLite file in a temporary folder)
#   PAPERBOY_TEST_PORT  port to serve on (default 18080)
#   DATA_DIR            directory with seed-papers.jsonl and arxiv-sample-200.jsonl (default: Tests/Fixtures)
#   PAPERBOY_MODEL      the embedding model's folder (default: models/all-MiniLM-L6-v2; scripts/install-model.sh)
#
# The suite runs twice: keyword-only with the cache off (exact answers), then in the default hybrid mode
# with the model and the response cache on.
#   PYTEST_ARGS         extra pytest arguments (default -q)
set -euo pipefail

# shellcheck source=Tests/lib/live-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/live-server.sh"
live_server_setup hf "$@"
PORT="${PAPERBOY_TEST_PORT:-18080}"
# Every command below reads the store (and the indexes' folder) from the environment.
export PAPERBOY_DATABASE="${PAPERBOY_HF_DATABASE:-$TMP/db.sqlite}"
export PAPERBOY_INDEX_DIR="$TMP/index"
echo "huggingface_hub suite on ${PAPERBOY_DATABASE%%\?*}"

"$BIN" ingest "$DATA_DIR/seed-papers.jsonl" "$DATA_DIR/arxiv-sample-200.jsonl"

# A paper outside both files, for the community test to submit (moving a fixture paper's listing day would change
# the listings the other tests compute from the files), and a user with a personal access token to submit it.
python3 - "$DATA_DIR/seed-papers.jsonl" >"$TMP/extra.jsonl" <<'PY'
import json, sys
record = json.loads(open(sys.argv[1]).readline())
record.update(id="2612.90001", title="A Paper Submitted by the Community",
              versions=[{"version": "v1", "created": "Tue, 1 Dec 2026 10:00:00 GMT"}], update_date="2026-12-01")
print(json.dumps(record))
PY
"$BIN" ingest --log-level warning "$TMP/extra.jsonl" >/dev/null
printf 'correct horse battery\n' | "$BIN" user create --username hfuser \
    --email hfuser@example.org --fullname "HF User" --password-stdin >/dev/null
"$BIN" org create hflab --fullname "HF Lab" >/dev/null
"$BIN" org add hflab hfuser >/dev/null
PAPERBOY_TEST_TOKEN="$("$BIN" user token create hfuser --name hf-suite | tail -n 1)"
export PAPERBOY_TEST_TOKEN

MODEL="${PAPERBOY_MODEL:-$REPO/models/all-MiniLM-L6-v2}"
if [[ ! -f "$MODEL/model.safetensors" ]]; then
    echo "$0: the embedding model is not installed in $MODEL: run scripts/install-model.sh" >&2
    exit 66
fi

# Serves the database with the given extra arguments and runs the suite against it with PAPERBOY_TEST_MODE.
serve_and_test() {
    local mode="$1"
    shift
    # Submissions of old papers are allowed here: the fixtures are years old.
    "$BIN" serve --port "$PORT" --submit-window-days 3650 "$@" \
        >"$TMP/serve-$mode.log" 2>&1 &
    SERVER_PID=$!
    wait_healthy "http://127.0.0.1:$PORT" "$SERVER_PID" "$TMP/serve-$mode.log" || return 1
    local status=0
    # shellcheck disable=SC2086
    (cd "$REPO" && PAPERBOY_TEST_URL="http://127.0.0.1:$PORT" PAPERBOY_TEST_MODE="$mode" HF_HUB_DISABLE_TELEMETRY=1 \
        PYTHONDONTWRITEBYTECODE=1 env -u HF_HUB_OFFLINE python3 -m pytest -p no:cacheprovider ${PYTEST_ARGS:--q} \
        Tests/hf_client) || status=$?
    if [[ $status -ne 0 ]]; then
        echo "--- paperboy serve log, $mode pass (tail) ---" >&2
        tail -n 50 "$TMP/serve-$mode.log" >&2 || true
    fi
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    return $status
}

status=0
# Pass 1: keyword search only (no model) and no cache, so the answers are exact.
echo "huggingface_hub suite, keyword pass (no model, cache off)"
serve_and_test keyword --cache-ttl 0 --model "$TMP/no-model" || status=$?
# Pass 2: the defaults a user runs: hybrid search with the model, the response cache on (ETag, gzip).
echo "huggingface_hub suite, hybrid pass (model, cache on)"
"$BIN" embed --model "$MODEL" --log-level warning >/dev/null
serve_and_test hybrid --model "$MODEL" || status=$?
exit $status
