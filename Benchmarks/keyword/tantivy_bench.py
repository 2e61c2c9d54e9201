#!/usr/bin/env python3
"""Keyword-search reference for BENCHMARKS.md: tantivy (PyPI `tantivy`, the Python binding) beside paperboy-bench.

Indexes a corpus in the arXiv snapshot format (JSON lines: id, title, authors, abstract, ...) into a tantivy index,
then runs the same ten-query mix as `paperboy-bench search` (`searchMix` in Benchmarks/PaperboyBench/main.swift),
top 10 by BM25 with field boosts title 10, authors 4, abstract 1, every word required (Paperboy's keyword mode), the
quoted query as a phrase. Prints the same lines as paperboy-bench.

    tantivy_bench.py CORPUS.jsonl INDEX_DIR [--rounds 20] [--threads 1] [--heap-mb 1000] [--reuse] [--cpu N]
                     [--add MORE.jsonl ...] [--verify-counts]

Indexing: title, authors and abstract are text fields with tantivy's `en_stem` tokenizer (split on
non-alphanumerics, drop tokens over 40 bytes, lower-case, Snowball English stemmer), positions indexed (for
phrases); id is stored and indexed as one raw token. The time runs from opening the corpus to the end of the
background merges, and includes parsing the JSON in Python; the same parse alone is timed first, so the
tantivy part can be told apart. `--add` then adds more papers to the index, timed the same way (as
paperboy-bench's second ingest into a store that already holds papers). The writer uses `--threads` indexing
threads (1 by default) sharing `--heap-mb` (1000 MB by default); the Python thread that parses the JSON runs
beside them, and merges run on tantivy's merge threads, so indexing uses more than one core: the average is
printed (CPU time over wall time).

Queries: run on the calling thread only. tantivy's searcher uses its single-thread executor unless one sets a
multi-thread executor, which the Python binding never does; segments are searched one after the other on the
thread that calls `search`. The process is also pinned to one CPU (`--cpu`, default the last allowed CPU; -1 to
leave it unpinned), and the process's CPU time over wall time of the query part is printed as a check. Each search
also records the CPU time of the searching thread (`time.thread_time`), printed in brackets: on a machine busy with
other work the wall times include waits for a CPU, the thread's CPU time does not.

What one timed search is: parse the query, search (top 10 plus the count of matches), and read the 10 stored ids,
on one searcher opened beforehand (paperboy-bench also reads the 10 papers and highlights them, which this does
not). The count: the binding's `Searcher.search(count=True)` runs tantivy's `Count` collector beside `TopDocs` in a
`MultiCollector`; a MultiCollector takes tantivy's default collection path, which visits and scores every matching
document (`Weight::for_each`), so the count is exact (there are no deleted documents here) and no block-max WAND
pruning happens. A second pass with `count=False` is timed too: the binding still wraps `TopDocs` in a
MultiCollector, so the same path runs and it takes as long (measured with tantivy 0.27.0: no pruning either).
`--verify-counts` recounts every query by brute force over the corpus (the same analyzer in Python: each word in
some field, the phrase as adjacent words in one field) and fails if a count differs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import sys
import time

import tantivy

# The same mix as `searchMix` in Benchmarks/PaperboyBench/main.swift, in the same order.
SEARCH_MIX = [
    "model",
    "quantum",
    "language models",
    '"neural network"',
    "graph",
    "spectra",
    "reinforcement learning",
    "galaxy",
    "calibration",
    "transformer",
]
FIELDS = ["title", "authors", "abstract"]
BOOSTS = {"title": 10.0, "authors": 4.0, "abstract": 1.0}


def percentile(values: list[float], p: float) -> float:
    """The same nearest-rank percentile as paperboy-bench's `percentile`."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * p) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def directory_bytes(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for field in FIELDS:
        builder.add_text_field(field, stored=False, tokenizer_name="en_stem", index_option="position")
    return builder.build()


def parse_only(corpus: str) -> tuple[int, float]:
    """Reads and parses the corpus as the indexing loop does, storing nothing."""
    start = time.perf_counter()
    records = 0
    with open(corpus, "rb") as file:
        for line in file:
            record = json.loads(line)
            _ = (record["id"], record["title"], record["authors"], record["abstract"])
            records += 1
    return records, time.perf_counter() - start


