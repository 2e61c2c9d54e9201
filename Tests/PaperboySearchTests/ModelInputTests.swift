import Foundation
import Logging
import Testing

@testable import PaperboySearch

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Model: hostile model files and inputs are errors, never traps")
struct ModelInputTests {
    /// Writes a safetensors file: the 8-byte header length, `header` as given, then `data`.
    static func writeRaw(header: String, data: Data = Data(), headerLength: UInt64? = nil, to url: URL) throws {
        var bytes = Data()
        let json = Data(header.utf8)
        withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(json)
        bytes.append(data)
        try bytes.write(to: url)
    }

    static func directory() throws -> URL { try ModelTestSupport.temporaryDirectory() }

    @Test("safetensors headers whose sizes overflow, or that are not numbers, are corrupt headers")
    func hostileSafeTensorsHeaders() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        func corrupt(_ reason: String) -> EmbeddingModelError {
            .corruptHeader(file: "model.safetensors", reason: reason)
        }
        let cases: [(String, EmbeddingModelError)] = [
            (
                #"{"t": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}}"#,
                corrupt("tensor t has data_offsets [0, 4] that do not match its shape [4294967296, 4294967296] of F32")
            ),
            (
                #"{"t": {"dtype": "F64", "shape": [4611686018427387904], "data_offsets": [0, 0]}}"#,
                corrupt("tensor t has data_offsets [0, 0] that do not match its shape [4611686018427387904] of F64")
            ),
            (
                #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 1e30]}}"#,
                corrupt("entry t lacks a dtype, shape or data_offsets")
            ),
            (
                #"{"t": {"dtype": "F32", "shape": [1e300], "data_offsets": [0, 4]}}"#,
                corrupt("entry t lacks a dtype, shape or data_offsets")
            ),
            (
                #"{"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#,
                corrupt("tensor t has data_offsets [0, 4] that do not match its shape [-1] of F32")
            ),
            (
                #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}"#,
                corrupt("tensor t has data_offsets [8, 4] that do not match its shape [1] of F32")
            ),
            (
                #"{"t": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 4]}}"#,
                corrupt("tensor t has unknown dtype Q4")
            ),
            (String(repeating: "[", count: 100_000), corrupt("header is not valid JSON")),
        ]
        for (header, expected) in cases {
            try Self.writeRaw(header: header, data: Data(count: 4), to: url)
            #expect(throws: expected) { _ = try SafeTensorsFile(url: url) }
        }
        try Self.writeRaw(header: "{}", headerLength: .max, to: url)
        #expect(throws: corrupt("header length 18446744073709551615 does not fit in the file's 10 bytes")) {
            _ = try SafeTensorsFile(url: url)
        }
        try Self.writeRaw(header: "{}", headerLength: 1 << 63, to: url)
        #expect(throws: corrupt("header length 9223372036854775808 does not fit in the file's 10 bytes")) {
            _ = try SafeTensorsFile(url: url)
        }
    }

    @Test("NaN or infinite weights are refused with the tensor's name")
    func nonFiniteWeights() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        for bad in [Float.nan, .infinity, -.infinity] {
            var data = Data()
            for value in [1, bad, 3] as [Float] {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
            try Self.writeRaw(
                header: #"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}"#, data: data, to: url)
            let file = try SafeTensorsFile(url: url)
            #expect(throws: EmbeddingModelError.nonFiniteWeights(file: "model.safetensors", name: "w")) {
                _ = try file.floats("w", shape: [3])
            }
        }
        #expect(
            EmbeddingModelError.nonFiniteWeights(file: "model.safetensors", name: "w").description
                == "model.safetensors: tensor w holds NaN or infinite values")
    }

    @Test("a model file that is too large, a directory or a FIFO is refused without reading or blocking")
    func specialFiles() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try Data(count: 11).write(to: url)
        #expect(throws: EmbeddingModelError.fileTooLarge(file: "model.safetensors", limit: 10)) {
            _ = try ModelFileMapping(path: url.path, maxBytes: 10)
        }
        #expect(
            EmbeddingModelError.fileTooLarge(file: "model.safetensors", limit: 10).description
                == "model.safetensors: file is larger than 10 bytes, more than any file of the model")
        try FileManager.default.removeItem(at: url)
        #expect(mkfifo(url.path, 0o600) == 0)
        #expect(throws: EmbeddingModelError.unreadableFile(path: url.path, reason: "is not a regular file")) {
            _ = try SafeTensorsFile(url: url)
        }
        let vocabulary = directory.appendingPathComponent("vocab.txt")
        #expect(mkfifo(vocabulary.path, 0o600) == 0)
        #expect(throws: EmbeddingModelError.unreadableFile(path: vocabulary.path, reason: "is not a regular file")) {
            _ = try BertTokenizer(vocabularyFile: vocabulary)
        }
        let folder = directory.appendingPathComponent("config.json")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        #expect(throws: EmbeddingModelError.unreadableFile(path: folder.path, reason: "is a directory")) {
            _ = try BertConfig.read(folder)
        }
    }

    @Test("config.json: out-of-range numbers, wrong types, deep nesting and huge files are unsupported configs")
    func hostileConfig() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("config.json")
        let valid: [String: Any] = [
            "hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
            "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2,
        ]
        func unsupported(_ key: String, _ found: String, _ expected: String) -> EmbeddingModelError {
            .unsupportedConfig(file: "config.json", key: key, found: found, expected: expected)
        }
        let cases: [([String: Any], EmbeddingModelError)] = [
            (["layer_norm_eps": -1], unsupported("layer_norm_eps", "-1", "a number between 0 and 1")),
            (["layer_norm_eps": 0], unsupported("layer_norm_eps", "0", "a number between 0 and 1")),
            (["layer_norm_eps": "small"], unsupported("layer_norm_eps", "small", "a number between 0 and 1")),
            (["hidden_size": 384.5], unsupported("hidden_size", "384.5", "384")),
            (["hidden_size": "384"], unsupported("hidden_size", "\"384\"", "384")),
            (["model_type": 5], unsupported("model_type", "5", "bert")),
            (["max_position_embeddings": 100], unsupported("max_position_embeddings", "100", "at least 256")),
        ]
        for (change, expected) in cases {
            try JSONSerialization.data(withJSONObject: valid.merging(change) { $1 }).write(to: url)
            #expect(throws: expected) { _ = try BertConfig.read(url) }
        }
        try JSONSerialization.data(withJSONObject: valid).write(to: url)
        #expect(try BertConfig.read(url) == .miniLML6)
        try Data(String(repeating: "[", count: 200_000).utf8).write(to: url)
        #expect(throws: unsupported("the file", "not valid JSON", "a JSON object")) { _ = try BertConfig.read(url) }
        try JSONSerialization.data(withJSONObject: valid.merging(["max_position_embeddings": 1e300]) { $1 })
            .write(to: url)
        let error = #expect(throws: EmbeddingModelError.self) { _ = try BertConfig.read(url) }
        guard case .unsupportedConfig(_, "max_position_embeddings", _, "at least 256") = error else {
            Issue.record("expected max_position_embeddings to be refused, got \(String(describing: error))")
            return
        }
        try Data(count: BertConfig.maxFileBytes + 1).write(to: url)
        #expect(throws: EmbeddingModelError.fileTooLarge(file: "config.json", limit: 1 << 20)) {
            _ = try BertConfig.read(url)
        }
    }

    @Test("vocab.txt larger than 16 MiB is refused before it is read whole")
    func hugeVocabulary() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("vocab.txt")
        try Data(repeating: 0x61, count: BertTokenizer.maxFileBytes + 1).write(to: url)
        #expect(throws: EmbeddingModelError.fileTooLarge(file: "vocab.txt", limit: 16 << 20)) {
            _ = try BertTokenizer(vocabularyFile: url)
        }
        try Data([0xFF, 0xFE, 0x0A]).write(to: url)
        #expect(throws: EmbeddingModelError.badVocabulary(file: "vocab.txt", reason: "not valid UTF-8")) {
            _ = try BertTokenizer(vocabularyFile: url)
        }
    }

    static let tinyTokenizer: BertTokenizer? = try? BertTokenizer(
        tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##b", "b", ".", "e", "中", "é"])

    @Test("long and odd texts: at most maxLength ids, [CLS] first and [SEP] last, whatever the text")
    func longAndOddTexts() throws {
        let tokenizer = try #require(Self.tinyTokenizer)
        #expect(tokenizer.encode("a b", maxLength: 0) == [2, 3])
        #expect(tokenizer.encode("a b", maxLength: .min) == [2, 3])
        #expect(tokenizer.encode("a b", maxLength: 3) == [2, 4, 3])
        #expect(tokenizer.encode("a b", maxLength: .max) == [2, 4, 6, 3])
        let texts = [
            String(repeating: "ab ", count: 400_000),
            String(repeating: "a.", count: 200_000),
            String(repeating: "b", count: 1_000_000),
            String(repeating: "e\u{301}\u{302}\u{303}", count: 50_000),
            String(repeating: "\u{200D}\u{202E}\u{0}\u{FFFD}\u{E000}\u{1F1FA}\u{1F1F8} ", count: 20_000),
            String(repeating: "中", count: 100_000),
            String(repeating: "\u{10FFFF}\u{7F}\u{1B}[31m", count: 10_000),
        ]
        for text in texts {
            let ids = tokenizer.encode(text)
            #expect(ids.count <= 256)
            #expect(ids.first == 2 && ids.last == 3)
            #expect(ids.allSatisfy { (0..<11).contains($0) })
        }
        #expect(tokenizer.encode(String(repeating: "ab ", count: 400_000)).count == 256)
        #expect(tokenizer.encode(String(repeating: "b", count: 1_000_000)) == [2, 1, 3])
    }

    @Test("token id sequences the encoder cannot run are errors naming the sequence")
    func invalidTokenSequences() async throws {
        let embedder = try ModelTestSupport.embedder()
        let cases: [([[Int32]], EmbeddingInputError)] = [
            ([[101, 102], []], .emptySequence(index: 1)),
            ([Array(repeating: 1000, count: 513)], .sequenceTooLong(index: 0, length: 513, limit: 512)),
            ([[101, -1, 102]], .tokenOutOfRange(index: 0, token: -1, vocabularySize: 30522)),
            ([[101, 102], [101, 30522, 102]], .tokenOutOfRange(index: 1, token: 30522, vocabularySize: 30522)),
            ([[101, .max, 102]], .tokenOutOfRange(index: 0, token: .max, vocabularySize: 30522)),
        ]
        for (sequences, expected) in cases {
            await #expect(throws: expected) { _ = try await embedder.embed(tokenized: sequences) }
            await #expect(throws: expected) { _ = try await embedder.embedOneBatch(sequences) }
        }
        #expect(
            EmbeddingInputError.sequenceTooLong(index: 0, length: 513, limit: 512).description
                == "token sequence 0 has 513 tokens, more than the model's 512 positions")
        // The longest sequence the model has positions for still runs.
        let longest = try await embedder.embed(tokenized: [[101] + Array(repeating: 1000, count: 510) + [102]])
        #expect(longest.count == 1 && longest[0].count == 384)
        // A query of a million characters costs one 256-token pass.
        let vector = try await embedder.embedQuery(String(repeating: "sentence embeddings ", count: 50_000))
        #expect(vector.count == 384 && vector.allSatisfy(\.isFinite))
    }

    @Test("SHA-256 of the model file in chunks: the same digest for every chunk size")
    func sha256InChunks() {
        let million = Array(repeating: UInt8(ascii: "a"), count: 1_000_000)
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        for chunk in [1, 63, 64, 4_097, 1 << 20, .max, 0, -1] {
            #expect(
                million.withUnsafeBytes { SHA256Digest.hex(of: $0, chunkBytes: chunk) } == expected, "chunk \(chunk)")
        }
        #expect(
            SHA256Digest.hex(of: UnsafeRawBufferPointer(start: nil, count: 0))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("layer norm of rows whose length is not a multiple of 8")
    func layerNormOfOddRows() {
        let columns = 13
        var row = (0..<columns).map { Float($0 * $0 % 7) - 2.5 }
        let gamma = [Float](repeating: 2, count: columns)
        let beta = [Float](repeating: 0.5, count: columns)
        let mean = row.reduce(0, +) / Float(columns)
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(columns)
        let expected = row.map { ($0 - mean) / (variance + 1e-12).squareRoot() * 2 + 0.5 }
        row.withUnsafeMutableBufferPointer { r in
            gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    VectorMath.layerNorm(
                        r.baseAddress!, gamma: g.baseAddress!, beta: b.baseAddress!, epsilon: 1e-12, rows: 1,
                        columns: columns)
                }
            }
        }
        #expect(zip(row, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}
