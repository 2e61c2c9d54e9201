import Foundation
import GRDB
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboySQLite

@Suite("SQLite change sequence")
struct ChangeFeedSQLiteTests {
    @Test func aPaperWrittenThroughOneStoreIsAChangeReadThroughAnotherOnTheSameFile() async throws {
        let writer = try SQLiteStore.temporary()
        try await writer.migrate()
        let reader = try SQLiteStore(path: writer.path)
        try await reader.migrate()
        #expect(try await reader.storeIdentity() == (try await writer.storeIdentity()))
        _ = try await writer.upsert(Array(Fixtures.corpus.prefix(2)))
        let first = try await reader.paperChanges(after: 0, limit: 10)
        #expect(first.papers.map(\.id.rawValue) == ["2611.00001", "2611.00002"])
        // Each store writes in turn; numbers only grow, whichever store took the last one.
        _ = try await reader.upsert([Fixtures.corpus[2]])
        let at = Fixtures.date("2026-11-25T12:00:00Z")
        let hidden = try await writer.setPaperHidden(PaperID(storedValue: "2611.00001"), hidden: true, by: nil, at: at)
        #expect(hidden == true)
        let next = try await writer.paperChanges(after: first.last, limit: 10)
        #expect(next.papers.map(\.id.rawValue) == ["2611.00003", "2611.00001"])
        #expect(next.papers.map(\.isHidden) == [false, true])
        #expect(try await reader.latestPaperChange() == next.last)
    }

    @Test func writersOnTheSameFileNeverShareANumber() async throws {
        let one = try SQLiteStore.temporary()
        try await one.migrate()
        let two = try SQLiteStore(path: one.path)
        let batches = (0..<8).map { batch in
            (0..<25).map { n in Fixtures.paper(String(format: "2611.%05d", 1000 + batch * 25 + n), title: "P \(n)") }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, batch) in batches.enumerated() {
                let store = n.isMultiple(of: 2) ? one : two
                group.addTask { _ = try await store.upsert(batch) }
            }
            try await group.waitForAll()
        }
        let changes = try await two.paperChanges(after: 0, limit: 1000)
        #expect(changes.papers.count == 200)
        #expect(Set(changes.papers.map(\.id)).count == 200)
        let numbers = try await one.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT change_seq FROM papers ORDER BY change_seq")
        }
        #expect(numbers == Array(1...200))
    }

    @Test func migrating0005PapersNumbersThemAndMakesAnIdentity() async throws {
        let store = try SQLiteStore.temporary()
        try Schema.migrator().migrate(store.pool, upTo: "0005_mail")
        try await store.pool.write { db in
            for n in 0..<3 {
                try db.execute(
                    sql: """
                        INSERT INTO papers (id, title, authors, abstract, categories, versions, published_at,
                            latest_version, featured_at, featured_day, hidden_at)
                        VALUES (?, ?, 'Ada Lovelace\nAlan Turing', 'Words.', 'cs.LG stat.ML', '', 0, 1, 0,
                            '1970-01-01', ?)
                        """,
                    arguments: [String(format: "2611.%05d", n), "Paper \(n)", n == 1 ? 5 : nil])
            }
        }
        try await store.migrate()
        #expect(try await store.appliedMigrations() == Schema.migrator().migrations, "every migration, 0007 included")
        let changes = try await store.paperChanges(after: 0, limit: 10)
        // Numbered by rowid, each read as stored (the second one hidden).
        let expected: [IndexablePaper] = (0..<3).map { (n: Int) -> IndexablePaper in
            IndexablePaper(
                key: PaperKey(n + 1), id: PaperID(storedValue: String(format: "2611.%05d", n)), title: "Paper \(n)",
                authors: ["Ada Lovelace", "Alan Turing"], abstract: "Words.", categories: ["cs.LG", "stat.ML"],
                featuredAt: Date(timeIntervalSince1970: 0), isHidden: n == 1)
        }
        #expect(changes.papers == expected)
        #expect(changes.last == 3)
        #expect(try await store.latestPaperChange() == 3)
        let identity = try await store.storeIdentity()
        #expect(UUID(uuidString: identity) != nil)
        // The next write takes the next number.
        _ = try await store.upsert([Fixtures.corpus[2]])
        #expect(try await store.paperChanges(after: 3, limit: 10).papers.map(\.id.rawValue) == ["2611.00003"])
        #expect(try await store.latestPaperChange() == 4)
        try await store.migrate()
        #expect(try await store.storeIdentity() == identity)
    }

    @Test func anUnmigratedStoreHasNoIdentity() async throws {
        let store = try SQLiteStore.temporary()
        try Schema.migrator().migrate(store.pool, upTo: "0005_mail")
        let error = await #expect(throws: StoredRowError.self) { try await store.storeIdentity() }
        #expect(error?.description == "the store at \(store.path) has no identity: run `paperboy migrate`")
    }
}
