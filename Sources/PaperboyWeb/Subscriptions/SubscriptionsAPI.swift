import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// `POST /api/subscriptions`'s body.
struct APISubscriptionRequest: Decodable {
    let email: String
    let frequency: String
    let query: String?
    let categories: [String]?
}

/// What every accepted subscription request answers: the same bytes whether the address is new or known.
struct APISubscriptionReceipt: Encodable {
    let status = "pending"
    let message = SubscriptionRequest.pendingMessage
}

/// `POST /api/subscriptions`: a subscription request without an account. Checks in order: 503 (no mail server), 413,
/// 400 (the body, then the address, frequency and topic), 429 (per client address); then 202 with the same body
/// whether the address is new or known.
struct SubscriptionsAPI<Store: SiteStore>: Sendable {
    let site: Site<Store>

    func register(on routes: RouteTable) {
        routes.on(.apiSubscriptions, method: .post) { request, context in
            try await APIRoutes(site: site).api(request, cacheable: false) { try await subscribe(request, context) }
        }
    }

    func subscribe(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        guard let outbox = site.mail else {
            throw APIError(status: .serviceUnavailable, message: "email digests are not available: no mail server")
        }
        let body: APISubscriptionRequest = try await CollectionsAPI<Store>.decode(
            request,
            example:
                #"{"email": "you@example.org", "frequency": "daily", "query": "optional", "categories": ["cs.CL"]}"#
        )
        let checked: SubscriptionRequest
        switch SubscriptionRequest.check(
            email: body.email, frequency: body.frequency, query: body.query, categories: body.categories ?? [])
        {
        case .failure(let problem): throw APIError.badRequest(problem.description)
        case .success(let request): checked = request
        }
        let actions = SubscriptionActions(site: site)
        if let wait = actions.limited(client: ClientAddress.of(request, context, config: site.config)) {
            var headers = HTTPFields()
            headers[.retryAfter] = String(wait.retryAfterSeconds)
            throw APIError(
                status: .tooManyRequests,
                message: "too many subscription requests from your address; try again in \(wait.retryAfterSeconds) s",
                headers: headers)
        }
        try await actions.request(checked, outbox: outbox)
        return try JSON.rendered(APISubscriptionReceipt(), status: .accepted)
    }
}
