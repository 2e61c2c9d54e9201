import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboyIngest

/// The in-memory leases and failure counts the service tests use behave as every store's do.
@Suite("In-memory shared state conformance")
struct InMemorySharedStateConformanceTests {
    @Test(arguments: PaperStoreConformance.jobLeases)
    func jobLeases(_ check: RoleCheck<any PaperStoreConformance.Leases>) async throws {
        try await check.run(InMemorySharedState())
    }

    @Test(arguments: PaperStoreConformance.failureLimits)
    func failureLimits(_ check: RoleCheck<any PaperStoreConformance.FailureLimits>) async throws {
        try await check.run(InMemorySharedState())
    }
}

/// A wall clock the test moves.
final class MovedClock: Sendable {
    private let date: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_795_262_400)) { date = Mutex(start) }
    func advance(_ seconds: TimeInterval) { date.withLock { $0.addTimeInterval(seconds) } }
    var now: Date { date.withLock { $0 } }
}

/// Counts calls.
final class Counter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// Harvest services of several nodes on one set of leases: one node harvests at a time.
@Suite struct LeasedHarvestTests {
    let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// A node's harvest service: harvests every ten minutes under a 90-second lease (renewed every 30 s), counting its
    /// runs (the fetcher answers one page, then fails: either is a run).
    func node(_ holder: String, _ leases: some JobLeaseStore, _ clock: MovedClock, runs: Counter) -> HarvestService {
        let harvester = Harvester(
            store: InMemoryStore(), baseURL: URL(string: "http://oai.test/oai2")!, set: nil,
            fetcher: ScriptedFetcher([.ok(HarvesterTests.page2)]), logger: logger, minimumDelay: .zero, maxRetries: 0,
            sleep: { _ in }, now: { clock.now })
        let lease = JobLeaseKeeper(
            store: leases, job: LeasedJob.harvest, holder: holder, term: .seconds(90), now: { clock.now })
        return HarvestService(harvester: harvester, interval: .seconds(600), logger: logger, lease: lease) { _ in
            runs.add()
        }
    }

    @Test func onlyTheHolderHarvestsAndAnotherNodeTakesOverWhenItDies() async throws {
        let leases = InMemorySharedState()
        let clock = MovedClock()
        let (runsA, runsB) = (Counter(), Counter())
        let a = node("a", leases, clock, runs: runsA)
        let b = node("b", leases, clock, runs: runsB)
        let (leaseA, leaseB) = (try #require(a.lease), try #require(b.lease))
        var (scheduleA, scheduleB) = (HarvestService.LeasedSchedule(), HarvestService.LeasedSchedule())
        // a takes the lease and harvests at once; b, ticking beside it, does nothing.
        #expect(await a.tick(leaseA, &scheduleA) == .seconds(30))
        #expect(await b.tick(leaseB, &scheduleB) == .seconds(30))
        #expect((runsA.count, runsB.count) == (1, 0))
        // Both tick every 30 s for ten minutes: a renews and harvests again when the interval has passed.
        for _ in 0..<20 {
            clock.advance(30)
            _ = await a.tick(leaseA, &scheduleA)
            _ = await b.tick(leaseB, &scheduleB)
        }
        #expect((runsA.count, runsB.count) == (2, 0))
        // a dies (no release): b cannot take its lease until it has expired, 90 s after a's last renewal.
        clock.advance(30)
        _ = await b.tick(leaseB, &scheduleB)
        #expect(runsB.count == 0)
        clock.advance(60)
        _ = await b.tick(leaseB, &scheduleB)
        #expect(runsB.count == 1, "b took the expired lease over and harvested at once")
        // a, alive again, finds the lease held by b.
        clock.advance(10)
        #expect(await a.tick(leaseA, &scheduleA) == .seconds(30))
        #expect(runsA.count == 2)
        #expect(try await leases.lease(job: LeasedJob.harvest, at: clock.now)?.holder == "b")
    }

    @Test func aNodeThatStopsHandsItsLeaseOn() async throws {
        let leases = InMemorySharedState()
        let clock = MovedClock()
        let (runsA, runsB) = (Counter(), Counter())
        let a = node("a", leases, clock, runs: runsA)
        let task = Task { try await a.run() }
        while runsA.count == 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        try await task.value
        #expect(try await leases.lease(job: LeasedJob.harvest, at: clock.now) == nil)
        let b = node("b", leases, clock, runs: runsB)
        var schedule = HarvestService.LeasedSchedule()
        _ = await b.tick(try #require(b.lease), &schedule)
        #expect(runsB.count == 1)
    }

    @Test(.timeLimit(.minutes(2))) func workWhoseLeaseIsLostIsCancelled() async throws {
        let leases = InMemorySharedState()
        let keeper = JobLeaseKeeper(store: leases, job: LeasedJob.harvest, holder: "a", term: .milliseconds(150))
        #expect(try await keeper.refresh())
        let started = Counter()
        let cancelled = Counter()
        let task = Task {
            try await keeper.whileHeld {
                started.add()
                // Far longer than the time limit: only cancellation ends it.
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.add()
                    throw error
                }
            }
        }
        while started.count == 0 { try await Task.sleep(for: .milliseconds(5)) }
        // Another node gets the lease (as if a's had expired): a's next renewal finds it lost.
        #expect(try await leases.releaseLease(job: LeasedJob.harvest, holder: "a"))
        #expect(try await leases.takeLease(job: LeasedJob.harvest, holder: "b", at: Date(), until: Date() + 60))
        await #expect(throws: JobLeaseKeeper.Lost.self) { try await task.value }
        #expect(cancelled.count == 1)
        #expect(!keeper.isHeld)
    }
}
