import GRDB
import PaperboyCore

/// FTS5 is the SQLite store's keyword index: BM25 with the title weighted over authors over the abstract. Every word
/// the person typed is passed to FTS5 as a quoted string, so no input is ever FTS5 syntax.
extension SQLiteStore {
    /// One page of matches, best first, equal scores by arXiv id; filters alone, and any query sorted `.newest`, list
    /// newest featured first (score 0).
    public func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking {
        let match = FTSExpression(query)
        // Authors and excluded words are part of the MATCH expression when there is one.
        let filters = SearchFilters(query, textFiltersInMatch: !match.isEmpty)
        if match.isEmpty {
            let whereSQL = filters.whereSQL
            return try await pool.read { db in
                let total =
                    try Int.fetchOne(db, sql: filters.countSQL, arguments: filters.arguments) ?? 0
                let keys = try Int64.fetchAll(
                    db,
                    sql: """
                        SELECT p.rowid FROM papers p\(whereSQL) ORDER BY p.featured_at DESC, p.id DESC LIMIT ? OFFSET ?
                        """,
                    arguments: filters.arguments + [limit, offset])
                return KeywordRanking(ranked: keys.map { ScoredKey(key: $0, score: 0) }, total: total)
            }
        }
        let matchArguments: StatementArguments = [match.text] + filters.arguments
        let matches =
            filters.isEmpty
            ? "papers_fts WHERE papers_fts MATCH ?"
            : "papers_fts JOIN papers p ON p.rowid = papers_fts.rowid WHERE papers_fts MATCH ?\(filters.andSQL)"
        // Hidden papers stay in the index and are left out here, so hiding or showing one needs no re-indexing. Without
        // filters the total is every match less the hidden ones (looked up one by one in the index), which costs far
        // less than checking every match; with them, each match reads its paper row anyway and is checked.
        let from = matches + " AND \(PaperRow.visible("papers_fts.rowid"))"
        let (count, countArguments): (String, StatementArguments) =
            filters.isEmpty
            ? (
                """
                SELECT (SELECT count(*) FROM \(matches))
                    - (SELECT count(*) FROM \(matches) AND papers_fts.rowid IN (\(PaperRow.hiddenRowids)))
                """, matchArguments + matchArguments
            ) : ("SELECT count(*) FROM \(from)", matchArguments)
        // Every match up to the end of the page, and one more to see whether equal scores go on past it.
        let (end, overflow) = offset.addingReportingOverflow(limit)
        let window = overflow ? Int.max - 1 : end
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: count, arguments: countArguments) ?? 0
            guard window > 0, offset < total else { return KeywordRanking(ranked: [], total: total) }
            if query.sort == .newest {
                // No scores: the papers table's order, read for the matches that pass the filters.
                let keys = try Int64.fetchAll(
                    db,
                    sql: """
                        SELECT p.rowid FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid
                        WHERE papers_fts MATCH ?\(filters.andSQL) AND \(PaperRow.visible("p.rowid"))
                        ORDER BY p.featured_at DESC, p.id DESC LIMIT ? OFFSET ?
                        """,
                    arguments: matchArguments + [limit, offset])
                return KeywordRanking(ranked: keys.map { ScoredKey(key: $0, score: 0) }, total: total)
            }
            let score = "bm25(papers_fts, 10.0, 4.0, 1.0)"
            var rows = try Self.scored(
                db, sql: "SELECT papers_fts.rowid, \(score) AS score FROM \(from) ORDER BY score LIMIT ?",
                arguments: matchArguments + [window + 1])
            if rows.count > window, rows[window].bm25 == rows[window - 1].bm25 {
                // Equal scores reach past the page: take the whole group, so the tie-break by id sees all of it.
                let boundary = rows[window - 1].bm25
                let group = try Self.scored(
                    db,
                    sql: """
                        SELECT rowid, score FROM (SELECT papers_fts.rowid AS rowid, \(score) AS score FROM \(from))
                        WHERE score = ?
                        """,
                    arguments: matchArguments + [boundary])
                rows = rows.filter { $0.bm25 < boundary } + group
            }
            let ranked = try Self.orderedByScoreThenID(db, rows)
            return KeywordRanking(ranked: Array(ranked.dropFirst(offset).prefix(limit)), total: total)
        }
    }

    /// Rows of (rowid, FTS5 bm25), where lower is better.
    private static func scored(_ db: Database, sql: String, arguments: StatementArguments) throws
        -> [(key: PaperKey, bm25: Double)]
    {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            (key: try row.decode(atIndex: 0), bm25: try row.decode(atIndex: 1))
        }
    }

    /// Best first; equal scores by arXiv id, which only the papers of a tie are read for.
    private static func orderedByScoreThenID(_ db: Database, _ rows: [(key: PaperKey, bm25: Double)]) throws
        -> [ScoredKey]
    {
        var sizes: [Double: Int] = [:]
        for row in rows { sizes[row.bm25, default: 0] += 1 }
        let tied = rows.filter { (sizes[$0.bm25] ?? 0) > 1 }.map(\.key)
        var ids: [PaperKey: String] = [:]
        for chunk in KeyList.chunks(tied) {
            for row in try Row.fetchAll(
                db, sql: "SELECT rowid, id FROM papers WHERE rowid IN (\(chunk.placeholders))", arguments: chunk.keys)
            {
                ids[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1)
            }
        }
        return rows.sorted { a, b in
            a.bm25 != b.bm25 ? a.bm25 < b.bm25 : (ids[a.key] ?? "", a.key) < (ids[b.key] ?? "", b.key)
        }.map { ScoredKey(key: $0.key, score: -$0.bm25) }
    }

    public func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
        let filters = SearchFilters(query, textFiltersInMatch: false)
        guard !filters.isEmpty else { return nil }
        return try await pool.read { db in
            Set(
                try Int64.fetchAll(
                    db, sql: "SELECT p.rowid FROM papers p\(filters.whereSQL)", arguments: filters.arguments))
        }
    }

    public func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights] {
        let match = FTSExpression(query)
        guard !match.isEmpty, !keys.isEmpty else { return [:] }
        return try await pool.read { db in
            var marked: [PaperKey: Highlights] = [:]
            for chunk in KeyList.chunks(keys) {
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT rowid, highlight(papers_fts, 0, char(57344), char(57345)),
                            snippet(papers_fts, 2, char(57344), char(57345), '…', 40)
                        FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN (\(chunk.placeholders))
                        """,
                    arguments: [match.text] + chunk.keys)
                {
                    let title: String? = try row.decode(atIndex: 1)
                    let snippet: String? = try row.decode(atIndex: 2)
                    marked[try row.decode(atIndex: 0)] = Highlights(
                        title: FTSMarks.highlighted(title ?? ""), abstract: FTSMarks.highlighted(snippet ?? ""))
                }
            }
            return marked
        }
    }
}

/// Keys for `rowid IN (...)`, in chunks of at most 500 (well under SQLite's limit on bound values).
enum KeyList {
    static func chunks(_ keys: [PaperKey]) -> [(placeholders: String, keys: StatementArguments)] {
        stride(from: 0, to: keys.count, by: 500).map { start in
            let chunk = keys[start..<min(keys.count, start + 500)]
            return (Array(repeating: "?", count: chunk.count).joined(separator: ", "), StatementArguments(Array(chunk)))
        }
    }
}

/// The marks FTS5's `highlight()` and `snippet()` are asked to put around matches: Unicode private-use characters,
/// which arXiv text does not carry.
enum FTSMarks {
    static let open: Character = "\u{E000}"
    static let close: Character = "\u{E001}"

    /// Text in which matches stand between ``open`` and ``close``, as segments.
    static func highlighted(_ text: String) -> Highlighted {
        var segments: [Highlighted.Segment] = []
        var current = ""
        var inMatch = false
        for c in text {
            if c == open || c == close {
                if !current.isEmpty { segments.append(Highlighted.Segment(text: current, isMatch: inMatch)) }
                current = ""
                inMatch = c == open
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { segments.append(Highlighted.Segment(text: current, isMatch: inMatch)) }
        return Highlighted(segments: segments)
    }
}

/// The filters of a query as SQL over `papers p`: one copy of each rule for keyword ranking and for the semantic
/// side's allowed keys. `cat:` and dates are always here; `author:` and `-word` are here unless they are already
/// part of the FTS5 MATCH expression.
struct SearchFilters {
    private(set) var clauses: [String] = []
    private(set) var arguments: StatementArguments = []

    init(_ query: SearchQuery, textFiltersInMatch: Bool) {
        for category in query.categories {
            clauses.append("p.rowid IN (SELECT paper_rowid FROM paper_categories WHERE category = ?)")
            arguments += [category]
        }
        if let after = query.after {
            clauses.append("p.featured_day >= ?")
            arguments += [after.description]
        }
        if let before = query.before {
            clauses.append("p.featured_day < ?")
            arguments += [before.description]
        }
        guard !textFiltersInMatch else { return }
        let authors = FTSExpression(authorsOnly: query)
        if !authors.isEmpty {
            clauses.append("p.rowid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
            arguments += [authors.text]
        }
        let excluded = FTSExpression(excludedOnly: query)
        if !excluded.isEmpty {
            clauses.append("p.rowid NOT IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
            arguments += [excluded.text]
        }
    }

    var isEmpty: Bool { clauses.isEmpty }
    /// ` WHERE ...` of the filters, hidden papers left out.
    var whereSQL: String { " WHERE " + (clauses + [PaperRow.visible("p.rowid")]).joined(separator: " AND ") }
    /// How many papers pass the filters, hidden ones left out. Without filters, every paper less the hidden ones
    /// (SQLite counts a whole table quickly); with them, each paper is checked (the filters' own look-ups cost more).
    var countSQL: String {
        clauses.isEmpty
            ? "SELECT (SELECT count(*) FROM papers) - (SELECT count(*) FROM papers WHERE hidden_at IS NOT NULL)"
            : "SELECT count(*) FROM papers p\(whereSQL)"
    }
    /// ` AND ...` to follow another condition, or nothing.
    var andSQL: String { clauses.map { " AND " + $0 }.joined() }
}

/// The FTS5 MATCH expression for a query. Words are always FTS5 strings (`"word"`), never bare syntax.
struct FTSExpression {
    let text: String
    var isEmpty: Bool { text.isEmpty }

    init(_ query: SearchQuery) {
        self.init(terms: query.terms, excluded: query.excluded, authors: query.authors, any: query.matchesAnyTerm)
    }

    /// Papers with any of the query's excluded words (`-word`).
    init(excludedOnly query: SearchQuery) {
        self.init(terms: query.excluded, excluded: [], authors: [], any: true)
    }

    /// Only the `author:` filters of a query.
    init(authorsOnly query: SearchQuery) {
        self.init(terms: [], excluded: [], authors: query.authors, any: false)
    }

    private init(terms: [SearchQuery.Term], excluded: [SearchQuery.Term], authors: [String], any: Bool) {
        func quoted(_ words: [String]) -> String {
            "\"" + words.map { $0.replacingOccurrences(of: "\"", with: "\"\"") }.joined(separator: " ") + "\""
        }
        func term(_ t: SearchQuery.Term) -> String { quoted(t.words) + (t.isPrefix ? "*" : "") }
        var parts = terms.map(term)
        if any && parts.count > 1 { parts = ["(" + parts.joined(separator: " OR ") + ")"] }
        for author in authors {
            let words = SearchQuery.words(in: author)
            guard !words.isEmpty else { continue }
            parts.append("authors : (" + words.map { quoted([$0]) }.joined(separator: " AND ") + ")")
        }
        var text = parts.joined(separator: " AND ")
        if !text.isEmpty {
            for excluded in excluded { text += " NOT " + term(excluded) }
        }
        self.text = text
    }
}
