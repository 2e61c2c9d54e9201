#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: corpora from ../shared/corpus/make_corpus.py, a release build, then
# ingest, listing, search, HTTP throughput (wrk) and server memory. Needs python3, wrk (apt-get install wrk).
# Usage: Benchmarks/run.sh [100k|1m|all|http100k|postgres|nodes|recommend]   (default all; 1M takes about 10 minutes
#        and 3 GB of disk; http100k: only the HTTP part, on the database a 100k run left; postgres: the PostgreSQL
#        store and three nodes, not part of all; nodes: only wrk on one node against three; recommend: ranking and
#        retraining at 100k, then the quality evaluation against arxiv-sanity-lite's SVM, not part of all)
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH="${1:-all}"
DATA=Benchmarks/data
mkdir -p "$DATA"
SCRATCH=.build-release
swift build -c release --scratch-path "$SCRATCH" --product paperboy >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product paperboy-bench >/dev/null
BIN="$SCRATCH/release"
corpus() { # n seed out [extra args]
    [ -f "$DATA/$3" ] || python3 ../shared/corpus/make_corpus.py --n "$1" --seed "$2" "${@:4}" --out "$DATA/$3"
}

bench_size() { # label n
    local label=$1 n=$2
    corpus "$n" 7 "corpus-$label.jsonl"
    rm -f "$DATA/b$label.sqlite"*
    echo "== ingest $label into an empty database"
    "$BIN/paperboy-bench" ingest "$DATA/corpus-$label.jsonl" "$DATA/b$label.sqlite"
    echo "== rows alone (papers parsed beforehand, no index) into another empty database"
    rm -f "$DATA/rows-$label.sqlite"*
    "$BIN/paperboy-bench" rows "$DATA/corpus-$label.jsonl" "$DATA/rows-$label.sqlite"
    rm -f "$DATA/rows-$label.sqlite"*
    echo "== listing $label"
    "$BIN/paperboy-bench" listing "$DATA/b$label.sqlite" 1000
    echo "== keyword search $label"
    "$BIN/paperboy-bench" search "$DATA/b$label.sqlite" 20
}

http_bench() { # label
    local db="$DATA/b$1.sqlite" port=18181
    # Keyword-only (no model): with one, the server would spend the run embedding the corpus in the background.
    local serve=(--database "$db" --port "$port" --log-level warning --model "$DATA/no-model")
    "$BIN/paperboy" serve "${serve[@]}" &
    local pid=$!
    trap 'kill $pid 2>/dev/null || true' RETURN
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
    echo "== HTTP throughput at $1 (wrk, 2 threads, 64 connections, 20 s, cache on: the default)"
    wrk -t2 -c64 -d20s "http://127.0.0.1:$port/"
    wrk -t2 -c64 -d20s "http://127.0.0.1:$port/api/daily_papers"
    echo "== HTTP throughput at $1 with the response cache off (--cache-ttl 0)"
    kill $pid; wait $pid 2>/dev/null || true
    "$BIN/paperboy" serve "${serve[@]}" --cache-ttl 0 &
    pid=$!
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
    wrk -t2 -c64 -d20s "http://127.0.0.1:$port/"
    wrk -t2 -c64 -d20s "http://127.0.0.1:$port/api/daily_papers"
    echo "== keyword search API, uncached (wrk, 2 threads, 32 connections)"
    wrk -t2 -c32 -d20s "http://127.0.0.1:$port/api/papers/search?q=model&mode=keyword&limit=10"
    echo "== server memory after the runs above: $(grep VmRSS /proc/$pid/status) (peak $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}'))"
    kill $pid; wait $pid 2>/dev/null || true
}

# PostgreSQL (issue 16): a cluster of its own in a temporary folder, durable (fsync on), 1 GB of shared buffers;
# ingest at 100k and 1M, listing and keyword search at 1M, then wrk against one node and against three.
postgres_bench() {
    # shellcheck source=Tests/lib/postgres.sh
    source Tests/lib/postgres.sh
    PAPERBOY_PG_FSYNC=on PAPERBOY_PG_OPTIONS="-c shared_buffers=1GB -c max_wal_size=4GB" postgres_start
    PAPERBOY_PG_BIN="$(postgres_bin)"
    trap postgres_stop EXIT
    corpus 100000 7 corpus-100k.jsonl
    corpus 1000000 7 corpus-1m.jsonl
    local url
    for label in 100k 1m; do
        url="$(postgres_create_database "bench_$label")"
        rm -rf "$DATA/postgres-bench_$label.index"
        echo "== ingest $label into an empty PostgreSQL database"
        "$BIN/paperboy-bench" ingest "$DATA/corpus-$label.jsonl" "$url"
    done
    echo "== listing 1m on PostgreSQL"
    "$BIN/paperboy-bench" listing "$url" 1000
    echo "== keyword search 1m on PostgreSQL"
    "$BIN/paperboy-bench" search "$url" 10
    nodes_bench "$(postgres_create_database bench_nodes)"
}

