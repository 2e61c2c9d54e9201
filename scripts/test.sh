#!/usr/bin/env bash
# The test command: builds everything, runs the Swift test suites, then runs the official
# huggingface_hub client against a live server (needs `pip install 'huggingface_hub>=2.4' pytest`).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
Tests/hf_client/run.sh "$(swift build --show-bin-path)/paperboy"
