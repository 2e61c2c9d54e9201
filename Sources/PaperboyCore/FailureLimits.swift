import Foundation

/// When failures (wrong passwords, wrong codes) block a subject: `limit` failures within `window` block it, each
/// block twice as long as the one before, from `firstBlock` up to `longestBlock`; earlier blocks stop counting
/// (`strikes` start again) once `memory` has passed without a failure.
public struct FailureLimit: Sendable, Equatable {
    public var limit: Int
    public var window: Duration
    public var firstBlock: Duration
    public var longestBlock: Duration
    public var memory: Duration

    public init(
        limit: Int, window: Duration, firstBlock: Duration = .seconds(60), longestBlock: Duration = .seconds(3600),
        memory: Duration = .seconds(86_400)
    ) {
        self.limit = max(1, limit)
        self.window = window
        self.firstBlock = firstBlock
        self.longestBlock = longestBlock
        self.memory = memory
    }

    /// After how long without a failure a subject's record means nothing (no failure in the window, strikes
    /// forgotten), so that a store may delete it.
    public var forgetAfter: Duration { max(window, memory) }
}

/// A subject's failures as a store keeps them, in milliseconds since 1970: the latest failures within the window
/// (at most ``FailureLimit/limit``, oldest first), the block and the strikes. Every store computes with this one
/// value, so that all count alike.
public struct FailureRecord: Sendable, Equatable {
    public var failures: [Int64]
    public var blockedUntil: Int64?
    /// Blocks so far (forgotten ``FailureLimit/memory`` after the last failure).
    public var strikes: Int
    public var lastFailure: Int64?

    public init(failures: [Int64] = [], blockedUntil: Int64? = nil, strikes: Int = 0, lastFailure: Int64? = nil) {
        self.failures = failures
        self.blockedUntil = blockedUntil
        self.strikes = strikes
        self.lastFailure = lastFailure
    }

    /// Until when the subject is blocked at `now`; nil when it is not.
    public func blocked(at now: Int64) -> Int64? {
        guard let blockedUntil, blockedUntil > now else { return nil }
        return blockedUntil
    }

    /// Counts a failure at `now`: once `limit.limit` failures fall within the window the subject is blocked, each
    /// block twice the one before (up to the longest).
    public mutating func fail(at now: Int64, _ limit: FailureLimit) {
        let window = Millis.of(limit.window)
        // A failure a node with a clock ahead counted stays until it leaves the window.
        failures.removeAll { now - $0 >= window }
        if let until = blockedUntil, until <= now { blockedUntil = nil }
        if let last = lastFailure, now - last >= Millis.of(limit.memory) { strikes = 0 }
        lastFailure = now
        failures.append(now)
        if failures.count > limit.limit { failures.removeFirst(failures.count - limit.limit) }
        guard failures.count >= limit.limit else { return }
        let doubled = Millis.of(limit.firstBlock).multipliedReportingOverflow(by: Int64(1) << Int64(min(strikes, 12)))
        let block = min(doubled.overflow ? Int64.max : doubled.partialValue, Millis.of(limit.longestBlock))
        let until = now.addingReportingOverflow(block)
        blockedUntil = until.overflow ? Int64.max : until.partialValue
        strikes += 1
    }
}

/// Failures that block sign-ins, counted in the store so that every node counts the same (an attacker gains nothing by
/// spreading guesses over nodes). A subject is named by a bucket (`login.account`, `login.address`...) and a subject
/// within it (a login name, an address). Times are the nodes' own clocks.
public protocol FailureLimitStore: Sendable {
    /// Counts a failure of the subject at `at` under `limit` (``FailureRecord/fail(at:_:)``); returns until when it is
    /// blocked now, nil when it is not. Atomic: failures counted at once on several nodes are all counted. Records of
    /// any subject older than their ``FailureLimit/forgetAfter`` (and not blocked) may be deleted meanwhile.
    func recordFailure(bucket: String, subject: String, at: Date, limit: FailureLimit) async throws -> Date?

    /// Until when the subject is blocked at `at`; nil when it is not.
    func failureBlock(bucket: String, subject: String, at: Date) async throws -> Date?

    /// Forgets the subject's failures, block and strikes (a successful sign-in).
    func clearFailures(bucket: String, subject: String) async throws
}
