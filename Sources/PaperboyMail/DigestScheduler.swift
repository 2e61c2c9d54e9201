import Foundation
import Logging
import PaperboyCore
import ServiceLifecycle

/// Sends digests from inside `serve`: daily ones at `hour` (UTC) for the day before, weekly ones on `weekday` at
/// `hour` for the week before. After downtime only the latest missed period of each frequency is sent. Several nodes
/// may run it at once: the send ledger hands each digest to one of them.
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

    public init(
        run: DigestRun, store: any SubscriptionStore & DigestLedgerStore, hour: Int, weekday: Int,
        tick: Duration = .seconds(60), retryAfter: Duration = .seconds(900),
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.run = run
        self.store = store
        self.hour = hour
        self.weekday = weekday
        self.tick = tick
        self.retryAfter = retryAfter
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        var waitUntil: [DigestFrequency: ContinuousClock.Instant] = [:]
        var lastPurge: ContinuousClock.Instant?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let clock = ContinuousClock.now
            if lastPurge.map({ clock - $0 >= .seconds(3600) }) ?? true {
                lastPurge = clock
                await purge()
            }
            for frequency in DigestFrequency.allCases {
                if let until = waitUntil[frequency], clock < until { continue }
                if let left = await sendIfDue(frequency), left { waitUntil[frequency] = clock + retryAfter }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
        }
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
