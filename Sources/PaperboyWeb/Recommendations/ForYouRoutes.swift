import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// Personal recommendations in the browser: `/for-you` (the last `--recommend-days` days ranked for the signed-in
/// person), its settings page, and the "not interested" form every recommended card carries (no JavaScript needed).
/// Never cached: each answer is one person's.
struct ForYouRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var pages: PageRoutes<Store> { PageRoutes(site: site) }

    /// Cards on `/for-you`.
    static var shown: Int { 30 }
    /// "Not interested" marks listed in the settings.
    static var listed: Int { 200 }

    func register(on routes: RouteTable) {
        routes.get(.forYou) { request, context in
            try await signedIn(request, context, back: SiteURL.forYou.path(config)) { try await forYou($0) }
        }
        routes.get(.forYouSettings) { request, context in
            try await signedIn(request, context, back: SiteURL.forYouSettings.path(config)) {
                try await settingsPage($0)
            }
        }
        routes.on(.forYouSettings, method: .post) { request, context in
            try await signedIn(request, context, back: SiteURL.forYouSettings.path(config)) {
                try await saveSettings(request, $0)
            }
        }
        routes.on(.notInterested, method: .post) { request, context in
            try await signedIn(request, context, back: SiteURL.forYou.path(config)) {
                try await markNotInterested(request, $0)
            }
        }
    }

    func signedIn(
        _ request: Request, _ context: AppRequestContext, back: String,
        _ produce: @escaping (Viewer) async throws -> Rendered
    ) async throws -> Response {
        try await CollectionRoutes(site: site).signedIn(request, context, back: back, produce)
    }

    func forYou(_ viewer: Viewer) async throws -> Rendered {
        let days = config.community.recommendDays
        let (items, signals, window) = try await site.recommendations(
            accountID: viewer.account.id, days: days, limit: Self.shown)
        let path = SiteURL.forYou.path(config)
        let action = SiteURL.notInterested.path(config)
        let cards = items.map { item in
            var card = CardView(item.paper, config: config)
            card.forYou = ForYouCardView(
                becauseTitle: item.because?.title, becauseURL: item.because.map { SiteURL.paper($0.id).path(config) },
                action: action, paper: item.paper.paper.id.rawValue, csrf: viewer.csrfToken, next: path)
            return card
        }
        let span = "featured " + Format.longDate(window.lowerBound) + " to " + Format.longDate(window.upperBound)
        let model = ListingPageModel(
            site: SiteChrome(config), feed: nil, canonical: nil, heading: "For you", periods: [], previousURL: nil,
            previousLabel: nil, nextURL: nil, nextLabel: nil,
            countText: cards.isEmpty
                ? span
                : "The \(Format.count(cards.count, "paper", "papers")) \(span) closest to what you liked",
            cards: cards,
            emptyText: signals.isEmpty
                ? "Nothing to go on yet: upvote or collect papers you like, or pick categories and seed papers in "
                    + "your recommendation settings."
                : "No paper featured in the last \(Format.count(days, "day", "days")) is left to recommend.",
            pagination: nil)
        var page = try await pages.html(model, "listing", Visit(viewer: viewer, path: path))
        page.headers[.cacheControl] = "private, no-store"
        return page
    }

    func settingsPage(
        _ viewer: Viewer, status: HTTPResponse.Status = .ok, problem: String? = nil, success: String? = nil,
        form: Form? = nil
    ) async throws -> Rendered {
        let saved = try await site.store.recommendationSettings(accountID: viewer.account.id)
        let marked = try await site.store.notInterestedPapers(accountID: viewer.account.id, limit: Self.listed)
        let path = SiteURL.forYouSettings.path(config)
        let model = RecommendationSettingsPageModel(
            site: SiteChrome(config), csrf: viewer.csrfToken, action: path,
            notInterestedAction: SiteURL.notInterested.path(config), forYouURL: SiteURL.forYou.path(config),
            problem: problem, success: success,
            categories: form?["categories"] ?? saved.categories.joined(separator: " "),
            seedPapers: form?["seed_papers"] ?? saved.seedPapers.map(\.rawValue).joined(separator: " "),
            maxCategories: RecommendationLimits.maxCategories, maxSeedPapers: RecommendationLimits.maxSeedPapers,
            notInterested: marked.map {
                NotInterestedRow(
                    title: $0.paper.title, url: SiteURL.paper($0.paper.id).path(config), paper: $0.paper.id.rawValue)
            },
            hasNotInterested: !marked.isEmpty, next: path)
        var page = try await pages.html(model, "recommendations", Visit(viewer: viewer, path: path))
        page.status = status
        return page
    }

    func saveSettings(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        let parsed = RecommendationSettings.parse(
            categories: form["categories"] ?? "", seedPapers: form["seed_papers"] ?? "")
        do {
            let settings = try parsed.get()
            try await site.store.setRecommendationSettings(accountID: viewer.account.id, settings, at: site.now())
        } catch let problem as RecommendationSettingsProblem {
            return try await settingsPage(
                viewer, status: .unprocessableContent, problem: problem.description, form: form)
        }
        return try await settingsPage(viewer, success: "Saved: recommendations now start from these.")
    }

    /// `POST /not-interested` (`paper`, `undo` to take the mark back, `next`): marks and returns to where the form
    /// was, or with `Accept: application/json` answers `{"paperId", "notInterested"}`.
    func markNotInterested(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        guard let raw = form.trimmed("paper"), let (id, _) = PaperID.parse(raw) else {
            throw PageError.badRequest("The form names no paper.")
        }
        let on = form["undo"] == nil
        try await RecommendationActions(site: site).mark(viewer, paper: id, notInterested: on)
        if request.headers[.accept]?.contains("application/json") == true {
            return try JSON.rendered(APINotInterested(paperId: id.rawValue, notInterested: on))
        }
        return .redirect(to: NextPath.safe(form["next"], config: config) ?? SiteURL.forYou.path(config))
    }
}