# wrk against one node, then the same connections spread over three nodes on one database (100k papers), with the
# response cache on (the default) and off.
nodes_bench() { # url
    local url=$1 ports=(18191 18192 18193)
    # (Through the bench ingest: `paperboy ingest` exits 65 for the corpus's records dated after tomorrow.)
    "$BIN/paperboy-bench" ingest "$DATA/corpus-100k.jsonl" "$url" 2>/dev/null | grep "ingest into"
    for cache in 30s 0; do
        local pids=() wrks=()
        for n in 0 1 2; do
            rm -rf "$DATA/nodes-$n.index"
            "$BIN/paperboy" serve --database "$url" --index-dir "$DATA/nodes-$n.index" --port "${ports[$n]}" \
                --log-level warning --model "$DATA/no-model" --rate-limits off --cache-ttl "$cache" &
            pids+=($!)
        done
        for port in "${ports[@]}"; do
            for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
        done
        for path in "/api/daily_papers" "/papers?date=2026-11-19" "/api/papers/search?q=model&mode=keyword"; do
            echo "== wrk $path, --cache-ttl $cache: one node (2 threads, 60 connections, 20 s)"
            wrk -t2 -c60 -d20s "http://127.0.0.1:${ports[0]}$path" | grep -E "Requests/sec|Latency|Non-2xx"
            echo "== wrk $path, --cache-ttl $cache: three nodes (3 x 1 thread, 20 connections each, at once, 20 s)"
            wrks=()
            for port in "${ports[@]}"; do
                wrk -t1 -c20 -d20s "http://127.0.0.1:$port$path" >"$DATA/wrk-$port.txt" &
                wrks+=($!)
            done
            wait "${wrks[@]}"
            grep -h -E "Requests/sec|Non-2xx" "$DATA"/wrk-1819?.txt
        done
        kill "${pids[@]}"
        wait "${pids[@]}" 2>/dev/null || true
    done
}

case "$WHICH" in
postgres) postgres_bench ;;
nodes)
    # shellcheck source=Tests/lib/postgres.sh
    source Tests/lib/postgres.sh
    PAPERBOY_PG_FSYNC=on PAPERBOY_PG_OPTIONS="-c shared_buffers=1GB -c max_wal_size=4GB" postgres_start
    PAPERBOY_PG_BIN="$(postgres_bin)"
    trap postgres_stop EXIT
    corpus 100000 7 corpus-100k.jsonl
    nodes_bench "$(postgres_create_database bench_nodes)"
    ;;
100k) bench_size 100k 100000; http_bench 100k ;;
recommend)
    corpus 100000 7 corpus-100k.jsonl
    rm -f "$DATA/brec100k.sqlite"*
    "$BIN/paperboy" ingest --database "$DATA/brec100k.sqlite" "$DATA/corpus-100k.jsonl" >/dev/null
    echo "== recommendations at 100k: ranking one person, retraining 10,000"
    "$BIN/paperboy-bench" recommend "$DATA/brec100k.sqlite" 10000 50
    pip install -q -r Benchmarks/recommend/requirements.txt
    for which in real topical; do
        python3 Benchmarks/recommend/eval.py --corpus "$which" --paperboy "$BIN/paperboy" \
            --model-dir models/all-MiniLM-L6-v2 --work "$DATA/recommend"
    done
    ;;
http100k) http_bench 100k ;;
1m)
    bench_size 1m 1000000
    corpus 50000 8 corpus-new-50k.jsonl --end 2027-06-30 --days 100
    echo "== ingest 50k new papers into the database holding 1M (incremental: index kept current per row)"
    "$BIN/paperboy-bench" ingest "$DATA/corpus-new-50k.jsonl" "$DATA/b1m.sqlite"
    ;;
all) "$0" 100k; "$0" 1m ;;
esac
