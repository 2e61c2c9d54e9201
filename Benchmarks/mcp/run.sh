#!/usr/bin/env bash
# A tool call over MCP's HTTP transport next to the same search through the JSON API: latency for one client
# (wrk -t1 -c1 --latency), then throughput (wrk -t2 -c32), both uncached (--cache-ttl 0; /mcp is never cached).
# Needs the 100k database Benchmarks/run.sh 100k leaves (made here from the same corpus when missing) and wrk.
# Usage: Benchmarks/mcp/run.sh [seconds per wrk run, default 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
SCRATCH=.build-release
BIN="$SCRATCH/release/paperboy"
DATA=Benchmarks/data
DB="$DATA/b100k.sqlite"
swift build -c release --scratch-path "$SCRATCH" --product paperboy >/dev/null
if [ ! -f "$DB" ]; then
    mkdir -p "$DATA"
    [ -f "$DATA/corpus-100k.jsonl" ] ||
        python3 ../shared/corpus/make_corpus.py --n 100000 --seed 7 --out "$DATA/corpus-100k.jsonl"
    # Exit 65: the generator dates some revisions after tomorrow, which ingest rejects (about 2 % of the records).
    "$BIN" ingest --database "$DB" --log-level error "$DATA/corpus-100k.jsonl" 2>/dev/null || [ $? -eq 65 ]
fi
PORT=18183
BASE="http://127.0.0.1:$PORT"
"$BIN" serve --database "$DB" --port "$PORT" --log-level warning --model "$DATA/no-model" --cache-ttl 0 \
    --rate-limits off &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done

API="$BASE/api/papers/search?q=model&mode=keyword&limit=10"
echo "== one client: GET $API"
wrk -t1 -c1 -d"${DURATION}s" --latency "$API"
echo "== one client: POST $BASE/mcp tools/call search_papers {query: model, mode: keyword, limit: 10}"
wrk -t1 -c1 -d"${DURATION}s" --latency -s Benchmarks/mcp/call.lua "$BASE/mcp"
echo "== 32 connections: the API"
wrk -t2 -c32 -d"${DURATION}s" --latency "$API"
echo "== 32 connections: the MCP tool call"
wrk -t2 -c32 -d"${DURATION}s" --latency -s Benchmarks/mcp/call.lua "$BASE/mcp"