/// The answer of `POST`/`DELETE /api/papers/{id}/not-interested`.
struct APINotInterested: Codable, Equatable {
    let paperId: String
    let notInterested: Bool
}

/// An item of `/api/recommendations`: a daily item with the liked paper it is closest to.
struct APIRecommendation: Encodable {
    let item: APIDailyItem
    let because: APIBecause?

    func encode(to encoder: any Encoder) throws {
        try item.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(because, forKey: .because)
    }

    enum Key: String, CodingKey { case because }
}

/// The liked paper a recommendation is closest to.
struct APIBecause: Codable, Equatable {
    let id: String
    let title: String
    /// upvote, collection, submission, claim or seed.
    let signal: String
}

extension APIRoutes {
    /// `GET /api/recommendations?limit=&days=`: the caller's recommendations, best first (401 without an account).
    func recommendations(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        guard let viewer else { throw APIError.unauthorized(rejected: false) }
        let parameters = Parameters(request: request)
        let limit = try parameters.integer("limit", in: 1...RecommendationLimits.maxLimit, default: 20)
        let days = try parameters.integer(
            "days", in: 1...RecommendationLimits.maxDays, default: site.config.community.recommendDays)
        let (items, _, _) = try await site.recommendations(accountID: viewer.account.id, days: days, limit: limit)
        let voted = try await voted(viewer, items.map(\.paper))
        var answer = try JSON.rendered(
            items.map { item in
                APIRecommendation(
                    item: APIDailyItem(
                        item.paper, config: site.config, upvoted: voted?.contains(item.paper.paper.id),
                        score: item.score),
                    because: item.because.map {
                        APIBecause(id: $0.id.rawValue, title: $0.title, signal: $0.kind.rawValue)
                    })
            })
        answer.headers[.cacheControl] = "private, no-store"
        return answer
    }

    /// `POST` / `DELETE /api/papers/{id}/not-interested`.
    func notInterested(_ id: PaperID, on: Bool, _ viewer: Viewer) async throws -> Rendered {
        try await RecommendationActions(site: site).mark(viewer, paper: id, notInterested: on)
        return try JSON.rendered(APINotInterested(paperId: id.rawValue, notInterested: on))
    }
}

/// "Not interested" marks as the form and the API make them: the rate limit, then the store.
struct RecommendationActions<Store: SiteStore>: Sendable {
    let site: Site<Store>

    func mark(_ viewer: Viewer, paper id: PaperID, notInterested on: Bool) async throws {
        let key = RateLimiter.Key(bucket: "not-interested", subject: String(viewer.account.id))
        if let wait = site.accounts.limiter.take(key, .votes) {
            throw CommunityRefusal.rateLimited(wait, "Too many “not interested” marks: at most 120 a minute.")
        }
        guard
            try await site.store.setNotInterested(accountID: viewer.account.id, paper: id, on: on, at: site.now())
                != nil
        else { throw CommunityRefusal(status: .notFound, message: "no paper has the id \(id.rawValue)") }
    }
}
