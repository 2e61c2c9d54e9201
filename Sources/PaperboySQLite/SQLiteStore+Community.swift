import Foundation
import GRDB
import PaperboyCore

// Upvotes, submissions and the trending list (migration 0003). A paper's `upvotes` column is a counter kept in the
// write transaction that adds or removes a vote row, so that reading a count is one primary-key lookup.

extension SQLiteStore {
    public func setVote(accountID: Int64, paper: PaperID, up: Bool, at: Date) async throws -> VoteState? {
        try await pool.write { db in
            guard
                let rowid = try Int64.fetchOne(
                    db, sql: "SELECT rowid FROM papers WHERE id = ?", arguments: [paper.rawValue])
            else { return nil }
            if up {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO votes (user_id, paper_rowid, created_at) VALUES (?, ?, ?)",
                    arguments: [accountID, rowid, PaperRow.millis(at)])
            } else {
                try db.execute(
                    sql: "DELETE FROM votes WHERE user_id = ? AND paper_rowid = ?", arguments: [accountID, rowid])
            }
            // Only a vote row actually added or removed moves the count: voting twice changes nothing.
            if db.changesCount == 1 {
                try db.execute(
                    sql: """
                        UPDATE papers SET upvotes = max(upvotes + ?, 0), change_seq = \(ChangeSequence.next)
                        WHERE rowid = ?
                        """,
                    arguments: [up ? 1 : -1, rowid])
            }
            let upvotes = try Int.fetchOne(db, sql: "SELECT upvotes FROM papers WHERE rowid = ?", arguments: [rowid])
            return VoteState(upvotes: upvotes ?? 0, upvoted: up)
        }
    }

    public func votedPapers(accountID: Int64, among papers: [PaperID]) async throws -> Set<PaperID> {
        let ids = Array(Set(papers.map(\.rawValue)))
        guard !ids.isEmpty else { return [] }
        return try await pool.read { db in
            var voted = Set<PaperID>()
            // One query for a page of papers (chunks of 500 keep within SQLite's limit on parameters).
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = ids[start..<min(ids.count, start + 500)]
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let found = try String.fetchAll(
                    db,
                    sql: """
                        SELECT p.id FROM papers p JOIN votes v ON v.paper_rowid = p.rowid AND v.user_id = ?
                        WHERE p.id IN (\(placeholders))
                        """,
                    arguments: [accountID] + StatementArguments(Array(chunk)))
                voted.formUnion(found.map(PaperID.init(storedValue:)))
            }
            return voted
        }
    }

    public func submit(_ submission: Submission) async throws -> SubmissionOutcome {
        try await pool.write { db in
            let find = "SELECT \(PaperRow.columns) FROM papers WHERE id = ?"
            guard let stored = try PaperRow.fetchAll(db, sql: find, arguments: [submission.paper.rawValue]).first
            else { return .unknownPaper }
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM submissions WHERE paper_rowid = ?", arguments: [stored.rowid]) ?? false
            {
                return .alreadySubmitted(stored.paper)
            }
            let at = PaperRow.millis(submission.at)
            try db.execute(
                sql: "INSERT INTO submissions (paper_rowid, user_id, submitted_at, comment) VALUES (?, ?, ?, ?)",
                arguments: [stored.rowid, submission.accountID, at, submission.comment])
            // The paper is featured at the submission time: its listing day and the author and category links
            // (keyed by the featured time) move with it. Upserts keep a stored featured time, so harvests never
            // move it back.
            var moved = stored.paper.paper
            moved.featuredAt = PaperRow.date(at)
            try db.execute(
                sql: """
                    UPDATE papers SET featured_at = ?, featured_day = ?, submitted_by = ?,
                        change_seq = \(ChangeSequence.next)
                    WHERE rowid = ?
                    """,
                arguments: [at, moved.featuredDay.description, submission.accountID, stored.rowid])
            try deleteLinks(db, rowid: stored.rowid, paper: stored.paper.paper)
            try insertLinks(db, rowid: stored.rowid, paper: moved)
            // The comment given with the submission is the paper's first comment, by the submitter.
            if let comment = submission.comment, !comment.isEmpty {
                _ = try Self.insertComment(
                    db, paperRowid: stored.rowid, accountID: submission.accountID, text: comment, at: submission.at)
            }
            guard let submitted = try PaperRow.fetchAll(db, sql: find, arguments: [submission.paper.rawValue]).first
            else { throw StoredRowError(description: "the submitted paper \(submission.paper) cannot be read back") }
            return .submitted(submitted.paper)
        }
    }

    public func submissionCount(accountID: Int64, since: Date) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM submissions WHERE user_id = ? AND submitted_at >= ?",
                arguments: [accountID, PaperRow.millis(since)]) ?? 0
        }
    }

    public func trending(reference: Date, window: Duration, gravity: Double, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        let end = PaperRow.millis(reference)
        let windowMillis = Millis.of(window)
        let (start, overflow) = end.subtractingReportingOverflow(windowMillis)
        let range: StatementArguments = [overflow ? Int64.min : start, end]
        return try await pool.read { db in
            let filter = "WHERE featured_at > ? AND featured_at <= ? AND \(PaperRow.visible())"
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM papers \(filter)", arguments: range) ?? 0
            let rows = try PaperRow.fetchPage(
                db, filter: filter, filterArguments: range,
                order: "\(TrendingScore.name)(upvotes, featured_at, ?, ?) DESC, featured_at DESC, id DESC",
                orderArguments: [end, gravity], limit: limit, offset: offset)
            return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
        }
    }

    public func papers(submittedBy username: String, days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int)
        async throws -> ResultPage<StoredPaper>
    {
        let order =
            switch sort {
            case .publishedAt: "featured_at DESC, id DESC"
            case .upvotes: "upvotes DESC, featured_at DESC, id DESC"
            }
        let filter = """
            WHERE submitted_by = (SELECT id FROM users WHERE username = ?) AND featured_day BETWEEN ? AND ?
                AND \(PaperRow.visible())
            """
        let arguments: StatementArguments = [username, days.lowerBound.description, days.upperBound.description]
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM papers \(filter)", arguments: arguments) ?? 0
            let rows = try PaperRow.fetchPage(
                db, filter: filter, filterArguments: arguments, order: order, limit: limit, offset: offset)
            return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
        }
    }

    public func votes(accountID: Int64) async throws -> [UserPaperEvent] {
        try await events(
            sql: """
                SELECT p.id AS id, v.created_at AS at, NULL AS comment
                FROM votes v JOIN papers p ON p.rowid = v.paper_rowid
                WHERE v.user_id = ? ORDER BY v.created_at, p.id
                """,
            accountID: accountID)
    }

    public func submissions(accountID: Int64) async throws -> [UserPaperEvent] {
        try await events(
            sql: """
                SELECT p.id AS id, s.submitted_at AS at, s.comment AS comment
                FROM submissions s JOIN papers p ON p.rowid = s.paper_rowid
                WHERE s.user_id = ? ORDER BY s.submitted_at, p.id
                """,
            accountID: accountID)
    }

    private func events(sql: String, accountID: Int64) async throws -> [UserPaperEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: [accountID]).map { row in
                UserPaperEvent(
                    paper: PaperID(storedValue: try row.decode(forColumn: "id")),
                    at: PaperRow.date(try row.decode(forColumn: "at")), comment: try row.decode(forColumn: "comment"))
            }
        }
    }
}

/// The trending score as an SQL function, registered on every connection: `upvotes / (hours + 2)^gravity`, with the
/// hours from `featured_at` to the reference time. Computed in Swift, not with SQLite's `pow` (which builds without
/// math functions lack), so that every connection ranks alike; a result that is not finite (an absurd gravity) counts
/// as 0 instead of failing the query.
enum TrendingScore {
    static let name = "paperboy_trending_score"

    /// `paperboy_trending_score(upvotes, featured_at, reference, gravity)`, times in milliseconds.
    static let function = DatabaseFunction(name, argumentCount: 4, pure: true) { values in
        guard values.count == 4, let upvotes = Double.fromDatabaseValue(values[0]),
            let featured = Int64.fromDatabaseValue(values[1]), let reference = Int64.fromDatabaseValue(values[2]),
            let gravity = Double.fromDatabaseValue(values[3])
        else { return 0.0 }
        return score(upvotes: upvotes, hours: (Double(reference) - Double(featured)) / 3_600_000, gravity: gravity)
    }

    static func score(upvotes: Double, hours: Double, gravity: Double) -> Double {
        let value = upvotes / Foundation.pow(max(hours, 0) + 2, gravity)
        return value.isFinite ? value : 0
    }
}
