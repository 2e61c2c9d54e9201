import Foundation
import GRDB
import PaperboyCore

// The figures of /stats (StatsStore): papers per featured day (index papers_by_day), votes per UTC day (index
// votes_by_time, migration 0008) and papers per primary category (the first of `categories`), hidden papers left out.

extension SQLiteStore {
    public func papersPerDay(_ days: ClosedRange<Day>) async throws -> [DayCount] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT featured_day, count(*) FROM papers
                    WHERE featured_day BETWEEN ? AND ? AND hidden_at IS NULL
                    GROUP BY featured_day ORDER BY featured_day
                    """, arguments: [days.lowerBound.description, days.upperBound.description]
            ).compactMap { row in
                let text: String = try row.decode(atIndex: 0)
                let count: Int = try row.decode(atIndex: 1)
                return Day(iso: text).map { DayCount(day: $0, count: count) }
            }
        }
    }

    public func votesPerDay(_ days: ClosedRange<Day>) async throws -> [DayCount] {
        try await votesPerDay(days, paper: nil)
    }

    public func votesPerDay(paper: PaperID, _ days: ClosedRange<Day>) async throws -> [DayCount] {
        try await votesPerDay(days, paper: paper)
    }

    /// Votes per UTC day (`created_at` in milliseconds, divided into whole days), of all papers (index votes_by_time)
    /// or of one (index votes_by_paper: a paper page reads only its own votes).
    func votesPerDay(_ days: ClosedRange<Day>, paper: PaperID?) async throws -> [DayCount] {
        let span: [any DatabaseValueConvertible] = [
            PaperRow.millis(days.lowerBound.start), PaperRow.millis(days.upperBound.adding(days: 1).start),
        ]
        let sql: String
        let arguments: StatementArguments
        if let paper {
            sql = """
                SELECT v.created_at / 86400000 AS day, count(*) FROM votes v
                WHERE v.paper_rowid = (SELECT rowid FROM papers WHERE id = ? AND hidden_at IS NULL)
                AND v.created_at >= ? AND v.created_at < ?
                GROUP BY day ORDER BY day
                """
            arguments = StatementArguments([paper.rawValue] + span)
        } else {
            sql = """
                SELECT v.created_at / 86400000 AS day, count(*) FROM votes v
                JOIN papers p ON p.rowid = v.paper_rowid
                WHERE v.created_at >= ? AND v.created_at < ? AND p.hidden_at IS NULL
                GROUP BY day ORDER BY day
                """
            arguments = StatementArguments(span)
        }
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let epochDay: Int64 = try row.decode(atIndex: 0)
                let count: Int = try row.decode(atIndex: 1)
                return DayCount(day: Day(Date(timeIntervalSince1970: TimeInterval(epochDay) * 86_400)), count: count)
            }
        }
    }

    public func papersPerCategory(_ days: ClosedRange<Day>, limit: Int) async throws -> [CategoryCount] {
        let counts = try await pool.read { db in
            var counts: [String: Int] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT categories FROM papers
                    WHERE featured_day BETWEEN ? AND ? AND hidden_at IS NULL
                    """, arguments: [days.lowerBound.description, days.upperBound.description])
            while let row = try rows.next() {
                let categories: String = try row.decode(atIndex: 0)
                guard let primary = categories.split(separator: " ").first else { continue }
                counts[String(primary), default: 0] += 1
            }
            return counts
        }
        return
            counts.map { CategoryCount(category: $0.key, count: $0.value) }
            .sorted { ($0.count, $1.category) > ($1.count, $0.category) }
            .prefix(max(0, limit)).map { $0 }
    }
}
