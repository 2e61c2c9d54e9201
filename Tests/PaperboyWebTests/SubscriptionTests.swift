import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

@Suite("Digest subscriptions: subscribing, confirming, managing, unsubscribing")
struct SubscriptionTests {
    static let start = Fixtures.date("2025-11-20T12:00:00Z")
    static let pending =
        #"{"message":"If the address can receive mail, a confirmation is on its way.","status":"pending"}"#

    static func request(
        _ client: any TestClientProtocol, _ email: String, frequency: String = "daily", extra: String = ""
    ) async throws -> Fetched {
        try await postJSON(
            client, "/api/subscriptions", #"{"email": "\#(email)", "frequency": "\#(frequency)"\#(extra)}"#)
    }

    /// The confirmation link (path and query) of the newest mail to `address`.
    static func confirmLink(_ mail: TestMail, to address: String) async throws -> String {
        let message = try #require(await mail.delivered(to: address).last, "a mail to \(address)")
        return try #require(TestMail.link("/subscriptions/confirm?token=", in: message), "\(message.text)")
    }

    // MARK: The API

    @Test("202 with the same bytes for a new and a known address")
    func sameAnswerForNewAndKnown() async throws {
        let site = try await TestSite.make()
        try await site.runWithMail { client, mail in
            let new = try await Self.request(client, "ada@example.org")
            let again = try await Self.request(client, "ada@example.org", frequency: "weekly")
            let other = try await Self.request(client, "Grace@Example.org", extra: #", "query": "quantum""#)
            for answer in [new, again, other] {
                #expect(answer.status == .accepted)
                #expect(answer.headers[.contentType] == "application/json; charset=utf-8")
                #expect(answer.body == Self.pending)
            }
            #expect(new.bytes == again.bytes)
            #expect(new.bytes == other.bytes)
            #expect(await mail.delivered().count == 3)
        }
    }

    @Test(
        "400 for a malformed address, frequency, topic or body, with the message",
        arguments: [
            (
                #"{"email": "not-an-address", "frequency": "daily"}"#,
                "an email address is name@domain: ASCII, at most 254 characters, without spaces or line breaks"
            ),
            (
                #"{"email": "ada@example.org\r\nBcc: x@example.org", "frequency": "daily"}"#,
                "an email address is name@domain: ASCII, at most 254 characters, without spaces or line breaks"
            ),
            (
                #"{"email": "zoë@example.org", "frequency": "daily"}"#,
                "an email address is name@domain: ASCII, at most 254 characters, without spaces or line breaks"
            ),
            (#"{"email": "ada@example.org", "frequency": "hourly"}"#, "frequency is daily or weekly"),
            (
                #"{"email": "ada@example.org", "frequency": "daily", "query": "\#(String(repeating: "a", count: 301))"}"#,
                "a topic query is at most 300 characters, without control characters"
            ),
            (
                #"{"email": "ada@example.org", "frequency": "daily", "categories": ["a","b","c","d","e","f","g","h","i","j","k"]}"#,
                "a subscription names at most 10 categories"
            ),
            (
                #"{"email": "ada@example.org", "frequency": "daily", "categories": ["cs CL!"]}"#,
                "“cs CL!” is not a category name (letters, digits, . and -, at most 32 characters)"
            ),
            (
                #"{"email": "ada@example.org"}"#,
                #"send JSON: {"email": "you@example.org", "frequency": "daily", "query": "optional", "categories": ["cs.CL"]}"#
            ),
            (
                "not json",
                #"send JSON: {"email": "you@example.org", "frequency": "daily", "query": "optional", "categories": ["cs.CL"]}"#
            ),
        ])
    func refusesBadRequests(body: String, message: String) async throws {
        let site = try await TestSite.make()
        try await site.runWithMail { client, mail in
            let answer = try await postJSON(client, "/api/subscriptions", body)
            #expect(answer.status == .badRequest)
            #expect(try object(answer)["error"] as? String == message)
            #expect(await mail.delivered().isEmpty)
        }
    }

    @Test("without a mail server: 503, and no subscribe box")
    func withoutMail() async throws {
        let site = try await TestSite.make()
        try await site.runWithMail(mail: false) { client, _ in
            let answer = try await Self.request(client, "ada@example.org")
            #expect(answer.status == .serviceUnavailable)
            #expect(try object(answer)["error"] as? String == "email digests are not available: no mail server")
            #expect(try await site.store.subscription(email: "ada@example.org") == nil)
            for path in ["/", "/trending", "/papers?date=2026-11-20"] {
                let page = try await client.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(!page.body.contains(#"action="/subscribe""#), "\(path)")
            }
            let form = try await TestBrowser(client).post(
                "/subscribe", ["email": "ada@example.org", "frequency": "daily"])
            #expect(form.status == .serviceUnavailable)
            #expect(form.body.contains("this site has no mail server configured"))
            #expect(try await client.get("/subscribe").body.contains("this site has no mail server configured"))
        }
        try await site.runWithMail { client, _ in
            let box = #"<form class="subscribe" method="post" action="/subscribe">"#
            for path in ["/", "/trending", "/papers?date=2026-11-20", "/papers?week=2026-W47", "/papers?month=2026-11"]
            {
                let page = try await client.get(path)
                #expect(page.body.contains(box), "\(path)")
            }
        }
    }

    @Test("429 with Retry-After past 20 requests an hour from one address")
    func rateLimited() async throws {
        let site = try await TestSite.make()
        try await site.runWithMail { client, _ in
            for n in 0..<20 {
                #expect(try await Self.request(client, "reader\(n)@example.org").status == .accepted)
            }
            let refused = try await Self.request(client, "one-more@example.org")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter].flatMap(Int.init).map { $0 > 0 && $0 <= 3600 } == true)
            #expect(try object(refused)["error"] as? String != nil)
        }
    }

    // MARK: Confirming

    @Test("the confirmation mail's link: GET shows a button and changes nothing, POST confirms, twice changes nothing")
    func confirmation() async throws {
        let site = try await TestSite.make()
        let clock = PinnedDate(Self.start)
        try await site.runWithMail(clock: { clock.now() }) { client, mail in
            #expect(
                try await Self.request(client, "ada@example.org", extra: #", "query": "graph <neural> nets""#).status
                    == .accepted)
            let messages = await mail.delivered()
            #expect(messages.count == 1)
            let message = try #require(messages.first)
            #expect(message.to == "ada@example.org")
            #expect(message.subject == "Confirm your Paperboy subscription")
            #expect(message.text.contains("a daily digest of papers matching “graph <neural> nets”"))
            let html = try #require(message.html)
            #expect(html.contains("papers matching “graph &lt;neural&gt; nets”"), "HTML escapes what was typed")
            let link = try #require(TestMail.link("/subscriptions/confirm?token=", in: message))
            #expect(html.contains(#"href="http://127.0.0.1:8080\#(link)""#))

            let page = try await client.get(link)
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.body.contains("<h1>Confirm your subscription</h1>"))
            #expect(page.body.contains("<dd>papers matching “graph &lt;neural&gt; nets”</dd>"))
            #expect(try await client.get(link).status == .ok)
            #expect(
                try await site.store.subscription(email: "ada@example.org")?.confirmedAt == nil, "GET confirms nothing")

            let token = try #require(TestBrowser.hiddenValue("token", in: page.body))
            let confirmed = try await TestBrowser(client).post("/subscriptions/confirm", ["token": token])
            #expect(confirmed.status == .ok)
            #expect(confirmed.body.contains("<h1>You&#39;re subscribed</h1>"))
            #expect(confirmed.headers[.setCookie] == nil)
            let stored = try #require(try await site.store.subscription(email: "ada@example.org"))
            #expect(stored.confirmedAt == Self.start)

            let twice = try await TestBrowser(client).post("/subscriptions/confirm", ["token": token])
            #expect(twice.status == .ok)
            #expect(twice.body.contains("This link was used already: your subscription is confirmed."))
            #expect(try await site.store.subscription(email: "ada@example.org") == stored)
            #expect(try await client.get(link).body.contains("This link was used already"))
            #expect(await mail.delivered().count == 1, "nothing else is sent")
        }
    }

    @Test("a confirmation link expires after 7 days; a forged one is refused")
    func expiredAndForged() async throws {
        let site = try await TestSite.make()
        let clock = PinnedDate(Self.start)
        try await site.runWithMail(clock: { clock.now() }) { client, mail in
            _ = try await Self.request(client, "ada@example.org")
            let link = try await Self.confirmLink(mail, to: "ada@example.org")
            let token = try #require(
                link.split(separator: "=", maxSplits: 1).last.map(String.init)?.removingPercentEncoding)
            clock.advance(7 * 86_400 + 1)
            let expired = try await client.get(link)
            #expect(expired.status == .badRequest)
            #expect(expired.body.contains("This confirmation link is not valid or has expired"))
            let post = try await TestBrowser(client).post("/subscriptions/confirm", ["token": token])
            #expect(post.status == .badRequest)
            #expect(try await site.store.subscription(email: "ada@example.org")?.confirmedAt == nil)
            for bad in ["", "x", "1-abc.99999999999.AAAA", token.dropLast() + "A"] {
                let answer = try await client.get("/subscriptions/confirm?token=\(TestBrowser.encode(String(bad)))")
                #expect(answer.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test("at most 3 confirmation mails per address a day; the 4th request still answers 202")
    func dailyQuota() async throws {
        let site = try await TestSite.make()
        let clock = PinnedDate(Self.start)
        try await site.runWithMail(clock: { clock.now() }) { client, mail in
            for _ in 0..<4 {
                let answer = try await Self.request(client, "ada@example.org")
                #expect(answer.status == .accepted)
                #expect(answer.body == Self.pending)
            }
            #expect(await mail.delivered(to: "ada@example.org").count == 3)
            // The 4th request changed nothing: the link of the 3rd mail still confirms.
            let link = try await Self.confirmLink(mail, to: "ada@example.org")
            let token = try #require(TestBrowser.hiddenValue("token", in: try await client.get(link).body))
            let confirmed = try await TestBrowser(client).post("/subscriptions/confirm", ["token": token])
            #expect(confirmed.body.contains("<h1>You&#39;re subscribed</h1>"))
            clock.advance(86_400)
            _ = try await Self.request(client, "ADA@example.org")
            #expect(await mail.delivered().count == 4, "a new day, a new quota (without regard to case)")
        }
    }

    @Test("a request for a confirmed address asks to confirm the changes; the settings stay until then")
    func changeOfAConfirmedSubscription() async throws {
        let site = try await TestSite.make()
        let clock = PinnedDate(Self.start)
        try await site.runWithMail(clock: { clock.now() }) { client, mail in
            _ = try await Self.request(client, "ada@example.org")
            try await Self.confirm(client, try await Self.confirmLink(mail, to: "ada@example.org"))
            let answer = try await Self.request(
                client, "ada@example.org", frequency: "weekly", extra: #", "categories": ["cs.LG", "cs.CL"]"#)
            #expect(answer.body == Self.pending)
            let messages = await mail.delivered()
            #expect(messages.count == 2)
            let change = try #require(messages.last)
            #expect(change.subject == "Confirm changes to your Paperboy subscription")
            #expect(change.text.contains("a weekly digest of papers in cs.CL or cs.LG"))
            var stored = try #require(try await site.store.subscription(email: "ada@example.org"))
            #expect(stored.settings.frequency == .daily)
            #expect(stored.pending?.frequency == .weekly)

            let link = try #require(TestMail.link("/subscriptions/confirm?token=", in: change))
            let page = try await client.get(link)
            #expect(page.body.contains("<h1>Confirm the changes to your subscription</h1>"))
            #expect(page.body.contains("<dd>weekly</dd>"))
            try await Self.confirm(client, link)
            stored = try #require(try await site.store.subscription(email: "ada@example.org"))
            #expect(stored.settings.frequency == .weekly)
            #expect(stored.settings.topic.categories == ["cs.CL", "cs.LG"])
            #expect(stored.pending == nil)
        }
    }

    /// Opens a confirmation link and presses its button.
    static func confirm(_ client: any TestClientProtocol, _ link: String) async throws {
        let page = try await client.get(link)
        let token = try #require(TestBrowser.hiddenValue("token", in: page.body), "\(page.body)")
        let answer = try await TestBrowser(client).post("/subscriptions/confirm", ["token": token])
        #expect(answer.status == .ok)
    }

    /// A confirmed subscription of `email` and its manage token.
    static func confirmed(_ site: TestSite, _ client: any TestClientProtocol, _ mail: TestMail, _ email: String)
        async throws -> (Subscription, String)
    {
        _ = try await request(client, email)
        try await confirm(client, try await confirmLink(mail, to: email))
        let subscription = try #require(try await site.store.subscription(email: email))
        let links = SubscriptionLinks(config: site.config, secret: try await site.secret())
        let manage = links.manage(subscription)
        #expect(manage.hasPrefix("http://127.0.0.1:8080/subscriptions/manage?token=\(subscription.id)."))
        #expect(links.unsubscribe(subscription).hasPrefix("http://127.0.0.1:8080/subscriptions/unsubscribe?token="))
        #expect(links.home == "http://127.0.0.1:8080/")
        #expect(links.paper(PaperID("2611.00001")!) == "http://127.0.0.1:8080/papers/2611.00001")
        return (subscription, String(manage.dropFirst("http://127.0.0.1:8080/subscriptions/manage?token=".count)))
    }

    // MARK: Managing and unsubscribing

    @Test("the manage page changes the subscription and ends it")
    func managePage() async throws {
        let site = try await TestSite.make()
        try await site.runWithMail { client, mail in
            let (subscription, token) = try await Self.confirmed(site, client, mail, "ada@example.org")
            let page = try await client.get("/subscriptions/manage?token=\(token)")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.body.contains("<dd>ada@example.org</dd>"))
            #expect(page.body.contains("<dd>daily</dd>"))

            let bad = try await TestBrowser(client).post(
                "/subscriptions/manage", ["token": token, "action": "change", "frequency": "hourly"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("Frequency is daily or weekly."))

            let changed = try await TestBrowser(client).post(
                "/subscriptions/manage",
                [
                    "token": token, "action": "change", "frequency": "weekly", "query": "diffusion",
                    "categories": "cs.CV",
                ])
            #expect(changed.status == .ok)
            #expect(changed.body.contains("Saved: you get a weekly digest of papers matching “diffusion” in cs.CV."))
            let stored = try #require(try await site.store.subscription(id: subscription.id))
            #expect(stored.settings.frequency == .weekly)
            #expect(stored.settings.topic.query == "diffusion")

            let ended = try await TestBrowser(client).post(
                "/subscriptions/manage", ["token": token, "action": "unsubscribe"])
            #expect(ended.status == .ok)
            #expect(ended.body.contains("<h1>You&#39;re unsubscribed</h1>"))
            #expect(try await site.store.subscription(id: subscription.id) == nil)
            let after = try await client.get("/subscriptions/manage?token=\(token)")
            #expect(after.status == .ok)
            #expect(after.body.contains("<h1>Not subscribed</h1>"))
        }
    }

    @Test("one-click unsubscribe (RFC 8058): a POST without cookie or CSRF token; again 200; a forged token 400")
    func oneClick() async throws {
        let site = try await TestSite.make()
        try await site.runWithMail { client, mail in
            let (subscription, token) = try await Self.confirmed(site, client, mail, "ada@example.org")
            let page = try await client.get("/subscriptions/unsubscribe?token=\(token)")
            #expect(page.status == .ok)
            #expect(try await site.store.subscription(id: subscription.id) != nil, "GET unsubscribes nobody")

            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            let uri = "/subscriptions/unsubscribe?token=\(token)"
            // The signature's first character changed (its last one carries two bits base64url decoding ignores).
            let dot = try #require(token.firstIndex(of: "."))
            let head = token[token.index(after: dot)]
            let tampered = String(token[...dot]) + (head == "A" ? "B" : "A") + token[token.index(dot, offsetBy: 2)...]
            // The same signature spelt with the ignored bits of its last character set is refused too.
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            let last = try #require(token.last.flatMap { alphabet.firstIndex(of: $0) })
            let alias = String(token.dropLast()) + String(alphabet[last + 1])
            #expect(try await client.get("/subscriptions/manage?token=\(alias)").status == .badRequest)
            let forged = try await client.send(
                "/subscriptions/unsubscribe?token=\(tampered)", method: .post, headers: headers,
                body: "List-Unsubscribe=One-Click")
            #expect(forged.status == .badRequest)
            #expect(try await client.get("/subscriptions/manage?token=\(tampered)").status == .badRequest)
            #expect(try await site.store.subscription(id: subscription.id) != nil)

            let first = try await client.send(uri, method: .post, headers: headers, body: "List-Unsubscribe=One-Click")
            #expect(first.status == .ok)
            #expect(first.headers[.setCookie] == nil)
            #expect(first.body.contains("ada@example.org gets no more digests."))
            #expect(try await site.store.subscription(id: subscription.id) == nil)
            let second = try await client.send(uri, method: .post, headers: headers, body: "List-Unsubscribe=One-Click")
            #expect(second.status == .ok)
            #expect(second.body.contains("<h1>Not subscribed</h1>"))
        }
    }

    // MARK: The form

    @Test("the subscribe box posts without a token: 303 to “check your inbox”; a bad field shows the form again")
    func subscribeForm() async throws {
        let site = try await TestSite.make()
        try await site.runWithMail { client, mail in
            let browser = TestBrowser(client)
            let bad = try await browser.post(
                "/subscribe", ["email": "ada@example", "frequency": "weekly", "query": "<b>x</b>"])
            #expect(bad.status == .unprocessableContent)
            #expect(
                bad.body.contains(
                    "An email address is name@domain: ASCII, at most 254 characters, without spaces or line breaks."))
            #expect(bad.body.contains(#"value="ada@example""#))
            #expect(bad.body.contains(#"value="weekly" checked"#))
            #expect(bad.body.contains(#"value="&lt;b&gt;x&lt;/b&gt;""#))

            let sent = try await browser.post(
                "/subscribe", ["email": "ada@example.org", "frequency": "weekly", "categories": "cs.CL, cs.LG"])
            #expect(sent.status == .seeOther)
            #expect(sent.headers[.location] == "/subscribe?sent=1")
            #expect(sent.headers[.setCookie] == nil)
            let inbox = try await client.get("/subscribe?sent=1")
            #expect(inbox.body.contains("<h1>Check your inbox</h1>"))
            let stored = try #require(try await site.store.subscription(email: "ada@example.org"))
            #expect(stored.settings.frequency == .weekly)
            #expect(stored.settings.topic.categories == ["cs.CL", "cs.LG"])
            #expect(await mail.delivered().count == 1)
        }
    }

    @Test("unconfirmed subscriptions are purged after 8 days")
    func purge() async throws {
        let site = try await TestSite.make()
        let clock = PinnedDate(Self.start)
        try await site.runWithMail(clock: { clock.now() }) { client, _ in
            _ = try await Self.request(client, "ada@example.org")
            clock.advance(MailPolicy.unconfirmedLifetime + 1)
            _ = try await Self.request(client, "grace@example.org")
            #expect(try await site.store.subscription(email: "ada@example.org") == nil)
            #expect(try await site.store.subscription(email: "grace@example.org") != nil)
        }
    }

    @Test("a mail the server refuses is logged without its link; the answer is the same")
    func deliveryFailure() async throws {
        let site = try await TestSite.make()
        let handler = RecordingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        try await site.runWithMail(logger: logger) { client, mail in
            mail.mailer.fail(with: .permanent(code: 550, message: "no such user"))
            let answer = try await Self.request(client, "ada@example.org")
            #expect(answer.status == .accepted)
            #expect(answer.body == Self.pending)
            #expect(await mail.delivered().isEmpty)
            let line = try #require(handler.recorded.first { $0.message == "mail not delivered" })
            #expect(line.metadata["mail.kind"] == "confirm")
            #expect(line.metadata["mail.error"] == "permanent failure 550: no such user")
            #expect(!handler.recorded.contains { "\($0.metadata)".contains("token") })
        }
    }
}

extension SubscriptionTests {
    @Test("the OpenAPI document describes POST /api/subscriptions and its answers")
    func documented() async throws {
        let site = try await TestSite.make()
        try await site.runWithMail { client, _ in
            let doc = try #require(try await client.json("/openapi.json") as? [String: Any])
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            let post = try #require(paths["/api/subscriptions"]?["post"] as? [String: Any])
            let responses = try #require(post["responses"] as? [String: Any])
            #expect(Set(["202", "400", "429", "503"]).isSubset(of: Set(responses.keys)))
            let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
            let receipt = try #require(schemas["SubscriptionReceipt"]?["properties"] as? [String: Any])
            let answer = try object(try await Self.request(client, "ada@example.org"))
            #expect(Set(answer.keys) == Set(receipt.keys))
        }
    }
}
