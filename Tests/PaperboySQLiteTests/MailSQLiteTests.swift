import Foundation
import GRDB
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboySQLite

/// What the conformance suite cannot see through the store roles: migration 0005 of a database in use, two processes
/// sharing the file, and the indexes that keep a send from scanning every subscriber.
@Suite("SQLite subscriptions, ledger and migration 0005")
struct MailSQLiteTests {
    static let t0 = Fixtures.date("2026-11-25T12:00:00Z")

    static func period(_ day: String) throws -> DigestPeriod {
        let start = try #require(Day(iso: day))
        return try #require(DigestPeriod(.daily, containing: start))
    }

    static func subscriber(_ store: SQLiteStore, _ email: String) async throws -> Subscription {
        let asked = try await store.requestSubscription(
            email: email, settings: SubscriptionSettings(frequency: .daily), nonce: "n", at: t0)
        return try #require(try await store.confirmSubscription(id: asked.id, nonce: "n", at: t0))
    }

    @Test func migratingADatabaseAt0004KeepsItsAccountsVerifiedAndItsForeignKeys() async throws {
        let store = try SQLiteStore.temporary()
        try Schema.migrator().migrate(store.pool, upTo: "0004_discussion")
        let created = Int64(1_764_000_000_000)
        try await store.pool.write { db in
            // Papers as 0004 stored them (the store of today writes columns 0004 has not).
            try db.execute(
                sql: """
                    INSERT INTO papers (id, title, authors, abstract, categories, versions, published_at,
                        latest_version, featured_at, featured_day)
                    VALUES ('2611.00001', 'One', 'Ada', 'A.', 'cs.LG', '', 0, 1, 0, '1970-01-01'),
                        ('2611.00002', 'Two', 'Bob', 'B.', 'cs.LG', '', 0, 1, 0, '1970-01-01')
                    """)
            try db.execute(
                sql: """
                    INSERT INTO users (id, username, email, email_key, fullname, role, password_hash, totp_secret,
                        disabled, created_at)
                    VALUES (7, 'ada', 'Ada@Example.org', 'ada@example.org', 'Ada', 'admin', 'h', 'SECRET', 0, ?),
                        (9, 'bob', 'bob@example.org', 'bob@example.org', 'Bob', 'member', 'h', NULL, 1, ?)
                    """,
                arguments: [created, created + 1000])
            try db.execute(
                sql: """
                    INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ('s1', 7, ?, ?);
                    INSERT INTO access_tokens (id, user_id, name, token_hash, created_at) VALUES (3, 9, 'ci', 't1', ?);
                    INSERT INTO recovery_codes (user_id, code_hash) VALUES (7, 'c1');
                    INSERT INTO votes (user_id, paper_rowid, created_at) VALUES (9, 1, ?);
                    UPDATE papers SET upvotes = 1 WHERE rowid = 1;
                    INSERT INTO comments (paper_rowid, user_id, text, created_at) VALUES (1, 7, 'Nice', ?);
                    INSERT INTO collections (id, user_id, name, description, is_public, created_at, updated_at)
                        VALUES ('abcdefghijkl', 9, 'Reading', '', 1, ?, ?);
                    """,
                arguments: [created, created, created, created, created, created, created])
        }

        try await store.migrate()
        #expect(try await store.appliedMigrations().contains("0005_mail"))
        let ada = try #require(try await store.account(id: 7))
        #expect(ada.username == "ada" && ada.email == "Ada@Example.org" && ada.role == .admin)
        #expect(ada.totpSecret == "SECRET" && !ada.disabled)
        #expect(ada.emailVerifiedAt == PaperRow.date(created))
        #expect(ada.createdAt == PaperRow.date(created))
        let bob = try #require(try await store.account(username: "bob"))
        #expect(bob.id == 9 && bob.disabled && bob.emailVerifiedAt == PaperRow.date(created + 1000))
        #expect(try await store.session(tokenHash: "s1")?.account == ada)
        #expect(try await store.token(hash: "t1")?.account == bob)
        #expect(try await store.recoveryCodeCount(accountID: 7) == 1)

        // Every uniqueness stays: the migrated addresses are verified.
        await #expect(throws: AccountConflict.email) {
            try await store.createAccount(
                NewAccount(
                    username: "cyd", email: "ADA@example.org", fullname: "Cyd", passwordHash: "h", createdAt: Self.t0))
        }
        await #expect(throws: AccountConflict.username) {
            try await store.createAccount(
                NewAccount(
                    username: "ada", email: "x@example.org", fullname: "A", passwordHash: "h", createdAt: Self.t0))
        }
        let cyd = try await store.createAccount(
            NewAccount(
                username: "cyd", email: "cyd@example.org", fullname: "Cyd", passwordHash: "h", createdAt: Self.t0))
        #expect(cyd.id == 10)

        try await store.pool.read { db in
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") == true)
            // The tables that referred to the old users table refer to the new one.
            for table in ["sessions", "access_tokens", "recovery_codes", "votes", "comments", "collections", "claims"] {
                let targets = try String.fetchAll(
                    db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [table])
                #expect(targets.contains("users"), "\(table)")
            }
            #expect(
                try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'users'")?.contains(
                    "users_new") == false)
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('users')")
            #expect(Set(indexes).isSuperset(of: ["users_by_email", "users_verified_email"]))
        }
        // Foreign keys are enforced against the new table.
        await #expect(throws: DatabaseError.self) {
            try await store.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ('x', 99, 0, 0)")
            }
        }
        // Deleting a migrated account still takes what refers to it.
        #expect(try await store.deleteAccount(id: 9))
        #expect(try await store.token(hash: "t1") == nil)
        let upvotes = try await store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT upvotes FROM papers WHERE rowid = 1")
        }
        #expect(upvotes == 0)
        let violations = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map(\.description)
        }
        #expect(violations == [])
    }

    @Test func twoStoresOnOneFileGiveOneClaimAndOneQuota() async throws {
        let first = try SQLiteStore.temporary()
        try await first.migrate()
        // A second process: its own connections to the same file.
        let second = try SQLiteStore(path: first.path)
        try await second.migrate()
        let ada = try await Self.subscriber(first, "ada@example.org")
        let day = try Self.period("2026-11-24")
        let winners = try await withThrowingTaskGroup(of: DigestLedgerEntry?.self) { group in
            for n in 0..<20 {
                let store = n % 2 == 0 ? first : second
                group.addTask {
                    try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "m\(n)", at: Self.t0)
                }
            }
            var won: [DigestLedgerEntry] = []
            for try await claim in group { if let claim { won.append(claim) } }
            return won
        }
        #expect(winners.count == 1)
        #expect(try await second.digestEntry(subscriptionID: ada.id, period: day) == winners.first)

        let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<12 {
                let store = n % 2 == 0 ? first : second
                group.addTask {
                    try await store.takeMailQuota(
                        address: "Ada@example.org", kind: "confirm", day: Day(Self.t0), limit: 3)
                }
            }
            var count = 0
            for try await took in group where took { count += 1 }
            return count
        }
        #expect(taken == 3)
    }

    @Test func aSendWalksSubscribersAndStuckClaimsThroughIndexes() async throws {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        let plans: [(sql: String, index: String)] = [
            (
                """
                SELECT id FROM subscriptions WHERE frequency = 'daily' AND confirmed_at IS NOT NULL
                    AND paused_at IS NULL AND id > 0 ORDER BY id LIMIT 100
                """,
                "subscriptions_active"
            ),
            (
                "SELECT id FROM digest_ledger WHERE state = 'sending' AND started_at < 5 ORDER BY started_at, id",
                "digest_ledger_sending"
            ),
            ("SELECT id FROM subscriptions WHERE confirmed_at IS NULL AND created_at < 5", "subscriptions_unconfirmed"),
            (
                "SELECT id FROM users u WHERE u.email_key = 'a' ORDER BY u.email_verified_at IS NULL, u.created_at",
                "users_by_email"
            ),
        ]
        try await store.pool.read { db in
            for (sql, index) in plans {
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql)
                    .map { row -> String in (try? row.decode(String.self, forColumn: "detail")) ?? "" }
                    .joined(separator: "; ")
                #expect(plan.contains(index), "\(sql): \(plan)")
                #expect(!plan.contains("SCAN subscriptions") && !plan.contains("SCAN digest_ledger"), "\(plan)")
            }
        }
    }
}
