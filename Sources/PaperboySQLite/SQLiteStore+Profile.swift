import Foundation
import GRDB
import PaperboyCore

// Moderation of papers and the log (ModerationStore, but for comments and reports), and what the community adds to a
// paper (PaperProfileStore): organisations, authors' claims, code and project links, key sentences and keywords
// (migration 0004). Hidden papers are left out of listings by `PaperRow.visible`.

extension SQLiteStore {
    // MARK: Moderation

    /// Writes one entry of the moderation log, in the caller's transaction (with the change it records).
    func logModeration(_ db: Database, action: String, target: String, detail: String?, actorID: Int64?, at: Date)
        throws
    {
        try db.execute(
            sql: "INSERT INTO moderation_log (actor_id, action, target, detail, at) VALUES (?, ?, ?, ?, ?)",
            arguments: [actorID, action, target, detail, PaperRow.millis(at)])
    }

    public func setPaperHidden(_ paper: PaperID, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT rowid, hidden_at IS NOT NULL FROM papers WHERE id = ?", arguments: [paper.rawValue]
                )
            else { return nil }
            let rowid: Int64 = try row.decode(atIndex: 0)
            let isHidden: Bool = try row.decode(atIndex: 1)
            guard isHidden != hidden else { return false }
            try db.execute(
                sql: "UPDATE papers SET hidden_at = ?, change_seq = \(ChangeSequence.next) WHERE rowid = ?",
                arguments: [hidden ? PaperRow.millis(at) : nil, rowid])
            try logModeration(
                db, action: hidden ? "paper.hide" : "paper.unhide", target: paper.rawValue, detail: nil,
                actorID: actorID, at: at)
            return true
        }
    }

    public func hiddenPapers(limit: Int) async throws -> [StoredPaper] {
        try await pool.read { db in
            try PaperRow.fetchAll(
                db,
                sql: """
                    SELECT \(PaperRow.columns) FROM papers WHERE hidden_at IS NOT NULL
                    ORDER BY hidden_at DESC, id DESC LIMIT ?
                    """,
                arguments: [limit]
            ).map(\.paper)
        }
    }

    public func recordModeration(action: String, target: String, detail: String?, by actorID: Int64?, at: Date)
        async throws
    {
        try await pool.write { db in
            try logModeration(db, action: action, target: target, detail: detail, actorID: actorID, at: at)
        }
    }

    public func moderationLog(limit: Int) async throws -> [ModerationAction] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.id, m.action, m.target, m.detail, m.at, u.username, u.fullname
                    FROM moderation_log m LEFT JOIN users u ON u.id = m.actor_id
                    ORDER BY m.at DESC, m.id DESC LIMIT ?
                    """,
                arguments: [limit]
            ).map { row in
                let username: String? = try row.decode(atIndex: 5)
                let fullname: String? = try row.decode(atIndex: 6)
                return ModerationAction(
                    id: try row.decode(atIndex: 0),
                    actor: username.map { Person(username: $0, fullname: fullname ?? $0) },
                    action: try row.decode(atIndex: 1), target: try row.decode(atIndex: 2),
                    detail: try row.decode(atIndex: 3), at: PaperRow.date(try row.decode(atIndex: 4)))
            }
        }
    }

    // MARK: Organisations

    public func createOrganization(_ organization: Organization, at: Date) async throws -> Organization {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO organizations (name, fullname, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [organization.name, organization.fullname, PaperRow.millis(at)])
            guard db.changesCount == 1 else { throw OrganizationExists() }
            return organization
        }
    }

    public func organization(name: String) async throws -> Organization? {
        try await pool.read { db in
            try Self.organizations(db, sql: "SELECT name, fullname FROM organizations WHERE name = ?", [name]).first
        }
    }

    public func organizations(limit: Int) async throws -> [Organization] {
        try await pool.read { db in
            try Self.organizations(db, sql: "SELECT name, fullname FROM organizations ORDER BY name LIMIT ?", [limit])
        }
    }

    /// True when the membership changed, false when it already was so.
    public func setMember(accountID: Int64, of organization: String, member: Bool) async throws -> Bool? {
        try await pool.write { db in
            guard
                try Bool.fetchOne(db, sql: "SELECT 1 FROM organizations WHERE name = ?", arguments: [organization])
                    ?? false,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE id = ?", arguments: [accountID]) ?? false
            else { return nil }
            if member {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO organization_members (organization, user_id) VALUES (?, ?)",
                    arguments: [organization, accountID])
            } else {
                try db.execute(
                    sql: "DELETE FROM organization_members WHERE organization = ? AND user_id = ?",
                    arguments: [organization, accountID])
            }
            return db.changesCount == 1
        }
    }

    public func members(of organization: String) async throws -> [Person] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT u.username, u.fullname FROM organization_members m JOIN users u ON u.id = m.user_id
                    WHERE m.organization = ? ORDER BY u.username
                    """,
                arguments: [organization]
            ).map { Person(username: try $0.decode(atIndex: 0), fullname: try $0.decode(atIndex: 1)) }
        }
    }

    public func organizations(accountID: Int64) async throws -> [Organization] {
        try await pool.read { db in
            try Self.organizations(
                db,
                sql: """
                    SELECT o.name, o.fullname FROM organization_members m
                    JOIN organizations o ON o.name = m.organization
                    WHERE m.user_id = ? ORDER BY o.name
                    """,
                [accountID])
        }
    }

    private static func organizations(_ db: Database, sql: String, _ arguments: StatementArguments) throws
        -> [Organization]
    {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map {
            Organization(name: try $0.decode(atIndex: 0), fullname: try $0.decode(atIndex: 1))
        }
    }

    public func papers(ofOrganization name: String, days: ClosedRange<Day>?, sort: ListingSort, offset: Int, limit: Int)
        async throws -> ResultPage<StoredPaper>
    {
        let order =
            switch sort {
            case .publishedAt: "featured_at DESC, id DESC"
            case .upvotes: "upvotes DESC, featured_at DESC, id DESC"
            }
        var filter = "WHERE organization = ?"
        var arguments: StatementArguments = [name]
        if let days {
            filter += " AND featured_day BETWEEN ? AND ?"
            arguments += [days.lowerBound.description, days.upperBound.description]
        }
        filter += " AND \(PaperRow.visible())"
        return try await pool.read { [filter, arguments] db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM papers \(filter)", arguments: arguments) ?? 0
            let rows = try PaperRow.fetchPage(
                db, filter: filter, filterArguments: arguments, order: order, limit: limit, offset: offset)
            return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
        }
    }

    // MARK: Claims

    public func claimAuthorship(paper: PaperID, authorIndex: Int, accountID: Int64, at: Date) async throws
        -> ClaimOutcome
    {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT rowid, authors FROM papers WHERE id = ?", arguments: [paper.rawValue])
            else { return .unknownAuthor }
            let rowid: Int64 = try row.decode(atIndex: 0)
            let authors = PaperRow.authors(try row.decode(atIndex: 1))
            guard authors.indices.contains(authorIndex) else { return .unknownAuthor }
            if let existing = try Self.claims(
                db, where: "c.paper_rowid = ? AND c.user_id = ?", [rowid, accountID], order: "c.id"
            ).first {
                return .alreadyClaimed(existing)
            }
            // A refused claim leaves the position open to others.
            if try Bool.fetchOne(
                db,
                sql: """
                    SELECT 1 FROM claims
                    WHERE paper_rowid = ? AND author_index = ? AND status IN ('pending', 'accepted')
                    """,
                arguments: [rowid, authorIndex]) ?? false
            {
                return .takenByAnother
            }
            try db.execute(
                sql: """
                    INSERT INTO claims (paper_rowid, author_index, author_name, user_id, status, created_at)
                    VALUES (?, ?, ?, ?, 'pending', ?)
                    """,
                arguments: [rowid, authorIndex, authors[authorIndex], accountID, PaperRow.millis(at)])
            let id = db.lastInsertedRowID
            guard let filed = try Self.claims(db, where: "c.id = ?", [id], order: "c.id").first else {
                throw StoredRowError(description: "the claim \(id) cannot be read back")
            }
            return .filed(filed)
        }
    }

    public func claim(id: Int64) async throws -> AuthorClaim? {
        try await pool.read { db in try Self.claims(db, where: "c.id = ?", [id], order: "c.id").first }
    }

    public func claims(status: ClaimStatus, limit: Int) async throws -> [AuthorClaim] {
        try await pool.read { db in
            try Self.claims(
                db, where: "c.status = ?", [status.rawValue], order: "c.created_at, c.id", limit: limit)
        }
    }

    public func claims(accountID: Int64) async throws -> [AuthorClaim] {
        try await pool.read { db in
            try Self.claims(db, where: "c.user_id = ?", [accountID], order: "c.created_at DESC, c.id DESC")
        }
    }

    public func decideClaim(id: Int64, accept: Bool, by actorID: Int64?, at: Date) async throws -> AuthorClaim? {
        try await pool.write { db in
            guard let claim = try Self.claims(db, where: "c.id = ?", [id], order: "c.id").first,
                claim.status == .pending
            else { return nil }
            let status: ClaimStatus = accept ? .accepted : .refused
            try db.execute(
                sql: "UPDATE claims SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?",
                arguments: [status.rawValue, PaperRow.millis(at), actorID, id])
            // An accepted claim shows on the paper: a change of it. A refused one leaves the paper as it was.
            if accept {
                try db.execute(
                    sql: "UPDATE papers SET change_seq = \(ChangeSequence.next) WHERE id = ?",
                    arguments: [claim.paper.rawValue])
            }
            try logModeration(
                db, action: accept ? "claim.accept" : "claim.refuse", target: "claim:\(id)",
                detail: claim.paper.rawValue, actorID: actorID, at: at)
            return try Self.claims(db, where: "c.id = ?", [id], order: "c.id").first
        }
    }

    public func papers(claimedBy accountID: Int64, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        let filter = """
            WHERE rowid IN (SELECT paper_rowid FROM claims WHERE user_id = ? AND status = 'accepted')
                AND \(PaperRow.visible())
            """
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM papers \(filter)", arguments: [accountID]) ?? 0
            let rows = try PaperRow.fetchPage(
                db, filter: filter, filterArguments: [accountID], order: "featured_at DESC, id DESC", limit: limit,
                offset: offset)
            return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
        }
    }

    /// Claims with their paper, claimant and decider, selected by `condition` over `claims c`.
    private static func claims(
        _ db: Database, where condition: String, _ arguments: StatementArguments, order: String, limit: Int? = nil
    ) throws -> [AuthorClaim] {
        let limitSQL = limit == nil ? "" : " LIMIT ?"
        let limitArguments: StatementArguments = limit.map { [$0] } ?? []
        return try Row.fetchAll(
            db,
            sql: """
                SELECT c.id, p.id, c.author_index, c.author_name, c.user_id, u.username, u.fullname, c.status,
                    c.created_at, c.decided_at, d.username, d.fullname
                FROM claims c JOIN papers p ON p.rowid = c.paper_rowid JOIN users u ON u.id = c.user_id
                    LEFT JOIN users d ON d.id = c.decided_by
                WHERE \(condition) ORDER BY \(order)\(limitSQL)
                """,
            arguments: arguments + limitArguments
        ).map { row in
            let statusText: String = try row.decode(atIndex: 7)
            guard let status = ClaimStatus(rawValue: statusText) else {
                throw StoredRowError(description: "a claim has the unknown status \(statusText)")
            }
            let decided: Int64? = try row.decode(atIndex: 9)
            let decider: String? = try row.decode(atIndex: 10)
            let deciderName: String? = try row.decode(atIndex: 11)
            return AuthorClaim(
                id: try row.decode(atIndex: 0), paper: PaperID(storedValue: try row.decode(atIndex: 1)),
                authorIndex: try row.decode(atIndex: 2), authorName: try row.decode(atIndex: 3),
                accountID: try row.decode(atIndex: 4),
                claimant: Person(username: try row.decode(atIndex: 5), fullname: try row.decode(atIndex: 6)),
                status: status, createdAt: PaperRow.date(try row.decode(atIndex: 8)),
                decidedAt: decided.map(PaperRow.date),
                decidedBy: decider.map { Person(username: $0, fullname: deciderName ?? $0) })
        }
    }

    // MARK: Links and summaries

    public func updatePaperLinks(_ paper: PaperID, _ change: PaperLinksChange) async throws -> StoredPaper? {
        try await pool.write { db in
            guard
                let rowid = try Int64.fetchOne(
                    db, sql: "SELECT rowid FROM papers WHERE id = ?", arguments: [paper.rawValue])
            else { return nil }
            var assignments: [String] = []
            var arguments: StatementArguments = []
            if let organization = change.organization {
                if let name = organization,
                    !(try Bool.fetchOne(db, sql: "SELECT 1 FROM organizations WHERE name = ?", arguments: [name])
                        ?? false)
                {
                    throw UnknownOrganization(name: name)
                }
                assignments.append("organization = ?")
                arguments += [organization]
            }
            if let repo = change.githubRepo {
                assignments.append("github_repo = ?")
                arguments += [repo]
            }
            if let page = change.projectPage {
                assignments.append("project_page = ?")
                arguments += [page]
            }
            if !assignments.isEmpty {
                assignments.append("change_seq = \(ChangeSequence.next)")
                try db.execute(
                    sql: "UPDATE papers SET \(assignments.joined(separator: ", ")) WHERE rowid = ?",
                    arguments: arguments + [rowid])
            }
            return try PaperRow.fetchAll(
                db, sql: "SELECT \(PaperRow.columns) FROM papers WHERE rowid = ?", arguments: [rowid]
            ).first?.paper
        }
    }

    public func saveSummaries(_ summaries: [PaperSummary]) async throws {
        guard !summaries.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE papers SET key_sentence = ?, keywords = ?, change_seq = \(ChangeSequence.next)
                    WHERE rowid = ?
                    """)
            for summary in summaries {
                try statement.execute(arguments: [
                    summary.sentence, StoredText.keywordsText(summary.keywords), summary.key,
                ])
            }
        }
    }

    /// A paper row that cannot be read is logged and passed over (as in ``papersNeedingEmbedding``).
    public func papersWithoutKeywords(after key: PaperKey, scan: Int) async throws -> (
        papers: [(key: PaperKey, paper: Paper)], last: PaperKey?
    ) {
        guard scan > 0 else { return ([], nil) }
        let (papers, last, unreadable) = try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT rowid, keywords = '' FROM papers WHERE rowid > ? ORDER BY rowid LIMIT ?",
                arguments: [key, scan])
            let find = try db.cachedStatement(sql: "SELECT \(PaperRow.columns) FROM papers WHERE rowid = ?")
            var papers: [(key: PaperKey, paper: Paper)] = []
            var unreadable: [PaperKey] = []
            for row in rows {
                let rowid: PaperKey = try row.decode(atIndex: 0)
                guard (try? row.decode(Bool?.self, atIndex: 1)) ?? true else { continue }
                if let paper = try? PaperRow.fetchOne(find, arguments: [rowid]) {
                    papers.append((key: rowid, paper: paper.paper.paper))
                } else {
                    unreadable.append(rowid)
                }
            }
            let last: PaperKey? = rows.count < scan ? nil : try rows.last.map { try $0.decode(atIndex: 0) }
            return (papers, last, unreadable)
        }
        if !unreadable.isEmpty {
            logger.warning(
                "papers that cannot be read are left without keywords",
                metadata: ["paper.rowids": "\(unreadable.prefix(10).map(String.init).joined(separator: ", "))"])
        }
        return (papers, last)
    }
}
