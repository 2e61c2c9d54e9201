import Foundation
import Logging
import PaperboyCore
import ServiceLifecycle

/// Keeps the keyword index current while the server runs: reads the store's changes every `interval` (so a paper
/// another process stores is searchable within about that long), or at once when `wake` rings (a store that notifies
/// of commits, ``PaperChangeNotifier``), merges small segments, and saves the index every `saveEvery` when it changed
/// and at shutdown. After reading changes it rings `changesRead`, so that what caches answers drops them (a change
/// another node made is then shown here within about `interval`).
public struct KeywordIndexService: Service {
    public let maintainer: KeywordIndexMaintainer
    public let interval: Duration
    public let saveEvery: Duration
    public let wake: ChangeBell?
    public let changesRead: ChangeBell?
    let logger: Logger

    public init(
        maintainer: KeywordIndexMaintainer, interval: Duration = .milliseconds(500), saveEvery: Duration = .seconds(60),
        wake: ChangeBell? = nil, changesRead: ChangeBell? = nil, logger: Logger
    ) {
        self.maintainer = maintainer
        self.interval = interval
        self.saveEvery = saveEvery
        self.wake = wake
        self.changesRead = changesRead
        self.logger = logger
    }

    public func run() async throws {
        let maintainer = self.maintainer
        let logger = self.logger
        let interval = self.interval
        let saveEvery = self.saveEvery
        let wake = self.wake
        let changesRead = self.changesRead
        await cancelWhenGracefulShutdown {
            var lastSave = ContinuousClock.now
            var rings = wake?.rings ?? 0
            while !Task.isCancelled {
                do {
                    if try await maintainer.catchUp() > 0 {
                        changesRead?.ring()
                        await maintainer.mergeIfNeeded()
                    }
                    if await maintainer.hasUnsavedChanges, ContinuousClock.now - lastSave >= saveEvery {
                        try await maintainer.flush()
                        lastSave = ContinuousClock.now
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("keeping the keyword index current failed", metadata: ["error.message": "\(error)"])
                }
                if let wake {
                    rings = await wake.wait(after: rings, upTo: interval)
                } else {
                    try? await Task.sleep(for: interval)
                }
            }
        }
        do {
            try await maintainer.shutDown()
        } catch {
            logger.error("saving the keyword index failed", metadata: ["error.message": "\(error)"])
        }
    }
}
