import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The pages of account mail links and the password-reset request (`accountmail.mustache`): a message and, when there
/// is something to do, one form. Their forms carry the pre-session form token the sign-in forms carry
/// (``AccountService/formToken(_:)``), and the link's signed token.
struct AccountMailPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading: String
    var message: String? = nil
    var success: String? = nil
    var problem: String? = nil
    /// The form, when the page has one.
    var form: AccountMailForm? = nil
    /// A link to the sign-in page.
    var login: String? = nil
    /// A link to ask for a new reset link.
    var resetAgain: String? = nil
}

struct AccountMailForm {
    let action: String
    let csrf: String
    /// The link's token, carried to the POST.
    let token: String?
    let button: String
    /// Ask for an email address (the reset request), with what was typed.
    let askEmail: Bool
    let email: String
    /// Ask for a new password.
    let askPassword: Bool
}

/// What account mail pages share: rendering with the form token, and the pages without a mail server.
struct AccountMailPages<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }

    /// Never cached, an error page for a ``PageError``.
    func answer(_ request: Request, _ context: AppRequestContext, _ produce: @escaping () async throws -> Rendered)
        async throws -> Response
    {
        let visit = Visit(request, context)
        return try await site.cache.respond(to: request, cacheable: false) {
            var rendered: Rendered
            do {
                rendered = try await produce()
            } catch let error as PageError {
                rendered = try await PageRoutes(site: site).errorPage(error, visit)
            }
            rendered.headers[.cacheControl] = "private, no-store"
            return rendered
        }
    }

    /// The page; when it has a form, the form token is made from the visitor's form cookie (set when absent).
    func render(
        _ model: AccountMailPageModel, _ request: Request, _ context: AppRequestContext,
        status: HTTPResponse.Status = .ok, retryAfter: Duration? = nil, signedOut: Bool = false
    ) async throws -> Rendered {
        let visit = signedOut ? Visit(viewer: nil, path: "") : Visit(request, context)
        var rendered = try await PageRoutes(site: site).html(model, "accountmail", visit)
        rendered.status = status
        if let retryAfter { rendered.headers[.retryAfter] = String(retryAfter.retryAfterSeconds) }
        return rendered
    }

    /// A form with the visitor's form token, and the cookie to set when the visitor had none.
    func form(
        _ request: Request, action: SiteURL, token: String?, button: String, askEmail: Bool = false,
        email: String = "", askPassword: Bool = false
    ) -> (form: AccountMailForm, setCookie: String?) {
        let (csrf, setCookie) = site.accounts.formToken(request)
        return (
            AccountMailForm(
                action: action.path(config), csrf: csrf, token: token, button: button, askEmail: askEmail,
                email: email, askPassword: askPassword),
            setCookie
        )
    }

    /// A page with a form (and its cookie).
    func formPage(
        _ model: AccountMailPageModel, form: (form: AccountMailForm, setCookie: String?), _ request: Request,
        _ context: AppRequestContext, status: HTTPResponse.Status = .ok, retryAfter: Duration? = nil
    ) async throws -> Rendered {
        var model = model
        model.form = form.form
        var rendered = try await render(model, request, context, status: status, retryAfter: retryAfter)
        if let cookie = form.setCookie { rendered.headers[.setCookie] = cookie }
        return rendered
    }
}

/// What account mail pages say in more than one place.
enum AccountMailText {
    static let formExpired = "The form expired. Please try again."

    /// Said where a page needs mail and the site has no mail server.
    static let noMail = "This site has no mail server configured, so it cannot send this mail. Ask an admin."
}
