import DequeModule
import Foundation
import PaperboyCore
import Synchronization

/// How many events a key may have in a window.
struct RateRule: Sendable {
    let limit: Int
    let window: Duration

    /// Sign-ups per client address.
    static let signup = RateRule(limit: 5, window: .seconds(3600))
    /// Votes per account.
    static let votes = RateRule(limit: 120, window: .seconds(60))
    /// Other writes per account (settings, tokens, submissions tried).
    static let writes = RateRule(limit: 60, window: .seconds(60))
    /// Failed sign-ins per account, and per client address, before a block.
    static let loginPerAccount = RateRule(limit: 5, window: .seconds(15 * 60))
    static let loginPerAddress = RateRule(limit: 20, window: .seconds(15 * 60))
}

/// In-process rate limits: sliding windows of events per key, and sign-in blocks: when failures reach the limit
/// within the window, the key is blocked, each block twice the one before (60 s up to an hour) until a day passes
/// without failures or a sign-in succeeds. Nothing sleeps: a limited request is answered at once with how long to wait. Each node
/// counts for itself (sign-in failures are counted in the store instead when it is shared: ``SignInFailures``).
/// Memory is bounded: at most `maxKeys` keys, the stalest dropped first.
final class RateLimiter: Sendable {
    struct Key: Hashable, Sendable {
        let bucket: String
        let subject: String
    }

    private struct Track {
        var events: Deque<ContinuousClock.Instant> = []
        var blockedUntil: ContinuousClock.Instant?
        /// Blocks so far; forgotten a day after the last failure (or at a successful sign-in).
        var strikes = 0
        var lastFailure: ContinuousClock.Instant?
        var lastSeen: ContinuousClock.Instant
    }

    static let firstBlock = Duration.seconds(60)
    static let longestBlock = Duration.seconds(3600)
    /// How long after the last failure earlier blocks stop making the next one longer.
    static let strikeMemory = Duration.seconds(86_400)

    let enabled: Bool
    let maxKeys: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let tracks = Mutex<[Key: Track]>([:])

    init(enabled: Bool, maxKeys: Int = 100_000, now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.enabled = enabled
        self.maxKeys = maxKeys
        self.now = now
    }

    /// Counts an event for `key` when it is within `rule`; when it is not, how long until it would be (nothing
    /// counted).
    func take(_ key: Key, _ rule: RateRule) -> Duration? {
        guard enabled else { return nil }
        let now = now()
        return tracks.withLock { tracks in
            var track = tracks[key] ?? Track(lastSeen: now)
            RateLimiter.expire(&track, window: rule.window, now: now)
            track.lastSeen = now
            if track.events.count >= rule.limit, let oldest = track.events.first {
                tracks[key] = track
                return oldest.advanced(by: rule.window) - now
            }
            track.events.append(now)
            tracks[key] = track
            RateLimiter.bound(&tracks, maxKeys: maxKeys)
            return nil
        }
    }

    /// How long `key` is blocked from signing in, nil when it is not.
    func blocked(_ key: Key) -> Duration? {
        guard enabled else { return nil }
        let now = now()
        return tracks.withLock { tracks in
            guard let until = tracks[key]?.blockedUntil, until > now else { return nil }
            return until - now
        }
    }

    /// Records a failed sign-in; once `rule.limit` failures fall within its window the key is blocked, each block
    /// twice as long as the one before (60 s up to an hour).
    func failed(_ key: Key, _ rule: RateRule) {
        guard enabled else { return }
        let now = now()
        tracks.withLock { tracks in
            var track = tracks[key] ?? Track(lastSeen: now)
            RateLimiter.expire(&track, window: rule.window, now: now)
            if let last = track.lastFailure, last.advanced(by: RateLimiter.strikeMemory) <= now { track.strikes = 0 }
            track.lastSeen = now
            track.lastFailure = now
            track.events.append(now)
            if track.events.count >= rule.limit {
                let factor = Int64(1) << Int64(min(track.strikes, 12))
                let block = min(RateLimiter.firstBlock * factor, RateLimiter.longestBlock)
                track.blockedUntil = now.advanced(by: block)
                track.strikes += 1
            }
            tracks[key] = track
            RateLimiter.bound(&tracks, maxKeys: maxKeys)
        }
    }

    /// How many keys are tracked (tests check the bound).
    var keyCount: Int { tracks.withLock { $0.count } }

    /// Forgets a key's failures after a successful sign-in.
    func succeeded(_ key: Key) {
        guard enabled else { return }
        _ = tracks.withLock { $0.removeValue(forKey: key) }
    }

    private static func expire(_ track: inout Track, window: Duration, now: ContinuousClock.Instant) {
        while let first = track.events.first, first.advanced(by: window) <= now { track.events.removeFirst() }
        if let until = track.blockedUntil, until <= now { track.blockedUntil = nil }
    }

    private static func bound(_ tracks: inout [Key: Track], maxKeys: Int) {
        guard tracks.count > maxKeys else { return }
        let stalest = tracks.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(tracks.count - maxKeys * 9 / 10)
        for (key, _) in stalest { tracks.removeValue(forKey: key) }
    }
}

/// Failed sign-ins and wrong current passwords, which block a login name, a client address or an account for a while
/// (``RateRule/loginPerAccount``, ``RateRule/loginPerAddress``). With a shared store (``FailureLimitStore``: several
/// nodes on one database) they are counted there, on the wall clock, so that guesses spread over the nodes count
/// together; without, in this process's ``RateLimiter``. The same rules and blocks either way.
final class SignInFailures: Sendable {
    let local: RateLimiter
    let shared: (any FailureLimitStore)?
    let now: @Sendable () -> Date

    init(local: RateLimiter, shared: (any FailureLimitStore)?, now: @escaping @Sendable () -> Date) {
        self.local = local
        self.shared = shared
        self.now = now
    }

    /// How long `key` is blocked from signing in, nil when it is not.
    func blocked(_ key: RateLimiter.Key) async throws -> Duration? {
        guard local.enabled else { return nil }
        guard let shared else { return local.blocked(key) }
        let now = now()
        return try await shared.failureBlock(bucket: key.bucket, subject: key.subject, at: now)
            .map { .seconds($0.timeIntervalSince(now)) }
    }

    /// Records a failure of `key` under `rule`.
    func failed(_ key: RateLimiter.Key, _ rule: RateRule) async throws {
        guard local.enabled else { return }
        guard let shared else { return local.failed(key, rule) }
        _ = try await shared.recordFailure(
            bucket: key.bucket, subject: key.subject, at: now(), limit: SignInFailures.limit(rule))
    }

    /// Forgets `key`'s failures after a successful sign-in.
    func succeeded(_ key: RateLimiter.Key) async throws {
        guard local.enabled else { return }
        guard let shared else { return local.succeeded(key) }
        try await shared.clearFailures(bucket: key.bucket, subject: key.subject)
    }

    /// A rule as the store counts it, with the limiter's blocks.
    static func limit(_ rule: RateRule) -> FailureLimit {
        FailureLimit(
            limit: rule.limit, window: rule.window, firstBlock: RateLimiter.firstBlock,
            longestBlock: RateLimiter.longestBlock, memory: RateLimiter.strikeMemory)
    }
}

extension Duration {
    /// Whole seconds, rounded up, at least 1: a `Retry-After` value.
    var retryAfterSeconds: Int64 {
        let (seconds, attos) = components
        return max(1, seconds + (attos > 0 ? 1 : 0))
    }
}
