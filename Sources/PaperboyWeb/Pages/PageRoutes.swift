import Foundation
import Hummingbird
import PaperboyCore

/// The HTML pages: which route answers each, and what every page shares (the response cache, error pages,
/// rendering). Each page keeps its model and its handler in a file of its own: `ListingPage.swift`,
/// `PaperPage.swift`, `AuthorPage.swift`, `CategoryPage.swift`, `SearchPage.swift` and `ErrorPage.swift`; what
/// their layout shares is in `PageChrome.swift`.
struct PageRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }

    func register(on routes: RouteTable) {
        routes.get(.home) { request, context in try await page(request, context) { try await home($0) } }
        routes.get(.listing) { request, context in
            try await page(request, context) { try await listing(request, $0) }
        }
        routes.get(.trending) { request, context in
            try await page(request, context) { try await trending(request, $0) }
        }
        routes.get(.paper) { request, context in
            try await page(request, context) { try await paper(SiteRoute.paper.parameter(in: context), $0) }
        }
        routes.get(.author) { request, context in
            try await page(request, context) {
                try await author(SiteRoute.author.parameter(in: context), request, $0)
            }
        }
        routes.get(.category) { request, context in
            try await page(request, context) {
                try await category(SiteRoute.category.parameter(in: context), request, $0)
            }
        }
        routes.get(.search) { request, context in try await page(request, context) { try await search(request, $0) } }
        routes.get(.stats) { request, context in try await page(request, context) { try await stats(request, $0) } }
        routes.get(.staticFile) { request, context in
            guard let answer = site.templates.files.answer(try SiteRoute.staticFile.parameter(in: context)) else {
                throw HTTPError(.notFound)
            }
            return site.cache.finish(answer, request: request, personal: false)
        }
    }

    /// Runs a page producer through the response cache (which anonymous visits share), turning a problem with the
    /// request into an error page with its status.
    func page(
        _ request: Request, _ context: AppRequestContext, _ produce: @escaping (Visit) async throws -> Rendered
    ) async throws -> Response {
        let visit = Visit(request, context)
        return try await site.cache.respond(to: request) {
            do {
                return try await produce(visit)
            } catch let error as PageError {
                return try await errorPage(error, visit)
            } catch let problem as ParameterProblem {
                return try await errorPage(PageError.badRequest(problem.message), visit)
            } catch let refused as any RefusedRequest {
                guard case .badRequest(let message) = refused.refusal else { throw refused }
                return try await errorPage(PageError.badRequest(message), visit)
            }
        }
    }

    /// A page model rendered through its template, showing the signed-in user (the layout's account links, and
    /// which papers they voted for: one store call for the whole page).
    func html(_ model: some PersonalPage, _ template: String, _ visit: Visit) async throws -> Rendered {
        var model = model
        if let viewer = visit.viewer {
            model.site.account = AccountChrome(viewer, config: config)
            var ids: [PaperID] = []
            model.eachVote { ids.append($0.paperID) }
            let voted =
                ids.isEmpty ? [] : try await site.store.votedPapers(accountID: viewer.account.id, among: ids)
            let action = SiteURL.vote.path(config)
            model.eachVote { vote in
                let upvoted = voted.contains(vote.paperID)
                vote.form = VoteForm(
                    action: action, paper: vote.paperID.rawValue, csrf: viewer.csrfToken, next: visit.path,
                    upvoted: upvoted, change: upvoted ? "remove" : "up",
                    label: upvoted ? "Remove your upvote" : "Upvote")
            }
            try await CollectionControls(site: site).personalize(&model, viewer: viewer, next: visit.path)
        }
        return Rendered(
            contentType: Rendered.html,
            text: try site.templates.render(page: model, template, cards: site.cards, config: config))
    }
}
