import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// Comments, reports and collections (migration 0004). A paper's `num_comments` and a collection's `item_count` are
// counters kept in the write transaction that changes their rows: they are recounted there, so that they always equal
// the visible comments and the items, and reading one is a primary-key lookup. A transaction that recounts a paper's
// comments takes the change lock (``ChangeSequence``) first, and one that changes a collection's items locks the
// collection's row first, so that a recount never misses a row another node committed meanwhile. Every moderation
// action writes its `moderation_log` row in the transaction of its change.

extension PostgresStore: DiscussionStore {
    public func comments(on paper: PaperID, audience: Audience, limit: Int) async throws -> [Comment] {
        try await client.all(
            """
            \(unescaped: PostgresCommentRow.select)
            WHERE c.paper_key = (SELECT key FROM papers WHERE id = \(paper.rawValue))
                AND (c.hidden_at IS NULL OR \(audience == .moderators))
            ORDER BY c.created_at, c.id LIMIT \(max(limit, 0))
            """, logger: logger, PostgresCommentRow.comment)
    }

    public func comment(id: Int64) async throws -> Comment? {
        try await PostgresCommentRow.fetchOne(client, id: id, logger: logger)
    }

    public func addComment(paper: PaperID, accountID: Int64, text: String, at: Date) async throws -> Comment? {
        let logger = logger
        guard let key = try await self.key(of: paper) else { return nil }
        return try await transaction { connection in
            try await ChangeSequence.begin(connection, logger: logger)
            let id = try await Self.insertComment(
                connection, paperKey: key, accountID: accountID, text: text, at: at, logger: logger)
            return try await PostgresCommentRow.fetchOne(connection, id: id, logger: logger)
        }
    }

    public func editComment(id: Int64, text: String, at: Date) async throws -> Comment? {
        let logger = logger
        return try await transaction { connection in
            guard
                try await connection.first(
                    """
                    UPDATE comments SET text = \(text), edited_at = \(PostgresPaperRow.millis(at)) WHERE id = \(id)
                    RETURNING 1
                    """, logger: logger, { _ in true }) != nil
            else { return nil }
            return try await PostgresCommentRow.fetchOne(connection, id: id, logger: logger)
        }
    }

    public func deleteComment(id: Int64) async throws -> Bool {
        let logger = logger
        // Looked up first, so that a comment that is not there takes no lock.
        guard
            try await client.scalar("SELECT paper_key FROM comments WHERE id = \(id)", as: Int64.self, logger: logger)
                != nil
        else { return false }
        return try await transaction { connection in
            try await ChangeSequence.begin(connection, logger: logger)
            // The row is locked first: a report being filed on it meanwhile is committed before (and goes below), or
            // finds the comment gone.
            guard
                let key = try await connection.scalar(
                    "SELECT paper_key FROM comments WHERE id = \(id) FOR UPDATE", as: Int64.self, logger: logger)
            else { return false }
            // Reports of a deleted comment have nothing left to moderate: they go with it.
            try await connection.execute("DELETE FROM reports WHERE comment_id = \(id)", logger: logger)
            try await connection.execute("DELETE FROM comments WHERE id = \(id)", logger: logger)
            try await Self.recountComments(connection, paperKey: key, logger: logger)
            return true
        }
    }

    public func comments(accountID: Int64) async throws -> [Comment] {
        try await client.all(
            "\(unescaped: PostgresCommentRow.select) WHERE c.user_id = \(accountID) ORDER BY c.created_at, c.id",
            logger: logger, PostgresCommentRow.comment)
    }

    /// Inserts a comment and recounts its paper's visible comments (the caller's transaction holds both, and the
    /// change lock).
    static func insertComment(
        _ connection: PostgresConnection, paperKey: PaperKey, accountID: Int64, text: String, at: Date, logger: Logger
    ) async throws -> Int64 {
        guard
            let id = try await connection.scalar(
                """
                INSERT INTO comments (paper_key, user_id, text, created_at)
                VALUES (\(paperKey), \(accountID), \(text), \(PostgresPaperRow.millis(at))) RETURNING id
                """, as: Int64.self, logger: logger)
        else { throw StoredRowError(description: "a comment on paper \(paperKey) was stored without an id") }
        try await recountComments(connection, paperKey: paperKey, logger: logger)
        return id
    }

