import Foundation
import GRDB
import PaperboyCore

// The change sequence (migration 0006, ``PaperChangeFeed``). Every statement that writes a row of `papers` also sets
// its `change_seq` to ``ChangeSequence/next``, in the same transaction. Write transactions are IMMEDIATE (GRDB's
// default for a pool's writes), so the maximum is read under the write lock: whichever process writes, each number is
// larger than every number committed before it, and a reader that has read the changes up to a number finds every later
// commit after it. Papers are never deleted, so the maximum never goes back.

/// Numbering writes to papers.
enum ChangeSequence {
    /// The next number of the sequence, as an SQL expression: one step down the right edge of the unique index on
    /// `change_seq`. Uncorrelated, so SQLite evaluates it once per statement: use it in statements that write one row.
    static let next = "(SELECT coalesce(max(change_seq), 0) + 1 FROM papers)"

    /// Gives each of the papers `rowids` the next number, one after another (a statement writing many rows would give
    /// them all the same number).
    static func bump(_ db: Database, rowids: [Int64]) throws {
        guard !rowids.isEmpty else { return }
        let statement = try db.cachedStatement(sql: "UPDATE papers SET change_seq = \(next) WHERE rowid = ?")
        for rowid in rowids { try statement.execute(arguments: [rowid]) }
    }
}

extension SQLiteStore {
    /// The most changes one ``paperChanges(after:limit:)`` reads, whatever limit it is asked for.
    public static let maximumChangesRead = 10_000

    /// Reads at least one and at most ``maximumChangesRead`` changes, whatever `limit` says. A paper row that cannot
    /// be read (a database edited by hand) is logged and passed over.
    public func paperChanges(after sequence: Int64, limit: Int) async throws -> PaperChanges {
        let limit = min(max(limit, 1), Self.maximumChangesRead)
        let (changes, unreadable) = try await pool.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT change_seq, rowid, id, title, authors, abstract, categories, featured_at,
                        hidden_at IS NOT NULL
                    FROM papers WHERE change_seq > ? ORDER BY change_seq LIMIT ?
                    """,
                arguments: [sequence, limit])
            var changes = PaperChanges(papers: [], last: sequence)
            var unreadable: [PaperKey] = []
            while let row = try rows.next() {
                changes.last = try row.decode(atIndex: 0)
                let key: PaperKey = try row.decode(atIndex: 1)
                guard let paper = Self.indexablePaper(row, key: key) else {
                    unreadable.append(key)
                    continue
                }
                changes.papers.append(paper)
            }
            return (changes, unreadable)
        }
        if !unreadable.isEmpty {
            logger.warning(
                "papers that cannot be read are left out of the changes",
                metadata: ["paper.rowids": "\(unreadable.prefix(10).map(String.init).joined(separator: ", "))"])
        }
        return changes
    }

    /// A row of ``paperChanges(after:limit:)`` as a paper, nil when a value has the wrong type.
    private static func indexablePaper(_ row: Row, key: PaperKey) -> IndexablePaper? {
        guard let id = try? row.decode(String.self, atIndex: 2),
            let title = try? row.decode(String.self, atIndex: 3),
            let authors = try? row.decode(String.self, atIndex: 4),
            let abstract = try? row.decode(String.self, atIndex: 5),
            let categories = try? row.decode(String.self, atIndex: 6),
            let featuredAt = try? row.decode(Int64.self, atIndex: 7),
            let isHidden = try? row.decode(Bool.self, atIndex: 8)
        else { return nil }
        return IndexablePaper(
            key: key, id: PaperID(storedValue: id), title: title, authors: PaperRow.authors(authors),
            abstract: abstract, categories: categories.split(separator: " ").map(String.init),
            featuredAt: PaperRow.date(featuredAt), isHidden: isHidden)
    }

    public func latestPaperChange() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT coalesce(max(change_seq), 0) FROM papers") ?? 0
        }
    }

    /// Throws when the store was never migrated (migration 0006 makes the identity).
    public func storeIdentity() async throws -> String {
        let identity = try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM paperboy_meta WHERE key = ?", arguments: [Self.identityKey])
        }
        guard let identity else {
            throw StoredRowError(description: "the store at \(path) has no identity: run `paperboy migrate`")
        }
        return identity
    }

    /// The `paperboy_meta` key of ``storeIdentity()``.
    static let identityKey = "store_identity"
}
