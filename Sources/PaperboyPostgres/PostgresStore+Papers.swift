import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// PaperWriter, KeyedPapers and PaperCatalog: storing papers (new ones with COPY, known ones merged by the version
// rules of `Paper.merged(with:)`) and reading them as pages, feeds and the API show them. Hidden papers are left out of
// every list, and out of `paper(id:audience:)` but for moderators.

extension PostgresStore: PaperWriter {
    /// One transaction: reads the stored papers of the batch's ids, merges each incoming paper with what is stored
    /// (or with the batch's earlier paper of the same id), then writes the new papers with `COPY` and updates the
    /// changed ones, each with the next change number.
    public func upsert(_ papers: [Paper]) async throws -> UpsertSummary {
        guard !papers.isEmpty else { return UpsertSummary() }
        let logger = logger
        return try await transaction { connection in
            try await ChangeSequence.begin(connection, logger: logger)
            let ids = Array(Set(papers.map(\.id.rawValue)))
            var stored: [String: (key: PaperKey, paper: Paper)] = [:]
            for row in try await connection.papers(
                "SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p WHERE p.id = ANY(\(ids))", logger: logger)
            {
                stored[row.paper.paper.id.rawValue] = (row.key, row.paper.paper)
            }
            var summary = UpsertSummary()
            var inserts: [String: Paper] = [:]
            var insertOrder: [String] = []
            var updates: [String: Paper] = [:]
            for incoming in papers {
                let id = incoming.id.rawValue
                guard let current = inserts[id] ?? updates[id] ?? stored[id]?.paper else {
                    inserts[id] = incoming
                    insertOrder.append(id)
                    summary.inserted += 1
                    continue
                }
                let merged = current.merged(with: incoming)
                if merged == current {
                    summary.unchanged += 1
                } else if inserts[id] != nil {
                    inserts[id] = merged
                    summary.updated += 1
                } else {
                    updates[id] = merged
                    summary.updated += 1
                }
            }
            try await Self.insert(insertOrder.compactMap { inserts[$0] }, connection, logger: logger)
            for (id, new) in updates {
                guard let old = stored[id] else { continue }
                try await Self.update(key: old.key, from: old.paper, to: new, connection, logger: logger)
            }
            return summary
        }
    }

    /// Writes new papers with `COPY` (each numbered by the column's default, the change sequence), then their author
    /// and category links, found by the keys the papers got.
    private static func insert(_ papers: [Paper], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !papers.isEmpty else { return }
        var rows = CopyText()
        for paper in papers {
            rows.row([paper.id.rawValue] + PostgresPaperRow.values(paper) + [StoredText.firstSentence(paper.abstract)])
        }
        try await connection.copyFrom(
            table: "papers", columns: ["id"] + PostgresPaperRow.writtenColumns + ["key_sentence"], logger: logger
        ) { writer in try await writer.write(rows.buffer) }
        let keys = try await connection.all(
            "SELECT id, key FROM papers WHERE id = ANY(\(papers.map(\.id.rawValue)))", logger: logger
        ) { try $0.decode((String, Int64).self) }
        let keyByID = Dictionary(keys, uniquingKeysWith: { first, _ in first })
        try await insertLinks(
            papers.compactMap { paper in keyByID[paper.id.rawValue].map { ($0, paper) } }, connection,
            logger: logger)
    }

    /// The `paper_authors` and `paper_categories` rows of the papers, written with `COPY`.
    static func insertLinks(_ papers: [(key: PaperKey, paper: Paper)], _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        var authors = CopyText()
        var categories = CopyText()
        for (key, paper) in papers {
            let at = String(PostgresPaperRow.millis(paper.featuredAt))
            var seen: Set<String> = []
            for name in paper.authors where seen.insert(name).inserted { authors.row([name, at, String(key)]) }
            seen = []
            for name in paper.categories where seen.insert(name).inserted { categories.row([name, at, String(key)]) }
        }
        if !authors.isEmpty {
            try await connection.copyFrom(
                table: "paper_authors", columns: ["name", "featured_at", "paper_key"], logger: logger
            ) { writer in try await writer.write(authors.buffer) }
        }
        if !categories.isEmpty {
            try await connection.copyFrom(
                table: "paper_categories", columns: ["category", "featured_at", "paper_key"], logger: logger
            ) { writer in try await writer.write(categories.buffer) }
        }
    }

