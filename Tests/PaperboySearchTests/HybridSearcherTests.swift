import Foundation
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboySearch

/// A model with fixed vectors by text (dimension 4), recording the query texts it is asked to embed. It throws
/// `failure` for queries when given one, and ``UnknownText`` for a text it has no vector for.
final class FakeEmbedder: TextEmbedder {
    struct UnknownText: Error, Equatable {
        let text: String
    }

    let info = EmbeddingModelInfo(name: "fake-model", sha256: "0123456789abcdef0123456789abcdef", dimension: 4)
    let vectors: [String: [Float]]
    let failure: SearchError?
    private let asked = Mutex<[String]>([])

    init(vectors: [String: [Float]], failure: SearchError? = nil) {
        self.vectors = vectors
        self.failure = failure
    }

    /// The query texts embedded so far, in order.
    var queries: [String] { asked.withLock { $0 } }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        try texts.map { text in
            guard let vector = vectors[text] else { throw UnknownText(text: text) }
            return vector
        }
    }

    func embedQuery(_ text: String) async throws -> [Float] {
        asked.withLock { $0.append(text) }
        if let failure { throw failure }
        guard let vector = vectors[text] else { throw UnknownText(text: text) }
        return vector
    }
}

@Suite("Hybrid searcher over fake engines: fusion, filters, paging, failures")
struct HybridSearcherTests {
    /// Five papers with vectors, and paper 6 that only the keyword side knows (no vector).
    static let titles: [PaperKey: String] = [
        1: "Message passing on molecular graphs",
        2: "Robot control by reinforcement learning",
        3: "Sparse attention for long documents",
        4: "Graph transformers at scale",
        5: "Contrastive pretraining of graph encoders",
        6: "A keyword-only paper without a vector",
    ]

    /// Unit vectors chosen so that every similarity below is distinct.
    static let paperVectors: [PaperKey: [Float]] = [
        1: [1, 0, 0, 0],
        2: [0.8, 0.6, 0, 0],
        3: [0.6, 0, 0.8, 0],
        4: [0, 0.6, 0, 0.8],
        5: [-0.6, 0, 0, 0.8],
    ]

    /// The query "graph neural networks": similarities 4: 0.88, 5: 0.52, 3: 0.44, 2: 0.40, 1: 0.20.
    static let queryText = "graph neural networks"
    static let queryVector: [Float] = [0.2, 0.4, 0.4, 0.8]
    static let semanticOrder: [PaperKey] = [4, 5, 3, 2, 1]
    static let similarities: [PaperKey: Double] = [4: 0.88, 5: 0.52, 3: 0.44, 2: 0.40, 1: 0.20]

    static func store(keywordRanking: [PaperKey] = [6, 1], allowed: Set<PaperKey>? = nil, failsKeyword: Bool = false)
        -> FakeStore
    {
        FakeStore(
            papers: Dictionary(uniqueKeysWithValues: titles.map { ($0.key, FakeStore.paper($0.key, title: $0.value)) }),
            vectors: paperVectors, keywordRanking: keywordRanking, allowed: allowed, failsKeyword: failsKeyword)
    }

    static func embedder(failure: SearchError? = nil) -> FakeEmbedder {
        // The words of the filtered query in `filtersReachBothHalves` mean the same to this model.
        FakeEmbedder(vectors: [queryText: queryVector, "the " + queryText: queryVector], failure: failure)
    }

    /// A semantic engine over the five papers' vectors.
    static func engine(_ embedder: FakeEmbedder = embedder()) -> SemanticEngine {
        let index = AdaptiveVectorIndex(dimension: 4)
        let rejected = index.add(paperVectors.sorted { $0.key < $1.key }.map { (id: $0.key, vector: $0.value) })
        #expect(rejected.isEmpty)
        return SemanticEngine(embedder: embedder, index: index)
    }

    static func keys(_ outcome: SearchOutcome) -> [PaperKey] {
        outcome.page.items.compactMap { hit in titles.first { $0.value == hit.paper.paper.title }?.key }
    }

    static func id(_ key: PaperKey) -> PaperID { FakeStore.paper(key, title: "").paper.id }

