import Foundation
import Hummingbird
import PaperboyCore

/// Every route the site answers, by its pattern below the site's prefix. `RouteTable` registers exactly these, and
/// `SiteURL` writes its links from the same patterns, so a link and the route that answers it cannot drift apart.
enum SiteRoute: String, CaseIterable, Sendable {
    // Pages
    case home = "/"
    case listing = "/papers"
    case paper = "/papers/**"
    case author = "/authors/**"
    case category = "/categories/{category}"
    case search = "/search"
    case trending = "/trending"
    /// Papers and votes per day, top categories (`?days=N`).
    case stats = "/stats"
    /// The site's stylesheet and script, and KaTeX with its fonts (``StaticFiles``).
    case staticFile = "/static/**"
    case avatar = "/avatars/{file}"
    // Accounts and the community's forms
    case login = "/login"
    case loginTwoFactor = "/login/2fa"
    case signup = "/signup"
    case logout = "/logout"
    case settings = "/settings"
    case settingsExport = "/settings/export.json"
    /// The settings forms post here (`profile`, `password`, `tokens`, ...).
    case settingsAction = "/settings/{action}"
    case submit = "/submit"
    case vote = "/vote"
    /// The signed-in person's recommendations.
    case forYou = "/for-you"
    /// `GET`: the categories and seed papers recommendations start from, and the "not interested" marks; `POST`: saves.
    case forYouSettings = "/for-you/settings"
    /// `POST` (`paper`, `undo`, `next`): marks a paper "not interested", or takes the mark back.
    case notInterested = "/not-interested"
    // Community, part 2: discussion, collections, profiles, moderation
    /// `POST`: a new comment (`paper`, `text`).
    case comments = "/comments"
    /// `POST /comments/{id}/{edit|delete|report|hide|unhide}`.
    case commentAction = "/comments/**"
    /// `POST`: a report of a paper (`paper`, `reason`).
    case report = "/report"
    /// `POST`: a claim of authorship (`paper`, `author` = the 0-based position).
    case claim = "/claim"
    /// `POST`: a paper's organisation, code and project links (`paper`, `organization`, `github_repo`,
    /// `project_page`).
    case paperLinks = "/paper-links"
    /// The signed-in user's collections (`GET`) and a new one (`POST`).
    case collections = "/collections"
    /// `/collections/{id}`, `/collections/{id}.bib`; `POST /collections/{id}/{edit|delete|add|remove}`.
    case collection = "/collections/**"
    case collectionFeed = "/feeds/collections/{file}"
    case user = "/users/{name}"
    case organization = "/orgs/{name}"
    case moderation = "/moderation"
    /// `POST /moderation/{action}`: hide, unhide, resolve, accept-claim, refuse-claim.
    case moderationAction = "/moderation/{action}"
    case admin = "/admin"
    /// `POST /admin/{action}`: create-org, add-member, remove-member, role, disable, enable.
    case adminAction = "/admin/{action}"
    // Mail: digest subscriptions (no account needed), email verification and password reset
    /// `GET`: the subscribe form (`?sent=1`: "check your inbox"); `POST`: a subscription request (no CSRF token: the
    /// confirmation mail is the check).
    case subscribe = "/subscribe"
    /// `GET ?token=`: what a confirmation link will confirm, with a button; `POST` (`token`): confirms.
    case subscriptionConfirm = "/subscriptions/confirm"
    /// `GET ?token=`: a subscription's settings; `POST` (`token`, `action` = change or unsubscribe): changes or ends it.
    case subscriptionManage = "/subscriptions/manage"
    /// `GET ?token=`: a one-button page; `POST ?token=`: unsubscribes (RFC 8058 one-click, from mail clients).
    case unsubscribe = "/subscriptions/unsubscribe"
    /// `GET ?token=`: verify an account's email with a button; `POST` (`token`): verifies.
    case verifyEmail = "/verify-email"
    /// `GET`: asks for the address of the account; `POST`: mails a reset link to it.
    case passwordReset = "/password-reset"
    /// `GET ?token=`: a new-password form; `POST` (`token`, `password`): sets it.
    case passwordResetConfirm = "/password-reset/confirm"
    // Feeds
    case dailyFeed = "/feeds/daily.xml"
    case categoryFeed = "/feeds/categories/{file}"
    case searchFeed = "/feeds/search.xml"
    // JSON API
    case apiDailyPapers = "/api/daily_papers"
    case apiSearch = "/api/papers/search"
    case apiSubmit = "/api/papers/submit"
    case apiPapers = "/api/papers"
    /// The figures of `/stats` as JSON (`?days=N`).
    case apiStats = "/api/stats"
    /// Search suggestions as a person types (`?q=`): papers and authors.
    case apiSuggest = "/api/suggest"
    /// The caller's recommendations (`?limit=&days=`; an account needed).
    case apiRecommendations = "/api/recommendations"
    /// A paper, its similar papers (`/api/papers/{id}/similar`) or its upvote (`/api/papers/{id}/upvote`); ids may
    /// hold a slash.
    case apiPaper = "/api/papers/**"
    /// `PATCH` / `DELETE /api/comments/{id}`, `POST /api/comments/{id}/hide` and `/unhide`.
    case apiComment = "/api/comments/**"
    case apiCollections = "/api/collections"
    /// A collection (`GET` / `PATCH` / `DELETE`), its items (`POST .../items`, `DELETE .../items/{paperId}`).
    case apiCollection = "/api/collections/**"
    case apiReports = "/api/moderation/reports"
    /// `POST`: a subscription request (202 whether the address is new or known).
    case apiSubscriptions = "/api/subscriptions"
    // Operations
    case health = "/health"
    case metrics = "/metrics"
    case robots = "/robots.txt"
    case sitemap = "/sitemap.xml"
    case openAPI = "/openapi.json"
    // Assistants
    /// `POST`: the MCP server (streamable HTTP transport, stateless).
    case mcp = "/mcp"

