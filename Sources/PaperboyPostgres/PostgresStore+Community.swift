import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// Upvotes, submissions and the trending list (migration 0003). A paper's `upvotes` column is a counter kept in the
// write transaction that adds or removes a vote row, so that reading a count is one primary-key lookup. Every such
// transaction takes the change lock (``ChangeSequence``) before its first statement, so writers of one paper run one at
// a time on every node, and the vote row itself is added with `ON CONFLICT DO NOTHING` (the primary key is the last
// word on one vote per user and paper).

extension PostgresStore: CommunityStore {
    public func setVote(accountID: Int64, paper: PaperID, up: Bool, at: Date) async throws -> VoteState? {
        let logger = logger
        guard let key = try await self.key(of: paper) else { return nil }
        return try await transaction { connection in
            try await ChangeSequence.begin(connection, logger: logger)
            let added: Bool
            if up {
                added =
                    try await connection.first(
                        """
                        INSERT INTO votes (user_id, paper_key, created_at)
                        VALUES (\(accountID), \(key), \(PostgresPaperRow.millis(at)))
                        ON CONFLICT (user_id, paper_key) DO NOTHING RETURNING 1
                        """, logger: logger
                    ) { _ in true } ?? false
            } else {
                added =
                    try await connection.first(
                        "DELETE FROM votes WHERE user_id = \(accountID) AND paper_key = \(key) RETURNING 1",
                        logger: logger
                    ) { _ in true } ?? false
            }
            // Only a vote row actually added or removed moves the count: voting twice changes nothing.
            let upvotes: Int?
            if added {
                upvotes = try await connection.scalar(
                    """
                    UPDATE papers SET upvotes = GREATEST(upvotes + \(up ? 1 : -1), 0),
                        change_seq = \(unescaped: ChangeSequence.next)
                    WHERE key = \(key) RETURNING upvotes
                    """, as: Int.self, logger: logger)
            } else {
                upvotes = try await connection.scalar(
                    "SELECT upvotes FROM papers WHERE key = \(key)", as: Int.self, logger: logger)
            }
            return VoteState(upvotes: upvotes ?? 0, upvoted: up)
        }
    }

