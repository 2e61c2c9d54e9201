import Foundation
import Logging
import PaperboyCore
import PostgresNIO

/// Where a statement runs: the pool (each query on any free connection) or one connection (inside a transaction).
/// The store's helpers take either, so a role's read can also run inside another's transaction.
protocol PostgresRunner: Sendable {
    func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence
}

extension PostgresClient: PostgresRunner {
    func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}

extension PostgresConnection: PostgresRunner {
    func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}

extension PostgresRunner {
    /// Runs a statement whose rows (if any) are not needed.
    func execute(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await run(query, logger: logger).collect()
    }

    /// Every row of the query, each made into a value by `decode` as it arrives.
    func all<T>(_ query: PostgresQuery, logger: Logger, _ decode: (PostgresRow) throws -> T) async throws -> [T] {
        var values: [T] = []
        for try await row in try await run(query, logger: logger) { values.append(try decode(row)) }
        return values
    }

    /// The first row's value, or nil when there is no row.
    func first<T>(_ query: PostgresQuery, logger: Logger, _ decode: (PostgresRow) throws -> T) async throws -> T? {
        var found: T?
        // The whole answer is read so that the connection is free for the next statement.
        for try await row in try await run(query, logger: logger) where found == nil { found = try decode(row) }
        return found
    }

    /// The first column of the first row, or nil when there is no row or it is NULL.
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type, logger: Logger) async throws -> T?
    where T._DecodableType == T {
        try await first(query, logger: logger) { try $0.decode(T?.self) }.flatMap { $0 }
    }

    /// The number of rows a count query found (0 for none).
    func count(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        Int(try await scalar(query, as: Int64.self, logger: logger) ?? 0)
    }

    /// The papers a query selecting ``PostgresPaperRow/columns`` finds, in its order.
    func papers(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresPaperRow] {
        try await all(query, logger: logger) { try PostgresPaperRow(row: $0) }
    }
}

extension PostgresStore {
    /// Runs `body` in a transaction on one connection; committed when it returns, rolled back when it throws. An
    /// error `body` throws comes out as itself (postgres-nio wraps it), unless rolling back failed too.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            if let thrown = error.closureError, error.rollbackError == nil { throw thrown }
            throw error
        }
    }
}

/// Numbering writes to papers (migration 0006, ``PaperChangeFeed``). A transaction that writes a row of `papers` first
/// calls ``begin(_:logger:)``, which takes the transaction lock ``PostgresSchema/changeLock`` (held until commit) and
/// queues a notification; each statement then sets the row's `change_seq` to ``next``. Numbers are thus taken and
/// committed in one order: a node that has read the changes up to a number finds every later commit after it. The
/// notification (delivered at commit, dropped at rollback) wakes nodes that listen, so they need not wait for their
/// next poll.
enum ChangeSequence {
    static let next = "nextval('paper_changes')"

    /// The channel nodes listen on.
    static let channel = "paperboy_changes"

    static func begin(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.execute(
            "SELECT pg_advisory_xact_lock(\(PostgresSchema.changeLock)), pg_notify(\(channel), '')", logger: logger)
    }
}

/// Transaction-level advisory locks for writes that check, then write (a username taken? a quota spent?): PostgreSQL's
/// READ COMMITTED transactions do not serialize them the way SQLite's single writer does, so each such transaction
/// takes the lock of its domain first (``lock(_:_:logger:)``), and such writes of one domain run one at a time across
/// every node. Unique constraints stay the last word.
enum WriteLock: Int64 {
    // "PB" and a domain number.
    case accounts = 0x5042_0001
    case community = 0x5042_0002
    case discussion = 0x5042_0003
    case mail = 0x5042_0004
    case embeddings = 0x5042_0005

    /// Takes the lock until the transaction ends.
    static func lock(_ lock: WriteLock, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.execute("SELECT pg_advisory_xact_lock(\(lock.rawValue))", logger: logger)
    }
}

extension PSQLError {
    /// A unique constraint refused the row (SQLSTATE 23505).
    var isUniqueViolation: Bool { serverInfo?[.sqlState] == "23505" }
}