    @Test("hybrid: a paper both halves rank comes first; keyword ranks weigh half as much as semantic ones")
    func hybridFusionOrder() async throws {
        let store = Self.store(keywordRanking: [6, 1])
        var searcher = HybridSearcher(store: store, engine: Self.engine())
        let query = SearchQuery(parsing: Self.queryText)
        let outcome = try await searcher.search(query, mode: .hybrid, offset: 0, limit: 10)
        // Paper 1 is last semantically and second by keyword, yet beats paper 4 (first semantically) and paper 6
        // (first by keyword, weight 0.5: below every paper the model ranks).
        #expect(Self.keys(outcome) == [1, 4, 5, 3, 2, 6])
        #expect(outcome.mode == .hybrid && outcome.note == nil)
        #expect(outcome.page.total == 6 && outcome.page.offset == 0 && outcome.page.limit == 10)
        let scores = outcome.page.items.map(\.score)
        #expect(abs(scores[0] - (1.0 / 65 + 0.5 / 62)) < 1e-12)
        #expect(abs(scores[1] - 1.0 / 61) < 1e-12)
        #expect(abs(scores[5] - 0.5 / 61) < 1e-12)
        // Similarity is shown for papers with a vector, and only for them.
        let shown = outcome.page.items.map { $0.similarity.map { ($0 * 100).rounded() / 100 } }
        #expect(shown == [0.20, 0.88, 0.52, 0.44, 0.40, nil])
        #expect(await store.calls.ranks == [[0, 100]])

        // With equal weights the keyword side's first paper ties the model's first, and came first in fusion.
        searcher.keywordWeight = 1
        let equal = try await searcher.search(query, mode: .hybrid, offset: 0, limit: 10)
        #expect(Self.keys(equal) == [1, 6, 4, 5, 3, 2])
    }

    @Test("semantic mode: papers by similarity to the query, keyword ranking never asked")
    func semanticOrder() async throws {
        let store = Self.store()
        let embedder = Self.embedder()
        let searcher = HybridSearcher(store: store, engine: Self.engine(embedder))
        let outcome = try await searcher.search(
            SearchQuery(parsing: Self.queryText), mode: .semantic, offset: 0, limit: 10)
        #expect(Self.keys(outcome) == Self.semanticOrder)
        #expect(outcome.mode == .semantic && outcome.note == nil && outcome.page.total == 5)
        for (key, hit) in zip(Self.keys(outcome), outcome.page.items) {
            let expected = Self.similarities[key] ?? .nan
            #expect(abs(hit.score - expected) < 1e-6)
            #expect(abs((hit.similarity ?? .nan) - expected) < 1e-6)
        }
        #expect(await store.calls.ranks.isEmpty)
        // The same words again come from the query cache, not the model.
        _ = try await searcher.search(SearchQuery(parsing: Self.queryText), mode: .hybrid, offset: 0, limit: 10)
        #expect(embedder.queries == [Self.queryText])
    }

    @Test("filters: semantic hits keep only papers passing them; the keyword side gets them with any-term matching")
    func filtersReachBothHalves() async throws {
        let store = Self.store(keywordRanking: [6, 1], allowed: [1, 2, 5, 6])
        let embedder = Self.embedder()
        let searcher = HybridSearcher(store: store, engine: Self.engine(embedder))
        let query = SearchQuery(parsing: "the graph neural networks -survey cat:cs.LG after:2024-01-01")
        #expect(query.excluded.map(\.words) == [["survey"]] && query.categories == ["cs.LG"])

        let semantic = try await searcher.search(query, mode: .semantic, offset: 0, limit: 10)
        #expect(Self.keys(semantic) == [5, 2, 1])
        #expect(semantic.page.total == 3)

        let hybrid = try await searcher.search(query, mode: .hybrid, offset: 0, limit: 10)
        // The fake keyword side ignores filters (the real index applies them); the semantic side is filtered here.
        #expect(Self.keys(hybrid) == [1, 5, 2, 6])
        #expect(hybrid.page.total == 4)

        // The model sees the words only: no filters, no excluded word; "the" is kept for the model.
        #expect(embedder.queries == ["the graph neural networks"])
        // The keyword side ranks the any-term query, stop words dropped, filters and -survey kept.
        let ranked = await store.rankedQueries
        #expect(ranked == [query.anyTerm])
        #expect(ranked.first?.matchesAnyTerm == true)
        #expect(ranked.first?.terms.map(\.words) == [["graph"], ["neural"], ["networks"]])
        #expect(ranked.first?.excluded.map(\.words) == [["survey"]])
        #expect(ranked.first?.categories == ["cs.LG"] && ranked.first?.after == query.after)
        #expect(await store.filteredQueries == [query, query])
        #expect(await store.highlightedQueries == [query.anyTerm, query.anyTerm])
    }

