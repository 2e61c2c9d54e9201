import Foundation
import GRDB
import PaperboyCore

// The change sequence (migration 0006). Every statement that writes a row of `papers` also sets
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