    /// The pattern as the router takes it: `{name}` captures one segment, `**` the rest of the path.
    var pattern: String { rawValue }

    /// The pattern with its parameter (`{name}` or `**`, the last segment of every pattern that has one) replaced by
    /// `value`, written as given (already encoded).
    func path(_ value: String) -> String {
        let pattern = pattern
        guard let slash = pattern.lastIndex(of: "/") else { return pattern }
        let last = pattern[pattern.index(after: slash)...]
        guard last == "**" || last.hasPrefix("{") else { return pattern }
        return pattern[...slash] + value
    }

    /// The text of the route's parameter in a matched request, still percent-encoded: the `{name}` segment, or the
    /// segments `**` took, joined by `/`. Throws for a route without a parameter.
    func parameter(in context: some RequestContext) throws -> String {
        let parts = pattern.split(separator: "/")
        if parts.last == "**" { return context.parameters.getCatchAll().joined(separator: "/") }
        let capture = parts.first { $0.hasPrefix("{") && $0.hasSuffix("}") }
        return try context.parameters.require(capture.map { String($0.dropFirst().dropLast()) } ?? pattern)
    }
}

/// Every page of the site, typed. Links are written from the pattern of the route that answers them
/// (``SiteRoute``), so a link cannot point at a route that does not exist.
public enum SiteURL: Sendable, Hashable {
    case home
    case listing(ListingPeriod, page: Int = 1)
    case paper(PaperID)
    case paperMarkdown(PaperID)
    case author(String, page: Int = 1)
    case category(String, page: Int = 1)
    case search(String, mode: SearchMode = .hybrid, sort: SearchSort = .relevance, page: Int = 1)
    case trending(page: Int = 1)
    /// The sign-in page, coming back to `next` (a path of this site) afterwards.
    case login(next: String?)
    case loginTwoFactor(next: String?)
    case signup(next: String?)
    case logout
    case settings
    case settingsExport
    case settingsAction(String)
    case submit
    case vote
    case forYou
    case forYouSettings
    case notInterested
    case apiRecommendations
    case comments
    /// `POST /comments/{id}/{action}`.
    case commentAction(Int64, String)
    case report
    case claim
    case paperLinks
    case collections
    case collection(String)
    case collectionBibTeX(String)
    /// `POST /collections/{id}/{action}`.
    case collectionAction(String, String)
    case collectionFeed(String)
    case user(String)
    case organization(String, page: Int = 1)
    case moderation
    case moderationAction(String)
    case admin
    case adminAction(String)
    case avatar(username: String)
    /// The subscribe form, or with `sent` the "check your inbox" page.
    case subscribe(sent: Bool = false)
    /// A mail link's page with its token, or (nil) where its form posts.
    case subscriptionConfirm(token: String?)
    case subscriptionManage(token: String?)
    /// The one-click unsubscribe URL (its token is in the query, as RFC 8058 posts to it).
    case unsubscribe(token: String?)
    case verifyEmail(token: String?)
    case passwordReset
    case passwordResetConfirm(token: String?)
    case apiSubscriptions
    case dailyFeed
    case categoryFeed(String)
    case searchFeed(String)
    /// A file of ``StaticFiles`` by its path below `/static/`.
    case staticFile(String)
    case apiSuggest
    /// The next page of `/api/papers`, from the cursor the previous page ended on.
    case apiPapers(after: PaperCursor, limit: Int)
    case openAPI
    case health
    case sitemap
    /// The MCP endpoint, as MCP clients are configured with it.
    case mcp
    case stats(days: Int)
    case apiStats(days: Int)

