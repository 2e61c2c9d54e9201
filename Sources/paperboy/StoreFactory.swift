import Foundation
import Logging
import PaperboyCore
import PaperboyPostgres
import PaperboySQLite

/// Where `--database` points, and the one place a command turns it into a store. Commands then work through the
/// store's roles (``PaperboyStore``), never through a backend's type.
struct StoreLocation {
    enum Backend {
        /// An SQLite file (the embedded default).
        case sqlite(path: String)
        /// A PostgreSQL database, for several nodes.
        case postgres(PostgresSettings)

        var isPostgres: Bool {
            if case .postgres = self { return true }
            return false
        }
    }

    var backend: Backend
    /// The setting as messages and logs may show it (a PostgreSQL URL without its password).
    let description: String

    /// Reads `--database` / `PAPERBOY_DATABASE`: a `postgres://` or `postgresql://` URL selects PostgreSQL, anything
    /// else is an SQLite file path. A PostgreSQL password comes from the URL only when the URL came from the
    /// environment (a flag shows in `ps`), else from `passwordFile` (the contents of `--database-password-file`) or
    /// `PGPASSWORD`.
    init(
        _ value: String, setting: String = "--database (PAPERBOY_DATABASE)", fromFlag: Bool, passwordFile: String?,
        environment: [String: String]
    ) throws(SettingError) {
        if PostgresSettings.isURL(value) {
            let settings: PostgresSettings
            do {
                settings = try PostgresSettings.parse(value, passwordFile: passwordFile, environment: environment)
            } catch {
                throw SettingError(setting: setting, problem: "the PostgreSQL URL \(error.problem)")
            }
            if fromFlag, URLComponents(string: value)?.password != nil {
                throw SettingError(
                    setting: setting,
                    problem: "the URL holds a password, which any user of the machine sees in `ps`: set the URL in "
                        + "the environment instead, or put the password in a password file")
            }
            backend = .postgres(settings)
            description = settings.redacted
            return
        }
        guard passwordFile == nil else {
            throw SettingError(
                setting: setting, problem: "an SQLite file, which has no password, yet a password is set")
        }
        guard !value.isEmpty, !value.contains("\0") else {
            throw SettingError(setting: setting, problem: "“\(value)” is not an SQLite file path or a postgres:// URL")
        }
        backend = .sqlite(path: value)
        description = value
    }

    /// Whether the database already exists (a backup of nothing is an error, not a new empty database). A PostgreSQL
    /// database is the server's to say.
    var exists: Bool {
        switch backend {
        case .sqlite(let path): FileManager.default.fileExists(atPath: path)
        case .postgres: true
        }
    }

    /// Where files beside the store live by default (`--index-dir`): beside an SQLite file, or `./paperboy-index`.
    var defaultIndexDirectory: String {
        switch backend {
        case .sqlite(let path): path + ".index"
        case .postgres: "./paperboy-index"
        }
    }

    /// Opens the store and, unless told not to, brings its schema up to date. A PostgreSQL database is connected to
    /// once first, so that one out of reach fails at once with the reason (``PostgresUnreachable``), unless `connect` is
    /// false (for what needs no connection, like saying that `backup` is `pg_dump`'s job).
    func open(logger: Logger, migrate: Bool = true, connect: Bool = true) async throws -> any PaperboyStore {
        let store: any PaperboyStore
        switch backend {
        case .sqlite(let path): store = try SQLiteStore(path: path, logger: logger)
        case .postgres(let settings):
            if connect { try await PostgresStore.checkReachable(settings, logger: logger) }
            store = PostgresStore(settings: settings, logger: logger)
        }
        if migrate { try await store.migrate() }
        return store
    }
}
