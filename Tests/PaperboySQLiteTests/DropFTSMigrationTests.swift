import Foundation
import GRDB
import PaperStoreConformance
import PaperboyCore
import PaperboySearch
import Testing

@testable import PaperboySQLite

@Suite("SQLite migration 0007_drop_fts")
struct DropFTSMigrationTests {
    /// A database from before the own keyword index: FTS5 rows for its papers, and the mark a killed bulk load left.
    @Test func aDatabaseWithFTS5LosesItsTablesAndKeepsEveryPaperSearchable() async throws {
        let store = try SQLiteStore.temporary()
        try Schema.migrator().migrate(store.pool, upTo: "0006_change_sequence")
        _ = try await store.upsert(Fixtures.corpus)
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")
            try db.execute(sql: "INSERT INTO paperboy_meta (key, value) VALUES ('fts_stale', '1')")
        }
        let ftsTables = "SELECT name FROM sqlite_master WHERE name LIKE 'papers_fts%' ORDER BY name"
        let before = try await store.pool.read { db in try String.fetchAll(db, sql: ftsTables) }
        #expect(before.contains("papers_fts"))

        try await store.migrate()
        #expect(try await store.appliedMigrations() == Schema.migrator().migrations, "every migration, 0007 included")
        #expect(try await store.pool.read { db in try String.fetchAll(db, sql: ftsTables) } == [])
        let stale = try await store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM paperboy_meta WHERE key = 'fts_stale'")
        }
        #expect(stale == nil)
        #expect(try await store.paperCount() == Fixtures.corpus.count)
        let searcher = KeywordOnlySearcher(index: FollowingKeywordIndex(feed: store, papers: store), papers: store)
        let found = try await searcher.search(SearchQuery(parsing: "galaxy"), mode: .keyword, offset: 0, limit: 10)
        #expect(found.page.items.map(\.paper.paper.id.rawValue) == ["2611.00003"])
    }
}
