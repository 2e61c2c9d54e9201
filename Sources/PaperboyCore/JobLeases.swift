import Foundation
import Synchronization

/// Who holds a job's lease and until when.
public struct JobLease: Sendable, Equatable {
    public var job: String
    public var holder: String
    /// When this holder took the lease (renewals keep it).
    public var takenAt: Date
    /// The lease is free from this time on, unless renewed before.
    public var expiresAt: Date

    public init(job: String, holder: String, takenAt: Date, expiresAt: Date) {
        self.job = job
        self.holder = holder
        self.takenAt = takenAt
        self.expiresAt = expiresAt
    }
}

/// Leases on background jobs (harvest, digests), shared by every node of one database: any number of nodes run the
/// same schedulers, and a job runs on the one node that holds its lease. A lease lasts until a time the taker gives;
/// its holder renews it (takes it again) before then, and a holder that died stops renewing, so that once the lease
/// has expired another node takes it over.
///
/// Times are the nodes' own clocks (`at`): their skew must stay well below a lease's term. A lease is free at its
/// expiry time exactly (`expiresAt <= at`).
public protocol JobLeaseStore: Sendable {
    /// Takes the lease of `job` for `holder` until `until`: when nobody holds it, when its lease expired by `at`, or
    /// when `holder` holds it already (a renewal, which keeps ``JobLease/takenAt``). Returns whether `holder` holds it
    /// now. Atomic: of several takers at once, at most one gets a free lease.
    func takeLease(job: String, holder: String, at: Date, until: Date) async throws -> Bool

    /// Frees the lease of `job` when `holder` holds it (a node shutting down hands its jobs on at once). Returns
    /// whether it did.
    @discardableResult
    func releaseLease(job: String, holder: String) async throws -> Bool

    /// The lease of `job` as it stands at `at`; nil when it is free (never taken, released or expired).
    func lease(job: String, at: Date) async throws -> JobLease?
}

/// The names of the jobs that take leases.
public enum LeasedJob {
    public static let harvest = "harvest"
    public static let digests = "digests"
    public static let embed = "embed"
}

/// This process's name as a lease holder: host, process id and a random part (a restarted process on the same host
/// and pid is another holder).
public enum NodeIdentity {
    public static let current: String = {
        let random = UUID().uuidString.prefix(8).lowercased()
        return "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(random)"
    }()
}

/// Holds one job's lease for one node: ``refresh()`` takes or renews it (a scheduler calls it at each tick, at
/// least every ``renewEvery``), ``whileHeld(cancelWhenLost:_:)`` runs the job while renewing the lease, and
/// ``release()`` hands it on. A store that fails is taken to mean the lease is not held (the caller logs the error)
/// once the last lease taken has run out.
public final class JobLeaseKeeper: Sendable {
    public let store: any JobLeaseStore
    public let job: String
    public let holder: String
    /// How long each take or renewal lasts: how long a node that died keeps its job from the others.
    public let term: Duration
    /// The clock leases are taken by (tests move it).
    public let now: @Sendable () -> Date
    let sleep: @Sendable (Duration) async throws -> Void
    /// Until when the last successful take holds (nil: not held).
    private let heldUntil = Mutex<Date?>(nil)

    public init(
        store: any JobLeaseStore, job: String, holder: String = NodeIdentity.current, term: Duration = .seconds(90),
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.store = store
        self.job = job
        self.holder = holder
        self.term = term
        self.now = now
        self.sleep = sleep
    }

    /// How often a holder renews: a third of the term, so that two renewals may fail before the lease runs out.
    public var renewEvery: Duration { term / 3 }

    /// Whether this node held the lease at its last take and that take has not run out.
    public var isHeld: Bool {
        let now = now()
        return heldUntil.withLock { $0.map { $0 > now } ?? false }
    }

    /// Takes or renews the lease; returns whether this node holds it. A store error is thrown, and the lease counts as
    /// held until the last take runs out.
    @discardableResult
    public func refresh() async throws -> Bool {
        let at = now()
        let until = at.addingTimeInterval(term.seconds)
        let held = try await store.takeLease(job: job, holder: holder, at: at, until: until)
        heldUntil.withLock { $0 = held ? until : nil }
        return held
    }

    /// Takes or renews the lease, throwing nothing: a store error is passed to `failed` and the answer is ``isHeld``.
    public func refresh(failed: (any Error) -> Void) async -> Bool {
        do {
            return try await refresh()
        } catch {
            failed(error)
            return isHeld
        }
    }

    /// Frees the lease if this node holds it. Errors are passed over (the lease then expires by itself).
    public func release() async {
        let held = heldUntil.withLock { held -> Bool in
            defer { held = nil }
            return held != nil
        }
        guard held else { return }
        _ = try? await store.releaseLease(job: job, holder: holder)
    }

    /// The lease was lost while its job ran (another node holds it now, or renewals failed until it ran out).
    public struct Lost: Error, CustomStringConvertible {
        public let job: String
        public var description: String { "the lease of the \(job) job was lost while it ran" }
    }

    /// Runs `work` while renewing the lease every ``renewEvery``. With `cancelWhenLost`, `work` is cancelled, and
    /// ``Lost`` thrown, once the lease is lost; without, `work` runs to its end (for work that must not stop half way,
    /// guarded by other means against running twice). Renewal errors go to `failed`. Does not take the lease first:
    /// call ``refresh()`` before.
    public func whileHeld<T: Sendable>(
        cancelWhenLost: Bool = true, failed: @escaping @Sendable (any Error) -> Void = { _ in },
        _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                while true {
                    try await self.sleep(self.renewEvery)
                    let held = await self.refresh(failed: failed)
                    if !held, cancelWhenLost { throw Lost(job: self.job) }
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}
