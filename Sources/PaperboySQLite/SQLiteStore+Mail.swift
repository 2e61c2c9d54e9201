import Foundation
import GRDB
import PaperboyCore

// Digest subscriptions, the mail quota and the send ledger (migration 0005). Each change is one write transaction.
// Several processes may share the file (two `paperboy digest send` at once, web nodes): what must happen once rests on
// a unique key (a ledger row per subscription and period, a quota row per address, kind and day), never on a read
// followed by a write.

extension SQLiteStore {
    public func requestSubscription(email: String, settings: SubscriptionSettings, nonce: String, at: Date)
        async throws -> Subscription
    {
        try await pool.write { db in
            let key = MailAddress.key(email)
            let stored = try SubscriptionRow.fetchOne(db, where: "email_key = ?", [key])
            let topic = SubscriptionRow.arguments(settings)
            if let stored, stored.confirmedAt != nil {
                // A confirmed subscription keeps its settings; the change waits for its own confirmation.
                try db.execute(
                    sql: """
                        UPDATE subscriptions SET pending_frequency = ?, pending_query = ?, pending_categories = ?,
                            confirm_nonce = ?
                        WHERE id = ?
                        """,
                    arguments: topic + [nonce, stored.id])
            } else if let stored {
                // An unconfirmed one is asked for again: the new request replaces it, and its age starts again, so
                // that the newest link works for its whole lifetime before the purge.
                try db.execute(
                    sql: """
                        UPDATE subscriptions SET email = ?, frequency = ?, query = ?, categories = ?,
                            confirm_nonce = ?, created_at = ?
                        WHERE id = ?
                        """,
                    arguments: [email] + topic + [nonce, PaperRow.millis(at), stored.id])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO subscriptions (email, email_key, frequency, query, categories, confirm_nonce,
                            created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [email, key] + topic + [nonce, PaperRow.millis(at)])
            }
            guard let subscription = try SubscriptionRow.fetchOne(db, where: "email_key = ?", [key]) else {
                throw StoredRowError(description: "the subscription of \(email) cannot be read back")
            }
            return subscription
        }
    }

    public func confirmSubscription(id: Int64, nonce: String, at: Date) async throws -> Subscription? {
        try await pool.write { db in
            guard try SubscriptionRow.fetchOne(db, where: "id = ? AND confirm_nonce = ?", [id, nonce]) != nil else {
                return nil
            }
            try db.execute(
                sql: """
                    UPDATE subscriptions SET
                        confirmed_at = coalesce(confirmed_at, ?),
                        frequency = coalesce(pending_frequency, frequency),
                        query = CASE WHEN pending_frequency IS NULL THEN query ELSE pending_query END,
                        categories = coalesce(pending_categories, categories),
                        pending_frequency = NULL, pending_query = NULL, pending_categories = NULL,
                        confirm_nonce = NULL, failures = 0, paused_at = NULL
                    WHERE id = ?
                    """,
                arguments: [PaperRow.millis(at), id])
            return try SubscriptionRow.fetchOne(db, where: "id = ?", [id])
        }
    }

    public func subscription(id: Int64) async throws -> Subscription? {
        try await pool.read { db in try SubscriptionRow.fetchOne(db, where: "id = ?", [id]) }
    }

    public func subscription(email: String) async throws -> Subscription? {
        try await pool.read { db in try SubscriptionRow.fetchOne(db, where: "email_key = ?", [MailAddress.key(email)]) }
    }

    public func updateSubscription(id: Int64, settings: SubscriptionSettings) async throws -> Subscription? {
        try await pool.write { db in
            // The link of a dropped pending change confirms nothing any more.
            try db.execute(
                sql: """
                    UPDATE subscriptions SET frequency = ?, query = ?, categories = ?,
                        pending_frequency = NULL, pending_query = NULL, pending_categories = NULL, confirm_nonce = NULL
                    WHERE id = ? AND confirmed_at IS NOT NULL
                    """,
                arguments: SubscriptionRow.arguments(settings) + [id])
            guard db.changesCount == 1 else { return nil }
            return try SubscriptionRow.fetchOne(db, where: "id = ?", [id])
        }
    }

