// paperboy-vector-bench [N=1000000] [--dim 384] [--queries 1000] [--m 16] [--ef-construction 200]
//                       [--noise 0.5] [--threads T] [--file PATH]
//
// Synthetic clustered unit vectors (2,000 Gaussian centres plus noise, normalised, fixed seed), then:
// exact fp32 scan latency and ground truth, HNSW (int8) build time, memory, latency and recall@10 on one core
// for several ef values, filtered search, and save/load time and file size.
import Dispatch
import Foundation
import PaperboySearch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Options {
    var count = 1_000_000
    var dimension = 384
    var queries = 1_000
    var m = 16
    var efConstruction = 200
    var noise: Float = 0.5
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var file = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-vector-bench.idx").path

    init(_ arguments: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            guard i < arguments.count else { fatalError("missing value for \(arguments[i - 1])") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--dim": dimension = Int(value())!
            case "--queries": queries = Int(value())!
            case "--m": m = Int(value())!
            case "--ef-construction": efConstruction = Int(value())!
            case "--noise": noise = Float(value())!
            case "--threads": threads = Int(value())!
            case "--file": file = value()
            case let n where Int(n) != nil: count = Int(n)!
            default: fatalError("unknown argument \(arguments[i])")
            }
            i += 1
        }
    }
}

/// Prints unbuffered, so progress shows when piped.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func rssMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}

func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }

/// Generates points in parallel (each point depends only on its index).
func generate(_ gen: SyntheticClusteredVectors, _ n: Int, stream: UInt64) -> [[Float]] {
    final class Box: @unchecked Sendable {  // each chunk writes a disjoint range
        var items: [[Float]]
        init(_ n: Int) { items = Array(repeating: [], count: n) }
    }
    let box = Box(n)
    let chunk = 4_096
    box.items.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        nonisolated(unsafe) let out = base
        DispatchQueue.concurrentPerform(iterations: (n + chunk - 1) / chunk) { c in
            for i in (c * chunk)..<min(n, (c + 1) * chunk) { (out + i).pointee = gen.point(i, stream: stream) }
        }
    }
    return box.items
}

func recall(_ found: [VectorHit], _ truth: [VectorHit]) -> Double {
    let truthIDs = Set(truth.map(\.id))
    return Double(found.filter { truthIDs.contains($0.id) }.count) / Double(max(1, truth.count))
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let n = options.count
let k = 10
say(
    "paperboy-vector-bench: N=\(n) dim=\(options.dimension) queries=\(options.queries) m=\(options.m) "
        + "efConstruction=\(options.efConstruction) noise=\(options.noise) threads=\(options.threads)")
let rssStart = rssMB()

var t = now()
let generator = SyntheticClusteredVectors(dimension: options.dimension, centres: 2_000, noise: options.noise, seed: 7)
let data = generate(generator, n, stream: 0)
let queries = generate(generator, options.queries, stream: 1)
say(String(format: "generate: %.1f s", now() - t))

// Exact fp32 scan: latency on one core (sequential), ground truth for all queries.
t = now()
let exact = ExactVectorIndex(dimension: options.dimension)
exact.add(data.enumerated().map { (id: Int64($0.offset), vector: $0.element) })
say(String(format: "exact index fill: %.1f s, %.0f MB", now() - t, Double(exact.memoryBytes) / 1e6))
let timedExact = min(options.queries, n >= 500_000 ? 200 : options.queries)
var exactLatencies: [Double] = []
var truth = [[VectorHit]](repeating: [], count: options.queries)
for q in 0..<timedExact {
    let s = now()
    truth[q] = exact.search(queries[q], k: k)
    exactLatencies.append(now() - s)
}
if timedExact < options.queries {
    final class Results: @unchecked Sendable {  // each iteration writes its own element
        var rows: [[VectorHit]]
        init(_ rows: [[VectorHit]]) { self.rows = rows }
    }
    let results = Results(truth)
    let remaining = options.queries - timedExact
    results.rows.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let out = buffer.baseAddress!
        DispatchQueue.concurrentPerform(iterations: remaining) { i in
            let q = timedExact + i
            (out + q).pointee = exact.search(queries[q], k: k)
        }
    }
    truth = results.rows
}
say(
    "exact fp32 scan (\(timedExact) queries, one core): p50 \(ms(percentile(exactLatencies, 0.5)))"
        + " p95 \(ms(percentile(exactLatencies, 0.95)))")

