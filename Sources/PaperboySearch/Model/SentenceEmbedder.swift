import Foundation
import Logging

/// Identity of the loaded embedding model.
public struct EmbeddingModelInfo: Sendable, Hashable {
    /// "all-MiniLM-L6-v2".
    public let name: String
    /// Lowercase hex SHA-256 of `model.safetensors`.
    public let sha256: String
    /// Vector dimension (384).
    public let dimension: Int

    public init(name: String, sha256: String, dimension: Int) {
        self.name = name
        self.sha256 = sha256
        self.dimension = dimension
    }
}

/// sentence-transformers all-MiniLM-L6-v2 in process: BERT uncased tokenizer, 6-layer encoder in fp32 with matrix
/// products through a BLAS loaded at run time, mean pooling and L2 normalisation. Batches run in parallel on one
/// worker thread per active processor, each calling single-threaded BLAS.
public final class SentenceEmbedder: Sendable {
    public static let modelName = "all-MiniLM-L6-v2"
    /// Longest input in tokens, including [CLS] and [SEP]; longer texts are truncated.
    public static let maxSequenceLength = 256

    public let info: EmbeddingModelInfo
    public let tokenizer: BertTokenizer
    public let config: BertConfig
    /// Most texts in one forward pass.
    public let maxBatchSize: Int
    /// Most padded tokens (texts × longest) in one forward pass.
    public let maxBatchTokens: Int
    let encoder: BertEncoder
    let workers: EmbeddingWorkers

    /// The BLAS in use, e.g. "OpenBLAS 0.3.21 (core Haswell; OPENBLAS_CORETYPE=Haswell, set by Paperboy)".
    public var blasDescription: String { encoder.blas.description }
    /// Number of worker threads.
    public var workerCount: Int { workers.count }

    /// Most query embeddings waiting for a worker; `embedQuery` refuses one more with `SearchError.overloaded`.
    public var maxWaitingQueries: Int { workers.maxWaitingQueries }

    private init(
        info: EmbeddingModelInfo, tokenizer: BertTokenizer, config: BertConfig, encoder: BertEncoder, workers: Int,
        maxWaitingQueries: Int?, maxBatchSize: Int, maxBatchTokens: Int
    ) {
        self.info = info
        self.tokenizer = tokenizer
        self.config = config
        self.encoder = encoder
        self.maxBatchSize = maxBatchSize
        self.maxBatchTokens = maxBatchTokens
        self.workers = EmbeddingWorkers(
            count: workers, config: config, name: "paperboy-embed", maxWaitingQueries: maxWaitingQueries)
    }

    deinit {
        workers.shutdown()
    }

    /// Loads `config.json`, `vocab.txt` and `model.safetensors` from `directory`.
    public static func load(directory: URL, logger: Logger) throws -> SentenceEmbedder {
        try load(directory: directory, logger: logger, workers: nil)
    }

