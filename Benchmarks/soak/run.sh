#!/usr/bin/env bash
# Soak benchmark (not a test): a release server on a 100k-paper synthetic corpus under 10 minutes of mixed
# traffic from wrk (listings by day, week and month, paper pages and Markdown, the JSON API, keyword searches),
# reporting answers by status, socket errors, latency percentiles and the server's memory over time.
#
# Usage: Benchmarks/soak/run.sh            (about 15 minutes with the build, corpus and database made)
# Environment:
#   SOAK_SECONDS      how long wrk runs (default 600)
#   SOAK_CONNECTIONS  wrk connections (default 32; 2 threads)
#   SERVE_ARGS        extra `paperboy serve` arguments
# Needs python3, wrk and sqlite3 (Debian: apt-get install wrk sqlite3; installed here when apt-get can).
#
# Search runs in keyword mode and the server has no model: serving with the model would embed the 100k papers
# in the background during the soak (about 25 papers/s on 2 cores, over an hour), measuring that instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN="${SOAK_SECONDS:-600}"
CONNECTIONS="${SOAK_CONNECTIONS:-32}"
DATA=Benchmarks/data
mkdir -p "$DATA"

for tool in wrk sqlite3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
            apt-get install -y -qq "$tool" >/dev/null
        else
            echo "$0: $tool is missing (Debian: apt-get install $tool)" >&2
            exit 69
        fi
    fi
done

# The release build of Benchmarks/run.sh (its own scratch path, so the debug build of the tests stays as it is).
SCRATCH=.build-release
swift build -c release --scratch-path "$SCRATCH" --product paperboy >/dev/null
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/paperboy"

# The corpus of Benchmarks/run.sh (same arguments, same bytes).
CORPUS="$DATA/corpus-100k.jsonl"
[[ -f $CORPUS ]] || python3 ../shared/corpus/make_corpus.py --n 100000 --seed 7 --end 2026-11-20 --out "$CORPUS"
DB="$DATA/soak-100k.sqlite"
if [[ ! -f $DB ]]; then
    echo "== ingest $CORPUS into $DB"
    "$BIN" ingest --database "$DB.tmp" "$CORPUS"
    mv "$DB.tmp" "$DB"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/paperboy-soak.XXXXXX")"
SERVER_PID=""
SAMPLER_PID=""
cleanup() {
    [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null || true
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Requests are built from 5,000 random papers and every day that has papers.
sqlite3 "$DB" "SELECT id FROM papers ORDER BY random() LIMIT 5000" >"$WORK/ids.txt"
sqlite3 "$DB" "SELECT DISTINCT featured_day FROM papers ORDER BY featured_day" >"$WORK/days.txt"

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# shellcheck disable=SC2086
"$BIN" serve --database "$DB" --port "$PORT" --log-level warning --model "$WORK/no-model" ${SERVE_ARGS:-} \
    >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do curl -fsS "$BASE/health" >/dev/null 2>&1 && break; sleep 0.3; done
curl -fsS "$BASE/health" >/dev/null

rss() { awk '/^VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVER_PID/status"; }
hwm() { awk '/^VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVER_PID/status"; }
echo "== soak: $SECONDS_TO_RUN s of wrk -t2 -c$CONNECTIONS on $BASE, $(wc -l <"$WORK/ids.txt") papers," \
    "$(wc -l <"$WORK/days.txt") days; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "soak: server RSS at start: $(rss)"
SECONDS=0
(
    while sleep 60; do
        echo "soak: server RSS after $((SECONDS / 60)) min: $(rss) (load average $(cut -d' ' -f1 /proc/loadavg))"
    done
) &
SAMPLER_PID=$!
SOAK_DIR="$WORK" wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_TO_RUN}s" --timeout 10s --latency \
    -s Benchmarks/soak/soak.lua "$BASE" | tee "$WORK/wrk.txt"
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
echo "soak: server RSS at end: $(rss) (peak $(hwm))"
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "soak: the server exited during the run; its log:" >&2
    cat "$WORK/serve.log" >&2
    exit 1
fi
echo "soak: server log lines at warning or above: $(wc -l <"$WORK/serve.log")"
tail -n 5 "$WORK/serve.log"
