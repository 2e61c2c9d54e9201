import Foundation
import Logging
import PaperboyCore
import ServiceLifecycle

/// Runs a ``Harvester`` now and then every `interval` until graceful shutdown. Failures are logged and
/// the next run is attempted at the next interval; the service itself never fails.
///
/// With a `lease` (several nodes on one database), every node runs the service but only the node holding the
/// harvest lease harvests: each tick (every ``JobLeaseKeeper/renewEvery``) a node takes or renews the lease, and the
/// holder harvests when it took the lease and then every `interval`, renewing it meanwhile. A harvest whose lease is
/// lost is cancelled; a node that stops hands the lease on; a node that died keeps it until it expires, and another
/// node then takes it and harvests at once (from the shared harvest position, so nothing is harvested twice for
/// long).
public struct HarvestService: Service {
    public let harvester: Harvester
    public let interval: Duration
    public let logger: Logger
    /// Called after each run with its report or error (for metrics).
    public let onRun: (@Sendable (Result<HarvestReport, any Error>) -> Void)?
    /// The lease that keeps harvests to one node at a time; nil: this node harvests by itself.
    public let lease: JobLeaseKeeper?
    let sleep: @Sendable (Duration) async throws -> Void

    public init(
        harvester: Harvester, interval: Duration, logger: Logger, lease: JobLeaseKeeper? = nil,
        onRun: (@Sendable (Result<HarvestReport, any Error>) -> Void)? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.harvester = harvester
        self.interval = interval
        self.logger = logger
        self.onRun = onRun
        self.lease = lease
        self.sleep = sleep
    }

    public func run() async throws {
        if let lease { return await runLeased(lease) }
        let harvester = self.harvester
        let sleep = self.sleep
        let interval = self.interval
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let report = try await cancelWhenGracefulShutdown { try await harvester.run() }
                logger.info(
                    "scheduled harvest done",
                    metadata: ["harvest.records": "\(report.records)", "harvest.inserted": "\(report.inserted)"])
                onRun?(.success(report))
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.error("scheduled harvest failed: \(error)")
                onRun?(.failure(error))
            }
            do {
                try await cancelWhenGracefulShutdown { try await sleep(interval) }
            } catch {
                return
            }
        }
    }

    /// When this node harvests next under the lease: nil, as soon as it holds it.
    struct LeasedSchedule {
        var due: Date?
    }

    func runLeased(_ lease: JobLeaseKeeper) async {
        var schedule = LeasedSchedule()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wait = await tick(lease, &schedule)
            do {
                try await cancelWhenGracefulShutdown { try await sleep(wait) }
            } catch {
                break
            }
        }
        await lease.release()
    }

    /// One tick under the lease: takes or renews it, harvests when this node holds it and a harvest is due. Returns how
    /// long to wait for the next tick.
    func tick(_ lease: JobLeaseKeeper, _ schedule: inout LeasedSchedule) async -> Duration {
        let logger = self.logger
        let held = await lease.refresh { error in
            logger.warning("taking the harvest lease failed", metadata: ["error.message": "\(error)"])
        }
        guard held else {
            if schedule.due != nil { logger.notice("another node holds the harvest lease now") }
            schedule.due = nil
            return lease.renewEvery
        }
        if schedule.due.map({ lease.now() >= $0 }) ?? true {
            if schedule.due == nil {
                logger.info("this node holds the harvest lease", metadata: ["lease.holder": "\(lease.holder)"])
            }
            let harvester = self.harvester
            do {
                let report = try await cancelWhenGracefulShutdown {
                    try await lease.whileHeld(
                        failed: { error in
                            logger.warning("renewing the harvest lease failed", metadata: ["error.message": "\(error)"])
                        }, { try await harvester.run() })
                }
                logger.info(
                    "scheduled harvest done",
                    metadata: ["harvest.records": "\(report.records)", "harvest.inserted": "\(report.inserted)"])
                onRun?(.success(report))
            } catch let lost as JobLeaseKeeper.Lost {
                logger.warning("scheduled harvest stopped: \(lost)")
                schedule.due = nil
                return lease.renewEvery
            } catch is CancellationError {
                return .zero
            } catch {
                if !Task.isCancelled && !Task.isShuttingDownGracefully {
                    logger.error("scheduled harvest failed: \(error)")
                    onRun?(.failure(error))
                }
            }
            schedule.due = lease.now().addingTimeInterval(interval.seconds)
        }
        let untilDue = schedule.due.map { Duration.seconds(max(0, $0.timeIntervalSince(lease.now()))) }
        return min(lease.renewEvery, untilDue ?? lease.renewEvery)
    }
}
