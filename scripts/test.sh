#!/usr/bin/env bash
# The test command: installs what is missing (scripts/setup.sh: Debian and Python packages, the model), builds
# everything, starts a throwaway PostgreSQL cluster (Tests/lib/postgres.sh), runs the Swift test suites (the store
# conformance suite on SQLite and PostgreSQL), then the official huggingface_hub client (on SQLite, then on
# PostgreSQL), three nodes on one PostgreSQL database (Tests/nodes), the official MCP client (stdio and HTTP), the
# browser suite (headless Chromium; screenshots in test-output/screenshots) and the schemathesis API conformance run
# against a live server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# setup.sh puts the Python packages in .build-venv/ when the system's python3 is externally managed.
if [[ -x .build-venv/bin/python3 ]]; then export PATH="$PWD/.build-venv/bin:$PATH"; fi
swift build --build-tests
# A throwaway PostgreSQL cluster for the PostgreSQL store's suites (PAPERBOY_TEST_POSTGRES), stopped at exit.
# shellcheck source=Tests/lib/postgres.sh
source Tests/lib/postgres.sh
postgres_start
trap postgres_stop EXIT
swift test --skip-build
BIN="$(swift build --show-bin-path)/paperboy"
Tests/hf_client/run.sh "$BIN"
# The same official client against a node on PostgreSQL, then several nodes on one database.
PAPERBOY_HF_DATABASE="$(postgres_create_database hf_client)" Tests/hf_client/run.sh "$BIN"
Tests/nodes/run.sh "$BIN" "$(postgres_create_database nodes)"
Tests/mcp_client/run.sh "$BIN"
Tests/browser/run.sh "$BIN"
Tests/api_conformance/run.sh "$BIN"
