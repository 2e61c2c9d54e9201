import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// The moderation page, the admin page and `GET /api/moderation/reports`: who may use them, what each action does
/// and what the moderation log then says.
@Suite("Moderation and admin")
struct ModerationTests {
    /// The tests' wall clock: 2026-11-21T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_795_262_400)
    static let paper = PaperID("2611.00001")!

    /// A site that lets staff in without two-factor sign-in (one test turns the requirement on).
    static func site(requireTwoFactor: Bool = false) async throws -> TestSite {
        try await TestSite.make(
            config: WebConfiguration(
                cacheTTL: .zero,
                community: CommunitySettings(
                    requireTwoFactorForStaff: requireTwoFactor, passwordCost: Credentials.minimumCost)))
    }

    /// A browser signed in as `username` (an account made with `TestSite.member`).
    static func signedIn(_ username: String, _ client: any TestClientProtocol) async throws -> TestBrowser {
        let browser = TestBrowser(client)
        let answer = try await browser.logIn(username)
        #expect(answer.status == .seeOther && answer.headers[.location] == "/", "sign-in of \(username)")
        return browser
    }

    /// The browser's CSRF token, as its pages carry it.
    static func csrf(_ browser: TestBrowser) async throws -> String {
        try #require(TestBrowser.csrfToken(in: try await browser.get("/settings").body))
    }

    /// Posts a staff form with the browser's CSRF token.
    static func post(_ browser: TestBrowser, _ path: String, _ fields: [String: String] = [:]) async throws -> Fetched {
        var fields = fields
        fields["csrf_token"] = try await csrf(browser)
        return try await browser.post(path, fields)
    }

