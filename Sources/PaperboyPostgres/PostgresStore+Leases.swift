import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// Job leases and failed sign-ins (migration 0009): what the nodes of one database share beyond the data.

extension PostgresStore: JobLeaseStore {
    /// One statement. The upsert locks the lease's row: of takers at once, the first takes a free lease and the others,
    /// waiting for its commit, then find it held (their `WHERE` fails) and return no row.
    public func takeLease(job: String, holder: String, at: Date, until: Date) async throws -> Bool {
        let at = PostgresPaperRow.millis(at)
        return try await client.first(
            """
            INSERT INTO job_leases AS l (job, holder, taken_at, expires_at)
            VALUES (\(job), \(holder), \(at), \(PostgresPaperRow.millis(until)))
            ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
                taken_at = CASE WHEN l.holder = excluded.holder AND l.expires_at > excluded.taken_at
                    THEN l.taken_at ELSE excluded.taken_at END
            WHERE l.holder = excluded.holder OR l.expires_at <= excluded.taken_at
            RETURNING 1
            """, logger: logger, { _ in () }) != nil
    }

    @discardableResult
    public func releaseLease(job: String, holder: String) async throws -> Bool {
        try await client.first(
            "DELETE FROM job_leases WHERE job = \(job) AND holder = \(holder) RETURNING 1", logger: logger, { _ in () }
        ) != nil
    }

    public func lease(job: String, at: Date) async throws -> JobLease? {
        try await client.first(
            """
            SELECT holder, taken_at, expires_at FROM job_leases
            WHERE job = \(job) AND expires_at > \(PostgresPaperRow.millis(at))
            """, logger: logger
        ) { row in
            let (holder, taken, expires) = try row.decode((String, Int64, Int64).self)
            return JobLease(job: job, holder: holder, takenAt: Millis.date(taken), expiresAt: Millis.date(expires))
        }
    }
}

extension PostgresStore: FailureLimitStore {
    /// The subject's row is made or locked by an upsert (so that failures counted at once on several nodes wait for
    /// each other and all count), updated, and committed. Stale rows of other subjects are then deleted by one
    /// statement that passes over rows others hold.
    public func recordFailure(bucket: String, subject: String, at: Date, limit: FailureLimit) async throws -> Date? {
        let now = PostgresPaperRow.millis(at)
        let logger = logger
        let blocked = try await transaction { connection -> Int64? in
            let stored = try await connection.first(
                """
                INSERT INTO failure_limits AS f (bucket, subject, failures, strikes, last_failure)
                VALUES (\(bucket), \(subject), '{}', 0, \(now))
                ON CONFLICT (bucket, subject) DO UPDATE SET strikes = f.strikes
                RETURNING failures, blocked_until, strikes, last_failure, xmax = 0
                """, logger: logger
            ) { row in
                let (failures, blockedUntil, strikes, last, inserted) = try row.decode(
                    ([Int64], Int64?, Int, Int64, Bool).self)
                return FailureRecord(
                    failures: failures, blockedUntil: blockedUntil, strikes: strikes,
                    lastFailure: inserted ? nil : last)
            }
            var record = stored ?? FailureRecord()
            record.fail(at: now, limit)
            try await connection.execute(
                """
                UPDATE failure_limits SET failures = \(record.failures), blocked_until = \(record.blockedUntil),
                    strikes = \(record.strikes), last_failure = \(now)
                WHERE bucket = \(bucket) AND subject = \(subject)
                """, logger: logger)
            return record.blocked(at: now)
        }
        let cutoff = now - Millis.of(limit.forgetAfter)
        try await client.execute(
            """
            DELETE FROM failure_limits WHERE (bucket, subject) IN (
                SELECT bucket, subject FROM failure_limits
                WHERE last_failure <= \(cutoff) AND (blocked_until IS NULL OR blocked_until <= \(now))
                LIMIT 1000 FOR UPDATE SKIP LOCKED
            )
            """, logger: logger)
        return blocked.map(Millis.date)
    }

    public func failureBlock(bucket: String, subject: String, at: Date) async throws -> Date? {
        try await client.scalar(
            """
            SELECT blocked_until FROM failure_limits
            WHERE bucket = \(bucket) AND subject = \(subject) AND blocked_until > \(PostgresPaperRow.millis(at))
            """, as: Int64.self, logger: logger
        ).map(Millis.date)
    }

    public func clearFailures(bucket: String, subject: String) async throws {
        try await client.execute(
            "DELETE FROM failure_limits WHERE bucket = \(bucket) AND subject = \(subject)", logger: logger)
    }
}
