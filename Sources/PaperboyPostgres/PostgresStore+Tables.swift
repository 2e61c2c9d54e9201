import Foundation
import Logging
import NIOCore
import PaperboyCore
import PostgresNIO

// The store's tables as plain rows, read (``TableReading``) and written (``TableWriting``) for `paperboy copy`: rows
// come in with `COPY` into a temporary table, then join the table where their key is not taken, so a copy run again
// adds nothing.

extension PostgresStore: TableWriting {
    public func rows(of table: CopyTable, after key: [TableValue]?, limit: Int) async throws -> [[TableValue]] {
        // Text keys in byte order, as SQLite orders them.
        let keys = table.keyColumns.map { $0.kind == .text ? "\($0.name) COLLATE \"C\"" : $0.name }
            .joined(separator: ", ")
        var sql = "SELECT \(table.columns.map(\.name).joined(separator: ", ")) FROM \(table.name)"
        var bindings = PostgresBindings()
        if let key {
            let placeholders = (1...key.count).map { "$\($0)" }.joined(separator: ", ")
            sql += " WHERE (\(keys)) > (\(placeholders))"
            for value in key { Self.bind(value, to: &bindings) }
        }
        sql += " ORDER BY \(keys) LIMIT $\(bindings.count + 1)"
        bindings.append(Int64(limit))
        return try await client.all(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) { row in
            try zip(row, table.columns).map { cell, column in try Self.tableValue(cell, column: column) }
        }
    }

    public func holdsOtherData(than identity: String) async throws -> Bool {
        try await client.scalar(
            """
            SELECT coalesce((SELECT value FROM paperboy_meta WHERE key = 'store_identity'), '') <> \(identity)
                AND (EXISTS (SELECT 1 FROM papers) OR EXISTS (SELECT 1 FROM users))
            """, as: Bool.self, logger: logger) ?? false
    }

    public func insertRows(_ rows: [[TableValue]], into table: CopyTable) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        var data = CopyText()
        for row in rows { data.row(zip(row, table.columns).map { Self.copyField($0, kind: $1.kind) }) }
        let columns = table.columns.map(\.name).joined(separator: ", ")
        let conflict: String
        if table.replacesStoredRows {
            let keys = table.keyColumns.map(\.name).joined(separator: ", ")
            let updates = table.columns.dropFirst(table.keyCount).map { "\($0.name) = excluded.\($0.name)" }
            let values = table.columns.dropFirst(table.keyCount).map(\.name)
            // Only a row that differs counts as written: a copy run again writes nothing.
            conflict =
                "(\(keys)) DO UPDATE SET \(updates.joined(separator: ", ")) WHERE (\(values.map { "\(table.name).\($0)" }.joined(separator: ", "))) "
                + "IS DISTINCT FROM (\(values.map { "excluded.\($0)" }.joined(separator: ", ")))"
        } else {
            conflict = "DO NOTHING"
        }
        let logger = logger
        return try await transaction { connection in
            try await connection.execute(
                PostgresQuery(unsafeSQL: "CREATE TEMPORARY TABLE copied_rows (LIKE \(table.name)) ON COMMIT DROP"),
                logger: logger)
            try await connection.copyFrom(
                table: "copied_rows", columns: table.columns.map(\.name), logger: logger
            ) { writer in try await writer.write(data.buffer) }
            return try await connection.count(
                PostgresQuery(
                    unsafeSQL: """
                        WITH added AS (
                            INSERT INTO \(table.name) (\(columns)) OVERRIDING SYSTEM VALUE
                            SELECT \(columns) FROM copied_rows ON CONFLICT \(conflict) RETURNING 1)
                        SELECT count(*) FROM added
                        """), logger: logger)
        }
    }

    /// The tables whose key is an identity, and that key.
    static let identities = [
        ("users", "id"), ("papers", "key"), ("access_tokens", "id"), ("claims", "id"), ("comments", "id"),
        ("reports", "id"), ("moderation_log", "id"), ("subscriptions", "id"), ("digest_ledger", "id"),
    ]

    public func finishCopy() async throws {
        for (table, column) in Self.identities {
            try await client.execute(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'),
                            coalesce((SELECT max(\(column)) FROM \(table)), 0) + 1, false)
                        """), logger: logger)
        }
        try await client.execute(
            "SELECT setval('paper_changes', coalesce((SELECT max(change_seq) FROM papers), 0) + 1, false)",
            logger: logger)
        try await client.execute("ANALYZE", logger: logger)
    }

    static func bind(_ value: TableValue, to bindings: inout PostgresBindings) {
        switch value {
        case .null: bindings.appendNull()
        case .integer(let number): bindings.append(number)
        case .text(let text): bindings.append(text)
        case .bytes(let bytes): bindings.append(ByteBuffer(bytes: bytes))
        }
    }

    static func tableValue(_ cell: PostgresCell, column: CopyTable.Column) throws -> TableValue {
        switch column.kind {
        case .integer: try cell.decode(Int64?.self).map(TableValue.integer) ?? .null
        case .boolean: try cell.decode(Bool?.self).map { .integer($0 ? 1 : 0) } ?? .null
        case .text: try cell.decode(String?.self).map(TableValue.text) ?? .null
        case .bytes: try cell.decode(ByteBuffer?.self).map { .bytes(Array($0.readableBytesView)) } ?? .null
        }
    }

    /// A value as `COPY`'s text format writes it in a column of `kind` (bytes in hex, truth values as t or f).
    static func copyField(_ value: TableValue, kind: CopyTable.Kind) -> String? {
        switch value {
        case .null: nil
        case .integer(let number): kind == .boolean ? (number == 0 ? "f" : "t") : String(number)
        case .text(let text): text
        case .bytes(let bytes): "\\x" + Hex.encode(bytes)
        }
    }
}
