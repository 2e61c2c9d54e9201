import Foundation
import Logging
import PaperboyCore
import Synchronization

/// Reciprocal-rank fusion: each list contributes 1 / (k + rank) for every key it ranks (rank from 1).
public enum RankFusion {
    /// The fused ranking, best first; ties keep the order in which keys were first seen. A list without a weight
    /// (`weights` shorter than `lists`) weighs 1.
    public static func reciprocal(_ lists: [[PaperKey]], weights: [Double]? = nil, k: Double = 60)
        -> [(key: PaperKey, score: Double)]
    {
        var fused: [PaperKey: (score: Double, firstSeen: Int)] = [:]
        for (listIndex, list) in lists.enumerated() {
            let weight = weights.flatMap { listIndex < $0.count ? $0[listIndex] : nil } ?? 1
            for (index, key) in list.enumerated() {
                let contribution = weight / (k + Double(index + 1))
                let seen = fused.count
                fused[key, default: (score: 0, firstSeen: seen)].score += contribution
            }
        }
        return fused.sorted { a, b in
            a.value.score != b.value.score ? a.value.score > b.value.score : a.value.firstSeen < b.value.firstSeen
        }.map { (key: $0.key, score: $0.value.score) }
    }
}

/// What the semantic half needs of a model: vectors for papers' texts and for queries. ``SentenceEmbedder`` is the
/// real one; tests give fixed vectors.
public protocol TextEmbedder: Sendable {
    var info: EmbeddingModelInfo { get }
    /// Vectors of papers' texts, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
    /// The vector of a query; may refuse when too many queries wait (``SearchError/overloaded(waiting:limit:)``).
    func embedQuery(_ text: String) async throws -> [Float]
}

extension SentenceEmbedder: TextEmbedder {}

/// The semantic half: the model, the vector index and a small cache of query vectors.
public final class SemanticEngine: Sendable {
    public let embedder: any TextEmbedder
    public let index: AdaptiveVectorIndex
    /// The model's identity in the vector store: name and weights hash.
    public let modelID: String
    private let cache = Mutex<QueryCache>(QueryCache(capacity: 512))

    public init(embedder: any TextEmbedder, index: AdaptiveVectorIndex) {
        self.embedder = embedder
        self.index = index
        modelID = SemanticEngine.modelID(embedder.info)
    }

    public static func modelID(_ info: EmbeddingModelInfo) -> String { "\(info.name)@\(info.sha256.prefix(16))" }

    /// The query's vector, from the cache when the same words were asked recently. Throws
    /// ``SearchError/overloaded(waiting:limit:)`` when too many queries wait for the model.
    public func vector(for text: String) async throws -> [Float] {
        if let cached = cache.withLock({ $0.get(text) }) { return cached }
        let vector = try await embedder.embedQuery(text)
        try index.check(vector)
        cache.withLock { $0.put(text, vector) }
        return vector
    }

    struct QueryCache {
        let capacity: Int
        var entries: [String: [Float]] = [:]
        var order: [String] = []

        mutating func get(_ key: String) -> [Float]? { entries[key] }

        mutating func put(_ key: String, _ value: [Float]) {
            if entries[key] == nil {
                order.append(key)
                if order.count > capacity { entries[order.removeFirst()] = nil }
            }
            entries[key] = value
        }
    }
}

/// Keyword, semantic and hybrid search: a keyword index, papers by key and, when a model is loaded, the semantic
/// engine with the stored embeddings.
public struct HybridSearcher: PaperSearcher {
    public let keyword: any KeywordIndex
    public let papers: any KeyedPapers
    public let embeddings: any EmbeddingStore
    public let engine: SemanticEngine?
    /// Why semantic search is off, when it is.
    public let offReason: String
    /// How many candidates each retriever gives to fusion (more when a page reaches further; never more than
    /// ``SearchLimits/maxReachableResults``).
    public var candidates = 100
    /// The weight of the keyword ranking against the semantic one (1) in fusion. 0.5 scored best of 1, 0.7, 0.5
    /// and 0.3 on Benchmarks/eval (MRR@10 0.780 on paraphrased questions, literal queries unchanged at 1.0).
    public var keywordWeight = 0.5

