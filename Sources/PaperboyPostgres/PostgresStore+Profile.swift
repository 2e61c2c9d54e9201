import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// Moderation of papers and the log (ModerationStore, but for comments and reports, which are in
// PostgresStore+Discussion.swift), and what the community adds to a paper (PaperProfileStore): organisations, authors'
// claims, code and project links, key sentences and keywords (migration 0004). Hidden papers are left out of
// listings by `p.hidden_at IS NULL`.
//
// A transaction that writes a row of `papers` takes the change lock (`ChangeSequence.begin`) before that write, and
// the write is conditional on what was checked, or the check comes after the lock: a concurrent change of the row
// cannot slip between them.

extension PostgresStore: ModerationStore {
    // MARK: Moderation

    /// Writes one entry of the moderation log, in the caller's transaction (with the change it records).
    static func logModeration(
        _ runner: some PostgresRunner, action: String, target: String, detail: String?, actorID: Int64?, at: Date,
        logger: Logger
    ) async throws {
        try await runner.execute(
            """
            INSERT INTO moderation_log (actor_id, action, target, detail, at)
            VALUES (\(actorID), \(action), \(target), \(detail), \(PostgresPaperRow.millis(at)))
            """, logger: logger)
    }

    /// Read first without a lock, so that asking for the state a paper has writes (and wakes) nothing; the change is
    /// then made by a conditional update, which a concurrent change of the same paper turns into `false`.
    public func setPaperHidden(_ paper: PaperID, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool? {
        let logger = logger
        return try await transaction { connection in
            guard
                let (key, isHidden) = try await connection.first(
                    "SELECT key, hidden_at IS NOT NULL FROM papers WHERE id = \(paper.rawValue)", logger: logger,
                    { try $0.decode((Int64, Bool).self) })
            else { return nil }
            guard isHidden != hidden else { return false }
            try await ChangeSequence.begin(connection, logger: logger)
            let changed = try await connection.first(
                """
                UPDATE papers SET hidden_at = \(hidden ? PostgresPaperRow.millis(at) : nil),
                    change_seq = \(unescaped: ChangeSequence.next)
                WHERE key = \(key) AND (hidden_at IS NOT NULL) <> \(hidden)
                RETURNING 1
                """, logger: logger, { _ in true })
            guard changed != nil else { return false }
            try await Self.logModeration(
                connection, action: hidden ? "paper.hide" : "paper.unhide", target: paper.rawValue, detail: nil,
                actorID: actorID, at: at, logger: logger)
            return true
        }
    }

    public func hiddenPapers(limit: Int) async throws -> [StoredPaper] {
        try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p WHERE p.hidden_at IS NOT NULL
            ORDER BY p.hidden_at DESC, p.id DESC LIMIT \(limit)
            """, logger: logger
        ).map(\.paper)
    }

    public func recordModeration(action: String, target: String, detail: String?, by actorID: Int64?, at: Date)
        async throws
    {
        try await Self.logModeration(
            client, action: action, target: target, detail: detail, actorID: actorID, at: at, logger: logger)
    }

    public func moderationLog(limit: Int) async throws -> [ModerationAction] {
        try await client.all(
            """
            SELECT m.id, m.action, m.target, m.detail, m.at, u.username, u.fullname
            FROM moderation_log m LEFT JOIN users u ON u.id = m.actor_id
            ORDER BY m.at DESC, m.id DESC LIMIT \(limit)
            """, logger: logger
        ) { row in
            let (id, action, target, detail, at, username, fullname) = try row.decode(
                (Int64, String, String, String?, Int64, String?, String?).self)
            return ModerationAction(
                id: id, actor: username.map { Person(username: $0, fullname: fullname ?? $0) }, action: action,
                target: target, detail: detail, at: Millis.date(at))
        }
    }
}

extension PostgresStore: PaperProfileStore {
    // MARK: Organisations

    public func createOrganization(_ organization: Organization, at: Date) async throws -> Organization {
        let added = try await client.first(
            """
            INSERT INTO organizations (name, fullname, created_at)
            VALUES (\(organization.name), \(organization.fullname), \(PostgresPaperRow.millis(at)))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger, { _ in true })
        guard added != nil else { throw OrganizationExists() }
        return organization
    }

    public func organization(name: String) async throws -> Organization? {
        try await Self.organizations(
            client, "SELECT name, fullname FROM organizations WHERE name = \(name)", logger: logger
        ).first
    }

    public func organizations(limit: Int) async throws -> [Organization] {
        try await Self.organizations(
            client, "SELECT name, fullname FROM organizations ORDER BY name LIMIT \(limit)", logger: logger)
    }

