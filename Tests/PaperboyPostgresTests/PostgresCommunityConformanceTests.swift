import PaperStoreConformance
import PaperboyCore
import PaperboyPostgres
import Testing

/// The community's roles on PostgreSQL (votes, submissions and trending; comments and reports; collections; moderation
/// of papers and the log), by the same checks as SQLite's.
extension PostgresConformanceTests {
    @Test(arguments: PaperStoreConformance.community)
    func community(_ check: RoleCheck<any PaperStoreConformance.Community>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.discussion)
    func discussion(_ check: RoleCheck<any PaperStoreConformance.Discussion>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.collections)
    func collections(_ check: RoleCheck<any PaperStoreConformance.Collections>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.recommendations)
    func recommendations(_ check: RoleCheck<any PaperStoreConformance.Recommendations>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.moderation)
    func moderation(_ check: RoleCheck<any PaperStoreConformance.Moderation>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }
}