def build_index(corpus: str, path: str, threads: int, heap_mb: int, add: bool = False) -> None:
    """Indexes the corpus into a new index at path or, with add, into the index already there (kept as it is)."""
    records, parse_seconds = parse_only(corpus)
    print(
        f"parse only (Python json, one core): {records} records in {parse_seconds:.2f} s = "
        f"{int(records / parse_seconds)} records/s"
    )
    if add:
        index = tantivy.Index.open(path)
        index.reload()
        before = index.searcher().num_docs
    else:
        if os.path.exists(path):
            shutil.rmtree(path)
        os.makedirs(path)
        index = tantivy.Index(schema(), path=path)
        before = 0
    heap = heap_mb * 1_000_000
    writer = index.writer(heap_size=heap, num_threads=threads)
    cpu_start = cpu_seconds()
    start = time.perf_counter()
    papers = 0
    with open(corpus, "rb") as file:
        for line in file:
            record = json.loads(line)
            writer.add_document(
                tantivy.Document(
                    id=record["id"], title=record["title"], authors=record["authors"], abstract=record["abstract"]
                )
            )
            papers += 1
    added = time.perf_counter()
    writer.commit()
    committed = time.perf_counter()
    writer.wait_merging_threads()
    end = time.perf_counter()
    cpu = cpu_seconds() - cpu_start
    total = end - start
    # Files of merged-away segments are removed by a garbage collection; a small writer does it once.
    cleaner = index.writer(heap_size=15_000_000, num_threads=1)
    cleaner.garbage_collect_files()
    cleaner.wait_merging_threads()
    index.reload()
    segments = index.searcher().num_segments
    size = directory_bytes(path)
    print(
        f"{getattr(tantivy, '__version__', 'tantivy')} index of {papers} papers into an index holding {before} "
        f"({threads} indexing thread{'s' if threads != 1 else ''}, writer heap {heap_mb} MB): "
        f"{total:.2f} s = {int(papers / total)} papers/s, parsing in Python included"
    )
    print(
        f"  adding documents {added - start:.2f} s, commit {committed - added:.2f} s, "
        f"waiting for merges {end - committed:.2f} s; CPU time {cpu:.2f} s ({cpu / total:.2f} cores on average); "
        f"tantivy part ≈ {total - parse_seconds:.2f} s = {int(papers / max(total - parse_seconds, 1e-9))} papers/s"
    )
    print(f"  index on disk: {size / 1e6:.1f} MB in {segments} segment{'s' if segments != 1 else ''} ({path})")


