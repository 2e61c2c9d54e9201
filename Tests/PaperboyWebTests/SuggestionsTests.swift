import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// `/api/suggest`: what the search box offers as a person types.
@Suite struct SuggestionsTests {
    struct Answer: Decodable {
        struct Paper: Decodable {
            let id: String
            let title: String
            let url: String
        }

        struct Author: Decodable {
            let name: String
            let papers: Int
            let url: String
        }

        let query: String
        let papers: [Paper]
        let authors: [Author]
    }

    func suggest(_ client: some TestClientProtocol, _ q: String) async throws -> Answer {
        let answer = try await client.get("/api/suggest?q=" + TestBrowser.encode(q))
        #expect(answer.status == .ok)
        #expect(answer.headers[.contentType] == "application/json; charset=utf-8")
        return try JSONDecoder().decode(Answer.self, from: Data(answer.body.utf8))
    }

    @Test func papersByWordsTypedSoFarAndAuthorsByTheStartOfTheirName() async throws {
        try await TestSite.make().run { client in
            // The last word is a prefix while it is being typed.
            let quantum = try await suggest(client, "quantum err")
            #expect(quantum.papers.map(\.id) == ["2611.00002"])
            #expect(quantum.papers.first?.title == "Quantum Error Correction at Scale")
            #expect(quantum.papers.first?.url == "/papers/2611.00002")
            // Lower case finds capitalised names; each author once, most papers first.
            let authors = try await suggest(client, "a")
            #expect(authors.papers.isEmpty && authors.authors.isEmpty)
            let al = try await suggest(client, "al")
            #expect(al.authors.map(\.name) == ["Alan Turing"])
            #expect(al.authors.first?.papers == 2)
            #expect(al.authors.first?.url == "/authors/Alan%20Turing")
            let ada = try await suggest(client, "Ada Lo")
            #expect(ada.authors.map(\.name) == ["Ada Lovelace"])
            #expect(try await suggest(client, "zzzz").authors.isEmpty)
            // Syntax is read as words: nothing is excluded or filtered by a stray `-` or `author:`.
            #expect(try await suggest(client, "-quantum error").papers.map(\.id) == ["2611.00002"])
        }
    }

    @Test func longTextIsCutAndTooLongTextIsRefused() async throws {
        try await TestSite.make().run { client in
            let long = try await suggest(client, "galaxy " + String(repeating: "x", count: 200))
            #expect(long.query.count == 100)
            let refused = try await client.get("/api/suggest?q=" + String(repeating: "y", count: 1_001))
            #expect(refused.status == .badRequest)
            #expect(refused.body == #"{"error":"q must be at most 1000 characters"}"#)
        }
    }

    @Test func theVoteFormAnswersJSONToTheScript() async throws {
        try await TestSite.make().run { client in
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let page = try await browser.get("/papers/2611.00001")
            let csrf = try #require(TestBrowser.csrfToken(in: page.body))
            let json: HTTPFields = [.accept: "application/json"]
            let up = try await browser.post(
                "/vote", ["paper": "2611.00001", "change": "up", "csrf_token": csrf], headers: json)
            #expect(up.status == .ok)
            #expect(up.body == #"{"upvoted":true,"upvotes":1}"#)
            let down = try await browser.post(
                "/vote", ["paper": "2611.00001", "change": "remove", "csrf_token": csrf], headers: json)
            #expect(down.body == #"{"upvoted":false,"upvotes":0}"#)
            // Without the token it is refused as the form is.
            let forged = try await browser.post("/vote", ["paper": "2611.00001", "change": "up"], headers: json)
            #expect(forged.status == .forbidden)
        }
    }
}
