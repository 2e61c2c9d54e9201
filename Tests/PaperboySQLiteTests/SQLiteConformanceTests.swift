import Foundation
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PaperboySearch
import Testing

/// The SQLite store plays every role: it runs the checks of each.
@Suite("SQLite store conformance")
struct SQLiteConformanceTests {
    @Test(arguments: PaperStoreConformance.writer)
    func writer(_ check: RoleCheck<any PaperStoreConformance.Writer>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.catalog)
    func catalog(_ check: RoleCheck<any PaperStoreConformance.Catalog>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    /// Searched as the server searches it: through Paperboy's own keyword index, fed by the store's change feed.
    @Test(arguments: PaperStoreConformance.keyword)
    func keyword(_ check: RoleCheck<any PaperStoreConformance.Keyword>) async throws {
        let store = try SQLiteStore.temporary()
        try await check.run(SearchedStore(store, index: FollowingKeywordIndex(feed: store, papers: store)))
    }

    @Test(arguments: PaperStoreConformance.embeddings)
    func embeddings(_ check: RoleCheck<any PaperStoreConformance.Embeddings>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.harvestState)
    func harvestState(_ check: RoleCheck<any PaperStoreConformance.HarvestStates>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.accounts)
    func accounts(_ check: RoleCheck<any PaperStoreConformance.Accounts>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.community)
    func community(_ check: RoleCheck<any PaperStoreConformance.Community>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.discussion)
    func discussion(_ check: RoleCheck<any PaperStoreConformance.Discussion>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.collections)
    func collections(_ check: RoleCheck<any PaperStoreConformance.Collections>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.recommendations)
    func recommendations(_ check: RoleCheck<any PaperStoreConformance.Recommendations>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.moderation)
    func moderation(_ check: RoleCheck<any PaperStoreConformance.Moderation>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.moderationSearch)
    func moderationSearch(_ check: RoleCheck<SearchedStore<any PaperStoreConformance.Moderation>>) async throws {
        let store = try SQLiteStore.temporary()
        try await check.run(SearchedStore(store, index: FollowingKeywordIndex(feed: store, papers: store)))
    }

    @Test(arguments: PaperStoreConformance.stats)
    func stats(_ check: RoleCheck<any PaperStoreConformance.Stats>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.profile)
    func profile(_ check: RoleCheck<any PaperStoreConformance.Profile>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.subscriptions)
    func subscriptions(_ check: RoleCheck<any PaperStoreConformance.Subscriptions>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.digestLedger)
    func digestLedger(_ check: RoleCheck<any PaperStoreConformance.Subscriptions>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.changeFeed)
    func changeFeed(_ check: RoleCheck<any PaperStoreConformance.ChangeFeed>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.changeFeedIdentity)
    func changeFeedIdentity(_ check: RoleCheck<PaperStoreConformance.StoreOpener<any PaperStoreConformance.ChangeFeed>>)
        async throws
    {
        // A store is a file: opening the same name again opens the same file.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await check.run(
            PaperStoreConformance.StoreOpener { name in
                try SQLiteStore(path: directory.appendingPathComponent("\(name).sqlite").path)
            })
    }

    @Test(arguments: PaperStoreConformance.changeFeedCommunity)
    func changeFeedCommunity(_ check: RoleCheck<any PaperStoreConformance.CommunityChangeFeed>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.jobLeases)
    func jobLeases(_ check: RoleCheck<any PaperStoreConformance.Leases>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test(arguments: PaperStoreConformance.failureLimits)
    func failureLimits(_ check: RoleCheck<any PaperStoreConformance.FailureLimits>) async throws {
        try await check.run(try SQLiteStore.temporary())
    }

    @Test func backupCopiesTheLiveDatabase() async throws {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert([Fixtures.corpus[0]])
        let copy = store.path + ".backup"
        try await store.backup(to: copy)
        let restored = try SQLiteStore(path: copy)
        #expect(try await restored.paperCount() == 1)
    }
}
