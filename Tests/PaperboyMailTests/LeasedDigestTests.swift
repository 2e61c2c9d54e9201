import Foundation
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboyMail

/// Digest schedulers of several nodes on one database: only the holder of the digests lease looks for due sends.
@Suite struct LeasedDigestTests {
    final class MovedClock: Sendable {
        private let date: Mutex<Date>
        init(_ start: Date) { date = Mutex(start) }
        func advance(_ seconds: TimeInterval) { date.withLock { $0.addTimeInterval(seconds) } }
        var now: Date { date.withLock { $0 } }
    }

    @Test func onlyTheHolderSendsAndAnotherNodeTakesOverWhenItDies() async throws {
        let (store, subscribers, _) = try await DigestRunTests.store([("a@example.org", .none)])
        let clock = MovedClock(DigestRunTests.now)
        let (mailerA, mailerB) = (RecordingMailer(), RecordingMailer())
        func node(_ holder: String, _ mailer: RecordingMailer) async throws -> DigestScheduler {
            DigestScheduler(
                run: try await DigestRunTests.run(store, mailer), store: store, hour: 6, weekday: 1,
                now: { clock.now }, logger: DigestRunTests.quiet,
                lease: JobLeaseKeeper(
                    store: store, job: LeasedJob.digests, holder: holder, term: .seconds(180), now: { clock.now }))
        }
        let a = try await node("a", mailerA)
        let b = try await node("b", mailerB)
        var (stateA, stateB) = (DigestScheduler.State(), DigestScheduler.State())
        // a holds the lease before its first tick: b's tick looks for nothing, although the 20th's digest is due.
        #expect(try await a.lease?.refresh() == true)
        await b.tick(&stateB)
        #expect(!stateB.held)
        #expect(try await !store.digestRunComplete(period: DigestRunTests.period))
        #expect(try await store.digestEntry(subscriptionID: subscribers[0].id, period: DigestRunTests.period) == nil)
        await a.tick(&stateA)
        #expect(stateA.held)
        #expect(mailerA.sent.map(\.to) == ["a@example.org"])
        #expect(try await store.digestRunComplete(period: DigestRunTests.period))
        // a dies. A day later b finds the lease expired, takes it, and runs the next day's send.
        clock.advance(86_400)
        await b.tick(&stateB)
        #expect(stateB.held)
        let next = try #require(DigestPeriod(.daily, containing: DigestRunTests.day.adding(days: 1)))
        #expect(try await store.digestRunComplete(period: next))
        #expect(try await store.lease(job: LeasedJob.digests, at: clock.now)?.holder == "b")
        #expect(mailerA.sent.count == 1)
        #expect(mailerB.sent.allSatisfy { $0.to == "a@example.org" })
    }
}
