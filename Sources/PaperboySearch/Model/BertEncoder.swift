import Foundation

/// The dimensions of a BERT encoder, read from `config.json`.
public struct BertConfig: Sendable, Hashable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float

    /// all-MiniLM-L6-v2.
    public static let miniLML6 = BertConfig(
        hiddenSize: 384, layers: 6, heads: 12, intermediateSize: 1536, vocabularySize: 30522, maxPositions: 512,
        typeVocabularySize: 2, layerNormEpsilon: 1e-12)

    /// Largest `config.json` read (all-MiniLM-L6-v2's is 612 bytes).
    public static let maxFileBytes = 1 << 20

    /// Reads `config.json` and checks it describes all-MiniLM-L6-v2 (the only model Paperboy runs).
    public static func read(_ url: URL, expected: BertConfig = .miniLML6) throws -> BertConfig {
        let file = url.lastPathComponent
        let data = try ModelFile.contents(of: url, maxBytes: maxFileBytes)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw EmbeddingModelError.unsupportedConfig(
                file: file, key: "the file", found: "not valid JSON", expected: "a JSON object")
        }
        guard let json = object as? [String: Any] else {
            throw EmbeddingModelError.unsupportedConfig(
                file: file, key: "the file", found: "not a JSON object", expected: "a JSON object")
        }
        func integer(_ key: String, _ expected: Int, atLeast: Bool = false) throws -> Int {
            let value = json[key] as? Int ?? (json[key] as? NSNumber).flatMap { Int(exactly: $0.doubleValue) }
            guard let value, atLeast ? value >= expected : value == expected else {
                let found = json[key].map { $0 is String ? "\"\($0)\"" : "\($0)" } ?? "missing"
                throw EmbeddingModelError.unsupportedConfig(
                    file: file, key: key, found: found, expected: atLeast ? "at least \(expected)" : "\(expected)")
            }
            return value
        }
        func string(_ key: String, _ expected: String) throws {
            guard let value = json[key] else { return }
            guard (value as? String) == expected else {
                throw EmbeddingModelError.unsupportedConfig(file: file, key: key, found: "\(value)", expected: expected)
            }
        }
        try string("model_type", "bert")
        try string("hidden_act", "gelu")
        try string("position_embedding_type", "absolute")
        var config = expected
        config.hiddenSize = try integer("hidden_size", expected.hiddenSize)
        config.layers = try integer("num_hidden_layers", expected.layers)
        config.heads = try integer("num_attention_heads", expected.heads)
        config.intermediateSize = try integer("intermediate_size", expected.intermediateSize)
        config.vocabularySize = try integer("vocab_size", expected.vocabularySize)
        config.maxPositions = try integer("max_position_embeddings", 256, atLeast: true)
        config.typeVocabularySize = try integer("type_vocab_size", 1, atLeast: true)
        if let value = json["layer_norm_eps"] {
            // A zero, negative or huge epsilon gives NaN or meaningless embeddings.
            guard let epsilon = (value as? NSNumber)?.doubleValue, epsilon > 0, epsilon < 1 else {
                throw EmbeddingModelError.unsupportedConfig(
                    file: file, key: "layer_norm_eps", found: "\(value)", expected: "a number between 0 and 1")
            }
            config.layerNormEpsilon = Float(epsilon)
        }
        return config
    }
}

/// Scratch buffers of one worker, grown on demand.
final class EncoderWorkspace {
    private(set) var rows = 0
    private(set) var sequenceLength = 0
    private(set) var hidden: UnsafeMutablePointer<Float>
    private(set) var scratch: UnsafeMutablePointer<Float>
    private(set) var qkv: UnsafeMutablePointer<Float>
    private(set) var context: UnsafeMutablePointer<Float>
    private(set) var intermediate: UnsafeMutablePointer<Float>
    private(set) var scores: UnsafeMutablePointer<Float>
    private let config: BertConfig

    init(config: BertConfig) {
        self.config = config
        hidden = .allocate(capacity: 1)
        scratch = .allocate(capacity: 1)
        qkv = .allocate(capacity: 1)
        context = .allocate(capacity: 1)
        intermediate = .allocate(capacity: 1)
        scores = .allocate(capacity: 1)
    }

    func reserve(rows newRows: Int, sequenceLength newLength: Int) {
        if newRows > rows {
            let h = config.hiddenSize
            for pointer in [hidden, scratch, qkv, context, intermediate] { pointer.deallocate() }
            hidden = .allocate(capacity: newRows * h)
            scratch = .allocate(capacity: newRows * h)
            qkv = .allocate(capacity: newRows * 3 * h)
            context = .allocate(capacity: newRows * h)
            intermediate = .allocate(capacity: newRows * config.intermediateSize)
            rows = newRows
        }
        if newLength > sequenceLength {
            scores.deallocate()
            scores = .allocate(capacity: newLength * newLength)
            sequenceLength = newLength
        }
    }

