import Foundation
import GRDB
import PaperStoreConformance
import PaperboyCore
import PaperboyIngest
import PaperboySearch
import Testing

@testable import PaperboySQLite

/// The own keyword index against the FTS5 index it replaced (`porter unicode61 remove_diacritics 2`, `bm25` with
/// the title weighted 10, authors 4 and the abstract 1), on the 286 real papers of the fixtures and every query of
/// the evaluation sets (`Benchmarks/eval`), in both keyword modes (every word, and any word as hybrid search's keyword
/// half asks): the same number of matches, the same scores, and the same top 10 wherever scores are not tied.
@Suite struct KeywordAgreementTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func fixturePapers() throws -> [Paper] {
        var papers: [Paper] = []
        for name in ["seed-papers.jsonl", "arxiv-sample-200.jsonl"] {
            let url = root.appendingPathComponent("Tests/Fixtures/" + name)
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                if case .paper(let paper) = SnapshotParser.parse(
                    line: String(line),
                    now: Fixtures.date(
                        "2100-01-01T00:00:00Z"))
                {
                    papers.append(paper)
                }
            }
        }
        return papers
    }

    /// The evaluation sets' queries, and a few that use phrases, prefixes, `author:` and `-word`.
    static func queries() throws -> [String] {
        var queries: [String] = []
        for name in ["literal.json", "paraphrased.json"] {
            let url = root.appendingPathComponent("Benchmarks/eval/" + name)
            let pairs = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[Any]])
            queries += pairs.compactMap { $0.first as? String }
        }
        return queries + [
            "\"language models\"", "\"neural network\" training", "quantum*", "transform* attention",
            "author:hinton", "author:\"Yann LeCun\" learning", "language models -reasoning", "galaxy -\"dark matter\"",
        ]
    }

    /// The FTS5 MATCH expression the SQLite store used to build (every word a quoted string, so no input is syntax).
    static func match(_ query: SearchQuery) -> String {
        func quoted(_ words: [String]) -> String {
            "\"" + words.map { $0.replacingOccurrences(of: "\"", with: "\"\"") }.joined(separator: " ") + "\""
        }
        func term(_ t: SearchQuery.Term) -> String { quoted(t.words) + (t.isPrefix ? "*" : "") }
        var parts = query.terms.map(term)
        if query.matchesAnyTerm && parts.count > 1 { parts = ["(" + parts.joined(separator: " OR ") + ")"] }
        for author in query.authors {
            let words = SearchQuery.words(in: author)
            if !words.isEmpty {
                parts.append("authors : (" + words.map { quoted([$0]) }.joined(separator: " AND ") + ")")
            }
        }
        var text = parts.joined(separator: " AND ")
        if !text.isEmpty { for excluded in query.excluded { text += " NOT " + term(excluded) } }
        return text
    }

    @Test func theTopTenScoresAndCountsAreFTS5s() async throws {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        let papers = try Self.fixturePapers()
        #expect(papers.count == 286)
        _ = try await store.upsert(papers)
        let maintainer = try await KeywordIndexMaintainer(directory: nil, feed: store, papers: store)
        try await maintainer.catchUp()
        let ids = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT rowid, id FROM papers").map { row -> (PaperKey, String) in
                (row[0], row[1])
            }
        }
        let idOf = Dictionary(uniqueKeysWithValues: ids)
        let fts = try DatabaseQueue()
        try await fts.write { db in
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE t USING fts5(title, authors, abstract,
                        tokenize = 'porter unicode61 remove_diacritics 2')
                    """)
            for paper in papers {
                let key = try #require(ids.first { $0.1 == paper.id.rawValue }?.0)
                try db.execute(
                    sql: "INSERT INTO t(rowid, title, authors, abstract) VALUES (?, ?, ?, ?)",
                    arguments: [key, paper.title, paper.authors.joined(separator: ", "), paper.abstract])
            }
        }

        var compared = 0
        var untiedPlaces = 0
        for text in try Self.queries() {
            for any in [false, true] {
                var query = SearchQuery(parsing: text)
                if any { query = query.anyTerm }
                let expression = Self.match(query)
                guard !expression.isEmpty else { continue }
                // FTS5's bm25 is lower for better; ties by arXiv id, as the store ordered them.
                let reference = try await fts.read { db in
                    try Row.fetchAll(
                        db, sql: "SELECT rowid, -bm25(t, 10.0, 4.0, 1.0) FROM t WHERE t MATCH ?",
                        arguments: [expression]
                    ).map { row -> (key: PaperKey, score: Double) in (row[0], row[1]) }
                }.sorted { a, b in a.score != b.score ? a.score > b.score : idOf[a.key] ?? "" < idOf[b.key] ?? "" }
                let ranking = try await maintainer.index.rank(query, offset: 0, limit: 10)
                let label = "\(text) (\(any ? "any word" : "every word"))"
                #expect(ranking.total == reference.count, "\(label)")
                #expect(ranking.ranked.count == min(10, reference.count), "\(label)")
                for (place, (got, want)) in zip(ranking.ranked, reference).enumerated() {
                    #expect(abs(got.score - want.score) <= 1e-9 * max(1, abs(want.score)), "\(label) #\(place + 1)")
                    let tied = reference.contains { other in
                        other.key != want.key && abs(other.score - want.score) <= 1e-9 * max(1, abs(want.score))
                    }
                    if !tied {
                        untiedPlaces += 1
                        #expect(got.key == want.key, "\(label) #\(place + 1): \(idOf[got.key] ?? "?")")
                    }
                }
                compared += 1
            }
        }
        #expect(compared >= 100, "queries compared")
        #expect(untiedPlaces >= 500, "places compared without ties")
    }
}
