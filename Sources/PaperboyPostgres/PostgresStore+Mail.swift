import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// Digest subscriptions, the mail quota and the send ledger (migration 0005). Several nodes share the database (two
// `paperboy digest send` at once, web nodes): what must happen once rests on a unique key (a subscription per
// address, a ledger row per subscription and period, a quota row per address, kind and day) or on the row lock one
// statement takes, never on a read followed by a write. An UPDATE whose WHERE no longer holds once the row it waited
// for is committed changes nothing (READ COMMITTED checks it again on the newest row), so that of two callers at once
// only one confirms a nonce, ends a claim or takes the last mail of a quota.
//
// Transactions that write both tables lock ledger rows before their subscription (`finishDigest`,
// `deleteSubscription`), so that they never wait for each other in a cycle.

extension PostgresStore: SubscriptionStore {
    /// One upsert on the unique `email_key`: of two requests for a new address at once, the second updates the row
    /// the first inserted, as if it had come after it.
    public func requestSubscription(email: String, settings: SubscriptionSettings, nonce: String, at: Date)
        async throws -> Subscription
    {
        let topic = PostgresSubscriptionRow.values(settings)
        let row = try await client.first(
            // A confirmed subscription keeps its settings; the change waits for its own confirmation (`pending_*`).
            // An unconfirmed one is asked for again: the new request replaces it, and its age starts again, so that
            // the newest link works for its whole lifetime before the purge.
            """
            INSERT INTO subscriptions AS s (email, email_key, frequency, query, categories, confirm_nonce, created_at)
            VALUES (\(email), \(MailAddress.key(email)), \(topic.frequency), \(topic.query), \(topic.categories),
                \(nonce), \(PostgresPaperRow.millis(at)))
            ON CONFLICT (email_key) DO UPDATE SET
                email = CASE WHEN s.confirmed_at IS NULL THEN excluded.email ELSE s.email END,
                frequency = CASE WHEN s.confirmed_at IS NULL THEN excluded.frequency ELSE s.frequency END,
                query = CASE WHEN s.confirmed_at IS NULL THEN excluded.query ELSE s.query END,
                categories = CASE WHEN s.confirmed_at IS NULL THEN excluded.categories ELSE s.categories END,
                pending_frequency = CASE WHEN s.confirmed_at IS NULL THEN s.pending_frequency
                    ELSE excluded.frequency END,
                pending_query = CASE WHEN s.confirmed_at IS NULL THEN s.pending_query ELSE excluded.query END,
                pending_categories = CASE WHEN s.confirmed_at IS NULL THEN s.pending_categories
                    ELSE excluded.categories END,
                confirm_nonce = excluded.confirm_nonce,
                created_at = CASE WHEN s.confirmed_at IS NULL THEN excluded.created_at ELSE s.created_at END
            RETURNING \(unescaped: PostgresSubscriptionRow.columns)
            """, logger: logger, PostgresSubscriptionRow.subscription)
        guard let row else { throw StoredRowError(description: "the subscription of \(email) cannot be read back") }
        return row
    }

    public func confirmSubscription(id: Int64, nonce: String, at: Date) async throws -> Subscription? {
        // The nonce is checked by the UPDATE itself: a second confirmation waiting for the first finds it used up.
        try await client.first(
            """
            UPDATE subscriptions SET
                confirmed_at = coalesce(confirmed_at, \(PostgresPaperRow.millis(at))),
                frequency = coalesce(pending_frequency, frequency),
                query = CASE WHEN pending_frequency IS NULL THEN query ELSE pending_query END,
                categories = coalesce(pending_categories, categories),
                pending_frequency = NULL, pending_query = NULL, pending_categories = NULL,
                confirm_nonce = NULL, failures = 0, paused_at = NULL
            WHERE id = \(id) AND confirm_nonce = \(nonce)
            RETURNING \(unescaped: PostgresSubscriptionRow.columns)
            """, logger: logger, PostgresSubscriptionRow.subscription)
    }

    public func subscription(id: Int64) async throws -> Subscription? {
        try await client.first(
            "SELECT \(unescaped: PostgresSubscriptionRow.columns) FROM subscriptions WHERE id = \(id)", logger: logger,
            PostgresSubscriptionRow.subscription)
    }

