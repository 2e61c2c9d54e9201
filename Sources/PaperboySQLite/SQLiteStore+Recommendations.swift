import Foundation
import GRDB
import PaperboyCore

// What recommendations learn from (migration 0010): the liked papers are read from votes, collection items,
// submissions, claims and seed papers in one query; "not interested" marks and the settings have tables of their own.

extension SQLiteStore {
    public func tasteSignals(accountID: Int64) async throws -> TasteSignals {
        try await pool.read { db in
            // One row per paper, its newest signal (SQLite gives the bare `kind` of the row holding max(at)).
            let liked = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.rowid, p.id, p.title, p.categories, p.authors, s.kind FROM (
                        SELECT rowid, kind, max(at) AS at FROM (
                            SELECT paper_rowid AS rowid, created_at AS at, 'upvote' AS kind FROM votes
                                WHERE user_id = ?1
                            UNION ALL
                            SELECT i.paper_rowid, i.added_at, 'collection' FROM collection_items i
                                JOIN collections c ON c.id = i.collection_id WHERE c.user_id = ?1
                            UNION ALL
                            SELECT paper_rowid, submitted_at, 'submission' FROM submissions WHERE user_id = ?1
                            UNION ALL
                            SELECT paper_rowid, created_at, 'claim' FROM claims
                                WHERE user_id = ?1 AND status <> 'refused'
                            UNION ALL
                            SELECT sp.rowid, t.created_at, 'seed' FROM taste_seeds t JOIN papers sp ON sp.id = t.value
                                WHERE t.user_id = ?1 AND t.kind = 'paper'
                        ) GROUP BY rowid
                    ) s JOIN papers p ON p.rowid = s.rowid
                    WHERE p.hidden_at IS NULL
                    ORDER BY s.at DESC, p.rowid DESC LIMIT ?2
                    """,
                arguments: [accountID, RecommendationLimits.maxLiked]
            ).map { row in try Self.tastePaper(row, kind: TasteSignalKind(rawValue: row[5]) ?? .upvote) }
            let notInterested = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.rowid, p.id, p.title, p.categories, p.authors FROM not_interested n
                    JOIN papers p ON p.rowid = n.paper_rowid
                    WHERE n.user_id = ? AND p.hidden_at IS NULL
                    ORDER BY n.created_at DESC, p.rowid DESC LIMIT ?
                    """,
                arguments: [accountID, RecommendationLimits.maxNotInterested]
            ).map { try Self.tastePaper($0, kind: .upvote) }
            let categories = try Self.seeds(db, accountID: accountID, kind: "category")
            return TasteSignals(
                accountID: accountID, liked: liked, notInterested: notInterested, categories: categories)
        }
    }

    private static func tastePaper(_ row: Row, kind: TasteSignalKind) throws -> TastePaper {
        TastePaper(
            key: try row.decode(atIndex: 0), id: PaperID(storedValue: try row.decode(atIndex: 1)),
            title: try row.decode(atIndex: 2), categories: StoredText.categories(try row.decode(atIndex: 3)),
            authors: StoredText.authors(try row.decode(atIndex: 4)), kind: kind)
    }

    private static func seeds(_ db: Database, accountID: Int64, kind: String) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT value FROM taste_seeds WHERE user_id = ? AND kind = ? ORDER BY position",
            arguments: [accountID, kind])
    }

    public func setNotInterested(accountID: Int64, paper: PaperID, on: Bool, at: Date) async throws -> Bool? {
        try await pool.write { db in
            guard
                let rowid = try Int64.fetchOne(
                    db, sql: "SELECT rowid FROM papers WHERE id = ? AND hidden_at IS NULL", arguments: [paper.rawValue])
            else { return nil }
            if on {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO not_interested (user_id, paper_rowid, created_at) VALUES (?, ?, ?)",
                    arguments: [accountID, rowid, PaperRow.millis(at)])
            } else {
                try db.execute(
                    sql: "DELETE FROM not_interested WHERE user_id = ? AND paper_rowid = ?",
                    arguments: [accountID, rowid])
            }
            return on
        }
    }

    public func notInterestedPapers(accountID: Int64, limit: Int) async throws -> [StoredPaper] {
        try await pool.read { db in
            try PaperRow.fetchAll(
                db,
                sql: """
                    SELECT \(PaperRow.columns(prefix: "p.")) FROM not_interested n
                    JOIN papers p ON p.rowid = n.paper_rowid
                    WHERE n.user_id = ? AND p.hidden_at IS NULL
                    ORDER BY n.created_at DESC, p.rowid DESC LIMIT ?
                    """,
                arguments: [accountID, max(limit, 0)]
            ).map(\.paper)
        }
    }

    public func recommendationSettings(accountID: Int64) async throws -> RecommendationSettings {
        try await pool.read { db in
            RecommendationSettings(
                categories: try Self.seeds(db, accountID: accountID, kind: "category"),
                seedPapers: try Self.seeds(db, accountID: accountID, kind: "paper").map(PaperID.init(storedValue:)))
        }
    }

    public func setRecommendationSettings(accountID: Int64, _ settings: RecommendationSettings, at: Date)
        async throws
    {
        try await pool.write { db in
            let unknown = try settings.seedPapers.filter { id in
                try Int64.fetchOne(db, sql: "SELECT rowid FROM papers WHERE id = ?", arguments: [id.rawValue]) == nil
            }
            guard unknown.isEmpty else { throw RecommendationSettingsProblem.unknownPapers(unknown) }
            try db.execute(sql: "DELETE FROM taste_seeds WHERE user_id = ?", arguments: [accountID])
            let insert = try db.makeStatement(
                sql: "INSERT INTO taste_seeds (user_id, kind, value, position, created_at) VALUES (?, ?, ?, ?, ?)")
            let rows = settings.categories.map { ("category", $0) } + settings.seedPapers.map { ("paper", $0.rawValue) }
            for (position, (kind, value)) in rows.enumerated() {
                try insert.execute(arguments: [accountID, kind, value, position, PaperRow.millis(at)])
            }
        }
    }
}
