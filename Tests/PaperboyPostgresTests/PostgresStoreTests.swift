import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboyPostgres
import PaperboySearch
import PostgresNIO
import Testing

/// A database of its own for each test, on the server `PAPERBOY_TEST_POSTGRES` names (scripts/test.sh starts a
/// throwaway cluster and sets it; without it these suites are skipped).
enum TestDatabase {
    static let url = ProcessInfo.processInfo.environment["PAPERBOY_TEST_POSTGRES"]
    static var available: Bool { url != nil }

    /// Warnings and worse: a store's pool logs each connection it closes at shutdown as information.
    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs one statement of the test's own text (database names it made up) on the server's `postgres` database.
    static func administer(_ sql: String, on database: String? = nil) async throws {
        let admin = try PostgresSettings.parse(try #require(url))
        let client = PostgresClient(
            configuration: .init(
                host: admin.host, port: admin.port, username: admin.username, password: admin.password,
                database: database ?? admin.database, tls: .disable),
            backgroundLogger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql))
        }
    }

    /// A new, empty database; `body` gets its settings; the database is dropped afterwards.
    static func withFresh(_ body: (PostgresSettings) async throws -> Void) async throws {
        var settings = try PostgresSettings.parse(try #require(url))
        // Tests run side by side, each with stores of its own: small pools keep them within the server's connections.
        settings.maximumConnections = 4
        let name = "paperboy_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await administer("CREATE DATABASE \(name)")
        settings.database = name
        do {
            try await body(settings)
        } catch {
            try? await administer("DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
        try await administer("DROP DATABASE \(name) WITH (FORCE)")
    }

    /// A store on a fresh database, shut down after `body`.
    static func withStore(_ body: (PostgresStore) async throws -> Void) async throws {
        try await withFresh { settings in
            let store = PostgresStore(settings: settings, logger: TestDatabase.logger)
            do {
                try await body(store)
            } catch {
                await store.shutDown()
                throw error
            }
            await store.shutDown()
        }
    }
}

/// The conformance checks of every role, unchanged from SQLite's (the roles' runners are spread over this file and its
/// siblings, one per group of roles).
@Suite("PostgreSQL store conformance", .enabled(if: TestDatabase.available))
struct PostgresConformanceTests {
    @Test(arguments: PaperStoreConformance.writer)
    func writer(_ check: RoleCheck<any PaperStoreConformance.Writer>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.catalog)
    func catalog(_ check: RoleCheck<any PaperStoreConformance.Catalog>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    /// Searched as the server searches it: through Paperboy's own keyword index, fed by the store's change feed.
    @Test(arguments: PaperStoreConformance.keyword)
    func keyword(_ check: RoleCheck<any PaperStoreConformance.Keyword>) async throws {
        try await TestDatabase.withStore { store in
            try await check.run(SearchedStore(store, index: FollowingKeywordIndex(feed: store, papers: store)))
        }
    }

    @Test(arguments: PaperStoreConformance.harvestState)
    func harvestState(_ check: RoleCheck<any PaperStoreConformance.HarvestStates>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.changeFeed)
    func changeFeed(_ check: RoleCheck<any PaperStoreConformance.ChangeFeed>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.changeFeedCommunity)
    func changeFeedCommunity(_ check: RoleCheck<any PaperStoreConformance.CommunityChangeFeed>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.moderationSearch)
    func moderationSearch(_ check: RoleCheck<SearchedStore<any PaperStoreConformance.Moderation>>) async throws {
        try await TestDatabase.withStore { store in
            try await check.run(SearchedStore(store, index: FollowingKeywordIndex(feed: store, papers: store)))
        }
    }

    @Test(arguments: PaperStoreConformance.stats)
    func stats(_ check: RoleCheck<any PaperStoreConformance.Stats>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.changeFeedIdentity)
    func changeFeedIdentity(_ check: RoleCheck<PaperStoreConformance.StoreOpener<any PaperStoreConformance.ChangeFeed>>)
        async throws
    {
        // A store is a database: opening the same name again opens the same database.
        try await TestDatabase.withFresh { first in
            try await TestDatabase.withFresh { second in
                let databases = ["first": first, "second": second]
                try await check.run(
                    PaperStoreConformance.StoreOpener { name in
                        PostgresStore(settings: try #require(databases[name]), logger: TestDatabase.logger)
                    })
            }
        }
    }
}

@Suite("PostgreSQL COPY of papers", .enabled(if: TestDatabase.available))
struct PostgresCopyTextTests {
    /// New papers go in with COPY's text format, which escapes backslashes, tabs and line breaks: any text reads back
    /// as it was written.
    @Test func textWithEscapesAndUnicodeReadsBackUnchanged() async throws {
        try await TestDatabase.withStore { store in
            try await store.migrate()
            var paper = Fixtures.paper(
                "2611.04242", title: "Tabs\there, a backslash \\alpha, CR\r\nLF and Ünïcode — ∑ 𝔸",
                abstract: "Line one.\nLine two with \\N and \\t kept as written.", authors: ["Zoë \\ Ünal", "Bo\tLi"])
            paper.comments = "\\N"
            #expect(try await store.upsert([paper]) == UpsertSummary(inserted: 1))
            #expect(try await store.paper(id: paper.id, audience: .everyone)?.paper == paper)
            #expect(try await store.papers(byAuthor: "Bo\tLi", offset: 0, limit: 5).items.map(\.paper) == [paper])
        }
    }
}

@Suite("PostgreSQL change notifications", .enabled(if: TestDatabase.available))
struct PostgresChangeNotificationTests {
    /// A node listens; another node's commit wakes it at once (its keyword index then reads the change), and a rolled
    /// back write wakes nobody.
    @Test(.timeLimit(.minutes(10))) func aCommitThroughAnotherNodeRingsTheListenersBell() async throws {
        try await TestDatabase.withFresh { settings in
            let listener = PostgresStore(settings: settings, logger: TestDatabase.logger)
            let writer = PostgresStore(settings: settings, logger: TestDatabase.logger)
            try await listener.migrate()
            let bell = ChangeBell()
            let listening = Task { await listener.ringOnChanges(bell) }
            // Listening has begun when it rings the first time. (The waits are long: the whole test suite runs side by
            // side on two cores, and a task may wait its turn for a while. What counts is that the bell rings.)
            let started = await bell.wait(after: 0, upTo: .seconds(500))
            #expect(started == 1)
            let before = try await listener.latestPaperChange()
            _ = try await writer.upsert([Fixtures.corpus[0]])
            let rung = await bell.wait(after: started, upTo: .seconds(500))
            #expect(rung > started)
            #expect(try await listener.latestPaperChange() > before)
            listening.cancel()
            await listening.value
            await listener.shutDown()
            await writer.shutDown()
        }
    }
}

@Suite("PostgreSQL migrations", .enabled(if: TestDatabase.available))
struct PostgresMigrationTests {
    @Test func migratingTwiceOrFromManyNodesAtOnceAppliesEachMigrationOnce() async throws {
        try await TestDatabase.withFresh { settings in
            let empty = PostgresStore(settings: settings, logger: TestDatabase.logger)
            #expect(try await empty.appliedMigrations() == [])
            #expect(try await empty.pendingMigrations() == PostgresStore.migrationNames)
            // Five nodes start at once: the advisory lock lets one migrate, the others find it done.
            let stores = (0..<5).map { _ in PostgresStore(settings: settings, logger: TestDatabase.logger) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            #expect(
                PostgresStore.migrationNames == [
                    "0001_papers", "0002_paper_vectors", "0003_community", "0004_discussion", "0005_mail",
                    "0006_change_sequence", "0007_drop_fts", "0008_votes_by_time", "0009_leases_and_limits",
                    "0010_recommendations",
                ])
            #expect(try await empty.pendingMigrations() == [])
            await empty.shutDown()
            for store in stores {
                #expect(try await store.appliedMigrations() == PostgresStore.migrationNames)
                try await store.migrate()
                await store.shutDown()
            }
        }
    }

    @Test func aSchemaANewerPaperboyMigratedIsRefused() async throws {
        try await TestDatabase.withStore { store in
            try await store.migrate()
            try await TestDatabase.administer(
                "INSERT INTO paperboy_migrations (name) VALUES ('9999_future')", on: store.settings.database)
            let refusal = SchemaNewerThanThisPaperboy(store: "PostgreSQL", unknown: ["9999_future"])
            await #expect(throws: refusal) { try await store.migrate() }
            #expect(
                refusal.description
                    == "the PostgreSQL schema is newer than this Paperboy \(PaperboyVersion.current) knows (it has the "
                    + "migrations 9999_future): run the newer Paperboy, or restore a backup made before it migrated")
        }
    }

    @Test func backupSaysToUsePgDump() async throws {
        try await TestDatabase.withStore { store in
            await #expect(
                throws: StoreUnsupported(
                    operation: "back up to a file", store: "PostgreSQL",
                    advice: "use pg_dump (pg_dump -Fc \(store.settings.redacted) > paperboy.dump), or the backups "
                        + "you already run")
            ) { try await store.backup(to: "/tmp/x") }
        }
    }
}