    public func subscription(email: String) async throws -> Subscription? {
        try await client.first(
            """
            SELECT \(unescaped: PostgresSubscriptionRow.columns) FROM subscriptions
            WHERE email_key = \(MailAddress.key(email))
            """, logger: logger, PostgresSubscriptionRow.subscription)
    }

    public func updateSubscription(id: Int64, settings: SubscriptionSettings) async throws -> Subscription? {
        let topic = PostgresSubscriptionRow.values(settings)
        // The link of a dropped pending change confirms nothing any more.
        return try await client.first(
            """
            UPDATE subscriptions SET frequency = \(topic.frequency), query = \(topic.query),
                categories = \(topic.categories),
                pending_frequency = NULL, pending_query = NULL, pending_categories = NULL, confirm_nonce = NULL
            WHERE id = \(id) AND confirmed_at IS NOT NULL
            RETURNING \(unescaped: PostgresSubscriptionRow.columns)
            """, logger: logger, PostgresSubscriptionRow.subscription)
    }

    public func deleteSubscription(id: Int64) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            // The foreign key cascades too; the ledger rows go first so that their locks are taken before the
            // subscription's, in the order `finishDigest` takes them.
            try await connection.execute("DELETE FROM digest_ledger WHERE subscription_id = \(id)", logger: logger)
            return try await connection.count(
                "WITH gone AS (DELETE FROM subscriptions WHERE id = \(id) RETURNING 1) SELECT count(*) FROM gone",
                logger: logger) == 1
        }
    }

    public func activeSubscriptions(frequency: DigestFrequency, after id: Int64, limit: Int) async throws
        -> [Subscription]
    {
        guard limit > 0 else { return [] }
        // The partial index subscriptions_active serves this walk.
        return try await client.all(
            """
            SELECT \(unescaped: PostgresSubscriptionRow.columns) FROM subscriptions
            WHERE frequency = \(frequency.rawValue) AND confirmed_at IS NOT NULL AND paused_at IS NULL AND id > \(id)
            ORDER BY id LIMIT \(limit)
            """, logger: logger, PostgresSubscriptionRow.subscription)
    }

    @discardableResult
    public func purgeUnconfirmedSubscriptions(createdBefore before: Date) async throws -> Int {
        let cutoff = PostgresPaperRow.millis(before)
        let logger = logger
        return try await transaction { connection in
            try await connection.execute(
                """
                DELETE FROM digest_ledger WHERE subscription_id IN
                    (SELECT id FROM subscriptions WHERE confirmed_at IS NULL AND created_at < \(cutoff))
                """, logger: logger)
            return try await connection.count(
                """
                WITH gone AS (
                    DELETE FROM subscriptions WHERE confirmed_at IS NULL AND created_at < \(cutoff) RETURNING 1
                )
                SELECT count(*) FROM gone
                """, logger: logger)
        }
    }

    /// One statement. The upsert's row lock makes the take atomic: a caller waiting for another's take sees its
    /// count before adding one, so that the quota is never overspent. Counts from before yesterday are deleted on
    /// the way (yesterday's stay for a node whose clock lags), rows another caller is deleting passed over, so that
    /// callers never wait for each other over old rows.
    public func takeMailQuota(address: String, kind: String, day: Day, limit: Int) async throws -> Bool {
        guard limit > 0 else { return false }
        return try await client.first(
            """
            WITH expired AS (
                DELETE FROM mail_quota WHERE (address_key, kind, day) IN (
                    SELECT address_key, kind, day FROM mail_quota WHERE day < \(day.adding(days: -1).description)
                    FOR UPDATE SKIP LOCKED
                )
            )
            INSERT INTO mail_quota AS q (address_key, kind, day, count)
            VALUES (\(MailAddress.key(address)), \(kind), \(day.description), 1)
            ON CONFLICT (address_key, kind, day) DO UPDATE SET count = q.count + 1 WHERE q.count < \(limit)
            RETURNING 1
            """, logger: logger, { _ in () }) != nil
    }
}

