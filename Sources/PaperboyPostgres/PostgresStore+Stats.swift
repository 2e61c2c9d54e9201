import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// The figures of /stats (StatsStore): papers per featured day (index papers_by_day), votes per UTC day (index
// votes_by_time, migration 0008) and papers per primary category (the first of `categories`), hidden papers left out.

extension PostgresStore: StatsStore {
    public func papersPerDay(_ days: ClosedRange<Day>) async throws -> [DayCount] {
        try await client.all(
            """
            SELECT featured_day, count(*) FROM papers
            WHERE featured_day BETWEEN \(days.lowerBound.description) AND \(days.upperBound.description)
                AND hidden_at IS NULL
            GROUP BY featured_day ORDER BY featured_day
            """, logger: logger
        ) { row -> DayCount? in
            let (text, count) = try row.decode((String, Int64).self)
            return Day(iso: text).map { DayCount(day: $0, count: Int(count)) }
        }.compactMap { $0 }
    }

    public func votesPerDay(_ days: ClosedRange<Day>) async throws -> [DayCount] {
        let (from, to) = Self.millisSpan(days)
        return try await Self.dayCounts(
            client.all(
                """
                SELECT v.created_at / 86400000 AS day, count(*) FROM votes v JOIN papers p ON p.key = v.paper_key
                WHERE v.created_at >= \(from) AND v.created_at < \(to) AND p.hidden_at IS NULL
                GROUP BY day ORDER BY day
                """, logger: logger
            ) { try $0.decode((Int64, Int64).self) })
    }

    /// One paper's votes (index votes_by_paper: a paper page reads only its own votes).
    public func votesPerDay(paper: PaperID, _ days: ClosedRange<Day>) async throws -> [DayCount] {
        let (from, to) = Self.millisSpan(days)
        return try await Self.dayCounts(
            client.all(
                """
                SELECT v.created_at / 86400000 AS day, count(*) FROM votes v
                WHERE v.paper_key = (SELECT key FROM papers WHERE id = \(paper.rawValue) AND hidden_at IS NULL)
                    AND v.created_at >= \(from) AND v.created_at < \(to)
                GROUP BY day ORDER BY day
                """, logger: logger
            ) { try $0.decode((Int64, Int64).self) })
    }

    private static func millisSpan(_ days: ClosedRange<Day>) -> (Int64, Int64) {
        (PostgresPaperRow.millis(days.lowerBound.start), PostgresPaperRow.millis(days.upperBound.adding(days: 1).start))
    }

    private static func dayCounts(_ rows: [(Int64, Int64)]) -> [DayCount] {
        rows.map { DayCount(day: Day(Date(timeIntervalSince1970: TimeInterval($0.0) * 86_400)), count: Int($0.1)) }
    }

    public func papersPerCategory(_ days: ClosedRange<Day>, limit: Int) async throws -> [CategoryCount] {
        // The primary category is the text before the first space; ties are ordered by name, as SQLite's are.
        try await client.all(
            """
            SELECT split_part(categories, ' ', 1) COLLATE "C", count(*) FROM papers
            WHERE featured_day BETWEEN \(days.lowerBound.description) AND \(days.upperBound.description)
                AND hidden_at IS NULL AND categories <> ''
            GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT \(max(0, limit))
            """, logger: logger
        ) { row in
            let (category, count) = try row.decode((String, Int64).self)
            return CategoryCount(category: category, count: Int(count))
        }
    }
}
