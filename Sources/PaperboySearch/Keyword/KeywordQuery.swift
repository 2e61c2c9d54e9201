import Foundation
import PaperboyCore

/// BM25 as FTS5 computes it (k1 1.2, b 0.75), over the weighted frequency title × 10 + authors × 4 + abstract and
/// the document's length in tokens (all three fields).
enum KeywordScoring {
    static let k1 = 1.2
    static let b = 0.75

    @inline(__always) static func weighted(title: UInt32, authors: UInt32, abstract: UInt32) -> UInt32 {
        10 &* title &+ 4 &* authors &+ abstract
    }

    static func idf(documents: Int, matching: Int) -> Double {
        let v = log((0.5 + Double(documents) - Double(matching)) / (0.5 + Double(matching)))
        return v <= 0 ? 1e-6 : v
    }

    @inline(__always) static func part(_ f: UInt32, length: UInt32, avgdl: Double) -> Double {
        guard f > 0 else { return 0 }
        let f = Double(f)
        return (f * (k1 + 1.0)) / (f + k1 * (1 - b + b * Double(length) / avgdl))
    }
}

/// A query as the index runs it: scored clauses (FTS5's phrases, in its order: the words, then `author:` words),
/// which of them must match, and the filters.
struct KeywordPlan {
    enum Clause: Hashable {
        /// One term, counted in every field.
        case term(String)
        /// Every term that starts with the prefix.
        case prefix(String)
        /// Terms at consecutive positions of one field.
        case phrase([String])
        /// One term, counted in the authors field only (`author:`).
        case authorWord(String)
    }

    var clauses: [Clause] = []
    /// Clauses every match has.
    var required: [Int] = []
    /// Clauses of which a match has at least one (when not empty).
    var optional: [Int] = []
    var excluded: [Clause] = []
    var categories: [String] = []
    /// Featured at or after (milliseconds), and strictly before.
    var fromMillis: Int64?
    var untilMillis: Int64?
    var sort: SearchSort = .relevance
    /// A word of the query has no indexable characters: nothing can match.
    var matchesNothing = false

    init(_ query: SearchQuery) {
        sort = query.sort
        var words: [Int] = []
        for term in query.terms {
            guard let clause = Self.clause(term) else { continue }
            words.append(clauses.count)
            clauses.append(clause)
        }
        var authors: [Int] = []
        for name in query.authors {
            for word in SearchQuery.words(in: name) {
                for token in KeywordTokenizer.queryTerms(word) {
                    authors.append(clauses.count)
                    clauses.append(.authorWord(token))
                }
            }
        }
        if query.matchesAnyTerm && words.count > 1 {
            optional = words
            required = authors
        } else {
            required = words + authors
        }
        excluded = query.excluded.compactMap(Self.clause)
        categories = query.categories
        fromMillis = query.after.map { Millis.of($0.start) }
        untilMillis = query.before.map { Millis.of($0.start) }
        matchesNothing = clauses.isEmpty && !query.terms.isEmpty
    }

    private static func clause(_ term: SearchQuery.Term) -> Clause? {
        let tokens = term.words.flatMap(KeywordTokenizer.queryTerms)
        guard let first = tokens.first else { return nil }
        if tokens.count > 1 { return .phrase(tokens) }
        return term.isPrefix ? .prefix(first) : .term(first)
    }

    var hasFilters: Bool {
        !categories.isEmpty || fromMillis != nil || untilMillis != nil || !excluded.isEmpty
            || clauses.contains { if case .authorWord = $0 { true } else { false } }
    }

    var isScored: Bool { !clauses.isEmpty }
}

/// Documents of a segment deleted since it was written (replaced by a newer version, hidden).
struct DocBitset: Sendable, Equatable {
    private(set) var words: [UInt64]
    private(set) var count = 0

    init(documents: Int) { words = [UInt64](repeating: 0, count: (documents + 63) / 64) }

    init(words: [UInt64]) {
        self.words = words
        count = words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    @inline(__always) func contains(_ doc: Int) -> Bool {
        let w = doc >> 6
        return w < words.count && words[w] & (1 << UInt64(doc & 63)) != 0
    }

    /// Calls `body` with each document in the set, in order.
    func forEach(_ body: (Int) -> Void) {
        guard count > 0 else { return }
        for (w, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                body(w << 6 | bits.trailingZeroBitCount)
                bits &= bits &- 1
            }
        }
    }

    mutating func insert(_ doc: Int) {
        let w = doc >> 6
        guard w < words.count, words[w] & (1 << UInt64(doc & 63)) == 0 else { return }
        words[w] |= 1 << UInt64(doc & 63)
        count += 1
    }
}
