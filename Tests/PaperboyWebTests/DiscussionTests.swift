import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import PaperboyWeb
import Testing

/// Comments, reports, claims, a paper's links and hiding, as visitors, members, moderators and API clients see them.
@Suite("Discussion")
struct DiscussionTests {
    static let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_795_262_400) }
    static let paper = PaperID("2611.00001")!

    /// A JSON content type, without credentials.
    static var json: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return headers
    }

    /// `headers` plus a JSON content type.
    static func jsonHeaders(_ token: String) -> HTTPFields {
        var headers = bearer(token)
        headers[.contentType] = "application/json"
        return headers
    }

    /// A moderator with two-factor sign-in on (staff need it by default to moderate).
    static func moderator(_ site: TestSite, _ name: String = "mod_m") async throws -> (account: Account, token: String)
    {
        let made = try await site.member(name, role: .moderator)
        _ = try await site.store.updateAccount(
            id: made.account.id, .twoFactor(secret: "JBSWY3DPEHPK3PXP", recoveryCodeHashes: []))
        return made
    }

    static func array(_ fetched: Fetched) throws -> [[String: Any]] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(fetched.body.utf8)) as? [[String: Any]], "\(fetched.body)")
    }

    @Test func commentsThroughTheAPI() async throws {
        let site = try await TestSite.make()
        let ada = try await site.member("ada_l")
        let bob = try await site.member("bob_b")
        try await site.run(clock: Self.clock) { client in
            let posted = try await client.send(
                "/api/papers/2611.00001/comments", method: .post, headers: Self.jsonHeaders(ada.token),
                body: #"{"text": "Nice *result*, see https://example.org/x."}"#)
            #expect(posted.status == .created, "\(posted.body)")
            let comment = try object(posted)
            let id = try #require(comment["id"] as? String)
            #expect(comment["text"] as? String == "Nice *result*, see https://example.org/x.")
            #expect((comment["html"] as? String)?.contains("<em>result</em>") == true)
            #expect((comment["author"] as? [String: Any])?["user"] as? String == "ada_l")
            #expect(comment["createdAt"] as? String == "2026-11-21T12:00:00.000Z")
            #expect(comment["editedAt"] == nil)

            let listed = try Self.array(try await client.get("/api/papers/2611.00001/comments"))
            #expect(listed.map { $0["id"] as? String } == [id])
            let items = try Self.array(try await client.get("/api/daily_papers?date=2026-11-20"))
            let item = try #require(items.first { ($0["paper"] as? [String: Any])?["id"] as? String == "2611.00001" })
            #expect(item["numComments"] as? Int == 1)

            // Somebody else's comment: 403, and it is unchanged.
            let foreign = try await client.send(
                "/api/comments/\(id)", method: .patch, headers: Self.jsonHeaders(bob.token), body: #"{"text": "mine"}"#)
            #expect(foreign.status == .forbidden)
            #expect(try object(foreign)["error"] as? String == "comment \(id) is somebody else's")
            #expect(
                try await client.send("/api/comments/\(id)", method: .delete, headers: bearer(bob.token)).status
                    == .forbidden)

            let edited = try await client.send(
                "/api/comments/\(id)", method: .patch, headers: Self.jsonHeaders(ada.token),
                body: #"{"text": "Edited"}"#)
            #expect(edited.status == .ok)
            #expect(try object(edited)["editedAt"] as? String == "2026-11-21T12:00:00.000Z")

            let empty = try await client.send(
                "/api/comments/\(id)", method: .patch, headers: Self.jsonHeaders(ada.token), body: #"{"text": "  "}"#)
            #expect(empty.status == .badRequest)
            #expect(try object(empty)["error"] as? String == "a comment needs some text")
            let long = String(repeating: "x", count: 5_001)
            let tooLong = try await client.send(
                "/api/papers/2611.00001/comments", method: .post, headers: Self.jsonHeaders(ada.token),
                body: #"{"text": "\#(long)"}"#)
            #expect(try object(tooLong)["error"] as? String == "a comment may be at most 5000 characters")

            let anonymous = try await client.send(
                "/api/papers/2611.00001/comments", method: .post, headers: Self.json, body: #"{"text": "hi"}"#)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer realm=\"paperboy\"")

            let deleted = try await client.send("/api/comments/\(id)", method: .delete, headers: bearer(ada.token))
            #expect(deleted.status == .noContent)
            #expect(try Self.array(try await client.get("/api/papers/2611.00001/comments")).isEmpty)
            #expect(
                try await client.send("/api/comments/\(id)", method: .delete, headers: bearer(ada.token)).status
                    == .notFound)
            #expect(try await client.get("/api/papers/2699.99999/comments").status == .notFound)
        }
    }

    @Test func aDeletedAccountsCommentsShowDeletedUser() async throws {
        let site = try await TestSite.make()
        let ada = try await site.member("ada_l")
        _ = try await site.store.addComment(paper: Self.paper, accountID: ada.account.id, text: "Bye", at: Self.clock())
        #expect(try await site.store.deleteAccount(id: ada.account.id))
        try await site.run(clock: Self.clock) { client in
            let listed = try Self.array(try await client.get("/api/papers/2611.00001/comments"))
            let author = try #require(listed.first?["author"] as? [String: Any])
            #expect(author["name"] as? String == "deleted user")
            #expect(author["user"] == nil)
            let page = try await client.get("/papers/2611.00001")
            #expect(page.body.contains(#"<span class="deleted-user">deleted user</span>"#))
        }
    }

    /// Everything a comment's author writes is escaped; only the Markdown subset becomes markup, and only http(s)
    /// links become links.
    @Test func commentsAreEscapedInPagesAndTheAPI() async throws {
        let site = try await TestSite.make()
        let ada = try await site.member("ada_l")
        let payload = #"<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"#
        _ = try await site.store.addComment(
            paper: Self.paper, accountID: ada.account.id, text: payload, at: Self.clock())
        try await site.run(clock: Self.clock) { client in
            let page = try await client.get("/papers/2611.00001").body
            #expect(!page.contains("<script>alert"))
            #expect(!page.contains("<img src=x"))
            #expect(!page.contains(#"href="javascript:"#))
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            let html = try #require(
                try Self.array(try await client.get("/api/papers/2611.00001/comments")).first?["html"] as? String)
            #expect(!html.contains("<script"))
            #expect(!html.contains("href=\"javascript"))
        }
    }

    @Test func theCommentFormNeedsItsCSRFTokenAndShowsTheComment() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("carol_c")
            let forged = try await browser.post("/comments", ["paper": "2611.00001", "text": "forged"])
            #expect(forged.status == .forbidden)
            let sent = try await browser.submitForm(
                on: "/papers/2611.00001", to: "/comments", ["paper": "2611.00001", "text": "First **light**"])
            #expect(sent.status == .seeOther)
            #expect(sent.headers[.location]?.hasPrefix("/papers/2611.00001#comment-") == true)
            let page = try await browser.get("/papers/2611.00001")
            #expect(page.body.contains("First <strong>light</strong>"))
            #expect(page.body.contains("Discussion (1)"))
            #expect(page.headers[.cacheControl] == "private, no-store")
            // The anonymous page shows it too (this node's cache was cleared by the write), with a sign-in link.
            let anonymous = try await client.get("/papers/2611.00001")
            #expect(anonymous.body.contains("First <strong>light</strong>"))
            #expect(anonymous.body.contains("to comment, claim authorship or report"))
            #expect(!anonymous.body.contains("csrf_token"))
        }
    }

    @Test func moderatorsHideCommentsAndMembersCannot() async throws {
        let site = try await TestSite.make()
        let ada = try await site.member("ada_l")
        let mod = try await Self.moderator(site)
        let comment = try #require(
            try await site.store.addComment(
                paper: Self.paper, accountID: ada.account.id, text: "spam", at: Self.clock()))
        try await site.run(clock: Self.clock) { client in
            let refused = try await client.send(
                "/api/comments/\(comment.id)/hide", method: .post, headers: bearer(ada.token))
            #expect(refused.status == .forbidden)
            #expect(try object(refused)["error"] as? String == "only moderators may do this")

            let hidden = try await client.send(
                "/api/comments/\(comment.id)/hide", method: .post, headers: bearer(mod.token))
            #expect(hidden.status == .ok)
            #expect(try object(hidden)["hidden"] as? Bool == true)
            #expect(try Self.array(try await client.get("/api/papers/2611.00001/comments")).isEmpty)
            let asModerator = try Self.array(
                try await client.get("/api/papers/2611.00001/comments", headers: bearer(mod.token)))
            #expect(asModerator.count == 1)
            let items = try Self.array(try await client.get("/api/daily_papers?date=2026-11-20"))
            #expect(items.allSatisfy { $0["numComments"] as? Int == 0 }, "a hidden comment is not counted")
            // Its author cannot edit it any more: it is gone for them.
            let edit = try await client.send(
                "/api/comments/\(comment.id)", method: .patch, headers: Self.jsonHeaders(ada.token),
                body: #"{"text": "x"}"#)
            #expect(edit.status == .notFound)

            let shown = try await client.send(
                "/api/comments/\(comment.id)/unhide", method: .post, headers: bearer(mod.token))
            #expect(shown.status == .ok)
            #expect(try Self.array(try await client.get("/api/papers/2611.00001/comments")).count == 1)
        }
        let log = try await site.store.moderationLog(limit: 10)
        #expect(log.map(\.action) == ["comment.unhide", "comment.hide"])
        #expect(log.first?.actor?.username == "mod_m")
    }

    @Test func reportsWaitInTheQueue() async throws {
        let site = try await TestSite.make()
        let ada = try await site.member("ada_l")
        try await site.run(clock: Self.clock) { client in
            let first = try await client.send(
                "/api/papers/2611.00001/report", method: .post, headers: Self.jsonHeaders(ada.token),
                body: #"{"reason": "not a paper"}"#)
            #expect(first.status == .accepted)
            let again = try await client.send(
                "/api/papers/2611.00001/report", method: .post, headers: Self.jsonHeaders(ada.token), body: "{}")
            #expect(try object(again)["id"] as? String == (try object(first)["id"] as? String))
            let unknown = try await client.send(
                "/api/papers/2699.99999/report", method: .post, headers: Self.jsonHeaders(ada.token), body: "{}")
            #expect(unknown.status == .notFound)
        }
        let open = try await site.store.reports(open: true, limit: 10)
        #expect(open.count == 1)
        #expect(open.first?.reason == "not a paper")
        #expect(open.first?.target == .paper(Self.paper))
    }

    /// The submitter, a claimed author or a moderator sets a paper's links; anybody else is refused.
    @Test func paperLinksByTheSubmitterOnly() async throws {
        let site = try await TestSite.make()
        let ada = try await site.member("ada_l")
        let bob = try await site.member("bob_b")
        _ = try await site.store.submit(Submission(paper: Self.paper, accountID: ada.account.id, at: Self.clock()))
        try await site.run(clock: Self.clock) { client in
            let set = try await client.send(
                "/api/papers/2611.00001", method: .patch, headers: Self.jsonHeaders(ada.token),
                body: #"{"githubRepo": "https://github.com/ada/engine", "projectPage": "https://ada.example.org"}"#)
            #expect(set.status == .ok, "\(set.body)")
            #expect(try object(set)["githubRepo"] as? String == "https://github.com/ada/engine")
            #expect(try object(set)["githubRepoFoundAutomatically"] as? Bool == false)
            #expect(try object(set)["projectPage"] as? String == "https://ada.example.org")

            let other = try await client.send(
                "/api/papers/2611.00001", method: .patch, headers: Self.jsonHeaders(bob.token),
                body: #"{"githubRepo": "https://github.com/bob/x"}"#)
            #expect(other.status == .forbidden)
            #expect(
                try object(other)["error"] as? String
                    == "only the paper's submitter, its claimed authors and moderators may change its links")

            let script = try await client.send(
                "/api/papers/2611.00001", method: .patch, headers: Self.jsonHeaders(ada.token),
                body: #"{"projectPage": "javascript:alert(1)"}"#)
            #expect(script.status == .badRequest)
            #expect(
                try object(script)["error"] as? String == "projectPage must be an http(s) URL of at most 500 characters"
            )

            let cleared = try await client.send(
                "/api/papers/2611.00001", method: .patch, headers: Self.jsonHeaders(ada.token),
                body: #"{"projectPage": null}"#)
            #expect(try object(cleared)["projectPage"] == nil)
            #expect(try object(cleared)["githubRepo"] as? String == "https://github.com/ada/engine")

            let page = try await client.get("/papers/2611.00001")
            #expect(
                page.body.contains(#"<a class="button" href="https://github.com/ada/engine" rel="nofollow">Code</a>"#))
        }
    }

    @Test func aMemberClaimsAuthorshipThroughThePage() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("alan_t")
            let page = try await browser.get("/papers/2611.00001")
            #expect(page.body.contains(#"<option value="1">Alan Turing</option>"#))
            let sent = try await browser.submitForm(
                on: "/papers/2611.00001", to: "/claim", ["paper": "2611.00001", "author": "1"])
            #expect(sent.status == .ok)
            #expect(sent.body.contains("Your claim to be Alan Turing is waiting for a moderator."))
            let twice = try await browser.submitForm(
                on: "/papers/2611.00001", to: "/claim", ["paper": "2611.00001", "author": "0"])
            #expect(twice.status == .conflict)
        }
        let pending = try await site.store.claims(status: .pending, limit: 10)
        #expect(pending.map(\.authorName) == ["Alan Turing"])
    }

    /// A hidden paper is gone for everyone but moderators: its page, its API answer and the listings.
    @Test func aHiddenPaperIsGoneForEveryoneButModerators() async throws {
        let site = try await TestSite.make()
        let ada = try await site.member("ada_l")
        let mod = try await Self.moderator(site)
        try await site.run(clock: Self.clock) { client in
            #expect(
                try await client.send("/api/papers/2611.00001/hide", method: .post, headers: bearer(ada.token)).status
                    == .forbidden)
            let hidden = try await client.send("/api/papers/2611.00001/hide", method: .post, headers: bearer(mod.token))
            #expect(hidden.status == .ok)
            #expect(try await client.get("/api/papers/2611.00001").status == .notFound)
            #expect(try await client.get("/papers/2611.00001").status == .notFound)
            #expect(try await client.get("/api/papers/2611.00001", headers: bearer(ada.token)).status == .notFound)
            #expect(try await client.get("/api/papers/2611.00001", headers: bearer(mod.token)).status == .ok)
            let items = try Self.array(try await client.get("/api/daily_papers?date=2026-11-20"))
            #expect(items.map { ($0["paper"] as? [String: Any])?["id"] as? String } == ["2611.00002"])
            #expect(!(try await client.get("/feeds/daily.xml").body.contains("2611.00001")))
            #expect(!(try await client.get("/sitemap.xml").body.contains("2611.00001")))

            _ = try await client.send("/api/papers/2611.00001/unhide", method: .post, headers: bearer(mod.token))
            #expect(try await client.get("/papers/2611.00001").status == .ok)
        }
    }
}