    /// The route that answers this URL.
    var route: SiteRoute {
        switch self {
        case .home: .home
        case .listing: .listing
        case .paper, .paperMarkdown: .paper
        case .author: .author
        case .category: .category
        case .search: .search
        case .trending: .trending
        case .login: .login
        case .loginTwoFactor: .loginTwoFactor
        case .signup: .signup
        case .logout: .logout
        case .settings: .settings
        case .settingsExport: .settingsExport
        case .settingsAction: .settingsAction
        case .submit: .submit
        case .vote: .vote
        case .forYou: .forYou
        case .forYouSettings: .forYouSettings
        case .notInterested: .notInterested
        case .apiRecommendations: .apiRecommendations
        case .comments: .comments
        case .commentAction: .commentAction
        case .report: .report
        case .claim: .claim
        case .paperLinks: .paperLinks
        case .collections: .collections
        case .collection, .collectionBibTeX, .collectionAction: .collection
        case .collectionFeed: .collectionFeed
        case .user: .user
        case .organization: .organization
        case .moderation: .moderation
        case .moderationAction: .moderationAction
        case .admin: .admin
        case .adminAction: .adminAction
        case .avatar: .avatar
        case .subscribe: .subscribe
        case .subscriptionConfirm: .subscriptionConfirm
        case .subscriptionManage: .subscriptionManage
        case .unsubscribe: .unsubscribe
        case .verifyEmail: .verifyEmail
        case .passwordReset: .passwordReset
        case .passwordResetConfirm: .passwordResetConfirm
        case .apiSubscriptions: .apiSubscriptions
        case .dailyFeed: .dailyFeed
        case .categoryFeed: .categoryFeed
        case .searchFeed: .searchFeed
        case .staticFile: .staticFile
        case .apiSuggest: .apiSuggest
        case .apiPapers: .apiPapers
        case .openAPI: .openAPI
        case .health: .health
        case .sitemap: .sitemap
        case .mcp: .mcp
        case .stats: .stats
        case .apiStats: .apiStats
        }
    }

