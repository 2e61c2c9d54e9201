#!/usr/bin/env bash
# The demo: installs what is missing (scripts/setup.sh), builds a release binary, loads Demo/ (200 real arXiv
# records) into ./paperboy.sqlite, embeds them for semantic search and serves them on http://127.0.0.1:8080.
# Arguments go to `paperboy serve`, e.g. scripts/run-demo.sh --port 9000. Running it again changes nothing
# in the database and starts the server again.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --product paperboy
BIN="$(swift build -c release --show-bin-path)/paperboy"
"$BIN" ingest Demo/arxiv-sample-200.jsonl
"$BIN" embed
exec "$BIN" serve "$@"
