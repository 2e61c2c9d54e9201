import Foundation
import Logging
import PaperboyCore

/// Builds the keyword index while a load writes papers: reads the store's changes every half second into an open
/// segment, then seals and saves it at the end.
public struct KeywordIndexFollower: Sendable {
    public let maintainer: KeywordIndexMaintainer
    let task: Task<Void, Never>

    /// Starts following; nil when another process (a running server) writes the index directory.
    public static func start(
        directory: URL, store: some PaperChangeFeed & KeyedPapers, logger: Logger
    ) async throws -> KeywordIndexFollower? {
        let maintainer: KeywordIndexMaintainer
        do {
            maintainer = try await KeywordIndexMaintainer(
                directory: directory, feed: store, papers: store, logger: logger)
        } catch KeywordIndexError.locked {
            return nil
        }
        let task = Task {
            while !Task.isCancelled {
                do {
                    try await maintainer.catchUp(seal: false)
                } catch is CancellationError {
                    break
                } catch {
                    logger.error(
                        "following the load into the keyword index failed", metadata: ["error.message": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        return KeywordIndexFollower(maintainer: maintainer, task: task)
    }

    public func stop() async {
        task.cancel()
        await task.value
    }

    /// Reads the last changes, saves the index and releases the directory. Returns the papers in the index and the
    /// seconds this took.
    public func finish() async throws -> (papers: Int, seconds: Double) {
        let start = ContinuousClock.now
        await stop()
        try await maintainer.catchUp()
        await maintainer.mergeIfNeeded()
        try await maintainer.shutDown()
        return (maintainer.index.count, (ContinuousClock.now - start).seconds)
    }
}