    /// Sets a paper's `num_comments` to its visible comments (the caller's transaction holds the change lock).
    static func recountComments(_ connection: PostgresConnection, paperKey: PaperKey, logger: Logger) async throws {
        try await connection.execute(
            """
            UPDATE papers SET num_comments =
                (SELECT count(*) FROM comments WHERE paper_key = \(paperKey) AND hidden_at IS NULL),
                change_seq = \(unescaped: ChangeSequence.next)
            WHERE key = \(paperKey)
            """, logger: logger)
    }

    // MARK: Reports

    public func fileReport(target: ReportTarget, accountID: Int64, reason: String, at: Date) async throws -> Report? {
        let logger = logger
        return try await transaction { connection in
            // One open report per reporter and target is checked, then written: reports are filed one at a time.
            try await WriteLock.lock(.discussion, connection, logger: logger)
            let open: PostgresQuery
            let insert: PostgresQuery
            let millis = PostgresPaperRow.millis(at)
            switch target {
            case .paper(let paper):
                guard
                    let key = try await connection.scalar(
                        "SELECT key FROM papers WHERE id = \(paper.rawValue)", as: Int64.self, logger: logger)
                else { return nil }
                open = """
                    SELECT id FROM reports
                    WHERE user_id = \(accountID) AND resolved_at IS NULL AND paper_key = \(key) AND comment_id IS NULL
                    ORDER BY id LIMIT 1
                    """
                insert = """
                    INSERT INTO reports (paper_key, user_id, reason, created_at)
                    VALUES (\(key), \(accountID), \(reason), \(millis)) RETURNING id
                    """
            case .comment(let id):
                // A comment being deleted is waited for (and then found gone).
                guard
                    try await connection.scalar(
                        "SELECT id FROM comments WHERE id = \(id) FOR KEY SHARE", as: Int64.self, logger: logger)
                        != nil
                else { return nil }
                open = """
                    SELECT id FROM reports
                    WHERE user_id = \(accountID) AND resolved_at IS NULL AND paper_key IS NULL AND comment_id = \(id)
                    ORDER BY id LIMIT 1
                    """
                insert = """
                    INSERT INTO reports (comment_id, user_id, reason, created_at)
                    VALUES (\(id), \(accountID), \(reason), \(millis)) RETURNING id
                    """
            }
            // A repeat (a double click) finds the first.
            let id: Int64
            if let found = try await connection.scalar(open, as: Int64.self, logger: logger) {
                id = found
            } else if let made = try await connection.scalar(insert, as: Int64.self, logger: logger) {
                id = made
            } else {
                throw StoredRowError(description: "a report was stored without an id")
            }
            return try await PostgresReportRow.fetchOne(connection, id: id, logger: logger)
        }
    }
}

// MARK: ModerationStore's comments and reports (the rest of the role is in PostgresStore+Profile.swift)

