import Foundation
import GRDB
import PaperboyCore

// The store's tables as plain rows (``TableReading``), for `paperboy copy`: each in primary-key order, by keyset pages.

extension SQLiteStore: TableReading {
    public func rows(of table: CopyTable, after key: [TableValue]?, limit: Int) async throws -> [[TableValue]] {
        let columns = table.columns.map { Self.columnName($0.name, in: table) }
        let keys = columns.prefix(table.keyCount)
        let keyList = keys.joined(separator: ", ")
        var sql = "SELECT \(columns.joined(separator: ", ")) FROM \(table.name)"
        var arguments: [DatabaseValue] = []
        if let key {
            sql += " WHERE (\(keyList)) > (\(Array(repeating: "?", count: key.count).joined(separator: ", ")))"
            arguments = key.map(Self.databaseValue)
        }
        sql += " ORDER BY \(keyList) LIMIT ?"
        arguments.append(limit.databaseValue)
        let statementArguments = StatementArguments(arguments)
        return try await pool.read { [sql] db in
            try Row.fetchAll(db, sql: sql, arguments: statementArguments).map { row in
                try table.columns.enumerated().map { index, column in
                    try Self.tableValue(row[index] as DatabaseValue, column: column, table: table)
                }
            }
        }
    }

    /// SQLite's name of a column: the papers' key is their rowid, and links to papers name `paper_rowid`.
    static func columnName(_ name: String, in table: CopyTable) -> String {
        if table.name == "papers", name == "key" { return "rowid" }
        return name == "paper_key" ? "paper_rowid" : name
    }

    static func databaseValue(_ value: TableValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .bytes(let bytes): Data(bytes).databaseValue
        }
    }

    /// A stored value as the column's kind; a value of another type (a database edited by hand) throws.
    static func tableValue(_ value: DatabaseValue, column: CopyTable.Column, table: CopyTable) throws -> TableValue {
        switch (value.storage, column.kind) {
        case (.null, _): return .null
        case (.int64(let number), .integer): return .integer(number)
        case (.int64(let number), .boolean): return .integer(number == 0 ? 0 : 1)
        case (.string(let text), .text): return .text(text)
        case (.blob(let data), .bytes): return .bytes(Array(data))
        default:
            throw StoredRowError(
                description: "\(table.name).\(column.name) holds \(value), which is not \(column.kind): the row cannot "
                    + "be copied")
        }
    }
}
