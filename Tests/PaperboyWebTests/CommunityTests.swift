import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboyWeb
import Synchronization
import Testing

/// Accounts, votes, submissions and trending as visitors and API clients see them.
@Suite("Community")
struct CommunityTests {
    /// The tests' wall clock: noon of the day after the fixtures' newest day, 2026-11-21T12:00:00Z.
    static let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_795_262_400) }

    // MARK: The anonymous cache never serves a person's page

    @Test func signedInAnswersBypassTheSharedCache() async throws {
        let site = try await TestSite.make(
            config: WebConfiguration(cacheTTL: .seconds(60), community: TestSite.testCommunity))
        try await site.run(clock: Self.clock) { client in
            let anonymous = try await client.get("/")
            #expect(anonymous.headers[.cacheControl] == "public, max-age=60")
            #expect(anonymous.headers[.vary] == "Accept-Encoding, Cookie, Authorization")
            #expect(anonymous.headers[.setCookie] == nil, "anonymous pages set no cookie")
            #expect(anonymous.body.contains("Log in"))

            let browser = TestBrowser(client)
            try await browser.signUp("zyxwuser")
            let personal = try await browser.get("/")
            #expect(personal.headers[.cacheControl] == "private, no-store")
            #expect(personal.body.contains("zyxwuser"), "the signed-in page is not the cached anonymous one")
            #expect(!personal.body.contains(">Log in<"))

            // Right after the signed-in page, an anonymous visitor gets no trace of that user.
            let again = try await client.get("/")
            #expect(!again.body.contains("zyxwuser"))
            #expect(again.body == anonymous.body)
        }
    }

    @Test func anInvalidBearerTokenIsIgnoredOnPublicRoutes() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let headers = bearer("hf_notOurs")
            let answer = try await client.get("/api/daily_papers", headers: headers)
            #expect(answer.status == .ok)
            #expect(answer.headers[.cacheControl] == "private, no-store")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [[String: Any]])
            #expect(items.first?["upvoted"] == nil, "anonymous items carry no upvoted field")
            #expect(try await client.get("/", headers: headers).status == .ok)
        }
    }

    @Test func corsAllowsWritesWithoutCredentials() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            var headers = HTTPFields()
            headers[.origin] = "https://elsewhere.example"
            headers[.accessControlRequestMethod] = "POST"
            headers[.accessControlRequestHeaders] = "authorization, content-type, x-csrf-token"
            let answer = try await client.send("/api/papers/submit", method: .options, headers: headers)
            let methods = answer.headers[.accessControlAllowMethods] ?? ""
            for method in ["POST", "PUT", "PATCH", "DELETE"] { #expect(methods.contains(method), "\(methods)") }
            let allowed = (answer.headers[.accessControlAllowHeaders] ?? "").lowercased()
            for header in ["authorization", "content-type", "x-csrf-token"] { #expect(allowed.contains(header)) }
            #expect(answer.headers[.accessControlAllowCredentials] == nil)
            // A search read from another origin shows its totals to the script.
            let search = try await client.get("/api/papers/search?q=quantum&mode=keyword", headers: headers)
            #expect(
                search.headers[.accessControlExposeHeaders] == "X-Total-Count, X-Total-Count-Estimated, X-Search-Mode")
        }
    }

    // MARK: Upvotes

    @Test func votingThroughTheAPIIsIdempotent() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let url = "/api/papers/2611.00001/upvote"
            for _ in 0..<2 {
                let answer = try await client.send(url, method: .post, headers: bearer(token))
                #expect(answer.status == .ok)
                #expect(try object(answer)["upvotes"] as? Int == 1)
                #expect(try object(answer)["upvoted"] as? Bool == true)
            }
            let paper = try object(try await client.get("/api/papers/2611.00001", headers: bearer(token)))
            #expect(paper["upvotes"] as? Int == 1)
            #expect(paper["upvoted"] as? Bool == true)
            let anonymous = try object(try await client.get("/api/papers/2611.00001"))
            #expect(anonymous["upvoted"] == nil)
            for _ in 0..<2 {
                let answer = try await client.send(url, method: .delete, headers: bearer(token))
                #expect(try object(answer)["upvotes"] as? Int == 0)
                #expect(try object(answer)["upvoted"] as? Bool == false)
            }
            let unknown = try await client.send("/api/papers/2611.99999/upvote", method: .post, headers: bearer(token))
            #expect(unknown.status == .notFound)
            #expect(try object(unknown)["error"] as? String == "paper 2611.99999 not found")
        }
    }

    @Test func writesNeedAnAccount() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let none = try await client.send("/api/papers/2611.00001/upvote", method: .post)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer realm=\"paperboy\"")
            let bad = try await client.send(
                "/api/papers/2611.00001/upvote", method: .post,
                headers: bearer("pb_" + String(repeating: "A", count: 40)))
            #expect(bad.status == .unauthorized)
            #expect(bad.headers[.wwwAuthenticate] == "Bearer realm=\"paperboy\", error=\"invalid_token\"")
            #expect(
                try object(bad)["error"] as? String
                    == "the token is not valid (revoked, mistyped or its account disabled)")
            let submit = try await client.send(
                "/api/papers/submit", method: .post, body: #"{"paper_id": "2611.00001"}"#)
            #expect(submit.status == .unauthorized)
        }
    }

    @Test func aBrowserSessionNeedsItsCSRFTokenForAPIWrites() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let without = try await browser.send("/api/papers/2611.00001/upvote", method: .post)
            #expect(without.status == .forbidden)
            #expect(
                try object(without)["error"] as? String
                    == "a signed-in browser must send its CSRF token in X-CSRF-Token")
            let token = try #require(TestBrowser.csrfToken(in: try await browser.get("/").body))
            var headers = HTTPFields()
            headers[.xCSRFTokenForTests] = token
            let with = try await browser.send("/api/papers/2611.00001/upvote", method: .post, headers: headers)
            #expect(with.status == .ok)
        }
    }

    @Test func votingThroughTheFormNeedsTheCSRFTokenAndShowsTheCount() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let anonymous = try await client.get("/papers/2611.00001")
            #expect(anonymous.body.contains(#"href="/login?next=%2Fpapers%2F2611.00001""#))

            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let forged = try await browser.post("/vote", ["paper": "2611.00001", "change": "up"])
            #expect(forged.status == .forbidden)
            let wrong = try await browser.post(
                "/vote", ["paper": "2611.00001", "change": "up", "csrf_token": "not-the-token"])
            #expect(wrong.status == .forbidden)

            let voted = try await browser.submitForm(
                on: "/papers/2611.00001", to: "/vote",
                ["paper": "2611.00001", "change": "up", "next": "/papers/2611.00001"])
            #expect(voted.status == .seeOther)
            #expect(voted.headers[.location] == "/papers/2611.00001")
            let page = try await browser.get("/papers/2611.00001")
            #expect(page.body.contains(#"aria-pressed="true""#))
            #expect(try await site.store.paper(id: PaperID("2611.00001")!, audience: .everyone)?.upvotes == 1)
            // An open redirect is refused: `next` must be a path of this site.
            let evil = try await browser.submitForm(
                on: "/", to: "/vote", ["paper": "2611.00002", "change": "up", "next": "//evil.example/"])
            #expect(evil.headers[.location] == "/papers/2611.00002")
        }
    }

    @Test func aHundredConcurrentVotersCountExactlyAHundred() async throws {
        let site = try await TestSite.make()
        var tokens: [String] = []
        for i in 0..<100 { tokens.append(try await site.member("voter\(i)").token) }
        let all = tokens
        try await site.run(clock: Self.clock) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for token in all {
                    group.addTask {
                        try await client.send("/api/papers/2611.00002/upvote", method: .post, headers: bearer(token))
                            .status
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            #expect(try object(try await client.get("/api/papers/2611.00002"))["upvotes"] as? Int == 100)
        }
    }

    // MARK: Submissions

    static let fresh = Fixtures.paper(
        "2611.00100", title: "A <b>Fresh</b> Result", abstract: "Brand new.", versions: [(1, "2026-11-21T01:00:00Z")])
    static let withdrawn = Fixtures.paper(
        "2611.00101", title: "Gone", abstract: "This paper has been withdrawn by the author.",
        versions: [(1, "2026-11-20T01:00:00Z")])

    @Test func submittingChecksInTheDocumentedOrder() async throws {
        var community = TestSite.testCommunity
        community.submitLimit = 2
        let site = try await TestSite.make(config: WebConfiguration(cacheTTL: .zero, community: community))
        let (_, token) = try await site.member("ada")
        let (_, other) = try await site.member("bob")
        let lookup = StubLookup([Self.fresh, Self.withdrawn])
        try await site.run(lookup: lookup, clock: Self.clock) { client in
            func submit(_ body: String, as token: String) async throws -> Fetched {
                var headers = bearer(token)
                headers[.contentType] = "application/json"
                return try await client.send("/api/papers/submit", method: .post, headers: headers, body: body)
            }
            let malformed = try await submit(#"{"paper_id": "not an id"}"#, as: token)
            #expect(malformed.status == .badRequest)
            #expect(
                try object(malformed)["error"] as? String
                    == "paper_id must be an arXiv id such as 2511.01234 or hep-th/9901001")
            #expect(try await submit("{", as: token).status == .badRequest)

            let unknown = try await submit(#"{"paper_id": "2611.09999"}"#, as: token)
            #expect(unknown.status == .notFound)
            #expect(try object(unknown)["error"] as? String == "arXiv has no paper 2611.09999")

            let old = try await submit(#"{"paper_id": "hep-th/9901001"}"#, as: token)
            #expect(old.status == .unprocessableContent)
            let gone = try await submit(#"{"paper_id": "2611.00101"}"#, as: token)
            #expect(gone.status == .unprocessableContent)
            #expect(try object(gone)["error"] as? String == "paper 2611.00101 was withdrawn")

            let created = try await submit(#"{"paper_id": "2611.00100v2", "comment": "Worth a read"}"#, as: token)
            #expect(created.status == .created, "\(created.body)")
            let item = try object(created)
            let by = try #require(item["submittedBy"] as? [String: Any])
            #expect(by["user"] as? String == "ada")
            #expect(by["name"] as? String == "ada")
            #expect(by["fullname"] as? String == "Ada")
            #expect(by["avatarUrl"] as? String == "http://127.0.0.1:8080/avatars/ada.svg")
            #expect(item["publishedAt"] as? String == "2026-11-21T12:00:00.000Z", "featured at the submission time")

            let again = try await submit(#"{"paper_id": "2611.00100"}"#, as: other)
            #expect(again.status == .conflict)
            #expect((try object(again)["item"] as? [String: Any])?["title"] as? String == "A <b>Fresh</b> Result")

            // Already stored papers need no lookup; the limit counts successful submissions of the UTC day.
            let before = lookup.lookups
            #expect(try await submit(#"{"paper_id": "2611.00001"}"#, as: token).status == .created)
            #expect(lookup.lookups == before)
            let limited = try await submit(#"{"paper_id": "2611.00002"}"#, as: token)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "43200")

            // The submitter shows in the API (and filters it), and on the paper page, escaped.
            let mine = try #require(
                try await client.json("/api/daily_papers?submitter=ada") as? [[String: Any]])
            #expect(
                Set(mine.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }) == [
                    "2611.00100", "2611.00001",
                ])
            #expect((try await client.json("/api/daily_papers?submitter=bob") as? [[String: Any]])?.isEmpty == true)
            let paper = try object(try await client.get("/api/papers/2611.00100"))
            #expect((paper["submittedOnDailyBy"] as? [String: Any])?["user"] as? String == "ada")
            let page = try await client.get("/papers/2611.00100")
            #expect(page.body.contains("Submitted to Paperboy by"))
            #expect(page.body.contains("A &lt;b&gt;Fresh&lt;/b&gt; Result"))
            let day = try #require(try await client.json("/api/daily_papers?date=2026-11-21") as? [[String: Any]])
            #expect(
                day.contains { ($0["paper"] as? [String: Any])?["id"] as? String == "2611.00001" }, "moved to today")
        }
    }

    @Test func anUnreachableArXivAnswers503() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(lookup: StubLookup(unavailable: true), clock: Self.clock) { client in
            let answer = try await client.send(
                "/api/papers/submit", method: .post, headers: bearer(token), body: #"{"paper_id": "2611.07777"}"#)
            #expect(answer.status == .serviceUnavailable)
            #expect(try object(answer)["error"] as? String == "arXiv cannot be reached right now; try again later")
        }
    }

    @Test func theSubmitFormFeaturesThePaper() async throws {
        let site = try await TestSite.make()
        try await site.run(lookup: StubLookup([Self.fresh]), clock: Self.clock) { client in
            #expect(try await client.get("/submit").headers[.location] == "/login?next=%2Fsubmit")
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let answer = try await browser.submitForm(on: "/submit", to: "/submit", ["paper_id": "2611.00100"])
            #expect(answer.status == .seeOther)
            #expect(answer.headers[.location] == "/papers/2611.00100")
            let twice = try await browser.submitForm(on: "/submit", to: "/submit", ["paper_id": "2611.00100"])
            #expect(twice.status == .conflict)
            #expect(twice.body.contains("paper 2611.00100 was submitted already"))
        }
    }

    // MARK: Trending

    @Test func trendingWeighsVotesByAge() async throws {
        let site = try await TestSite.make()
        var fans: [String] = []
        for i in 0..<3 { fans.append(try await site.member("fan\(i)").token) }
        let tokens = fans
        try await site.run(clock: Self.clock) { client in
            // Trending counts hours to the end of the newest day (2026-11-21T00:00Z). 2611.00003 (featured
            // 2026-11-19T15:00Z) gets 3 votes, 2611.00001 (2026-11-20T09:00Z) gets 2: with gravity 1.5 the newer one
            // wins (2 / 17^1.5 = 0.029 > 3 / 35^1.5 = 0.014); by plain votes the older one would lead.
            for token in tokens {
                _ = try await client.send("/api/papers/2611.00003/upvote", method: .post, headers: bearer(token))
            }
            for token in tokens.prefix(2) {
                _ = try await client.send("/api/papers/2611.00001/upvote", method: .post, headers: bearer(token))
            }
            let trending = try #require(try await client.json("/api/daily_papers?sort=trending") as? [[String: Any]])
            let ids = trending.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
            #expect(Array(ids.prefix(2)) == ["2611.00001", "2611.00003"])
            let page = try await client.get("/trending")
            #expect(page.status == .ok)
            let first = try #require(page.body.range(of: "Attention Is All You Need Again"))
            let second = try #require(page.body.range(of: "Galaxy Spectra Without Calibration"))
            #expect(first.lowerBound < second.lowerBound)
        }
    }

    // MARK: Accounts

    @Test func signUpLogInAndOut() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            let signup = try await browser.signUp("Grace_H", email: "Grace@Example.org")
            let cookie = try #require(signup.headers[values: .setCookie].first { $0.hasPrefix("pb_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"), "not over https")
            #expect(try await site.store.account(username: "grace_h")?.email == "Grace@Example.org")

            // Sign out ends the session on the server: the old cookie no longer signs in.
            let oldSession = try #require(browser.cookie("pb_session"))
            let html = try await browser.get("/").body
            let out = try await browser.post("/logout", ["csrf_token": try #require(TestBrowser.csrfToken(in: html))])
            #expect(out.status == .seeOther)
            var replay = HTTPFields()
            replay[.cookie] = "pb_session=\(oldSession)"
            #expect(!(try await client.get("/", headers: replay).body.contains("grace_h")))

            // By email, without regard to case.
            let login = try await browser.logIn("GRACE@example.org")
            #expect(login.status == .seeOther)
            #expect(try await browser.get("/").body.contains("grace_h"))
        }
    }

    @Test func aSessionIDTheBrowserBroughtIsNeverKept() async throws {
        let site = try await TestSite.make()
        _ = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            browser.setCookie("pb_session", "attackerChosenSessionId0000000000000000000")
            _ = try await browser.logIn("ada")
            #expect(browser.cookie("pb_session") != "attackerChosenSessionId0000000000000000000")
            #expect(try await browser.get("/").body.contains("ada"))
        }
    }

    @Test func signUpRefusesBadInput() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            let cases: [([String: String], String)] = [
                (
                    ["username": "<script>", "email": "a@example.org", "password": "long enough pw"],
                    "Username: a username is 2 to 30 characters: letters a-z, digits, _ and -."
                ),
                (
                    ["username": "admin", "email": "a@example.org", "password": "long enough pw"],
                    "Username: that username is reserved."
                ),
                (
                    ["username": "ok_name", "email": "no-at-sign", "password": "long enough pw"],
                    "Email: enter an address such as name@example.org."
                ),
                (
                    ["username": "ok_name", "email": "a@example.org", "password": "short"],
                    "Password: a password is 10 to 72 bytes long."
                ),
            ]
            for (fields, message) in cases {
                let answer = try await browser.submitForm(on: "/signup", to: "/signup", fields)
                #expect(answer.status == .unprocessableContent)
                #expect(answer.body.contains(message), "\(fields)")
            }
            let noToken = try await browser.post(
                "/signup", ["username": "ok_name", "email": "a@example.org", "password": "long enough pw"])
            #expect(noToken.status == .forbidden)
            // SQL is stored as text.
            try await browser.signUp("bobby", email: "bobby@example.org")
            let injected = "Robert'); DROP TABLE users;--"
            let bob = try #require(try await site.store.account(username: "bobby"))
            _ = try await site.store.updateAccount(id: bob.id, .fullname(injected))
            #expect(try await site.store.account(username: "bobby")?.fullname == injected)
        }
    }

    @Test func sessionsExpireWhenIdleAndAfterThirtyDays() async throws {
        let site = try await TestSite.make()
        let start = Date(timeIntervalSince1970: 1_795_262_400)
        let offset = Mutex<TimeInterval>(0)
        try await site.run(clock: { start.addingTimeInterval(offset.withLock { $0 }) }) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("idler")
            // Seen every six days, the session lives on, up to thirty days from sign-in.
            for _ in 0..<4 {
                offset.withLock { $0 += 6 * 86_400 }
                #expect(try await browser.get("/").body.contains("idler"))
            }
            offset.withLock { $0 += 6 * 86_400 + 60 }
            #expect(!(try await browser.get("/").body.contains("idler")), "30 days after sign-in it has ended")

            _ = try await browser.logIn("idler")
            offset.withLock { $0 += 7 * 86_400 + 60 }
            #expect(!(try await browser.get("/").body.contains("idler")), "a week without a visit ends it")
        }
    }

    @Test func signUpsPerAddressAreLimited() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            for i in 0..<5 { try await TestBrowser(client).signUp("newcomer\(i)") }
            let sixth = try await TestBrowser(client).submitForm(
                on: "/signup", to: "/signup",
                ["username": "newcomer5", "email": "n5@example.org", "password": "correct horse battery"])
            #expect(sixth.status == .tooManyRequests)
            #expect(Int(sixth.headers[.retryAfter] ?? "") ?? 0 > 3_000)
        }
    }

    @Test func failedLoginsAreRateLimitedWithoutSleeping() async throws {
        let site = try await TestSite.make()
        _ = try await site.member("ada")
        // The limiter's clock stands still: a slow machine cannot let the block run out between the requests.
        let frozen = ContinuousClock.now
        try await site.run(now: { frozen }, clock: Self.clock) { client in
            let browser = TestBrowser(client)
            for _ in 0..<5 {
                #expect(try await browser.logIn("ada", password: "wrong password").status == .unprocessableContent)
            }
            let blocked = try await browser.logIn("ada")
            #expect(blocked.status == .tooManyRequests, "a right password during a block still gets 429")
            #expect(blocked.headers[.retryAfter] == "60")
        }
    }

    @Test func passwordsAndTokensNeverReachTheLog() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        let recorder = RecordingLogHandler()
        recorder.logLevel = .trace
        let logger = Logger(label: "test") { _ in recorder }
        try await site.run(clock: Self.clock, logger: logger) { client in
            try await TestBrowser(client).signUp("grace", password: "a secret password 42")
            _ = try await TestBrowser(client).logIn("grace", password: "another wrong one 43")
            _ = try await client.send("/api/papers/2611.00001/upvote", method: .post, headers: bearer(token))
        }
        let text = recorder.recorded.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!text.isEmpty)
        for secret in ["a secret password 42", "another wrong one 43", token] { #expect(!text.contains(secret)) }
    }
}

extension HTTPField.Name {
    static let xCSRFTokenForTests = HTTPField.Name("X-CSRF-Token")!
}