    /// A comment by `author` on the paper, reported by `reporter` with `reason`.
    static func reportedComment(
        _ site: TestSite, author: Account, reporter: Account, reason: String
    ) async throws -> (comment: PaperboyCore.Comment, report: Report) {
        let comment = try #require(
            try await site.store.addComment(paper: paper, accountID: author.id, text: "Buy cheap pills", at: now))
        let report = try #require(
            try await site.store.fileReport(
                target: .comment(comment.id), accountID: reporter.id, reason: reason, at: now))
        return (comment, report)
    }

    /// The log as `(actor, action, target, detail)`, oldest first.
    static func log(_ site: TestSite) async throws -> [[String?]] {
        try await site.store.moderationLog(limit: 100).reversed().map {
            [$0.actor?.username, $0.action, $0.target, $0.detail]
        }
    }

    // MARK: Who may use the pages

    @Test("anonymous visitors are sent to sign in; a token is refused")
    func anonymous() async throws {
        let site = try await Self.site()
        let (_, token) = try await site.member("carol", role: .moderator)
        try await site.run(clock: { Self.now }) { client in
            for (path, next) in [("/moderation", "%2Fmoderation"), ("/admin", "%2Fadmin")] {
                let page = try await client.get(path)
                #expect(page.status == .seeOther, "\(path)")
                #expect(page.headers[.location] == "/login?next=\(next)", "\(path)")
                #expect(page.headers[.cacheControl] == "private, no-store", "\(path)")
            }
            let form = try await TestBrowser(client).post("/moderation/resolve", ["report": "1"])
            #expect(form.status == .seeOther)
            #expect(form.headers[.location] == "/login?next=%2Fmoderation")
            let withToken = try await client.get("/moderation", headers: bearer(token))
            #expect(withToken.status == .forbidden)
            #expect(withToken.body.contains("Moderation and admin pages work only in a signed-in browser"))
        }
    }

    @Test("a member gets 403 on every moderation and admin page and action, and changes nothing")
    func membersAreRefused() async throws {
        let site = try await Self.site()
        let (alice, token) = try await site.member("alice")
        let (bob, _) = try await site.member("bob")
        let (_, report) = try await Self.reportedComment(site, author: bob, reporter: alice, reason: "spam")
        try await site.run(clock: { Self.now }) { client in
            let browser = try await Self.signedIn("alice", client)
            let moderation = try await browser.get("/moderation")
            #expect(moderation.status == .forbidden)
            #expect(moderation.body.contains("<h1>Moderators only</h1>"))
            #expect(moderation.body.contains("This page is for the site&#39;s moderators and admins."))
            let admin = try await browser.get("/admin")
            #expect(admin.status == .forbidden)
            #expect(admin.body.contains("<h1>Admins only</h1>"))
            let fields = [
                "paper": Self.paper.rawValue, "comment": "1", "report": String(report.id), "claim": "1",
                "username": "alice", "role": "admin", "org": "acme", "name": "acme", "fullname": "Acme",
            ]
            for action in ModerationFormAction.allCases {
                let answer = try await Self.post(browser, "/moderation/\(action.rawValue)", fields)
                #expect(answer.status == .forbidden, "\(action)")
                #expect(answer.body.contains("<h1>Moderators only</h1>"), "\(action)")
            }
            for action in AdminFormAction.allCases {
                let answer = try await Self.post(browser, "/admin/\(action.rawValue)", fields)
                #expect(answer.status == .forbidden, "\(action)")
                #expect(answer.body.contains("<h1>Admins only</h1>"), "\(action)")
            }
            let api = try await client.get("/api/moderation/reports", headers: bearer(token))
            #expect(api.status == .forbidden)
            #expect(try object(api)["error"] as? String == "only moderators and admins may read reports")
            let anonymous = try await client.get("/api/moderation/reports")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer realm=\"paperboy\"")
        }
        #expect(try await site.store.account(username: "alice")?.role == .member)
        #expect(try await site.store.reports(open: true, limit: 10).map(\.id) == [report.id])
        #expect(try await site.store.comments(on: Self.paper, audience: .everyone, limit: 10).count == 1)
    }

    @Test("a moderator cannot use the admin page")
    func moderatorsAreNotAdmins() async throws {
        let site = try await Self.site()
        _ = try await site.member("carol", role: .moderator)
        _ = try await site.member("alice")
        try await site.run(clock: { Self.now }) { client in
            let browser = try await Self.signedIn("carol", client)
            #expect(try await browser.get("/moderation").status == .ok)
            let admin = try await browser.get("/admin")
            #expect(admin.status == .forbidden)
            #expect(admin.body.contains("<h1>Admins only</h1>"))
            #expect(try await browser.get("/moderation").body.contains("admin page") == false)
            let role = try await Self.post(browser, "/admin/role", ["username": "alice", "role": "moderator"])
            #expect(role.status == .forbidden)
            #expect(role.body.contains("This page is for the site&#39;s admins."))
        }
        #expect(try await site.store.account(username: "alice")?.role == .member)
    }

    @Test("staff without two-factor sign-in are refused while the site requires it, with a token too")
    func twoFactorRequired() async throws {
        let site = try await Self.site(requireTwoFactor: true)
        let (carol, token) = try await site.member("carol", role: .moderator)
        try await site.run(clock: { Self.now }) { client in
            let browser = try await Self.signedIn("carol", client)
            let page = try await browser.get("/moderation")
            #expect(page.status == .forbidden)
            #expect(page.body.contains("<h1>Turn on two-factor sign-in</h1>"))
            let api = try await client.get("/api/moderation/reports", headers: bearer(token))
            #expect(api.status == .forbidden)
            #expect(
                try object(api)["error"] as? String
                    == "moderators and admins must turn on two-factor sign-in first (in settings)")

            _ = try await site.store.updateAccount(
                id: carol.id, .twoFactor(secret: TwoFactor.newSecret(), recoveryCodeHashes: []))
            #expect(try await browser.get("/moderation").status == .ok)
            #expect(try await client.get("/api/moderation/reports", headers: bearer(token)).status == .ok)
        }
    }

    @Test("a form without its CSRF token, or with a wrong one, is refused with 403 and changes nothing")
    func csrf() async throws {
        let site = try await Self.site()
        let (alice, _) = try await site.member("alice")
        let (bob, _) = try await site.member("bob")
        _ = try await site.member("carol", role: .moderator)
        _ = try await site.member("dave", role: .admin)
        let (comment, report) = try await Self.reportedComment(site, author: bob, reporter: alice, reason: "spam")
        try await site.run(clock: { Self.now }) { client in
            let carol = try await Self.signedIn("carol", client)
            let dave = try await Self.signedIn("dave", client)
            let attempts: [(TestBrowser, String, [String: String])] = [
                (carol, "/moderation/resolve", ["report": String(report.id)]),
                (carol, "/moderation/hide-comment", ["comment": String(comment.id)]),
                (carol, "/moderation/resolve", ["report": String(report.id), "csrf_token": "forged"]),
                (dave, "/admin/role", ["username": "alice", "role": "admin"]),
                (dave, "/admin/disable", ["username": "alice", "csrf_token": try await Self.csrf(carol)]),
            ]
            for (browser, path, fields) in attempts {
                let answer = try await browser.post(path, fields)
                #expect(answer.status == .forbidden, "\(path) \(fields)")
                #expect(answer.body.contains("<h1>Form expired</h1>"), "\(path)")
            }
        }
        #expect(try await site.store.reports(open: true, limit: 10).map(\.id) == [report.id])
        #expect(try await site.store.comment(id: comment.id)?.hiddenAt == nil)
        let alice2 = try #require(try await site.store.account(username: "alice"))
        #expect(alice2.role == .member && !alice2.disabled)
    }

    // MARK: The moderation page

    @Test("the queue escapes what reporters wrote")
    func reasonsAreEscaped() async throws {
        let site = try await Self.site()
        let (alice, _) = try await site.member("alice")
        let (bob, _) = try await site.member("bob")
        _ = try await site.member("carol", role: .moderator)
        let (comment, report) = try await Self.reportedComment(
            site, author: bob, reporter: alice, reason: "<script>alert(1)</script> \"spam\" & <img src=x onerror=y>")
        try await site.run(clock: { Self.now }) { client in
            let page = try await Self.signedIn("carol", client).get("/moderation")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "private, no-store")
            #expect(!page.body.contains("<script>alert(1)"))
            #expect(!page.body.contains("<img src=x"))
            #expect(
                page.body.contains(
                    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;spam&quot; &amp; &lt;img src=x onerror=y&gt;"))
            // What was reported, by whom, when, and the buttons.
            #expect(page.body.contains(#"<tr id="report-\#(report.id)">"#))
            #expect(
                page.body.contains(
                    #"<a href="/papers/2611.00001#comment-\#(comment.id)">Comment \#(comment.id) by bob on "#
                        + "Attention Is All You Need Again</a>"))
            #expect(page.body.contains(#"<blockquote class="excerpt">Buy cheap pills</blockquote>"#))
            #expect(page.body.contains(#"<a href="/users/alice">alice</a>"#))
            #expect(page.body.contains("2026-11-21 12:00 UTC"))
            #expect(page.body.contains(">Resolve</button>"))
            #expect(page.body.contains(">Hide comment and resolve</button>"))
        }
    }

    @Test("a moderator hides a reported comment: others no longer see it, and the log says who did it")
    func hideAComment() async throws {
        let site = try await Self.site()
        let (alice, _) = try await site.member("alice")
        let (bob, _) = try await site.member("bob")
        _ = try await site.member("carol", role: .moderator)
        let (comment, report) = try await Self.reportedComment(site, author: bob, reporter: alice, reason: "spam")
        #expect(try await site.store.paper(id: Self.paper, audience: .everyone)?.numComments == 1)
        try await site.run(clock: { Self.now }) { client in
            let carol = try await Self.signedIn("carol", client)
            let hidden = try await Self.post(
                carol, "/moderation/hide-comment", ["comment": String(comment.id), "report": String(report.id)])
            #expect(hidden.status == .seeOther)
            #expect(hidden.headers[.location] == "/moderation")

            #expect(try await site.store.comments(on: Self.paper, audience: .everyone, limit: 10).isEmpty)
            #expect(
                try await site.store.comments(on: Self.paper, audience: .moderators, limit: 10).map(\.id)
                    == [comment.id])
            #expect(try await site.store.paper(id: Self.paper, audience: .everyone)?.numComments == 0)
            #expect(try await site.store.reports(open: true, limit: 10).isEmpty)
            // Visitors and members no longer see it on the paper's page or in its API answer.
            let api = try await client.get("/api/papers/2611.00001/comments")
            #expect(api.status == .ok)
            #expect(try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [Any] != nil)
            #expect(!api.body.contains("Buy cheap pills"))
            #expect(try await client.get("/papers/2611.00001").body.contains("Buy cheap pills") == false)
            #expect(try await carol.get("/papers/2611.00001").body.contains("Buy cheap pills"), "moderators see it")

            let page = try await carol.get("/moderation")
            #expect(page.body.contains("No open reports."))
            #expect(page.body.contains(">Unhide comment</button>"))
            // Unhiding shows it again; unhiding twice changes nothing and is not logged twice.
            for _ in 0..<2 {
                let shown = try await Self.post(carol, "/moderation/unhide-comment", ["comment": String(comment.id)])
                #expect(shown.status == .seeOther)
            }
            #expect(try await site.store.comments(on: Self.paper, audience: .everyone, limit: 10).count == 1)
            #expect(try await client.get("/api/papers/2611.00001/comments").body.contains("Buy cheap pills"))
            #expect(!(try await carol.get("/moderation").body.contains(">Unhide comment</button>")))

            let missing = try await Self.post(carol, "/moderation/hide-comment", ["comment": "999"])
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("There is no comment 999."))
            let malformed = try await Self.post(carol, "/moderation/hide-comment", ["comment": "x"])
            #expect(malformed.status == .badRequest)
            #expect(malformed.body.contains("The form names no comment."))
            let unknown = try await Self.post(carol, "/moderation/delete-everything")
            #expect(unknown.status == .notFound)
            #expect(unknown.body.contains("There is no such moderation action."))
        }
        #expect(
            try await Self.log(site) == [
                ["carol", "comment.hide", "comment:\(comment.id)", nil],
                ["carol", "report.resolve", "report:\(report.id)", "comment:\(comment.id)"],
                ["carol", "comment.unhide", "comment:\(comment.id)", nil],
            ])
    }

    @Test("a moderator hides a reported paper and unhides it; resolving a report keeps the target")
    func hideAPaper() async throws {
        let site = try await Self.site()
        let (alice, _) = try await site.member("alice")
        let (bob, _) = try await site.member("bob")
        _ = try await site.member("carol", role: .moderator)
        let paperReport = try #require(
            try await site.store.fileReport(
                target: .paper(Self.paper), accountID: alice.id, reason: "plagiarism", at: Self.now))
        let (comment, commentReport) = try await Self.reportedComment(
            site, author: bob, reporter: alice, reason: "rude")
        try await site.run(clock: { Self.now }) { client in
            let carol = try await Self.signedIn("carol", client)
            let queue = try await carol.get("/moderation")
            #expect(queue.body.contains(">Hide paper and resolve</button>"))
            #expect(queue.body.contains("Paper 2611.00001: Attention Is All You Need Again"))

            let resolved = try await Self.post(carol, "/moderation/resolve", ["report": String(commentReport.id)])
            #expect(resolved.status == .seeOther)
            #expect(try await site.store.comments(on: Self.paper, audience: .everyone, limit: 10).count == 1)

            let hidden = try await Self.post(
                carol, "/moderation/hide", ["paper": "arXiv:2611.00001", "report": String(paperReport.id)])
            #expect(hidden.status == .seeOther)
            #expect(hidden.headers[.location] == "/moderation")
            #expect(try await site.store.paper(id: Self.paper, audience: .everyone) == nil)
            #expect(try await site.store.hiddenPapers(limit: 10).map(\.paper.id) == [Self.paper])
            #expect(try await site.store.reports(open: true, limit: 10).isEmpty)
            let page = try await carol.get("/moderation")
            #expect(
                page.body.contains(#"<a href="/papers/2611.00001">Attention Is All You Need Again</a> (2611.00001)"#))
            #expect(page.body.contains(">Unhide</button>"))

            let shown = try await Self.post(carol, "/moderation/unhide", ["paper": "2611.00001"])
            #expect(shown.status == .seeOther)
            #expect(try await site.store.paper(id: Self.paper, audience: .everyone) != nil)
            #expect(try await carol.get("/moderation").body.contains("No hidden papers."))

            let unknown = try await Self.post(carol, "/moderation/hide", ["paper": "2611.99999"])
            #expect(unknown.status == .notFound)
            #expect(unknown.body.contains("There is no paper 2611.99999."))
            let malformed = try await Self.post(carol, "/moderation/hide", ["paper": "not a paper"])
            #expect(malformed.status == .badRequest)
            #expect(malformed.body.contains("The form names no paper: give an arXiv id such as 2501.01234."))
        }
        #expect(
            try await Self.log(site) == [
                ["carol", "report.resolve", "report:\(commentReport.id)", "comment:\(comment.id)"],
                ["carol", "paper.hide", "2611.00001", nil],
                ["carol", "report.resolve", "report:\(paperReport.id)", "paper:2611.00001"],
                ["carol", "paper.unhide", "2611.00001", nil],
            ])
    }

    @Test("a moderator accepts one author's claim and refuses another; the log lists both")
    func claims() async throws {
        let site = try await Self.site()
        let (ada, _) = try await site.member("ada")
        let (alan, _) = try await site.member("alan")
        _ = try await site.member("carol", role: .moderator)
        guard
            case .filed(let accepted) = try await site.store.claimAuthorship(
                paper: Self.paper, authorIndex: 0, accountID: ada.id, at: Self.now)
        else { Issue.record("ada's claim was not filed"); return }
        guard
            case .filed(let refused) = try await site.store.claimAuthorship(
                paper: Self.paper, authorIndex: 1, accountID: alan.id, at: Self.now)
        else { Issue.record("alan's claim was not filed"); return }
        try await site.run(clock: { Self.now }) { client in
            let carol = try await Self.signedIn("carol", client)
            let page = try await carol.get("/moderation")
            #expect(page.body.contains(#"<tr id="claim-\#(accepted.id)">"#))
            #expect(page.body.contains("<td>Ada Lovelace (author 1)</td>"))
            #expect(page.body.contains("<td>Alan Turing (author 2)</td>"))
            #expect(page.body.contains(">Accept</button>") && page.body.contains(">Refuse</button>"))

            let accept = try await Self.post(carol, "/moderation/accept-claim", ["claim": String(accepted.id)])
            #expect(accept.status == .seeOther)
            #expect(accept.headers[.location] == "/moderation")
            let refuse = try await Self.post(carol, "/moderation/refuse-claim", ["claim": String(refused.id)])
            #expect(refuse.status == .seeOther)
            // A claim decided already stays as it was.
            let again = try await Self.post(carol, "/moderation/refuse-claim", ["claim": String(accepted.id)])
            #expect(again.status == .seeOther)
            let missing = try await Self.post(carol, "/moderation/accept-claim", ["claim": "999"])
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("There is no claim 999."))

            let after = try await carol.get("/moderation")
            #expect(after.body.contains("No claims waiting."))
            #expect(after.body.contains("<td>claim.accept</td>"))
            #expect(after.body.contains(#"<a href="/users/carol">carol</a>"#))
        }
        #expect(try await site.store.claim(id: accepted.id)?.status == .accepted)
        #expect(try await site.store.claim(id: refused.id)?.status == .refused)
        #expect(try await site.store.claim(id: accepted.id)?.decidedBy?.username == "carol")
        #expect(
            try await Self.log(site).map { Array($0.prefix(3)) } == [
                ["carol", "claim.accept", "claim:\(accepted.id)"], ["carol", "claim.refuse", "claim:\(refused.id)"],
            ])
    }

    // MARK: The admin page

    @Test("an admin changes a role, disables and enables an account, never their own")
    func roles() async throws {
        let site = try await Self.site()
        _ = try await site.member("alice")
        _ = try await site.member("dave", role: .admin)
        try await site.run(clock: { Self.now }) { client in
            let alice = try await Self.signedIn("alice", client)
            let dave = try await Self.signedIn("dave", client)
            let lookup = try await dave.get("/admin?user=Alice")
            #expect(lookup.status == .ok)
            #expect(lookup.headers[.cacheControl] == "private, no-store")
            #expect(lookup.body.contains("<dt>Role</dt><dd>member</dd>"))
            #expect(lookup.body.contains(#"<option value="member" selected>member</option>"#))
            #expect(try await dave.get("/admin?user=nobody").body.contains("There is no user named nobody."))

            let role = try await Self.post(dave, "/admin/role", ["username": "alice", "role": "moderator"])
            #expect(role.status == .seeOther)
            #expect(role.headers[.location] == "/admin?user=alice")
            #expect(try await site.store.account(username: "alice")?.role == .moderator)
            #expect(try await alice.get("/moderation").status == .ok)

            let cases: [(String, [String: String], String)] = [
                ("role", ["username": "alice", "role": "root"], "Role: choose member, moderator or admin."),
                ("role", ["username": "nobody", "role": "admin"], "There is no user named nobody."),
                (
                    "role", ["username": "dave", "role": "member"],
                    "You cannot change your own role: ask another admin."
                ),
                ("disable", ["username": "dave"], "You cannot disable your own account: ask another admin."),
            ]
            for (action, fields, message) in cases {
                let answer = try await Self.post(dave, "/admin/\(action)", fields)
                #expect(answer.status == .unprocessableContent, "\(action) \(fields)")
                #expect(answer.body.contains(#"<p class="problem" role="alert">\#(message)</p>"#), "\(fields)")
            }
            #expect(try await site.store.account(username: "dave")?.role == .admin)

            let disabled = try await Self.post(dave, "/admin/disable", ["username": "alice"])
            #expect(disabled.status == .seeOther)
            #expect(try await site.store.account(username: "alice")?.disabled == true)
            #expect(try await !alice.isSignedIn(), "disabling ends the account's sessions")
            #expect(try await dave.get("/admin?user=alice").body.contains("<strong>disabled</strong>"))
            let enabled = try await Self.post(dave, "/admin/enable", ["username": "alice"])
            #expect(enabled.status == .seeOther)
            #expect(try await site.store.account(username: "alice")?.disabled == false)
            // No change, nothing logged.
            #expect(try await Self.post(dave, "/admin/enable", ["username": "alice"]).status == .seeOther)
        }
        #expect(
            try await Self.log(site) == [
                ["dave", "user.role", "alice", "moderator"], ["dave", "user.disable", "alice", nil],
                ["dave", "user.enable", "alice", nil],
            ])
    }

    @Test("an admin creates an organisation and adds and removes members")
    func organizations() async throws {
        let site = try await Self.site()
        _ = try await site.member("alice")
        _ = try await site.member("dave", role: .admin)
        try await site.run(clock: { Self.now }) { client in
            let dave = try await Self.signedIn("dave", client)
            let created = try await Self.post(
                dave, "/admin/create-org", ["name": " Meta-AI ", "fullname": "AI at <b>Meta</b>"])
            #expect(created.status == .seeOther)
            #expect(created.headers[.location] == "/admin?org=meta-ai")
            let page = try await dave.get("/admin?org=meta-ai")
            #expect(page.body.contains("AI at &lt;b&gt;Meta&lt;/b&gt;"))
            #expect(!page.body.contains("<b>Meta</b>"))
            #expect(page.body.contains("No members yet."))

            let refused: [([String: String], String)] = [
                (["name": "meta-ai", "fullname": "Again"], "An organisation named meta-ai exists already."),
                (
                    ["name": "a", "fullname": "A"],
                    "Name: an organisation name is 2 to 30 characters: letters a-z, digits, _ and -."
                ),
                (["name": "admin", "fullname": "A"], "Name: that name is reserved."),
                (
                    ["name": "acme", "fullname": " "],
                    "Full name: a full name is 1 to 100 characters, without control characters."
                ),
            ]
            for (fields, message) in refused {
                let answer = try await Self.post(dave, "/admin/create-org", fields)
                #expect(answer.status == .unprocessableContent, "\(fields)")
                #expect(answer.body.contains(#"<p class="problem" role="alert">\#(message)</p>"#), "\(fields)")
            }

            let added = try await Self.post(dave, "/admin/add-member", ["org": "meta-ai", "username": "Alice"])
            #expect(added.status == .seeOther)
            #expect(added.headers[.location] == "/admin?org=meta-ai")
            #expect(try await site.store.members(of: "meta-ai").map(\.username) == ["alice"])
            #expect(try await dave.get("/admin?org=meta-ai").body.contains(#"<a href="/users/alice">alice</a>"#))
            let unknownUser = try await Self.post(dave, "/admin/add-member", ["org": "meta-ai", "username": "nobody"])
            #expect(unknownUser.status == .unprocessableContent)
            #expect(unknownUser.body.contains("There is no user named nobody."))
            let unknownOrg = try await Self.post(dave, "/admin/add-member", ["org": "acme", "username": "alice"])
            #expect(unknownOrg.status == .unprocessableContent)
            #expect(unknownOrg.body.contains("There is no organisation named acme."))

            let removed = try await Self.post(dave, "/admin/remove-member", ["org": "meta-ai", "username": "alice"])
            #expect(removed.status == .seeOther)
            #expect(try await site.store.members(of: "meta-ai").isEmpty)
        }
        #expect(try await site.store.organization(name: "meta-ai")?.fullname == "AI at <b>Meta</b>")
        #expect(
            try await Self.log(site) == [
                ["dave", "org.create", "meta-ai", "AI at <b>Meta</b>"], ["dave", "org.add", "meta-ai", "alice"],
                ["dave", "org.remove", "meta-ai", "alice"],
            ])
    }

    // MARK: The API

    @Test("GET /api/moderation/reports lists open and resolved reports")
    func reportsAPI() async throws {
        let site = try await Self.site()
        let (alice, _) = try await site.member("alice")
        let (bob, _) = try await site.member("bob")
        let (carol, token) = try await site.member("carol", role: .moderator)
        let (comment, commentReport) = try await Self.reportedComment(
            site, author: bob, reporter: alice, reason: "spam")
        let paperReport = try #require(
            try await site.store.fileReport(target: .paper(Self.paper), accountID: bob.id, reason: "", at: Self.now))
        try await site.run(clock: { Self.now }) { client in
            let open = try await client.get("/api/moderation/reports", headers: bearer(token))
            #expect(open.status == .ok)
            #expect(open.headers[.cacheControl] == "private, no-store")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(open.body.utf8)) as? [[String: Any]])
            #expect(items.count == 2)
            #expect(items.first?["id"] as? String == String(commentReport.id))
            #expect(items.first?["target"] as? [String: String] == ["type": "comment", "id": String(comment.id)])
            #expect((items.first?["reporter"] as? [String: Any])?["user"] as? String == "alice")
            #expect(items.first?["reason"] as? String == "spam")
            #expect(items.first?["createdAt"] as? String == "2026-11-21T12:00:00.000Z")
            #expect(items.first?["resolvedAt"] == nil && items.first?["resolvedBy"] == nil)
            #expect(items.last?["target"] as? [String: String] == ["type": "paper", "id": "2611.00001"])
            #expect(items.last?["reason"] as? String == "")

            let one = try await client.get("/api/moderation/reports?limit=1", headers: bearer(token))
            #expect((try JSONSerialization.jsonObject(with: Data(one.body.utf8)) as? [Any])?.count == 1)
            for (query, message) in [
                ("state=closed", "state must be open or resolved"),
                ("limit=0", "limit must be an integer from 1 to 100"),
                ("limit=101", "limit must be an integer from 1 to 100"),
            ] {
                let bad = try await client.get("/api/moderation/reports?\(query)", headers: bearer(token))
                #expect(bad.status == .badRequest, "\(query)")
                #expect(try object(bad)["error"] as? String == message, "\(query)")
            }

            _ = try await site.store.resolveReport(
                id: paperReport.id, by: carol.id, at: Self.now.addingTimeInterval(60))
            _ = try await site.store.deleteAccount(id: bob.id)
            let resolved = try await client.get("/api/moderation/reports?state=resolved", headers: bearer(token))
            let done = try #require(
                try JSONSerialization.jsonObject(with: Data(resolved.body.utf8)) as? [[String: Any]])
            #expect(done.count == 1)
            #expect(done.first?["id"] as? String == String(paperReport.id))
            #expect(done.first?["reporter"] is NSNull, "the reporter's account is gone")
            #expect(done.first?["resolvedAt"] as? String == "2026-11-21T12:01:00.000Z")
            #expect((done.first?["resolvedBy"] as? [String: Any])?["user"] as? String == "carol")
        }
    }
}