    /// The path and query below the site's prefix.
    public var relative: String {
        let route = route
        return switch self {
        case .home, .dailyFeed, .apiSuggest, .openAPI, .health, .sitemap, .mcp, .logout, .settings, .settingsExport,
            .submit, .vote, .comments, .report, .claim, .paperLinks, .collections, .moderation, .admin, .passwordReset,
            .apiSubscriptions, .forYou, .forYouSettings, .notInterested, .apiRecommendations:
            route.pattern
        case .subscribe(let sent): route.pattern + (sent ? "?sent=1" : "")
        case .subscriptionConfirm(let token), .subscriptionManage(let token), .unsubscribe(let token),
            .verifyEmail(let token), .passwordResetConfirm(let token):
            route.pattern + (token.map { "?token=\(SiteURL.query($0))" } ?? "")
        case .commentAction(let id, let action): route.path("\(id)/\(SiteURL.segment(action))")
        case .collection(let id): route.path(SiteURL.segment(id))
        case .collectionBibTeX(let id): route.path(SiteURL.segment(id) + ".bib")
        case .collectionAction(let id, let action): route.path(SiteURL.segment(id) + "/" + SiteURL.segment(action))
        case .collectionFeed(let id): route.path(SiteURL.segment(id) + ".xml")
        case .user(let name): route.path(SiteURL.segment(name))
        case .organization(let name, let page): route.path(SiteURL.segment(name)) + SiteURL.page(page, "?")
        case .moderationAction(let action), .adminAction(let action): route.path(SiteURL.segment(action))
        case .trending(let page): route.pattern + SiteURL.page(page, "?")
        case .login(let next), .loginTwoFactor(let next), .signup(let next):
            route.pattern + (next.map { "?next=\(SiteURL.query($0))" } ?? "")
        case .settingsAction(let action): route.path(SiteURL.segment(action))
        case .avatar(let username): route.path(SiteURL.segment(username) + ".svg")
        case .listing(let period, let page):
            route.pattern + "?\(period.queryItem.name)=\(period.queryItem.value)" + SiteURL.page(page, "&")
        case .paper(let id): route.path(id.rawValue)
        case .staticFile(let file):
            route.path(file.split(separator: "/").map { SiteURL.segment(String($0)) }.joined(separator: "/"))
        case .paperMarkdown(let id): route.path(id.rawValue + ".md")
        case .author(let name, let page): route.path(SiteURL.segment(name)) + SiteURL.page(page, "?")
        case .category(let name, let page): route.path(SiteURL.segment(name)) + SiteURL.page(page, "?")
        case .search(let q, let mode, let sort, let page):
            route.pattern + "?q=\(SiteURL.query(q))" + (mode == .hybrid ? "" : "&mode=\(mode.rawValue)")
                + (sort == .relevance ? "" : "&sort=\(sort.rawValue)") + SiteURL.page(page, "&")
        case .categoryFeed(let name): route.path(SiteURL.segment(name) + ".xml")
        case .searchFeed(let q): route.pattern + "?q=\(SiteURL.query(q))"
        case .apiPapers(let cursor, let limit): route.pattern + "?cursor=\(SiteURL.query(cursor.token))&limit=\(limit)"
        // 30 days is the default and carries no parameter.
        case .stats(let days), .apiStats(let days): route.pattern + (days == 30 ? "" : "?days=\(days)")
        }
    }

    /// `page=n` after `separator`, or nothing on the first page (whose link carries no page).
    static func page(_ page: Int, _ separator: String) -> String { page > 1 ? "\(separator)page=\(page)" : "" }

    /// The link as the site writes it in pages: with the path prefix, without the host.
    public func path(_ config: WebConfiguration) -> String { config.pathPrefix + relative }

    /// The absolute URL, for feeds, sitemaps and `Link` headers.
    public func absolute(_ config: WebConfiguration) -> String { config.siteRoot + relative }

    public static func arxivAbstract(_ id: PaperID) -> String { id.arxivAbstractURL }
    public static func arxivPDF(_ id: PaperID) -> String { id.arxivPDFURL }

    /// A link to somewhere else taken from ingested data: only an absolute http(s) URL with a host, else nil
    /// (a `javascript:` or `data:` value never becomes a link).
    public static func externalLink(_ text: String) -> String? {
        guard text.utf8.count <= 2_048, !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
            let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        return text
    }

    /// `s` percent-encoded as one path segment or query value: every byte of its UTF-8 but ASCII letters, digits and
    /// `-._~` (RFC 3986's unreserved characters) as `%XX`.
    static func segment(_ s: String) -> String {
        var text = s
        return text.withUTF8 { bytes in
            guard bytes.contains(where: { !unreserved($0) }) else { return String(decoding: bytes, as: UTF8.self) }
            let hex = Array("0123456789ABCDEF".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 3)
            for byte in bytes {
                if unreserved(byte) {
                    out.append(byte)
                } else {
                    out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func unreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    static func query(_ s: String) -> String { segment(s) }
}
