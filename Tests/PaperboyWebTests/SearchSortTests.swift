import Foundation
import HTTPTypes
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PaperboyWeb
import Testing

@Suite("Search order (relevance, newest) and totals on the search page and API")
struct SearchSortTests {
    /// Three papers with "sparse": the title match ranks first by relevance yet is the oldest; the other two were
    /// featured at the same moment (newest first, then arXiv id descending).
    static let sparse = [
        Fixtures.paper("2611.00500", title: "Sparse attention", versions: [(1, "2026-11-10T00:00:00Z")]),
        Fixtures.paper(
            "2611.00600", title: "Other", abstract: "Sparse methods.", versions: [(1, "2026-11-15T00:00:00Z")]),
        Fixtures.paper(
            "2611.00700", title: "Another", abstract: "Sparse, too.", versions: [(1, "2026-11-15T00:00:00Z")]),
    ]
    static let newestFirst = ["2611.00700", "2611.00600", "2611.00500"]

    static let totalCount = HTTPField.Name("X-Total-Count")!
    static let totalEstimated = HTTPField.Name("X-Total-Count-Estimated")!

    /// The paper ids of an API answer, in order.
    static func ids(_ answer: Fetched) throws -> [String] {
        let items = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [[String: Any]])
        return items.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
    }

    /// The paper ids of a page's cards, in order.
    static func cardIDs(_ page: Fetched) -> [String] {
        page.body.components(separatedBy: #"<article class="card">"#).dropFirst().compactMap { card in
            (["2611.00500", "2611.00600", "2611.00700"] + Fixtures.corpus.map(\.id.rawValue)).first {
                card.contains(#"href="/papers/\#($0)""#)
            }
        }
    }

    @Test func theAPISortsNewestFirstAndCountsEveryMatch() async throws {
        try await TestSite.make(papers: Fixtures.corpus + Self.sparse).run { client in
            let relevance = try await client.get("/api/papers/search?q=sparse")
            #expect(relevance.status == .ok)
            let best = try Self.ids(relevance)
            #expect(best.first == "2611.00500" && best.count == 3)
            #expect(relevance.headers[Self.totalCount] == "3")
            #expect(relevance.headers[Self.totalEstimated] == nil)
            #expect(try Self.ids(try await client.get("/api/papers/search?q=sparse&sort=relevance")) == best)

            let newest = try await client.get("/api/papers/search?q=sparse&sort=newest")
            #expect(try Self.ids(newest) == Self.newestFirst)
            #expect(newest.headers[Self.totalCount] == "3")
            let filtered = try await client.get("/api/papers/search?q=sparse%20before:2026-11-15&sort=newest")
            #expect(try Self.ids(filtered) == ["2611.00500"] && filtered.headers[Self.totalCount] == "1")

            let first = try await client.get("/api/papers/search?q=sparse&sort=newest&limit=1")
            #expect(try Self.ids(first) == ["2611.00700"])
            #expect(first.headers[Self.totalCount] == "3", "every match is counted, not only the answer's")
            let none = try await client.get("/api/papers/search?q=zzzzqqq&sort=newest")
            #expect(none.body == "[]" && none.headers[Self.totalCount] == "0")
            let empty = try await client.get("/api/papers/search?q=")
            #expect(empty.body == "[]" && empty.headers[Self.totalCount] == "0")

            let bad = try await client.get("/api/papers/search?q=sparse&sort=oldest")
            #expect(bad.status == .badRequest)
            #expect(bad.body == #"{"error":"sort must be relevance or newest"}"#)
            #expect(bad.headers[Self.totalCount] == nil)
        }
    }

    @Test func theSearchPageOffersBothOrdersAndLinksKeepThem() async throws {
        try await TestSite.make(papers: Fixtures.corpus + Self.sparse).run { client in
            let relevance = try await client.get("/search?q=sparse&mode=keyword")
            #expect(Self.cardIDs(relevance).first == "2611.00500")
            #expect(relevance.body.contains("3 results"))
            #expect(
                relevance.body.contains(
                    #"<p class="sort">Sort: <a href="/search?q=sparse&amp;mode=keyword" aria-current="true">"#
                        + #"relevance</a> · <a href="/search?q=sparse&amp;mode=keyword&amp;sort=newest">"#
                        + "newest</a></p>"))

            let newest = try await client.get("/search?q=sparse&mode=keyword&sort=newest")
            #expect(newest.status == .ok)
            #expect(Self.cardIDs(newest) == Self.newestFirst)
            #expect(newest.body.contains(#"<p class="count">3 results · "#))
            #expect(
                newest.body.contains(
                    #"<p class="sort">Sort: <a href="/search?q=sparse&amp;mode=keyword">relevance</a>"#
                        + #" · <a href="/search?q=sparse&amp;mode=keyword&amp;sort=newest" aria-current="true">"#
                        + "newest</a></p>"))
            // The mode tabs keep the order.
            #expect(newest.body.contains(#"<a href="/search?q=sparse&amp;sort=newest">Hybrid</a>"#))
            // Hybrid without a model is keyword search, newest first as well.
            #expect(Self.cardIDs(try await client.get("/search?q=sparse&sort=newest")) == Self.newestFirst)

            let bad = try await client.get("/search?q=sparse&sort=oldest")
            #expect(bad.status == .badRequest)
            #expect(bad.body.contains("“oldest” is not a search order (relevance or newest)."))
        }
    }

    /// The site's keyword index, except that it says about 85,000 papers matched.
    struct EstimatingIndex: KeywordIndex {
        let base: any KeywordIndex

        func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking {
            var ranking = try await base.rank(query, offset: offset, limit: limit)
            ranking.total = 85_000
            ranking.totalIsEstimated = true
            return ranking
        }

        func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
            try await base.keys(passingFiltersOf: query)
        }

        func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights] {
            try await base.highlights(query, keys: keys)
        }
    }

    @Test func anEstimatedTotalIsSaidToBeOne() async throws {
        let site = try await TestSite.make(papers: Fixtures.corpus + Self.sparse)
        let searcher = KeywordOnlySearcher(index: EstimatingIndex(base: site.keywordIndex), papers: site.store)
        try await site.run(searcher: searcher) { client in
            let api = try await client.get("/api/papers/search?q=sparse&sort=newest")
            #expect(try Self.ids(api) == Self.newestFirst)
            #expect(api.headers[Self.totalCount] == "85000")
            #expect(api.headers[Self.totalEstimated] == "true")

            let page = try await client.get("/search?q=sparse&mode=keyword&sort=newest")
            #expect(page.body.contains(#"<p class="count">about 85,000 results · "#))
            // Paging links keep the mode and the order.
            #expect(
                page.body.contains(
                    #"<a rel="next" href="/search?q=sparse&amp;mode=keyword&amp;sort=newest&amp;page=2">"#))
        }
    }
}
