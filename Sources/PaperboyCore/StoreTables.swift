import Foundation

// Moving an installation between backends (`paperboy copy`): every table of the schema, row by row, in primary-key
// order, with a count and a checksum per table computed alike on both sides. The tables and their columns are named
// here once, as PostgreSQL names them (SQLite's `papers.rowid` is `key`, its `paper_rowid` columns `paper_key`).

/// One value of a copied row, as both stores can hold it.
public enum TableValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case bytes([UInt8])
}

/// A table of the schema: its columns and, first among them, the columns of its primary key.
public struct CopyTable: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case integer
        /// A truth value: SQLite's 0 or 1, PostgreSQL's BOOLEAN; copied as 0 or 1.
        case boolean
        case text
        case bytes
    }

    public struct Column: Sendable, Hashable {
        public let name: String
        public let kind: Kind
    }

    public let name: String
    public let columns: [Column]
    /// How many of the first columns make the primary key.
    public let keyCount: Int
    /// Whether rows already stored are replaced by the copied ones (settings such as the store's identity), rather
    /// than left alone.
    public let replacesStoredRows: Bool

    init(_ name: String, key: Int = 1, replaces: Bool = false, _ columns: [(String, Kind)]) {
        self.name = name
        self.columns = columns.map { Column(name: $0.0, kind: $0.1) }
        keyCount = key
        replacesStoredRows = replaces
    }

    public var keyColumns: ArraySlice<Column> { columns.prefix(keyCount) }

    public var description: String { name }

    /// The key of a row of this table.
    public func key(of row: [TableValue]) -> [TableValue] { Array(row.prefix(keyCount)) }
}

