import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

// Who may use the moderation and admin pages, and how their answers are made: never from the shared cache, an
// anonymous visitor sent to sign in, a member refused with 403, and a moderator or admin without two-factor sign-in
// refused while the site requires it (`--require-2fa staff`).

/// Which staff pages a request is for: moderators' (moderators and admins) or admins' only.
enum StaffArea {
    case moderation
    case admin

    func page(_ config: WebConfiguration) -> String {
        switch self {
        case .moderation: SiteURL.moderation.path(config)
        case .admin: SiteURL.admin.path(config)
        }
    }

    /// Whether an account of this role may use the area.
    func admits(_ role: UserRole) -> Bool {
        switch self {
        case .moderation: role.isStaff
        case .admin: role == .admin
        }
    }
}

/// Gatekeeping shared by ``ModerationRoutes`` and ``AdminRoutes``.
struct StaffAccess<Store: SiteStore>: Sendable {
    let site: Site<Store>
    let area: StaffArea

    var config: WebConfiguration { site.config }

    /// Answers without the shared cache and says so (`private, no-store`): a redirect to sign in, an error page, or
    /// what `produce` makes.
    func answer(
        _ request: Request, _ context: AppRequestContext, _ produce: @escaping () async throws -> Rendered
    ) async throws -> Response {
        try await site.cache.respond(to: request, cacheable: false) {
            var rendered: Rendered
            do {
                rendered = try await produce()
            } catch let exit as SettingsRedirect {
                rendered = exit.rendered
            } catch let error as PageError {
                rendered = try await PageRoutes(site: site).errorPage(error, Visit(request, context))
            }
            rendered.headers[.cacheControl] = "private, no-store"
            return rendered
        }
    }

    /// The signed-in browser of a moderator or admin who may use this area. Anonymous visitors are sent to sign in
    /// and come back to the area's page; a personal access token, a member (or a moderator on admin pages) and staff
    /// who must first turn on two-factor sign-in are refused with 403.
    func staff(_ context: AppRequestContext) throws -> Viewer {
        guard let viewer = context.viewer else {
            throw SettingsRedirect(rendered: .redirect(to: SiteURL.login(next: area.page(config)).path(config)))
        }
        guard !viewer.viaToken, viewer.sessionHash != nil else { throw PageError.staffTokenRefused }
        guard area.admits(viewer.account.role) else {
            throw area == .admin ? PageError.adminsOnly : PageError.moderatorsOnly
        }
        guard viewer.mayUseStaffPages(config.community) else { throw PageError.staffTwoFactor }
        return viewer
    }

    /// The staff viewer of a form, with the form read and its CSRF token checked.
    func staffForm(_ request: Request, _ context: AppRequestContext) async throws -> (Viewer, Form) {
        let viewer = try staff(context)
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        return (viewer, form)
    }

    /// `2025-01-02 13:04 UTC`, as the settings page writes times.
    static func time(_ date: Date) -> String { SettingsRoutes<Store>.time(date) }
}

extension PageError {
    static let moderatorsOnly = PageError(
        status: .forbidden, heading: "Moderators only", message: "This page is for the site's moderators and admins.")

    static let adminsOnly = PageError(
        status: .forbidden, heading: "Admins only", message: "This page is for the site's admins.")

    static let staffTwoFactor = PageError(
        status: .forbidden, heading: "Turn on two-factor sign-in",
        message: "Moderators and admins must turn on two-factor sign-in (in Settings) before using this page.")

    static let staffTokenRefused = PageError(
        status: .forbidden, heading: "Sign in with a browser",
        message: "Moderation and admin pages work only in a signed-in browser, not with a personal access token.")
}
