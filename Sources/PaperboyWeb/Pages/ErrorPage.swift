import Hummingbird
import PaperboyCore

/// A problem with what the visitor asked for, shown as an error page with its status.
struct PageError: Error {
    let status: HTTPResponse.Status
    let heading: String
    let message: String

    static func notFound(_ message: String) -> PageError {
        PageError(status: .notFound, heading: "Not found", message: message)
    }
    static func badRequest(_ message: String) -> PageError {
        PageError(status: .badRequest, heading: "Bad request", message: message)
    }
}

/// The error page (`error.mustache`): a heading and what went wrong.
struct ErrorPageModel {
    var site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let heading: String
    let message: String
    /// Where "back" goes (today's papers when nil).
    var back: String? = nil
}

extension ErrorPageModel: PersonalPage {}

extension ErrorPageModel {
    init(config: WebConfiguration, error: PageError) {
        self.init(site: SiteChrome(config), feed: nil, canonical: nil, heading: error.heading, message: error.message)
    }
}

extension PageRoutes {
    func errorPage(_ error: PageError, _ visit: Visit) async throws -> Rendered {
        var page = try await html(ErrorPageModel(config: config, error: error), "error", visit)
        page.status = error.status
        return page
    }
}