    deinit {
        for pointer in [hidden, scratch, qkv, context, intermediate, scores] { pointer.deallocate() }
    }
}

/// BERT weights in fp32 and the forward pass (embeddings, encoder layers, mean pooling, L2 normalisation).
final class BertEncoder: @unchecked Sendable {
    struct Layer {
        let qkvWeight, qkvBias: UnsafeMutablePointer<Float>  // [3H, H], [3H]: query, key, value stacked
        let outputWeight, outputBias: UnsafeMutablePointer<Float>
        let attentionNormGamma, attentionNormBeta: UnsafeMutablePointer<Float>
        let intermediateWeight, intermediateBias: UnsafeMutablePointer<Float>
        let ffnOutputWeight, ffnOutputBias: UnsafeMutablePointer<Float>
        let outputNormGamma, outputNormBeta: UnsafeMutablePointer<Float>
    }

    let config: BertConfig
    let blas: BLASLibrary
    private let wordEmbeddings: UnsafeMutablePointer<Float>
    private let positionEmbeddings: UnsafeMutablePointer<Float>
    private let tokenTypeEmbeddings: UnsafeMutablePointer<Float>
    private let embeddingNormGamma: UnsafeMutablePointer<Float>
    private let embeddingNormBeta: UnsafeMutablePointer<Float>
    private let layers: [Layer]
    private let allocations: [UnsafeMutablePointer<Float>]

