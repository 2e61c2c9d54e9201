import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboyPostgres
import PaperboySQLite
import Testing

/// `paperboy copy`: an SQLite installation moved into PostgreSQL without loss.
@Suite("Copying SQLite into PostgreSQL", .enabled(if: TestDatabase.available))
struct PostgresCopyTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    /// An SQLite store with something in every kind of table: papers, an account with a session, votes, a comment, a
    /// public collection, a subscription, an embedding and a hidden paper.
    static func installation() async throws -> SQLiteStore {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert(Fixtures.corpus)
        let ada = try await store.createAccount(
            NewAccount(
                username: "ada", email: "ada@example.org", emailVerifiedAt: t0, fullname: "Ada Lovelace",
                role: .admin, passwordHash: "$2b$10$notarealhash", createdAt: t0))
        try await store.createSession(
            SessionRecord(tokenHash: "ab12", accountID: ada.id, createdAt: t0, lastSeenAt: t0))
        let paper = Fixtures.corpus[0].id
        _ = try await store.setVote(accountID: ada.id, paper: paper, up: true, at: t0)
        _ = try await store.addComment(paper: paper, accountID: ada.id, text: "Lovely *result*.", at: t0)
        _ = try await store.createCollection(
            NewCollection(id: "AbCdEfGhIjKl", ownerID: ada.id, name: "Reading", description: "", isPublic: true, at: t0)
        )
        _ = try await store.setPaper(paper, inCollection: "AbCdEfGhIjKl", add: true, at: t0)
        _ = try await store.requestSubscription(
            email: "Reader@Example.org", settings: SubscriptionSettings(frequency: .weekly), nonce: "n1", at: t0)
        let key = try #require(try await store.key(of: paper))
        try await store.saveEmbeddings(
            model: "m@1", dimension: 3, [StoredEmbedding(key: key, textHash: UInt64.max, vector: [0.5, -1, 2])])
        _ = try await store.setPaperHidden(Fixtures.corpus[1].id, hidden: true, by: ada.id, at: t0)
        _ = try await store.siteSecret(storingIfAbsent: Array(repeating: 7, count: 32))
        return store
    }

    @Test func everyTableArrivesWholeAndACopyRunAgainWritesNothing() async throws {
        let source = try await Self.installation()
        try await TestDatabase.withStore { target in
            try await target.migrate()
            let identity = try await source.storeIdentity()
            let first = try await StoreCopy.run(from: source, to: target, identity: identity, batch: 7)
            #expect(first.map(\.table) == CopyTable.all.map(\.name))
            #expect(first.filter { !$0.matches }.isEmpty)
            let rows = Dictionary(uniqueKeysWithValues: first.map { ($0.table, $0.target.rows) })
            #expect(rows["papers"] == Fixtures.corpus.count)
            #expect(rows["users"] == 1 && rows["sessions"] == 1 && rows["votes"] == 1 && rows["comments"] == 1)
            #expect(rows["collection_items"] == 1 && rows["subscriptions"] == 1 && rows["paper_vectors"] == 1)
            #expect(first.allSatisfy { $0.written == $0.source.rows })

            let again = try await StoreCopy.run(from: source, to: target, identity: identity, batch: 7)
            #expect(again.allSatisfy { $0.written == 0 && $0.matches })

            // The copy is the same installation: identity, papers as pages show them, the account and its secret.
            #expect(try await target.storeIdentity() == identity)
            #expect(try await target.siteSecret(storingIfAbsent: [1, 2, 3]) == Array(repeating: 7, count: 32))
            let paper = Fixtures.corpus[0].id
            let copied = try #require(try await target.paper(id: paper, audience: .everyone))
            #expect(copied == (try await source.paper(id: paper, audience: .everyone)))
            #expect(copied.upvotes == 1 && copied.numComments == 1)
            #expect(try await target.paper(id: Fixtures.corpus[1].id, audience: .everyone) == nil)
            let key = try #require(try await target.key(of: paper))
            #expect(try await target.embedding(model: "m@1", key: key) == [0.5, -1, 2])
            #expect(try await target.embeddings(model: "m@1", after: 0, limit: 10).first?.textHash == UInt64.max)

            // Counters go on after the copied values: a new account, paper and change get numbers of their own.
            let grace = try await target.createAccount(
                NewAccount(
                    username: "grace", email: "grace@example.org", emailVerifiedAt: nil, fullname: "Grace",
                    role: .member, passwordHash: "$2b$10$notarealhash", createdAt: Self.t0))
            #expect(grace.id == (try await source.account(username: "ada")?.id ?? 0) + 1)
            let before = try await target.latestPaperChange()
            #expect(before == (try await source.latestPaperChange()))
            #expect(
                try await target.upsert([Fixtures.paper("2611.07777", title: "After the move")])
                    == UpsertSummary(inserted: 1))
            #expect(try await target.latestPaperChange() > before)
        }
    }

    @Test func aTargetHoldingAnotherInstallationIsRefused() async throws {
        let source = try await Self.installation()
        try await TestDatabase.withStore { target in
            try await target.migrate()
            _ = try await target.upsert([Fixtures.paper("2611.08888", title: "Someone else's")])
            await #expect(throws: StoreCopy.TargetHoldsOtherData.self) {
                _ = try await StoreCopy.run(from: source, to: target, identity: try await source.storeIdentity())
            }
            #expect(try await target.paperCount() == 1)
        }
    }
}
