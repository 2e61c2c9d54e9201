import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

@Suite("Hybrid searcher: bounded cost, overload, semantic ranking")
struct SearchTests {
    static let titles: [PaperKey: String] = [
        1: "Graph neural networks for molecule property prediction",
        2: "A survey of reinforcement learning for robot control",
        3: "Sparse attention for long document summarisation",
    ]

    static func store() -> FakeStore {
        FakeStore(
            papers: Dictionary(uniqueKeysWithValues: titles.map { ($0.key, FakeStore.paper($0.key, title: $0.value)) }),
            keywordRanking: [3, 2, 1])
    }

    /// An engine over the three papers' title vectors, from `embedder` (the shared model unless given).
    static func engine(_ embedder: SentenceEmbedder? = nil) async throws -> (SemanticEngine, [PaperKey: [Float]]) {
        let embedder = try embedder ?? ModelTestSupport.embedder()
        let keys = titles.keys.sorted()
        let vectors = try await embedder.embed(keys.map { titles[$0] ?? "" })
        let index = AdaptiveVectorIndex(dimension: embedder.info.dimension)
        #expect(index.add(Array(zip(keys, vectors)).map { (id: $0.0, vector: $0.1) }).isEmpty)
        return (SemanticEngine(embedder: embedder, index: index), Dictionary(uniqueKeysWithValues: zip(keys, vectors)))
    }

    static let unreachablePages: [(offset: Int, limit: Int)] = [
        (9_995, 10), (10_000, 1), (0, 10_001), (Int.max, 1), (1, Int.max), (Int.max, Int.max), (100_000 * 50, 50),
    ]