    private static func update(
        key: PaperKey, from old: Paper, to new: Paper, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        let v = PostgresPaperRow.values(new)
        let abstractChanged = old.abstract != new.abstract
        // A summary of the old text is stale: back to the first-sentence rule, keywords made again when embedded.
        try await connection.execute(
            """
            UPDATE papers SET title = \(v[0]), authors = \(v[1]), abstract = \(v[2]), categories = \(v[3]),
                versions = \(v[4]), submitter = \(v[5]), comments = \(v[6]), journal_ref = \(v[7]), doi = \(v[8]),
                report_no = \(v[9]), license = \(v[10]), updated_at = \(v[11])::bigint,
                published_at = \(v[12])::bigint, latest_version = \(v[13])::integer, featured_at = \(v[14])::bigint,
                featured_day = \(v[15]),
                key_sentence = CASE WHEN \(abstractChanged) THEN \(StoredText.firstSentence(new.abstract))
                    ELSE key_sentence END,
                keywords = CASE WHEN \(abstractChanged) THEN '' ELSE keywords END,
                change_seq = \(unescaped: ChangeSequence.next)
            WHERE key = \(key)
            """, logger: logger)
        if old.authors != new.authors || old.categories != new.categories || old.featuredAt != new.featuredAt {
            try await connection.execute("DELETE FROM paper_authors WHERE paper_key = \(key)", logger: logger)
            try await connection.execute("DELETE FROM paper_categories WHERE paper_key = \(key)", logger: logger)
            try await insertLinks([(key, new)], connection, logger: logger)
        }
    }

    /// Nothing to prepare: new papers are written with `COPY` in every batch.
    public func beginBulkLoad() async throws {}

    /// Refreshes the planner's statistics of the tables a load filled.
    public func endBulkLoad() async throws {
        try await client.execute("ANALYZE papers, paper_authors, paper_categories", logger: logger)
    }

    public func paperCount() async throws -> Int {
        try await client.count("SELECT count(*) FROM papers", logger: logger)
    }
}

extension PostgresStore: KeyedPapers {
    public func key(of id: PaperID) async throws -> PaperKey? {
        try await client.scalar("SELECT key FROM papers WHERE id = \(id.rawValue)", as: Int64.self, logger: logger)
    }

    public func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        guard !keys.isEmpty else { return [:] }
        var result: [PaperKey: StoredPaper] = [:]
        // Chunks keep each array parameter, and each answer, of a bounded size.
        for start in stride(from: 0, to: keys.count, by: 1_000) {
            let chunk = Array(keys[start..<min(keys.count, start + 1_000)])
            for row in try await client.papers(
                """
                SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p
                WHERE p.key = ANY(\(chunk)) AND p.hidden_at IS NULL
                """, logger: logger)
            {
                result[row.key] = row.paper
            }
        }
        return result
    }
}