    /// As `load(directory:logger:)`, with a chosen number of workers (default: active processors) and bound on
    /// waiting queries (default: 4 per worker; 0 refuses every query).
    ///
    /// Every problem with the files is an ``EmbeddingModelError`` naming the file: missing, unreadable, too large,
    /// truncated, a malformed header, missing tensors or tensors of the wrong shape, type or values (NaN), or a
    /// `config.json` or `vocab.txt` of another model.
    public static func load(
        directory: URL, logger: Logger, workers: Int?, maxWaitingQueries: Int? = nil, maxBatchSize: Int = 32,
        maxBatchTokens: Int = 4096
    ) throws -> SentenceEmbedder {
        let start = ContinuousClock.now
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw EmbeddingModelError.missingDirectory(path: directory.path)
        }
        let config = try BertConfig.read(directory.appendingPathComponent("config.json"))
        let tokenizer = try BertTokenizer(
            vocabularyFile: directory.appendingPathComponent("vocab.txt"), expectedSize: config.vocabularySize)
        let weights = try SafeTensorsFile(url: directory.appendingPathComponent("model.safetensors"))
        let blas = try BLASLibrary.shared
        let encoder = try BertEncoder(weights: weights, config: config, blas: blas)
        let sha256 = SHA256Digest.hex(of: weights.rawBytes)
        let workerCount = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        let embedder = SentenceEmbedder(
            info: EmbeddingModelInfo(name: modelName, sha256: sha256, dimension: config.hiddenSize),
            tokenizer: tokenizer, config: config, encoder: encoder, workers: workerCount,
            maxWaitingQueries: maxWaitingQueries, maxBatchSize: max(1, maxBatchSize),
            maxBatchTokens: max(maxSequenceLength, maxBatchTokens))
        logger.info(
            "loaded the sentence embedding model",
            metadata: [
                "model.name": "\(modelName)", "model.directory": "\(directory.path)", "model.sha256": "\(sha256)",
                "model.dimension": "\(config.hiddenSize)", "model.blas": "\(blas.description)",
                "model.workers": "\(workerCount)", "model.load_duration": "\(ContinuousClock.now - start)",
            ])
        return embedder
    }

    /// Token ids with [CLS]/[SEP], truncated to 256.
    public func tokenize(_ text: String) -> [Int32] {
        tokenizer.encode(text, maxLength: Self.maxSequenceLength)
    }

    /// L2-normalised embeddings of `texts`, in input order (background work: never refused as overloaded).
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await embed(tokenized: texts.map(tokenize))
    }

    /// The L2-normalised embedding of one text (background work: never refused as overloaded).
    public func embed(_ text: String) async throws -> [Float] {
        try await embedOneText(tokenize(text), kind: .background)
    }

    /// The L2-normalised embedding of a search query. Throws `SearchError.overloaded` at once when
    /// `maxWaitingQueries` queries already wait for a worker, and `CancellationError` when the task is cancelled
    /// while it waits (it is then never computed).
    public func embedQuery(_ text: String) async throws -> [Float] {
        try await embedOneText(tokenize(text), kind: .query)
    }

    private func embedOneText(_ ids: [Int32], kind: EmbeddingWorkers.Kind) async throws -> [Float] {
        try Task.checkCancellation()
        try encoder.check([ids])
        let encoder = self.encoder
        let vectors = try await workers.run(kind) { workspace in
            Result { () throws(EmbeddingInputError) in try encoder.embed([ids], workspace: workspace) }
        }.get()
        guard let vector = vectors.first else { throw EmbeddingInputError.emptySequence(index: 0) }
        return vector
    }

    /// Embeddings of already tokenized texts (from `tokenize`), in input order. Texts are sorted by length and
    /// grouped into batches of at most `maxBatchSize` texts and `maxBatchTokens` padded tokens, which run in
    /// parallel on the workers. Throws ``EmbeddingInputError`` for an empty sequence, one longer than the model's
    /// positions or a token id outside the vocabulary.
    public func embed(tokenized: [[Int32]]) async throws -> [[Float]] {
        try Task.checkCancellation()
        if tokenized.isEmpty { return [] }
        try encoder.check(tokenized)
        let batches = self.batches(tokenized)
        let encoder = self.encoder
        let workers = self.workers
        var results = [[Float]](repeating: [], count: tokenized.count)
        try await withThrowingTaskGroup(of: ([Int], [[Float]]).self) { group in
            for batch in batches {
                let sequences = batch.map { tokenized[$0] }
                group.addTask {
                    try Task.checkCancellation()
                    let vectors = try await workers.run(.background) { workspace in
                        Result { () throws(EmbeddingInputError) in try encoder.embed(sequences, workspace: workspace) }
                    }.get()
                    return (batch, vectors)
                }
            }
            for try await (batch, vectors) in group {
                for (index, vector) in zip(batch, vectors) { results[index] = vector }
            }
        }
        return results
    }
}

