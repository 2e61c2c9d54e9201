import Foundation
import PaperboyCore
import Testing

/// One named behaviour every `PaperStore` backend must show. Each backend's test target runs all of
/// them: `@Test(arguments: PaperStoreConformance.checks) func conforms(_ check: ...)`.
public struct ConformanceCheck: Sendable, CustomStringConvertible {
    public let description: String
    public let run: @Sendable (any PaperStore) async throws -> Void
}

public enum PaperStoreConformance {
    static func check(_ name: String, _ run: @escaping @Sendable (any PaperStore) async throws -> Void)
        -> ConformanceCheck
    {
        ConformanceCheck(description: name, run: run)
    }

    static func load(_ store: any PaperStore, _ papers: [Paper] = Fixtures.corpus) async throws {
        try await store.migrate()
        _ = try await store.upsert(papers)
    }

    static func ids(_ papers: [StoredPaper]) -> [String] { papers.map(\.paper.id.rawValue) }

    public static let checks: [ConformanceCheck] = [
        check("a stored paper reads back with every field") { store in
            try await store.migrate()
            let original = Fixtures.paper(
                "2611.01234", title: "Title", abstract: "Abstract $x^2$.", authors: ["Zoë Ünal", "Bo Li"],
                categories: ["math.CO", "cs.DM"], versions: [(1, "2026-11-01T01:02:03Z"), (2, "2026-11-05T00:00:00Z")],
                comments: "12 pages", doi: "10.1000/xyz", updated: "2026-11-06")
            var full = original
            full.journalRef = "J. Test 1 (2026)"
            full.reportNo = "REP-1"
            full.license = "http://creativecommons.org/licenses/by/4.0/"
            full.submitter = "Zoë Ünal"
            full.versions[0].size = "120kb"
            let summary = try await store.upsert([full])
            #expect(summary == UpsertSummary(inserted: 1))
            let stored = try #require(try await store.paper(id: full.id))
            #expect(stored.paper == full)
            #expect(stored.upvotes == 0)
            #expect(stored.paper.featuredDay == Day(iso: "2026-11-01"))
            #expect(try await store.paper(id: PaperID("2611.09999")!) == nil)
        },
        check("the same input twice changes nothing") { store in
            try await load(store)
            let again = try await store.upsert(Fixtures.corpus)
            #expect(again == UpsertSummary(unchanged: Fixtures.corpus.count))
        },
        check("versions merge and the newest version's metadata wins") { store in
            try await store.migrate()
            let v1 = Fixtures.paper("2611.00100", title: "Old title", versions: [(1, "2026-11-10T00:00:00Z")])
            let v2 = Fixtures.paper(
                "2611.00100", title: "New title", versions: [(1, "2026-11-10T00:00:00Z"), (2, "2026-11-12T00:00:00Z")])
            // An Atom-style record that shows only the first and the latest version.
            let v3 = Fixtures.paper(
                "2611.00100", title: "Newest title",
                versions: [(1, "2026-11-10T00:00:00Z"), (3, "2026-11-15T00:00:00Z")])
            #expect(try await store.upsert([v1]) == UpsertSummary(inserted: 1))
            #expect(try await store.upsert([v2]) == UpsertSummary(updated: 1))
            #expect(try await store.upsert([v3]) == UpsertSummary(updated: 1))
            // An older record arriving late adds nothing and changes nothing.
            #expect(try await store.upsert([v1]) == UpsertSummary(unchanged: 1))
            let stored = try #require(try await store.paper(id: v1.id)).paper
            #expect(stored.title == "Newest title")
            #expect(stored.versions.map(\.number) == [1, 2, 3])
            #expect(stored.featuredDay == Day(iso: "2026-11-10"))
            let hits = try await store.search(SearchQuery(parsing: "newest"), offset: 0, limit: 10)
            #expect(ids(hits.items.map(\.paper)) == ["2611.00100"])
            let stale = try await store.search(SearchQuery(parsing: "old"), offset: 0, limit: 10)
            #expect(stale.total == 0)
        },
        check("a day lists its papers by upvotes then time, or newest first") { store in
            try await load(store)
            let day = Day(iso: "2026-11-20")!
            let byTime = try await store.listing(days: day...day, sort: .publishedAt, offset: 0, limit: 50)
            #expect(ids(byTime.items) == ["2611.00002", "2611.00001"])
            #expect(byTime.total == 2)
            let trending = try await store.listing(days: day...day, sort: .trending, offset: 0, limit: 50)
            #expect(ids(trending.items) == ["2611.00002", "2611.00001"])
            let page2 = try await store.listing(days: day...day, sort: .publishedAt, offset: 1, limit: 1)
            #expect(ids(page2.items) == ["2611.00001"])
            #expect(!page2.hasMore)
            let week = try #require(ISOWeek(containing: day))
            let wholeWeek = try await store.listing(days: week.days, sort: .publishedAt, offset: 0, limit: 50)
            #expect(ids(wholeWeek.items) == ["2611.00002", "2611.00001", "2611.00003", "2611.00004"])
            let empty = Day(iso: "2026-11-21")!
            #expect(try await store.listing(days: empty...empty, sort: .publishedAt, offset: 0, limit: 50).total == 0)
        },
        check("days with papers are found for navigation") { store in
            try await load(store)
            #expect(try await store.newestDay() == Day(iso: "2026-11-20"))
            #expect(try await store.dayWithPapers(before: Day(iso: "2026-11-20")!) == Day(iso: "2026-11-19"))
            #expect(try await store.dayWithPapers(after: Day(iso: "2026-11-10")!) == Day(iso: "2026-11-18"))
            #expect(try await store.dayWithPapers(after: Day(iso: "2026-11-20")!) == nil)
            #expect(try await store.dayWithPapers(before: Day(iso: "1999-01-04")!) == nil)
        },
        check("an empty store has no newest day") { store in
            try await store.migrate()
            #expect(try await store.newestDay() == nil)
            #expect(try await store.stats() == StoreStats(papers: 0, newestDay: nil))
        },
        check("author and category pages list newest first, with co-authors") { store in
            try await load(store)
            let turing = try await store.papers(byAuthor: "Alan Turing", offset: 0, limit: 10)
            #expect(ids(turing.items) == ["2611.00002", "2611.00001"])
            #expect(turing.total == 2)
            let coauthors = try await store.coauthors(of: "Alan Turing", limit: 10)
            #expect(coauthors.map(\.name) == ["Ada Lovelace", "Grace Hopper"])
            #expect(coauthors.map(\.papers) == [1, 1])
            let lg = try await store.papers(inCategory: "cs.LG", offset: 0, limit: 10)
            #expect(ids(lg.items) == ["2611.00001", "2611.00003"])
            let paged = try await store.papers(inCategory: "cs.LG", offset: 1, limit: 1)
            #expect(ids(paged.items) == ["2611.00003"] && paged.total == 2)
            #expect(try await store.papers(byAuthor: "Nobody", offset: 0, limit: 10).total == 0)
        },
        check("keyword search ranks title over abstract and highlights matches") { store in
            try await load(store)
            let result = try await store.search(SearchQuery(parsing: "galaxy"), offset: 0, limit: 10)
            #expect(ids(result.items.map(\.paper)) == ["2611.00003"])
            let hit = try #require(result.items.first)
            #expect(hit.titleHighlight.matchedWords == ["Galaxy"])
            #expect(hit.abstractSnippet.matchedWords == ["galaxy"])
            let network = try await store.search(SearchQuery(parsing: "\"neural network\""), offset: 0, limit: 10)
            #expect(Set(ids(network.items.map(\.paper))) == ["2611.00002", "2611.00003"])
            let language = try await store.search(SearchQuery(parsing: "language models"), offset: 0, limit: 10)
            #expect(Set(ids(language.items.map(\.paper))) == ["2611.00001", "2611.00003"])
            let titleFirst = try await store.search(SearchQuery(parsing: "quantum"), offset: 0, limit: 10)
            #expect(ids(titleFirst.items.map(\.paper)) == ["2611.00002"])
            let prefix = try await store.search(SearchQuery(parsing: "calib*"), offset: 0, limit: 10)
            #expect(ids(prefix.items.map(\.paper)) == ["2611.00003"])
            let excluded = try await store.search(
                SearchQuery(parsing: "\"neural network\" -galaxy"), offset: 0, limit: 10)
            #expect(ids(excluded.items.map(\.paper)) == ["2611.00002"])
        },
        check("search filters by author, category and date") { store in
            try await load(store)
            let author = try await store.search(SearchQuery(parsing: "author:turing"), offset: 0, limit: 10)
            #expect(Set(ids(author.items.map(\.paper))) == ["2611.00001", "2611.00002"])
            let both = try await store.search(
                SearchQuery(parsing: "quantum author:\"Alan Turing\""), offset: 0, limit: 10)
            #expect(ids(both.items.map(\.paper)) == ["2611.00002"])
            let cat = try await store.search(SearchQuery(parsing: "network cat:astro-ph.GA"), offset: 0, limit: 10)
            #expect(ids(cat.items.map(\.paper)) == ["2611.00003"])
            let catOnly = try await store.search(SearchQuery(parsing: "cat:cs.LG"), offset: 0, limit: 10)
            #expect(ids(catOnly.items.map(\.paper)) == ["2611.00001", "2611.00003"])
            let after = try await store.search(SearchQuery(parsing: "network after:2026-11-20"), offset: 0, limit: 10)
            #expect(ids(after.items.map(\.paper)) == ["2611.00002"])
            let before = try await store.search(SearchQuery(parsing: "network before:2026-11-20"), offset: 0, limit: 10)
            #expect(ids(before.items.map(\.paper)) == ["2611.00003"])
        },
        check("any input searches without an error") { store in
            try await load(store)
            let inputs = [
                "\"unbalanced", "*", "NEAR(", "a OR b AND NOT", "'; DROP TABLE papers; --", "🤖 transformer", "\"\"",
                "title:foo", "(((", "^x", "-", "author:", "cat:\"", "after:yesterday", "\u{E000}", "c++ && |",
            ]
            for input in inputs {
                _ = try await store.search(SearchQuery(parsing: input), offset: 0, limit: 10)
            }
            let hostile = try await store.search(SearchQuery(parsing: "<script>"), offset: 0, limit: 10)
            #expect(ids(hostile.items.map(\.paper)) == ["2611.00004"])
            let emoji = try await store.search(SearchQuery(parsing: "🤖 transformer"), offset: 0, limit: 10)
            #expect(ids(emoji.items.map(\.paper)) == ["2611.00001"])
        },
        check("search pages through results") { store in
            try await load(store)
            let first = try await store.search(SearchQuery(parsing: "network"), offset: 0, limit: 1)
            let second = try await store.search(SearchQuery(parsing: "network"), offset: 1, limit: 1)
            #expect(first.total == 2 && second.total == 2)
            #expect(first.hasMore && !second.hasMore)
            #expect(Set(ids((first.items + second.items).map(\.paper))) == ["2611.00002", "2611.00003"])
        },
        check("old-style ids are stored and found") { store in
            try await load(store)
            let paper = try #require(try await store.paper(id: PaperID("hep-th/9901001")!))
            #expect(paper.paper.title == "Strings on the Light Cone")
            #expect(try await store.papers(inCategory: "hep-th", offset: 0, limit: 5).items.count == 1)
        },
        check("all papers walk newest first through cursors, each once") { store in
            try await load(store)
            var seen: [String] = []
            var cursor: PaperCursor?
            repeat {
                let page = try await store.allPapers(after: cursor, limit: 2)
                seen += ids(page.papers)
                cursor = page.next
            } while cursor != nil
            #expect(seen == ["2611.00002", "2611.00001", "2611.00003", "2611.00004", "hep-th/9901001"])
        },
        check("a bulk load becomes searchable when it ends") { store in
            try await store.migrate()
            try await store.beginBulkLoad()
            _ = try await store.upsert(Fixtures.corpus)
            try await store.endBulkLoad()
            let result = try await store.search(SearchQuery(parsing: "light cone"), offset: 0, limit: 10)
            #expect(ids(result.items.map(\.paper)) == ["hep-th/9901001"])
            #expect(try await store.stats() == StoreStats(papers: 5, newestDay: Day(iso: "2026-11-20")))
        },
        check("harvest state is kept per key") { store in
            try await store.migrate()
            #expect(try await store.harvestState(key: "a") == HarvestState())
            let state = HarvestState(
                lastCompleted: Day(iso: "2026-11-01"), resumptionToken: "tok|123", from: Day(iso: "2026-10-01"),
                until: nil)
            try await store.setHarvestState(state, key: "a")
            #expect(try await store.harvestState(key: "a") == state)
            #expect(try await store.harvestState(key: "b") == HarvestState())
        },
    ]
}

