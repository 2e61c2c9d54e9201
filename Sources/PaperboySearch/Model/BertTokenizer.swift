import Foundation

/// The BERT uncased tokenizer (basic tokenizer + WordPiece), as in Hugging Face's `BertTokenizer` with
/// `do_lower_case=True`, `tokenize_chinese_chars=True` and accent stripping.
public struct BertTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let clsID: Int32
    public let sepID: Int32
    public let unkID: Int32
    public let padID: Int32
    /// Longest word WordPiece tries; longer words become `[UNK]`.
    public let maxInputCharsPerWord = 100
    /// Longest vocabulary entry in Unicode scalars (bounds the greedy search).
    private let maxPieceLength: Int

    /// Largest `vocab.txt` read (all-MiniLM-L6-v2's is 232 kB).
    public static let maxFileBytes = 16 << 20

    /// Reads `vocab.txt` (one token a line; the line number is the id).
    public init(vocabularyFile url: URL, expectedSize: Int? = nil) throws {
        let fileName = url.lastPathComponent
        let data = try ModelFile.contents(of: url, maxBytes: Self.maxFileBytes)
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmbeddingModelError.badVocabulary(file: fileName, reason: "not valid UTF-8")
        }
        var tokens = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if tokens.last == "" { tokens.removeLast() }
        if let expectedSize, tokens.count != expectedSize {
            throw EmbeddingModelError.badVocabulary(
                file: fileName, reason: "has \(tokens.count) tokens, expected \(expectedSize) (config.json vocab_size)")
        }
        try self.init(tokens: tokens, fileName: fileName)
    }

    /// Builds a tokenizer from the vocabulary in id order.
    public init(tokens: [String], fileName: String = "vocab.txt") throws {
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(tokens.count)
        var longest = 1
        for (index, token) in tokens.enumerated() {
            guard let id = Int32(exactly: index) else {
                throw EmbeddingModelError.badVocabulary(file: fileName, reason: "has more than \(Int32.max) tokens")
            }
            vocabulary[token] = id
            longest = max(longest, token.unicodeScalars.count)
        }
        func id(_ token: String) throws -> Int32 {
            guard let id = vocabulary[token] else {
                throw EmbeddingModelError.badVocabulary(file: fileName, reason: "has no \(token) token")
            }
            return id
        }
        self.vocabulary = vocabulary
        clsID = try id("[CLS]")
        sepID = try id("[SEP]")
        unkID = try id("[UNK]")
        padID = try id("[PAD]")
        maxPieceLength = longest
    }

    /// Token ids `[CLS] … [SEP]`, truncated to `maxLength` ids in total (at least the two, `[CLS] [SEP]`).
    /// Reading stops at the whitespace after the word that completes the ids; the work is linear in what is read.
    public func encode(_ text: String, maxLength requested: Int = 256) -> [Int32] {
        let maxLength = max(requested, 2)
        var ids: [Int32] = [clsID]
        ids.reserveCapacity(min(maxLength, text.utf8.count + 2))
        let limit = maxLength - 1
        forEachWord(in: text) { word in
            appendWordPieces(word, to: &ids, limit: limit)
            return ids.count < limit
        }
        ids.append(sepID)
        return ids
    }

    /// The WordPiece tokens of `text` (without `[CLS]`/`[SEP]`), for debugging and tests.
    public func tokens(_ text: String) -> [String] {
        var byID: [Int32: String] = [:]
        for (token, id) in vocabulary { byID[id] = token }
        var ids: [Int32] = []
        forEachWord(in: text) { word in
            appendWordPieces(word, to: &ids, limit: Int.max)
            return true
        }
        return ids.map { byID[$0] ?? "[UNK]" }
    }

    // MARK: Basic tokenizer

    /// Calls `body` with each word after cleaning, CJK splitting, whitespace splitting, lowercasing,
    /// accent stripping and punctuation splitting; stops when `body` returns false.
    private func forEachWord(in text: String, _ body: ([Unicode.Scalar]) -> Bool) {
        var chunk: [Unicode.Scalar] = []
        chunk.reserveCapacity(32)
        var keepGoing = true
        func flush() {
            guard !chunk.isEmpty else { return }
            if keepGoing { keepGoing = splitChunk(chunk, body) }
            chunk.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if !keepGoing { return }
            let value = scalar.value
            if value < 0x80 {
                // ASCII fast path: whitespace, controls, everything else kept.
                if value == 0x20 || value == 0x09 || value == 0x0A || value == 0x0D {
                    flush()
                } else if value < 0x20 || value == 0x7F {
                    continue
                } else {
                    chunk.append(scalar)
                }
                continue
            }
            if value == 0xFFFD || Self.isControl(scalar) { continue }
            if scalar.properties.isWhitespace {
                flush()
            } else if Self.isCJK(value) {
                flush()
                chunk.append(scalar)
                flush()
            } else {
                chunk.append(scalar)
            }
        }
        flush()
    }

    /// Lowercases and strips accents from a whitespace-delimited chunk, then splits it on punctuation.
    private func splitChunk(_ chunk: [Unicode.Scalar], _ body: ([Unicode.Scalar]) -> Bool) -> Bool {
        let normalized: [Unicode.Scalar]
        if chunk.allSatisfy({ $0.value < 0x80 }) {
            normalized = chunk.map { scalar in
                let value = scalar.value
                return (0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value + 0x20)) : scalar
            }
        } else {
            var string = String()
            string.unicodeScalars.append(contentsOf: chunk)
            let decomposed = string.lowercased().decomposedStringWithCanonicalMapping
            normalized = decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        var start = 0
        for (index, scalar) in normalized.enumerated() where Self.isPunctuation(scalar) {
            if index > start, !body(Array(normalized[start..<index])) { return false }
            if !body([scalar]) { return false }
            start = index + 1
        }
        if start < normalized.count { return body(Array(normalized[start...])) }
        return true
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        default: break
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isCJK(_ value: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(value) || (0x3400...0x4DBF).contains(value)
            || (0x20000...0x2A6DF).contains(value) || (0x2A700...0x2B73F).contains(value)
            || (0x2B740...0x2B81F).contains(value) || (0x2B820...0x2CEAF).contains(value)
            || (0xF900...0xFAFF).contains(value) || (0x2F800...0x2FA1F).contains(value)
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value)
            || (123...126).contains(value)
        {
            return true
        }
        if value < 0x80 { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    // MARK: WordPiece

    /// Appends the WordPiece ids of one word (greedy longest match first, `##` continuations), or `[UNK]`.
    private func appendWordPieces(_ word: [Unicode.Scalar], to ids: inout [Int32], limit: Int) {
        guard ids.count < limit else { return }
        if word.count > maxInputCharsPerWord {
            ids.append(unkID)
            return
        }
        var pieces: [Int32] = []
        var start = 0
        var candidate = String()
        while start < word.count {
            var end = min(word.count, start + maxPieceLength)
            var found: Int32?
            while end > start {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append("##") }
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.append(unkID)
                return
            }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces.prefix(limit - ids.count))
    }
}
