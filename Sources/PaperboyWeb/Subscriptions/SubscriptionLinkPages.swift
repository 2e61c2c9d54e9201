import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The pages mail links open (`subscription.mustache`): confirming a subscription, managing it, unsubscribing. The
/// signed token in the link is their authority: no account, no CSRF token, no cookie. A `GET` never changes anything
/// (mail scanners follow links); the buttons post.
struct SubscriptionPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading: String
    var message: String? = nil
    var success: String? = nil
    var problem: String? = nil
    /// What the subscription is (or, on a confirmation page, what confirming puts in force).
    var details: SubscriptionDetails? = nil
    var confirm: TokenForm? = nil
    var manage: ManageForm? = nil
    var unsubscribe: TokenForm? = nil
    /// A link to the manage page.
    var manageLink: String? = nil
}

struct SubscriptionDetails {
    let email: String
    let frequency: String
    let topic: String

    init(email: String, settings: SubscriptionSettings) {
        self.email = email
        let summary = SubscriptionSummary(settings)
        frequency = summary.frequency
        topic = summary.topic
    }
}

/// A one-button form that posts a token.
struct TokenForm {
    let action: String
    let token: String
    let label: String
}

/// The manage page's form that changes a subscription.
struct ManageForm {
    let action: String
    let token: String
    let daily: Bool
    let weekly: Bool
    let query: String
    let categories: String

    init(action: String, token: String, settings: SubscriptionSettings, form: Form? = nil) {
        self.action = action
        self.token = token
        let frequency = form?["frequency"] ?? settings.frequency.rawValue
        weekly = frequency == DigestFrequency.weekly.rawValue
        daily = !weekly
        query = form.map { $0.trimmed("query") ?? "" } ?? settings.topic.query ?? ""
        categories = form.map { $0.trimmed("categories") ?? "" } ?? settings.topic.categories.joined(separator: " ")
    }
}

extension PageError {
    /// A mail link whose token is malformed, forged or expired.
    static func badLink(_ message: String) -> PageError {
        PageError(status: .badRequest, heading: "This link does not work", message: message)
    }
}