extension CopyTable {
    /// Every table, each after the tables its rows refer to. Job leases and sign-in failure counts are left out: they
    /// last minutes, and a node of the new installation takes them afresh.
    public static let all: [CopyTable] = [
        CopyTable(
            "users",
            [
                ("id", .integer), ("username", .text), ("email", .text), ("email_key", .text),
                ("email_verified_at", .integer), ("fullname", .text), ("role", .text), ("password_hash", .text),
                ("totp_secret", .text), ("disabled", .boolean), ("created_at", .integer),
            ]),
        CopyTable("organizations", [("name", .text), ("fullname", .text), ("created_at", .integer)]),
        CopyTable("organization_members", key: 2, [("organization", .text), ("user_id", .integer)]),
        CopyTable(
            "papers",
            [
                ("key", .integer), ("id", .text), ("title", .text), ("authors", .text), ("abstract", .text),
                ("categories", .text), ("versions", .text), ("submitter", .text), ("comments", .text),
                ("journal_ref", .text), ("doi", .text), ("report_no", .text), ("license", .text),
                ("updated_at", .integer), ("published_at", .integer), ("latest_version", .integer),
                ("featured_at", .integer), ("featured_day", .text), ("upvotes", .integer), ("num_comments", .integer),
                ("submitted_by", .integer), ("hidden_at", .integer), ("organization", .text), ("github_repo", .text),
                ("project_page", .text), ("key_sentence", .text), ("keywords", .text), ("change_seq", .integer),
            ]),
        CopyTable("paper_authors", key: 3, [("name", .text), ("featured_at", .integer), ("paper_key", .integer)]),
        CopyTable(
            "paper_categories", key: 3, [("category", .text), ("featured_at", .integer), ("paper_key", .integer)]),
        CopyTable(
            "paper_vectors", key: 2,
            [
                ("model", .text), ("paper_key", .integer), ("text_hash", .integer), ("dimension", .integer),
                ("vector", .bytes),
            ]),
        CopyTable(
            "harvest_state",
            [
                ("key", .text), ("last_completed", .text), ("resumption_token", .text), ("from_day", .text),
                ("until_day", .text),
            ]),
        CopyTable("paperboy_meta", replaces: true, [("key", .text), ("value", .text)]),
        CopyTable(
            "sessions",
            [
                ("token_hash", .text), ("user_id", .integer), ("created_at", .integer), ("last_seen_at", .integer),
                ("user_agent", .text),
            ]),
        CopyTable(
            "access_tokens",
            [
                ("id", .integer), ("user_id", .integer), ("name", .text), ("token_hash", .text),
                ("created_at", .integer), ("last_used_at", .integer),
            ]),
        CopyTable("recovery_codes", key: 2, [("user_id", .integer), ("code_hash", .text)]),
        CopyTable("votes", key: 2, [("user_id", .integer), ("paper_key", .integer), ("created_at", .integer)]),
        CopyTable(
            "submissions",
            [("paper_key", .integer), ("user_id", .integer), ("submitted_at", .integer), ("comment", .text)]),
        CopyTable(
            "claims",
            [
                ("id", .integer), ("paper_key", .integer), ("author_index", .integer), ("author_name", .text),
                ("user_id", .integer), ("status", .text), ("created_at", .integer), ("decided_at", .integer),
                ("decided_by", .integer),
            ]),
        CopyTable(
            "comments",
            [
                ("id", .integer), ("paper_key", .integer), ("user_id", .integer), ("text", .text),
                ("created_at", .integer), ("edited_at", .integer), ("hidden_at", .integer),
            ]),
        CopyTable(
            "reports",
            [
                ("id", .integer), ("paper_key", .integer), ("comment_id", .integer), ("user_id", .integer),
                ("reason", .text), ("created_at", .integer), ("resolved_at", .integer), ("resolved_by", .integer),
            ]),
        CopyTable(
            "collections",
            [
                ("id", .text), ("user_id", .integer), ("name", .text), ("description", .text),
                ("is_public", .boolean), ("created_at", .integer), ("updated_at", .integer), ("item_count", .integer),
            ]),
        CopyTable(
            "collection_items", key: 2, [("collection_id", .text), ("paper_key", .integer), ("added_at", .integer)]),
        CopyTable(
            "moderation_log",
            [
                ("id", .integer), ("actor_id", .integer), ("action", .text), ("target", .text), ("detail", .text),
                ("at", .integer),
            ]),
        CopyTable(
            "subscriptions",
            [
                ("id", .integer), ("email", .text), ("email_key", .text), ("frequency", .text), ("query", .text),
                ("categories", .text), ("pending_frequency", .text), ("pending_query", .text),
                ("pending_categories", .text), ("confirm_nonce", .text), ("confirmed_at", .integer),
                ("created_at", .integer), ("failures", .integer), ("paused_at", .integer),
            ]),
        CopyTable(
            "mail_quota", key: 3, [("address_key", .text), ("kind", .text), ("day", .text), ("count", .integer)]),
        CopyTable(
            "digest_ledger",
            [
                ("id", .integer), ("subscription_id", .integer), ("email", .text), ("frequency", .text),
                ("period_start", .text), ("state", .text), ("message_id", .text), ("started_at", .integer),
                ("finished_at", .integer), ("detail", .text),
            ]),
        CopyTable(
            "digest_runs", key: 2, [("frequency", .text), ("period_start", .text), ("completed_at", .integer)]),
        CopyTable(
            "not_interested", key: 2, [("user_id", .integer), ("paper_key", .integer), ("created_at", .integer)]),
        CopyTable(
            "taste_seeds", key: 3,
            [
                ("user_id", .integer), ("kind", .text), ("value", .text), ("position", .integer),
                ("created_at", .integer),
            ]),
    ]
}

/// Reading a store's tables, each in primary-key order (text in byte order), for a copy and its checks.
public protocol TableReading: Sendable {
    /// Up to `limit` rows of `table` after the row whose key is `key` (from the first row when nil), in key order,
    /// each with the values of ``CopyTable/columns``.
    func rows(of table: CopyTable, after key: [TableValue]?, limit: Int) async throws -> [[TableValue]]
}