// HNSW build.
let rssBeforeBuild = rssMB()
let hnsw = HNSWVectorIndex(dimension: options.dimension, m: options.m, efConstruction: options.efConstruction)
hnsw.insertionThreads = options.threads
t = now()
let batch = 100_000
var next = 0
while next < n {
    let end = min(n, next + batch)
    hnsw.add((next..<end).map { (id: Int64($0), vector: data[$0]) })
    next = end
    if n > batch {
        say(String(format: "  built %d / %d (%.0f s)", end, n, now() - t))
    }
}
let buildTime = now() - t
say(
    String(
        format: "HNSW build: %.1f s on %d threads (%.0f inserts/s)", buildTime, options.threads,
        Double(n) / buildTime))
say(
    String(
        format: "HNSW memory: arrays %.0f MB (%.0f B/vector); RSS %.0f MB (+%.0f MB for the build, %.0f MB at start)",
        Double(hnsw.memoryBytes) / 1e6, Double(hnsw.memoryBytes) / Double(n), rssMB(),
        rssMB() - rssBeforeBuild, rssStart))

@MainActor func measure(_ index: HNSWVectorIndex, label: String) {
    for ef in [32, 64, 128, 256] {
        index.efSearch = ef
        var latencies: [Double] = []
        var total = 0.0
        for (q, query) in queries.enumerated() {
            let s = now()
            let hits = index.search(query, k: k)
            latencies.append(now() - s)
            total += recall(hits, truth[q])
        }
        say(
            "\(label) ef=\(ef): recall@10 \(String(format: "%.4f", total / Double(queries.count)))"
                + " p50 \(ms(percentile(latencies, 0.5))) p95 \(ms(percentile(latencies, 0.95)))"
                + " p99 \(ms(percentile(latencies, 0.99)))")
    }
}
measure(hnsw, label: "HNSW")

// Filtered search (10% and 0.1% of ids allowed) at ef=128, against exact filtered search.
hnsw.efSearch = 128
for modulus in [10, 1_000] {
    let allowed: (Int64) -> Bool = { $0 % Int64(modulus) == 0 }
    var latencies: [Double] = []
    var total = 0.0
    var short = 0
    for query in queries.prefix(100) {
        let s = now()
        let hits = hnsw.search(query, k: k, allowed: allowed)
        latencies.append(now() - s)
        let expected = exact.search(query, k: k, allowed: allowed)
        total += recall(hits, expected)
        if hits.count < min(k, expected.count) { short += 1 }
    }
    say(
        "HNSW filtered 1/\(modulus) allowed: recall@10 \(String(format: "%.4f", total / 100))"
            + " p50 \(ms(percentile(latencies, 0.5))) p95 \(ms(percentile(latencies, 0.95))) short results \(short)")
}

// Save / load.
let url = URL(fileURLWithPath: options.file)
t = now()
try hnsw.save(to: url, modelID: "synthetic-\(options.dimension)")
let saveTime = now() - t
let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
t = now()
let loaded = try HNSWVectorIndex.load(from: url, expectedModelID: "synthetic-\(options.dimension)")
let loadTime = now() - t
say(String(format: "save %.2f s, load %.2f s, file %.0f MB", saveTime, loadTime, Double(size) / 1e6))
loaded.efSearch = 128
hnsw.efSearch = 128
let same = queries.prefix(100).allSatisfy { loaded.search($0, k: k) == hnsw.search($0, k: k) }
say("loaded index gives identical results: \(same)")
try? FileManager.default.removeItem(at: url)
