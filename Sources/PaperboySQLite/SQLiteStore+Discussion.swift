import Foundation
import GRDB
import PaperboyCore

// Comments, reports and collections (migration 0004). A paper's `num_comments` and a collection's `item_count` are
// counters kept in the write transaction that changes their rows: they are recounted there, so that they always equal
// the visible comments and the items, and reading one is a primary-key lookup. Every moderation action writes its
// `moderation_log` row in the transaction of its change.

extension SQLiteStore {
    // MARK: Comments

    public func comments(on paper: PaperID, audience: Audience, limit: Int) async throws -> [Comment] {
        let visible = audience == .moderators ? "" : "AND c.hidden_at IS NULL"
        return try await pool.read { db in
            try CommentRow.fetchAll(
                db,
                where: "c.paper_rowid = (SELECT rowid FROM papers WHERE id = ?) \(visible)",
                arguments: [paper.rawValue], order: "c.created_at, c.id", limit: limit)
        }
    }

    public func comment(id: Int64) async throws -> Comment? {
        try await pool.read { db in try CommentRow.fetchOne(db, id: id) }
    }

    public func addComment(paper: PaperID, accountID: Int64, text: String, at: Date) async throws -> Comment? {
        try await pool.write { db in
            guard
                let rowid = try Int64.fetchOne(
                    db, sql: "SELECT rowid FROM papers WHERE id = ?", arguments: [paper.rawValue])
            else { return nil }
            let id = try Self.insertComment(db, paperRowid: rowid, accountID: accountID, text: text, at: at)
            return try CommentRow.fetchOne(db, id: id)
        }
    }