/// Writing copied rows into a store (its schema migrated).
public protocol TableWriting: TableReading {
    /// Whether the store holds rows of another installation, which a copy must not mix with the one it copies:
    /// papers or accounts, with another identity than `identity`.
    func holdsOtherData(than identity: String) async throws -> Bool

    /// Adds the rows whose key is not stored yet, leaving stored ones alone (or replacing them, for a table that
    /// ``CopyTable/replacesStoredRows``); returns how many it added or replaced.
    func insertRows(_ rows: [[TableValue]], into table: CopyTable) async throws -> Int

    /// Ends a copy: the store's counters (identities, the change sequence) continue after the copied values.
    func finishCopy() async throws
}

/// The count of a table's rows and a checksum of them in key order (64-bit FNV-1a of each value with its kind), the
/// same for the same rows on any backend.
public struct TableDigest: Sendable, Hashable, CustomStringConvertible {
    public private(set) var rows = 0
    private var hash = FNV1a()

    public init() {}

    public static func == (a: TableDigest, b: TableDigest) -> Bool { a.rows == b.rows && a.hash.value == b.hash.value }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rows)
        hasher.combine(hash.value)
    }

    public var checksum: String { hash.hex }

    public var description: String { "\(rows) rows, checksum \(checksum)" }

    public mutating func add(_ row: [TableValue]) {
        rows += 1
        for value in row {
            switch value {
            case .null:
                hash.combine([0])
            case .integer(let number):
                hash.combine([1])
                withUnsafeBytes(of: number.littleEndian) { hash.combine($0) }
            case .text(let text):
                hash.combine([2])
                withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { hash.combine($0) }
                hash.combine(text.utf8)
            case .bytes(let bytes):
                hash.combine([3])
                withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { hash.combine($0) }
                hash.combine(bytes)
            }
        }
        hash.combine([0xFF])
    }

    /// Reads every row of `table` from `store`, `batch` at a time.
    public static func of(_ table: CopyTable, in store: some TableReading, batch: Int = 5_000) async throws
        -> TableDigest
    {
        var digest = TableDigest()
        var key: [TableValue]?
        while true {
            let rows = try await store.rows(of: table, after: key, limit: batch)
            for row in rows { digest.add(row) }
            guard rows.count == batch, let last = rows.last else { return digest }
            key = table.key(of: last)
        }
    }
}

/// Copies every table from one store into another, then compares each table's count and checksum on both sides.
public enum StoreCopy {
    public struct TableReport: Sendable, Hashable {
        public let table: String
        /// Rows the target did not hold yet (or replaced).
        public let written: Int
        public let source: TableDigest
        public let target: TableDigest

        public var matches: Bool { source == target }
    }

    /// The target holds another installation's papers or accounts; a copy would mix the two.
    public struct TargetHoldsOtherData: Error, CustomStringConvertible {
        public let description =
            "the target holds papers or accounts of another installation: copy into a new, empty database"
    }

    /// Copies `batch` rows at a time, table by table, reporting each table once it is checked. Rows the target holds
    /// already are left alone, so running it again adds nothing.
    public static func run(
        from source: some TableReading, to target: some TableWriting, identity: String, batch: Int = 5_000,
        report: (TableReport) -> Void = { _ in }
    ) async throws -> [TableReport] {
        guard try await !target.holdsOtherData(than: identity) else { throw TargetHoldsOtherData() }
        var reports: [TableReport] = []
        for table in CopyTable.all {
            var written = 0
            var key: [TableValue]?
            while true {
                let rows = try await source.rows(of: table, after: key, limit: batch)
                if !rows.isEmpty { written += try await target.insertRows(rows, into: table) }
                guard rows.count == batch, let last = rows.last else { break }
                key = table.key(of: last)
            }
            let tableReport = TableReport(
                table: table.name, written: written, source: try await TableDigest.of(table, in: source, batch: batch),
                target: try await TableDigest.of(table, in: target, batch: batch))
            report(tableReport)
            reports.append(tableReport)
        }
        try await target.finishCopy()
        return reports
    }
}
