import Foundation
import GRDB
import PaperboyCore
import Testing

@testable import PaperboySQLite

@Suite("SQLite schema from a newer Paperboy")
struct NewerSchemaTests {
    @Test func aFileANewerPaperboyMigratedIsRefusedAndLeftAlone() async throws {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')")
        }
        await #expect(throws: SchemaNewerThanThisPaperboy(store: "SQLite", unknown: ["9999_future"])) {
            try await store.migrate()
        }
        #expect(try await store.appliedMigrations().contains("9999_future") == false)
    }
}
