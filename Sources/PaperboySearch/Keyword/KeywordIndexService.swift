import Foundation
import Logging
import PaperboyCore
import ServiceLifecycle

/// Keeps the keyword index current while the server runs: reads the store's changes every `interval` (so a paper
/// another process stores is searchable within about that long), merges small segments, and saves the index every
/// `saveEvery` when it changed and at shutdown.
public struct KeywordIndexService: Service {
    public let maintainer: KeywordIndexMaintainer
    public let interval: Duration
    public let saveEvery: Duration
    let logger: Logger

    public init(
        maintainer: KeywordIndexMaintainer, interval: Duration = .milliseconds(500), saveEvery: Duration = .seconds(60),
        logger: Logger
    ) {
        self.maintainer = maintainer
        self.interval = interval
        self.saveEvery = saveEvery
        self.logger = logger
    }

    public func run() async throws {
        let maintainer = self.maintainer
        let logger = self.logger
        let interval = self.interval
        let saveEvery = self.saveEvery
        await cancelWhenGracefulShutdown {
            var lastSave = ContinuousClock.now
            while !Task.isCancelled {
                do {
                    if try await maintainer.catchUp() > 0 { await maintainer.mergeIfNeeded() }
                    if await maintainer.hasUnsavedChanges, ContinuousClock.now - lastSave >= saveEvery {
                        try await maintainer.flush()
                        lastSave = ContinuousClock.now
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("keeping the keyword index current failed", metadata: ["error.message": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
        do {
            try await maintainer.shutDown()
        } catch {
            logger.error("saving the keyword index failed", metadata: ["error.message": "\(error)"])
        }
    }
}
