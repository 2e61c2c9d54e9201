import Foundation
import PaperboyCore
import Testing

/// One named behaviour every implementation of a store role must show. Each implementation's test target runs the
/// checks of every role it plays: `@Test(arguments: PaperStoreConformance.catalog) func catalog(_ check: ...)`.
/// A check gets what it needs beside the role under test (a writer to load papers, the upkeep to migrate).
public struct RoleCheck<Subject>: Sendable, CustomStringConvertible {
    public let description: String
    public let run: @Sendable (Subject) async throws -> Void

    init(_ description: String, _ run: @escaping @Sendable (Subject) async throws -> Void) {
        self.description = description
        self.run = run
    }
}

public enum PaperStoreConformance {
    public typealias Writer = PaperWriter & KeyedPapers & StoreMaintenance
    public typealias Catalog = PaperCatalog & PaperWriter & StoreMaintenance
    /// A store and the keyword index that searches it (``SearchedStore``: Paperboy's own index, fed by the store).
    public typealias Keyword = KeywordIndex & KeyedPapers & PaperWriter & StoreMaintenance
    public typealias Embeddings = EmbeddingStore & KeyedPapers & PaperWriter & StoreMaintenance
    public typealias HarvestStates = HarvestStateStore & StoreMaintenance

    static func load(_ store: some PaperWriter & StoreMaintenance, _ papers: [Paper] = Fixtures.corpus) async throws {
        try await store.migrate()
        _ = try await store.upsert(papers)
    }

    static func ids(_ papers: [StoredPaper]) -> [String] { papers.map(\.paper.id.rawValue) }

    /// Keyword search as pages use it: the index's ranking, its papers and highlights.
    static func search(_ store: some KeywordIndex & KeyedPapers, _ text: String, offset: Int = 0, limit: Int = 10)
        async throws -> ResultPage<RankedHit>
    {
        try await search(store, papers: store, text, offset: offset, limit: limit)
    }

    static func search(
        _ index: any KeywordIndex, papers: any KeyedPapers, _ text: String, offset: Int = 0, limit: Int = 10
    ) async throws -> ResultPage<RankedHit> {
        try await KeywordOnlySearcher(index: index, papers: papers)
            .search(SearchQuery(parsing: text), mode: .keyword, offset: offset, limit: limit).page
    }

    static func searchIDs(_ store: some KeywordIndex & KeyedPapers, _ text: String) async throws -> [String] {
        ids(try await search(store, text).items.map(\.paper))
    }

    static func stored(_ store: some KeyedPapers, _ id: String) async throws -> StoredPaper? {
        guard let paperID = PaperID(id), let key = try await store.key(of: paperID) else { return nil }
        return try await store.papers(keys: [key])[key]
    }

    // MARK: PaperWriter (read back through KeyedPapers)

    public static let writer: [RoleCheck<any Writer>] = [
        RoleCheck("a stored paper reads back with every field") { store in
            try await store.migrate()
            var full = Fixtures.paper(
                "2611.01234", title: "Title", abstract: "Abstract $x^2$.", authors: ["Zoë Ünal", "Bo Li"],
                categories: ["math.CO", "cs.DM"], versions: [(1, "2026-11-01T01:02:03Z"), (2, "2026-11-05T00:00:00Z")],
                comments: "12 pages", doi: "10.1000/xyz", updated: "2026-11-06")
            full.journalRef = "J. Test 1 (2026)"
            full.reportNo = "REP-1"
            full.license = "http://creativecommons.org/licenses/by/4.0/"
            full.submitter = "Zoë Ünal"
            full.versions[0].size = "120kb"
            #expect(try await store.upsert([full]) == UpsertSummary(inserted: 1))
            let stored = try #require(try await stored(store, "2611.01234"))
            #expect(stored.paper == full)
            #expect(stored.upvotes == 0)
            #expect(stored.paper.featuredDay == Day(iso: "2026-11-01"))
            #expect(try await store.key(of: PaperID("2611.09999")!) == nil)
            #expect(try await store.paperCount() == 1)
        },
        RoleCheck("the same input twice changes nothing") { store in
            try await load(store)
            #expect(try await store.upsert(Fixtures.corpus) == UpsertSummary(unchanged: Fixtures.corpus.count))
            #expect(try await store.paperCount() == Fixtures.corpus.count)
        },
        RoleCheck("versions merge and the newest version's metadata wins") { store in
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
            let stored = try #require(try await stored(store, "2611.00100")).paper
            #expect(stored.title == "Newest title")
            #expect(stored.versions.map(\.number) == [1, 2, 3])
            #expect(stored.featuredDay == Day(iso: "2026-11-10"))
        },
        RoleCheck("a bulk load stores every paper when it ends") { store in
            try await store.migrate()
            try await store.beginBulkLoad()
            #expect(try await store.upsert(Fixtures.corpus) == UpsertSummary(inserted: Fixtures.corpus.count))
            try await store.endBulkLoad()
            #expect(try await store.paperCount() == Fixtures.corpus.count)
            #expect(try await stored(store, "hep-th/9901001")?.paper.title == "Strings on the Light Cone")
        },
        RoleCheck("keys name papers; unknown keys are left out") { store in
            try await load(store)
            let a = try #require(try await store.key(of: PaperID("2611.00001")!))
            let b = try #require(try await store.key(of: PaperID("hep-th/9901001")!))
            #expect(a != b)
            let unknown: PaperKey = Set([a, b]).map { $0 }.max()! + 1_000_000
            let found = try await store.papers(keys: [a, b, unknown])
            #expect(Set(found.keys) == [a, b])
            #expect(found[b]?.paper.id.rawValue == "hep-th/9901001")
            #expect(try await store.papers(keys: []).isEmpty)
        },
    ]

