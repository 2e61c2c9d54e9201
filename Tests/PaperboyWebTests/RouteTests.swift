import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboyWeb

/// Remembers which route answered the last request (the router's `endpointPath`).
final class RouteProbe: RouterMiddleware, Sendable {
    typealias Context = AppRequestContext
    let answered = Mutex<String?>(nil)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        defer { answered.withLock { $0 = context.endpointPath } }
        return try await next(request, context)
    }
}

/// Links and routes come from one source: every kind of `SiteURL` is answered by the route it names.
@Suite("Routes and links")
struct RouteTests {
    /// The kinds of `SiteURL`. `kind(_:)` switches over every case, so a new case does not compile until it has a
    /// kind here, and `everyKindHasASample` fails until it has a sample below.
    enum Kind: CaseIterable {
        case home, listing, paper, paperMarkdown, author, category, search, dailyFeed, categoryFeed, searchFeed
        case staticFile, apiSuggest, apiPapers, openAPI, health, sitemap
        case trending, login, loginTwoFactor, signup, logout, settings, settingsExport, settingsAction, submit, vote
        case avatar
        case comments, commentAction, report, claim, paperLinks, collections, collection, collectionBibTeX
        case collectionAction, collectionFeed, user, organization, moderation, moderationAction, admin, adminAction
        case subscribe, subscriptionConfirm, subscriptionManage, unsubscribe, verifyEmail, passwordReset
        case passwordResetConfirm, apiSubscriptions, mcp, stats, apiStats
        case forYou, forYouSettings, notInterested, apiRecommendations
    }

    static func kind(_ url: SiteURL) -> Kind {
        switch url {
        case .home: .home
        case .listing: .listing
        case .paper: .paper
        case .paperMarkdown: .paperMarkdown
        case .author: .author
        case .category: .category
        case .search: .search
        case .dailyFeed: .dailyFeed
        case .categoryFeed: .categoryFeed
        case .searchFeed: .searchFeed
        case .staticFile: .staticFile
        case .apiSuggest: .apiSuggest
        case .apiPapers: .apiPapers
        case .openAPI: .openAPI
        case .health: .health
        case .sitemap: .sitemap
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
        case .avatar: .avatar
        case .comments: .comments
        case .commentAction: .commentAction
        case .report: .report
        case .claim: .claim
        case .paperLinks: .paperLinks
        case .collections: .collections
        case .collection: .collection
        case .collectionBibTeX: .collectionBibTeX
        case .collectionAction: .collectionAction
        case .collectionFeed: .collectionFeed
        case .user: .user
        case .organization: .organization
        case .moderation: .moderation
        case .moderationAction: .moderationAction
        case .admin: .admin
        case .adminAction: .adminAction
        case .subscribe: .subscribe
        case .subscriptionConfirm: .subscriptionConfirm
        case .subscriptionManage: .subscriptionManage
        case .unsubscribe: .unsubscribe
        case .verifyEmail: .verifyEmail
        case .passwordReset: .passwordReset
        case .passwordResetConfirm: .passwordResetConfirm
        case .apiSubscriptions: .apiSubscriptions
        case .mcp: .mcp
        case .stats: .stats
        case .apiStats: .apiStats
        case .forYou: .forYou
        case .forYouSettings: .forYouSettings
        case .notInterested: .notInterested
        case .apiRecommendations: .apiRecommendations
        }
    }

    /// What an anonymous GET of a URL answers: pages for signed-in users send the visitor to sign in first (the
    /// two-factor step without a pending sign-in, too); forms that only post answer 405.
    static func anonymousStatus(_ url: SiteURL) -> HTTPResponse.Status {
        switch kind(url) {
        case .settings, .settingsExport, .submit, .loginTwoFactor, .collections, .moderation, .admin, .forYou,
            .forYouSettings:
            .seeOther
        case .apiRecommendations: .unauthorized
        case .logout, .vote, .notInterested, .settingsAction, .comments, .commentAction, .report, .claim, .paperLinks,
            .collectionAction, .moderationAction, .adminAction, .apiSubscriptions, .mcp:
            .methodNotAllowed
        // Mail links with a token that is not one.
        case .subscriptionConfirm, .subscriptionManage, .unsubscribe, .verifyEmail, .passwordResetConfirm: .badRequest
        // Nobody has these names or ids in the test site.
        case .collection, .collectionBibTeX, .collectionFeed, .user, .organization: .notFound
        default: .ok
        }
    }

    static let cursor = PaperCursor(
        featuredAt: Date(timeIntervalSince1970: 1_763_600_000), id: PaperID("2611.00001")!)