    public func votedPapers(accountID: Int64, among papers: [PaperID]) async throws -> Set<PaperID> {
        let ids = Array(Set(papers.map(\.rawValue)))
        guard !ids.isEmpty else { return [] }
        var voted = Set<PaperID>()
        // Chunks keep each array parameter, and each answer, of a bounded size.
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let chunk = Array(ids[start..<min(ids.count, start + 1_000)])
            let found = try await client.all(
                """
                SELECT p.id FROM papers p JOIN votes v ON v.paper_key = p.key AND v.user_id = \(accountID)
                WHERE p.id = ANY(\(chunk))
                """, logger: logger
            ) { try $0.decode(String.self) }
            voted.formUnion(found.map(PaperID.init(storedValue:)))
        }
        return voted
    }

    public func submit(_ submission: Submission) async throws -> SubmissionOutcome {
        let logger = logger
        guard let key = try await self.key(of: submission.paper) else { return .unknownPaper }
        return try await transaction { connection in
            try await ChangeSequence.begin(connection, logger: logger)
            // Read under the change lock: no other writer of the paper runs until this one commits.
            let find: PostgresQuery = "SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p WHERE p.key = \(key)"
            guard let stored = try await connection.papers(find, logger: logger).first else { return .unknownPaper }
            let at = PostgresPaperRow.millis(submission.at)
            // The paper's primary key in `submissions` decides who was first, on every node.
            let inserted =
                try await connection.first(
                    """
                    INSERT INTO submissions (paper_key, user_id, submitted_at, comment)
                    VALUES (\(key), \(submission.accountID), \(at), \(submission.comment))
                    ON CONFLICT (paper_key) DO NOTHING RETURNING 1
                    """, logger: logger
                ) { _ in true } ?? false
            guard inserted else { return .alreadySubmitted(stored.paper) }
            // The paper is featured at the submission time: its listing day and the author and category links
            // (keyed by the featured time) move with it. Upserts keep a stored featured time, so harvests never
            // move it back.
            var moved = stored.paper.paper
            moved.featuredAt = Millis.date(at)
            try await connection.execute(
                """
                UPDATE papers SET featured_at = \(at), featured_day = \(moved.featuredDay.description),
                    submitted_by = \(submission.accountID), change_seq = \(unescaped: ChangeSequence.next)
                WHERE key = \(key)
                """, logger: logger)
            try await connection.execute("DELETE FROM paper_authors WHERE paper_key = \(key)", logger: logger)
            try await connection.execute("DELETE FROM paper_categories WHERE paper_key = \(key)", logger: logger)
            try await Self.insertLinks([(key, moved)], connection, logger: logger)
            // The comment given with the submission is the paper's first comment, by the submitter.
            if let comment = submission.comment, !comment.isEmpty {
                _ = try await Self.insertComment(
                    connection, paperKey: key, accountID: submission.accountID, text: comment, at: submission.at,
                    logger: logger)
            }
            guard let submitted = try await connection.papers(find, logger: logger).first else {
                throw StoredRowError(description: "the submitted paper \(submission.paper) cannot be read back")
            }
            return .submitted(submitted.paper)
        }
    }

    public func submissionCount(accountID: Int64, since: Date) async throws -> Int {
        try await client.count(
            """
            SELECT count(*) FROM submissions
            WHERE user_id = \(accountID) AND submitted_at >= \(PostgresPaperRow.millis(since))
            """, logger: logger)
    }

    public func trending(reference: Date, window: Duration, gravity: Double, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        let end = PostgresPaperRow.millis(reference)
        let (start, overflow) = end.subtractingReportingOverflow(Millis.of(window))
        let from = overflow ? Int64.min : start
        let total = try await client.count(
            """
            SELECT count(*) FROM papers
            WHERE featured_at > \(from) AND featured_at <= \(end) AND hidden_at IS NULL
            """, logger: logger)
        let rows = try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns)
            FROM papers p, (SELECT \(end)::float8 AS reference, \(gravity)::float8 AS gravity) k
            WHERE p.featured_at > \(from) AND p.featured_at <= \(end) AND p.hidden_at IS NULL
            ORDER BY \(unescaped: PostgresTrending.score) DESC, p.featured_at DESC, p.id DESC
            LIMIT \(max(limit, 0)) OFFSET \(max(offset, 0))
            """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    public func papers(submittedBy username: String, days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int)
        async throws -> ResultPage<StoredPaper>
    {
        let order = PostgresPaperRow.order(sort)
        let from = days.lowerBound.description
        let to = days.upperBound.description
        let total = try await client.count(
            """
            SELECT count(*) FROM papers p
            WHERE p.submitted_by = (SELECT id FROM users WHERE username = \(username))
                AND p.featured_day BETWEEN \(from) AND \(to) AND p.hidden_at IS NULL
            """, logger: logger)
        let rows = try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p
            WHERE p.submitted_by = (SELECT id FROM users WHERE username = \(username))
                AND p.featured_day BETWEEN \(from) AND \(to) AND p.hidden_at IS NULL
            ORDER BY \(unescaped: order) LIMIT \(max(limit, 0)) OFFSET \(max(offset, 0))
            """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    public func votes(accountID: Int64) async throws -> [UserPaperEvent] {
        try await events(
            """
            SELECT p.id, v.created_at, NULL::text FROM votes v JOIN papers p ON p.key = v.paper_key
            WHERE v.user_id = \(accountID) ORDER BY v.created_at, p.id
            """)
    }

    public func submissions(accountID: Int64) async throws -> [UserPaperEvent] {
        try await events(
            """
            SELECT p.id, s.submitted_at, s.comment FROM submissions s JOIN papers p ON p.key = s.paper_key
            WHERE s.user_id = \(accountID) ORDER BY s.submitted_at, p.id
            """)
    }

    /// The events a query selecting a paper id, a time and a comment finds, in its order.
    private func events(_ query: PostgresQuery) async throws -> [UserPaperEvent] {
        try await client.all(query, logger: logger) { row in
            let (id, at, comment) = try row.decode((String, Int64, String?).self)
            return UserPaperEvent(paper: PaperID(storedValue: id), at: Millis.date(at), comment: comment)
        }
    }
}

/// The trending score, `upvotes / (hours + 2)^gravity` with the hours from `featured_at` to the reference time, as
/// an SQL expression that ranks as SQLite's `paperboy_trending_score` (a Swift function there) does: the same
/// double-precision steps (both end in the C library's `pow`), and 0 wherever that score is not finite (an absurd
/// gravity). PostgreSQL's arithmetic fails on overflow and underflow instead of giving infinity or 0, so the
/// expression first decides, from the logarithm, whether `power` and the division stay finite, and gives 0 when they
/// would not: no gravity makes the query fail.
enum PostgresTrending {
    /// The hours since featured (never negative) plus 2, over `papers p` and the reference `k.reference`.
    private static let base = "(GREATEST((k.reference - p.featured_at::float8) / 3600000::float8, 0::float8) + 2)"

    /// The score, over `papers p` and `k (reference, gravity)` (milliseconds; a double that may be NaN or infinite).
    /// `ln(base) * gravity` is the logarithm of `power(base, gravity)`: computed only for `|gravity| <= 1e6` (a
    /// larger one makes `power` overflow or vanish for every base of 2 or more, so the score is not finite), it must
    /// keep `power` a normal double (below `ln(DBL_MAX)`, above `ln(DBL_MIN)`) and the quotient below `DBL_MAX`.
    /// NaN compares above every number in PostgreSQL, so `abs(NaN) > 1e6` holds. A margin of 1e-9 covers the
    /// rounding of the logarithm: only scores within it of the limits of a double could rank otherwise than SQLite's.
    static let score = """
        (CASE WHEN p.upvotes <= 0 OR k.gravity = 'NaN'::float8 OR abs(k.gravity) > 1e6::float8 THEN 0::float8 \
        WHEN k.gravity * ln(\(base)) > -708::float8 \
        AND k.gravity * ln(\(base)) < 709.782712892::float8 \
        AND ln(p.upvotes::float8) - k.gravity * ln(\(base)) < 709.782712892::float8 \
        THEN p.upvotes::float8 / power(\(base), k.gravity) ELSE 0::float8 END)
        """
}
