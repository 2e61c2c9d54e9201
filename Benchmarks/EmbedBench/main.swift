// paperboy-embed-bench MODEL_DIR [N]
//
// Measures the in-process sentence embedding model: tokenizer throughput, embedding throughput on N real arXiv
// abstracts (title + ". " + abstract), the cost of their key sentences and keywords next to it, latency of a 16-token query, sgemm GFLOPS per BLAS choice (each in a
// child process, since OpenBLAS picks its kernel when it is loaded), and agreement with the reference vectors.
// Environment: PAPERBOY_BLAS (auto | openblas | openblas-nocoretype | blis | blas | path),
// PAPERBOY_SAMPLE (JSONL file).
import Foundation
import Logging
import PaperboyCore
import PaperboySearch

let arguments = CommandLine.arguments
let clock = ContinuousClock()

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

// Child mode: one GFLOPS measurement with the BLAS chosen by the environment.
if arguments.count >= 2, arguments[1] == "--gemm-probe" {
    do {
        let blas = try BLASLibrary.shared
        let m = arguments.count >= 3 ? Int(arguments[2]) ?? 256 : 256
        let gflops = blas.measureGFLOPS(m: m, n: 384, k: 384, seconds: 1.0)
        print("GFLOPS\t\(format(gflops, 2))\t\(blas.description)")
    } catch {
        print("ERROR\t\(error)")
    }
    exit(0)
}

guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: paperboy-embed-bench MODEL_DIR [N]\n".utf8))
    exit(64)
}
let modelDirectory = URL(fileURLWithPath: arguments[1])
let count = arguments.count >= 3 ? Int(arguments[2]) ?? 200 : 200
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let sharedDirectory = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
let samplePath =
    ProcessInfo.processInfo.environment["PAPERBOY_SAMPLE"]
    ?? sharedDirectory.appendingPathComponent("data/arxiv-sample-200.jsonl").path

var logger = Logger(label: "paperboy.embed-bench")
logger.logLevel = .warning

// 1. Load.
let loadStart = clock.now
let embedder: SentenceEmbedder
do {
    embedder = try SentenceEmbedder.load(directory: modelDirectory, logger: logger)
} catch {
    FileHandle.standardError.write(Data("paperboy-embed-bench: \(error)\n".utf8))
    exit(1)
}
let loadSeconds = seconds(clock.now - loadStart)
print("model      \(embedder.info.name) dim \(embedder.info.dimension) sha256 \(embedder.info.sha256)")
print("load       \(format(loadSeconds, 2)) s (includes SHA-256 of model.safetensors)")
print("blas       \(embedder.blasDescription)")
print("workers    \(embedder.workerCount) (active processors \(ProcessInfo.processInfo.activeProcessorCount))")

