import Foundation
import Logging
import PaperboyCore
import PaperboySQLite

/// Where `--database` points, and the one place a command turns it into a store. Commands then work through the
/// store's roles (``PaperboyStore``), never through a backend's type.
struct StoreLocation {
    enum Backend {
        /// An SQLite file (the embedded default).
        case sqlite(path: String)
    }

    let backend: Backend
    /// The setting as given, for messages and logs.
    let description: String

    /// Reads `--database` / `PAPERBOY_DATABASE`: a file path (SQLite) today. A `postgres://` URL is refused with a
    /// clear message until the PostgreSQL store lands.
    init(_ value: String) throws(SettingError) {
        description = value
        let lowered = value.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            throw SettingError(
                flag: "database", value: value,
                expected: "supported yet: PostgreSQL is not available in this version; give an SQLite file path")
        }
        guard !value.isEmpty, !value.contains("\0") else {
            throw SettingError(flag: "database", value: value, expected: "an SQLite file path")
        }
        backend = .sqlite(path: value)
    }

    /// Whether the database already exists (a backup of nothing is an error, not a new empty database).
    var exists: Bool {
        switch backend {
        case .sqlite(let path): FileManager.default.fileExists(atPath: path)
        }
    }

    /// Opens the store and, unless told not to, brings its schema up to date.
    func open(logger: Logger, migrate: Bool = true) async throws -> any PaperboyStore {
        let store: any PaperboyStore
        switch backend {
        case .sqlite(let path): store = try SQLiteStore(path: path, logger: logger)
        }
        if migrate { try await store.migrate() }
        return store
    }
}
