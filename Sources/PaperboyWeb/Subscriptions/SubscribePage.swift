import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The subscribe form (`subscribebox.mustache`): on listing pages, and filled in again on `/subscribe` after a
/// problem. It carries no per-visitor state (no CSRF token: the confirmation mail is the check), so pages that show it
/// stay shareable in the cache.
struct SubscribeBoxView {
    let action: String
    let email: String
    let daily: Bool
    let weekly: Bool
    let query: String
    let categories: String
    /// Open the topic fields (they hold something).
    let topicOpen: Bool

    init(_ config: WebConfiguration, form: Form? = nil) {
        action = SiteURL.subscribe().path(config)
        email = form?.trimmed("email") ?? ""
        weekly = form?["frequency"] == DigestFrequency.weekly.rawValue
        daily = !weekly
        query = form?.trimmed("query") ?? ""
        categories = form?.trimmed("categories") ?? ""
        topicOpen = !query.isEmpty || !categories.isEmpty
    }
}

extension Site {
    /// The subscribe box of listing pages; nil when no mail server is configured.
    var subscribeBox: SubscribeBoxView? { mail == nil ? nil : SubscribeBoxView(config) }
}

/// `/subscribe` (`subscribe.mustache`): the form with a problem to fix, the "check your inbox" page, or the word that
/// digests need a mail server.
struct SubscribePageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading: String
    let problem: String?
    /// The request went through: "check your inbox".
    let sent: Bool
    /// The form, when subscribing is available.
    let box: SubscribeBoxView?
    let unavailable: Bool
}

/// The subscribe form's routes: `GET /subscribe` and `POST /subscribe`.
struct SubscribeRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }

    func register(on routes: RouteTable) {
        routes.get(.subscribe) { request, context in
            try await PageRoutes(site: site).page(request, context) { visit in
                try await page(sent: request.query("sent") == "1", visit)
            }
        }
        routes.on(.subscribe, method: .post) { request, context in
            try await site.cache.respond(to: request, cacheable: false) {
                try await subscribe(request, context)
            }
        }
    }

    func page(
        sent: Bool = false, problem: String? = nil, form: Form? = nil, status: HTTPResponse.Status = .ok, _ visit: Visit
    ) async throws -> Rendered {
        let available = site.mail != nil
        let model = SubscribePageModel(
            site: SiteChrome(config),
            heading: !available ? "Email digests" : sent ? "Check your inbox" : "Get papers in your email inbox",
            problem: problem, sent: available && sent,
            box: available && !sent ? SubscribeBoxView(config, form: form) : nil, unavailable: !available)
        var rendered = try await PageRoutes(site: site).html(model, "subscribe", visit)
        rendered.status = available ? status : (status == .ok ? .ok : .serviceUnavailable)
        return rendered
    }

    /// A request from the form: 303 to "check your inbox" whether the address is new or known; the form again with
    /// the problem (422) when a field is wrong; 429 past the limit per client address; 503 without a mail server.
    func subscribe(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let visit = Visit(request, context)
        guard let outbox = site.mail else {
            return try await page(problem: nil, status: .serviceUnavailable, visit)
        }
        let form = try await Form.read(request)
        let checked = SubscriptionRequest.check(
            email: form["email"] ?? "", frequency: form["frequency"] ?? "", query: form["query"],
            categories: SubscriptionRequest.categories(form["categories"]))
        let subscription: SubscriptionRequest
        switch checked {
        case .failure(let problem):
            return try await page(
                problem: SubscribeRoutes.sentence(problem.description), form: form, status: .unprocessableContent,
                visit)
        case .success(let request): subscription = request
        }
        let actions = SubscriptionActions(site: site)
        if let wait = actions.limited(client: ClientAddress.of(request, context, config: config)) {
            var rendered = try await page(
                problem: "Too many requests from your address. Try again in \(wait.retryAfterSeconds) seconds.",
                form: form, status: .tooManyRequests, visit)
            rendered.headers[.retryAfter] = String(wait.retryAfterSeconds)
            return rendered
        }
        try await actions.request(subscription, outbox: outbox)
        return .redirect(to: SiteURL.subscribe(sent: true).path(config))
    }

    /// A problem's description as a sentence for a page: capitalized, with a full stop.
    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst() + (text.hasSuffix(".") ? "" : ".")
    }
}

extension ClientAddress {
    /// The client address of a request (behind the configured trusted proxies), or `unknown`.
    static func of(_ request: Request, _ context: AppRequestContext, config: WebConfiguration) -> String {
        resolve(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor],
            trusted: config.trustedProxies) ?? "unknown"
    }
}
