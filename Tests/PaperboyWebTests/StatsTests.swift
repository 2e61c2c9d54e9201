import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import PaperboyWeb
import Testing

/// `/stats` and `/api/stats`: papers and votes per day, top categories, drawn as SVG on the server.
@Suite("Statistics")
struct StatsTests {
    /// The afternoon of the fixtures' newest day, so that votes cast "now" fall in the span.
    static let clock: @Sendable () -> Date = { Fixtures.date("2026-11-20T15:00:00Z") }

    @Test func theAPIGivesEveryDayOfTheSpanAndTheTopCategories() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let vote = try await client.send("/api/papers/2611.00003/upvote", method: .post, headers: bearer(token))
            #expect(vote.status == .ok)
            let stats = try object(try await client.get("/api/stats?days=4"))
            #expect(stats["from"] as? String == "2026-11-17")
            #expect(stats["to"] as? String == "2026-11-20")
            let papers = try #require(stats["papersPerDay"] as? [[String: Any]])
            #expect(
                papers.compactMap { $0["date"] as? String } == ["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"])
            #expect(papers.compactMap { $0["count"] as? Int } == [0, 1, 1, 2])
            let votes = try #require(stats["votesPerDay"] as? [[String: Any]])
            #expect(votes.compactMap { $0["count"] as? Int } == [0, 0, 0, 1])
            let week = try #require(stats["topCategoriesOfWeek"] as? [[String: Any]])
            #expect(week.compactMap { $0["category"] as? String } == ["astro-ph.GA", "cs.CL", "cs.CR", "quant-ph"])
        }
    }

    @Test(arguments: ["0", "367", "ten", "-1"])
    func aSpanOutsideOneToThreeHundredSixtySixDaysIs400(days: String) async throws {
        let site = try await TestSite.make()
        try await site.run { client in
            let api = try await client.get("/api/stats?days=\(days)")
            #expect(api.status == .badRequest)
            #expect(try object(api)["error"] as? String == "days must be an integer from 1 to 366")
            #expect(try await client.get("/stats?days=\(days)").status == .badRequest)
        }
    }

    @Test func thePageDrawsTheChartsAndEscapesWhatTheDataHolds() async throws {
        let hostile = Fixtures.paper(
            "2611.00010", title: "Hostile category", categories: ["<b>x&y</b>"], versions: [(1, "2026-11-20T08:00:00Z")]
        )
        let site = try await TestSite.make(papers: Fixtures.corpus + [hostile])
        try await site.run(clock: Self.clock) { client in
            let page = try await client.get("/stats?days=7")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1>Statistics, 2026-11-14 to 2026-11-20</h1>"))
            #expect(page.body.components(separatedBy: "<svg ").count - 1 == 3, "papers and the two category charts")
            #expect(page.body.contains("<title>2026-11-20: 3 papers</title>"))
            #expect(page.body.contains(#"<text class="axis" x="0" y="174">2026-11-14</text>"#))
            #expect(
                page.body.components(separatedBy: "<text class=\"bar-name\"").count - 1 == 10, "5 categories, twice")
            #expect(page.body.contains("5 papers in 7 days, most on 2026-11-20 (3)."))
            #expect(page.body.contains("&lt;b&gt;x&amp;y&lt;/b&gt;"))
            #expect(!page.body.contains("<b>x&y</b>"))
            #expect(page.body.contains("<a href=\"/stats?days=7\" aria-current=\"page\">7 days</a>"))
            #expect(page.body.contains("<a href=\"/api/stats?days=7\">JSON</a>"))
        }
    }

    @Test func anEmptySiteHasAPageWithoutCharts() async throws {
        let site = try await TestSite.make(papers: [])
        try await site.run(clock: Self.clock) { client in
            let page = try await client.get("/stats")
            #expect(page.status == .ok)
            #expect(!page.body.contains("<svg "))
            #expect(page.body.contains("0 papers in 30 days."))
            let stats = try object(try await client.get("/api/stats"))
            #expect(stats["to"] as? String == "2026-11-20", "today when nothing is featured")
            #expect((stats["papersPerDay"] as? [Any])?.count == 30)
        }
    }

    @Test func aPaperWithUpvotesShowsTheirRunningTotal() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            #expect(!(try await client.get("/papers/2611.00003").body.contains("class=\"sparkline\"")))
            _ = try await client.send("/api/papers/2611.00003/upvote", method: .post, headers: bearer(token))
            let page = try await client.get("/papers/2611.00003").body
            #expect(page.contains(#"<polyline points="0,23 120,1"/>"#), "featured the day before, voted today")
            #expect(page.contains(#"<span class="help">1 upvote from 2026-11-19 to 2026-11-20</span>"#))
        }
    }
}