extension PostgresStore: DigestLedgerStore {
    /// The unique key (subscription_id, frequency, period_start) makes the claim: of two senders on any nodes, the
    /// second inserts nothing (it waits for the first's insert to commit, then finds the row). A row already there,
    /// whatever its state, refuses the claim; a stuck `sending` row stays until it is released (``releaseDigest(id:)``).
    public func claimDigest(subscriptionID: Int64, period: DigestPeriod, messageID: String, at: Date) async throws
        -> DigestLedgerEntry?
    {
        do {
            return try await client.first(
                """
                INSERT INTO digest_ledger (subscription_id, email, frequency, period_start, state, message_id,
                    started_at)
                SELECT id, email, \(period.frequency.rawValue), \(period.start.description), 'sending', \(messageID),
                    \(PostgresPaperRow.millis(at))
                FROM subscriptions WHERE id = \(subscriptionID)
                ON CONFLICT (subscription_id, frequency, period_start) DO NOTHING
                RETURNING \(unescaped: PostgresLedgerRow.columns)
                """, logger: logger, PostgresLedgerRow.entry)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            // The subscription was deleted between the statement's read and its insert: nothing to claim.
            return nil
        }
    }

    @discardableResult
    public func finishDigest(id: Int64, state: DigestState, detail: String?, at: Date, pauseAfter: Int) async throws
        -> Bool
    {
        // A claim ends sent, empty or failed; `sending` is no end (nothing changes).
        guard state != .sending else { return false }
        let millis = PostgresPaperRow.millis(at)
        let logger = logger
        return try await transaction { connection in
            // Of two ends of one claim at once, the second waits for the first and then finds no `sending` row.
            let ended = try await connection.scalar(
                """
                UPDATE digest_ledger SET state = \(state.rawValue), detail = \(detail), finished_at = \(millis)
                WHERE id = \(id) AND state = 'sending'
                RETURNING subscription_id
                """, as: Int64.self, logger: logger)
            guard let subscription = ended else { return false }
            switch state {
            case .sent:
                try await connection.execute(
                    "UPDATE subscriptions SET failures = 0 WHERE id = \(subscription)", logger: logger)
            case .failed:
                try await connection.execute(
                    """
                    UPDATE subscriptions SET failures = failures + 1,
                        paused_at = CASE WHEN paused_at IS NULL AND failures + 1 >= \(pauseAfter) THEN \(millis)
                            ELSE paused_at END
                    WHERE id = \(subscription)
                    """, logger: logger)
            case .empty, .sending:
                break
            }
            return true
        }
    }

    @discardableResult
    public func releaseDigest(id: Int64) async throws -> Bool {
        try await client.first(
            "DELETE FROM digest_ledger WHERE id = \(id) AND state = 'sending' RETURNING 1", logger: logger, { _ in () }
        ) != nil
    }

    public func stuckDigests(claimedBefore before: Date, limit: Int) async throws -> [DigestLedgerEntry] {
        guard limit > 0 else { return [] }
        // The partial index digest_ledger_sending serves this.
        return try await client.all(
            """
            SELECT \(unescaped: PostgresLedgerRow.columns) FROM digest_ledger
            WHERE state = 'sending' AND started_at < \(PostgresPaperRow.millis(before))
            ORDER BY started_at, id LIMIT \(limit)
            """, logger: logger, PostgresLedgerRow.entry)
    }

    public func digestEntry(subscriptionID: Int64, period: DigestPeriod) async throws -> DigestLedgerEntry? {
        try await client.first(
            """
            SELECT \(unescaped: PostgresLedgerRow.columns) FROM digest_ledger
            WHERE subscription_id = \(subscriptionID) AND frequency = \(period.frequency.rawValue)
                AND period_start = \(period.start.description)
            """, logger: logger, PostgresLedgerRow.entry)
    }