// 2. Abstracts.
var abstracts: [String] = []
var papers: [(title: String, abstract: String)] = []
if let text = try? String(contentsOfFile: samplePath, encoding: .utf8) {
    for line in text.split(separator: "\n") {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let title = object["title"] as? String, let abstract = object["abstract"] as? String
        else { continue }
        let clean = { (s: String) in s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        abstracts.append(clean(title) + ". " + clean(abstract))
        papers.append((clean(title), clean(abstract)))
    }
}
guard !abstracts.isEmpty else {
    FileHandle.standardError.write(Data("paperboy-embed-bench: no abstracts in \(samplePath)\n".utf8))
    exit(1)
}
while abstracts.count < count {
    abstracts += abstracts.prefix(count - abstracts.count)
    papers += papers.prefix(count - papers.count)
}
abstracts = Array(abstracts.prefix(count))
papers = Array(papers.prefix(count))
print("abstracts  \(abstracts.count) from \(samplePath)")

// 3. Tokenizer throughput (one thread).
var tokenized: [[Int32]] = []
var rounds = 0
let tokenizeStart = clock.now
repeat {
    tokenized = abstracts.map(embedder.tokenize)
    rounds += 1
} while clock.now - tokenizeStart < .seconds(1)
let tokenizeSeconds = seconds(clock.now - tokenizeStart)
let totalTokens = tokenized.reduce(0) { $0 + $1.count }
print(
    "tokenizer  \(format(Double(rounds * abstracts.count) / tokenizeSeconds, 0)) abstracts/s, "
        + "\(format(Double(rounds * totalTokens) / tokenizeSeconds / 1e6, 2)) M tokens/s (one thread; "
        + "mean \(format(Double(totalTokens) / Double(abstracts.count))) tokens, "
        + "\(tokenized.filter { $0.count == 256 }.count) truncated at 256)")

// 4. Embedding throughput.
_ = try await embedder.embed(Array(abstracts.prefix(4)))
let embedStart = clock.now
let vectors = try await embedder.embed(abstracts)
let embedSeconds = seconds(clock.now - embedStart)
precondition(vectors.count == abstracts.count && vectors.allSatisfy { $0.count == embedder.info.dimension })
print(
    "embed      \(format(Double(abstracts.count) / embedSeconds)) abstracts/s "
        + "(\(abstracts.count) in \(format(embedSeconds, 2)) s, "
        + "\(format(Double(totalTokens) / embedSeconds, 0)) tokens/s)")

// 4b. Key sentence and keywords of the same papers, from their vectors, in batches of 64 as the pipeline embeds.
var keyPhraseSeconds = 0.0
var sentenceCount = 0
var candidateCount = 0
for start in stride(from: 0, to: papers.count, by: 64) {
    let range = start..<min(papers.count, start + 64)
    let batch = range.map {
        KeyPhraseExtractor.Paper(title: papers[$0].title, abstract: papers[$0].abstract, embedding: vectors[$0])
    }
    let keyStart = clock.now
    _ = try await KeyPhraseExtractor.keyPhrases(for: batch, embedder: embedder)
    keyPhraseSeconds += seconds(clock.now - keyStart)
    for paper in batch {
        let sentences = KeySentence.sentences(of: paper.abstract).prefix(KeyPhraseExtractor.maxSentences).count
        sentenceCount += sentences > 1 ? sentences : 0
        candidateCount += KeyPhraseExtractor.candidateCount(title: paper.title, abstract: paper.abstract)
    }
}
print(
    "keyphrases \(format(Double(papers.count) / keyPhraseSeconds)) papers/s from stored vectors "
        + "(\(format(keyPhraseSeconds, 2)) s, \(format(keyPhraseSeconds / embedSeconds, 2))x the embedding; per paper "
        + "\(format(Double(sentenceCount) / Double(papers.count))) sentences and "
        + "\(format(Double(candidateCount) / Double(papers.count))) keyword candidates embedded)")
// The same with the papers' own forward pass giving the sentences' vectors (what the pipeline can do instead).
let onePassStart = clock.now
for start in stride(from: 0, to: papers.count, by: 64) {
    let batch = Array(papers[start..<min(papers.count, start + 64)])
    _ = try await KeyPhraseExtractor.embedWithKeyPhrases(batch, embedder: embedder)
}
let onePassSeconds = seconds(clock.now - onePassStart)
print(
    "embed+keys \(format(Double(papers.count) / onePassSeconds)) papers/s embedded with key phrases in one pass "
        + "(\(format(onePassSeconds, 2)) s, \(format(onePassSeconds / embedSeconds, 2))x embedding alone)")

// 5. Query latency: a 16-token query, one at a time.
var query = ""
for word in "neural networks for dense retrieval of scientific papers with sentence level representations and graph"
    .split(separator: " ")
{
    let longer = query.isEmpty ? String(word) : query + " " + word
    if embedder.tokenize(longer).count <= 16 { query = longer }
}
for _ in 0..<20 { _ = try await embedder.embed(query) }
var latencies: [Double] = []
for _ in 0..<200 {
    let start = clock.now
    _ = try await embedder.embed(query)
    latencies.append(seconds(clock.now - start) * 1000)
}
latencies.sort()
print(
    "query      \(embedder.tokenize(query).count) tokens: p50 \(format(latencies[99], 2)) ms, "
        + "p95 \(format(latencies[189], 2)) ms, max \(format(latencies[199], 2)) ms (200 runs)")

// 6. Agreement with the reference vectors.
let referenceFile = sharedDirectory.appendingPathComponent("models/all-MiniLM-L6-v2-reference.json")
if let data = try? Data(contentsOf: referenceFile),
    let references = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
{
    let texts = references.compactMap { $0["text"] as? String }
    let expected = references.map { ($0["embedding_normalized"] as? [Double] ?? []).map(Float.init) }
    let ids = references.map { ($0["ids"] as? [Int] ?? []).map(Int32.init) }
    let batched = try await embedder.embed(texts)
    var worstCosine = 1.0
    var worstDifference: Float = 0
    var tokenMismatches = 0
    for index in texts.indices {
        if embedder.tokenize(texts[index]) != ids[index] { tokenMismatches += 1 }
        let alone = try await embedder.embed(texts[index])
        for vector in [alone, batched[index]] {
            var dot = 0.0
            for (a, b) in zip(vector, expected[index]) { dot += Double(a) * Double(b) }
            worstCosine = min(worstCosine, dot)
            worstDifference = max(worstDifference, zip(vector, expected[index]).map { abs($0 - $1) }.max() ?? 0)
        }
    }
    print(
        "reference  \(texts.count) texts: token id mismatches \(tokenMismatches), min cosine "
            + "\(format(worstCosine, 7)), max abs diff \(String(format: "%.2e", Double(worstDifference))) "
            + "(alone and batched)")
}

// 7. sgemm GFLOPS per BLAS choice, each in a fresh process.
func probe(_ choice: String, m: Int) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["--gemm-probe", "\(m)"]
    var environment = ProcessInfo.processInfo.environment
    environment["PAPERBOY_BLAS"] = choice
    environment["OPENBLAS_CORETYPE"] = nil
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    do {
        try process.run()
    } catch {
        return "failed: \(error)"
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let fields = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\t")
    if fields.count == 3, fields[0] == "GFLOPS" { return "\(fields[1]) GFLOPS  \(fields[2])" }
    return output.trimmingCharacters(in: .whitespacesAndNewlines)
}
for m in [256, 16] {
    print("sgemm \(m)x384x384 (one thread):")
    for choice in ["openblas-nocoretype", "openblas", "blis", "blas"] {
        print("  \(choice.padding(toLength: 20, withPad: " ", startingAt: 0)) \(probe(choice, m: m))")
    }
}
