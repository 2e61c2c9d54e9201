import Foundation
import Logging
import PaperboyCore
import PaperboySearch

extension CommonOptions {
    /// Where the keyword index's files live: `--index-dir`, by default beside the SQLite file (``StoreLocation``).
    var indexDirectory: URL {
        let fallback = (try? storeLocation().defaultIndexDirectory) ?? databasePath + ".index"
        return URL(fileURLWithPath: Settings.string("index-dir", indexDir, default: fallback))
    }

    /// What the vector index file's name is made from: inside `--index-dir` when it is given (or the store is
    /// PostgreSQL), else beside the SQLite file (``StoreLocation/vectorIndexBase(indexDirectory:)``).
    var vectorIndexBase: String {
        let inside = Settings.string("index-dir", indexDir) != nil || (try? storeLocation().backend.isPostgres) == true
        guard inside else { return databasePath }
        // Made here, for commands that write the vector index without opening the keyword index (`embed`); a folder
        // that cannot be made fails where the file is written, with its path.
        try? FileManager.default.createDirectory(at: indexDirectory, withIntermediateDirectories: true)
        return indexDirectory.appendingPathComponent("paperboy").path
    }

}

enum KeywordIndexOpening {
    /// Opens the keyword index of `--index-dir` over the store and reads the store's changes into it.
    ///
    /// As the directory's writer it saves what it read, so the next start reads files instead of rebuilding. When
    /// another process (a running server) writes the directory: a command that must write it (`serve`) fails with a
    /// message naming the setting; any other command reads the files and keeps its own catch-up in memory.
    static func open(directory: URL, store: any PaperboyStore, logger: Logger, mustWrite: Bool) async throws
        -> KeywordIndexMaintainer
    {
        let maintainer: KeywordIndexMaintainer
        do {
            maintainer = try await KeywordIndexMaintainer(
                directory: directory, feed: store, papers: store, logger: logger)
        } catch KeywordIndexError.locked {
            guard !mustWrite else {
                throw SettingError(
                    setting: "--index-dir (PAPERBOY_INDEX_DIR)",
                    problem:
                        "\(directory.path) is in use by another Paperboy process; give each server its own --index-dir")
            }
            maintainer = try await KeywordIndexMaintainer(
                directory: directory, feed: store, papers: store, writable: false, logger: logger)
        }
        let start = ContinuousClock.now
        let changed = try await maintainer.catchUp()
        if changed > 0 {
            try await maintainer.flush()
            logger.info(
                "keyword index brought up to date",
                metadata: [
                    "index.changes": "\(changed)", "index.papers": "\(maintainer.index.count)",
                    "index.seconds": "\(String(format: "%.1f", (ContinuousClock.now - start).seconds))",
                ])
        }
        return maintainer
    }
}
