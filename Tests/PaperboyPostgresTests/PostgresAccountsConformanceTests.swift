import PaperStoreConformance
import PaperboyCore
import PaperboyPostgres
import Testing

// The conformance runs of the account and paper-profile roles (accounts, sessions, tokens, the site secret;
// organisations, claims, links, summaries and the moderation of papers).
extension PostgresConformanceTests {
    @Test(arguments: PaperStoreConformance.accounts)
    func accounts(_ check: RoleCheck<any PaperStoreConformance.Accounts>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.profile)
    func profile(_ check: RoleCheck<any PaperStoreConformance.Profile>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }
}
