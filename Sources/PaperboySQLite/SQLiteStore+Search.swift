import GRDB
import PaperboyCore

extension SQLiteStore {
    /// Keyword search with FTS5: BM25 with the title weighted over authors over the abstract.
    /// Every word the person typed is passed to FTS5 as a quoted string, so no input is ever FTS5 syntax.
    public func search(_ query: SearchQuery, offset: Int, limit: Int) async throws -> ResultPage<SearchHit> {
        let ranked = try await rankedKeys(query, offset: offset, limit: limit)
        guard !ranked.ranked.isEmpty else {
            return ResultPage(items: [], total: ranked.total, offset: offset, limit: limit)
        }
        let keys = ranked.ranked.map(\.key)
        let papers = try await papers(keys: keys)
        let marked = try await highlights(query, keys: keys)
        let hits = ranked.ranked.compactMap { key, score -> SearchHit? in
            guard let paper = papers[key] else { return nil }
            let (title, snippet) =
                marked[key] ?? (
                    Highlighted(plain: paper.paper.title), Highlighted(plain: String(paper.paper.abstract.prefix(300)))
                )
            return SearchHit(paper: paper, score: score, titleHighlight: title, abstractSnippet: snippet)
        }
        return ResultPage(items: hits, total: ranked.total, offset: offset, limit: limit)
    }

    /// Highlighted titles and abstract snippets of the given papers for a query's words.
    public func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: (
        Highlighted, Highlighted
    )] {
        let match = FTSExpression(query)
        guard !match.isEmpty, !keys.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: keys.count).joined(separator: ", ")
        return try await pool.read { db in
            var marked: [PaperKey: (Highlighted, Highlighted)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT rowid, highlight(papers_fts, 0, char(57344), char(57345)),
                        snippet(papers_fts, 2, char(57344), char(57345), '…', 40)
                    FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN (\(placeholders))
                    """,
                arguments: StatementArguments([match.text] + keys.map { $0 as any DatabaseValueConvertible }))
            {
                let title: String? = try row.decode(atIndex: 1)
                let snippet: String? = try row.decode(atIndex: 2)
                marked[try row.decode(atIndex: 0)] = (
                    Highlighted(marked: title ?? ""), Highlighted(marked: snippet ?? "")
                )
            }
            return marked
        }
    }

    /// Ranks every match by BM25 (the papers table joins in only when a filter needs it) and returns one page
    /// of keys with the total. Filters alone list newest first.
    func rankedKeys(_ query: SearchQuery, offset: Int, limit: Int) async throws
        -> (ranked: [(key: PaperKey, score: Double)], total: Int)
    {
        var filters: [String] = []
        var filterArguments: StatementArguments = []
        for category in query.categories {
            filters.append(
                """
                EXISTS (SELECT 1 FROM paper_categories c WHERE c.category = ? AND c.featured_at = p.featured_at
                AND c.paper_rowid = p.rowid)
                """)
            filterArguments += [category]
        }
        if let after = query.after {
            filters.append("p.featured_day >= ?")
            filterArguments += [after.description]
        }
        if let before = query.before {
            filters.append("p.featured_day < ?")
            filterArguments += [before.description]
        }
        let arguments = filterArguments
        let match = FTSExpression(query)
        let filterSQL = filters.map { " AND " + $0 }.joined()

        if match.isEmpty {
            // Filters alone: newest first.
            let whereSQL = filters.isEmpty ? "" : " WHERE " + filters.joined(separator: " AND ")
            return try await pool.read { db in
                let total =
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM papers p\(whereSQL)", arguments: arguments) ?? 0
                let keys = try Int64.fetchAll(
                    db,
                    sql:
                        "SELECT p.rowid FROM papers p\(whereSQL) ORDER BY p.featured_at DESC, p.id DESC LIMIT ? OFFSET ?",
                    arguments: arguments + [limit, offset])
                return (keys.map { (key: $0, score: 0) }, total)
            }
        }
        let rankFrom =
            filters.isEmpty
            ? "papers_fts WHERE papers_fts MATCH ?"
            : "papers_fts JOIN papers p ON p.rowid = papers_fts.rowid WHERE papers_fts MATCH ?\(filterSQL)"
        let expression = match.text
        return try await pool.read { db in
            let total =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \(rankFrom)", arguments: [expression] + arguments) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT papers_fts.rowid, bm25(papers_fts, 10.0, 4.0, 1.0) AS score FROM \(rankFrom)
                    ORDER BY score LIMIT ? OFFSET ?
                    """,
                arguments: [expression] + arguments + [limit, offset])
            return (
                try rows.map { row in
                    (key: try row.decode(atIndex: 0), score: -(try row.decode(Double.self, atIndex: 1)))
                }, total
            )
        }
    }
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
