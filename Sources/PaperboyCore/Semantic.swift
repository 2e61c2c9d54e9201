import Foundation

/// The store's own numeric key of a paper (SQLite's rowid). Vector indexes are keyed by it.
public typealias PaperKey = Int64

/// A paper whose embedding is missing or stale for a model.
public struct EmbeddingJob: Sendable, Hashable {
    public let key: PaperKey
    public let id: PaperID
    /// The text embedded: title + ". " + abstract.
    public let text: String
    public let textHash: UInt64

    public init(key: PaperKey, id: PaperID, text: String) {
        self.key = key
        self.id = id
        self.text = text
        textHash = EmbeddingJob.hash(text)
    }

    public static func text(title: String, abstract: String) -> String { title + ". " + abstract }

    /// FNV-1a over the UTF-8 of the text: tells a changed paper from an unchanged one.
    public static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

/// A stored embedding.
public struct StoredEmbedding: Sendable {
    public let key: PaperKey
    public let textHash: UInt64
    public let vector: [Float]

    public init(key: PaperKey, textHash: UInt64, vector: [Float]) {
        self.key = key
        self.textHash = textHash
        self.vector = vector
    }
}

/// Storage of paper embeddings, per model (name + weights hash), beside the papers.
public protocol VectorStore: Sendable {
    /// Papers after `key` (in key order) with no embedding for `model`, or one of a different text.
    /// Returns the jobs and the last key scanned (nil at the end), so callers walk the whole table in pages.
    func papersNeedingEmbedding(model: String, after key: PaperKey, scan: Int) async throws
        -> (jobs: [EmbeddingJob], last: PaperKey?)

    /// Stores embeddings (replacing older ones of the same papers), in one transaction.
    func saveEmbeddings(model: String, dimension: Int, _ items: [StoredEmbedding]) async throws

    /// Stored embeddings of `model` after `key`, in key order (for loading an index).
    func embeddings(model: String, after key: PaperKey, limit: Int) async throws -> [StoredEmbedding]

    func embeddingCount(model: String) async throws -> Int

    func embedding(model: String, key: PaperKey) async throws -> [Float]?

    /// The store key of a paper.
    func key(of id: PaperID) async throws -> PaperKey?

    /// Papers by key (missing keys are left out).
    func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper]

    /// Keys of the papers that pass the query's filters (category, author, dates, excluded words), or nil when it
    /// has none.
    func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>?

    /// Keys of the best keyword matches, best first (for fusion with semantic results), and how many matched.
    func keywordKeys(_ query: SearchQuery, limit: Int) async throws -> (
        ranked: [(key: PaperKey, score: Double)], total: Int
    )

    /// Highlighted titles and abstract snippets of the given papers for the query's words (papers without a
    /// keyword match are left out).
    func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: (Highlighted, Highlighted)]
}

/// How a search ranks.
public enum SearchMode: String, Sendable, CaseIterable {
    case hybrid, keyword, semantic
}

/// Whether semantic search is available, and if not, why.
public enum SemanticStatus: Sendable, Equatable {
    case on(model: String, vectors: Int)
    case off(reason: String)
}

/// A result of ``PaperSearcher``: the paper, its fused score, and why it matched.
public struct RankedHit: Sendable {
    public var paper: StoredPaper
    public var score: Double
    public var titleHighlight: Highlighted
    public var abstractSnippet: Highlighted
    /// Query words found in the title or abstract (keyword evidence).
    public var matchedTerms: [String]
    /// Cosine similarity between the query and the paper (semantic evidence), when computed.
    public var similarity: Double?

    public init(
        paper: StoredPaper, score: Double, titleHighlight: Highlighted, abstractSnippet: Highlighted,
        matchedTerms: [String], similarity: Double?
    ) {
        self.paper = paper
        self.score = score
        self.titleHighlight = titleHighlight
        self.abstractSnippet = abstractSnippet
        self.matchedTerms = matchedTerms
        self.similarity = similarity
    }
}

/// A page of search results with the mode that produced it (semantic falls back to keyword without a model).
public struct SearchOutcome: Sendable {
    public var page: ResultPage<RankedHit>
    public var mode: SearchMode
    /// Said to the person searching when the mode differs from the one asked for.
    public var note: String?

    public init(page: ResultPage<RankedHit>, mode: SearchMode, note: String? = nil) {
        self.page = page
        self.mode = mode
        self.note = note
    }
}

/// Bounds on what one search may cost, whatever a request asks for.
public enum SearchLimits {
    /// Results reachable by paging (offset + limit); a request beyond it is refused, never computed.
    public static let maxReachableResults = 10_000
    /// Longest query text searched, in characters.
    public static let maxQueryLength = 1_000
}

/// Search as pages and the API use it: keyword, semantic or hybrid; similar papers.
public protocol PaperSearcher: Sendable {
    func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome
    func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)]
    func semanticStatus() async -> SemanticStatus
}

/// Keyword search only (FTS through the store): what runs when no embedding model is loaded, and the keyword
/// half of hybrid search.
public struct KeywordSearcher<Store: PaperStore>: PaperSearcher {
    public let store: Store
    public let offReason: String

    public init(store: Store, offReason: String = "no embedding model is loaded") {
        self.store = store
        self.offReason = offReason
    }

    public func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome {
        let page = try await store.search(query, offset: offset, limit: limit)
        let items = page.items.map { hit in
            RankedHit(
                paper: hit.paper, score: hit.score, titleHighlight: hit.titleHighlight,
                abstractSnippet: hit.abstractSnippet,
                matchedTerms: Self.matched(hit.titleHighlight, hit.abstractSnippet),
                similarity: nil)
        }
        let note = mode == .keyword ? nil : "Semantic search is off (\(offReason)); these are keyword results."
        return SearchOutcome(
            page: ResultPage(items: items, total: page.total, offset: page.offset, limit: page.limit), mode: .keyword,
            note: note)
    }

    /// The query words a hit's title and abstract highlight, lowercased and sorted.
    public static func matched(_ title: Highlighted, _ abstract: Highlighted) -> [String] {
        Array(Set((title.matchedWords + abstract.matchedWords).map { $0.lowercased() })).sorted()
    }

    public func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] { [] }

    public func semanticStatus() async -> SemanticStatus { .off(reason: offReason) }
}

/// How a request that cannot be served is answered: a bad request (400 with the message) or a busy server that
/// the client may retry (503 with `Retry-After`).
public enum Refusal: Sendable, Equatable {
    case badRequest(String)
    case unavailable(retryAfterSeconds: Int, message: String)
}

/// An error a request caused, or a busy state it may retry: the web layer answers it with its ``Refusal``
/// instead of a 500, whichever module threw it.
public protocol RefusedRequest: Error {
    var refusal: Refusal { get }
}
