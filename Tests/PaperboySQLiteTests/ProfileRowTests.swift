import Foundation
import GRDB
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboySQLite

@Suite("SQLite paper profile rows")
struct ProfileRowTests {
    static let t0 = Fixtures.date("2026-11-25T12:00:00Z")

    static func account(_ store: SQLiteStore, _ name: String) async throws -> Account {
        try await store.createAccount(
            NewAccount(
                username: name, email: "\(name)@example.org", fullname: name.capitalized, role: .member,
                passwordHash: "x", createdAt: t0))
    }

    /// A comment row written directly (the discussion store adds them through `addComment`).
    static func comment(_ store: SQLiteStore, paper: String, by account: Account, hidden: Bool = false) async throws
        -> Int64
    {
        try await store.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO comments (paper_rowid, user_id, text, created_at, hidden_at)
                    VALUES ((SELECT rowid FROM papers WHERE id = ?), ?, 'hello', 0, ?)
                    """,
                arguments: [paper, account.id, hidden ? 1 : nil])
            return db.lastInsertedRowID
        }
    }

    /// Whether each read of the paper (page, day, author, category, walk, keys) says a claimed author takes part.
    static func participating(_ store: SQLiteStore, _ paper: String) async throws -> [Bool] {
        let one = try #require(try await store.paper(id: PaperID(storedValue: paper), audience: .everyone))
        let day = one.paper.featuredDay
        let find: ([StoredPaper]) -> Bool? = { $0.first { $0.paper.id.rawValue == paper }?.authorParticipating }
        let key = try #require(try await store.key(of: one.paper.id))
        return [
            one.authorParticipating,
            find(try await store.listing(days: day...day, sort: .upvotes, offset: 0, limit: 10).items),
            find(try await store.papers(byAuthor: one.paper.authors[0], offset: 0, limit: 10).items),
            find(try await store.papers(inCategory: one.paper.categories[0], offset: 0, limit: 10).items),
            find(try await store.allPapers(after: nil, limit: 10).papers),
            try await store.papers(keys: [key])[key]?.authorParticipating,
        ].map { $0 ?? false }
    }

    @Test func aClaimedAuthorsVisibleCommentMarksThePaper() async throws {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert(Fixtures.corpus)
        let ada = try await Self.account(store, "ada")
        let bob = try await Self.account(store, "bob")
        let paper = "2611.00001"
        let none = Array(repeating: false, count: 6)
        let all = Array(repeating: true, count: 6)
        // Comments by someone without a claim, and a hidden one by the author who is about to claim.
        _ = try await Self.comment(store, paper: paper, by: bob)
        _ = try await Self.comment(store, paper: paper, by: ada, hidden: true)
        guard
            case .filed(let claim) = try await store.claimAuthorship(
                paper: PaperID(storedValue: paper), authorIndex: 0, accountID: ada.id, at: Self.t0)
        else {
            Issue.record("the claim was not filed")
            return
        }
        #expect(try await Self.participating(store, paper) == none)
        // A visible comment while the claim is pending does not count yet.
        let visible = try await Self.comment(store, paper: paper, by: ada)
        #expect(try await Self.participating(store, paper) == none)
        _ = try await store.decideClaim(id: claim.id, accept: true, by: nil, at: Self.t0)
        #expect(try await Self.participating(store, paper) == all)
        // Hidden, the comment no longer counts; a visible one on another paper never did.
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE comments SET hidden_at = 1 WHERE id = ?", arguments: [visible])
        }
        _ = try await Self.comment(store, paper: "2611.00002", by: ada)
        #expect(try await Self.participating(store, paper) == none)
        #expect(try await Self.participating(store, "2611.00002") == none)
    }

    @Test func migration0004GivesStoredPapersTheirFirstSentence() async throws {
        let store = try SQLiteStore.temporary()
        try Schema.migrator().migrate(store.pool, upTo: "0003_community")
        // Papers stored before 0004, more than one batch of them.
        try await store.pool.write { db in
            for n in 0..<2_500 {
                try db.execute(
                    sql: """
                        INSERT INTO papers (id, title, authors, abstract, categories, versions, published_at,
                            latest_version, featured_at, featured_day)
                        VALUES (?, 'T', 'A', ?, 'cs.LG', '', 0, 1, 0, '1970-01-01')
                        """,
                    arguments: [String(format: "2611.%05d", n), n == 7 ? "" : "Sentence \(n) here. And more."])
            }
        }
        try await store.migrate()
        let sentences = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, key_sentence FROM papers ORDER BY rowid").map {
                (id: try $0.decode(String.self, atIndex: 0), sentence: try $0.decode(String?.self, atIndex: 1))
            }
        }
        #expect(sentences.count == 2_500)
        #expect(sentences[2_499].sentence == "Sentence 2499 here.")
        #expect(sentences[7].sentence == nil)
        #expect(
            sentences.enumerated().allSatisfy { $0.offset == 7 || $0.element.sentence == "Sentence \($0.offset) here." }
        )
        #expect(
            try await store.paper(id: PaperID(storedValue: "2611.01000"), audience: .everyone)?.keySentence
                == "Sentence 1000 here.")
    }

    @Test(arguments: [
        ("One sentence only", "One sentence only"),
        ("We use e.g. transformers. Then more.", "We use e.g. transformers."),
        ("Following Turing et al. we build it. Then more.", "Following Turing et al. we build it."),
        ("As A. Turing said, machines think. Then more.", "As A. Turing said, machines think."),
        ("The value $x. Y$ is small. Then more.", "The value $x. Y$ is small."),
        ("Is it? Yes. Then more.", "Is it?"),
        ("  Version 2. Then more.  ", "Version 2."),
        ("lowercase. after a period. Then more.", "lowercase. after a period."),
        ("Has no period", "Has no period"),
    ])
    func firstSentenceRule(_ example: (String, String)) {
        #expect(StoredText.firstSentence(example.0) == example.1)
    }

    @Test func anEmptyAbstractHasNoKeySentence() {
        #expect(StoredText.firstSentence("") == nil)
        #expect(StoredText.firstSentence("   ") == nil)
    }
}