extension SentenceEmbedder {
    /// The indices of `tokenized` sorted by length and grouped into batches of at most `maxBatchSize` texts and
    /// `maxBatchTokens` padded tokens.
    func batches(_ tokenized: [[Int32]]) -> [[Int]] {
        let order = tokenized.indices.sorted { tokenized[$0].count < tokenized[$1].count }
        var batches: [[Int]] = []
        var current: [Int] = []
        for index in order {
            let length = tokenized[index].count
            if !current.isEmpty, current.count == maxBatchSize || (current.count + 1) * length > maxBatchTokens {
                batches.append(current)
                current = []
            }
            current.append(index)
        }
        batches.append(current)
        return batches
    }

    /// As `embed(tokenized:)`, with, for each text, a vector for each of its `spans` (token positions in its ids):
    /// the mean of the encoder's last token states over the span, L2-normalised, from the same forward pass (what
    /// the text's own embedding averages over all its tokens). A span outside the ids is clipped; an empty one gets
    /// an empty vector. Costs what embedding the texts costs, plus the sums.
    public func embed(tokenized: [[Int32]], spans: [[Range<Int>]]) async throws -> [(
        embedding: [Float], spans: [[Float]]
    )] {
        try Task.checkCancellation()
        if tokenized.isEmpty { return [] }
        try encoder.check(tokenized)
        let encoder = self.encoder
        let workers = self.workers
        let dimension = config.hiddenSize
        var results = [(embedding: [Float], spans: [[Float]])](repeating: ([], []), count: tokenized.count)
        try await withThrowingTaskGroup(of: ([Int], [([Float], [[Float]])]).self) { group in
            for batch in batches(tokenized) {
                let sequences = batch.map { tokenized[$0] }
                let batchSpans = batch.map { $0 < spans.count ? spans[$0] : [] }
                group.addTask {
                    try Task.checkCancellation()
                    let pooled = try await workers.run(.background) { workspace in
                        Result { () throws(EmbeddingInputError) in
                            let vectors = try encoder.embed(sequences, workspace: workspace)
                            let length = sequences.map(\.count).max() ?? 0
                            return zip(sequences.indices, vectors).map { b, vector in
                                let rows = workspace.hidden + b * length * dimension
                                let count = sequences[b].count
                                let spanVectors = batchSpans[b].map { span in
                                    Self.meanPooled(
                                        rows, dimension: dimension, span.clamped(to: 0..<count))
                                }
                                return (vector, spanVectors)
                            }
                        }
                    }.get()
                    return (batch, pooled)
                }
            }
            for try await (batch, pooled) in group {
                for (index, item) in zip(batch, pooled) { results[index] = (item.0, item.1) }
            }
        }
        return results
    }

    /// The L2-normalised mean of rows `span` of a row-major matrix with `dimension` columns; empty for no rows.
    static func meanPooled(_ rows: UnsafeMutablePointer<Float>, dimension: Int, _ span: Range<Int>) -> [Float] {
        guard !span.isEmpty else { return [] }
        var sum = [Float](repeating: 0, count: dimension)
        for position in span {
            let row = rows + position * dimension
            for d in 0..<dimension { sum[d] += row[d] }
        }
        var norm: Float = 0
        for d in 0..<dimension { norm += sum[d] * sum[d] }
        let inverse = 1 / max(norm.squareRoot(), 1e-12)
        return sum.map { $0 * inverse }
    }

    /// Runs exactly one forward pass over `tokenized` (padded to the longest) on a worker.
    func embedOneBatch(_ tokenized: [[Int32]]) async throws -> [[Float]] {
        try Task.checkCancellation()
        let encoder = self.encoder
        return try await workers.run(.background) { workspace in
            Result { () throws(EmbeddingInputError) in try encoder.embed(tokenized, workspace: workspace) }
        }.get()
    }
}