def en_stem() -> tantivy.TextAnalyzer:
    """The analyzer tantivy registers as `en_stem`, built from its parts."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def brute_force_counts(corpus: str) -> dict[str, int]:
    """Counts the mix's matches by reading every record: each word of a plain query in some field (not necessarily
    the same one), the words of a quoted query adjacent and in order within one field."""
    analyzer = en_stem()
    queries = []
    for text in SEARCH_MIX:
        phrase = text.startswith('"')
        queries.append((text, phrase, analyzer.analyze(text.strip('"'))))
    counts = {text: 0 for text in SEARCH_MIX}
    with open(corpus, "rb") as file:
        for line in file:
            record = json.loads(line)
            tokens = [analyzer.analyze(record[field]) for field in FIELDS]
            words = set().union(*tokens)
            for text, phrase, terms in queries:
                if phrase:
                    n = len(terms)
                    hit = any(t[i : i + n] == terms for t in tokens for i in range(len(t) - n + 1))
                else:
                    hit = all(term in words for term in terms)
                counts[text] += hit
    return counts


def pin(cpu: int) -> str:
    if cpu == -1 or not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return f"pinned to CPU {chosen}"


def run_mix(index: tantivy.Index, searcher: tantivy.Searcher, rounds: int, count: bool) -> dict[str, int]:
    all_times: list[float] = []
    all_cpu: list[float] = []
    counts: dict[str, int] = {}
    cpu_start = cpu_seconds()
    wall_start = time.perf_counter()
    for text in SEARCH_MIX:
        times: list[float] = []
        cpu_times: list[float] = []
        total = None
        for _ in range(rounds):
            start = time.perf_counter()
            cpu_start_search = time.thread_time()
            query = index.parse_query(text, FIELDS, field_boosts=BOOSTS, conjunction_by_default=True)
            result = searcher.search(query, limit=10, count=count)
            ids = [searcher.doc(address)["id"][0] for _, address in result.hits]
            cpu_times.append(time.thread_time() - cpu_start_search)
            times.append(time.perf_counter() - start)
            total = result.count
            assert len(ids) == min(10, total if total is not None else 10)
        counts[text] = total if total is not None else -1
        all_times += times
        all_cpu += cpu_times
        shown = str(total) if total is not None else "-"
        print(
            f"  {text:<24} matches {shown:<8} p50 {ms(percentile(times, 0.5))}, p95 {ms(percentile(times, 0.95))}"
            f"  (CPU p50 {ms(percentile(cpu_times, 0.5))}, p95 {ms(percentile(cpu_times, 0.95))})"
        )
    wall = time.perf_counter() - wall_start
    cpu = cpu_seconds() - cpu_start
    label = "" if count else " without the count"
    print(
        f"keyword search, top 10 by BM25{label}, whole mix x{rounds}: "
        f"p50 {ms(percentile(all_times, 0.5))}, p95 {ms(percentile(all_times, 0.95))}"
    )
    print(
        f"  CPU time of the searching thread, whole mix: p50 {ms(percentile(all_cpu, 0.5))}, "
        f"p95 {ms(percentile(all_cpu, 0.95))} (wall time less the waits for a CPU on a busy machine)"
    )
    print(
        f"  process CPU time / wall time over the pass: {cpu:.2f} s / {wall:.2f} s = {cpu / wall:.2f} (≤ 1: one core)"
    )
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="JSON lines in the arXiv snapshot format")
    parser.add_argument("index", help="index directory (replaced unless --reuse)")
    parser.add_argument("--rounds", type=int, default=20, help="times each query runs (default 20)")
    parser.add_argument("--threads", type=int, default=1, help="indexing threads of the writer (default 1)")
    parser.add_argument("--heap-mb", type=int, default=1000, help="writer heap for all its threads, MB")
    parser.add_argument("--reuse", action="store_true", help="search the existing index instead of building it")
    parser.add_argument("--add", action="append", default=[], help="add this corpus to the index before searching")
    parser.add_argument("--cpu", type=int, default=None, help="CPU for the query part (default the last; -1: none)")
    parser.add_argument("--no-count-pass", action="store_true", help="skip the second pass without the count")
    parser.add_argument("--verify-counts", action="store_true", help="recount the matches by brute force")
    args = parser.parse_args()

    if not (args.reuse and os.path.exists(os.path.join(args.index, "meta.json"))):
        build_index(args.corpus, args.index, args.threads, args.heap_mb)
    for more in args.add:
        build_index(more, args.index, args.threads, args.heap_mb, add=True)

    # Pinned before opening, so any thread tantivy starts for the reader inherits the same single CPU.
    where = pin(args.cpu)
    index = tantivy.Index.open(args.index)
    index.reload()
    searcher = index.searcher()
    print(
        f"tantivy keyword search over {searcher.num_docs} papers in {searcher.num_segments} segment(s): "
        f"one searcher thread (tantivy's single-thread executor, the calling thread), {where}; title 10, "
        f"authors 4, abstract 1, every word required, each query x{args.rounds}, parse + search + read 10 ids"
    )
    print("== with the exact count of matches (Count beside TopDocs: every match is scored)")
    counts = run_mix(index, searcher, args.rounds, count=True)
    if not args.no_count_pass:
        print("== top 10 only (count=False)")
        run_mix(index, searcher, args.rounds, count=False)
    print("counts: " + json.dumps(counts))
    if args.verify_counts:
        start = time.perf_counter()
        expected = brute_force_counts(args.corpus)
        for more in args.add:
            added = brute_force_counts(more)
            expected = {text: expected[text] + added[text] for text in SEARCH_MIX}
        wrong = {text: (counts[text], expected[text]) for text in SEARCH_MIX if counts[text] != expected[text]}
        if wrong:
            print(f"count check FAILED (tantivy, brute force): {wrong}")
            return 1
        seconds = time.perf_counter() - start
        print(f"count check: all {len(SEARCH_MIX)} counts equal a brute-force recount ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
