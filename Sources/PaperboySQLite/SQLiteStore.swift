import Foundation
import GRDB
import Logging
import PaperboyCore

/// The embedded store: one SQLite file in WAL mode, read in parallel through a `DatabasePool`,
/// written by one writer at a time. Owns the database: nothing else in Paperboy speaks SQL to it. It plays every
/// store role (``PaperboyStore``); its ``PaperKey`` is the papers table's rowid. Keyword search is Paperboy's own
/// index (PaperboySearch), fed by the change sequence (``PaperChangeFeed``).
public final class SQLiteStore: PaperboyStore {
    public let path: String
    let pool: DatabasePool
    let logger: Logger

    /// Opens (creating if needed) the database at `path`. Call ``migrate()`` before use.
    public init(path: String, logger: Logger = Logger(label: "paperboy.sqlite")) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.maximumReaderCount = max(4, ProcessInfo.processInfo.activeProcessorCount * 2)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 16 MB of page cache a connection (readers are many); the writer gets more below.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            db.add(function: TrendingScore.function)
        }
        self.path = path
        self.logger = logger
        pool = try DatabasePool(path: path, configuration: config)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -131072") }
    }

    /// A store in a new file under the temporary directory (tests, benchmarks).
    public static func temporary(logger: Logger = Logger(label: "paperboy.sqlite")) throws -> SQLiteStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return try SQLiteStore(path: dir.appendingPathComponent("paperboy.sqlite").path, logger: logger)
    }

    public func migrate() async throws {
        let migrator = Schema.migrator()
        // A file a newer Paperboy migrated is refused, not misread.
        let unknown = try await pool.read { db -> [String] in
            guard try db.tableExists("grdb_migrations") else { return [] }
            let known = Set(migrator.migrations)
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                .filter { !known.contains($0) }
        }
        guard unknown.isEmpty else { throw SchemaNewerThanThisPaperboy(store: "SQLite", unknown: unknown) }
        try migrator.migrate(pool)
    }

    /// Names of applied migrations, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await pool.read { db in try Schema.migrator().appliedMigrations(db) }
    }

    public func pendingMigrations() async throws -> [String] {
        let applied = Set(try await appliedMigrations())
        return Schema.migrator().migrations.filter { !applied.contains($0) }
    }

    /// A consistent copy of the live database at `destination` (SQLite online backup), safe while
    /// the server runs and writes.
    public func backup(to destination: String) async throws {
        let target = try DatabaseQueue(path: destination)
        try pool.backup(to: target)
        try target.close()
    }

    // MARK: Writing

    /// Nothing to prepare: the keyword index lives beside the store and reads its change sequence.
    public func beginBulkLoad() async throws {}

    /// Refreshes the query planner's statistics after a large load.
    public func endBulkLoad() async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA optimize")
        }
    }

    public func upsert(_ papers: [Paper]) async throws -> UpsertSummary {
        guard !papers.isEmpty else { return UpsertSummary() }
        return try await pool.write { db in
            var summary = UpsertSummary()
            let find = try db.cachedStatement(sql: "SELECT \(PaperRow.columns) FROM papers WHERE id = ?")
            for incoming in papers {
                // New papers (the common case in a load) cost one insert; a conflict means it is stored already.
                if try insert(db, incoming) {
                    summary.inserted += 1
                } else if let stored = try PaperRow.fetchOne(find, arguments: [incoming.id.rawValue]) {
                    let merged = stored.paper.paper.merged(with: incoming)
                    if merged == stored.paper.paper {
                        summary.unchanged += 1
                    } else {
                        try update(db, rowid: stored.rowid, from: stored.paper.paper, to: merged)
                        summary.updated += 1
                    }
                }
            }
            return summary
        }
    }

    /// Inserts a paper that is not stored yet; returns false (and does nothing) when its id is taken.
    private func insert(_ db: Database, _ paper: Paper) throws -> Bool {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO papers (id, title, authors, abstract, categories, versions, submitter, comments,
                    journal_ref, doi, report_no, license, updated_at, published_at, latest_version, featured_at,
                    featured_day, key_sentence, change_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(ChangeSequence.next))
                ON CONFLICT (id) DO NOTHING
                """)
        // The key sentence starts as the abstract's first sentence; the embedding pipeline refines it.
        statement.setUncheckedArguments(
            PaperRow.arguments(paper, includingID: true) + [StoredText.firstSentence(paper.abstract)])
        try statement.execute()
        guard db.changesCount == 1 else { return false }
        let rowid = db.lastInsertedRowID
        try insertLinks(db, rowid: rowid, paper: paper)
        return true
    }

    private func update(_ db: Database, rowid: Int64, from old: Paper, to new: Paper) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE papers SET title = ?, authors = ?, abstract = ?, categories = ?, versions = ?, submitter = ?,
                    comments = ?, journal_ref = ?, doi = ?, report_no = ?, license = ?, updated_at = ?,
                    published_at = ?, latest_version = ?, featured_at = ?, featured_day = ?,
                    change_seq = \(ChangeSequence.next)
                WHERE rowid = ?
                """)
        statement.setUncheckedArguments(PaperRow.arguments(paper: new, rowid: rowid))
        try statement.execute()
        if old.abstract != new.abstract {
            // A summary of the old text is stale: back to the first-sentence rule, keywords made again when embedded.
            // (One change of the paper: the update above numbered it.)
            try db.cachedStatement(sql: "UPDATE papers SET key_sentence = ?, keywords = '' WHERE rowid = ?")
                .execute(arguments: [StoredText.firstSentence(new.abstract), rowid])
        }
        if old.authors != new.authors || old.categories != new.categories || old.featuredAt != new.featuredAt {
            try deleteLinks(db, rowid: rowid, paper: old)
            try insertLinks(db, rowid: rowid, paper: new)
        }
    }

    func insertLinks(_ db: Database, rowid: Int64, paper: Paper) throws {
        let at = PaperRow.millis(paper.featuredAt)
        let author = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO paper_authors (name, featured_at, paper_rowid) VALUES (?, ?, ?)")
        for name in Set(paper.authors) {
            author.setUncheckedArguments([name, at, rowid])
            try author.execute()
        }
        let category = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO paper_categories (category, featured_at, paper_rowid) VALUES (?, ?, ?)")
        for name in paper.categories {
            category.setUncheckedArguments([name, at, rowid])
            try category.execute()
        }
    }

    func deleteLinks(_ db: Database, rowid: Int64, paper: Paper) throws {
        let at = PaperRow.millis(paper.featuredAt)
        let author = try db.cachedStatement(
            sql: "DELETE FROM paper_authors WHERE name = ? AND featured_at = ? AND paper_rowid = ?")
        for name in Set(paper.authors) { try author.execute(arguments: [name, at, rowid]) }
        let category = try db.cachedStatement(
            sql: "DELETE FROM paper_categories WHERE category = ? AND featured_at = ? AND paper_rowid = ?")
        for name in paper.categories { try category.execute(arguments: [name, at, rowid]) }
    }

    // MARK: Reading

    public func paper(id: PaperID, audience: Audience) async throws -> StoredPaper? {
        let visibility = audience == .moderators ? "" : " AND hidden_at IS NULL"
        return try await pool.read { db in
            try PaperRow.fetchAll(
                db, sql: "SELECT \(PaperRow.columns) FROM papers WHERE id = ?\(visibility)", arguments: [id.rawValue]
            ).first?.paper
        }
    }

    public func listing(days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        let order =
            switch sort {
            case .publishedAt: "featured_at DESC, id DESC"
            case .upvotes: "upvotes DESC, featured_at DESC, id DESC"
            }
        // Over every day, leave the day out of the query so that the time index serves the order.
        let everything = days == ListingPeriod.everything
        let filter =
            everything
            ? " WHERE \(PaperRow.visible())" : " WHERE featured_day BETWEEN ? AND ? AND \(PaperRow.visible())"
        let range: StatementArguments = everything ? [] : [days.lowerBound.description, days.upperBound.description]
        // Every paper but the hidden ones: SQLite counts a whole table quickly, a filtered one entry by entry.
        let count =
            everything
            ? "SELECT (SELECT count(*) FROM papers) - (SELECT count(*) FROM papers WHERE hidden_at IS NOT NULL)"
            : "SELECT count(*) FROM papers\(filter)"
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: count, arguments: range) ?? 0
            let rows = try PaperRow.fetchPage(
                db, filter: filter, filterArguments: range, order: order, limit: limit, offset: offset)
            return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
        }
    }

    // Days with papers count visible papers only, so that navigation never lands on a day whose papers are all
    // hidden. Each walks the day index from one end and stops at the first visible paper.

    public func newestDay() async throws -> Day? {
        try await day(where: "", order: "DESC", arguments: [])
    }

    public func dayWithPapers(before day: Day) async throws -> Day? {
        try await self.day(where: "featured_day < ? AND", order: "DESC", arguments: [day.description])
    }

    public func dayWithPapers(after day: Day) async throws -> Day? {
        try await self.day(where: "featured_day > ? AND", order: "ASC", arguments: [day.description])
    }

    private func day(where condition: String, order: String, arguments: StatementArguments) async throws -> Day? {
        try await pool.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT featured_day FROM papers WHERE \(condition) \(PaperRow.visible())
                    ORDER BY featured_day \(order) LIMIT 1
                    """,
                arguments: arguments
            ).flatMap { Day(iso: $0) }
        }
    }

    public func papers(byAuthor name: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        try await linkedPapers(table: "paper_authors", column: "name", value: name, offset: offset, limit: limit)
    }

    public func papers(inCategory category: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        try await linkedPapers(
            table: "paper_categories", column: "category", value: category, offset: offset, limit: limit)
    }

    /// Papers reached through a link table keyed by (value, featured_at), newest first.
    private func linkedPapers(table: String, column: String, value: String, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        try await pool.read { db in
            // Every link less those of hidden papers (each found by the link's whole key; CROSS JOIN keeps the
            // hidden papers the outer loop): a big category counts without a check of each of its links.
            let total =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT (SELECT count(*) FROM \(table) WHERE \(column) = ?)
                            - (SELECT count(*) FROM papers h CROSS JOIN \(table) l ON l.\(column) = ?
                                AND l.featured_at = h.featured_at AND l.paper_rowid = h.rowid
                            WHERE h.hidden_at IS NOT NULL)
                        """,
                    arguments: [value, value]) ?? 0
            let rows = try PaperRow.fetchAll(
                db,
                sql: """
                    SELECT \(PaperRow.columns(prefix: "p.")) FROM \(table) l JOIN papers p ON p.rowid = l.paper_rowid
                    WHERE l.\(column) = ? AND \(PaperRow.visible("l.paper_rowid"))
                    ORDER BY l.featured_at DESC, l.paper_rowid DESC LIMIT ? OFFSET ?
                    """,
                arguments: [value, limit, offset])
            return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
        }
    }

    public func coauthors(of name: String, limit: Int) async throws -> [(name: String, papers: Int)] {
        let lists = try await pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT p.authors FROM paper_authors l JOIN papers p ON p.rowid = l.paper_rowid
                    WHERE l.name = ? AND p.hidden_at IS NULL
                    """,
                arguments: [name])
        }
        var counts: [String: Int] = [:]
        for list in lists {
            for other in Set(PaperRow.authors(list)) where other != name { counts[other, default: 0] += 1 }
        }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { (name: $0.key, papers: $0.value) }
    }

    public func authors(startingWith prefix: String, limit: Int) async throws -> [(name: String, papers: Int)] {
        guard !prefix.isEmpty, limit > 0 else { return [] }
        // Names from `prefix` up to the next string that does not start with it: a range of the primary key, read
        // in order and grouped as it goes, so only the returned names' links are read.
        return try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT name, count(*) AS papers FROM paper_authors
                    WHERE name >= ? AND name < ? GROUP BY name ORDER BY name LIMIT ?
                    """,
                arguments: [prefix, prefix + "\u{10FFFF}", limit]
            ).map { (name: $0["name"], papers: $0["papers"]) }
        }
    }

    public func allPapers(after cursor: PaperCursor?, limit: Int) async throws
        -> (papers: [StoredPaper], next: PaperCursor?)
    {
        try await pool.read { db in
            let rows: [PaperRow]
            if let cursor {
                rows = try PaperRow.fetchAll(
                    db,
                    sql: """
                        SELECT \(PaperRow.columns) FROM papers
                        WHERE (featured_at < ? OR (featured_at = ? AND id < ?)) AND \(PaperRow.visible())
                        ORDER BY featured_at DESC, id DESC LIMIT ?
                        """,
                    arguments: [
                        PaperRow.millis(cursor.featuredAt), PaperRow.millis(cursor.featuredAt), cursor.id.rawValue,
                        limit + 1,
                    ])
            } else {
                rows = try PaperRow.fetchAll(
                    db,
                    sql: """
                        SELECT \(PaperRow.columns) FROM papers WHERE \(PaperRow.visible())
                        ORDER BY featured_at DESC, id DESC LIMIT ?
                        """,
                    arguments: [limit + 1])
            }
            let papers = rows.prefix(limit).map(\.paper)
            let next =
                rows.count > limit
                ? papers.last.map { PaperCursor(featuredAt: $0.paper.featuredAt, id: $0.paper.id) } : nil
            return (papers, next)
        }
    }

    public func paperCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM papers") ?? 0 }
    }

    public func stats() async throws -> StoreStats {
        try await pool.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM papers") ?? 0
            let newest = try String.fetchOne(db, sql: "SELECT max(featured_day) FROM papers").flatMap { Day(iso: $0) }
            return StoreStats(papers: count, newestDay: newest)
        }
    }

    // MARK: Harvest state

    public func harvestState(key: String) async throws -> HarvestState {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT \(HarvestColumns.selectList) FROM harvest_state WHERE key = ?", arguments: [key])
            else { return HarvestState() }
            let day: (String?) -> Day? = { $0.flatMap { Day(iso: $0) } }
            return HarvestState(
                lastCompleted: day(try row.decode(forColumn: HarvestColumns.lastCompleted)),
                resumptionToken: try row.decode(forColumn: HarvestColumns.resumptionToken),
                from: day(try row.decode(forColumn: HarvestColumns.fromDay)),
                until: day(try row.decode(forColumn: HarvestColumns.untilDay)))
        }
    }

    public func setHarvestState(_ state: HarvestState, key: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO harvest_state (key, last_completed, resumption_token, from_day, until_day)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key, state.lastCompleted?.description, state.resumptionToken, state.from?.description,
                    state.until?.description,
                ])
        }
    }
}

/// The columns of `harvest_state` a harvest's state is read from. The SELECT list is built from them: every value is
/// optional, and GRDB decodes a column missing from the row as nil.
private enum HarvestColumns: String, ColumnExpression, CaseIterable {
    case lastCompleted = "last_completed"
    case resumptionToken = "resumption_token"
    case fromDay = "from_day"
    case untilDay = "until_day"

    static let selectList = allCases.map(\.rawValue).joined(separator: ", ")
}