extension PostgresStore {
    public func setCommentHidden(id: Int64, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool? {
        let logger = logger
        // Looked up first, so that a comment that is not there takes no lock.
        guard
            try await client.scalar("SELECT paper_key FROM comments WHERE id = \(id)", as: Int64.self, logger: logger)
                != nil
        else { return nil }
        return try await transaction { connection in
            try await ChangeSequence.begin(connection, logger: logger)
            // Read again under the lock: hiding and unhiding run one at a time.
            guard
                let (key, isHidden) = try await connection.first(
                    "SELECT paper_key, hidden_at IS NOT NULL FROM comments WHERE id = \(id)", logger: logger,
                    { try $0.decode((Int64, Bool).self) })
            else { return nil }
            guard isHidden != hidden else { return false }
            try await connection.execute(
                "UPDATE comments SET hidden_at = \(hidden ? PostgresPaperRow.millis(at) : nil) WHERE id = \(id)",
                logger: logger)
            try await Self.recountComments(connection, paperKey: key, logger: logger)
            try await Self.logModeration(
                connection, action: hidden ? "comment.hide" : "comment.unhide", target: "comment:\(id)", detail: nil,
                actorID: actorID, at: at, logger: logger)
            return true
        }
    }

    public func reports(open: Bool, limit: Int) async throws -> [Report] {
        try await client.all(
            open
                ? """
                \(unescaped: PostgresReportRow.select) WHERE r.resolved_at IS NULL
                ORDER BY r.created_at, r.id LIMIT \(max(limit, 0))
                """
                : """
                \(unescaped: PostgresReportRow.select) WHERE r.resolved_at IS NOT NULL
                ORDER BY r.resolved_at DESC, r.id DESC LIMIT \(max(limit, 0))
                """, logger: logger, PostgresReportRow.report)
    }

    public func resolveReport(id: Int64, by actorID: Int64?, at: Date) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            // Only an open report is closed, once: the row's lock decides between two moderators at once.
            guard
                try await connection.first(
                    """
                    UPDATE reports SET resolved_at = \(PostgresPaperRow.millis(at)), resolved_by = \(actorID)
                    WHERE id = \(id) AND resolved_at IS NULL RETURNING 1
                    """, logger: logger, { _ in true }) != nil,
                let report = try await PostgresReportRow.fetchOne(connection, id: id, logger: logger)
            else { return false }
            try await Self.logModeration(
                connection, action: "report.resolve", target: "report:\(id)",
                detail: report.target.logName, actorID: actorID, at: at, logger: logger)
            return true
        }
    }
}

// MARK: Collections

extension PostgresStore: CollectionStore {
    public func createCollection(_ collection: NewCollection) async throws -> PaperCollection {
        let logger = logger
        let at = PostgresPaperRow.millis(collection.at)
        // The transaction gives nil for a taken id, thrown after it (an error thrown inside would come out wrapped).
        let created: PaperCollection?? = try await transaction { connection in
            guard
                try await connection.first(
                    """
                    INSERT INTO collections (id, user_id, name, description, is_public, created_at, updated_at)
                    VALUES (\(collection.id), \(collection.ownerID), \(collection.name), \(collection.description),
                        \(collection.isPublic), \(at), \(at))
                    ON CONFLICT (id) DO NOTHING RETURNING 1
                    """, logger: logger, { _ in true }) != nil
            else { return nil }
            return .some(try await PostgresCollectionRow.fetchOne(connection, id: collection.id, logger: logger))
        }
        guard let created else { throw CollectionIDTaken() }
        guard let created else {
            throw StoredRowError(description: "the collection just created (\(collection.id)) cannot be read back")
        }
        return created
    }

    public func collection(id: String) async throws -> PaperCollection? {
        try await PostgresCollectionRow.fetchOne(client, id: id, logger: logger)
    }

    public func collections(ownerID: Int64, includePrivate: Bool, limit: Int) async throws -> [PaperCollection] {
        try await client.all(
            """
            SELECT \(unescaped: PostgresCollectionRow.columns) FROM collections c JOIN users u ON u.id = c.user_id
            WHERE c.user_id = \(ownerID) AND (c.is_public OR \(includePrivate))
            ORDER BY c.updated_at DESC, c.created_at DESC, c.id COLLATE "C" LIMIT \(max(limit, 0))
            """, logger: logger, PostgresCollectionRow.collection)
    }

    public func updateCollection(id: String, _ change: CollectionChange, at: Date) async throws -> PaperCollection? {
        let logger = logger
        return try await transaction { connection in
            guard
                try await connection.first(
                    """
                    UPDATE collections SET name = coalesce(\(change.name)::text, name),
                        description = coalesce(\(change.description)::text, description),
                        is_public = coalesce(\(change.isPublic)::boolean, is_public),
                        updated_at = \(PostgresPaperRow.millis(at))
                    WHERE id = \(id) RETURNING 1
                    """, logger: logger, { _ in true }) != nil
            else { return nil }
            return try await PostgresCollectionRow.fetchOne(connection, id: id, logger: logger)
        }
    }

