import Foundation
import PaperboyCore

/// Job leases and failed sign-ins in memory, for tests of the services that take leases (several "nodes" share one
/// value). It passes the same conformance checks as the stores, keeps times in milliseconds as they do, and counts
/// the takes.
public actor InMemorySharedState: JobLeaseStore, FailureLimitStore, StoreMaintenance {
    private struct Held {
        var holder: String
        var takenAt: Int64
        var expiresAt: Int64
    }

    private struct Subject: Hashable {
        let bucket: String
        let subject: String
    }

    private var leases: [String: Held] = [:]
    private var records: [Subject: FailureRecord] = [:]
    /// Every take asked for: job, holder and whether it was granted, in order.
    public private(set) var takes: [(job: String, holder: String, granted: Bool)] = []

    public init() {}

    static func millis(_ date: Date) -> Int64 { Millis.of(date, rounding: .toNearestOrAwayFromZero) }

    public func migrate() async throws {}

    public func appliedMigrations() async throws -> [String] { [] }
    public func pendingMigrations() async throws -> [String] { [] }

    public func backup(to destination: String) async throws {
        throw StoreUnsupported(operation: "write a backup", store: "the in-memory state", advice: "it lives in memory")
    }

    public func takeLease(job: String, holder: String, at: Date, until: Date) async throws -> Bool {
        let at = Self.millis(at)
        let held = leases[job]
        let granted = held.map { $0.holder == holder || $0.expiresAt <= at } ?? true
        if granted {
            let kept = held.flatMap { $0.holder == holder && $0.expiresAt > at ? $0.takenAt : nil }
            leases[job] = Held(holder: holder, takenAt: kept ?? at, expiresAt: Self.millis(until))
        }
        takes.append((job, holder, granted))
        return granted
    }

    @discardableResult
    public func releaseLease(job: String, holder: String) async throws -> Bool {
        guard leases[job]?.holder == holder else { return false }
        leases[job] = nil
        return true
    }

    public func lease(job: String, at: Date) async throws -> JobLease? {
        guard let held = leases[job], held.expiresAt > Self.millis(at) else { return nil }
        return JobLease(
            job: job, holder: held.holder, takenAt: Millis.date(held.takenAt), expiresAt: Millis.date(held.expiresAt))
    }

    public func recordFailure(bucket: String, subject: String, at: Date, limit: FailureLimit) async throws -> Date? {
        let now = Self.millis(at)
        let key = Subject(bucket: bucket, subject: subject)
        let cutoff = now - Millis.of(limit.forgetAfter)
        records = records.filter { other, record in
            other == key || (record.lastFailure ?? now) > cutoff || record.blocked(at: now) != nil
        }
        var record = records[key] ?? FailureRecord()
        record.fail(at: now, limit)
        records[key] = record
        return record.blocked(at: now).map(Millis.date)
    }

    public func failureBlock(bucket: String, subject: String, at: Date) async throws -> Date? {
        records[Subject(bucket: bucket, subject: subject)]?.blocked(at: Self.millis(at)).map(Millis.date)
    }

    public func clearFailures(bucket: String, subject: String) async throws {
        records[Subject(bucket: bucket, subject: subject)] = nil
    }
}
