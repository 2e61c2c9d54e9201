import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The submit form (`submit.mustache`).
struct SubmitPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let action: String
    let csrf: String
    let windowDays: Int
    let limit: Int
    let problem: String?
    let existingURL: String?
    let paperID: String?
    let comment: String?
}

/// The community's forms: voting (`POST /vote`) and submitting (`/submit`). Both work without JavaScript; the API
/// offers the same through `/api/papers/{id}/upvote` and `/api/papers/submit`.
struct CommunityRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var pages: PageRoutes<Store> { PageRoutes(site: site) }

    func register(on routes: RouteTable) {
        routes.on(.vote, method: .post) { request, context in
            try await answer(request, context) { try await vote(request, $0) }
        }
        routes.get(.submit) { request, context in
            try await answer(request, context) { try await submitPage($0) }
        }
        routes.on(.submit, method: .post) { request, context in
            try await answer(request, context) { try await submit(request, $0) }
        }
    }

    /// Answers a signed-in browser's request (never from the shared cache); anybody else is sent to sign in first.
    func answer(
        _ request: Request, _ context: AppRequestContext, _ produce: @escaping (Viewer) async throws -> Rendered
    ) async throws -> Response {
        let visit = Visit(request, context)
        return try await site.cache.respond(to: request, cacheable: false) {
            do {
                guard let viewer = visit.viewer else {
                    let back = request.method == .get ? visit.path : SiteURL.submit.path(config)
                    return .redirect(to: SiteURL.login(next: back).path(config))
                }
                return try await produce(viewer)
            } catch let error as PageError {
                return try await pages.errorPage(error, visit)
            } catch let refusal as CommunityRefusal {
                var page = try await pages.errorPage(
                    PageError(status: refusal.status, heading: "Not done", message: refusal.message), visit)
                if let wait = refusal.retryAfter { page.headers[.retryAfter] = String(wait.retryAfterSeconds) }
                return page
            }
        }
    }

    func vote(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        guard let raw = form.trimmed("paper"), let (id, _) = PaperID.parse(raw) else {
            throw PageError.badRequest("The form names no paper.")
        }
        let up: Bool
        switch form["change"] {
        case "up": up = true
        case "remove": up = false
        default: throw PageError.badRequest("The form says neither up nor remove.")
        }
        let state = try await CommunityActions(site: site).vote(viewer, paper: id, up: up)
        // The site's script posts the same form asking for JSON, to update the count in place.
        if request.headers[.accept]?.contains("application/json") == true { return try JSON.rendered(state) }
        return .redirect(to: NextPath.safe(form["next"], config: config) ?? SiteURL.paper(id).path(config))
    }

    func submitPage(
        _ viewer: Viewer, status: HTTPResponse.Status = .ok, problem: String? = nil,
        existing: StoredPaper? = nil, form: Form? = nil
    ) async throws -> Rendered {
        let model = SubmitPageModel(
            site: SiteChrome(config), action: SiteURL.submit.path(config), csrf: viewer.csrfToken,
            windowDays: config.community.submitWindowDays, limit: config.community.submitLimit, problem: problem,
            existingURL: existing.map { SiteURL.paper($0.paper.id).path(config) },
            paperID: form?.trimmed("paper_id"), comment: form?["comment"])
        var page = try await pages.html(model, "submit", Visit(viewer: viewer, path: SiteURL.submit.path(config)))
        page.status = status
        return page
    }

    func submit(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        do {
            let stored = try await CommunityActions(site: site).submit(
                viewer, rawID: form["paper_id"] ?? "", comment: form["comment"])
            return .redirect(to: SiteURL.paper(stored.paper.id).path(config))
        } catch let refusal as CommunityRefusal {
            var page = try await submitPage(
                viewer, status: refusal.status, problem: refusal.message, existing: refusal.existing, form: form)
            if let wait = refusal.retryAfter { page.headers[.retryAfter] = String(wait.retryAfterSeconds) }
            return page
        }
    }
}
