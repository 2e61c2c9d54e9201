import Foundation
import HTTPTypes
import PaperStoreConformance
import PaperboyCore
import PaperboyWeb
import Testing

@Suite("JSON API")
struct APITests {
    @Test func dailyPapersHaveHuggingFaceShapes() async throws {
        try await TestSite.make().run { client in
            let items = try #require(try await client.json("/api/daily_papers?date=2026-11-20") as? [[String: Any]])
            #expect(items.count == 2)
            let first = items[0]
            #expect(
                Set(first.keys) == [
                    "paper", "title", "summary", "publishedAt", "numComments", "isAuthorParticipating", "ai_summary",
                ])
            #expect(first["title"] as? String == "Quantum Error Correction at Scale")
            #expect(first["publishedAt"] as? String == "2026-11-20T11:30:00.000Z")
            #expect(first["numComments"] as? Int == 0)
            let paper = try #require(first["paper"] as? [String: Any])
            #expect(paper["id"] as? String == "2611.00002")
            #expect(paper["upvotes"] as? Int == 0)
            #expect(paper["publishedAt"] as? String == "2026-11-20T11:30:00.000Z")
            #expect(paper["summary"] as? String == "Surface codes and a neural network decoder for quantum hardware.")
            let authors = try #require(paper["authors"] as? [[String: Any]])
            #expect(authors.map { $0["name"] as? String } == ["Grace Hopper", "Alan Turing"])
            #expect(isAPITimestamp(paper["publishedAt"]))
        }
    }

    @Test func dailyPapersByWeekMonthPageAndSort() async throws {
        try await TestSite.make().run { client in
            let week = try #require(try await client.json("/api/daily_papers?week=2026-W47") as? [[String: Any]])
            #expect(
                week.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
                    == ["2611.00002", "2611.00001", "2611.00003", "2611.00004"])
            let page = try #require(
                try await client.json("/api/daily_papers?month=2026-11&p=1&limit=3") as? [[String: Any]])
            #expect(page.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String } == ["2611.00004"])
            let all = try #require(try await client.json("/api/daily_papers?limit=100") as? [[String: Any]])
            #expect(all.count == 5)
            let trending = try #require(
                try await client.json("/api/daily_papers?sort=trending&limit=1") as? [[String: Any]])
            #expect(trending.count == 1)
            let bySubmitter = try #require(try await client.json("/api/daily_papers?submitter=someone") as? [Any])
            #expect(bySubmitter.isEmpty)
        }
    }

    @Test(arguments: [
        ("/api/daily_papers?limit=0", "limit must be an integer from 1 to 100"),
        ("/api/daily_papers?limit=101", "limit must be an integer from 1 to 100"),
        ("/api/daily_papers?p=-1", "p must be an integer from 0 to 199"),
        ("/api/daily_papers?date=yesterday", "date must be a day from 1000-01-01 to 9999-12-31, written YYYY-MM-DD"),
        ("/api/daily_papers?week=2026-W99", "week must be an ISO week from 1000-W01 to 9999-W52, written YYYY-Www"),
        ("/api/daily_papers?sort=random", "sort must be publishedAt or trending"),
        ("/api/daily_papers?date=2026-11-20&month=2026-11", "give at most one of date, week and month"),
        ("/api/papers/search?q=x&limit=121", "limit must be an integer from 1 to 120"),
        ("/api/papers?cursor=garbage", "cursor is not valid: use the one given in the Link header"),
        ("/api/papers/search?q=x&mode=fuzzy", "mode must be hybrid, keyword or semantic"),
        ("/api/papers/search?q=x&sort=oldest", "sort must be relevance or newest"),
        ("/api/papers/search?q=x&sort=Newest", "sort must be relevance or newest"),
        ("/api/papers/2611.00001/similar?limit=0", "limit must be an integer from 1 to 50"),
    ])
    func badParametersAre400WithAnError(uri: String, message: String) async throws {
        try await TestSite.make().run { client in
            let response = try await client.get(uri)
            #expect(response.status == .badRequest)
            #expect(response.body == #"{"error":"\#(message)"}"#)
        }
    }

    @Test func aPaperIsAFlatObject() async throws {
        try await TestSite.make().run { client in
            let paper = try #require(try await client.json("/api/papers/2611.00002") as? [String: Any])
            #expect(paper["id"] as? String == "2611.00002")
            #expect(paper["categories"] as? [String] == ["quant-ph"])
            #expect(paper["publishedAt"] as? String == "2026-11-20T11:30:00.000Z")
            let versions = try #require(paper["versions"] as? [[String: Any]])
            #expect(versions.map { $0["version"] as? Int } == [1, 2])
            #expect(
                versions.map { $0["publishedAt"] as? String } == [
                    "2026-11-20T11:30:00.000Z", "2026-11-21T08:00:00.000Z",
                ])
            #expect(paper["doi"] == nil, "absent fields are left out")
            for uri in ["/api/papers/hep-th/9901001", "/api/papers/hep-th%2F9901001", "/api/papers/hep-th/9901001v1"] {
                let old = try #require(try await client.json(uri) as? [String: Any])
                #expect(old["id"] as? String == "hep-th/9901001", "\(uri)")
            }
            let missing = try await client.get("/api/papers/2611.09999")
            #expect(missing.status == .notFound)
            #expect(missing.body == #"{"error":"paper 2611.09999 not found"}"#)
        }
    }

    @Test func searchReturnsDailyItemsWithScoreAndWhy() async throws {
        try await TestSite.make().run { client in
            let items = try #require(try await client.json("/api/papers/search?q=galaxy%20spectra") as? [[String: Any]])
            #expect(items.count == 1)
            #expect((items[0]["paper"] as? [String: Any])?["id"] as? String == "2611.00003")
            #expect((items[0]["score"] as? Double ?? 0) > 0)
            let why = try #require(items[0]["why"] as? [String: Any])
            #expect(why["mode"] as? String == "keyword")
            #expect(why["matchedTerms"] as? [String] == ["galaxy", "spectra"])
            #expect(why["similarity"] == nil, "no model, no similarity")
            let limited = try #require(try await client.json("/api/papers/search?q=network&limit=1") as? [Any])
            #expect(limited.count == 1)
            let empty = try #require(try await client.json("/api/papers/search?q=") as? [Any])
            #expect(empty.isEmpty)
        }
    }

    @Test func allPapersWalkThroughLinkHeaders() async throws {
        try await TestSite.make().run { client in
            var uri: String? = "/api/papers?limit=2"
            var ids: [String] = []
            while let next = uri {
                let response = try await client.get(next)
                #expect(response.status == .ok)
                let page = try #require(
                    try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [[String: Any]])
                ids += page.compactMap { $0["id"] as? String }
                uri = response.headers[HTTPField.Name("Link")!].flatMap { link in
                    guard let start = link.range(of: "http://127.0.0.1:8080"), let end = link.range(of: ">;") else {
                        return nil
                    }
                    return String(link[start.upperBound..<end.lowerBound])
                }
            }
            #expect(ids == ["2611.00002", "2611.00001", "2611.00003", "2611.00004", "hep-th/9901001"])
        }
    }

    @Test func getsCarryETagsGzipAndCORS() async throws {
        let papers = (1...30).map { i in
            Fixtures.paper(
                String(format: "2611.%05d", 200 + i), title: "Paper number \(i) about things",
                versions: [(1, "2026-11-20T10:00:00Z")])
        }
        try await TestSite.make(papers: papers).run { client in
            let first = try await client.get("/api/daily_papers", headers: [.origin: "https://elsewhere.example"])
            let etag = try #require(first.headers[.eTag])
            #expect(first.headers[.accessControlAllowOrigin] == "*")
            let again = try await client.get("/api/daily_papers", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.isEmpty)
            let gz = try await client.get("/api/daily_papers", headers: [.acceptEncoding: "gzip, deflate"])
            #expect(gz.headers[.contentEncoding] == "gzip")
            #expect(gz.bytes.readableBytes < first.bytes.readableBytes)
            #expect(gz.bytes.getBytes(at: gz.bytes.readerIndex, length: 2) == [0x1f, 0x8b])
            let html = try await client.get("/", headers: [.acceptEncoding: "gzip"])
            #expect(html.headers[.contentEncoding] == "gzip")
        }
    }

    @Test func answersAreCachedUntilTheyExpire() async throws {
        let site = try await TestSite.make(config: WebConfiguration(cacheTTL: .seconds(60)))
        try await site.run { client in
            let before = try await client.get("/api/daily_papers?date=2026-11-20")
            _ = try await site.store.upsert([
                Fixtures.paper("2611.00999", title: "Late arrival", versions: [(1, "2026-11-20T12:00:00Z")])
            ])
            let cached = try await client.get("/api/daily_papers?date=2026-11-20")
            #expect(cached.body == before.body)
            #expect(cached.headers[.cacheControl] == "public, max-age=60")
            let other = try await client.get("/api/daily_papers?date=2026-11-20&limit=10")
            #expect(other.body.contains("Late arrival"))
            let metrics = try await client.get("/metrics")
            #expect(metrics.body.contains(#"paperboy_response_cache_total{result="hit"} 1"#))
            #expect(metrics.body.contains(#"paperboy_response_cache_total{result="miss"} 2"#))
        }
    }

    /// What another node (or an ingest beside the server) changed is seen when this node reads the change sequence:
    /// its keyword index rings the bell, and the cache forgets its answers, whatever their TTL.
    @Test func readingChangesEmptiesTheCache() async throws {
        let site = try await TestSite.make(config: WebConfiguration(cacheTTL: .seconds(600)))
        let changesRead = ChangeBell()
        try await site.run(changesRead: changesRead) { client in
            let before = try await client.get("/api/daily_papers?date=2026-11-20")
            _ = try await site.store.upsert([
                Fixtures.paper("2611.00999", title: "Late arrival", versions: [(1, "2026-11-20T12:00:00Z")])
            ])
            #expect(try await client.get("/api/daily_papers?date=2026-11-20").body == before.body)
            changesRead.ring()
            #expect(try await client.get("/api/daily_papers?date=2026-11-20").body.contains("Late arrival"))
        }
    }
}

@Suite("Query strings")
struct QueryStringTests {
    @Test func plusIsASpaceAndPercentTwoBIsAPlus() async throws {
        try await TestSite.make().run { client in
            let plus = try #require(try await client.json("/api/papers/search?q=galaxy+spectra") as? [[String: Any]])
            #expect(plus.count == 1)
            let page = try await client.get("/search?q=c%2B%2B+galaxy")
            #expect(page.body.contains(#"value="c++ galaxy""#))
        }
    }
}

@Suite("Similar papers without a model")
struct SimilarWithoutModelTests {
    @Test func similarIsEmptyAndUnknownIsA404() async throws {
        try await TestSite.make().run { client in
            let similar = try #require(try await client.json("/api/papers/2611.00002/similar") as? [Any])
            #expect(similar.isEmpty)
            let old = try await client.get("/api/papers/hep-th/9901001/similar")
            #expect(old.status == .ok)
            let missing = try await client.get("/api/papers/2611.09999/similar")
            #expect(missing.status == .notFound)
            #expect(missing.body == #"{"error":"paper 2611.09999 not found"}"#)
        }
    }
}
