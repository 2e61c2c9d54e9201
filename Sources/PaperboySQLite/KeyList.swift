import GRDB
import PaperboyCore

/// Keys for `rowid IN (...)`, in chunks of at most 500 (well under SQLite's limit on bound values).
enum KeyList {
    static func chunks(_ keys: [PaperKey]) -> [(placeholders: String, keys: StatementArguments)] {
        stride(from: 0, to: keys.count, by: 500).map { start in
            let chunk = keys[start..<min(keys.count, start + 500)]
            return (Array(repeating: "?", count: chunk.count).joined(separator: ", "), StatementArguments(Array(chunk)))
        }
    }
}
