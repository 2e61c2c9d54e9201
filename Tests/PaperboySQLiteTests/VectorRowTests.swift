import Foundation
import GRDB
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboySQLite

@Suite("SQLite vector rows: damaged rows are redone, never trusted")
struct VectorRowTests {
    /// A store of the conformance corpus with a 2-dimensional vector for every paper, and the papers' keys.
    static func storeWithVectors() async throws -> (SQLiteStore, [PaperKey]) {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert(Fixtures.corpus)
        let jobs = try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 100).jobs
        try await store.saveEmbeddings(
            model: "m", dimension: 2, jobs.map { StoredEmbedding(key: $0.key, textHash: $0.textHash, vector: [1, 0]) })
        return (store, jobs.map(\.key).sorted())
    }

    @Test func vectorsOfTheWrongDimensionOrNotFiniteAreRefused() async throws {
        let (store, keys) = try await Self.storeWithVectors()
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
    }

    @Test func damagedRowsAreDeletedWhenReadAndEmbeddedAgain() async throws {
        let (store, keys) = try await Self.storeWithVectors()
        let nan = withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) } + Data(count: 4)
        try await store.pool.write { db in
            try db.execute(
                sql: "UPDATE paper_vectors SET vector = ? WHERE paper_rowid = ?", arguments: [Data(count: 5), keys[0]])
            try db.execute(sql: "UPDATE paper_vectors SET vector = ? WHERE paper_rowid = ?", arguments: [nan, keys[1]])
            try db.execute(sql: "UPDATE paper_vectors SET vector = 'text' WHERE paper_rowid = ?", arguments: [keys[2]])
            try db.execute(sql: "UPDATE paper_vectors SET text_hash = 'x' WHERE paper_rowid = ?", arguments: [keys[3]])
        }
        // The single-vector read passes over damaged rows.
        #expect(try await store.embedding(model: "m", key: keys[0]) == nil)
        #expect(try await store.embedding(model: "m", key: keys[1]) == nil)
        #expect(try await store.embedding(model: "m", key: keys[4]) == [1, 0])
        // Rows whose blob is not `dimension` floats are redone by the pipeline straight away.
        let redo = try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 100).jobs.map(\.key)
        #expect(redo == [keys[0], keys[2], keys[3]])
        // Reading every vector (an index rebuild) deletes the damaged rows, so all four are redone.
        #expect(try await store.embeddings(model: "m", after: 0, limit: 100).map(\.key) == [keys[4]])
        #expect(try await store.embeddingCount(model: "m") == 1)
        let again = try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 100).jobs.map(\.key)
        #expect(again == Array(keys[0..<4]))
    }

    @Test func aPageOfOnlyDamagedRowsDoesNotEndTheReading() async throws {
        let (store, keys) = try await Self.storeWithVectors()
        try await store.pool.write { db in
            try db.execute(
                sql: "UPDATE paper_vectors SET vector = x'00' WHERE paper_rowid IN (?, ?)",
                arguments: [keys[0], keys[1]])
        }
        #expect(try await store.embeddings(model: "m", after: 0, limit: 2).map(\.key) == [keys[2], keys[3]])
        #expect(try await store.embeddings(model: "m", after: 0, limit: 0).isEmpty)
        #expect(try await store.papersNeedingEmbedding(model: "m", after: 0, scan: 0).jobs.isEmpty)
    }
}
