import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboyPostgres
import Testing

/// Vector rows as SQLite's VectorRowTests check them: refused vectors, damaged rows embedded again.
@Suite("PostgreSQL vector rows", .enabled(if: TestDatabase.available))
struct PostgresVectorRowTests {
    static func withVectors(_ body: (PostgresStore, [PaperKey]) async throws -> Void) async throws {
        try await TestDatabase.withStore { store in
            try await store.migrate()
            _ = try await store.upsert(Fixtures.corpus)
            let jobs = try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 100).jobs
            try await store.saveEmbeddings(
                model: "m", dimension: 2,
                jobs.map { StoredEmbedding(key: $0.key, textHash: $0.textHash, vector: [1, 0]) })
            try await body(store, jobs.map(\.key).sorted())
        }
    }

    @Test func vectorsOfAnotherDimensionOrNotFiniteAreRefusedAndTheLastOfAKeyWins() async throws {
        try await Self.withVectors { store, keys in
            let key = keys[0]
            await #expect(throws: VectorRowError.wrongDimension(key: key, found: 3, expected: 2)) {
                try await store.saveEmbeddings(
                    model: "m", dimension: 2, [StoredEmbedding(key: key, textHash: 1, vector: [1, 0, 0])])
            }
            await #expect(throws: VectorRowError.notFinite(key: key)) {
                try await store.saveEmbeddings(
                    model: "m", dimension: 2, [StoredEmbedding(key: key, textHash: 1, vector: [.nan, 0])])
            }
            #expect(try await store.embedding(model: "m", key: key) == [1, 0])
            // Duplicates: the last wins; a full-range hash round-trips.
            try await store.saveEmbeddings(
                model: "m", dimension: 2,
                [
                    StoredEmbedding(key: key, textHash: UInt64.max, vector: [2, 3]),
                    StoredEmbedding(key: key, textHash: UInt64.max - 1, vector: [4, 5]),
                ])
            let all = try await store.embeddings(model: "m", after: 0, limit: 100)
            #expect(all.first { $0.key == key }?.textHash == UInt64.max - 1)
            #expect(try await store.embedding(model: "m", key: key) == [4, 5])
            #expect(try await store.embeddingCount(model: "m") == keys.count)
        }
    }

    @Test func damagedRowsAreLeftOutAndEmbeddedAgain() async throws {
        try await Self.withVectors { store, keys in
            let db = store.settings.database
            try await TestDatabase.administer(
                "UPDATE paper_vectors SET vector = '\\x0000000000' WHERE paper_key = \(keys[0])", on: db)
            try await TestDatabase.administer(
                "UPDATE paper_vectors SET vector = '\\x0000c07f00000000' WHERE paper_key = \(keys[1])", on: db)
            try await TestDatabase.administer(
                "UPDATE paper_vectors SET dimension = 0, vector = '' WHERE paper_key = \(keys[2])", on: db)
            try await TestDatabase.administer(
                "UPDATE paper_vectors SET text_hash = 12 WHERE paper_key = \(keys[3])", on: db)
            #expect(try await store.embedding(model: "m", key: keys[0]) == nil)
            #expect(try await store.embedding(model: "m", key: keys[1]) == nil)
            #expect(try await store.embedding(model: "m", key: keys[4]) == [1, 0])
            let redo = try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 100).jobs.map(\.key)
            #expect(redo == [keys[0], keys[3]])
            #expect(try await store.embeddings(model: "m", after: 0, limit: 100).map(\.key) == [keys[3], keys[4]])
            #expect(try await store.embeddingCount(model: "m") == 2)
            let again = try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 100).jobs.map(\.key)
            #expect(again == [keys[0], keys[1], keys[2], keys[3]])
        }
    }

    @Test func aPageOfOnlyDamagedRowsReadsOn() async throws {
        try await Self.withVectors { store, keys in
            try await TestDatabase.administer(
                "UPDATE paper_vectors SET vector = '\\x00' WHERE paper_key IN (\(keys[0]), \(keys[1]))",
                on: store.settings.database)
            #expect(try await store.embeddings(model: "m", after: 0, limit: 2).map(\.key) == [keys[2], keys[3]])
            #expect(try await store.embeddings(model: "m", after: 0, limit: 0).isEmpty)
            #expect(try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 0).jobs.isEmpty)
        }
    }
}