    public func editComment(id: Int64, text: String, at: Date) async throws -> Comment? {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE comments SET text = ?, edited_at = ? WHERE id = ?",
                arguments: [text, PaperRow.millis(at), id])
            guard db.changesCount == 1 else { return nil }
            return try CommentRow.fetchOne(db, id: id)
        }
    }

    public func deleteComment(id: Int64) async throws -> Bool {
        try await pool.write { db in
            guard
                let rowid = try Int64.fetchOne(
                    db, sql: "SELECT paper_rowid FROM comments WHERE id = ?", arguments: [id])
            else { return false }
            // Reports of a deleted comment have nothing left to moderate: they go with it.
            try db.execute(sql: "DELETE FROM reports WHERE comment_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM comments WHERE id = ?", arguments: [id])
            try Self.recountComments(db, paperRowid: rowid)
            return true
        }
    }

    public func comments(accountID: Int64) async throws -> [Comment] {
        try await pool.read { db in
            try CommentRow.fetchAll(
                db, where: "c.user_id = ?", arguments: [accountID], order: "c.created_at, c.id", limit: nil)
        }
    }

    /// Inserts a comment and recounts its paper's visible comments (the caller's transaction holds both).
    static func insertComment(_ db: Database, paperRowid: Int64, accountID: Int64, text: String, at: Date) throws
        -> Int64
    {
        try db.execute(
            sql: "INSERT INTO comments (paper_rowid, user_id, text, created_at) VALUES (?, ?, ?, ?)",
            arguments: [paperRowid, accountID, text, PaperRow.millis(at)])
        let id = db.lastInsertedRowID
        try recountComments(db, paperRowid: paperRowid)
        return id
    }

    /// Sets a paper's `num_comments` to its visible comments.
    static func recountComments(_ db: Database, paperRowid: Int64) throws {
        try db.execute(
            sql: """
                UPDATE papers SET num_comments =
                    (SELECT count(*) FROM comments WHERE paper_rowid = ?1 AND hidden_at IS NULL),
                    change_seq = \(ChangeSequence.next)
                WHERE rowid = ?1
                """,
            arguments: [paperRowid])
    }

    // MARK: Reports

    public func fileReport(target: ReportTarget, accountID: Int64, reason: String, at: Date) async throws -> Report? {
        try await pool.write { db in
            let paperRowid: Int64?
            let commentID: Int64?
            switch target {
            case .paper(let paper):
                guard
                    let rowid = try Int64.fetchOne(
                        db, sql: "SELECT rowid FROM papers WHERE id = ?", arguments: [paper.rawValue])
                else { return nil }
                (paperRowid, commentID) = (rowid, nil)
            case .comment(let id):
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM comments WHERE id = ?", arguments: [id]) ?? false
                else { return nil }
                (paperRowid, commentID) = (nil, id)
            }
            // One open report per reporter and target: a repeat (a double click) finds the first.
            if let open = try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM reports
                    WHERE user_id = ? AND resolved_at IS NULL AND paper_rowid IS ? AND comment_id IS ?
                    ORDER BY id LIMIT 1
                    """,
                arguments: [accountID, paperRowid, commentID])
            {
                return try ReportRow.fetchOne(db, id: open)
            }
            try db.execute(
                sql: """
                    INSERT INTO reports (paper_rowid, comment_id, user_id, reason, created_at) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [paperRowid, commentID, accountID, reason, PaperRow.millis(at)])
            return try ReportRow.fetchOne(db, id: db.lastInsertedRowID)
        }
    }

    // MARK: Moderation of comments and reports

    public func setCommentHidden(id: Int64, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT paper_rowid, hidden_at FROM comments WHERE id = ?", arguments: [id])
            else { return nil }
            let paperRowid: Int64 = try row.decode(forColumn: "paper_rowid")
            let hiddenAt: Int64? = try row.decode(forColumn: "hidden_at")
            guard (hiddenAt != nil) != hidden else { return false }
            try db.execute(
                sql: "UPDATE comments SET hidden_at = ? WHERE id = ?",
                arguments: [hidden ? PaperRow.millis(at) : nil, id])
            try Self.recountComments(db, paperRowid: paperRowid)
            try logModeration(
                db, action: hidden ? "comment.hide" : "comment.unhide", target: "comment:\(id)", detail: nil,
                actorID: actorID, at: at)
            return true
        }
    }

    public func reports(open: Bool, limit: Int) async throws -> [Report] {
        try await pool.read { db in
            open
                ? try ReportRow.fetchAll(
                    db, where: "r.resolved_at IS NULL", order: "r.created_at, r.id", limit: limit)
                : try ReportRow.fetchAll(
                    db, where: "r.resolved_at IS NOT NULL", order: "r.resolved_at DESC, r.id DESC", limit: limit)
        }
    }

    public func resolveReport(id: Int64, by actorID: Int64?, at: Date) async throws -> Bool {
        try await pool.write { db in
            guard let report = try ReportRow.fetchOne(db, id: id), report.resolvedAt == nil else { return false }
            try db.execute(
                sql: "UPDATE reports SET resolved_at = ?, resolved_by = ? WHERE id = ?",
                arguments: [PaperRow.millis(at), actorID, id])
            try logModeration(
                db, action: "report.resolve", target: "report:\(id)", detail: report.target.logName,
                actorID: actorID, at: at)
            return true
        }
    }

    // MARK: Collections

    public func createCollection(_ collection: NewCollection) async throws -> PaperCollection {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM collections WHERE id = ?", arguments: [collection.id])
                ?? false
            {
                throw CollectionIDTaken()
            }
            let at = PaperRow.millis(collection.at)
            try db.execute(
                sql: """
                    INSERT INTO collections (id, user_id, name, description, is_public, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    collection.id, collection.ownerID, collection.name, collection.description, collection.isPublic,
                    at, at,
                ])
            guard let created = try CollectionRow.fetchOne(db, id: collection.id) else {
                throw StoredRowError(description: "the collection just created (\(collection.id)) cannot be read back")
            }
            return created
        }
    }

    public func collection(id: String) async throws -> PaperCollection? {
        try await pool.read { db in try CollectionRow.fetchOne(db, id: id) }
    }

    public func collections(ownerID: Int64, includePrivate: Bool, limit: Int) async throws -> [PaperCollection] {
        let visible = includePrivate ? "" : "AND c.is_public = 1"
        return try await pool.read { db in
            try CollectionRow.fetchAll(
                db,
                sql: """
                    SELECT \(CollectionRow.columns) FROM collections c JOIN users u ON u.id = c.user_id
                    WHERE c.user_id = ? \(visible)
                    ORDER BY c.updated_at DESC, c.created_at DESC, c.id LIMIT ?
                    """,
                arguments: [ownerID, max(limit, 0)])
        }
    }

    public func updateCollection(id: String, _ change: CollectionChange, at: Date) async throws -> PaperCollection? {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE collections SET name = coalesce(?, name), description = coalesce(?, description),
                        is_public = coalesce(?, is_public), updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [change.name, change.description, change.isPublic, PaperRow.millis(at), id])
            guard db.changesCount == 1 else { return nil }
            return try CollectionRow.fetchOne(db, id: id)
        }
    }

    public func deleteCollection(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM collection_items WHERE collection_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM collections WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func setPaper(_ paper: PaperID, inCollection id: String, add: Bool, at: Date) async throws -> Bool? {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM collections WHERE id = ?", arguments: [id]) ?? false,
                let rowid = try Int64.fetchOne(
                    db, sql: "SELECT rowid FROM papers WHERE id = ?", arguments: [paper.rawValue])
            else { return nil }
            if add {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO collection_items (collection_id, paper_rowid, added_at) VALUES (?, ?, ?)
                        """,
                    arguments: [id, rowid, PaperRow.millis(at)])
            } else {
                try db.execute(
                    sql: "DELETE FROM collection_items WHERE collection_id = ? AND paper_rowid = ?",
                    arguments: [id, rowid])
            }
            // Adding a paper twice or removing one that is not there changes nothing, not even the update time.
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: """
                    UPDATE collections SET updated_at = ?,
                        item_count = (SELECT count(*) FROM collection_items WHERE collection_id = ?2)
                    WHERE id = ?2
                    """,
                arguments: [PaperRow.millis(at), id])
            return true
        }
    }

    public func papers(inCollection id: String, audience: Audience, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        let visible = audience == .moderators ? "" : "AND p.hidden_at IS NULL"
        let from = """
            FROM collection_items ci JOIN papers p ON p.rowid = ci.paper_rowid WHERE ci.collection_id = ? \(visible)
            """
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) \(from)", arguments: [id]) ?? 0
            let rows = try PaperRow.fetchAll(
                db,
                sql: """
                    SELECT \(PaperRow.columns(prefix: "p.")) \(from)
                    ORDER BY ci.added_at DESC, p.id DESC LIMIT ? OFFSET ?
                    """,
                arguments: [id, max(limit, 0), max(offset, 0)])
            return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
        }
    }

    public func collectionIDs(ownerID: Int64, containing paper: PaperID) async throws -> Set<String> {
        try await pool.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT c.id FROM collections c JOIN collection_items ci ON ci.collection_id = c.id
                        WHERE c.user_id = ? AND ci.paper_rowid = (SELECT rowid FROM papers WHERE id = ?)
                        """,
                    arguments: [ownerID, paper.rawValue]))
        }
    }
}

/// A comment read from `comments c`, with its paper's id, its author (`users u`, absent once the account is deleted)
/// and whether the author has an accepted claim on the paper.
enum CommentRow {
    static let select = """
        SELECT c.id AS comment_id, p.id AS comment_paper, c.user_id AS comment_user_id, u.username AS comment_username,
            u.fullname AS comment_fullname, c.text AS comment_text, c.created_at AS comment_created_at,
            c.edited_at AS comment_edited_at, c.hidden_at AS comment_hidden_at,
            EXISTS (SELECT 1 FROM claims cl WHERE cl.paper_rowid = c.paper_rowid AND cl.user_id = c.user_id
                AND cl.status = 'accepted') AS comment_by_claimed_author
        FROM comments c JOIN papers p ON p.rowid = c.paper_rowid LEFT JOIN users u ON u.id = c.user_id
        """

    static func fetchOne(_ db: Database, id: Int64) throws -> Comment? {
        try Row.fetchOne(db, sql: "\(select) WHERE c.id = ?", arguments: [id]).map(comment)
    }

    /// Comments matching `condition`, in `order`, at most `limit` (all when nil).
    static func fetchAll(
        _ db: Database, where condition: String, arguments: StatementArguments, order: String, limit: Int?
    ) throws -> [Comment] {
        let limited = limit.map { _ in " LIMIT ?" } ?? ""
        let limitArgument: StatementArguments = limit.map { [max($0, 0)] } ?? []
        return try Row.fetchAll(
            db, sql: "\(select) WHERE \(condition) ORDER BY \(order)\(limited)",
            arguments: arguments + limitArgument
        ).map(comment)
    }

    static func comment(_ row: Row) throws -> Comment {
        let username: String? = try row.decode(forColumn: "comment_username")
        let fullname: String? = try row.decode(forColumn: "comment_fullname")
        let edited: Int64? = try row.decode(forColumn: "comment_edited_at")
        let hidden: Int64? = try row.decode(forColumn: "comment_hidden_at")
        let userID: Int64? = try row.decode(forColumn: "comment_user_id")
        return Comment(
            id: try row.decode(forColumn: "comment_id"),
            paper: PaperID(storedValue: try row.decode(forColumn: "comment_paper")),
            author: username.map { Person(username: $0, fullname: fullname ?? $0) }, authorID: userID,
            text: try row.decode(forColumn: "comment_text"),
            createdAt: PaperRow.date(try row.decode(forColumn: "comment_created_at")),
            editedAt: edited.map(PaperRow.date), hiddenAt: hidden.map(PaperRow.date),
            byClaimedAuthor: try row.decode(forColumn: "comment_by_claimed_author"))
    }
}

/// A report read from `reports r`, with its paper's id when it reports a paper, the reporter and the moderator who
/// resolved it (each absent once their account is deleted).
enum ReportRow {
    static let select = """
        SELECT r.id AS report_id, p.id AS report_paper, r.comment_id AS report_comment, r.reason AS report_reason,
            r.created_at AS report_created_at, r.resolved_at AS report_resolved_at,
            reporter.username AS report_reporter_username, reporter.fullname AS report_reporter_fullname,
            resolver.username AS report_resolver_username, resolver.fullname AS report_resolver_fullname
        FROM reports r LEFT JOIN papers p ON p.rowid = r.paper_rowid
            LEFT JOIN users reporter ON reporter.id = r.user_id
            LEFT JOIN users resolver ON resolver.id = r.resolved_by
        """

    static func fetchOne(_ db: Database, id: Int64) throws -> Report? {
        try Row.fetchOne(db, sql: "\(select) WHERE r.id = ?", arguments: [id]).map(report)
    }

    static func fetchAll(_ db: Database, where condition: String, order: String, limit: Int) throws -> [Report] {
        try Row.fetchAll(
            db, sql: "\(select) WHERE \(condition) ORDER BY \(order) LIMIT ?", arguments: [max(limit, 0)]
        ).map(report)
    }

    static func report(_ row: Row) throws -> Report {
        let id: Int64 = try row.decode(forColumn: "report_id")
        let paper: String? = try row.decode(forColumn: "report_paper")
        let comment: Int64? = try row.decode(forColumn: "report_comment")
        let target: ReportTarget
        if let paper {
            target = .paper(PaperID(storedValue: paper))
        } else if let comment {
            target = .comment(comment)
        } else {
            throw StoredRowError(description: "report \(id) names neither a paper nor a comment")
        }
        let resolved: Int64? = try row.decode(forColumn: "report_resolved_at")
        return Report(
            id: id, target: target,
            reporter: try person(row, "report_reporter"), reason: try row.decode(forColumn: "report_reason"),
            createdAt: PaperRow.date(try row.decode(forColumn: "report_created_at")),
            resolvedAt: resolved.map(PaperRow.date), resolvedBy: try person(row, "report_resolver"))
    }

    private static func person(_ row: Row, _ prefix: String) throws -> Person? {
        let username: String? = try row.decode(forColumn: "\(prefix)_username")
        let fullname: String? = try row.decode(forColumn: "\(prefix)_fullname")
        return username.map { Person(username: $0, fullname: fullname ?? $0) }
    }
}

/// A collection read from `collections c` with its owner (`users u`).
enum CollectionRow {
    static let columns = """
        c.id AS collection_id, c.user_id AS collection_user_id, u.username AS collection_username,
        u.fullname AS collection_fullname, c.name AS collection_name, c.description AS collection_description,
        c.is_public AS collection_is_public, c.created_at AS collection_created_at,
        c.updated_at AS collection_updated_at, c.item_count AS collection_item_count
        """

    static func fetchOne(_ db: Database, id: String) throws -> PaperCollection? {
        try fetchAll(
            db, sql: "SELECT \(columns) FROM collections c JOIN users u ON u.id = c.user_id WHERE c.id = ?",
            arguments: [id]
        ).first
    }

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments) throws -> [PaperCollection] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            PaperCollection(
                id: try row.decode(forColumn: "collection_id"),
                ownerID: try row.decode(forColumn: "collection_user_id"),
                owner: Person(
                    username: try row.decode(forColumn: "collection_username"),
                    fullname: try row.decode(forColumn: "collection_fullname")),
                name: try row.decode(forColumn: "collection_name"),
                description: try row.decode(forColumn: "collection_description"),
                isPublic: try row.decode(forColumn: "collection_is_public"),
                createdAt: PaperRow.date(try row.decode(forColumn: "collection_created_at")),
                updatedAt: PaperRow.date(try row.decode(forColumn: "collection_updated_at")),
                itemCount: try row.decode(forColumn: "collection_item_count"))
        }
    }
}