    public func deleteSubscription(id: Int64) async throws -> Bool {
        try await pool.write { db in
            // The foreign key cascades too; the ledger rows go here whatever the connection's foreign key setting.
            try db.execute(sql: "DELETE FROM digest_ledger WHERE subscription_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM subscriptions WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func activeSubscriptions(frequency: DigestFrequency, after id: Int64, limit: Int) async throws
        -> [Subscription]
    {
        guard limit > 0 else { return [] }
        return try await pool.read { db in
            // The partial index subscriptions_active serves this walk.
            try SubscriptionRow.fetchAll(
                db,
                where: """
                    frequency = ? AND confirmed_at IS NOT NULL AND paused_at IS NULL AND id > ? ORDER BY id LIMIT ?
                    """,
                [frequency.rawValue, id, limit])
        }
    }

    @discardableResult
    public func purgeUnconfirmedSubscriptions(createdBefore before: Date) async throws -> Int {
        try await pool.write { db in
            let cutoff = PaperRow.millis(before)
            try db.execute(
                sql: """
                    DELETE FROM digest_ledger WHERE subscription_id IN
                        (SELECT id FROM subscriptions WHERE confirmed_at IS NULL AND created_at < ?)
                    """,
                arguments: [cutoff])
            try db.execute(
                sql: "DELETE FROM subscriptions WHERE confirmed_at IS NULL AND created_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    public func takeMailQuota(address: String, kind: String, day: Day, limit: Int) async throws -> Bool {
        guard limit > 0 else { return false }
        return try await pool.write { db in
            // Counts from before yesterday are of no use any more (yesterday's stays for a node whose clock lags).
            try db.execute(sql: "DELETE FROM mail_quota WHERE day < ?", arguments: [day.adding(days: -1).description])
            try db.execute(
                sql: """
                    INSERT INTO mail_quota (address_key, kind, day, count) VALUES (?, ?, ?, 1)
                    ON CONFLICT (address_key, kind, day) DO UPDATE SET count = count + 1 WHERE count < ?
                    """,
                arguments: [MailAddress.key(address), kind, day.description, limit])
            return db.changesCount == 1
        }
    }
}

extension SQLiteStore {
    public func claimDigest(subscriptionID: Int64, period: DigestPeriod, messageID: String, at: Date) async throws
        -> DigestLedgerEntry?
    {
        try await pool.write { db in
            // The unique key (subscription_id, frequency, period_start) makes the claim: of two senders, in this
            // process or another, the second inserts nothing.
            try db.execute(
                sql: """
                    INSERT INTO digest_ledger (subscription_id, email, frequency, period_start, state, message_id,
                        started_at)
                    SELECT id, email, ?, ?, 'sending', ?, ? FROM subscriptions WHERE id = ?
                    ON CONFLICT (subscription_id, frequency, period_start) DO NOTHING
                    """,
                arguments: [
                    period.frequency.rawValue, period.start.description, messageID, PaperRow.millis(at),
                    subscriptionID,
                ])
            guard db.changesCount == 1 else { return nil }
            return try LedgerRow.fetchOne(db, where: "id = ?", [db.lastInsertedRowID])
        }
    }

    @discardableResult
    public func finishDigest(id: Int64, state: DigestState, detail: String?, at: Date, pauseAfter: Int) async throws
        -> Bool
    {
        // A claim ends sent, empty or failed; `sending` is no end (nothing changes).
        guard state != .sending else { return false }
        return try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE digest_ledger SET state = ?, detail = ?, finished_at = ? WHERE id = ? AND state = 'sending'
                    """,
                arguments: [state.rawValue, detail, PaperRow.millis(at), id])
            guard db.changesCount == 1 else { return false }
            let subscription = "(SELECT subscription_id FROM digest_ledger WHERE id = ?)"
            switch state {
            case .sent:
                try db.execute(
                    sql: "UPDATE subscriptions SET failures = 0 WHERE id = \(subscription)", arguments: [id])
            case .failed:
                try db.execute(
                    sql: """
                        UPDATE subscriptions SET failures = failures + 1,
                            paused_at = CASE WHEN paused_at IS NULL AND failures + 1 >= ? THEN ? ELSE paused_at END
                        WHERE id = \(subscription)
                        """,
                    arguments: [pauseAfter, PaperRow.millis(at), id])
            case .empty, .sending:
                break
            }
            return true
        }
    }

    @discardableResult
    public func releaseDigest(id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM digest_ledger WHERE id = ? AND state = 'sending'", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func stuckDigests(claimedBefore before: Date, limit: Int) async throws -> [DigestLedgerEntry] {
        guard limit > 0 else { return [] }
        return try await pool.read { db in
            try LedgerRow.fetchAll(
                db, where: "state = 'sending' AND started_at < ? ORDER BY started_at, id LIMIT ?",
                [PaperRow.millis(before), limit])
        }
    }

    public func digestEntry(subscriptionID: Int64, period: DigestPeriod) async throws -> DigestLedgerEntry? {
        try await pool.read { db in
            try LedgerRow.fetchAll(
                db, where: "subscription_id = ? AND frequency = ? AND period_start = ?",
                [subscriptionID, period.frequency.rawValue, period.start.description]
            ).first
        }
    }

    public func digestCounts(period: DigestPeriod) async throws -> [DigestState: Int] {
        try await pool.read { db in
            var counts = Dictionary(uniqueKeysWithValues: DigestState.allCases.map { ($0, 0) })
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT state, count(*) FROM digest_ledger WHERE frequency = ? AND period_start = ? GROUP BY state
                    """,
                arguments: [period.frequency.rawValue, period.start.description])
            for row in rows {
                let name: String = try row.decode(atIndex: 0)
                guard let state = DigestState(rawValue: name) else {
                    throw StoredRowError(description: "unknown state “\(name)” in digest_ledger")
                }
                counts[state] = try row.decode(atIndex: 1)
            }
            return counts
        }
    }

    public func markDigestRunComplete(period: DigestPeriod, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO digest_runs (frequency, period_start, completed_at) VALUES (?, ?, ?)
                    ON CONFLICT (frequency, period_start) DO NOTHING
                    """,
                arguments: [period.frequency.rawValue, period.start.description, PaperRow.millis(at)])
        }
    }

    public func digestRunComplete(period: DigestPeriod) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM digest_runs WHERE frequency = ? AND period_start = ?",
                arguments: [period.frequency.rawValue, period.start.description]) ?? false
        }
    }
}

/// A subscription read from `subscriptions`.
enum SubscriptionRow {
    static let columns = """
        id, email, frequency, query, categories, pending_frequency, pending_query, pending_categories, confirm_nonce, \
        confirmed_at, created_at, failures, paused_at
        """

    /// frequency, query, categories.
    static func arguments(_ settings: SubscriptionSettings) -> StatementArguments {
        [settings.frequency.rawValue, settings.topic.query, settings.topic.categories.joined(separator: " ")]
    }

    static func fetchOne(_ db: Database, where condition: String, _ arguments: StatementArguments) throws
        -> Subscription?
    {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM subscriptions WHERE \(condition)", arguments: arguments)
            .map(subscription)
    }

    static func fetchAll(_ db: Database, where condition: String, _ arguments: StatementArguments) throws
        -> [Subscription]
    {
        try Row.fetchAll(db, sql: "SELECT \(columns) FROM subscriptions WHERE \(condition)", arguments: arguments)
            .map(subscription)
    }

    static func subscription(_ row: Row) throws -> Subscription {
        let id: Int64 = try row.decode(forColumn: "id")
        let pendingFrequency: String? = try row.decode(forColumn: "pending_frequency")
        let confirmed: Int64? = try row.decode(forColumn: "confirmed_at")
        let paused: Int64? = try row.decode(forColumn: "paused_at")
        let pendingQuery: String? = try row.decode(forColumn: "pending_query")
        let pendingCategories: String? = try row.decode(forColumn: "pending_categories")
        return Subscription(
            id: id, email: try row.decode(forColumn: "email"),
            settings: try SubscriptionSettings.stored(
                id: id, frequency: try row.decode(forColumn: "frequency"), query: try row.decode(forColumn: "query"),
                categories: try row.decode(forColumn: "categories")),
            pending: try pendingFrequency.map { frequency in
                try SubscriptionSettings.stored(
                    id: id, frequency: frequency, query: pendingQuery, categories: pendingCategories ?? "")
            },
            confirmNonce: try row.decode(forColumn: "confirm_nonce"), confirmedAt: confirmed.map(PaperRow.date),
            createdAt: PaperRow.date(try row.decode(forColumn: "created_at")),
            failures: try row.decode(forColumn: "failures"), pausedAt: paused.map(PaperRow.date))
    }
}

/// A send ledger row read from `digest_ledger`.
enum LedgerRow {
    static let columns = """
        id, subscription_id, email, frequency, period_start, state, message_id, started_at, finished_at, detail
        """

    static func fetchOne(_ db: Database, where condition: String, _ arguments: StatementArguments) throws
        -> DigestLedgerEntry?
    {
        try fetchAll(db, where: condition, arguments).first
    }

    static func fetchAll(_ db: Database, where condition: String, _ arguments: StatementArguments) throws
        -> [DigestLedgerEntry]
    {
        try Row.fetchAll(db, sql: "SELECT \(columns) FROM digest_ledger WHERE \(condition)", arguments: arguments)
            .map(entry)
    }

    static func entry(_ row: Row) throws -> DigestLedgerEntry {
        let id: Int64 = try row.decode(forColumn: "id")
        let frequencyName: String = try row.decode(forColumn: "frequency")
        let startText: String = try row.decode(forColumn: "period_start")
        let stateName: String = try row.decode(forColumn: "state")
        guard let frequency = DigestFrequency(rawValue: frequencyName), let start = Day(iso: startText),
            let period = DigestPeriod(frequency, containing: start), period.start == start
        else {
            throw StoredRowError(description: "digest ledger row \(id) names no period: \(frequencyName) \(startText)")
        }
        guard let state = DigestState(rawValue: stateName) else {
            throw StoredRowError(description: "unknown state “\(stateName)” in digest ledger row \(id)")
        }
        let finished: Int64? = try row.decode(forColumn: "finished_at")
        return DigestLedgerEntry(
            id: id, subscriptionID: try row.decode(forColumn: "subscription_id"),
            email: try row.decode(forColumn: "email"), period: period, state: state,
            messageID: try row.decode(forColumn: "message_id"),
            startedAt: PaperRow.date(try row.decode(forColumn: "started_at")), finishedAt: finished.map(PaperRow.date),
            detail: try row.decode(forColumn: "detail"))
    }
}