    // MARK: PaperCatalog

    public static let catalog: [RoleCheck<any Catalog>] = [
        RoleCheck("a paper is found by id") { store in
            try await load(store)
            #expect(
                try await store.paper(id: PaperID("2611.00003")!, audience: .everyone)?.paper.title
                    == "Galaxy Spectra Without Calibration")
            #expect(try await store.paper(id: PaperID("2611.09999")!, audience: .everyone) == nil)
        },
        RoleCheck("a day lists its papers by upvotes then time, or newest first") { store in
            try await load(store)
            let day = Day(iso: "2026-11-20")!
            let byTime = try await store.listing(days: day...day, sort: .publishedAt, offset: 0, limit: 50)
            #expect(ids(byTime.items) == ["2611.00002", "2611.00001"])
            #expect(byTime.total == 2)
            let trending = try await store.listing(days: day...day, sort: .upvotes, offset: 0, limit: 50)
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
        RoleCheck("days with papers are found for navigation") { store in
            try await load(store)
            #expect(try await store.newestDay() == Day(iso: "2026-11-20"))
            #expect(try await store.dayWithPapers(before: Day(iso: "2026-11-20")!) == Day(iso: "2026-11-19"))
            #expect(try await store.dayWithPapers(after: Day(iso: "2026-11-10")!) == Day(iso: "2026-11-18"))
            #expect(try await store.dayWithPapers(after: Day(iso: "2026-11-20")!) == nil)
            #expect(try await store.dayWithPapers(before: Day(iso: "1999-01-04")!) == nil)
        },
        RoleCheck("an empty store has no newest day") { store in
            try await store.migrate()
            #expect(try await store.newestDay() == nil)
            #expect(try await store.stats() == StoreStats(papers: 0, newestDay: nil))
        },
        RoleCheck("stats count the papers and name the newest day") { store in
            try await load(store)
            #expect(try await store.stats() == StoreStats(papers: 5, newestDay: Day(iso: "2026-11-20")))
        },
        RoleCheck("author and category pages list newest first, with co-authors") { store in
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
        RoleCheck("author names by prefix, in name order, with their papers") { store in
            try await load(store)
            let all = try await store.authors(startingWith: "A", limit: 10)
            #expect(all.map(\.name) == ["Ada Lovelace", "Alan Turing"])
            #expect(all.map(\.papers) == [2, 2])
            #expect(try await store.authors(startingWith: "Al", limit: 10).map(\.name) == ["Alan Turing"])
            #expect(try await store.authors(startingWith: "A", limit: 1).map(\.name) == ["Ada Lovelace"])
            #expect(try await store.authors(startingWith: "al", limit: 10).isEmpty)
            #expect(try await store.authors(startingWith: "", limit: 10).isEmpty)
            #expect(try await store.authors(startingWith: "Zz", limit: 10).isEmpty)
        },
        RoleCheck("old-style ids are stored and found") { store in
            try await load(store)
            let paper = try #require(try await store.paper(id: PaperID("hep-th/9901001")!, audience: .everyone))
            #expect(paper.paper.title == "Strings on the Light Cone")
            #expect(try await store.papers(inCategory: "hep-th", offset: 0, limit: 5).items.count == 1)
        },
        RoleCheck("all papers walk newest first through cursors, each once") { store in
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
    ]

    // MARK: KeywordIndex

    public static let keyword: [RoleCheck<any Keyword>] = [
        RoleCheck("keyword search ranks title over abstract and highlights matches") { store in
            try await load(store)
            let result = try await search(store, "galaxy")
            #expect(ids(result.items.map(\.paper)) == ["2611.00003"])
            let hit = try #require(result.items.first)
            #expect(hit.titleHighlight.matchedWords == ["Galaxy"])
            #expect(hit.abstractSnippet.matchedWords == ["galaxy"])
            #expect(hit.matchedTerms == ["galaxy"])
            #expect(Set(try await searchIDs(store, "\"neural network\"")) == ["2611.00002", "2611.00003"])
            #expect(Set(try await searchIDs(store, "language models")) == ["2611.00001", "2611.00003"])
            #expect(try await searchIDs(store, "quantum") == ["2611.00002"])
            #expect(try await searchIDs(store, "calib*") == ["2611.00003"])
            #expect(try await searchIDs(store, "\"neural network\" -galaxy") == ["2611.00002"])
        },
        RoleCheck("a changed paper is found by its new words only") { store in
            try await store.migrate()
            let v1 = Fixtures.paper("2611.00100", title: "Old title", versions: [(1, "2026-11-10T00:00:00Z")])
            let v2 = Fixtures.paper(
                "2611.00100", title: "Newest title",
                versions: [(1, "2026-11-10T00:00:00Z"), (2, "2026-11-12T00:00:00Z")])
            _ = try await store.upsert([v1])
            #expect(try await searchIDs(store, "old") == ["2611.00100"])
            _ = try await store.upsert([v2])
            #expect(try await searchIDs(store, "newest") == ["2611.00100"])
            #expect(try await search(store, "old").total == 0)
        },
        RoleCheck("search filters by author, category and date") { store in
            try await load(store)
            #expect(Set(try await searchIDs(store, "author:turing")) == ["2611.00001", "2611.00002"])
            #expect(try await searchIDs(store, "quantum author:\"Alan Turing\"") == ["2611.00002"])
            #expect(try await searchIDs(store, "network cat:astro-ph.GA") == ["2611.00003"])
            #expect(try await searchIDs(store, "cat:cs.LG") == ["2611.00001", "2611.00003"])
            #expect(try await searchIDs(store, "network after:2026-11-20") == ["2611.00002"])
            #expect(try await searchIDs(store, "network before:2026-11-20") == ["2611.00003"])
        },
        RoleCheck("any input searches without an error") { store in
            try await load(store)
            let inputs = [
                "\"unbalanced", "*", "NEAR(", "a OR b AND NOT", "'; DROP TABLE papers; --", "🤖 transformer", "\"\"",
                "title:foo", "(((", "^x", "-", "author:", "cat:\"", "after:yesterday", "\u{E000}", "c++ && |",
            ]
            for input in inputs {
                _ = try await search(store, input)
                _ = try await store.keys(passingFiltersOf: SearchQuery(parsing: input))
            }
            #expect(try await searchIDs(store, "<script>") == ["2611.00004"])
            #expect(try await searchIDs(store, "🤖 transformer") == ["2611.00001"])
        },
        RoleCheck("search pages through results") { store in
            try await load(store)
            let first = try await search(store, "network", offset: 0, limit: 1)
            let second = try await search(store, "network", offset: 1, limit: 1)
            #expect(first.total == 2 && second.total == 2)
            #expect(first.hasMore && !second.hasMore)
            #expect(Set(ids((first.items + second.items).map(\.paper))) == ["2611.00002", "2611.00003"])
        },
        RoleCheck("equal scores are ordered by arXiv id, on every page") { store in
            try await store.migrate()
            // The same text under ids stored out of order: every backend ranks them by id.
            let same = ["2611.00300", "2611.00100", "hep-th/9901002", "2611.00200"].map {
                Fixtures.paper($0, title: "Identical twins", abstract: "The same words.")
            }
            _ = try await store.upsert(same)
            let expected = ["2611.00100", "2611.00200", "2611.00300", "hep-th/9901002"]
            let ranking = try await store.rank(SearchQuery(parsing: "identical twins"), offset: 0, limit: 10)
            #expect(ranking.total == 4)
            #expect(Set(ranking.ranked.map(\.score)).count == 1)
            #expect(try await searchIDs(store, "identical twins") == expected)
            var paged: [String] = []
            for offset in 0..<4 {
                paged += ids(try await search(store, "twins", offset: offset, limit: 1).items.map(\.paper))
            }
            #expect(paged == expected)
        },
        RoleCheck("sorted newest, matches come newest featured first, then by arXiv id descending") { store in
            try await store.migrate()
            _ = try await store.upsert([
                // The title match ranks first by relevance, yet is the oldest.
                Fixtures.paper("2611.00500", title: "Sparse attention", versions: [(1, "2026-11-10T00:00:00Z")]),
                Fixtures.paper(
                    "2611.00600", title: "Other", abstract: "Sparse methods.", categories: ["math.OC"],
                    versions: [(1, "2026-11-15T00:00:00Z")]),
                Fixtures.paper(
                    "2611.00700", title: "Another", abstract: "Sparse, too.", versions: [(1, "2026-11-15T00:00:00Z")]),
                Fixtures.paper("2611.00800", title: "Unrelated", versions: [(1, "2026-11-20T00:00:00Z")]),
            ])
            func newest(_ text: String, offset: Int = 0, limit: Int = 10) async throws -> KeywordRanking {
                var query = SearchQuery(parsing: text)
                query.sort = .newest
                return try await store.rank(query, offset: offset, limit: limit)
            }
            func rankedIDs(_ ranking: KeywordRanking) async throws -> [String] {
                let papers = try await store.papers(keys: ranking.ranked.map(\.key))
                return ranking.ranked.compactMap { papers[$0.key]?.paper.id.rawValue }
            }
            #expect(try await searchIDs(store, "sparse").first == "2611.00500")
            let all = try await newest("sparse")
            #expect(try await rankedIDs(all) == ["2611.00700", "2611.00600", "2611.00500"])
            #expect(all.total == 3 && !all.totalIsEstimated)
            #expect(all.ranked.allSatisfy { $0.score == 0 })
            let second = try await newest("sparse", offset: 1, limit: 1)
            #expect(try await rankedIDs(second) == ["2611.00600"] && second.total == 3)
            #expect(try await rankedIDs(try await newest("sparse cat:cs.LG")) == ["2611.00700", "2611.00500"])
            #expect(try await rankedIDs(try await newest("sparse attention -methods")) == ["2611.00500"])
            #expect(try await rankedIDs(try await newest("sparse", offset: 3)).isEmpty)
        },
        RoleCheck("a bulk load becomes searchable when it ends") { store in
            try await store.migrate()
            try await store.beginBulkLoad()
            _ = try await store.upsert(Fixtures.corpus)
            try await store.endBulkLoad()
            #expect(try await searchIDs(store, "light cone") == ["hep-th/9901001"])
        },
        RoleCheck("filters give the keys semantic search may return") { store in
            try await load(store)
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
        },
        RoleCheck("any word or every word; highlights only where a word matched") { store in
            try await load(store)
            let any = try await store.rank(SearchQuery(parsing: "galaxy quantum").anyTerm, offset: 0, limit: 10)
            #expect(any.total == 2)
            #expect(try await store.rank(SearchQuery(parsing: "galaxy quantum"), offset: 0, limit: 10).total == 0)
            let marks = try await store.highlights(SearchQuery(parsing: "galaxy"), keys: any.ranked.map(\.key))
            let galaxy = try #require(try await store.key(of: PaperID("2611.00003")!))
            #expect(Array(marks.keys) == [galaxy])
            #expect(marks[galaxy]?.title.plainText == "Galaxy Spectra Without Calibration")
            #expect(try await store.highlights(SearchQuery(parsing: "galaxy"), keys: []).isEmpty)
        },
    ]

    // MARK: HarvestStateStore

    public static let harvestState: [RoleCheck<any HarvestStates>] = [
        RoleCheck("harvest state is kept per key") { store in
            try await store.migrate()
            #expect(try await store.harvestState(key: "a") == HarvestState())
            let state = HarvestState(
                lastCompleted: Day(iso: "2026-11-01"), resumptionToken: "tok|123", from: Day(iso: "2026-10-01"),
                until: nil)
            try await store.setHarvestState(state, key: "a")
            #expect(try await store.harvestState(key: "a") == state)
            #expect(try await store.harvestState(key: "b") == HarvestState())
            try await store.setHarvestState(HarvestState(lastCompleted: Day(iso: "2026-11-02")), key: "a")
            #expect(try await store.harvestState(key: "a") == HarvestState(lastCompleted: Day(iso: "2026-11-02")))
        }
    ]
}

extension PaperStoreConformance {
    // MARK: EmbeddingStore

    public static let embeddings: [RoleCheck<any Embeddings>] = [
        RoleCheck("embeddings are stored per model, found by key, and redone when the text changes") { store in
            try await load(store)
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
            let position = try #require(jobs.firstIndex { $0.key == key })
            #expect(try await store.embedding(model: "m@1", key: key) == [Float(position), 1])
            #expect(try await store.embedding(model: "m@2", key: key) == nil)
            let all = try await store.embeddings(model: "m@1", after: 0, limit: 100)
            #expect(all.map(\.key) == all.map(\.key).sorted() && all.count == 5)
            // A new version with a new abstract needs a new vector.
            var changed = Fixtures.corpus[0]
            changed.abstract = "A different abstract."
            changed.versions.append(PaperVersion(number: 2, submitted: Fixtures.date("2026-11-22T00:00:00Z")))
            _ = try await store.upsert([changed])
            let redo = try await store.papersNeedingEmbedding(model: "m@1", after: 0, scan: 100).jobs
            #expect(redo.map(\.id.rawValue) == ["2611.00001"])
        }
    ]
}
