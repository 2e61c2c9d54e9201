import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// What recommendations learn from (migration 0010), as SQLiteStore+Recommendations.swift reads and writes it.

extension PostgresStore: RecommendationStore {
    public func tasteSignals(accountID: Int64) async throws -> TasteSignals {
        // One row per paper, its newest signal (ties: the first kind in this list).
        let liked = try await client.all(
            """
            SELECT p.key, p.id, p.title, p.categories, p.authors, s.kind FROM (
                SELECT DISTINCT ON (key) key, kind, at FROM (
                    SELECT paper_key AS key, created_at AS at, 'upvote' AS kind, 0 AS rank FROM votes
                        WHERE user_id = \(accountID)
                    UNION ALL
                    SELECT i.paper_key, i.added_at, 'collection', 1 FROM collection_items i
                        JOIN collections c ON c.id = i.collection_id WHERE c.user_id = \(accountID)
                    UNION ALL
                    SELECT paper_key, submitted_at, 'submission', 2 FROM submissions WHERE user_id = \(accountID)
                    UNION ALL
                    SELECT paper_key, created_at, 'claim', 3 FROM claims
                        WHERE user_id = \(accountID) AND status <> 'refused'
                    UNION ALL
                    SELECT sp.key, t.created_at, 'seed', 4 FROM taste_seeds t JOIN papers sp ON sp.id = t.value
                        WHERE t.user_id = \(accountID) AND t.kind = 'paper'
                ) signals ORDER BY key, at DESC, rank
            ) s JOIN papers p ON p.key = s.key
            WHERE p.hidden_at IS NULL
            ORDER BY s.at DESC, p.key DESC LIMIT \(RecommendationLimits.maxLiked)
            """, logger: logger
        ) { row in
            let (key, id, title, categories, authors, kind) = try row.decode(
                (Int64, String, String, String, String, String).self)
            return TastePaper(
                key: key, id: PaperID(storedValue: id), title: title, categories: StoredText.categories(categories),
                authors: StoredText.authors(authors), kind: TasteSignalKind(rawValue: kind) ?? .upvote)
        }
        let notInterested = try await client.all(
            """
            SELECT p.key, p.id, p.title, p.categories, p.authors FROM not_interested n
            JOIN papers p ON p.key = n.paper_key
            WHERE n.user_id = \(accountID) AND p.hidden_at IS NULL
            ORDER BY n.created_at DESC, p.key DESC LIMIT \(RecommendationLimits.maxNotInterested)
            """, logger: logger
        ) { row in
            let (key, id, title, categories, authors) = try row.decode((Int64, String, String, String, String).self)
            return TastePaper(
                key: key, id: PaperID(storedValue: id), title: title, categories: StoredText.categories(categories),
                authors: StoredText.authors(authors), kind: .upvote)
        }
        return TasteSignals(
            accountID: accountID, liked: liked, notInterested: notInterested,
            categories: try await seeds(accountID: accountID, kind: "category"))
    }

    private func seeds(accountID: Int64, kind: String) async throws -> [String] {
        try await client.all(
            "SELECT value FROM taste_seeds WHERE user_id = \(accountID) AND kind = \(kind) ORDER BY position",
            logger: logger
        ) { try $0.decode(String.self) }
    }

    public func setNotInterested(accountID: Int64, paper: PaperID, on: Bool, at: Date) async throws -> Bool? {
        let logger = logger
        return try await transaction { connection -> Bool? in
            guard
                let key = try await connection.first(
                    "SELECT key FROM papers WHERE id = \(paper.rawValue) AND hidden_at IS NULL", logger: logger,
                    { try $0.decode(Int64.self) })
            else { return nil }
            if on {
                try await connection.execute(
                    """
                    INSERT INTO not_interested (user_id, paper_key, created_at)
                    VALUES (\(accountID), \(key), \(PostgresPaperRow.millis(at))) ON CONFLICT DO NOTHING
                    """, logger: logger)
            } else {
                try await connection.execute(
                    "DELETE FROM not_interested WHERE user_id = \(accountID) AND paper_key = \(key)", logger: logger)
            }
            return on
        }
    }

    public func notInterestedPapers(accountID: Int64, limit: Int) async throws -> [StoredPaper] {
        try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM not_interested n JOIN papers p ON p.key = n.paper_key
            WHERE n.user_id = \(accountID) AND p.hidden_at IS NULL
            ORDER BY n.created_at DESC, p.key DESC LIMIT \(max(limit, 0))
            """, logger: logger
        ).map(\.paper)
    }

    public func recommendationSettings(accountID: Int64) async throws -> RecommendationSettings {
        RecommendationSettings(
            categories: try await seeds(accountID: accountID, kind: "category"),
            seedPapers: try await seeds(accountID: accountID, kind: "paper").map(PaperID.init(storedValue:)))
    }

    public func setRecommendationSettings(accountID: Int64, _ settings: RecommendationSettings, at: Date)
        async throws
    {
        let logger = logger
        let ids = settings.seedPapers.map(\.rawValue)
        try await transaction { connection in
            let known = Set(
                try await connection.all("SELECT id FROM papers WHERE id = ANY(\(ids))", logger: logger) {
                    try $0.decode(String.self)
                })
            let unknown = settings.seedPapers.filter { !known.contains($0.rawValue) }
            guard unknown.isEmpty else { throw RecommendationSettingsProblem.unknownPapers(unknown) }
            try await connection.execute("DELETE FROM taste_seeds WHERE user_id = \(accountID)", logger: logger)
            let rows = settings.categories.map { ("category", $0) } + ids.map { ("paper", $0) }
            for (position, (kind, value)) in rows.enumerated() {
                try await connection.execute(
                    """
                    INSERT INTO taste_seeds (user_id, kind, value, position, created_at)
                    VALUES (\(accountID), \(kind), \(value), \(position), \(PostgresPaperRow.millis(at)))
                    """, logger: logger)
            }
        }
    }
}
