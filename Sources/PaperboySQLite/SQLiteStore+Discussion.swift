import Foundation
import GRDB
import PaperboyCore

// PLACEHOLDER (issue 11 in progress): replaced by the real implementation before this lands on main.

extension SQLiteStore {
    public func comments(on paper: PaperID, audience: Audience, limit: Int) async throws -> [Comment] {
        throw StoreUnsupported(operation: "comments", store: "SQLite", advice: "not built yet")
    }

    public func comment(id: Int64) async throws -> Comment? {
        throw StoreUnsupported(operation: "comment", store: "SQLite", advice: "not built yet")
    }

    public func addComment(paper: PaperID, accountID: Int64, text: String, at: Date) async throws -> Comment? {
        throw StoreUnsupported(operation: "addComment", store: "SQLite", advice: "not built yet")
    }

    public func editComment(id: Int64, text: String, at: Date) async throws -> Comment? {
        throw StoreUnsupported(operation: "editComment", store: "SQLite", advice: "not built yet")
    }

    public func deleteComment(id: Int64) async throws -> Bool {
        throw StoreUnsupported(operation: "deleteComment", store: "SQLite", advice: "not built yet")
    }

    public func comments(accountID: Int64) async throws -> [Comment] {
        throw StoreUnsupported(operation: "comments", store: "SQLite", advice: "not built yet")
    }

    public func fileReport(target: ReportTarget, accountID: Int64, reason: String, at: Date) async throws -> Report? {
        throw StoreUnsupported(operation: "fileReport", store: "SQLite", advice: "not built yet")
    }

    public func createCollection(_ collection: NewCollection) async throws -> PaperCollection {
        throw StoreUnsupported(operation: "createCollection", store: "SQLite", advice: "not built yet")
    }

    public func collection(id: String) async throws -> PaperCollection? {
        throw StoreUnsupported(operation: "collection", store: "SQLite", advice: "not built yet")
    }

    public func collections(ownerID: Int64, includePrivate: Bool, limit: Int) async throws -> [PaperCollection] {
        throw StoreUnsupported(operation: "collections", store: "SQLite", advice: "not built yet")
    }

    public func updateCollection(id: String, _ change: CollectionChange, at: Date) async throws -> PaperCollection? {
        throw StoreUnsupported(operation: "updateCollection", store: "SQLite", advice: "not built yet")
    }

    public func deleteCollection(id: String) async throws -> Bool {
        throw StoreUnsupported(operation: "deleteCollection", store: "SQLite", advice: "not built yet")
    }

    public func setPaper(_ paper: PaperID, inCollection id: String, add: Bool, at: Date) async throws -> Bool? {
        throw StoreUnsupported(operation: "setPaper", store: "SQLite", advice: "not built yet")
    }

    public func papers(inCollection id: String, audience: Audience, offset: Int, limit: Int) async throws -> ResultPage<
        StoredPaper
    > {
        throw StoreUnsupported(operation: "papers", store: "SQLite", advice: "not built yet")
    }

    public func collectionIDs(ownerID: Int64, containing paper: PaperID) async throws -> Set<String> {
        throw StoreUnsupported(operation: "collectionIDs", store: "SQLite", advice: "not built yet")
    }

    public func setCommentHidden(id: Int64, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool? {
        throw StoreUnsupported(operation: "setCommentHidden", store: "SQLite", advice: "not built yet")
    }

    public func reports(open: Bool, limit: Int) async throws -> [Report] {
        throw StoreUnsupported(operation: "reports", store: "SQLite", advice: "not built yet")
    }

    public func resolveReport(id: Int64, by actorID: Int64?, at: Date) async throws -> Bool {
        throw StoreUnsupported(operation: "resolveReport", store: "SQLite", advice: "not built yet")
    }

}