    @Test("paging: offset and limit cut the fused list; the total counts every candidate")
    func paging() async throws {
        let store = Self.store(keywordRanking: [6, 1])
        let searcher = HybridSearcher(store: store, engine: Self.engine())
        let query = SearchQuery(parsing: Self.queryText)
        let second = try await searcher.search(query, mode: .hybrid, offset: 2, limit: 2)
        #expect(Self.keys(second) == [5, 3])
        #expect(second.page.total == 6 && second.page.offset == 2 && second.page.limit == 2)
        let last = try await searcher.search(query, mode: .hybrid, offset: 4, limit: 5)
        #expect(Self.keys(last) == [2, 6] && last.page.total == 6)
        let past = try await searcher.search(query, mode: .hybrid, offset: 6, limit: 5)
        #expect(past.page.items.isEmpty && past.page.total == 6)
        let semantic = try await searcher.search(query, mode: .semantic, offset: 3, limit: 5)
        #expect(Self.keys(semantic) == [2, 1] && semantic.page.total == 5)
        // A page reaching past 100 asks each half for as many candidates as it reaches.
        _ = try await searcher.search(query, mode: .hybrid, offset: 150, limit: 50)
        #expect(await store.calls.ranks == [[0, 100], [0, 100], [0, 100], [0, 200]])
    }

    @Test("newest first: hybrid and semantic order their candidates by date, the same pool on every page")
    func newestFirst() async throws {
        // Featured days: 5 newest, then 3 and 2 on the same day (arXiv id descending: 3 first), 1, 4, 6.
        let days: [PaperKey: Double] = [1: 10, 2: 20, 3: 20, 4: 5, 5: 30, 6: 1]
        var papers: [PaperKey: StoredPaper] = [:]
        for (key, title) in Self.titles {
            var paper = FakeStore.paper(key, title: title)
            paper.paper.featuredAt = Date(timeIntervalSince1970: 1_735_689_600 + (days[key] ?? 0) * 86_400)
            papers[key] = paper
        }
        let store = FakeStore(papers: papers, vectors: Self.paperVectors, keywordRanking: [6, 1])
        let searcher = HybridSearcher(store: store, engine: Self.engine())
        var query = SearchQuery(parsing: Self.queryText)
        query.sort = .newest
        let hybrid = try await searcher.search(query, mode: .hybrid, offset: 0, limit: 10)
        #expect(Self.keys(hybrid) == [5, 3, 2, 1, 4, 6])
        #expect(hybrid.page.total == 6 && !hybrid.totalIsEstimated)
        // Each result keeps its fused score.
        #expect(abs(hybrid.page.items[3].score - (1.0 / 65 + 0.5 / 62)) < 1e-12)
        let second = try await searcher.search(query, mode: .hybrid, offset: 2, limit: 2)
        #expect(Self.keys(second) == [2, 1] && second.page.total == 6)
        let semantic = try await searcher.search(query, mode: .semantic, offset: 0, limit: 10)
        #expect(Self.keys(semantic) == [5, 3, 2, 1, 4])
        // The keyword half gives its best candidates (by relevance); the pool does not grow with the offset.
        _ = try await searcher.search(query, mode: .hybrid, offset: 150, limit: 50)
        #expect(await store.rankedQueries.map(\.sort) == [.relevance, .relevance, .relevance])
        #expect(await store.calls.ranks == [[0, 100], [0, 100], [0, 100]])
        // Keyword mode leaves the order to the index.
        _ = try await searcher.search(query, mode: .keyword, offset: 0, limit: 10)
        #expect(await store.rankedQueries.last?.sort == .newest)
    }

    @Test("an estimated keyword total makes the hybrid and keyword totals estimated; semantic totals are exact")
    func estimatedTotals() async throws {
        let store = FakeStore(
            papers: Dictionary(
                uniqueKeysWithValues: Self.titles.map { ($0.key, FakeStore.paper($0.key, title: $0.value)) }),
            vectors: Self.paperVectors, keywordRanking: [6, 1], estimatesTotal: true)
        let searcher = HybridSearcher(store: store, engine: Self.engine())
        let query = SearchQuery(parsing: Self.queryText)
        #expect(try await searcher.search(query, mode: .hybrid, offset: 0, limit: 10).totalIsEstimated)
        #expect(try await searcher.search(query, mode: .keyword, offset: 0, limit: 10).totalIsEstimated)
        #expect(try await searcher.search(query, mode: .semantic, offset: 0, limit: 10).totalIsEstimated == false)
        let exact = HybridSearcher(store: Self.store(), engine: Self.engine())
        #expect(try await exact.search(query, mode: .hybrid, offset: 0, limit: 10).totalIsEstimated == false)
    }