/// `/subscriptions/confirm`, `/subscriptions/manage` and `/subscriptions/unsubscribe`.
struct SubscriptionLinkRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>
    /// Who asks (the layout shows a signed-in visitor); set per request by ``answer(_:_:_:)``.
    var visit = Visit(viewer: nil, path: "")

    var config: WebConfiguration { site.config }
    var tokens: MailTokens { site.mailTokens }

    func register(on routes: RouteTable) {
        routes.get(.subscriptionConfirm) { request, context in
            try await answer(request, context) { try await $0.confirmPage(request.query("token") ?? "") }
        }
        routes.on(.subscriptionConfirm, method: .post) { request, context in
            try await answer(request, context) { try await $0.confirm(try await Form.read(request)["token"] ?? "") }
        }
        routes.get(.subscriptionManage) { request, context in
            try await answer(request, context) { try await $0.managePage(request.query("token") ?? "") }
        }
        routes.on(.subscriptionManage, method: .post) { request, context in
            try await answer(request, context) { try await $0.manage(try await Form.read(request)) }
        }
        routes.get(.unsubscribe) { request, context in
            try await answer(request, context) { try await $0.unsubscribePage(request.query("token") ?? "") }
        }
        routes.on(.unsubscribe, method: .post) { request, context in
            try await answer(request, context) { pages in
                // RFC 8058: the token is in the URL and the body says `List-Unsubscribe=One-Click`; the page's own
                // button posts to the same URL.
                let form = try await Form.read(request)
                return try await pages.unsubscribe(request.query("token") ?? form["token"] ?? "")
            }
        }
    }

    /// Answers never cached (the tokens are personal), an error page for a ``PageError``.
    func answer(
        _ request: Request, _ context: AppRequestContext, _ produce: @escaping (Self) async throws -> Rendered
    ) async throws -> Response {
        var pages = self
        pages.visit = Visit(request, context)
        let visit = pages.visit
        return try await site.cache.respond(to: request, cacheable: false) {
            var rendered: Rendered
            do {
                rendered = try await produce(pages)
            } catch let error as PageError {
                rendered = try await PageRoutes(site: site).errorPage(error, visit)
            }
            rendered.headers[.cacheControl] = "no-store"
            return rendered
        }
    }

    func render(_ model: SubscriptionPageModel, status: HTTPResponse.Status = .ok) async throws -> Rendered {
        var rendered = try await PageRoutes(site: site).html(model, "subscription", visit)
        rendered.status = status
        return rendered
    }

    func model(_ heading: String) -> SubscriptionPageModel {
        SubscriptionPageModel(site: SiteChrome(config), heading: heading)
    }

    // MARK: Confirming

    /// The subscription a confirmation token names, with its nonce; a 400 page for a bad or expired token or a
    /// subscription that is gone.
    func confirmation(_ token: String) async throws -> (subscription: Subscription, nonce: String) {
        guard let (id, nonce) = tokens.openConfirm(token, now: site.now()) else {
            throw PageError.badLink(
                "This confirmation link is not valid or has expired (links work for 7 days). Subscribe again to get a "
                    + "new one.")
        }
        guard let subscription = try await site.store.subscription(id: id) else {
            throw PageError.badLink("This subscription no longer exists. Subscribe again to get a new link.")
        }
        return (subscription, nonce)
    }

    func confirmPage(_ token: String) async throws -> Rendered {
        let (subscription, nonce) = try await confirmation(token)
        guard let outstanding = subscription.confirmNonce, Credentials.constantTimeEqual(outstanding, nonce) else {
            return try await used(subscription)
        }
        let change = subscription.confirmedAt != nil
        var page = model(change ? "Confirm the changes to your subscription" : "Confirm your subscription")
        page.message =
            change
            ? "Press the button to put these settings in force." : "Press the button to start getting this digest."
        page.details = SubscriptionDetails(
            email: subscription.email,
            settings: change ? subscription.pending ?? subscription.settings : subscription.settings)
        page.confirm = TokenForm(
            action: SiteURL.subscriptionConfirm(token: nil).path(config), token: token,
            label: change ? "Confirm the changes" : "Confirm")
        return try await render(page)
    }

    func confirm(_ token: String) async throws -> Rendered {
        let (subscription, nonce) = try await confirmation(token)
        let change = subscription.confirmedAt != nil
        guard
            let confirmed = try await site.store.confirmSubscription(id: subscription.id, nonce: nonce, at: site.now())
        else {
            return try await used(try await site.store.subscription(id: subscription.id) ?? subscription)
        }
        site.logger.info(
            change ? "subscription changed" : "subscription confirmed",
            metadata: [
                "subscription.id": "\(confirmed.id)", "subscription.frequency": "\(confirmed.settings.frequency)",
            ])
        var page = model(change ? "Your changes are confirmed" : "You're subscribed")
        page.success =
            change
            ? "Your digest now follows these settings."
            : "You will get your first digest after the next \(confirmed.settings.frequency == .daily ? "day" : "week")."
        page.details = SubscriptionDetails(email: confirmed.email, settings: confirmed.settings)
        page.manageLink = SiteURL.subscriptionManage(token: tokens.manage(confirmed)).path(config)
        return try await render(page)
    }

    /// A confirmation link whose nonce is not the outstanding one: used already (the subscription is confirmed), or
    /// replaced by a newer request.
    func used(_ subscription: Subscription) async throws -> Rendered {
        guard subscription.confirmedAt != nil else {
            throw PageError.badLink("A newer confirmation mail replaced this link. Use the link in the newest mail.")
        }
        var page = model("You're subscribed already")
        page.message = "This link was used already: your subscription is confirmed."
        page.details = SubscriptionDetails(email: subscription.email, settings: subscription.settings)
        page.manageLink = SiteURL.subscriptionManage(token: tokens.manage(subscription)).path(config)
        return try await render(page)
    }

    // MARK: Managing and unsubscribing

    /// The confirmed subscription a manage token names; nil when there is none (ended, or never confirmed). A 400 page
    /// for a token that is malformed or not the subscription's.
    func managed(_ token: String) async throws -> Subscription? {
        guard let (id, signature) = MailTokens.parseManage(token) else {
            throw PageError.badLink("This link is not valid. Use the link in your newest digest.")
        }
        // Ids are never reused, so a token naming a missing subscription names an ended one (or a made-up id, which
        // finds nothing either).
        guard let subscription = try await site.store.subscription(id: id) else { return nil }
        guard tokens.verifyManage(subscription, signature: signature) else {
            throw PageError.badLink("This link is not valid. Use the link in your newest digest.")
        }
        return subscription.confirmedAt == nil ? nil : subscription
    }

    func notSubscribed() async throws -> Rendered {
        var page = model("Not subscribed")
        page.message = "This address has no subscription: it gets no digests."
        return try await render(page)
    }

    func managePage(_ token: String, problem: String? = nil, success: String? = nil, form: Form? = nil)
        async throws -> Rendered
    {
        guard let subscription = try await managed(token) else { return try await notSubscribed() }
        var page = model("Your subscription")
        page.problem = problem
        page.success = success
        page.details = SubscriptionDetails(email: subscription.email, settings: subscription.settings)
        let action = SiteURL.subscriptionManage(token: nil).path(config)
        page.manage = ManageForm(action: action, token: token, settings: subscription.settings, form: form)
        page.unsubscribe = TokenForm(action: action, token: token, label: "Unsubscribe")
        if subscription.pending != nil {
            page.message =
                "A change you asked for waits for its confirmation mail; changing the settings here drops it."
        }
        return try await render(page, status: problem == nil ? .ok : .unprocessableContent)
    }

    func manage(_ form: Form) async throws -> Rendered {
        let token = form["token"] ?? ""
        guard let subscription = try await managed(token) else { return try await notSubscribed() }
        switch form["action"] {
        case "unsubscribe":
            return try await unsubscribe(token)
        case "change":
            guard let frequency = DigestFrequency(rawValue: form["frequency"] ?? "") else {
                return try await managePage(
                    token, problem: SubscribeRoutes<Store>.sentence(SubscriptionProblem.badFrequency.description),
                    form: form)
            }
            let topic: DigestTopic
            switch DigestTopic.make(
                query: form["query"], categories: SubscriptionRequest.categories(form["categories"]))
            {
            case .failure(let problem):
                return try await managePage(
                    token, problem: SubscribeRoutes<Store>.sentence(problem.description), form: form)
            case .success(let made): topic = made
            }
            let settings = SubscriptionSettings(frequency: frequency, topic: topic)
            guard try await site.store.updateSubscription(id: subscription.id, settings: settings) != nil else {
                return try await notSubscribed()
            }
            return try await managePage(
                token, success: "Saved: you get \(SubscriptionSummary(settings).sentence).")
        default:
            throw PageError.badRequest("Choose to change the subscription or to unsubscribe.")
        }
    }

    func unsubscribePage(_ token: String) async throws -> Rendered {
        guard let subscription = try await managed(token) else { return try await notSubscribed() }
        var page = model("Unsubscribe")
        page.message = "Press the button to stop the digest sent to this address."
        page.details = SubscriptionDetails(email: subscription.email, settings: subscription.settings)
        page.unsubscribe = TokenForm(
            action: SiteURL.unsubscribe(token: token).path(config), token: token, label: "Unsubscribe")
        return try await render(page)
    }

    /// Ends the subscription; 200 whether it existed or not (a mail client may post twice), 400 only for a token
    /// that is not the subscription's.
    func unsubscribe(_ token: String) async throws -> Rendered {
        guard let subscription = try await managed(token) else { return try await notSubscribed() }
        guard try await site.store.deleteSubscription(id: subscription.id) else { return try await notSubscribed() }
        site.logger.info("unsubscribed", metadata: ["subscription.id": "\(subscription.id)"])
        var page = model("You're unsubscribed")
        page.success = "\(subscription.email) gets no more digests. You can subscribe again at any time."
        return try await render(page)
    }
}