/// The moderation and admin pages rendered from fixed models (see ``SnapshotTests``; the same recording command
/// covers these, as the filter `SnapshotTests` matches this suite too).
@Suite("HTML snapshots: moderation and admin")
struct ModerationSnapshotTests {
    static let config = SnapshotTests.config

    static func person(_ name: String?) -> PersonLink {
        PersonLink(name.map { Person(username: $0, fullname: $0.capitalized) }, config: config)
    }

    @Test func moderation() async throws {
        let config = Self.config
        let reports = [
            ReportView(
                id: 3, kind: "comment", what: "Comment 7 by bob on <i>Attention</i> Is All You Need Again",
                targetLink: "/papers/2611.00001#comment-7", excerpt: "Buy <b>cheap</b> pills\nnow",
                reporter: Self.person("alice"), reason: "<script>alert('x')</script> & spam", hasReason: true,
                when: "2026-11-21 12:00 UTC", hidePaper: nil, hideComment: 7, targetHidden: false),
            ReportView(
                id: 4, kind: "paper", what: "Paper 2611.00002: Quantum Error Correction at Scale",
                targetLink: "/papers/2611.00002", excerpt: nil, reporter: Self.person(nil), reason: "",
                hasReason: false, when: "2026-11-21 12:05 UTC", hidePaper: "2611.00002", hideComment: nil,
                targetHidden: false),
        ]
        let claims = [
            ClaimView(
                id: 5, claimant: Self.person("ada"), paperID: "2611.00001",
                paperTitle: "Attention Is All You Need Again", paperLink: "/papers/2611.00001",
                authorName: "Ada Lovelace", position: 1, when: "2026-11-20 09:30 UTC")
        ]
        let hidden = [
            HiddenPaperView(
                id: "2611.00004", title: "<script>alert('x')</script> & \"Quotes\"", link: "/papers/2611.00004",
                when: "2026-11-21 11:00 UTC")
        ]
        let log = [
            LogEntryView(
                actor: Self.person("carol"), action: "comment.hide", target: "comment:6", targetLink: nil, detail: nil,
                when: "2026-11-21 11:30 UTC", unhideComment: 6),
            LogEntryView(
                actor: Self.person("carol"), action: "paper.hide", target: "2611.00004",
                targetLink: "/papers/2611.00004", detail: nil, when: "2026-11-21 11:00 UTC", unhideComment: nil),
            LogEntryView(
                actor: PersonLink(nil, config: config, absent: "command line or deleted user"), action: "user.role",
                target: "carol", targetLink: "/users/carol", detail: "moderator", when: "2026-11-20 08:00 UTC",
                unhideComment: nil),
        ]
        let model = ModerationPageModel(
            site: SiteChrome(config), csrf: "CSRF-TOKEN", actions: ModerationActionLinks(config), admin: "/admin",
            reports: reports, hasReports: true, claims: claims, hasClaims: true, hidden: hidden, hasHidden: true,
            log: log, hasLog: true, limit: 100)
        try Snapshot.check(try await SnapshotTests.render(model, "moderation"), named: "moderation")
    }