    /// URLs of every kind, several with what must be encoded (spaces, slashes in old ids, non-ASCII, `+`).
    static let samples: [SiteURL] = [
        .home,
        .listing(.day(Day(iso: "2026-11-20")!)), .listing(.week(ISOWeek(iso: "2026-W47")!), page: 2),
        .listing(.month(Month(iso: "2026-11")!)),
        .paper(PaperID("2611.00001")!), .paper(PaperID("hep-th/9901001")!),
        .paperMarkdown(PaperID("2611.00001")!), .paperMarkdown(PaperID("hep-th/9901001")!),
        .author("Ada Lovelace"), .author("Zoë Ünal / R&D", page: 2),
        .category("cs.LG"), .category("cs.LG", page: 3),
        .search("graph neural+nets"), .search("galaxy", mode: .keyword, page: 2),
        .search("galaxy", mode: .semantic, sort: .newest, page: 3),
        .dailyFeed, .categoryFeed("cs.LG"), .searchFeed("quantum error"), .staticFile("paperboy.css"),
        .staticFile("katex/fonts/KaTeX_Main-Regular.woff2"), .apiSuggest,
        .apiPapers(after: cursor, limit: 10), .openAPI, .health, .sitemap,
        .trending(), .trending(page: 2), .login(next: "/papers?date=2026-11-20"), .loginTwoFactor(next: nil),
        .signup(next: nil), .logout, .settings, .settingsExport, .settingsAction("profile"), .submit, .vote,
        .avatar(username: "ada_l-1"),
        .comments, .commentAction(7, "edit"), .report, .claim, .paperLinks, .collections,
        .collection("aB3dE5gH7jK9"), .collectionBibTeX("aB3dE5gH7jK9"), .collectionAction("aB3dE5gH7jK9", "add"),
        .collectionFeed("aB3dE5gH7jK9"), .user("nobody_here"), .organization("no-such-lab"),
        .organization("no-such-lab", page: 2), .moderation, .moderationAction("hide"), .admin, .adminAction("role"),
        .subscribe(), .subscribe(sent: true), .subscriptionConfirm(token: "1-abc.1.sig"),
        .subscriptionManage(token: "1.abc"), .unsubscribe(token: "a b/+=&"), .verifyEmail(token: "x"), .passwordReset,
        .passwordResetConfirm(token: "x"), .apiSubscriptions, .mcp, .stats(days: 30), .stats(days: 7),
        .apiStats(days: 90), .forYou, .forYouSettings, .notInterested, .apiRecommendations,
    ]

    /// A path segment or query value is encoded byte by byte: only RFC 3986's unreserved characters stay.
    @Test(arguments: ["Zoë Ünal / R&D", "a+b=c?d#e%f", "数学 😀", "plain-name_1.2~x", "", "\u{0}\n"])
    func segmentsEncodeEverythingButUnreserved(text: String) {
        let encoded = SiteURL.segment(text)
        #expect(encoded.removingPercentEncoding == text)
        #expect(encoded.utf8.allSatisfy { SiteURL.unreserved($0) || $0 == UInt8(ascii: "%") })
    }

    @Test func everyKindHasASample() {
        #expect(Set(Self.samples.map(Self.kind)) == Set(Kind.allCases))
    }

    @Test(arguments: ["http://127.0.0.1:8080", "https://example.org/pb/"])
    func everyLinkIsAnsweredByTheRouteItNames(baseURL: String) async throws {
        let config = WebConfiguration(baseURL: URL(string: baseURL)!, cacheTTL: .zero)
        let encoded = Fixtures.paper("2611.00090", title: "Encoded", authors: ["Zoë Ünal / R&D"])
        let site = try await TestSite.make(papers: Fixtures.corpus + [encoded], config: config)
        let probe = RouteProbe()
        let (router, routes) = try await buildSite(
            store: site.store, searcher: site.keywordSearcher, lookup: StubLookup(), config: config,
            registry: .init(), logger: TestSite.quietLogger, now: { .now }, clock: { Date() }, probe: probe)
        #expect(Set(routes.map(\.route)) == Set(SiteRoute.allCases), "every route is registered, from SiteRoute")
        try await Application(router: router).test(.router) { client in
            for url in Self.samples {
                let answer = try await client.get(url.path(config))
                let expected = RouterPath(config.pathPrefix + url.route.pattern).description
                #expect(probe.answered.withLock { $0 } == expected, "\(url.path(config))")
                #expect(
                    answer.status == Self.anonymousStatus(url), "\(url.path(config)): \(answer.body.prefix(200))")
            }
        }
    }

    /// A listing link and the parameters pages and the API read agree on every kind of period.
    @Test(arguments: ["2026-11-20", "1000-01-01", "9999-12-31"])
    func periodsReadBackAsWritten(iso: String) throws {
        let day = try #require(Day(iso: iso))
        let week = ISOWeek(containing: day).map { ListingPeriod.week($0) }
        let month = Month(containing: day).map { ListingPeriod.month($0) }
        let periods = [.day(day), week, month].compactMap { $0 }
        #expect(periods.count >= 2)
        for period in periods {
            let link = SiteURL.listing(period, page: 2).relative
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: link),
                body: RequestBody(buffer: ByteBuffer()))
            #expect(try Parameters(request: request).period() == period, "\(link)")
            #expect(try Parameters(request: request).page(perPage: PageWindow.perPage) == 2, "\(link)")
        }
        #expect(Set(ListingPeriod.queryForms.map(\.name)) == ["date", "week", "month"])
    }

    @Test func absoluteLinksCarryThePrefixOnce() {
        let config = WebConfiguration(baseURL: URL(string: "https://example.org/pb/")!)
        #expect(SiteURL.paper(PaperID("2611.00001")!).absolute(config) == "https://example.org/pb/papers/2611.00001")
        #expect(SiteURL.paper(PaperID("2611.00001")!).path(config) == "/pb/papers/2611.00001")
        #expect(
            SiteURL.apiPapers(after: Self.cursor, limit: 10).relative
                == "/api/papers?cursor=1763600000000_2611.00001&limit=10")
        #expect(SiteURL.categoryFeed("a b").relative == "/feeds/categories/a%20b.xml")
        #expect(
            SiteURL.search("a b", mode: .keyword, sort: .newest, page: 2).relative
                == "/search?q=a%20b&mode=keyword&sort=newest&page=2")
        #expect(SiteURL.search("a b", sort: .relevance).relative == "/search?q=a%20b")
    }
}