    @Test("a failing keyword index fails the search in every mode; nothing is half-served")
    func failingKeywordIndex() async throws {
        let store = Self.store(failsKeyword: true)
        let searcher = HybridSearcher(store: store, engine: Self.engine())
        let query = SearchQuery(parsing: Self.queryText)
        for mode in SearchMode.allCases {
            await #expect(throws: FakeStore.Failure()) {
                _ = try await searcher.search(query, mode: mode, offset: 0, limit: 10)
            }
        }
    }

    @Test("a busy model refuses semantic and hybrid search with the overload error; keyword mode still answers")
    func overloadedEmbedder() async throws {
        let store = Self.store(keywordRanking: [6, 1])
        let busy = SearchError.overloaded(waiting: 8, limit: 8)
        let searcher = HybridSearcher(store: store, engine: Self.engine(Self.embedder(failure: busy)))
        let query = SearchQuery(parsing: Self.queryText)
        for mode in [SearchMode.hybrid, .semantic] {
            await #expect(throws: busy) {
                _ = try await searcher.search(query, mode: mode, offset: 0, limit: 10)
            }
        }
        let keyword = try await searcher.search(query, mode: .keyword, offset: 0, limit: 10)
        #expect(Self.keys(keyword) == [6, 1] && keyword.mode == .keyword && keyword.note == nil)
        #expect(
            busy.refusal == .unavailable(retryAfterSeconds: 1, message: "Too busy to answer now; try again in 1 s."))
    }

    @Test("keyword mode, no model, or only filters: the keyword-only searcher answers, with a note when it must")
    func keywordOnlyFallback() async throws {
        let store = Self.store(keywordRanking: [3, 6, 1])
        let embedder = Self.embedder()
        let query = SearchQuery(parsing: Self.queryText)
        let withModel = HybridSearcher(store: store, engine: Self.engine(embedder))
        let keyword = try await withModel.search(query, mode: .keyword, offset: 1, limit: 5)
        #expect(Self.keys(keyword) == [6, 1])
        #expect(keyword.mode == .keyword && keyword.note == nil && keyword.page.total == 3)

        let filtersOnly = try await withModel.search(
            SearchQuery(parsing: "cat:cs.LG"), mode: .hybrid, offset: 0, limit: 5)
        #expect(Self.keys(filtersOnly) == [3, 6, 1] && filtersOnly.mode == .keyword && filtersOnly.note == nil)
        #expect(embedder.queries.isEmpty)

        let noModel = HybridSearcher(store: store, engine: nil, offReason: "the model files are missing")
        for mode in [SearchMode.hybrid, .semantic] {
            let outcome = try await noModel.search(query, mode: mode, offset: 0, limit: 5)
            #expect(Self.keys(outcome) == [3, 6, 1] && outcome.mode == .keyword)
            #expect(outcome.note == "Semantic search is off (the model files are missing); these are keyword results.")
        }
        #expect(await noModel.semanticStatus() == .off(reason: "the model files are missing"))
        #expect(await withModel.semanticStatus() == .on(model: "fake-model@0123456789abcdef", vectors: 5))
        // The keyword-only searcher ranks the query as typed (all terms), with the page asked for.
        #expect(await store.rankedQueries.allSatisfy { !$0.matchesAnyTerm })
        #expect(await store.calls.ranks == [[1, 5], [0, 5], [0, 5], [0, 5]])
    }

    @Test("similar papers: nearest by the stored vector, the paper itself left out, bounded by the limit")
    func similarPapers() async throws {
        let store = Self.store()
        let searcher = HybridSearcher(store: store, engine: Self.engine())
        let similar = try await searcher.similar(to: Self.id(1), limit: 3)
        #expect(similar.map(\.paper.paper.id) == [Self.id(2), Self.id(3), Self.id(4)])
        let shown = similar.map { ($0.similarity * 100).rounded() / 100 }
        #expect(shown == [0.8, 0.6, 0])
        #expect(try await searcher.similar(to: Self.id(1), limit: 10).map(\.paper.paper.id).count == 4)
        // A paper without a vector, or unknown, has no similar papers; neither has any paper without a model.
        #expect(try await searcher.similar(to: Self.id(6), limit: 3).isEmpty)
        #expect(try await searcher.similar(to: Self.id(99), limit: 3).isEmpty)
        let noModel = HybridSearcher(store: store, engine: nil)
        #expect(try await noModel.similar(to: Self.id(1), limit: 3).isEmpty)
    }
}
