import PaperStoreConformance
import PaperboyCore
import PaperboySearch
import Testing

/// The in-memory store the ingest and harvest tests write to behaves as every backend of its roles does.
@Suite("In-memory store conformance")
struct InMemoryStoreConformanceTests {
    @Test(arguments: PaperStoreConformance.writer)
    func writer(_ check: RoleCheck<any PaperStoreConformance.Writer>) async throws {
        try await check.run(InMemoryStore())
    }

    /// Searched through Paperboy's own keyword index fed by the store's change feed, as every backend is.
    @Test(arguments: PaperStoreConformance.keyword)
    func keyword(_ check: RoleCheck<any PaperStoreConformance.Keyword>) async throws {
        let store = InMemoryStore()
        try await check.run(SearchedStore(store, index: FollowingKeywordIndex(feed: store, papers: store)))
    }

    @Test(arguments: PaperStoreConformance.harvestState)
    func harvestState(_ check: RoleCheck<any PaperStoreConformance.HarvestStates>) async throws {
        try await check.run(InMemoryStore())
    }

    @Test(arguments: PaperStoreConformance.subscriptions)
    func subscriptions(_ check: RoleCheck<any PaperStoreConformance.Subscriptions>) async throws {
        try await check.run(InMemoryStore())
    }

    @Test(arguments: PaperStoreConformance.digestLedger)
    func digestLedger(_ check: RoleCheck<any PaperStoreConformance.Subscriptions>) async throws {
        try await check.run(InMemoryStore())
    }

    @Test(arguments: PaperStoreConformance.changeFeed)
    func changeFeed(_ check: RoleCheck<any PaperStoreConformance.ChangeFeed>) async throws {
        try await check.run(InMemoryStore())
    }

    @Test(arguments: PaperStoreConformance.changeFeedIdentity)
    func changeFeedIdentity(_ check: RoleCheck<PaperStoreConformance.StoreOpener<any PaperStoreConformance.ChangeFeed>>)
        async throws
    {
        // A store lives in its actor: opening the same name again gives the same one.
        let stores = ["first": InMemoryStore(), "second": InMemoryStore()]
        try await check.run(PaperStoreConformance.StoreOpener { name in try #require(stores[name]) })
    }

    @Test func backupIsRefusedWithAReason() async throws {
        await #expect(
            throws: StoreUnsupported(
                operation: "write a backup", store: "the in-memory store", advice: "its papers live only in memory")
        ) {
            try await InMemoryStore().backup(to: "/tmp/never")
        }
    }
}