extension PostgresStore: PaperCatalog {
    public func paper(id: PaperID, audience: Audience) async throws -> StoredPaper? {
        try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p
            WHERE p.id = \(id.rawValue) AND (p.hidden_at IS NULL OR \(audience == .moderators))
            """, logger: logger
        ).first?.paper
    }

    public func listing(days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        let order = PostgresPaperRow.order(sort)
        let from = days.lowerBound.description
        let to = days.upperBound.description
        // Over every day, the day is left out of the query, so that the time index serves the order.
        let everything = days == ListingPeriod.everything
        // Every paper less the hidden ones: the whole table counts from its smallest index (once vacuumed), where
        // checking each row for `hidden_at` reads the table itself (1.2 s at 1M papers, against 80 ms).
        let total = try await client.count(
            everything
                ? """
                SELECT (SELECT count(*) FROM papers) - (SELECT count(*) FROM papers WHERE hidden_at IS NOT NULL)
                """
                : "SELECT count(*) FROM papers WHERE featured_day BETWEEN \(from) AND \(to) AND hidden_at IS NULL",
            logger: logger)
        let rows = try await client.papers(
            everything
                ? """
                SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p WHERE p.hidden_at IS NULL
                ORDER BY \(unescaped: order) LIMIT \(limit) OFFSET \(offset)
                """
                : """
                SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p
                WHERE p.featured_day BETWEEN \(from) AND \(to) AND p.hidden_at IS NULL
                ORDER BY \(unescaped: order) LIMIT \(limit) OFFSET \(offset)
                """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    // Days with papers count visible papers only, so that navigation never lands on a day whose papers are all hidden.

    public func newestDay() async throws -> Day? {
        try await client.scalar(
            "SELECT max(featured_day) FROM papers WHERE hidden_at IS NULL", as: String.self, logger: logger
        ).flatMap { Day(iso: $0) }
    }

    public func dayWithPapers(before day: Day) async throws -> Day? {
        try await client.scalar(
            "SELECT max(featured_day) FROM papers WHERE featured_day < \(day.description) AND hidden_at IS NULL",
            as: String.self, logger: logger
        ).flatMap { Day(iso: $0) }
    }

    public func dayWithPapers(after day: Day) async throws -> Day? {
        try await client.scalar(
            "SELECT min(featured_day) FROM papers WHERE featured_day > \(day.description) AND hidden_at IS NULL",
            as: String.self, logger: logger
        ).flatMap { Day(iso: $0) }
    }

    public func papers(byAuthor name: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        let total = try await linkCount(table: "paper_authors", column: "name", value: name)
        let rows = try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM paper_authors l JOIN papers p ON p.key = l.paper_key
            WHERE l.name = \(name) AND p.hidden_at IS NULL
            ORDER BY l.featured_at DESC, l.paper_key DESC LIMIT \(limit) OFFSET \(offset)
            """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    public func papers(inCategory category: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        let total = try await linkCount(table: "paper_categories", column: "category", value: category)
        let rows = try await client.papers(
            """
            SELECT \(unescaped: PostgresPaperRow.columns) FROM paper_categories l JOIN papers p ON p.key = l.paper_key
            WHERE l.category = \(category) AND p.hidden_at IS NULL
            ORDER BY l.featured_at DESC, l.paper_key DESC LIMIT \(limit) OFFSET \(offset)
            """, logger: logger)
        return ResultPage(items: rows.map(\.paper), total: total, offset: offset, limit: limit)
    }

    /// The papers a link table names for `value`, hidden ones left out: every link (read from the primary key alone)
    /// less those of hidden papers (a short list), so that a big category counts without a look at each paper.
    private func linkCount(table: String, column: String, value: String) async throws -> Int {
        try await client.count(
            """
            SELECT (SELECT count(*) FROM \(unescaped: table) WHERE \(unescaped: column) = \(value))
                - (SELECT count(*) FROM papers h JOIN \(unescaped: table) l ON l.paper_key = h.key
                    AND l.\(unescaped: column) = \(value) AND l.featured_at = h.featured_at
                    WHERE h.hidden_at IS NOT NULL)
            """, logger: logger)
    }

    public func coauthors(of name: String, limit: Int) async throws -> [(name: String, papers: Int)] {
        let rows = try await client.all(
            """
            SELECT o.name, count(*) FROM paper_authors l JOIN papers p ON p.key = l.paper_key
            JOIN paper_authors o ON o.paper_key = l.paper_key AND o.name <> l.name
            WHERE l.name = \(name) AND p.hidden_at IS NULL
            GROUP BY o.name ORDER BY count(*) DESC, o.name LIMIT \(limit)
            """, logger: logger
        ) { try $0.decode((String, Int64).self) }
        return rows.map { (name: $0.0, papers: Int($0.1)) }
    }

    public func authors(startingWith prefix: String, limit: Int) async throws -> [(name: String, papers: Int)] {
        guard !prefix.isEmpty, limit > 0 else { return [] }
        // A range of the primary key (in byte order: the column's collation is "C"), read in order and grouped.
        let rows = try await client.all(
            """
            SELECT name, count(*) FROM paper_authors
            WHERE name >= \(prefix) AND name < \(prefix + "\u{10FFFF}")
            GROUP BY name ORDER BY name LIMIT \(limit)
            """, logger: logger
        ) { try $0.decode((String, Int64).self) }
        return rows.map { (name: $0.0, papers: Int($0.1)) }
    }

    public func allPapers(after cursor: PaperCursor?, limit: Int) async throws
        -> (papers: [StoredPaper], next: PaperCursor?)
    {
        let rows: [PostgresPaperRow]
        if let cursor {
            let at = PostgresPaperRow.millis(cursor.featuredAt)
            rows = try await client.papers(
                """
                SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p
                WHERE (p.featured_at, p.id) < (\(at), \(cursor.id.rawValue)) AND p.hidden_at IS NULL
                ORDER BY p.featured_at DESC, p.id DESC LIMIT \(limit + 1)
                """, logger: logger)
        } else {
            rows = try await client.papers(
                """
                SELECT \(unescaped: PostgresPaperRow.columns) FROM papers p WHERE p.hidden_at IS NULL
                ORDER BY p.featured_at DESC, p.id DESC LIMIT \(limit + 1)
                """, logger: logger)
        }
        let papers = rows.prefix(limit).map(\.paper)
        let next =
            rows.count > limit ? papers.last.map { PaperCursor(featuredAt: $0.paper.featuredAt, id: $0.paper.id) } : nil
        return (papers, next)
    }

    public func stats() async throws -> StoreStats {
        let count = try await paperCount()
        let newest = try await client.scalar("SELECT max(featured_day) FROM papers", as: String.self, logger: logger)
        return StoreStats(papers: count, newestDay: newest.flatMap { Day(iso: $0) })
    }
}