    @Test func admin() async throws {
        let config = Self.config
        let model = AdminPageModel(
            site: SiteChrome(config), csrf: "CSRF-TOKEN", problem: "An organisation named acme exists already.",
            actions: AdminActionLinks(config), moderation: "/moderation", lookup: "/admin",
            organizations: [
                OrganizationRow(name: "acme", fullname: "Acme <Labs>", page: "/orgs/acme", manage: "/admin?org=acme"),
                OrganizationRow(name: "meta", fullname: "AI at Meta", page: "/orgs/meta", manage: "/admin?org=meta"),
            ],
            hasOrganizations: true, newName: "acme", newFullname: "Acme \"again\"",
            selected: SelectedOrganization(
                orgName: "acme", orgFullname: "Acme <Labs>", orgPage: "/orgs/acme",
                members: [MemberRow(username: "alice", profile: "/users/alice")], hasMembers: true),
            unknownOrganization: nil, userQuery: "alice",
            user: UserView(
                username: "alice", fullname: "Alice <A.>", email: "alice@example.org", role: "moderator",
                roles: UserRole.allCases.map { RoleOption(value: $0.rawValue, selected: $0 == .moderator) },
                disabled: false, twoFactor: true, created: "2025-11-13 02:13 UTC", profile: "/users/alice",
                memberOf: "acme", hasOrganizations: true, isSelf: false),
            unknownUser: nil)
        try Snapshot.check(try await SnapshotTests.render(model, "admin"), named: "admin")
    }
}
