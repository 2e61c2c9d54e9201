#!/usr/bin/env bash
# Builds one libFuzzer target of Fuzz/ and runs it, then minimises its saved corpus (see Fuzz/README.md).
#
#   scripts/fuzz.sh TARGET [SECONDS]      TARGET: snapshot, oai, atom, query, tex or markdown; SECONDS defaults to 60
#
# FUZZ_SKIP_BUILD=1 runs the binary built before without building.
# The build has a scratch path of its own (.build-fuzz), so the normal build stays one build. The run starts from
# Fuzz/seeds/TARGET and the saved corpus Tests/Fixtures/fuzz/TARGET, with the dictionary Fuzz/dict/TARGET.dict;
# then the saved corpus is replaced by a minimal one (-set_cover_merge=1: a small set of inputs with all the
# coverage of seeds, saved corpus and new finds).
# A crash, a timeout or an out-of-memory input is left in .build-fuzz/artifacts/TARGET/ and makes the exit
# status non-zero; turn it into a regression test, fix it, and keep the input as
# Tests/Fixtures/fuzz/TARGET/regression-NAME (those files are never minimised away).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-}
seconds=${2:-60}
case $target in
snapshot | query | tex) max_len=4096 ;;
oai | atom | markdown) max_len=8192 ;;
*)
    echo "usage: scripts/fuzz.sh snapshot|oai|atom|query|tex|markdown [SECONDS]" >&2
    exit 64
    ;;
esac

scratch=$PWD/.build-fuzz
if [ -z "${FUZZ_SKIP_BUILD:-}" ]; then
    # gold warns about every ASan symbol it cannot export; those lines say nothing.
    (cd Fuzz && swift build --scratch-path "$scratch" -c debug -Xswiftc -sanitize=fuzzer,address \
        -Xswiftc -parse-as-library --product "fuzz-$target" 2>&1 | grep -v "Cannot export local symbol")
fi
binary=$scratch/debug/fuzz-$target

saved=Tests/Fixtures/fuzz/$target
work=$scratch/corpus/$target
artifacts=$scratch/artifacts/$target
mkdir -p "$saved" "$work" "$artifacts"
cp Fuzz/seeds/"$target"/* "$work"/
find "$saved" -type f ! -name 'regression-*' -exec cp {} "$work"/ \;

# Swift's runtime keeps some allocations for the life of the process; leak reports would only be noise. Swift's
# own backtracer is off: on a crash it trips over ASan, and libFuzzer prints the stack anyway.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
status=0
"$binary" "$work" -dict="Fuzz/dict/$target.dict" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=4096 -artifact_prefix="$artifacts/" -print_final_stats=1 || status=$?

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$binary" -set_cover_merge=1 -max_len="$max_len" -timeout=10 -rss_limit_mb=4096 "$fresh" "$work" 2>&1 |
    grep -E "MERGE-OUTER: [0-9]+ new files|MERGE-OUTER: [0-9]+ files" || true
# Inputs kept as regression tests (regression-*) stay whatever their coverage.
find "$saved" -type f ! -name 'regression-*' -delete
find "$fresh" -type f -exec cp {} "$saved"/ \;

echo "saved corpus $saved: $(find "$saved" -type f | wc -l) files, $(du -sb "$saved" | cut -f1) bytes"
if [ "$status" -ne 0 ]; then
    echo "the fuzzer stopped with status $status; the input is in $artifacts/" >&2
fi
exit "$status"
