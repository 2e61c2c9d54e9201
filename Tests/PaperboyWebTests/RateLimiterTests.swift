import Foundation
import Synchronization
import Testing

@testable import PaperboyWeb

/// Sign-in blocks double from 60 s up to an hour while failures go on; windows slide; nothing sleeps.
@Suite("Rate limits")
struct RateLimiterTests {
    final class Clock: Sendable {
        let start = ContinuousClock.now
        let offset = Mutex<Duration>(.zero)
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
        var now: ContinuousClock.Instant { start.advanced(by: offset.withLock { $0 }) }
    }

    @Test func signInBlocksDoubleUpToAnHour() {
        let clock = Clock()
        let limiter = RateLimiter(enabled: true, now: { clock.now })
        let key = RateLimiter.Key(bucket: "login.account", subject: "ada")
        for _ in 0..<4 { limiter.failed(key, .loginPerAccount) }
        #expect(limiter.blocked(key) == nil, "four failures do not block")
        // Each block starts when failures reach the limit within the window again; each is twice the last.
        var blocks: [Int64] = []
        for _ in 0..<8 {
            var tries = 0
            while limiter.blocked(key) == nil, tries < 5 {
                limiter.failed(key, .loginPerAccount)
                tries += 1
            }
            let wait = limiter.blocked(key)
            blocks.append(wait?.components.seconds ?? 0)
            clock.advance(wait ?? .zero)
        }
        #expect(blocks == [60, 120, 240, 480, 960, 1920, 3600, 3600])
        limiter.succeeded(key)
        #expect(limiter.blocked(key) == nil)
    }

    @Test func windowsSlideAndSayHowLongToWait() {
        let clock = Clock()
        let limiter = RateLimiter(enabled: true, now: { clock.now })
        let key = RateLimiter.Key(bucket: "votes", subject: "1")
        for _ in 0..<120 { #expect(limiter.take(key, .votes) == nil) }
        clock.advance(.seconds(15))
        #expect(limiter.take(key, .votes) == .seconds(45))
        clock.advance(.seconds(45))
        #expect(limiter.take(key, .votes) == nil, "the oldest votes left the window")
    }

    @Test func offLimitsNothing() {
        let limiter = RateLimiter(enabled: false, now: { .now })
        let key = RateLimiter.Key(bucket: "signup", subject: "127.0.0.1")
        for _ in 0..<100 { #expect(limiter.take(key, .signup) == nil) }
    }

    @Test func keysAreBounded() {
        let limiter = RateLimiter(enabled: true, maxKeys: 100, now: { .now })
        for i in 0..<1_000 { _ = limiter.take(RateLimiter.Key(bucket: "signup", subject: "10.0.\(i)"), .signup) }
        #expect(limiter.keyCount <= 100)
    }
}
