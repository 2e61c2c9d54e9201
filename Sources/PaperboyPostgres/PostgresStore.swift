import Foundation
import Logging
import NIOSSL
import PaperboyCore
import PostgresNIO

/// Paperboy's store on PostgreSQL, for several `serve` nodes on one database. One value owns a connection pool
/// (postgres-nio's `PostgresClient`, run in a task of its own until ``shutDown()``); every role's methods run their
/// statements through it, each value a bound parameter.
///
/// It plays every store role (``PaperboyStore``); its ``PaperKey`` is the papers table's `key`. Migrations are numbered
/// and run under an advisory lock, so that nodes starting at once migrate once; a newer schema is refused; `backup`
/// says to use `pg_dump`.
public final class PostgresStore: Sendable {
    public let settings: PostgresSettings
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    public init(settings: PostgresSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: Self.tls(settings.tls))
        configuration.options.maximumConnections = max(1, settings.maximumConnections)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        // Started at once, on this thread, so that the pool counts as running before the first query leases from it.
        runner = Task.immediate { await client.run() }
    }

    deinit { runner.cancel() }

    /// Closes the pool's connections.
    public func shutDown() async {
        runner.cancel()
        await runner.value
    }

    /// Whether and how TLS is used for `mode`: nil for no TLS, else the configuration and whether it is required.
    static func tlsConfiguration(_ mode: PostgresSettings.TLSMode) -> (configuration: TLSConfiguration, required: Bool)?
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable:
            return nil
        case .prefer, .require:
            tls.certificateVerification = .none
            return (tls, mode == .require)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return (tls, true)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            return (tls, true)
        }
    }

    static func tls(_ mode: PostgresSettings.TLSMode) -> PostgresClient.Configuration.TLS {
        guard let (tls, required) = tlsConfiguration(mode) else { return .disable }
        return required ? .require(tls) : .prefer(tls)
    }

    /// Connects once, outside the pool, and disconnects: a database that cannot be reached, or that refuses the
    /// settings (a wrong password, no such database), throws ``PostgresUnreachable`` with the server's reason at once.
    /// (The pool would instead retry for ever, and a command would wait without a word.)
    public static func checkReachable(_ settings: PostgresSettings, logger: Logger) async throws {
        let tls: PostgresConnection.Configuration.TLS
        do {
            if let (configuration, required) = tlsConfiguration(settings.tls) {
                let context = try NIOSSLContext(configuration: configuration)
                tls = required ? .require(context) : .prefer(context)
            } else {
                tls = .disable
            }
            let connection = try await PostgresConnection.connect(
                configuration: PostgresConnection.Configuration(
                    host: settings.host, port: settings.port, username: settings.username, password: settings.password,
                    database: settings.database, tls: tls),
                id: 0, logger: logger)
            try await connection.close()
        } catch let error as PSQLError {
            let reason =
                error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "\(error.code)"
            throw PostgresUnreachable(description: "cannot connect to \(settings.redacted): \(reason)")
        } catch {
            throw PostgresUnreachable(description: "cannot connect to \(settings.redacted): \(error)")
        }
    }
}

/// The database cannot be reached, or it refuses the settings; says why, never the password.
public struct PostgresUnreachable: Error, CustomStringConvertible {
    public let description: String
}

// MARK: StoreMaintenance

extension PostgresStore: StoreMaintenance {
    /// Applies the migrations this version knows and the database lacks, each in a transaction, while holding an
    /// advisory lock: nodes that start at once migrate one after another, and the later ones find nothing to do.
    /// A database with a migration this version does not know is refused (``SchemaNewerThanThisPaperboy``).
    public func migrate() async throws {
        let logger = logger
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(PostgresSchema.migrationLock))", logger: logger)
            // Unlocked whether or not migrating worked; a failure to migrate is the error said.
            var failure: (any Error)?
            do {
                try await Self.migrate(connection, logger: logger)
            } catch {
                failure = error
            }
            do {
                try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
            } catch {
                failure = failure ?? error
            }
            if let failure { throw failure }
        }
    }

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS paperboy_migrations (
                name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let applied = try await appliedMigrations(connection, logger: logger)
        let known = Set(PostgresSchema.migrations.map(\.name))
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw SchemaNewerThanThisPaperboy(store: "PostgreSQL", unknown: unknown) }
        for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
            try await connection.withTransaction(logger: logger) { transaction in
                for statement in migration.statements {
                    try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await transaction.query(
                    "INSERT INTO paperboy_migrations (name) VALUES (\(migration.name))", logger: logger)
            }
            logger.info("migrated", metadata: ["store.migration": "\(migration.name)"])
        }
    }

    private static func appliedMigrations(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var names: [String] = []
        let rows = try await connection.query("SELECT name FROM paperboy_migrations ORDER BY name", logger: logger)
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// The names of the migrations this version knows, oldest first: the SQLite store's names, one for one.
    public static var migrationNames: [String] { PostgresSchema.migrations.map(\.name) }

    public func appliedMigrations() async throws -> [String] {
        let exists = try await client.query(
            "SELECT to_regclass('paperboy_migrations') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return [] }
        let logger = logger
        return try await client.withConnection { try await Self.appliedMigrations($0, logger: logger) }
    }

    public func pendingMigrations() async throws -> [String] {
        let applied = Set(try await appliedMigrations())
        return Self.migrationNames.filter { !applied.contains($0) }
    }

    public func backup(to destination: String) async throws {
        throw StoreUnsupported(
            operation: "back up to a file", store: "PostgreSQL",
            advice: "use pg_dump (pg_dump -Fc \(settings.redacted) > paperboy.dump), or the backups you already run")
    }
}

// MARK: HarvestStateStore

extension PostgresStore: HarvestStateStore {
    public func harvestState(key: String) async throws -> HarvestState {
        let rows = try await client.query(
            """
            SELECT last_completed, resumption_token, from_day, until_day FROM harvest_state WHERE key = \(key)
            """, logger: logger)
        for try await (last, token, from, until) in rows.decode((String?, String?, String?, String?).self) {
            let day: (String?) -> Day? = { $0.flatMap { Day(iso: $0) } }
            return HarvestState(lastCompleted: day(last), resumptionToken: token, from: day(from), until: day(until))
        }
        return HarvestState()
    }

    public func setHarvestState(_ state: HarvestState, key: String) async throws {
        try await client.query(
            """
            INSERT INTO harvest_state (key, last_completed, resumption_token, from_day, until_day)
            VALUES (\(key), \(state.lastCompleted?.description), \(state.resumptionToken), \(state.from?.description),
                \(state.until?.description))
            ON CONFLICT (key) DO UPDATE SET last_completed = excluded.last_completed,
                resumption_token = excluded.resumption_token, from_day = excluded.from_day,
                until_day = excluded.until_day
            """, logger: logger)
    }
}
