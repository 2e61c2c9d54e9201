import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// "For you" as people see it: what they like comes first, what they do not want never comes back, and nobody sees
/// another person's list. The site runs keyword-only here (no model), so the category and co-author parts rank.
@Suite("Recommendations")
struct RecommendationTests {
    static let clock = CommunityTests.clock

    /// Six astrophysics, six machine-learning and three string-theory papers, featured on 2026-11-19 and -20.
    static let papers: [Paper] = {
        func make(_ n: Int, _ topic: String, _ category: String, _ author: String) -> Paper {
            Fixtures.paper(
                String(format: "2611.%05d", 10_000 + n), title: "\(topic) study number \(n)",
                abstract: "A study of \(topic.lowercased()) number \(n).", authors: [author],
                categories: [category], versions: [(1, n % 2 == 0 ? "2026-11-19T10:00:00Z" : "2026-11-20T10:00:00Z")])
        }
        let astro = (1...6).map { make($0, "Galaxy", $0 % 2 == 0 ? "astro-ph.GA" : "astro-ph.CO", "Vera Rubin \($0)") }
        let ml = (7...12).map { make($0, "Learning", "cs.LG", "Ada Lovelace \($0)") }
        let strings = (13...15).map { make($0, "String", "hep-th", "Ed Witten \($0)") }
        return astro + ml + strings
    }()
    static let astro = (1...6).map { String(format: "2611.%05d", 10_000 + $0) }
    static let machineLearning = (7...12).map { String(format: "2611.%05d", 10_000 + $0) }

    static func site(cacheTTL: Duration = .zero) async throws -> TestSite {
        try await TestSite.make(
            papers: papers, config: WebConfiguration(cacheTTL: cacheTTL, community: TestSite.testCommunity))
    }

    static func recommended(_ client: any TestClientProtocol, token: String, query: String = "") async throws
        -> [[String: Any]]
    {
        let answer = try await client.get("/api/recommendations\(query)", headers: bearer(token))
        #expect(answer.status == .ok, "\(answer.body)")
        #expect(answer.headers[.cacheControl] == "private, no-store")
        return try CollectionTests.array(answer)
    }

    static func ids(_ items: [[String: Any]]) -> [String] {
        items.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
    }

    static func upvote(_ client: any TestClientProtocol, _ paper: String, token: String) async throws {
        let answer = try await client.send("/api/papers/\(paper)/upvote", method: .post, headers: bearer(token))
        #expect(answer.status == .ok, "\(answer.body)")
    }

