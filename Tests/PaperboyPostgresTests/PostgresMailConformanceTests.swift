import PaperStoreConformance
import Testing

/// Subscriptions, the digest ledger and embeddings: the same checks the SQLite store passes.
extension PostgresConformanceTests {
    @Test(arguments: PaperStoreConformance.subscriptions)
    func subscriptions(_ check: RoleCheck<any PaperStoreConformance.Subscriptions>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.digestLedger)
    func digestLedger(_ check: RoleCheck<any PaperStoreConformance.Subscriptions>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.embeddings)
    func embeddings(_ check: RoleCheck<any PaperStoreConformance.Embeddings>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }
}
