import GRDB
import PaperboyCore

extension SQLiteStore {
    /// Keyword search with FTS5: BM25 with the title weighted over authors over the abstract.
    /// Every word the person typed is passed to FTS5 as a quoted string, so no input is ever FTS5 syntax.
    public func search(_ query: SearchQuery, offset: Int, limit: Int) async throws -> ResultPage<SearchHit> {
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
        let match = FTSExpression(query)
        let arguments = filterArguments
        let filterSQL = filters.map { " AND " + $0 }.joined()

        if match.isEmpty {
            // Filters alone: newest first.
            let whereSQL = filters.isEmpty ? "" : " WHERE " + filters.joined(separator: " AND ")
            return try await pool.read { db in
                let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM papers p\(whereSQL)", arguments: arguments) ?? 0
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(PaperRow.columns(prefix: "p.")) FROM papers p\(whereSQL)
                        ORDER BY p.featured_at DESC, p.id DESC LIMIT ? OFFSET ?
                        """,
                    arguments: arguments + [limit, offset])
                let hits = rows.map { row in
                    let paper = PaperRow(row: row).paper
                    return SearchHit(
                        paper: paper, score: 0, titleHighlight: Highlighted(plain: paper.paper.title),
                        abstractSnippet: Highlighted(plain: String(paper.paper.abstract.prefix(300))))
                }
                return ResultPage(items: hits, total: total, offset: offset, limit: limit)
            }
        }

        let expression = match.text
        // Three steps, so that per-row work is done for the page only: rank every match by BM25 (the papers table
        // joins in only when a filter needs it), then highlight the page's rows, then read the page's papers.
        let rankFrom =
            filters.isEmpty
            ? "papers_fts WHERE papers_fts MATCH ?"
            : "papers_fts JOIN papers p ON p.rowid = papers_fts.rowid WHERE papers_fts MATCH ?\(filterSQL)"
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(rankFrom)", arguments: [expression] + arguments) ?? 0
            let ranked = try Row.fetchAll(
                db,
                sql: """
                    SELECT papers_fts.rowid, bm25(papers_fts, 10.0, 4.0, 1.0) AS score FROM \(rankFrom)
                    ORDER BY score LIMIT ? OFFSET ?
                    """,
                arguments: [expression] + arguments + [limit, offset])
            guard !ranked.isEmpty else { return ResultPage(items: [], total: total, offset: offset, limit: limit) }
            let rowids: [Int64] = ranked.map { $0[0] }
            let placeholders = Array(repeating: "?", count: rowids.count).joined(separator: ", ")
            var marked: [Int64: (String, String)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT rowid, highlight(papers_fts, 0, char(57344), char(57345)),
                        snippet(papers_fts, 2, char(57344), char(57345), '…', 40)
                    FROM papers_fts WHERE papers_fts MATCH ? AND rowid IN (\(placeholders))
                    """,
                arguments: StatementArguments([expression] + rowids.map { $0 as any DatabaseValueConvertible }))
            {
                marked[row[0]] = (row[1], row[2])
            }
            var papers: [Int64: StoredPaper] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT \(PaperRow.columns) FROM papers WHERE rowid IN (\(placeholders))",
                arguments: StatementArguments(rowids))
            {
                let paper = PaperRow(row: row)
                papers[paper.rowid] = paper.paper
            }
            let hits = ranked.compactMap { row -> SearchHit? in
                let rowid: Int64 = row[0]
                let score: Double = row[1]
                guard let paper = papers[rowid] else { return nil }
                let (title, snippet) = marked[rowid] ?? (paper.paper.title, String(paper.paper.abstract.prefix(300)))
                return SearchHit(
                    paper: paper, score: -score, titleHighlight: Highlighted(marked: title),
                    abstractSnippet: Highlighted(marked: snippet))
            }
            return ResultPage(items: hits, total: total, offset: offset, limit: limit)
        }
    }
}

/// The FTS5 MATCH expression for a query. Words are always FTS5 strings (`"word"`), never bare syntax.
struct FTSExpression {
    let text: String
    var isEmpty: Bool { text.isEmpty }

    init(_ query: SearchQuery) {
        func quoted(_ words: [String]) -> String {
            "\"" + words.map { $0.replacingOccurrences(of: "\"", with: "\"\"") }.joined(separator: " ") + "\""
        }
        func term(_ t: SearchQuery.Term) -> String { quoted(t.words) + (t.isPrefix ? "*" : "") }
        var parts = query.terms.map(term)
        for author in query.authors {
            let words = SearchQuery.words(in: author)
            guard !words.isEmpty else { continue }
            parts.append("authors : (" + words.map { quoted([$0]) }.joined(separator: " AND ") + ")")
        }
        var text = parts.joined(separator: " AND ")
        if !text.isEmpty {
            for excluded in query.excluded { text += " NOT " + term(excluded) }
        }
        self.text = text
    }
}
