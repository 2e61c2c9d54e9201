import Foundation
import GRDB
import PaperboyCore

// PLACEHOLDER (issue 11 in progress): replaced by the real implementation before this lands on main.

extension SQLiteStore {
    public func createOrganization(_ organization: Organization, at: Date) async throws -> Organization {
        throw StoreUnsupported(operation: "createOrganization", store: "SQLite", advice: "not built yet")
    }

    public func claimAuthorship(paper: PaperID, authorIndex: Int, accountID: Int64, at: Date) async throws
        -> ClaimOutcome
    {
        throw StoreUnsupported(operation: "claimAuthorship", store: "SQLite", advice: "not built yet")
    }

    public func setPaperHidden(_ paper: PaperID, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool? {
        throw StoreUnsupported(operation: "setPaperHidden", store: "SQLite", advice: "not built yet")
    }

    public func hiddenPapers(limit: Int) async throws -> [StoredPaper] {
        throw StoreUnsupported(operation: "hiddenPapers", store: "SQLite", advice: "not built yet")
    }

    public func recordModeration(action: String, target: String, detail: String?, by actorID: Int64?, at: Date)
        async throws
    {
        throw StoreUnsupported(operation: "recordModeration", store: "SQLite", advice: "not built yet")
    }

    public func moderationLog(limit: Int) async throws -> [ModerationAction] {
        throw StoreUnsupported(operation: "moderationLog", store: "SQLite", advice: "not built yet")
    }

    public func organization(name: String) async throws -> Organization? {
        throw StoreUnsupported(operation: "organization", store: "SQLite", advice: "not built yet")
    }

    public func organizations(limit: Int) async throws -> [Organization] {
        throw StoreUnsupported(operation: "organizations", store: "SQLite", advice: "not built yet")
    }

    public func setMember(accountID: Int64, of organization: String, member: Bool) async throws -> Bool? {
        throw StoreUnsupported(operation: "setMember", store: "SQLite", advice: "not built yet")
    }

    public func members(of organization: String) async throws -> [Person] {
        throw StoreUnsupported(operation: "members", store: "SQLite", advice: "not built yet")
    }

    public func organizations(accountID: Int64) async throws -> [Organization] {
        throw StoreUnsupported(operation: "organizations", store: "SQLite", advice: "not built yet")
    }

    public func papers(ofOrganization name: String, days: ClosedRange<Day>?, sort: ListingSort, offset: Int, limit: Int)
        async throws -> ResultPage<StoredPaper>
    {
        throw StoreUnsupported(operation: "papers", store: "SQLite", advice: "not built yet")
    }

    public func claim(id: Int64) async throws -> AuthorClaim? {
        throw StoreUnsupported(operation: "claim", store: "SQLite", advice: "not built yet")
    }

    public func claims(status: ClaimStatus, limit: Int) async throws -> [AuthorClaim] {
        throw StoreUnsupported(operation: "claims", store: "SQLite", advice: "not built yet")
    }

    public func claims(accountID: Int64) async throws -> [AuthorClaim] {
        throw StoreUnsupported(operation: "claims", store: "SQLite", advice: "not built yet")
    }

    public func decideClaim(id: Int64, accept: Bool, by actorID: Int64?, at: Date) async throws -> AuthorClaim? {
        throw StoreUnsupported(operation: "decideClaim", store: "SQLite", advice: "not built yet")
    }

    public func papers(claimedBy accountID: Int64, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        throw StoreUnsupported(operation: "papers", store: "SQLite", advice: "not built yet")
    }

    public func updatePaperLinks(_ paper: PaperID, _ change: PaperLinksChange) async throws -> StoredPaper? {
        throw StoreUnsupported(operation: "updatePaperLinks", store: "SQLite", advice: "not built yet")
    }

    public func saveSummaries(_ summaries: [PaperSummary]) async throws {
        throw StoreUnsupported(operation: "saveSummaries", store: "SQLite", advice: "not built yet")
    }

    public func papersWithoutKeywords(after key: PaperKey, scan: Int) async throws -> (
        papers: [(key: PaperKey, paper: Paper)], last: PaperKey?
    ) {
        throw StoreUnsupported(operation: "papersWithoutKeywords", store: "SQLite", advice: "not built yet")
    }

}
