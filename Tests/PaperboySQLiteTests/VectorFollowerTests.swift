import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import Synchronization
import Testing

@testable import PaperboySearch

/// A model of dimension 4 whose vectors come from a hash of the text, counting the texts it embeds.
final class HashEmbedder: TextEmbedder {
    let info = EmbeddingModelInfo(name: "hash-model", sha256: "00112233445566778899aabbccddeeff", dimension: 4)
    private let embedded = Mutex(0)

    var texts: Int { embedded.withLock { $0 } }

    static func vector(_ text: String) -> [Float] {
        var fnv = FNV1a()
        fnv.combine(text.utf8)
        let hash = fnv.value
        let raw = (0..<4).map { Float(Int((hash >> (16 * UInt64($0))) & 0xFFFF) - 32_768) + 0.5 }
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return raw.map { $0 / norm }
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        embedded.withLock { $0 += texts.count }
        return texts.map(Self.vector)
    }

    func embedQuery(_ text: String) async throws -> [Float] { Self.vector(text) }
}

/// A node's vector index follows the vectors other processes store, through the change sequence; with the embedding
/// lease one node embeds and every node's index gets the vectors.
@Suite struct VectorFollowerTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static func store() async throws -> SQLiteStore {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert(Fixtures.corpus)
        return store
    }

    /// Stores vectors as the embedding pipeline does: the vectors, then the papers' key phrases (a change of each).
    static func embedElsewhere(_ store: SQLiteStore, _ vectors: [PaperKey: [Float]]) async throws {
        try await store.saveEmbeddings(
            model: "m", dimension: 4, vectors.map { StoredEmbedding(key: $0.key, textHash: 1, vector: $0.value) })
        try await store.saveSummaries(vectors.keys.map { PaperSummary(key: $0, sentence: "s", keywords: ["k"]) })
    }

    @Test func theIndexGetsTheVectorsAnotherProcessStores() async throws {
        let store = try await Self.store()
        var keys: [PaperKey] = []
        for paper in Fixtures.corpus.prefix(3) { keys.append(try #require(try await store.key(of: paper.id))) }
        let index = AdaptiveVectorIndex(dimension: 4)
        let follower = VectorIndexFollower(
            feed: store, store: store, index: index, modelID: "m", after: try await store.latestPaperChange(),
            logger: Self.quiet)
        #expect(try await follower.catchUp() == 0)
        let (a, b, c) = (HashEmbedder.vector("a"), HashEmbedder.vector("b"), HashEmbedder.vector("c"))
        try await Self.embedElsewhere(store, [keys[0]: a, keys[1]: b])
        #expect(try await follower.catchUp() == 2)
        #expect(index.vector(id: keys[0]) == a)
        #expect(index.vector(id: keys[1]) == b)
        // A change that is not a new vector adds nothing; a paper embedded again replaces its vector.
        try await store.saveSummaries([PaperSummary(key: keys[1], sentence: "t", keywords: [])])
        #expect(try await follower.catchUp() == 0)
        try await Self.embedElsewhere(store, [keys[0]: c])
        #expect(try await follower.catchUp() == 1)
        #expect(index.vector(id: keys[0]) == c)
        #expect(index.count == 2)
    }

    @Test func aFollowerStartedWithoutAPositionFollowsFromTheLatestChange() async throws {
        let store = try await Self.store()
        let key = try #require(try await store.key(of: Fixtures.corpus[0].id))
        try await Self.embedElsewhere(store, [key: HashEmbedder.vector("a")])
        let index = AdaptiveVectorIndex(dimension: 4)
        let follower = VectorIndexFollower(feed: store, store: store, index: index, modelID: "m", logger: Self.quiet)
        #expect(try await follower.catchUp() == 0, "what was stored before is the index file's or the rebuild's")
        #expect(try await follower.sequence == store.latestPaperChange())
        try await Self.embedElsewhere(store, [key: HashEmbedder.vector("b")])
        #expect(try await follower.catchUp() == 1)
    }

    @Test func quantisedVectorsCountAsTheSame() {
        let stored = HashEmbedder.vector("a")
        let largest = stored.map(abs).max() ?? 1
        let quantised = stored.map { (($0 / largest * 127).rounded() / 127) * largest }
        #expect(VectorIndexFollower.same(stored, stored))
        #expect(VectorIndexFollower.same(quantised, stored))
        #expect(!VectorIndexFollower.same(HashEmbedder.vector("b"), stored))
        #expect(!VectorIndexFollower.same([1], stored))
    }

    @Test func onlyTheLeaseHolderEmbedsAndEveryNodesIndexGetsTheVectors() async throws {
        let store = try await Self.store()
        let start = try await store.latestPaperChange()
        func node(_ holder: String) -> (EmbeddingService, HashEmbedder) {
            let embedder = HashEmbedder()
            let engine = SemanticEngine(embedder: embedder, index: AdaptiveVectorIndex(dimension: 4))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).vectors")
            let service = EmbeddingService(
                pipeline: EmbeddingPipeline(store: store, engine: engine, logger: Self.quiet), indexFile: file,
                lease: JobLeaseKeeper(store: store, job: LeasedJob.embed, holder: holder),
                follower: VectorIndexFollower(
                    feed: store, store: store, index: engine.index, modelID: engine.modelID, after: start,
                    logger: Self.quiet))
            return (service, embedder)
        }
        let (a, embedderA) = node("a")
        let (b, embedderB) = node("b")
        var (scheduleA, scheduleB) = (EmbeddingService.Schedule(held: false), EmbeddingService.Schedule(held: false))
        await a.tick(&scheduleA)
        await b.tick(&scheduleB)
        #expect(scheduleA.held && !scheduleB.held)
        #expect(embedderA.texts > 0)
        #expect(embedderB.texts == 0, "b embedded nothing")
        let stored = try await store.embeddingCount(model: a.pipeline.engine.modelID)
        #expect(stored == Fixtures.corpus.count)
        #expect(a.pipeline.engine.index.count == stored)
        #expect(b.pipeline.engine.index.count == stored, "b's index holds the vectors a computed")
        for paper in Fixtures.corpus {
            let key = try #require(try await store.key(of: paper.id))
            #expect(b.pipeline.engine.index.vector(id: key) == a.pipeline.engine.index.vector(id: key))
        }
        #expect(scheduleB.unsaved, "b saves its index file with the vectors it loaded")
    }
}