    @Test func someoneWhoUpvotesOnlyAstrophysicsGetsAstrophysicsFirst() async throws {
        let site = try await Self.site()
        let ada = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            #expect(try await Self.recommended(client, token: ada.token).isEmpty)
            for paper in Self.astro.prefix(2) { try await Self.upvote(client, paper, token: ada.token) }
            let items = try await Self.recommended(client, token: ada.token)
            let ids = Self.ids(items)
            // The four other astrophysics papers first; the voted ones never.
            #expect(Set(ids.prefix(4)) == Set(Self.astro.dropFirst(2)))
            #expect(ids.count == Self.papers.count - 2 && Set(ids).isDisjoint(with: Self.astro.prefix(2)))
            let because = try #require(items.first?["because"] as? [String: Any])
            #expect(Self.astro.prefix(2).contains(because["id"] as? String ?? ""))
            #expect(because["signal"] as? String == "upvote")
            #expect(items.first?["upvoted"] as? Bool == false)
            #expect(Self.ids(try await Self.recommended(client, token: ada.token, query: "?limit=3")).count == 3)
            // Nothing featured in the day before the newest featured day (2026-11-20) is liked as much; a window of
            // one day keeps 2026-11-20's papers only.
            let oneDay = Self.ids(try await Self.recommended(client, token: ada.token, query: "?days=1"))
            #expect(
                oneDay.prefix(2) == ["2611.10005", "2611.10003"] || oneDay.prefix(2) == ["2611.10003", "2611.10005"])
            #expect(oneDay.allSatisfy { Int($0.suffix(2)).map { $0 % 2 == 1 } ?? false })
            let bad = try await client.get("/api/recommendations?days=0", headers: bearer(ada.token))
            #expect(bad.status == .badRequest)
            #expect(try CollectionTests.error(bad) == "days must be an integer from 1 to 90")
        }
    }

    @Test func theForYouPageRanksCardsAndSaysWhy() async throws {
        let site = try await Self.site()
        let ada = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            try await Self.upvote(client, Self.machineLearning[0], token: ada.token)
            let browser = TestBrowser(client)
            #expect(try await browser.logIn("ada").status == .seeOther)
            let page = try await browser.get("/for-you")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "private, no-store")
            let firstLearning = try #require(page.body.range(of: "Learning study number"))
            let firstGalaxy = try #require(page.body.range(of: "Galaxy study number"))
            #expect(firstLearning.lowerBound < firstGalaxy.lowerBound)
            #expect(page.body.contains("Because you liked <a href=\"/papers/2611.10007\">Learning study number 7</a>"))
            #expect(page.body.contains("<form class=\"not-interested\" method=\"post\" action=\"/not-interested\">"))
            #expect(!page.body.contains("name=\"paper\" value=\"2611.10007\""), "the voted paper is not a card")
        }
    }

    @Test func aPaperMarkedNotInterestedNeverComesBackUntilUndone() async throws {
        let site = try await Self.site()
        let ada = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            for paper in Self.astro.prefix(2) { try await Self.upvote(client, paper, token: ada.token) }
            let target = Self.astro[2]
            let browser = TestBrowser(client)
            _ = try await browser.logIn("ada")
            #expect(try await browser.get("/for-you").body.contains("value=\"\(target)\""))
            let marked = try await browser.submitForm(
                on: "/for-you", to: "/not-interested", ["paper": target, "next": "/for-you"])
            #expect(marked.status == .seeOther && marked.headers[.location] == "/for-you")
            #expect(!(try await browser.get("/for-you").body.contains("value=\"\(target)\"")))
            #expect(
                !Self.ids(try await Self.recommended(client, token: ada.token, query: "?limit=100")).contains(target))
            // The settings list it, with a button that takes the mark back.
            let settings = try await browser.get("/for-you/settings")
            #expect(settings.body.contains("<a href=\"/papers/\(target)\">Galaxy study number 3</a>"))
            let undone = try await browser.submitForm(
                on: "/for-you/settings", to: "/not-interested",
                ["paper": target, "undo": "1", "next": "/for-you/settings"])
            #expect(undone.headers[.location] == "/for-you/settings")
            #expect(Self.ids(try await Self.recommended(client, token: ada.token)).contains(target))
            // The API marks and unmarks the same way.
            let post = try await client.send(
                "/api/papers/\(target)/not-interested", method: .post, headers: bearer(ada.token))
            #expect(post.status == .ok)
            #expect(post.body == #"{"notInterested":true,"paperId":"\#(target)"}"#)
            #expect(!Self.ids(try await Self.recommended(client, token: ada.token)).contains(target))
            let delete = try await client.send(
                "/api/papers/\(target)/not-interested", method: .delete, headers: bearer(ada.token))
            #expect(delete.body == #"{"notInterested":false,"paperId":"\#(target)"}"#)
            let unknown = try await client.send(
                "/api/papers/2611.99999/not-interested", method: .post, headers: bearer(ada.token))
            #expect(unknown.status == .notFound)
            #expect(try CollectionTests.error(unknown) == "no paper has the id 2611.99999")
            let anonymous = try await client.send("/api/papers/\(target)/not-interested", method: .post)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func nobodySeesAnotherPersonsRecommendations() async throws {
        // The anonymous cache is on: a signed-in answer must never be kept for anybody else.
        let site = try await Self.site(cacheTTL: .seconds(60))
        let ada = try await site.member("ada")
        let bob = try await site.member("bob")
        try await site.run(clock: Self.clock) { client in
            for paper in Self.astro.prefix(2) { try await Self.upvote(client, paper, token: ada.token) }
            try await Self.upvote(client, Self.machineLearning[0], token: bob.token)
            let adas = Self.ids(try await Self.recommended(client, token: ada.token))
            let bobs = Self.ids(try await Self.recommended(client, token: bob.token))
            #expect(Self.astro.contains(adas[0]) && Self.machineLearning.contains(bobs[0]))
            #expect(bobs.contains(Self.astro[0]) && !adas.contains(Self.astro[0]))
            let anonymous = try await client.get("/api/recommendations")
            #expect(anonymous.status == .unauthorized)
            #expect(
                try CollectionTests.error(anonymous)
                    == "sign in or send a personal access token (Authorization: Bearer pb_...)")
            let page = try await client.get("/for-you")
            #expect(page.status == .seeOther && page.headers[.location] == "/login?next=%2Ffor-you")
            let settings = try await client.get("/for-you/settings")
            #expect(settings.headers[.location] == "/login?next=%2Ffor-you%2Fsettings")
        }
    }

    @Test func marksAreLimitedAndExportedWithTheSettings() async throws {
        let site = try await Self.site()
        let ada = try await site.member("ada")
        // The limiter's clock stands still: under a loaded full suite the 121 calls may take over a minute.
        let frozen = ContinuousClock.now
        try await site.run(now: { frozen }, clock: Self.clock) { client in
            for n in 0..<120 {
                let paper = n % 2 == 0 ? Self.astro[0] : Self.astro[1]
                let method: HTTPRequest.Method = n % 4 < 2 ? .post : .delete
                let answer = try await client.send(
                    "/api/papers/\(paper)/not-interested", method: method, headers: bearer(ada.token))
                #expect(answer.status == .ok)
            }
            let limited = try await client.send(
                "/api/papers/\(Self.astro[2])/not-interested", method: .post, headers: bearer(ada.token))
            #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] != nil)
            #expect(try CollectionTests.error(limited) == "Too many “not interested” marks: at most 120 a minute.")
            try await site.store.setRecommendationSettings(
                accountID: ada.account.id,
                RecommendationSettings(categories: ["hep-th"], seedPapers: [PaperID("2611.10007")!]), at: Self.clock())
            _ = try await site.store.setNotInterested(
                accountID: ada.account.id, paper: PaperID("2611.10008")!, on: true, at: Self.clock())
            let export = try await client.get("/settings/export.json", headers: bearer(ada.token))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(export.body.utf8)) as? [String: Any])
            let recommendations = try #require(object["recommendations"] as? [String: [String]])
            #expect(recommendations["categories"] == ["hep-th"])
            #expect(recommendations["seedPapers"] == ["2611.10007"])
            #expect(recommendations["notInterested"] == ["2611.10008"])
        }
    }

    @Test func categoriesPickedInSettingsStartRecommendations() async throws {
        let site = try await Self.site()
        let ada = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            _ = try await browser.logIn("ada")
            let empty = try await browser.get("/for-you")
            #expect(empty.body.contains("Nothing to go on yet"))
            let bad = try await browser.submitForm(
                on: "/for-you/settings", to: "/for-you/settings", ["categories": "hep-th LG!", "seed_papers": ""])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("“LG!” is not an arXiv category such as cs.LG or hep-ph"))
            #expect(bad.body.contains("value=\"hep-th LG!\""), "the form keeps what was typed")
            let unknown = try await browser.submitForm(
                on: "/for-you/settings", to: "/for-you/settings",
                ["categories": "hep-th", "seed_papers": "2611.99999"])
            #expect(unknown.body.contains("no paper here has the id 2611.99999: submit it first"))
            let saved = try await browser.submitForm(
                on: "/for-you/settings", to: "/for-you/settings",
                ["categories": "hep-th", "seed_papers": "2611.10007"])
            #expect(saved.status == .ok && saved.body.contains("Saved"))
            let ids = Self.ids(try await Self.recommended(client, token: ada.token))
            #expect(Set(ids.prefix(3)) == ["2611.10013", "2611.10014", "2611.10015"])
            #expect(!ids.contains("2611.10007"), "a seed paper is liked, so never recommended")
            #expect(
                try await site.store.recommendationSettings(accountID: ada.account.id)
                    == RecommendationSettings(categories: ["hep-th"], seedPapers: [PaperID("2611.10007")!]))
        }
    }
}