    public func digestCounts(period: DigestPeriod) async throws -> [DigestState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: DigestState.allCases.map { ($0, 0) })
        let rows = try await client.all(
            """
            SELECT state, count(*) FROM digest_ledger
            WHERE frequency = \(period.frequency.rawValue) AND period_start = \(period.start.description)
            GROUP BY state
            """, logger: logger
        ) { try $0.decode((String, Int64).self) }
        for (name, count) in rows {
            guard let state = DigestState(rawValue: name) else {
                throw StoredRowError(description: "unknown state “\(name)” in digest_ledger")
            }
            counts[state] = Int(count)
        }
        return counts
    }

    public func markDigestRunComplete(period: DigestPeriod, at: Date) async throws {
        try await client.execute(
            """
            INSERT INTO digest_runs (frequency, period_start, completed_at)
            VALUES (\(period.frequency.rawValue), \(period.start.description), \(PostgresPaperRow.millis(at)))
            ON CONFLICT (frequency, period_start) DO NOTHING
            """, logger: logger)
    }

    public func digestRunComplete(period: DigestPeriod) async throws -> Bool {
        try await client.scalar(
            """
            SELECT EXISTS (
                SELECT 1 FROM digest_runs
                WHERE frequency = \(period.frequency.rawValue) AND period_start = \(period.start.description)
            )
            """, as: Bool.self, logger: logger) ?? false
    }
}

/// A subscription read from `subscriptions`.
enum PostgresSubscriptionRow {
    static let columns = """
        id, email, frequency, query, categories, pending_frequency, pending_query, pending_categories, confirm_nonce, \
        confirmed_at, created_at, failures, paused_at
        """

    /// The stored forms of settings: frequency, query, categories (space-separated).
    static func values(_ settings: SubscriptionSettings) -> (frequency: String, query: String?, categories: String) {
        (settings.frequency.rawValue, settings.topic.query, settings.topic.categories.joined(separator: " "))
    }

    /// Decodes a row selected with ``columns``.
    static func subscription(_ row: PostgresRow) throws -> Subscription {
        let r = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T {
            try r[name].decode(T.self)
        }
        let id: Int64 = try value("id")
        let pendingFrequency: String? = try value("pending_frequency")
        let pendingQuery: String? = try value("pending_query")
        let pendingCategories: String? = try value("pending_categories")
        let confirmed: Int64? = try value("confirmed_at")
        let paused: Int64? = try value("paused_at")
        return Subscription(
            id: id, email: try value("email"),
            settings: try SubscriptionSettings.stored(
                id: id, frequency: try value("frequency"), query: try value("query"),
                categories: try value("categories")),
            pending: try pendingFrequency.map { frequency in
                try SubscriptionSettings.stored(
                    id: id, frequency: frequency, query: pendingQuery, categories: pendingCategories ?? "")
            },
            confirmNonce: try value("confirm_nonce"), confirmedAt: confirmed.map(Millis.date),
            createdAt: Millis.date(try value("created_at")), failures: try value("failures"),
            pausedAt: paused.map(Millis.date))
    }
}

/// A send ledger row read from `digest_ledger`.
enum PostgresLedgerRow {
    static let columns = """
        id, subscription_id, email, frequency, period_start, state, message_id, started_at, finished_at, detail
        """

    /// Decodes a row selected with ``columns``.
    static func entry(_ row: PostgresRow) throws -> DigestLedgerEntry {
        let r = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T {
            try r[name].decode(T.self)
        }
        let id: Int64 = try value("id")
        let frequencyName: String = try value("frequency")
        let startText: String = try value("period_start")
        let stateName: String = try value("state")
        guard let frequency = DigestFrequency(rawValue: frequencyName), let start = Day(iso: startText),
            let period = DigestPeriod(frequency, containing: start), period.start == start
        else {
            throw StoredRowError(description: "digest ledger row \(id) names no period: \(frequencyName) \(startText)")
        }
        guard let state = DigestState(rawValue: stateName) else {
            throw StoredRowError(description: "unknown state “\(stateName)” in digest ledger row \(id)")
        }
        let finished: Int64? = try value("finished_at")
        return DigestLedgerEntry(
            id: id, subscriptionID: try value("subscription_id"), email: try value("email"), period: period,
            state: state, messageID: try value("message_id"), startedAt: Millis.date(try value("started_at")),
            finishedAt: finished.map(Millis.date), detail: try value("detail"))
    }
}