extension PaperStoreConformance {
    /// Checks of the `VectorStore` half, for backends that store embeddings.
    public static let vectorChecks: [VectorConformanceCheck] = [
        VectorConformanceCheck(
            description: "embeddings are stored per model, found by key, and redone when the text changes"
        ) { store in
            try await store.migrate()
            _ = try await store.upsert(Fixtures.corpus)
            var jobs: [EmbeddingJob] = []
            var after: PaperKey = 0
            while true {
                let page = try await store.papersNeedingEmbedding(model: "m@1", after: after, scan: 2)
                jobs += page.jobs
                guard let last = page.last else { break }
                after = last
            }
            #expect(jobs.count == 5)
            let attention = try #require(jobs.first { $0.id.rawValue == "2611.00001" })
            #expect(
                attention.text
                    == "Attention Is All You Need Again. We revisit the transformer architecture for language models.")
            try await store.saveEmbeddings(
                model: "m@1", dimension: 2,
                jobs.enumerated().map { StoredEmbedding(key: $1.key, textHash: $1.textHash, vector: [Float($0), 1]) })
            #expect(try await store.embeddingCount(model: "m@1") == 5)
            #expect(try await store.embeddingCount(model: "m@2") == 0)
            #expect(try await store.papersNeedingEmbedding(model: "m@1", after: 0, scan: 100).jobs.isEmpty)
            let key = try #require(try await store.key(of: PaperID("2611.00001")!))
            #expect(
                try await store.embedding(model: "m@1", key: key) == [Float(jobs.firstIndex { $0.key == key }!), 1])
            #expect(try await store.papers(keys: [key])[key]?.paper.title == "Attention Is All You Need Again")
            let all = try await store.embeddings(model: "m@1", after: 0, limit: 100)
            #expect(all.map(\.key) == all.map(\.key).sorted() && all.count == 5)
            // A new version with a new abstract needs a new vector.
            var changed = Fixtures.corpus[0]
            changed.abstract = "A different abstract."
            changed.versions.append(PaperVersion(number: 2, submitted: Fixtures.date("2026-11-22T00:00:00Z")))
            _ = try await store.upsert([changed])
            let redo = try await store.papersNeedingEmbedding(model: "m@1", after: 0, scan: 100).jobs
            #expect(redo.map(\.id.rawValue) == ["2611.00001"])
        },
        VectorConformanceCheck(description: "filters and keyword candidates for hybrid search") { store in
            try await store.migrate()
            _ = try await store.upsert(Fixtures.corpus)
            #expect(try await store.keys(passingFiltersOf: SearchQuery(parsing: "anything")) == nil)
            let lg = try #require(try await store.keys(passingFiltersOf: SearchQuery(parsing: "x cat:cs.LG")))
            let expected = Set([
                try await store.key(of: PaperID("2611.00001")!)!, try await store.key(of: PaperID("2611.00003")!)!,
            ])
            #expect(lg == expected)
            let turing = try #require(
                try await store.keys(passingFiltersOf: SearchQuery(parsing: "author:turing before:2026-11-20")))
            #expect(turing.isEmpty)
            let noGalaxy = try #require(
                try await store.keys(passingFiltersOf: SearchQuery(parsing: "network -galaxy -light")))
            #expect(noGalaxy.count == 3, "all but the galaxy and light-cone papers")
            let any = try await store.keywordKeys(SearchQuery(parsing: "galaxy quantum").anyTerm, limit: 10)
            #expect(any.total == 2)
            let all = try await store.keywordKeys(SearchQuery(parsing: "galaxy quantum"), limit: 10)
            #expect(all.total == 0)
            let marks = try await store.highlights(SearchQuery(parsing: "galaxy"), keys: any.ranked.map(\.key))
            #expect(marks.count == 1)
        },
    ]
}

public struct VectorConformanceCheck: Sendable, CustomStringConvertible {
    public let description: String
    public let run: @Sendable (any PaperStore & VectorStore) async throws -> Void
}
