#!/usr/bin/env bash
# Rendering and sending 10,000 digests to a local SMTP server (the tests' aiosmtpd sink, which writes each message
# to a file): `paperboy digest send` wall time, its CPU time and peak memory, for two subscriber mixes:
#   plain  - every subscriber gets the day's top papers (one composition, 10,000 renders and sends)
#   topics - a quarter with one of 20 search topics, a quarter with one of 8 category sets, half plain
# The day is 2007-04-02 of Tests/Fixtures/arxiv-sample-200.jsonl (108 real papers). Needs sqlite3, python3 with
# aiosmtpd (scripts/setup.sh), and /usr/bin/time.
# Usage: Benchmarks/digest/run.sh [subscribers, default 10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${1:-10000}"
SCRATCH=.build-release
BIN="$SCRATCH/release/paperboy"
PYTHON=python3
if [[ -x .build-venv/bin/python3 ]]; then PYTHON=.build-venv/bin/python3; fi
swift build -c release --scratch-path "$SCRATCH" --product paperboy >/dev/null
WORK="$(mktemp -d)"
SINK_PID=""
trap '[[ -n "$SINK_PID" ]] && kill "$SINK_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

run() {
    local mix="$1"
    local db="$WORK/$mix.sqlite"
    "$BIN" ingest --database "$db" --log-level warning Tests/Fixtures/arxiv-sample-200.jsonl >/dev/null
    sqlite3 "$db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $COUNT)
INSERT INTO subscriptions (email, email_key, frequency, query, categories, confirmed_at, created_at)
SELECT 'reader' || i || '@example.org', 'reader' || i || '@example.org', 'daily',
    CASE WHEN '$mix' = 'topics' AND i % 4 = 0 THEN
        json_extract('["black holes","quantum","neural network","galaxy","magnetic field","dark matter",
            "superconductivity","graph","entropy","lattice","spin","neutrino","cosmic rays","turbulence",
            "phase transition","gravitational waves","star formation","algorithm","scattering","symmetry"]',
            '\$[' || ((i / 4) % 20) || ']')
    END,
    CASE WHEN '$mix' = 'topics' AND i % 4 = 1 THEN
        json_extract('["astro-ph","hep-th","quant-ph","cond-mat.str-el","math.CO","hep-ph gr-qc","cs.LG math.PR",
            "nucl-th physics.optics"]', '\$[' || ((i / 4) % 8) || ']')
    ELSE '' END,
    0, 0
FROM n;
SQL
    rm -rf "$WORK/mail" && mkdir -p "$WORK/mail"
    "$PYTHON" Tests/tools/smtp_sink.py --dir "$WORK/mail" --port 0 >"$WORK/sink.out" &
    SINK_PID=$!
    for _ in $(seq 1 100); do grep -q READY "$WORK/sink.out" 2>/dev/null && break; sleep 0.1; done
    local port
    port="$(awk '/READY/ {print $2}' "$WORK/sink.out")"
    /usr/bin/time -f "%e s wall, %U s user, %S s system, %M KB peak RSS" -o "$WORK/time" \
        "$BIN" digest send --database "$db" --period daily --date 2007-04-02 --log-level warning \
        --base-url https://papers.example.org --smtp-host 127.0.0.1 --smtp-port "$port" --smtp-tls none \
        --mail-from papers@example.org --model "$WORK/no-model" >"$WORK/out"
    local received
    received="$(find "$WORK/mail" -name '*.eml' | wc -l)"
    echo "$mix: $(cat "$WORK/out")"
    echo "$mix: $(cat "$WORK/time"); $received messages received"
    # A second run sends nothing: every digest is in the ledger.
    "$BIN" digest send --database "$db" --period daily --date 2007-04-02 --log-level warning \
        --base-url https://papers.example.org --smtp-host 127.0.0.1 --smtp-port "$port" --smtp-tls none \
        --mail-from papers@example.org --model "$WORK/no-model" 2>/dev/null | sed "s/^/$mix (again): /" || true
    kill "$SINK_PID" && wait "$SINK_PID" 2>/dev/null || true
    SINK_PID=""
}

run plain
run topics
