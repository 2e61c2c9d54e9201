import Foundation
import GRDB
import PaperboyCore

// Job leases and failed sign-ins (migration 0009): what several processes of one database share beyond the data.
// Each change is one write transaction, and SQLite runs one at a time: a take or a count never interleaves with
// another.

extension SQLiteStore {
    public func takeLease(job: String, holder: String, at: Date, until: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO job_leases (job, holder, taken_at, expires_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
                        taken_at = CASE WHEN holder = excluded.holder AND expires_at > excluded.taken_at
                            THEN taken_at ELSE excluded.taken_at END
                    WHERE holder = excluded.holder OR expires_at <= excluded.taken_at
                    """,
                arguments: [job, holder, PaperRow.millis(at), PaperRow.millis(until)])
            return db.changesCount == 1
        }
    }

    @discardableResult
    public func releaseLease(job: String, holder: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM job_leases WHERE job = ? AND holder = ?", arguments: [job, holder])
            return db.changesCount == 1
        }
    }

    public func lease(job: String, at: Date) async throws -> JobLease? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT holder, taken_at, expires_at FROM job_leases WHERE job = ? AND expires_at > ?",
                    arguments: [job, PaperRow.millis(at)])
            else { return nil }
            return JobLease(
                job: job, holder: try row.decode(atIndex: 0), takenAt: Millis.date(try row.decode(atIndex: 1)),
                expiresAt: Millis.date(try row.decode(atIndex: 2)))
        }
    }
}

extension SQLiteStore {
    /// Reads the subject's record, counts the failure (``FailureRecord/fail(at:_:)``) and writes it back, in one write
    /// transaction; records of other subjects that mean nothing any more are deleted on the way.
    public func recordFailure(bucket: String, subject: String, at: Date, limit: FailureLimit) async throws -> Date? {
        let now = PaperRow.millis(at)
        return try await pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM failure_limits
                    WHERE last_failure <= ? AND (blocked_until IS NULL OR blocked_until <= ?)
                        AND NOT (bucket = ? AND subject = ?)
                    """,
                arguments: [now - Millis.of(limit.forgetAfter), now, bucket, subject])
            var record = FailureRecord()
            if let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT failures, blocked_until, strikes, last_failure FROM failure_limits
                    WHERE bucket = ? AND subject = ?
                    """,
                arguments: [bucket, subject])
            {
                let failures: String = try row.decode(atIndex: 0)
                record = FailureRecord(
                    failures: failures.split(separator: ",").compactMap { Int64($0) },
                    blockedUntil: try row.decode(atIndex: 1), strikes: try row.decode(atIndex: 2),
                    lastFailure: try row.decode(atIndex: 3))
            }
            record.fail(at: now, limit)
            try db.execute(
                sql: """
                    INSERT INTO failure_limits (bucket, subject, failures, blocked_until, strikes, last_failure)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (bucket, subject) DO UPDATE SET failures = excluded.failures,
                        blocked_until = excluded.blocked_until, strikes = excluded.strikes,
                        last_failure = excluded.last_failure
                    """,
                arguments: [
                    bucket, subject, record.failures.map(String.init).joined(separator: ","), record.blockedUntil,
                    record.strikes, now,
                ])
            return record.blocked(at: now).map(Millis.date)
        }
    }

    public func failureBlock(bucket: String, subject: String, at: Date) async throws -> Date? {
        try await pool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT blocked_until FROM failure_limits
                    WHERE bucket = ? AND subject = ? AND blocked_until > ?
                    """,
                arguments: [bucket, subject, PaperRow.millis(at)])
        }.map(Millis.date)
    }

    public func clearFailures(bucket: String, subject: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM failure_limits WHERE bucket = ? AND subject = ?", arguments: [bucket, subject])
        }
    }
}