    /// True when the membership changed, false when it already was so.
    public func setMember(accountID: Int64, of organization: String, member: Bool) async throws -> Bool? {
        let logger = logger
        return try await transaction { connection in
            let found = try await connection.first(
                """
                SELECT EXISTS (SELECT 1 FROM organizations WHERE name = \(organization)),
                    EXISTS (SELECT 1 FROM users WHERE id = \(accountID))
                """, logger: logger, { try $0.decode((Bool, Bool).self) })
            guard let found, found.0, found.1 else { return nil }
            let changed: PostgresQuery =
                member
                ? """
                INSERT INTO organization_members (organization, user_id) VALUES (\(organization), \(accountID))
                ON CONFLICT DO NOTHING RETURNING 1
                """
                : """
                DELETE FROM organization_members WHERE organization = \(organization) AND user_id = \(accountID)
                RETURNING 1
                """
            return try await connection.all(changed, logger: logger, { _ in () }).count == 1
        }
    }

    public func members(of organization: String) async throws -> [Person] {
        try await client.all(
            """
            SELECT u.username, u.fullname FROM organization_members m JOIN users u ON u.id = m.user_id
            WHERE m.organization = \(organization) ORDER BY u.username
            """, logger: logger
        ) { row in
            let (username, fullname) = try row.decode((String, String).self)
            return Person(username: username, fullname: fullname)
        }
    }

    public func organizations(accountID: Int64) async throws -> [Organization] {
        try await Self.organizations(
            client,
            """
            SELECT o.name, o.fullname FROM organization_members m JOIN organizations o ON o.name = m.organization
            WHERE m.user_id = \(accountID) ORDER BY o.name
            """, logger: logger)
    }

    private static func organizations(_ runner: some PostgresRunner, _ query: PostgresQuery, logger: Logger)
        async throws -> [Organization]
    {
        try await runner.all(query, logger: logger) { row in
            let (name, fullname) = try row.decode((String, String).self)
            return Organization(name: name, fullname: fullname)
        }
    }