    public func deleteCollection(id: String) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            // Locked first, so that no item is added between deleting the items and the collection.
            guard try await Self.lockCollection(connection, id: id, logger: logger) else { return false }
            try await connection.execute("DELETE FROM collection_items WHERE collection_id = \(id)", logger: logger)
            try await connection.execute("DELETE FROM collections WHERE id = \(id)", logger: logger)
            return true
        }
    }

    public func setPaper(_ paper: PaperID, inCollection id: String, add: Bool, at: Date) async throws -> Bool? {
        let logger = logger
        let millis = PostgresPaperRow.millis(at)
        return try await transaction { connection in
            // The collection's row is locked first: changes to one collection's items run one at a time, so the
            // recount below sees every item committed before it.
            guard try await Self.lockCollection(connection, id: id, logger: logger),
                let key = try await connection.scalar(
                    "SELECT key FROM papers WHERE id = \(paper.rawValue)", as: Int64.self, logger: logger)
            else { return nil }
            let changed: Bool
            if add {
                changed =
                    try await connection.first(
                        """
                        INSERT INTO collection_items (collection_id, paper_key, added_at) VALUES (\(id), \(key), \(millis))
                        ON CONFLICT (collection_id, paper_key) DO NOTHING RETURNING 1
                        """, logger: logger, { _ in true }) != nil
            } else {
                changed =
                    try await connection.first(
                        "DELETE FROM collection_items WHERE collection_id = \(id) AND paper_key = \(key) RETURNING 1",
                        logger: logger, { _ in true }) != nil
            }
            // Adding a paper twice or removing one that is not there changes nothing, not even the update time.
            guard changed else { return false }
            try await connection.execute(
                """
                UPDATE collections SET updated_at = \(millis),
                    item_count = (SELECT count(*) FROM collection_items WHERE collection_id = \(id))
                WHERE id = \(id)
                """, logger: logger)
            return true
        }
    }

    public func papers(inCollection id: String, audience: Audience, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        let moderators = audience == .moderators
        let total = try await client.count(
            """
            SELECT count(*) FROM collection_items ci JOIN papers p ON p.key = ci.paper_key
            WHERE ci.collection_id = \(id) AND (p.hidden_at IS NULL OR \(moderators))
            """, logger: logger)
        let rows = try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM collection_items ci JOIN papers p ON p.key = ci.paper_key
            WHERE ci.collection_id = \(id) AND (p.hidden_at IS NULL OR \(moderators))
            ORDER BY ci.added_at DESC, p.id DESC LIMIT \(max(limit, 0)) OFFSET \(max(offset, 0))
            """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    public func collectionIDs(ownerID: Int64, containing paper: PaperID) async throws -> Set<String> {
        Set(
            try await client.all(
                """
                SELECT c.id FROM collections c JOIN collection_items ci ON ci.collection_id = c.id
                WHERE c.user_id = \(ownerID) AND ci.paper_key = (SELECT key FROM papers WHERE id = \(paper.rawValue))
                """, logger: logger
            ) { try $0.decode(String.self) })
    }

    /// Locks a collection's row until the transaction ends; false when there is no such collection.
    private static func lockCollection(_ connection: PostgresConnection, id: String, logger: Logger) async throws
        -> Bool
    {
        try await connection.first("SELECT 1 FROM collections WHERE id = \(id) FOR UPDATE", logger: logger) { _ in
            true
        } != nil
    }
}

/// A comment read from `comments c`, with its paper's id, its author (`users u`, absent once the account is deleted)
/// and whether the author has an accepted claim on the paper.
enum PostgresCommentRow {
    static let select = """
        SELECT c.id, p.id AS paper, c.user_id, u.username, u.fullname, c.text, c.created_at, c.edited_at, c.hidden_at,
            EXISTS (SELECT 1 FROM claims cl WHERE cl.paper_key = c.paper_key AND cl.user_id = c.user_id
                AND cl.status = 'accepted') AS by_claimed_author
        FROM comments c JOIN papers p ON p.key = c.paper_key LEFT JOIN users u ON u.id = c.user_id
        """

    static func fetchOne(_ runner: some PostgresRunner, id: Int64, logger: Logger) async throws -> Comment? {
        try await runner.first("\(unescaped: select) WHERE c.id = \(id)", logger: logger, comment)
    }

    /// Decodes a row selected with ``select``.
    static func comment(_ row: PostgresRow) throws -> Comment {
        let (id, paper, userID, username, fullname, text, created, edited, hidden, byClaimedAuthor) = try row.decode(
            (Int64, String, Int64?, String?, String?, String, Int64, Int64?, Int64?, Bool).self)
        return Comment(
            id: id, paper: PaperID(storedValue: paper),
            author: username.map { Person(username: $0, fullname: fullname ?? $0) }, authorID: userID, text: text,
            createdAt: Millis.date(created), editedAt: edited.map(Millis.date), hiddenAt: hidden.map(Millis.date),
            byClaimedAuthor: byClaimedAuthor)
    }
}

/// A report read from `reports r`, with its paper's id when it reports a paper, the reporter and the moderator who
/// resolved it (each absent once their account is deleted).
enum PostgresReportRow {
    static let select = """
        SELECT r.id, p.id AS paper, r.comment_id, r.reason, r.created_at, r.resolved_at,
            reporter.username, reporter.fullname, resolver.username, resolver.fullname
        FROM reports r LEFT JOIN papers p ON p.key = r.paper_key
            LEFT JOIN users reporter ON reporter.id = r.user_id
            LEFT JOIN users resolver ON resolver.id = r.resolved_by
        """

    static func fetchOne(_ runner: some PostgresRunner, id: Int64, logger: Logger) async throws -> Report? {
        try await runner.first("\(unescaped: select) WHERE r.id = \(id)", logger: logger, report)
    }

    /// Decodes a row selected with ``select``.
    static func report(_ row: PostgresRow) throws -> Report {
        let (id, paper, comment, reason, created, resolved, reporter, reporterName, resolver, resolverName) =
            try row.decode((Int64, String?, Int64?, String, Int64, Int64?, String?, String?, String?, String?).self)
        let target: ReportTarget
        if let paper {
            target = .paper(PaperID(storedValue: paper))
        } else if let comment {
            target = .comment(comment)
        } else {
            throw StoredRowError(description: "report \(id) names neither a paper nor a comment")
        }
        return Report(
            id: id, target: target, reporter: reporter.map { Person(username: $0, fullname: reporterName ?? $0) },
            reason: reason, createdAt: Millis.date(created), resolvedAt: resolved.map(Millis.date),
            resolvedBy: resolver.map { Person(username: $0, fullname: resolverName ?? $0) })
    }
}

/// A collection read from `collections c` with its owner (`users u`).
enum PostgresCollectionRow {
    static let columns = """
        c.id, c.user_id, u.username, u.fullname, c.name, c.description, c.is_public, c.created_at, c.updated_at, \
        c.item_count
        """

    static func fetchOne(_ runner: some PostgresRunner, id: String, logger: Logger) async throws -> PaperCollection? {
        try await runner.first(
            "SELECT \(unescaped: columns) FROM collections c JOIN users u ON u.id = c.user_id WHERE c.id = \(id)",
            logger: logger, collection)
    }

    /// Decodes a row selected with ``columns``.
    static func collection(_ row: PostgresRow) throws -> PaperCollection {
        let (id, ownerID, username, fullname, name, description, isPublic, created, updated, items) = try row.decode(
            (String, Int64, String, String, String, String, Bool, Int64, Int64, Int).self)
        return PaperCollection(
            id: id, ownerID: ownerID, owner: Person(username: username, fullname: fullname), name: name,
            description: description, isPublic: isPublic, createdAt: Millis.date(created),
            updatedAt: Millis.date(updated), itemCount: items)
    }
}