    @Test("pages past the first 10,000 results are refused before the store or the model is asked anything")
    func unreachablePagesAreRefused() async throws {
        let store = Self.store()
        let keywordOnly = HybridSearcher(store: store, engine: nil, offReason: "no model is loaded")
        let (engine, _) = try await Self.engine()
        let hybrid = HybridSearcher(store: store, engine: engine, offReason: "")
        let query = SearchQuery(parsing: "graph networks")
        for searcher in [keywordOnly, hybrid] {
            for mode in SearchMode.allCases {
                for (offset, limit) in Self.unreachablePages {
                    await #expect(
                        throws: SearchError.beyondReachableResults(offset: offset, limit: limit, reachable: 10_000)
                    ) {
                        _ = try await searcher.search(query, mode: mode, offset: offset, limit: limit)
                    }
                }
                for (offset, limit) in [(-1, 10), (0, -1), (Int.min, Int.min)] {
                    await #expect(throws: SearchError.invalidPage(offset: offset, limit: limit)) {
                        _ = try await searcher.search(query, mode: mode, offset: offset, limit: limit)
                    }
                }
            }
        }
        #expect(await store.calls == FakeStore.Calls())
        #expect(
            SearchError.beyondReachableResults(offset: 9_995, limit: 10, reachable: 10_000).description
                == "results 9995 to 9995 + 10 are beyond the first 10000, the most a search can page through")
    }

    @Test("the deepest reachable page asks each retriever for at most 10,000 candidates")
    func deepestPageIsBounded() async throws {
        let store = Self.store()
        let (engine, _) = try await Self.engine()
        let searcher = HybridSearcher(store: store, engine: engine, offReason: "")
        let query = SearchQuery(parsing: "graph networks")
        let deepest = try await searcher.search(query, mode: .hybrid, offset: 9_990, limit: 10)
        #expect(deepest.page.items.isEmpty && deepest.page.offset == 9_990)
        _ = try await searcher.search(query, mode: .hybrid, offset: 0, limit: 10)
        _ = try await searcher.search(query, mode: .semantic, offset: 9_000, limit: 1_000)
        _ = try await searcher.search(query, mode: .keyword, offset: 9_990, limit: 10)
        #expect(
            await store.calls
                == FakeStore.Calls(ranks: [[0, 10_000], [0, 100], [9_990, 10]], vectorPages: []))
        #expect(searcher.candidatePool(reach: 10) == 100)
        #expect(searcher.candidatePool(reach: 10_000) == 10_000)
        var greedy = searcher
        greedy.candidates = 5_000_000
        #expect(greedy.candidatePool(reach: 10) == 10_000)
    }

    @Test("a query longer than 1,000 characters is refused; similar papers are bounded the same way")
    func longQueriesAndSimilarLimits() async throws {
        let store = Self.store()
        let searcher = HybridSearcher(store: store, engine: nil, offReason: "no model is loaded")
        // Parsing keeps queries short; a query built in code may not be.
        var query = SearchQuery()
        query.terms = (0..<200).map { SearchQuery.Term(words: ["word\($0)"]) }
        let length = 10 * 5 + 90 * 6 + 100 * 7 + 199
        #expect(HybridSearcher.semanticText(query).count == length)
        for mode in SearchMode.allCases {
            await #expect(throws: SearchError.queryTooLong(length: length, limit: 1_000)) {
                _ = try await searcher.search(query, mode: mode, offset: 0, limit: 10)
            }
        }
        let (engine, _) = try await Self.engine()
        let semantic = HybridSearcher(store: store, engine: engine, offReason: "")
        let id = FakeStore.paper(1, title: "").paper.id
        await #expect(throws: SearchError.beyondReachableResults(offset: 0, limit: .max, reachable: 10_000)) {
            _ = try await semantic.similar(to: id, limit: .max)
        }
        await #expect(throws: SearchError.invalidPage(offset: 0, limit: -1)) {
            _ = try await semantic.similar(to: id, limit: -1)
        }
        #expect(try await semantic.similar(to: id, limit: 0).isEmpty)
        #expect(try await semantic.similar(to: id, limit: 10_000).count == 2)
    }

    @Test("semantic and hybrid search rank by meaning; an overloaded model refuses semantic search only")
    func semanticRankingAndOverload() async throws {
        let store = Self.store()
        let (engine, _) = try await Self.engine()
        let searcher = HybridSearcher(store: store, engine: engine, offReason: "")
        let query = SearchQuery(parsing: "message passing on molecular graphs")
        let semantic = try await searcher.search(query, mode: .semantic, offset: 0, limit: 3)
        #expect(semantic.mode == .semantic)
        #expect(semantic.page.items.first?.paper.paper.title == Self.titles[1])
        #expect(semantic.page.items.allSatisfy { $0.similarity != nil })
        let hybrid = try await searcher.search(query, mode: .hybrid, offset: 0, limit: 3)
        #expect(Set(hybrid.page.items.map(\.paper.paper.title)) == Set(Self.titles.values))

        _ = try ModelTestSupport.embedder()
        let refusing = try SentenceEmbedder.load(
            directory: ModelTestSupport.modelDirectory, logger: LogCapture().logger, workers: 1, maxWaitingQueries: 0)
        let busy = HybridSearcher(
            store: store, engine: SemanticEngine(embedder: refusing, index: engine.index))
        for mode in [SearchMode.semantic, .hybrid] {
            await #expect(throws: SearchError.overloaded(waiting: 0, limit: 0)) {
                _ = try await busy.search(query, mode: mode, offset: 0, limit: 3)
            }
        }
        let keyword = try await busy.search(query, mode: .keyword, offset: 0, limit: 3)
        #expect(keyword.mode == .keyword && keyword.page.items.count == 3)
    }

    @Test("similar papers pass over a stored vector that does not fit the index for the index's own copy")
    func similarWithADamagedStoredVector() async throws {
        let (engine, vectors) = try await Self.engine()
        let store = FakeStore(
            papers: [1: FakeStore.paper(1, title: Self.titles[1] ?? ""), 2: FakeStore.paper(2, title: "")],
            vectors: [1: [1, 2, .nan]])
        let searcher = HybridSearcher(store: store, engine: engine, offReason: "")
        let similar = try await searcher.similar(to: FakeStore.paper(1, title: "").paper.id, limit: 5)
        #expect(similar.map(\.paper.paper.id) == [FakeStore.paper(2, title: "").paper.id])
        let expected = zip(vectors[1] ?? [], vectors[2] ?? []).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        #expect(abs((similar.first?.similarity ?? 0) - Double(expected)) < 1e-4)
    }
}