    /// People's recommendation models, retrained when their signals change.
    public let tastes = TasteModelCache()

    public init(
        keyword: any KeywordIndex, papers: any KeyedPapers, embeddings: any EmbeddingStore, engine: SemanticEngine?,
        offReason: String = "no model is loaded"
    ) {
        self.keyword = keyword
        self.papers = papers
        self.embeddings = embeddings
        self.engine = engine
        self.offReason = offReason
    }

    /// A searcher over a store that plays every role.
    public init(
        store: some KeywordIndex & KeyedPapers & EmbeddingStore, engine: SemanticEngine?,
        offReason: String = "no model is loaded"
    ) {
        self.init(keyword: store, papers: store, embeddings: store, engine: engine, offReason: offReason)
    }

    public func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws
        -> [Recommendation]
    {
        let vectors = engine.map { IndexTasteVectors(index: $0.index) }
        return try await Recommender(
            keyword: keyword, papers: papers, vectors: vectors, vectorsCount: engine?.index.count ?? 0, tastes: tastes
        ).recommend(signals, window: window, limit: limit)
    }

    public func semanticStatus() async -> SemanticStatus {
        guard let engine else { return .off(reason: offReason) }
        return .on(model: engine.modelID, vectors: engine.index.count)
    }

    /// The words of a query as text for the model (filters removed).
    static func semanticText(_ query: SearchQuery) -> String {
        query.terms.map { $0.words.joined(separator: " ") }.joined(separator: " ")
    }

    /// How many candidates each retriever is asked for to serve results up to `reach` (offset + limit).
    func candidatePool(reach: Int) -> Int {
        min(max(candidates, reach), SearchLimits.maxReachableResults)
    }

    /// Throws ``SearchError`` before doing any work when `offset + limit` goes past
    /// ``SearchLimits/maxReachableResults`` or the words are longer than ``SearchLimits/maxQueryLength``; neither
    /// the keyword side nor the vector index is ever asked for more than that many candidates.
    ///
    /// Sorted `.newest`, keyword mode lists every match newest first (the index does); hybrid and semantic modes
    /// order their candidates newest first. Those candidates are the best ones of a pool that does not depend on
    /// the page (as it does by relevance), so that every page is a slice of the same list.
    public func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome {
        let reach = try SearchError.reachable(offset: offset, limit: limit)
        let text = Self.semanticText(query)
        guard text.count <= SearchLimits.maxQueryLength else {
            throw SearchError.queryTooLong(length: text.count, limit: SearchLimits.maxQueryLength)
        }
        guard mode != .keyword, let engine, !text.isEmpty else {
            // Keyword mode, no model, or nothing but filters to search for.
            let keywordOnly = KeywordOnlySearcher(index: keyword, papers: papers, offReason: offReason)
            return try await keywordOnly.search(
                query, mode: engine == nil ? mode : .keyword, offset: offset, limit: limit)
        }
        let pool = candidatePool(reach: query.sort == .newest ? limit : reach)
        async let keywordRanked = keywordCandidates(query, mode: mode, limit: pool)
        async let semanticRanked = semanticKeys(query, text: text, engine: engine, limit: pool)
        let (keywordRanking, semantic) = try await (keywordRanked, semanticRanked)
        var fused: [ScoredKey] =
            mode == .hybrid
            ? RankFusion.reciprocal(
                [keywordRanking.ranked.map(\.key), semantic.hits.map(\.key)], weights: [keywordWeight, 1]
            ).map { ScoredKey(key: $0.key, score: $0.score) }
            : semantic.hits.map { ScoredKey(key: $0.key, score: $0.similarity) }
        let total =
            mode == .hybrid
            ? Set(keywordRanking.ranked.map(\.key)).union(semantic.hits.map(\.key)).count : semantic.hits.count
        if query.sort == .newest { fused = try await newestFirst(fused) }
        let pageKeys = Array(fused.dropFirst(offset).prefix(limit))
        let similarities = Dictionary(semantic.hits.map { ($0.key, $0.similarity) }, uniquingKeysWith: { a, _ in a })
        let vector = semantic.vector
        let items = try await RankedHit.hits(pageKeys, query: query.anyTerm, index: keyword, papers: papers) { key in
            similarities[key] ?? engine.index.vector(id: key).map { Double(dotFloat($0, vector)) }
        }
        // A keyword-only total can be larger than the fused candidate pool; report what can be paged through.
        return SearchOutcome(
            page: ResultPage(
                items: items, total: max(total, min(keywordRanking.total, pool)), offset: offset, limit: limit),
            mode: mode, totalIsEstimated: mode == .hybrid && keywordRanking.totalIsEstimated)
    }

