import Foundation
import Hummingbird
import PaperboyCore

/// The HTML pages: which route answers each, and what every page shares (the response cache, error pages,
/// rendering). Each page keeps its model and its handler in a file of its own: `ListingPage.swift`,
/// `PaperPage.swift`, `AuthorPage.swift`, `CategoryPage.swift`, `SearchPage.swift` and `ErrorPage.swift`; what
/// their layout shares is in `PageChrome.swift`.
struct PageRoutes<Store: PaperCatalog>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }

    func register(on routes: RouteTable) {
        routes.get(.home) { request, _ in try await page(request) { try await home() } }
        routes.get(.listing) { request, _ in try await page(request) { try await listing(request) } }
        routes.get(.paper) { request, context in
            try await page(request) { try await paper(SiteRoute.paper.parameter(in: context)) }
        }
        routes.get(.author) { request, context in
            try await page(request) { try await author(SiteRoute.author.parameter(in: context), request) }
        }
        routes.get(.category) { request, context in
            try await page(request) { try await category(SiteRoute.category.parameter(in: context), request) }
        }
        routes.get(.search) { request, _ in try await page(request) { try await search(request) } }
        routes.get(.stylesheet) { request, _ in
            try await site.cache.respond(to: request) {
                Rendered(contentType: "text/css; charset=utf-8", body: site.templates.stylesheet)
            }
        }
    }

    /// Runs a page producer through the response cache, turning a problem with the request into an error page
    /// with its status.
    func page(_ request: Request, _ produce: @escaping () async throws -> Rendered) async throws -> Response {
        try await site.cache.respond(to: request) {
            do {
                return try await produce()
            } catch let error as PageError {
                return try errorPage(error)
            } catch let problem as ParameterProblem {
                return try errorPage(PageError.badRequest(problem.message))
            } catch let refused as any RefusedRequest {
                guard case .badRequest(let message) = refused.refusal else { throw refused }
                return try errorPage(PageError.badRequest(message))
            }
        }
    }

    /// A page model rendered through its template.
    func html(_ model: Any, _ template: String) throws -> Rendered {
        Rendered(contentType: Rendered.html, text: try site.templates.render(model, template))
    }
}
