import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

@Suite("Email verification, password reset and the digest in settings")
struct AccountMailTests {
    static let start = Fixtures.date("2025-11-20T12:00:00Z")
    static let password = "correct horse battery"

    static func site() async throws -> TestSite {
        try await TestSite.make(
            config: WebConfiguration(cacheTTL: .zero, community: CommunitySettings(passwordCost: 10)))
    }

    /// Opens a mail link's page and sends its form: the link's token, the form token of the page's own form (a
    /// signed-in page also has the sign-out form's), and `fields`.
    static func press(_ browser: TestBrowser, _ link: String, to action: String, _ fields: [String: String] = [:])
        async throws -> Fetched
    {
        let page = try await browser.get(link)
        #expect(page.status == .ok, "\(link): \(page.body.prefix(300))")
        let form = try #require(page.body.range(of: #"<section class="account-form">"#)).upperBound
        let html = String(page.body[form...])
        var fields = fields
        let token: String = try #require(TestBrowser.hiddenValue("token", in: html), "\(page.body)")
        let csrf: String = try #require(TestBrowser.csrfToken(in: html), "\(page.body)")
        fields["token"] = token
        fields["csrf_token"] = csrf
        return try await browser.post(action, fields)
    }

    // MARK: Verification

    @Test("sign-up mails a verification link; GET shows a button, POST verifies")
    func verification() async throws {
        let site = try await Self.site()
        let clock = PinnedDate(Self.start)
        try await site.runWithMail(clock: { clock.now() }) { client, mail in
            let browser = TestBrowser(client)
            try await browser.signUp("alice", password: Self.password)
            let message = try #require(await mail.delivered(to: "alice@example.org").first)
            #expect(message.subject == "Verify your Paperboy email address")
            let link = try #require(TestMail.link("/verify-email?token=", in: message), "\(message.text)")
            let settings = try await browser.get("/settings")
            #expect(settings.body.contains("Your address is not verified yet"))
            #expect(settings.body.contains("Send a verification mail"))

            let page = try await browser.get(link)
            #expect(page.body.contains("Verify alice@example.org for the account alice."))
            #expect(try await site.store.account(username: "alice")?.emailVerifiedAt == nil, "GET verifies nothing")
            // Without the form cookie (another browser), the form is refused.
            let token = try #require(TestBrowser.hiddenValue("token", in: page.body))
            let stranger = try await TestBrowser(client).post("/verify-email", ["token": token, "csrf_token": "x"])
            #expect(stranger.status == .forbidden)

            let verified = try await Self.press(browser, link, to: "/verify-email")
            #expect(verified.status == .ok)
            #expect(verified.body.contains("alice@example.org is verified for the account alice."))
            #expect(try await site.store.account(username: "alice")?.emailVerifiedAt == Self.start)
            #expect(try await browser.get("/settings").body.contains("Your address is verified."))

            clock.advance(7 * 86_400 + 1)
            let expired = try await browser.get(link)
            #expect(expired.status == .badRequest)
            #expect(expired.body.contains("This verification link is not valid or has expired"))
        }
    }

    @Test("an address counts as taken once verified: sign-up with an unverified one works, with a verified one not")
    func takenOnlyOnceVerified() async throws {
        let site = try await Self.site()
        try await site.runWithMail { client, mail in
            let alice = TestBrowser(client)
            try await alice.signUp("alice", password: Self.password, email: "ada@example.org")
            let bob = TestBrowser(client)
            try await bob.signUp("bob", password: Self.password, email: "ADA@example.org")
            let messages = await mail.delivered()
            #expect(messages.count == 2)
            let aliceLink = try #require(TestMail.link("/verify-email?token=", in: messages[0]))
            let bobLink = try #require(TestMail.link("/verify-email?token=", in: messages[1]))

            #expect(try await Self.press(bob, bobLink, to: "/verify-email").status == .ok)
            let late = try await Self.press(alice, aliceLink, to: "/verify-email")
            #expect(late.status == .conflict)
            #expect(late.body.contains("Another account verified ada@example.org first"))
            #expect(try await site.store.account(username: "alice")?.emailVerifiedAt == nil)

            let carol = try await TestBrowser(client).submitForm(
                on: "/signup", to: "/signup",
                ["username": "carol", "email": "ada@example.org", "password": Self.password])
            #expect(carol.status == .unprocessableContent)
            #expect(carol.body.contains("An account with that email exists already."))
        }
    }

