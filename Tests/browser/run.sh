#!/usr/bin/env bash
# Runs the browser suite (Tests/browser): real headless Chromium driven through WebDriver (Python's selenium) against
# a live `paperboy serve` with the demo papers, the embedding model, an SMTP sink for subscriptions and a paper whose
# title and abstract hold TeX. Screenshots of every page at 390 and 1280 px in both colour schemes go to
# $SCREENSHOT_DIR (default: test-output/screenshots in the repository).
#
# Usage: Tests/browser/run.sh .build/debug/paperboy
#
# Needs, installed beforehand (scripts/setup.sh does this): Debian's chromium and chromium-driver; python3 -m pip
# install selenium axe-selenium-python pytest aiosmtpd.
#
# Environment:
#   DATA_DIR        directory with seed-papers.jsonl and arxiv-sample-200.jsonl (default: Tests/Fixtures)
#   PAPERBOY_MODEL  the embedding model's folder (default: models/all-MiniLM-L6-v2; scripts/install-model.sh)
#   SCREENSHOT_DIR  where the screenshots go
#   PYTEST_ARGS     extra pytest arguments (default -q)
set -euo pipefail

# shellcheck source=Tests/lib/live-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/live-server.sh"
live_server_setup browser "$@"
MODEL="${PAPERBOY_MODEL:-$REPO/models/all-MiniLM-L6-v2}"
if [[ ! -f "$MODEL/model.safetensors" ]]; then
    echo "$0: the embedding model is not installed in $MODEL: run scripts/install-model.sh" >&2
    exit 66
fi
for tool in chromium chromedriver; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool is not installed (Debian: apt-get install chromium chromium-driver; scripts/setup.sh)" >&2
        exit 69
    fi
done
SCREENSHOT_DIR="${SCREENSHOT_DIR:-$REPO/test-output/screenshots}"
mkdir -p "$SCREENSHOT_DIR"

DB="$TMP/db.sqlite"
"$BIN" ingest --database "$DB" --log-level warning "$DATA_DIR/seed-papers.jsonl" "$DATA_DIR/arxiv-sample-200.jsonl" \
    >/dev/null
# The newest day: a paper with TeX in its title and abstract, and one to submit through the form.
python3 - "$DATA_DIR/seed-papers.jsonl" >"$TMP/extra.jsonl" <<'PY'
import json, sys
record = json.loads(open(sys.argv[1]).readline())
record.update(
    id="2612.90001", title=r"Sorting in $\mathcal{O}(n \log n)$ Time with Attention",
    abstract=r"We show that attention sorts $n$ keys in $\mathcal{O}(n \log n)$ steps, where "
    r"$$\sum_{i=1}^{n} \alpha_i = 1$$ and the error is below \(\varepsilon\). Costs stay at \$5 per run.",
    categories="cs.LG cs.DS", versions=[{"version": "v1", "created": "Tue, 1 Dec 2026 10:00:00 GMT"}],
    update_date="2026-12-01")
print(json.dumps(record))
record.update(id="2612.90002", title="A Paper Submitted Through the Browser", abstract="Submitted in a test.",
              versions=[{"version": "v1", "created": "Mon, 30 Nov 2026 10:00:00 GMT"}], update_date="2026-11-30")
print(json.dumps(record))
PY
"$BIN" ingest --database "$DB" --log-level warning "$TMP/extra.jsonl" >/dev/null
"$BIN" embed --database "$DB" --model "$MODEL" --log-level warning >/dev/null
# Readers made here sign in through the form; the suite signs up through it too, within the 5 sign-ups an hour one
# address is allowed.
for reader in voter nojs submitter keyboard; do
    printf 'correct horse battery staple\n' | "$BIN" user create --database "$DB" --username "$reader" \
        --email "$reader@example.org" --fullname "Reader ${reader^}" --password-stdin >/dev/null
done

start_smtp_sink

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
# Submissions of old papers are allowed: the fixtures are years old.
"$BIN" serve --database "$DB" --port "$PORT" --base-url "$BASE" --model "$MODEL" --submit-window-days 3650 \
    --smtp-host 127.0.0.1 --smtp-port "$SMTP_PORT" --smtp-tls none --mail-from papers@example.org \
    --log-level warning >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
wait_healthy "$BASE" "$SERVER_PID" "$TMP/serve.log"

status=0
# shellcheck disable=SC2086
(cd "$REPO" && PAPERBOY_TEST_URL="$BASE" PAPERBOY_MAIL_DIR="$TMP/mail" SCREENSHOT_DIR="$SCREENSHOT_DIR" \
    PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -p no:cacheprovider ${PYTEST_ARGS:--q} Tests/browser) || status=$?
if [[ $status -ne 0 ]]; then
    echo "--- paperboy serve log (tail) ---" >&2
    tail -n 50 "$TMP/serve.log" >&2 || true
fi
echo "browser suite: screenshots in $SCREENSHOT_DIR"
exit $status