    public func papers(ofOrganization name: String, days: ClosedRange<Day>?, sort: ListingSort, offset: Int, limit: Int)
        async throws -> ResultPage<StoredPaper>
    {
        let order = PostgresPaperRow.order(sort)
        // Without days, `from` is NULL and the day test is true (the plan made for these values leaves it out).
        let from = days?.lowerBound.description
        let to = days?.upperBound.description
        let total = try await client.count(
            """
            SELECT count(*) FROM papers p
            WHERE p.organization = \(name) AND (\(from)::text IS NULL OR p.featured_day BETWEEN \(from) AND \(to))
                AND p.hidden_at IS NULL
            """, logger: logger)
        let rows = try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p
            WHERE p.organization = \(name) AND (\(from)::text IS NULL OR p.featured_day BETWEEN \(from) AND \(to))
                AND p.hidden_at IS NULL
            ORDER BY \(unescaped: order) LIMIT \(limit) OFFSET \(offset)
            """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    // MARK: Claims

    /// Filed under the community write lock: two claims of one position cannot both find it free.
    public func claimAuthorship(paper: PaperID, authorIndex: Int, accountID: Int64, at: Date) async throws
        -> ClaimOutcome
    {
        let logger = logger
        return try await transaction { connection in
            try await WriteLock.lock(.community, connection, logger: logger)
            guard
                let (key, authorsText) = try await connection.first(
                    "SELECT key, authors FROM papers WHERE id = \(paper.rawValue)", logger: logger,
                    { try $0.decode((Int64, String).self) })
            else { return .unknownAuthor }
            let authors = StoredText.authors(authorsText)
            guard authors.indices.contains(authorIndex) else { return .unknownAuthor }
            if let existing = try await PostgresClaimRow.first(
                connection,
                "SELECT \(unescaped: PostgresClaimRow.select) WHERE c.paper_key = \(key) AND c.user_id = \(accountID)",
                logger: logger)
            {
                return .alreadyClaimed(existing)
            }
            // A refused claim leaves the position open to others.
            let taken = try await connection.scalar(
                """
                SELECT 1 FROM claims
                WHERE paper_key = \(key) AND author_index = \(authorIndex) AND status IN ('pending', 'accepted')
                LIMIT 1
                """, as: Int32.self, logger: logger)
            if taken != nil { return .takenByAnother }
            let id = try await connection.scalar(
                """
                INSERT INTO claims (paper_key, author_index, author_name, user_id, status, created_at)
                VALUES (\(key), \(authorIndex), \(authors[authorIndex]), \(accountID), 'pending',
                    \(PostgresPaperRow.millis(at)))
                RETURNING id
                """, as: Int64.self, logger: logger)
            guard let id,
                let filed = try await PostgresClaimRow.first(
                    connection, "SELECT \(unescaped: PostgresClaimRow.select) WHERE c.id = \(id)", logger: logger)
            else {
                throw StoredRowError(description: "the claim just filed cannot be read back")
            }
            return .filed(filed)
        }
    }

    public func claim(id: Int64) async throws -> AuthorClaim? {
        try await PostgresClaimRow.first(
            client, "SELECT \(unescaped: PostgresClaimRow.select) WHERE c.id = \(id)", logger: logger)
    }

    public func claims(status: ClaimStatus, limit: Int) async throws -> [AuthorClaim] {
        try await client.all(
            """
            SELECT \(unescaped: PostgresClaimRow.select) WHERE c.status = \(status.rawValue)
            ORDER BY c.created_at, c.id LIMIT \(limit)
            """, logger: logger, PostgresClaimRow.claim)
    }

    public func claims(accountID: Int64) async throws -> [AuthorClaim] {
        try await client.all(
            """
            SELECT \(unescaped: PostgresClaimRow.select) WHERE c.user_id = \(accountID)
            ORDER BY c.created_at DESC, c.id DESC
            """, logger: logger, PostgresClaimRow.claim)
    }

    /// Decided by one conditional update, so that two moderators cannot both decide a claim.
    public func decideClaim(id: Int64, accept: Bool, by actorID: Int64?, at: Date) async throws -> AuthorClaim? {
        let logger = logger
        return try await transaction { connection in
            // An accepted claim shows on the paper: a change of it. A refused one leaves the paper as it was.
            if accept { try await ChangeSequence.begin(connection, logger: logger) }
            let status: ClaimStatus = accept ? .accepted : .refused
            guard
                let paperKey = try await connection.scalar(
                    """
                    UPDATE claims
                    SET status = \(status.rawValue), decided_at = \(PostgresPaperRow.millis(at)),
                        decided_by = \(actorID)
                    WHERE id = \(id) AND status = 'pending'
                    RETURNING paper_key
                    """, as: Int64.self, logger: logger)
            else { return nil }
            let paper = try await connection.scalar(
                accept
                    ? """
                    UPDATE papers SET change_seq = \(unescaped: ChangeSequence.next) WHERE key = \(paperKey) RETURNING id
                    """
                    : "SELECT id FROM papers WHERE key = \(paperKey)", as: String.self, logger: logger)
            try await Self.logModeration(
                connection, action: accept ? "claim.accept" : "claim.refuse", target: "claim:\(id)", detail: paper,
                actorID: actorID, at: at, logger: logger)
            return try await PostgresClaimRow.first(
                connection, "SELECT \(unescaped: PostgresClaimRow.select) WHERE c.id = \(id)", logger: logger)
        }
    }

    public func papers(claimedBy accountID: Int64, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        let total = try await client.count(
            """
            SELECT count(*) FROM papers p
            WHERE p.key IN (SELECT paper_key FROM claims WHERE user_id = \(accountID) AND status = 'accepted')
                AND p.hidden_at IS NULL
            """, logger: logger)
        let rows = try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p
            WHERE p.key IN (SELECT paper_key FROM claims WHERE user_id = \(accountID) AND status = 'accepted')
                AND p.hidden_at IS NULL
            ORDER BY p.featured_at DESC, p.id DESC LIMIT \(limit) OFFSET \(offset)
            """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    // MARK: Links and summaries

    public func updatePaperLinks(_ paper: PaperID, _ change: PaperLinksChange) async throws -> StoredPaper? {
        let logger = logger
        let named = change.organization != nil || change.githubRepo != nil || change.projectPage != nil
        return try await transaction { connection in
            if named { try await ChangeSequence.begin(connection, logger: logger) }
            guard
                let key = try await connection.scalar(
                    "SELECT key FROM papers WHERE id = \(paper.rawValue)", as: Int64.self, logger: logger)
            else { return nil }
            if let organization = change.organization, let name = organization {
                let exists = try await connection.scalar(
                    "SELECT 1 FROM organizations WHERE name = \(name)", as: Int32.self, logger: logger)
                if exists == nil { throw UnknownOrganization(name: name) }
            }
            if named {
                // A field not named keeps its value; `.some(nil)` clears it.
                try await connection.execute(
                    """
                    UPDATE papers SET
                        organization = CASE WHEN \(change.organization != nil) THEN \(change.organization ?? nil)
                            ELSE organization END,
                        github_repo = CASE WHEN \(change.githubRepo != nil) THEN \(change.githubRepo ?? nil)
                            ELSE github_repo END,
                        project_page = CASE WHEN \(change.projectPage != nil) THEN \(change.projectPage ?? nil)
                            ELSE project_page END,
                        change_seq = \(unescaped: ChangeSequence.next)
                    WHERE key = \(key)
                    """, logger: logger)
            }
            return try await connection.papers(
                "SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p WHERE p.key = \(key)", logger: logger
            ).first?.paper
        }
    }

    /// One statement over the summaries as arrays; each paper written takes the next change number. A key given twice
    /// keeps its last summary.
    public func saveSummaries(_ summaries: [PaperSummary]) async throws {
        guard !summaries.isEmpty else { return }
        var latest: [PaperKey: Int] = [:]
        for (index, summary) in summaries.enumerated() { latest[summary.key] = index }
        let chosen = latest.values.sorted().map { summaries[$0] }
        let keys = chosen.map(\.key)
        let sentences = chosen.map(\.sentence)
        let keywords = chosen.map { StoredText.keywordsText($0.keywords) }
        let logger = logger
        try await transaction { connection in
            try await ChangeSequence.begin(connection, logger: logger)
            try await connection.execute(
                """
                UPDATE papers SET key_sentence = s.sentence, keywords = s.keywords,
                    change_seq = \(unescaped: ChangeSequence.next)
                FROM unnest(\(keys)::bigint[], \(sentences)::text[], \(keywords)::text[]) AS s (key, sentence, keywords)
                WHERE papers.key = s.key
                """, logger: logger)
        }
    }

    /// A paper row that cannot be read is logged and passed over (as in ``papersNeedingEmbedding``).
    public func papersWithoutKeywords(after key: PaperKey, scan: Int) async throws -> (
        papers: [(key: PaperKey, paper: Paper)], last: PaperKey?
    ) {
        guard scan > 0 else { return ([], nil) }
        let scanned = try await client.all(
            "SELECT key, keywords = '' FROM papers WHERE key > \(key) ORDER BY key LIMIT \(scan)", logger: logger
        ) { try $0.decode((Int64, Bool?).self) }
        let wanted = scanned.filter { $0.1 ?? true }.map(\.0)
        var found: [PaperKey: Paper] = [:]
        if !wanted.isEmpty {
            for row in try await client.all(
                "SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p WHERE p.key = ANY(\(wanted))",
                logger: logger, { try? PostgresPaperRow(row: $0) })
            {
                if let row { found[row.key] = row.paper.paper }
            }
        }
        let papers = wanted.compactMap { key in found[key].map { (key: key, paper: $0) } }
        let unreadable = wanted.filter { found[$0] == nil }
        if !unreadable.isEmpty {
            logger.warning(
                "papers that cannot be read are left without keywords",
                metadata: ["paper.keys": "\(unreadable.prefix(10).map(String.init).joined(separator: ", "))"])
        }
        let last: PaperKey? = scanned.count < scan ? nil : scanned.last?.0
        return (papers, last)
    }
}

/// A claim with its paper, claimant and decider, read from `claims c`.
enum PostgresClaimRow {
    /// The SELECT list and FROM clause: a query goes on with `WHERE`.
    static let select = """
        c.id, p.id, c.author_index, c.author_name, c.user_id, u.username, u.fullname, c.status, c.created_at, \
        c.decided_at, d.username, d.fullname
        FROM claims c JOIN papers p ON p.key = c.paper_key JOIN users u ON u.id = c.user_id
            LEFT JOIN users d ON d.id = c.decided_by
        """

    static func first(_ runner: some PostgresRunner, _ query: PostgresQuery, logger: Logger) async throws
        -> AuthorClaim?
    {
        try await runner.first(query, logger: logger, claim)
    }

    static func claim(_ row: PostgresRow) throws -> AuthorClaim {
        let (
            id, paper, authorIndex, authorName, accountID, username, fullname, statusText, created, decided, decider,
            deciderName
        ) = try row.decode(
            (Int64, String, Int, String, Int64, String, String, String, Int64, Int64?, String?, String?).self)
        guard let status = ClaimStatus(rawValue: statusText) else {
            throw StoredRowError(description: "a claim has the unknown status \(statusText)")
        }
        return AuthorClaim(
            id: id, paper: PaperID(storedValue: paper), authorIndex: authorIndex, authorName: authorName,
            accountID: accountID, claimant: Person(username: username, fullname: fullname), status: status,
            createdAt: Millis.date(created), decidedAt: decided.map(Millis.date),
            decidedBy: decider.map { Person(username: $0, fullname: deciderName ?? $0) })
    }
}
