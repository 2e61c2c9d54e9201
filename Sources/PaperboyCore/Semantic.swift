import Foundation

/// A number the store gives each paper, unique and stable for as long as the paper is stored. Search engines
/// rank keys and vector indexes are keyed by them. Only the store that gave a key knows how it was chosen: callers
/// use keys to name papers and to page through a store in key order, and read nothing else into them.
public typealias PaperKey = Int64

/// A paper whose embedding is missing or stale for a model.
public struct EmbeddingJob: Sendable, Hashable {
    public let key: PaperKey
    public let id: PaperID
    /// The text embedded: title + ". " + abstract.
    public let text: String
    public let textHash: UInt64
    /// The parts of the text, for the key sentence and keywords chosen beside the embedding.
    public let title: String
    public let abstract: String

    public init(key: PaperKey, id: PaperID, title: String, abstract: String) {
        self.key = key
        self.id = id
        self.title = title
        self.abstract = abstract
        text = EmbeddingJob.text(title: title, abstract: abstract)
        textHash = EmbeddingJob.hash(text)
    }

    public static func text(title: String, abstract: String) -> String { title + ". " + abstract }

    /// FNV-1a over the UTF-8 of the text: tells a changed paper from an unchanged one.
    public static func hash(_ text: String) -> UInt64 {
        var hash = FNV1a()
        hash.combine(text.utf8)
        return hash.value
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
    /// True when `page.total` is an estimate (shown as "about N results").
    public var totalIsEstimated: Bool

    public init(page: ResultPage<RankedHit>, mode: SearchMode, note: String? = nil, totalIsEstimated: Bool = false) {
        self.page = page
        self.mode = mode
        self.note = note
        self.totalIsEstimated = totalIsEstimated
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
    /// Papers featured in `window` (every paper when nil) ranked for the person whose signals these are, best first
    /// (``TasteRanking``; the embedding part only where vectors are loaded).
    func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws -> [Recommendation]
}

/// Keyword search only: what runs when no embedding model is loaded, and in keyword mode.
public struct KeywordOnlySearcher: PaperSearcher {
    public let index: any KeywordIndex
    public let papers: any KeyedPapers
    public let offReason: String
    public let tastes: TasteModelCache

    public init(
        index: any KeywordIndex, papers: any KeyedPapers, offReason: String = "no embedding model is loaded",
        tastes: TasteModelCache = TasteModelCache()
    ) {
        self.index = index
        self.papers = papers
        self.offReason = offReason
        self.tastes = tastes
    }

    public func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome {
        let ranking = try await index.rank(query, offset: offset, limit: limit)
        let items = try await RankedHit.hits(ranking.ranked, query: query, index: index, papers: papers)
        let note = mode == .keyword ? nil : "Semantic search is off (\(offReason)); these are keyword results."
        return SearchOutcome(
            page: ResultPage(items: items, total: ranking.total, offset: offset, limit: limit), mode: .keyword,
            note: note, totalIsEstimated: ranking.totalIsEstimated)
    }

    public func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] { [] }

    public func semanticStatus() async -> SemanticStatus { .off(reason: offReason) }

    public func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws
        -> [Recommendation]
    {
        try await Recommender(keyword: index, papers: papers, vectors: nil, vectorsCount: 0, tastes: tastes)
            .recommend(signals, window: window, limit: limit)
    }
}

extension RankedHit {
    /// The papers of ranked keys with their highlights, in rank order (keys of no stored paper are left out).
    /// A paper without highlighted words shows its title and the start of its abstract.
    public static func hits(
        _ ranked: [ScoredKey], query: SearchQuery, index: any KeywordIndex, papers: any KeyedPapers,
        similarity: (PaperKey) -> Double? = { _ in nil }
    ) async throws -> [RankedHit] {
        let keys = ranked.map(\.key)
        guard !keys.isEmpty else { return [] }
        async let papersByKey = papers.papers(keys: keys)
        async let marks = index.highlights(query, keys: keys)
        let (found, highlights) = try await (papersByKey, marks)
        return ranked.compactMap { scored in
            guard let paper = found[scored.key] else { return nil }
            let marked = highlights[scored.key]
            return RankedHit(
                paper: paper, score: scored.score,
                titleHighlight: marked?.title ?? Highlighted(plain: paper.paper.title),
                abstractSnippet: marked?.abstract ?? Highlighted(plain: String(paper.paper.abstract.prefix(300))),
                matchedTerms: marked?.matchedWords ?? [], similarity: similarity(scored.key))
        }
    }
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
