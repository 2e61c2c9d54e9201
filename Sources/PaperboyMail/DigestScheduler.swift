import Foundation
import Logging
import PaperboyCore
import ServiceLifecycle

/// Sends digests from inside `serve`: daily ones at `hour` (UTC) for the day before, weekly ones on `weekday` at
/// `hour` for the week before. After downtime only the latest missed period of each frequency is sent. Several nodes
/// may run it at once: the send ledger hands each digest to one of them. With a `lease`, only the node holding the
/// digests lease looks for due sends and purges at each tick (the others wait for it to fail), renewing the lease while
/// it sends; a send runs to its end even if the lease is lost meanwhile, the ledger keeping every digest to one send.
public struct DigestScheduler: Service {
    let run: DigestRun
    let store: any SubscriptionStore & DigestLedgerStore
    let hour: Int
    /// ISO weekday: 1 Monday ... 7 Sunday.
    let weekday: Int
    /// How often the scheduler looks whether a send is due.
    let tick: Duration
    /// How long after a run left digests for later (temporary failures, server unreachable) it tries again.
    let retryAfter: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    /// The lease that keeps the looking and sending to one node at a time; nil: this node looks by itself.
    let lease: JobLeaseKeeper?

    public init(
        run: DigestRun, store: any SubscriptionStore & DigestLedgerStore, hour: Int, weekday: Int,
        tick: Duration = .seconds(60), retryAfter: Duration = .seconds(900),
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger, lease: JobLeaseKeeper? = nil
    ) {
        self.run = run
        self.store = store
        self.hour = hour
        self.weekday = weekday
        self.tick = tick
        self.retryAfter = retryAfter
        self.now = now
        self.logger = logger
        self.lease = lease
    }

    /// What the scheduler remembers between ticks.
    struct State {
        /// Frequencies whose last run left digests for later, and when to try again.
        var waitUntil: [DigestFrequency: ContinuousClock.Instant] = [:]
        var lastPurge: ContinuousClock.Instant?
        /// Whether this node held the lease at the last tick.
        var held = false
    }

    public func run() async throws {
        var state = State()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await tick(&state)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
        }
        await lease?.release()
    }

    /// One tick: with a lease, takes or renews it and does nothing more unless this node holds it; then purges (hourly)
    /// and sends what is due.
    func tick(_ state: inout State) async {
        if let lease {
            let logger = self.logger
            let held = await lease.refresh { error in
                logger.warning("taking the digests lease failed", metadata: ["error.message": "\(error)"])
            }
            if held != state.held {
                logger.info(
                    held ? "this node holds the digests lease" : "another node holds the digests lease",
                    metadata: ["lease.holder": "\(lease.holder)"])
            }
            state.held = held
            guard held else { return }
            let current = state
            state = await (try? lease.whileHeld(cancelWhenLost: false) { await self.work(current) }) ?? state
        } else {
            state = await work(state)
        }
    }

    /// Purges (hourly) and sends what is due.
    private func work(_ start: State) async -> State {
        var state = start
        let clock = ContinuousClock.now
        if state.lastPurge.map({ clock - $0 >= .seconds(3600) }) ?? true {
            state.lastPurge = clock
            await purge()
        }
        for frequency in DigestFrequency.allCases {
            if let until = state.waitUntil[frequency], clock < until { continue }
            if let left = await sendIfDue(frequency), left { state.waitUntil[frequency] = clock + retryAfter }
        }
        return state
    }

    /// Sends the latest due period of `frequency` unless a run of it completed. Returns whether digests were left for
    /// later (nil when nothing was due).
    func sendIfDue(_ frequency: DigestFrequency) async -> Bool? {
        guard let period = DigestPeriod.latestDue(frequency, at: now(), hour: hour, weekday: weekday) else {
            return nil
        }
        do {
            guard try await !store.digestRunComplete(period: period) else { return nil }
            let report = try await run.send(period)
            return !report.complete
        } catch {
            logger.error("digest run failed", metadata: ["digest.period": "\(period)", "error.message": "\(error)"])
            return true
        }
    }

    private func purge() async {
        do {
            let cutoff = now().addingTimeInterval(-MailPolicy.unconfirmedLifetime)
            let purged = try await store.purgeUnconfirmedSubscriptions(createdBefore: cutoff)
            if purged > 0 {
                logger.info("unconfirmed subscriptions purged", metadata: ["subscription.count": "\(purged)"])
            }
        } catch {
            logger.warning("purging unconfirmed subscriptions failed", metadata: ["error.message": "\(error)"])
        }
    }
}
