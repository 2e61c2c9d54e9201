import Foundation
import FoundationXML
import HTTPTypes
import Hummingbird
import HummingbirdOTP
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboyWeb

/// The wall clock of sessions and two-factor codes, pinned and moved by hand.
final class PinnedDate: Sendable {
    private let date: Mutex<Date>

    init(_ date: Date) { self.date = Mutex(date) }

    func now() -> Date { date.withLock { $0 } }

    func advance(_ seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Settings, two-factor sign-in, tokens and avatars")
struct SettingsTests {
    static let password = "correct horse battery"
    static let start = Fixtures.date("2025-11-20T12:00:00Z")

    /// A site whose passwords are hashed at the lowest cost (fast tests) and whose rate limits are on.
    static func site() async throws -> TestSite {
        try await TestSite.make(
            config: WebConfiguration(cacheTTL: .seconds(60), community: CommunitySettings(passwordCost: 10)))
    }

    /// Runs `body` with a browser signed up as `username` (and the clock the site runs on).
    static func signedUp(
        _ username: String = "alice", site: TestSite? = nil,
        _ body: @Sendable (TestBrowser, any TestClientProtocol, PinnedDate, TestSite) async throws -> Void
    ) async throws {
        let site = if let site { site } else { try await SettingsTests.site() }
        let clock = PinnedDate(start)
        try await site.run(clock: { clock.now() }) { client in
            let browser = TestBrowser(client)
            let signup = try await browser.signUp(username, password: password)
            #expect(signup.status == .seeOther)
            #expect(browser.cookie("pb_session") != nil)
            try await body(browser, client, clock, site)
        }
    }

    /// Posts a settings form with the page's CSRF token and `fields`.
    static func submit(_ browser: TestBrowser, _ action: String, _ fields: [String: String] = [:]) async throws
        -> Fetched
    {
        try await browser.submitForm(on: "/settings", to: "/settings/\(action)", fields)
    }

    // MARK: Access

    @Test("settings need a signed-in browser: anonymous visitors are sent to sign in, tokens are refused")
    func needsSignIn() async throws {
        try await SettingsTests.signedUp { browser, client, _, _ in
            let anonymous = try await client.get("/settings")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/login?next=%2Fsettings")
            #expect(anonymous.headers[.cacheControl] == "private, no-store")
            let anonymousPost = try await TestBrowser(client).post("/settings/profile", ["fullname": "X"])
            #expect(anonymousPost.status == .seeOther)
            #expect(anonymousPost.headers[.location] == "/login?next=%2Fsettings")

            let page = try await browser.get("/settings")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "private, no-store")
            #expect(page.body.contains("Signed in as <strong>alice</strong>"))
            // The header shows who is signed in, with their avatar.
            #expect(page.body.contains(#"<img class="avatar" src="/avatars/alice.svg""#))
            #expect(page.body.contains("(this browser)"))
            #expect(page.body.contains("Unknown browser"), "a browser that sends no User-Agent")

            let unknown = try await SettingsTests.submit(browser, "nothing-here")
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.cacheControl] == "private, no-store")
        }
    }

    @Test("a settings form without its CSRF token, or with a wrong one, is refused with 403 and changes nothing")
    func csrf() async throws {
        try await SettingsTests.signedUp { browser, client, _, site in
            let missing = try await browser.post("/settings/profile", ["fullname": "Mallory"])
            #expect(missing.status == .forbidden)
            #expect(missing.body.contains("Form expired"))
            let wrong = try await browser.post(
                "/settings/profile", ["csrf_token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "fullname": "M"])
            #expect(wrong.status == .forbidden)
            // Another session's token does not pass either.
            let other = TestBrowser(client)
            try await other.signUp("bob", password: SettingsTests.password)
            let bobsToken = try #require(TestBrowser.csrfToken(in: try await other.get("/settings").body))
            let crossed = try await browser.post(
                "/settings/delete",
                [
                    "csrf_token": bobsToken, "confirm_username": "alice", "current_password": SettingsTests.password,
                ])
            #expect(crossed.status == .forbidden)
            #expect(try await site.store.account(username: "alice")?.fullname == "alice")

            let changed = try await SettingsTests.submit(browser, "profile", ["fullname": "Alice Liddell"])
            #expect(changed.status == .ok)
            #expect(changed.body.contains("Your display name is now Alice Liddell."))
            #expect(try await site.store.account(username: "alice")?.fullname == "Alice Liddell")
        }
    }

    @Test("bad input is refused with the page and a message: 422")
    func badInput() async throws {
        try await SettingsTests.signedUp { browser, _, _, site in
            let blank = try await SettingsTests.submit(browser, "profile", ["fullname": "  "])
            #expect(blank.status == .unprocessableContent)
            #expect(blank.body.contains(DisplayName.problem))
            let email = try await SettingsTests.submit(
                browser, "email", ["email": "not-an-address", "current_password": SettingsTests.password])
            #expect(email.status == .unprocessableContent)
            #expect(email.body.contains("Email: enter an address such as name@example.org."))
            let wrongPassword = try await SettingsTests.submit(
                browser, "email", ["email": "new@example.org", "current_password": "not my password"])
            #expect(wrongPassword.status == .unprocessableContent)
            #expect(wrongPassword.body.contains("Your current password is not right."))
            let short = try await SettingsTests.submit(
                browser, "password", ["current_password": SettingsTests.password, "new_password": "short"])
            #expect(short.status == .unprocessableContent)
            #expect(short.body.contains("New password: a password is 10 to 72 bytes long."))
            #expect(try await site.store.account(username: "alice")?.email == "alice@example.org")

            let changed = try await SettingsTests.submit(
                browser, "email", ["email": "Alice@Example.org", "current_password": SettingsTests.password])
            #expect(changed.status == .ok)
            #expect(try await site.store.account(email: "alice@example.org")?.username == "alice")
        }
    }

    @Test("wrong current passwords block the password forms for a while: 429 with Retry-After")
    func passwordGuessing() async throws {
        try await SettingsTests.signedUp { browser, _, _, _ in
            for _ in 0..<5 {
                let wrong = try await SettingsTests.submit(
                    browser, "password", ["current_password": "guess guess guess", "new_password": "0123456789"])
                #expect(wrong.status == .unprocessableContent)
            }
            let blocked = try await SettingsTests.submit(
                browser, "password", ["current_password": SettingsTests.password, "new_password": "0123456789"])
            #expect(blocked.status == .tooManyRequests)
            // The first block lasts a minute from the fifth wrong password, on the real clock: on a loaded machine a
            // second or more may pass before the next request, so the header says what is left of that minute.
            let wait = try #require(blocked.headers[.retryAfter].flatMap { Int($0) })
            #expect((50...60).contains(wait), "Retry-After \(wait)")
        }
    }

    @Test("more than 60 settings changes a minute answer 429 with Retry-After")
    func writeLimit() async throws {
        try await SettingsTests.signedUp { browser, _, _, _ in
            let token = try #require(TestBrowser.csrfToken(in: try await browser.get("/settings").body))
            for n in 0..<60 {
                let answer = try await browser.post(
                    "/settings/profile", ["csrf_token": token, "fullname": "Alice \(n)"])
                #expect(answer.status == .ok)
            }
            let limited = try await browser.post("/settings/profile", ["csrf_token": token, "fullname": "A"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(limited.body.contains("Too many changes at once."))
        }
    }

    // MARK: Password

    @Test("a password change ends every other session and keeps this one")
    func passwordChange() async throws {
        try await SettingsTests.signedUp { browser, client, _, _ in
            let laptop = TestBrowser(client)
            #expect(try await laptop.logIn("alice", userAgent: "Laptop/2.0").status == .seeOther)
            #expect(try await laptop.isSignedIn())
            #expect(try await browser.get("/settings").body.contains("Laptop/2.0"))

            let changed = try await SettingsTests.submit(
                browser, "password",
                ["current_password": SettingsTests.password, "new_password": "a new long password"])
            #expect(changed.status == .ok)
            #expect(changed.body.contains("Your password is changed. Every other browser is signed out."))
            #expect(!changed.body.contains("Laptop/2.0"))
            #expect(try await browser.isSignedIn())
            #expect(try await !laptop.isSignedIn())

            let old = TestBrowser(client)
            #expect(try await old.logIn("alice", password: SettingsTests.password).status == .unprocessableContent)
            #expect(try await old.logIn("alice", password: "a new long password").status == .seeOther)
        }
    }

    // MARK: Sessions

    @Test("another browser's session can be ended from settings; ending this one signs out")
    func endSessions() async throws {
        try await SettingsTests.signedUp { browser, client, _, _ in
            let phone = TestBrowser(client)
            try await phone.logIn("alice", userAgent: "Phone/3.0")
            let page = try await browser.get("/settings").body
            let refs = TestBrowser.texts(between: #"<input type="hidden" name="session" value=""#, and: "\"", in: page)
            #expect(refs.count == 1, "only the other browser has a sign-out button")
            let ref = try #require(refs.first)
            let ended = try await SettingsTests.submit(browser, "session-end", ["session": ref])
            #expect(ended.status == .ok)
            #expect(ended.body.contains("That browser is signed out."))
            #expect(try await !phone.isSignedIn())
            let again = try await SettingsTests.submit(browser, "session-end", ["session": ref])
            #expect(again.status == .unprocessableContent)
            #expect(try await browser.isSignedIn())
        }
    }

    // MARK: Two-factor sign-in

    /// The text of a base32 key as an authenticator app reads it.
    static func base32Decode(_ key: String) throws -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0
        var value = 0
        var bytes: [UInt8] = []
        for character in key {
            let index = try #require(alphabet.firstIndex(of: character), "base32 character \(character)")
            value = value << 5 | index
            bits += 5
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: value >> bits))
                value &= (1 << bits) - 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func code(_ secret: String, at date: Date) -> String {
        let number = TOTP(secret: secret).compute(date: date)
        let digits = String(number)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    @Test("two-factor set-up, then sign-in asks for the code; a recovery code works once")
    func twoFactor() async throws {
        try await SettingsTests.signedUp { browser, client, clock, site in
            let setup = try await SettingsTests.submit(browser, "2fa-setup")
            #expect(setup.status == .ok)
            let key = try #require(
                TestBrowser.texts(between: #"<span class="secret" id="totp-key">"#, and: "<", in: setup.body).first)
            let url = try #require(
                TestBrowser.texts(between: #"<span class="secret" id="totp-url">"#, and: "<", in: setup.body).first)
            #expect(url == "otpauth://totp/Paperboy:alice?secret=\(key)&issuer=Paperboy")
            let secret = try SettingsTests.base32Decode(key)
            let sealed = try #require(TestBrowser.hiddenValue("setup", in: setup.body))

            let token = try #require(TestBrowser.csrfToken(in: setup.body))
            let wrong = try await browser.post(
                "/settings/2fa-confirm", ["csrf_token": token, "setup": sealed, "code": "000000"])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.body.contains("That code is not right."))
            #expect(wrong.body.contains(key), "the same key is offered again")
            let forged = try await browser.post(
                "/settings/2fa-confirm",
                ["csrf_token": token, "setup": "1_AAAA.9999999999.forged", "code": "000000"])
            #expect(forged.body.contains("The set-up expired. Start it again."))

            let confirmed = try await browser.post(
                "/settings/2fa-confirm",
                ["csrf_token": token, "setup": sealed, "code": SettingsTests.code(secret, at: clock.now())])
            #expect(confirmed.status == .ok)
            let codes = TestBrowser.texts(between: #"<li class="recovery-code">"#, and: "<", in: confirmed.body)
            #expect(codes.count == 10)
            #expect(confirmed.body.contains("Two-factor sign-in is <strong>on</strong>. Recovery codes left: 10."))
            #expect(try await site.store.account(username: "alice")?.totpSecret == secret)
            // Shown once: the page afterwards has no codes.
            let later = try await browser.get("/settings")
            #expect(!later.body.contains("recovery-code"))
            #expect(try await browser.isSignedIn(), "turning it on keeps this browser signed in")

            // A password alone no longer signs in.
            clock.advance(120)
            let phone = TestBrowser(client)
            let first = try await phone.logIn("alice", password: SettingsTests.password)
            #expect(first.status == .seeOther)
            #expect(first.headers[.location] == "/login/2fa")
            #expect(try await !phone.isSignedIn())
            #expect(try await phone.secondFactor("123456").status == .unprocessableContent)
            let second = try await phone.secondFactor(SettingsTests.code(secret, at: clock.now()))
            #expect(second.status == .seeOther)
            #expect(try await phone.isSignedIn())

            // A recovery code stands in for the app once.
            let recovery = try #require(codes.first)
            let tablet = TestBrowser(client)
            _ = try await tablet.logIn("alice", password: SettingsTests.password)
            #expect(try await tablet.secondFactor(recovery.uppercased()).status == .seeOther)
            #expect(try await tablet.isSignedIn())
            #expect(try await browser.get("/settings").body.contains("Recovery codes left: 9."))
            let again = TestBrowser(client)
            _ = try await again.logIn("alice", password: SettingsTests.password)
            #expect(try await again.secondFactor(recovery).status == .unprocessableContent)
            #expect(try await !again.isSignedIn())

            // Turning it off takes the password.
            let refused = try await SettingsTests.submit(browser, "2fa-disable", ["current_password": "nope nope nope"])
            #expect(refused.status == .unprocessableContent)
            let off = try await SettingsTests.submit(
                browser, "2fa-disable", ["current_password": SettingsTests.password])
            #expect(off.status == .ok)
            #expect(off.body.contains("Two-factor sign-in is off."))
            #expect(
                try await TestBrowser(client).logIn("alice", password: SettingsTests.password).headers[.location] == "/"
            )
        }
    }

    @Test("staff must turn on two-factor sign-in before the staff pages; the settings page says so")
    func staffTwoFactor() async throws {
        try await SettingsTests.signedUp { browser, _, _, site in
            let alice = try #require(try await site.store.account(username: "alice"))
            _ = try await site.store.updateAccount(id: alice.id, .role(.moderator))
            let page = try await browser.get("/settings")
            #expect(
                page.body.contains(
                    "As a moderator you must turn on two-factor sign-in below before you can use the moderation"))
        }
        let member = Account(
            id: 1, username: "m", email: "m@example.org", fullname: "m", role: .member, passwordHash: "",
            createdAt: SettingsTests.start)
        func viewer(_ role: UserRole, totp: String?) -> Viewer {
            var account = member
            account.role = role
            account.totpSecret = totp
            return Viewer(account: account, sessionHash: "h", tokenID: nil, csrfToken: "c")
        }
        let required = CommunitySettings(requireTwoFactorForStaff: true)
        let optional = CommunitySettings(requireTwoFactorForStaff: false)
        #expect(!viewer(.member, totp: "s").mayUseStaffPages(required))
        #expect(!viewer(.member, totp: nil).mayUseStaffPages(optional))
        #expect(!viewer(.admin, totp: nil).mayUseStaffPages(required))
        #expect(viewer(.admin, totp: nil).mayUseStaffPages(optional))
        #expect(viewer(.moderator, totp: "s").mayUseStaffPages(required))
        #expect(viewer(.admin, totp: nil).staffNeedsTwoFactor(required))
        #expect(!viewer(.member, totp: nil).staffNeedsTwoFactor(required))
    }

    // MARK: Tokens

    @Test("a token is shown once, works as a bearer token until revoked, and cannot open settings")
    func tokens() async throws {
        try await SettingsTests.signedUp { browser, client, _, site in
            let created = try await SettingsTests.submit(browser, "token-create", ["name": "laptop <script>"])
            #expect(created.status == .ok)
            let token = try #require(
                TestBrowser.texts(between: #"<p class="secret" id="new-token">"#, and: "<", in: created.body).first)
            #expect(Credentials.looksLikeAccessToken(token))
            #expect(created.body.contains("laptop &lt;script&gt;"))
            let listed = try await browser.get("/settings")
            #expect(!listed.body.contains(token), "shown only once")
            #expect(listed.body.contains("<td>laptop &lt;script&gt;</td>"))
            #expect(listed.body.contains("<td>never</td>"))

            let paper = try #require(Fixtures.corpus.first).id
            var bearer = HTTPFields()
            bearer[.authorization] = "Bearer \(token)"
            let vote = try await client.execute(
                uri: "/api/papers/\(paper.rawValue)/upvote", method: .post, headers: bearer
            ) { $0 }
            #expect(vote.status == .ok)
            #expect(String(buffer: vote.body).contains(#""upvoted":true"#))
            #expect(try await browser.get("/settings").body.contains("<td>2025-11-20 12:00 UTC</td>"), "last used")
            let settings = try await client.get("/settings", headers: bearer)
            #expect(settings.status == .forbidden)
            #expect(settings.body.contains("Sign in with a browser"))

            let alice = try #require(try await site.store.account(username: "alice"))
            let id = try #require(try await site.store.tokens(accountID: alice.id).first).id
            let revoked = try await SettingsTests.submit(browser, "token-revoke", ["token_id": String(id)])
            #expect(revoked.status == .ok)
            #expect(revoked.body.contains("Token revoked."))
            #expect(revoked.body.contains("No tokens."))
            let refused = try await client.execute(
                uri: "/api/papers/\(paper.rawValue)/upvote", method: .post, headers: bearer
            ) { $0 }
            #expect(refused.status == .unauthorized)
            let twice = try await SettingsTests.submit(browser, "token-revoke", ["token_id": String(id)])
            #expect(twice.status == .unprocessableContent)
            #expect(twice.body.contains("There is no such token."))
        }
    }

    // MARK: Export and deletion

    @Test("the export holds the account's data and no password, secret or credential hash")
    func export() async throws {
        try await SettingsTests.signedUp { browser, client, clock, site in
            let created = try await SettingsTests.submit(browser, "token-create", ["name": "script"])
            let token = try #require(
                TestBrowser.texts(between: #"<p class="secret" id="new-token">"#, and: "<", in: created.body).first)
            let paper = try #require(Fixtures.corpus.first).id
            var bearer = HTTPFields()
            bearer[.authorization] = "Bearer \(token)"
            _ = try await client.execute(
                uri: "/api/papers/\(paper.rawValue)/upvote", method: .post, headers: bearer
            ) { $0 }
            let setup = try await SettingsTests.submit(browser, "2fa-setup")
            let key = try #require(
                TestBrowser.texts(between: #"<span class="secret" id="totp-key">"#, and: "<", in: setup.body).first)
            let secret = try SettingsTests.base32Decode(key)
            let confirmed = try await browser.post(
                "/settings/2fa-confirm",
                [
                    "csrf_token": try #require(TestBrowser.csrfToken(in: setup.body)),
                    "setup": try #require(TestBrowser.hiddenValue("setup", in: setup.body)),
                    "code": SettingsTests.code(secret, at: clock.now()),
                ])
            let codes = TestBrowser.texts(between: #"<li class="recovery-code">"#, and: "<", in: confirmed.body)

            let export = try await browser.get("/settings/export.json")
            #expect(export.status == .ok)
            #expect(export.headers[.contentType] == "application/json; charset=utf-8")
            #expect(export.headers[.contentDisposition] == #"attachment; filename="paperboy-alice.json""#)
            #expect(export.headers[.cacheControl] == "private, no-store")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(export.body.utf8)) as? [String: Any])
            let account = try #require(json["account"] as? [String: Any])
            #expect(account["username"] as? String == "alice")
            #expect(account["email"] as? String == "alice@example.org")
            #expect(account["twoFactor"] as? Bool == true)
            #expect(account["recoveryCodesLeft"] as? Int == 10)
            let votes = try #require(json["votes"] as? [[String: Any]])
            #expect(votes.map { $0["paper"] as? String } == [paper.rawValue])
            #expect((json["submissions"] as? [Any])?.isEmpty == true)
            #expect((json["tokens"] as? [[String: Any]])?.map { $0["name"] as? String } == ["script"])
            #expect((json["sessions"] as? [[String: Any]])?.first?["current"] as? Bool == true)

            let stored = try #require(try await site.store.account(username: "alice"))
            let session = try #require(browser.cookie("pb_session"))
            var secrets = [
                stored.passwordHash, secret, key, token, Credentials.storedHash(token), session,
                Credentials.storedHash(session), "passwordHash", "tokenHash", "totp",
            ]
            secrets += codes + codes.map { Credentials.storedHash(TwoFactor.normalizeRecoveryCode($0)) }
            for text in secrets { #expect(!export.body.contains(text), "the export has no \(text)") }

            // The export is also open to the account's token, and not to anyone else.
            #expect(try await client.get("/settings/export.json", headers: bearer).status == .ok)
            var bad = HTTPFields()
            bad[.authorization] = "Bearer pb_0000000000000000000000000000000000000000"
            let refused = try await client.get("/settings/export.json", headers: bad)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            let anonymous = try await client.get("/settings/export.json")
            #expect(anonymous.status == .seeOther)
        }
    }

    @Test("deleting the account takes the password and the username, ends the session and removes the votes")
    func deleteAccount() async throws {
        try await SettingsTests.signedUp { browser, client, _, site in
            let paper = try #require(Fixtures.corpus.first).id
            let page = try await browser.get("/settings")
            let token = try #require(TestBrowser.csrfToken(in: page.body))
            #expect(
                try await browser.post("/vote", ["csrf_token": token, "paper": paper.rawValue, "change": "up"])
                    .status == .seeOther)
            #expect(try await site.store.paper(id: paper, audience: .everyone)?.upvotes == 1)
            let phone = TestBrowser(client)
            _ = try await phone.logIn("alice", password: SettingsTests.password)

            let wrongName = try await SettingsTests.submit(
                browser, "delete", ["confirm_username": "bob", "current_password": SettingsTests.password])
            #expect(wrongName.status == .unprocessableContent)
            #expect(wrongName.body.contains("Type your username to confirm"))
            let wrongPassword = try await SettingsTests.submit(
                browser, "delete", ["confirm_username": "alice", "current_password": "wrong wrong wrong"])
            #expect(wrongPassword.status == .unprocessableContent)
            #expect(try await site.store.account(username: "alice") != nil)

            let deleted = try await SettingsTests.submit(
                browser, "delete", ["confirm_username": "alice", "current_password": SettingsTests.password])
            #expect(deleted.status == .seeOther)
            #expect(deleted.headers[.location] == "/")
            #expect(deleted.headers[values: .setCookie].contains { $0.hasPrefix("pb_session=;") })
            #expect(browser.cookie("pb_session") == nil)
            #expect(try await site.store.account(username: "alice") == nil)
            #expect(try await site.store.paper(id: paper, audience: .everyone)?.upvotes == 0)
            #expect(try await !phone.isSignedIn())
            #expect(
                try await TestBrowser(client).logIn("alice", password: SettingsTests.password).status
                    == .unprocessableContent)
        }
    }

    // MARK: Avatars

    @Test("avatars are SVG identicons, the same for the same name, for any well-formed username")
    func avatars() async throws {
        let site = try await SettingsTests.site()
        try await site.run { client in
            let alice = try await client.get("/avatars/alice.svg")
            #expect(alice.status == .ok)
            #expect(alice.headers[.contentType] == "image/svg+xml")
            #expect(alice.headers[.cacheControl] == "public, max-age=86400")
            #expect(alice.body.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg""#))
            #expect(alice.body.hasSuffix("</svg>\n"))
            #expect(alice.body.utf8.count < 2_000)
            #expect(try await client.get("/avatars/alice.svg").body == alice.body)
            // Nobody has this name: it still gets an avatar, so avatars do not tell which accounts exist.
            let nobody = try await client.get("/avatars/nobody_here-2.svg")
            #expect(nobody.status == .ok)
            #expect(nobody.body != alice.body)
            for malformed in [
                "/avatars/Alice.svg", "/avatars/a.svg", "/avatars/alice.png", "/avatars/al%20ice.svg",
                "/avatars/\(String(repeating: "a", count: 31)).svg", "/avatars/alice",
            ] {
                #expect(try await client.get(malformed).status == .notFound, "\(malformed)")
            }
        }
        #expect(Identicon.svg(for: "alice") == Identicon.svg(for: "alice"))
        #expect(Identicon.svg(for: "alice") != Identicon.svg(for: "alicf"))
        #expect(Identicon.hex(hue: 0, saturation: 100, lightness: 50) == "#ff0000")
        #expect(Identicon.hex(hue: 120, saturation: 100, lightness: 50) == "#00ff00")
        #expect(Identicon.hex(hue: 240, saturation: 100, lightness: 25) == "#000080")
        // Valid XML.
        let svg = try #require(Identicon.svg(for: "alice"))
        _ = try XMLDocument(xmlString: svg)
    }
}
