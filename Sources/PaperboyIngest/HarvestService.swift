import Logging
import ServiceLifecycle

/// Runs a ``Harvester`` now and then every `interval` until graceful shutdown. Failures are logged and
/// the next run is attempted at the next interval; the service itself never fails.
public struct HarvestService: Service {
    public let harvester: Harvester
    public let interval: Duration
    public let logger: Logger
    /// Called after each run with its report or error (for metrics).
    public let onRun: (@Sendable (Result<HarvestReport, any Error>) -> Void)?
    let sleep: @Sendable (Duration) async throws -> Void

    public init(
        harvester: Harvester, interval: Duration, logger: Logger,
        onRun: (@Sendable (Result<HarvestReport, any Error>) -> Void)? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.harvester = harvester
        self.interval = interval
        self.logger = logger
        self.onRun = onRun
        self.sleep = sleep
    }

    public func run() async throws {
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
}
