import Foundation
import GRDB
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboySQLite

/// What the conformance suite cannot see through the store roles yet: the moderation log rows, claims and hidden papers
/// written with SQL.
@Suite("SQLite discussion and collections")
struct DiscussionSQLiteTests {
    static let t0 = Fixtures.date("2026-11-25T12:00:00Z")

    static func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }

    static func id(_ text: String) -> PaperID { PaperID(storedValue: text) }

    static func store() async throws -> SQLiteStore {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert(Fixtures.corpus)
        return store
    }

    static func account(_ store: SQLiteStore, _ name: String, role: UserRole = .member) async throws -> Account {
        try await store.createAccount(
            NewAccount(
                username: name, email: "\(name)@example.org", fullname: name, role: role, passwordHash: "x",
                createdAt: t0))
    }

    struct LogRow: Equatable {
        var actor: Int64?
        var action: String
        var target: String
        var detail: String?
        var at: Date
    }

    static func log(_ store: SQLiteStore) async throws -> [LogRow] {
        try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT actor_id, action, target, detail, at FROM moderation_log ORDER BY id")
                .map { row in
                    LogRow(
                        actor: row["actor_id"], action: row["action"], target: row["target"], detail: row["detail"],
                        at: PaperRow.date(row["at"]))
                }
        }
    }

    @Test func everyCommentAndReportActionIsLoggedOnceWithItsChange() async throws {
        let store = try await Self.store()
        let ada = try await Self.account(store, "ada")
        let mod = try await Self.account(store, "mod", role: .moderator)
        let comment = try #require(
            try await store.addComment(paper: Self.id("2611.00001"), accountID: ada.id, text: "hi", at: Self.t0))
        let c = comment.id
        #expect(try await store.setCommentHidden(id: c, hidden: true, by: mod.id, at: Self.at(1)) == true)
        #expect(try await store.setCommentHidden(id: c, hidden: true, by: mod.id, at: Self.at(2)) == false)
        #expect(try await store.setCommentHidden(id: c, hidden: false, by: nil, at: Self.at(3)) == true)
        let onPaper = try #require(
            try await store.fileReport(
                target: .paper(Self.id("hep-th/9901001")), accountID: ada.id, reason: "", at: Self.at(4)))
        let onComment = try #require(
            try await store.fileReport(target: .comment(c), accountID: ada.id, reason: "", at: Self.at(4)))
        #expect(try await store.resolveReport(id: onPaper.id, by: mod.id, at: Self.at(5)))
        #expect(try await store.resolveReport(id: onPaper.id, by: mod.id, at: Self.at(6)) == false)
        #expect(try await store.resolveReport(id: onComment.id, by: mod.id, at: Self.at(7)))
        #expect(
            try await Self.log(store) == [
                LogRow(actor: mod.id, action: "comment.hide", target: "comment:\(c)", at: Self.at(1)),
                LogRow(actor: nil, action: "comment.unhide", target: "comment:\(c)", at: Self.at(3)),
                LogRow(
                    actor: mod.id, action: "report.resolve", target: "report:\(onPaper.id)",
                    detail: "paper:hep-th/9901001", at: Self.at(5)),
                LogRow(
                    actor: mod.id, action: "report.resolve", target: "report:\(onComment.id)",
                    detail: "comment:\(c)", at: Self.at(7)),
            ])
        // A deleted moderator's entries stay, without an actor.
        #expect(try await store.deleteAccount(id: mod.id))
        #expect(try await Self.log(store).map(\.actor) == [nil, nil, nil, nil])
    }

    @Test func aFailedModerationChangesNothing() async throws {
        let store = try await Self.store()
        let ada = try await Self.account(store, "ada")
        let comment = try #require(
            try await store.addComment(paper: Self.id("2611.00002"), accountID: ada.id, text: "hi", at: Self.t0))
        // An actor that is no account fails the log row's foreign key: the hiding is rolled back with it.
        await #expect(throws: DatabaseError.self) {
            try await store.setCommentHidden(id: comment.id, hidden: true, by: ada.id + 1000, at: Self.at(1))
        }
        #expect(try await store.comment(id: comment.id)?.hiddenAt == nil)
        #expect(try await store.paper(id: Self.id("2611.00002"), audience: .everyone)?.numComments == 1)
        #expect(try await Self.log(store).isEmpty)
    }

    @Test func aCommentByAnAcceptedClaimedAuthorIsMarked() async throws {
        let store = try await Self.store()
        let ada = try await Self.account(store, "ada")
        let bob = try await Self.account(store, "bob")
        let cy = try await Self.account(store, "cy")
        try await store.pool.write { db in
            for (user, paper, status) in [
                (ada.id, "2611.00001", "accepted"), (bob.id, "2611.00001", "pending"),
                (cy.id, "2611.00002", "accepted"),
            ] {
                try db.execute(
                    sql: """
                        INSERT INTO claims (paper_rowid, author_index, author_name, user_id, status, created_at)
                        SELECT rowid, 0, 'Ada Lovelace', ?, ?, 0 FROM papers WHERE id = ?
                        """,
                    arguments: [user, status, paper])
            }
        }
        for account in [ada, bob, cy] {
            _ = try await store.addComment(
                paper: Self.id("2611.00001"), accountID: account.id, text: account.username, at: Self.t0)
        }
        let comments = try await store.comments(on: Self.id("2611.00001"), audience: .everyone, limit: 10)
        #expect(comments.map(\.text) == ["ada", "bob", "cy"])
        #expect(comments.map(\.byClaimedAuthor) == [true, false, false])
        #expect(try await store.comment(id: comments[0].id)?.byClaimedAuthor == true)
    }

    @Test func hiddenPapersAreLeftOutOfACollectionExceptForModerators() async throws {
        let store = try await Self.store()
        let ada = try await Self.account(store, "ada")
        let list = try await store.createCollection(
            NewCollection(id: "abcdefghijkm", ownerID: ada.id, name: "n", description: "", isPublic: true, at: Self.t0))
        for (n, paper) in ["2611.00001", "2611.00002", "2611.00003"].enumerated() {
            _ = try await store.setPaper(Self.id(paper), inCollection: list.id, add: true, at: Self.at(Double(n)))
        }
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE papers SET hidden_at = 1 WHERE id = '2611.00002'")
        }
        let everyone = try await store.papers(inCollection: list.id, audience: .everyone, offset: 0, limit: 10)
        #expect(everyone.items.map(\.paper.id.rawValue) == ["2611.00003", "2611.00001"])
        #expect(everyone.total == 2)
        let paged = try await store.papers(inCollection: list.id, audience: .everyone, offset: 1, limit: 1)
        #expect(paged.items.map(\.paper.id.rawValue) == ["2611.00001"])
        #expect(paged.total == 2)
        let moderators = try await store.papers(inCollection: list.id, audience: .moderators, offset: 0, limit: 10)
        #expect(moderators.items.map(\.paper.id.rawValue) == ["2611.00003", "2611.00002", "2611.00001"])
        #expect(moderators.total == 3)
        // The collection still holds it: its count is the owner's, not the audience's.
        #expect(try await store.collection(id: list.id)?.itemCount == 3)
    }
}