    /// The keyword ranking fused in hybrid mode: the best papers that match any of the words (by relevance whatever
    /// the query's sort: the candidates are ordered afterwards).
    func keywordCandidates(_ query: SearchQuery, mode: SearchMode, limit: Int) async throws -> KeywordRanking {
        guard mode == .hybrid else { return KeywordRanking(ranked: [], total: 0) }
        var best = query.anyTerm
        best.sort = .relevance
        return try await keyword.rank(best, offset: 0, limit: limit)
    }

    /// Candidates newest featured first, then arXiv id descending (the order of a keyword ranking sorted `.newest`);
    /// keys of no stored paper (hidden since they were ranked) go last, as they came. Reads at most the candidates'
    /// papers, which the pool bounds.
    func newestFirst(_ ranked: [ScoredKey]) async throws -> [ScoredKey] {
        let found = try await papers.papers(keys: ranked.map(\.key))
        let dated = ranked.compactMap { scored in
            found[scored.key].map { (scored: scored, featuredAt: $0.paper.featuredAt, id: $0.paper.id.rawValue) }
        }
        let sorted = dated.sorted { a, b in
            a.featuredAt != b.featuredAt ? a.featuredAt > b.featuredAt : a.id > b.id
        }.map(\.scored)
        return sorted + ranked.filter { found[$0.key] == nil }
    }

    /// Nearest papers to the query that pass its filters.
    func semanticKeys(_ query: SearchQuery, text: String, engine: SemanticEngine, limit: Int) async throws
        -> (hits: [(key: PaperKey, similarity: Double)], vector: [Float])
    {
        let vector = try await engine.vector(for: text)
        let allowed = try await keyword.keys(passingFiltersOf: query)
        let found =
            if let allowed {
                engine.index.search(vector, k: limit) { allowed.contains($0) }
            } else {
                engine.index.search(vector, k: limit)
            }
        return (found.map { (key: $0.id, similarity: Double($0.score)) }, vector)
    }

    /// Papers nearest to paper `id`. Throws ``SearchError`` when `limit` is negative or beyond
    /// ``SearchLimits/maxReachableResults``. A stored vector that does not fit the index (a damaged row) is
    /// passed over for the index's own copy.
    public func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] {
        let limit = try SearchError.reachable(offset: 0, limit: limit)
        guard let engine, limit > 0, let key = try await papers.key(of: id) else { return [] }
        let stored = try await embeddings.embedding(model: engine.modelID, key: key).flatMap {
            engine.index.accepts($0) ? $0 : nil
        }
        guard let vector = stored ?? engine.index.vector(id: key) else { return [] }
        let found = engine.index.search(vector, k: limit + 1).filter { $0.id != key }.prefix(limit)
        let byKey = try await papers.papers(keys: found.map(\.id))
        return found.compactMap { hit in byKey[hit.id].map { (paper: $0, similarity: Double(hit.score)) } }
    }
}

/// A vector index as the recommender reads it.
public struct IndexTasteVectors: TasteVectors {
    public let index: any VectorIndex

    public init(index: any VectorIndex) { self.index = index }

    public func vector(of key: PaperKey) -> [Float]? { index.vector(id: key) }

    public func dots(_ direction: [Float], keys: [PaperKey]) -> [Float] { index.dots(direction, ids: keys) }
}