    @Test("changing the email mails a verification link to the new address; settings can send another")
    func emailChange() async throws {
        let site = try await Self.site()
        try await site.runWithMail { client, mail in
            let browser = TestBrowser(client)
            try await browser.signUp("alice", password: Self.password)
            let changed = try await browser.submitForm(
                on: "/settings", to: "/settings/email",
                ["email": "alice@example.net", "current_password": Self.password])
            #expect(
                changed.body.contains("Your email is now alice@example.net. A verification link is on its way to it."))
            #expect(await mail.delivered(to: "alice@example.net").count == 1)
            let again = try await browser.submitForm(on: "/settings", to: "/settings/verify-email", [:])
            #expect(again.body.contains("A verification link is on its way to alice@example.net."))
            let third = try await browser.submitForm(on: "/settings", to: "/settings/verify-email", [:])
            #expect(third.status == .ok)
            let fourth = try await browser.submitForm(on: "/settings", to: "/settings/verify-email", [:])
            #expect(fourth.status == .tooManyRequests)
            #expect(fourth.body.contains("3 mails a day at most go to an address. Try again tomorrow."))
            #expect(await mail.delivered(to: "alice@example.net").count == 3)
            // The link for the old address no longer verifies anything.
            let old = try #require(await mail.delivered(to: "alice@example.org").first)
            let stale = try await browser.get(try #require(TestMail.link("/verify-email?token=", in: old)))
            #expect(stale.status == .badRequest)
            #expect(stale.body.contains("This link is for an address the account no longer has."))
        }
    }

    // MARK: The digest in settings

