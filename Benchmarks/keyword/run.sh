#!/usr/bin/env bash
# The tantivy reference beside BENCHMARKS.md "Keyword search": indexes the synthetic corpus with tantivy (PyPI
# `tantivy`, the Python binding, pinned below) and runs paperboy-bench's query mix; see tantivy_bench.py.
# Installs tantivy into a venv under Benchmarks/data/venv when it is missing (needs python3 with venv and pip, and
# PyPI); makes the corpus with ../shared/corpus/make_corpus.py (seed 7) when it is missing.
# Usage: Benchmarks/keyword/run.sh [100k|1m] [tantivy_bench.py options, e.g. --rounds 10 --threads 2 --reuse]
#        (default 100k; the index goes to Benchmarks/data/tantivy-100k or tantivy-1m). 1m then also adds the 50k new
#        papers of Benchmarks/run.sh (seed 8) to a copy of that index, tantivy-1m+50k, and searches the 1,050,000:
#        the store paperboy-bench's 1M search figures in BENCHMARKS.md were taken on.
set -euo pipefail
cd "$(dirname "$0")/../.."
LABEL="${1:-100k}"
shift $(($# > 0 ? 1 : 0))
DATA=Benchmarks/data
VENV="$DATA/venv"
TANTIVY=0.27.0
case "$LABEL" in
100k) N=100000 ;;
1m) N=1000000 ;;
*) echo "usage: $0 [100k|1m] [tantivy_bench.py options]" >&2; exit 2 ;;
esac
mkdir -p "$DATA"
if ! "$VENV/bin/python" -c "import tantivy" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "tantivy==$TANTIVY"
fi
corpus() { # n seed out [extra args]
    [ -f "$DATA/$3" ] && return
    python3 ../shared/corpus/make_corpus.py --n "$1" --seed "$2" "${@:4}" --out "$DATA/$3.partial"
    mv "$DATA/$3.partial" "$DATA/$3"
}
bench() { # corpus index [options]
    "$VENV/bin/python" Benchmarks/keyword/tantivy_bench.py "$DATA/$1" "$DATA/$2" "${@:3}"
}
corpus "$N" 7 "corpus-$LABEL.jsonl" --end 2026-11-20
echo "== tantivy $("$VENV/bin/pip" show tantivy 2>/dev/null | awk '/^Version/ {print $2}'), corpus-$LABEL.jsonl"
bench "corpus-$LABEL.jsonl" "tantivy-$LABEL" "$@"
if [ "$LABEL" = 1m ]; then
    corpus 50000 8 corpus-new-50k.jsonl --end 2027-06-30 --days 100
    echo "== the 50k new papers added to a copy of the 1M index, then the same searches over 1,050,000"
    rm -rf "$DATA/tantivy-1m+50k"
    cp -r "$DATA/tantivy-1m" "$DATA/tantivy-1m+50k"
    bench corpus-1m.jsonl "tantivy-1m+50k" --reuse --add "$DATA/corpus-new-50k.jsonl" "$@"
fi