    init(weights: SafeTensorsFile, config: BertConfig, blas: BLASLibrary) throws {
        self.config = config
        self.blas = blas
        let h = config.hiddenSize
        let i = config.intermediateSize
        var allocations: [UnsafeMutablePointer<Float>] = []
        func tensors(_ names: [String], _ shape: [Int]) throws -> UnsafeMutablePointer<Float> {
            var values: [Float] = []
            for name in names { values += try weights.floats(name, shape: shape) }
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
            pointer.initialize(from: values, count: values.count)
            allocations.append(pointer)
            return pointer
        }
        func tensor(_ name: String, _ shape: [Int]) throws -> UnsafeMutablePointer<Float> {
            try tensors([name], shape)
        }
        if let positionIDs = weights.tensors["embeddings.position_ids"], positionIDs.dtype != "I64" {
            throw EmbeddingModelError.unsupportedDType(
                file: weights.fileName, name: positionIDs.name, dtype: positionIDs.dtype, expected: "I64")
        }
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [config.vocabularySize, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [config.maxPositions, h])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [config.typeVocabularySize, h])
        embeddingNormGamma = try tensor("embeddings.LayerNorm.weight", [h])
        embeddingNormBeta = try tensor("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for index in 0..<config.layers {
            let p = "encoder.layer.\(index)."
            let qkv = ["query", "key", "value"].map { p + "attention.self." + $0 }
            layers.append(
                Layer(
                    qkvWeight: try tensors(qkv.map { $0 + ".weight" }, [h, h]),
                    qkvBias: try tensors(qkv.map { $0 + ".bias" }, [h]),
                    outputWeight: try tensor(p + "attention.output.dense.weight", [h, h]),
                    outputBias: try tensor(p + "attention.output.dense.bias", [h]),
                    attentionNormGamma: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                    attentionNormBeta: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                    intermediateWeight: try tensor(p + "intermediate.dense.weight", [i, h]),
                    intermediateBias: try tensor(p + "intermediate.dense.bias", [i]),
                    ffnOutputWeight: try tensor(p + "output.dense.weight", [h, i]),
                    ffnOutputBias: try tensor(p + "output.dense.bias", [h]),
                    outputNormGamma: try tensor(p + "output.LayerNorm.weight", [h]),
                    outputNormBeta: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
        self.allocations = allocations
    }

    deinit {
        for pointer in allocations { pointer.deallocate() }
    }

    /// Throws unless every sequence of `batch` has 1 to `maxPositions` tokens, each in the vocabulary.
    func check(_ batch: [[Int32]]) throws(EmbeddingInputError) {
        for (index, ids) in batch.enumerated() {
            guard !ids.isEmpty else { throw .emptySequence(index: index) }
            guard ids.count <= config.maxPositions else {
                throw .sequenceTooLong(index: index, length: ids.count, limit: config.maxPositions)
            }
            for id in ids where id < 0 || Int(id) >= config.vocabularySize {
                throw .tokenOutOfRange(index: index, token: id, vocabularySize: config.vocabularySize)
            }
        }
    }

    /// Mean-pooled, L2-normalised embeddings of a batch of token id sequences (each with [CLS]/[SEP]).
    /// Sequences are padded to the longest; padded key positions are masked out of attention (weight
    /// exactly 0, as with -inf before the softmax) and padded rows are left out of the pooling.
    func embed(_ batch: [[Int32]], workspace: EncoderWorkspace) throws(EmbeddingInputError) -> [[Float]] {
        try check(batch)
        let h = config.hiddenSize
        let inter = config.intermediateSize
        let headSize = h / config.heads
        let length = batch.map(\.count).max() ?? 0
        guard length > 0 else { return [] }
        let rows = batch.count * length
        workspace.reserve(rows: rows, sequenceLength: length)
        let x = workspace.hidden
        let scratch = workspace.scratch
        let qkv = workspace.qkv
        let context = workspace.context
        let intermediate = workspace.intermediate
        let scores = workspace.scores

        // Embeddings: word + position + token type 0, then LayerNorm.
        for (b, ids) in batch.enumerated() {
            for position in 0..<length {
                let id = position < ids.count ? Int(ids[position]) : 0  // in range: checked above
                let row = x + (b * length + position) * h
                let word = wordEmbeddings + id * h
                let positional = positionEmbeddings + position * h
                for d in 0..<h { row[d] = word[d] + positional[d] + tokenTypeEmbeddings[d] }
            }
        }
        VectorMath.layerNorm(
            x, gamma: embeddingNormGamma, beta: embeddingNormBeta, epsilon: config.layerNormEpsilon, rows: rows,
            columns: h)

        let scale = 1 / Float(headSize).squareRoot()
        for layer in layers {
            // Q, K, V in one product: qkv[rows, 3H].
            blas.sgemm(
                transA: false, transB: true, m: rows, n: 3 * h, k: h, alpha: 1, a: x, lda: h, b: layer.qkvWeight,
                ldb: h, beta: 0, c: qkv, ldc: 3 * h)
            VectorMath.addBias(qkv, rows: rows, columns: 3 * h, bias: layer.qkvBias)
            for (b, ids) in batch.enumerated() {
                let n = ids.count
                let base = qkv + b * length * 3 * h
                let out = context + b * length * h
                for head in 0..<config.heads {
                    let q = base + head * headSize
                    let k = q + h
                    let v = q + 2 * h
                    // Scores of the n real queries against the n real keys; padded keys get weight 0.
                    blas.sgemm(
                        transA: false, transB: true, m: n, n: n, k: headSize, alpha: scale, a: q, lda: 3 * h, b: k,
                        ldb: 3 * h, beta: 0, c: scores, ldc: n)
                    for row in 0..<n { VectorMath.softmax(scores + row * n, count: n) }
                    blas.sgemm(
                        transA: false, transB: false, m: n, n: headSize, k: n, alpha: 1, a: scores, lda: n, b: v,
                        ldb: 3 * h, beta: 0, c: out + head * headSize, ldc: h)
                }
                if n < length {
                    // Padded query rows do not influence real rows; keep them finite.
                    (out + n * h).update(repeating: 0, count: (length - n) * h)
                }
            }
            blas.sgemm(
                transA: false, transB: true, m: rows, n: h, k: h, alpha: 1, a: context, lda: h, b: layer.outputWeight,
                ldb: h, beta: 0, c: scratch, ldc: h)
            VectorMath.addLayerNorm(
                scratch, bias: layer.outputBias, residual: x, gamma: layer.attentionNormGamma,
                beta: layer.attentionNormBeta, epsilon: config.layerNormEpsilon, rows: rows, columns: h, out: x)
            blas.sgemm(
                transA: false, transB: true, m: rows, n: inter, k: h, alpha: 1, a: x, lda: h,
                b: layer.intermediateWeight, ldb: h, beta: 0, c: intermediate, ldc: inter)
            VectorMath.biasGELU(intermediate, rows: rows, columns: inter, bias: layer.intermediateBias)
            blas.sgemm(
                transA: false, transB: true, m: rows, n: h, k: inter, alpha: 1, a: intermediate, lda: inter,
                b: layer.ffnOutputWeight, ldb: inter, beta: 0, c: scratch, ldc: h)
            VectorMath.addLayerNorm(
                scratch, bias: layer.ffnOutputBias, residual: x, gamma: layer.outputNormGamma,
                beta: layer.outputNormBeta, epsilon: config.layerNormEpsilon, rows: rows, columns: h, out: x)
        }

        // Mean pooling over the real tokens, then L2 normalisation.
        return batch.enumerated().map { b, ids in
            var pooled = [Float](repeating: 0, count: h)
            let start = x + b * length * h
            for position in 0..<ids.count {
                let row = start + position * h
                for d in 0..<h { pooled[d] += row[d] }
            }
            let count = Float(max(ids.count, 1))
            var norm: Float = 0
            for d in 0..<h {
                pooled[d] /= count
                norm += pooled[d] * pooled[d]
            }
            let inverse = 1 / max(norm.squareRoot(), 1e-12)
            for d in 0..<h { pooled[d] *= inverse }
            return pooled
        }
    }
}