    @Test(
        "settings show the subscription of a verified address, change it and end it; subscribing there confirms at once"
    )
    func digestInSettings() async throws {
        let site = try await Self.site()
        _ = try await site.store.createAccount(
            NewAccount(
                username: "ada", email: "Ada@example.org", emailVerifiedAt: Self.start, fullname: "Ada",
                passwordHash: try await Credentials.hashPassword(Self.password, cost: 10), createdAt: Self.start))
        try await site.runWithMail { client, mail in
            _ = try await SubscriptionTests.request(client, "ada@example.org")
            try await SubscriptionTests.confirm(
                client, try await SubscriptionTests.confirmLink(mail, to: "ada@example.org"))
            let browser = TestBrowser(client)
            #expect(try await browser.logIn("ada", password: Self.password).status == .seeOther)
            let page = try await browser.get("/settings")
            #expect(page.body.contains("You get a daily digest of the most upvoted papers at Ada@example.org."))

            let changed = try await browser.submitForm(
                on: "/settings", to: "/settings/subscription", ["frequency": "weekly", "query": "graphs"])
            #expect(changed.body.contains("Saved: you get a weekly digest of papers matching “graphs”."))
            #expect(try await site.store.subscription(email: "ada@example.org")?.settings.frequency == .weekly)
            let bad = try await browser.submitForm(
                on: "/settings", to: "/settings/subscription", ["frequency": "weekly", "categories": "no/such"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("“no/such” is not a category name"))
            #expect(bad.body.contains(#"value="no/such""#))

            let ended = try await browser.submitForm(on: "/settings", to: "/settings/unsubscribe", [:])
            #expect(ended.body.contains("Unsubscribed: you get no more digests."))
            #expect(try await site.store.subscription(email: "ada@example.org") == nil)
            #expect(ended.body.contains(#"action="/settings/subscribe""#))

            let before = await mail.delivered().count
            let subscribed = try await browser.submitForm(
                on: "/settings", to: "/settings/subscribe", ["frequency": "daily", "categories": "cs.LG"])
            #expect(subscribed.body.contains("Subscribed: you get a daily digest of papers in cs.LG."))
            let stored = try #require(try await site.store.subscription(email: "ada@example.org"))
            #expect(stored.confirmedAt != nil)
            #expect(await mail.delivered().count == before, "no confirmation mail: the address is verified")
        }
    }

    @Test("an unverified address's subscription is not shown in settings")
    func unverifiedSeesNoSubscription() async throws {
        let site = try await Self.site()
        try await site.runWithMail { client, mail in
            _ = try await SubscriptionTests.request(client, "alice@example.org")
            try await SubscriptionTests.confirm(
                client, try await SubscriptionTests.confirmLink(mail, to: "alice@example.org"))
            let browser = TestBrowser(client)
            try await browser.signUp("alice", password: Self.password)
            let page = try await browser.get("/settings")
            #expect(!page.body.contains("You get a daily digest"))
            #expect(!page.body.contains(#"action="/settings/subscribe""#))
            let refused = try await browser.submitForm(on: "/settings", to: "/settings/unsubscribe", [:])
            #expect(refused.body.contains("You have no digest subscription."))
            #expect(try await site.store.subscription(email: "alice@example.org") != nil)
        }
    }

    // MARK: Password reset

    @Test("password reset: the same answer for any address, a link that ends every session, works once and verifies")
    func passwordReset() async throws {
        let site = try await Self.site()
        let clock = PinnedDate(Self.start)
        try await site.runWithMail(clock: { clock.now() }) { client, mail in
            let signedIn = TestBrowser(client)
            try await signedIn.signUp("alice", password: Self.password)
            let browser = TestBrowser(client)
            #expect(try await browser.get("/login").body.contains(#"<a href="/password-reset">Forgot password?</a>"#))

            let known = try await browser.submitForm(
                on: "/password-reset", to: "/password-reset", ["email": "Alice@example.org"])
            let unknown = try await browser.submitForm(
                on: "/password-reset", to: "/password-reset", ["email": "nobody@example.org"])
            #expect(known.status == .ok)
            #expect(
                known.body.contains("If an account has this address, a link to choose a new password is on its way."))
            #expect(known.body == unknown.body)
            let malformed = try await browser.submitForm(
                on: "/password-reset", to: "/password-reset", ["email": "alice"])
            #expect(malformed.status == .unprocessableContent)
            #expect(malformed.body.contains("Email: enter an address such as name@example.org."))

            let message = try #require(await mail.delivered().first { $0.subject == "Reset your Paperboy password" })
            #expect(message.to == "alice@example.org")
            #expect(await mail.delivered(to: "nobody@example.org").isEmpty)
            let link = try #require(TestMail.link("/password-reset/confirm?token=", in: message))

            let short = try await Self.press(browser, link, to: "/password-reset/confirm", ["password": "short"])
            #expect(short.status == .unprocessableContent)
            #expect(short.body.contains("Password: a password is 10 to 72 bytes long."))
            let done = try await Self.press(
                browser, link, to: "/password-reset/confirm", ["password": "a new password 42"])
            #expect(done.status == .ok)
            #expect(done.body.contains("Your password is changed and every browser is signed out."))

            #expect(try await !signedIn.isSignedIn(), "the old session ended")
            #expect(
                try await TestBrowser(client).logIn("alice", password: Self.password).status == .unprocessableContent)
            #expect(try await TestBrowser(client).logIn("alice", password: "a new password 42").status == .seeOther)
            #expect(
                try await site.store.account(username: "alice")?.emailVerifiedAt == Self.start, "the link proved it")

            let used = try await browser.get(link)
            #expect(used.status == .badRequest)
            #expect(used.body.contains("This password-reset link is not valid, was used already or has expired"))

            _ = try await browser.submitForm(
                on: "/password-reset", to: "/password-reset", ["email": "alice@example.org"])
            let second = try #require(await mail.delivered().last)
            let secondLink = try #require(TestMail.link("/password-reset/confirm?token=", in: second))
            clock.advance(3_601)
            #expect(try await browser.get(secondLink).status == .badRequest, "an hour later the link is dead")
        }
    }

    @Test("without a mail server the reset pages say so (503 for the form) and sign-in offers no reset")
    func withoutMail() async throws {
        let site = try await Self.site()
        try await site.runWithMail(mail: false) { client, _ in
            let browser = TestBrowser(client)
            #expect(try await !browser.get("/login").body.contains("Forgot password?"))
            let page = try await browser.get("/password-reset")
            #expect(page.status == .ok)
            #expect(page.body.contains("This site has no mail server configured"))
            let post = try await browser.post("/password-reset", ["email": "alice@example.org"])
            #expect(post.status == .serviceUnavailable)
            try await browser.signUp("alice", password: Self.password)
            let settings = try await browser.get("/settings")
            #expect(settings.body.contains("Your address is not verified yet"))
            #expect(!settings.body.contains("Send a verification mail"))
        }
    }
}
