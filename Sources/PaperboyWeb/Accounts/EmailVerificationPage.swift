import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// `/verify-email`: the link of a verification mail. `GET` shows what will be verified with a button (mail scanners
/// follow links, so a GET changes nothing); `POST` verifies. An address counts as an account's only once verified,
/// and only one account may hold it verified.
struct EmailVerificationRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var pages: AccountMailPages<Store> { AccountMailPages(site: site) }

    func register(on routes: RouteTable) {
        routes.get(.verifyEmail) { request, context in
            try await pages.answer(request, context) { try await page(request, context) }
        }
        routes.on(.verifyEmail, method: .post) { request, context in
            try await pages.answer(request, context) { try await verify(request, context) }
        }
    }

    /// The account a token names, while its address is still the one the link was sent to.
    func account(_ token: String) async throws -> Account {
        guard let (id, email) = site.mailTokens.openVerifyEmail(token, now: site.now()) else {
            throw PageError.badLink(
                "This verification link is not valid or has expired (links work for 7 days). Send a new one from "
                    + "your settings.")
        }
        guard let account = try await site.store.account(id: id), !account.disabled,
            MailAddress.key(account.email) == email
        else {
            throw PageError.badLink("This link is for an address the account no longer has.")
        }
        return account
    }

    func verified(_ account: Account) -> AccountMailPageModel {
        var model = AccountMailPageModel(site: SiteChrome(site.config), heading: "Address verified")
        model.success = "\(account.email) is verified for the account \(account.username)."
        return model
    }

    func page(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let token = request.query("token") ?? ""
        let account = try await account(token)
        if account.emailVerifiedAt != nil { return try await pages.render(verified(account), request, context) }
        var model = AccountMailPageModel(site: SiteChrome(site.config), heading: "Verify your email address")
        model.message = "Verify \(account.email) for the account \(account.username)."
        return try await pages.formPage(
            model, form: pages.form(request, action: .verifyEmail(token: nil), token: token, button: "Verify"),
            request, context)
    }

    func verify(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let form = try await Form.read(request)
        let token = form["token"] ?? ""
        let account = try await account(token)
        guard site.accounts.checkFormToken(request, token: form["csrf_token"]) else {
            var model = AccountMailPageModel(site: SiteChrome(site.config), heading: "Verify your email address")
            model.problem = AccountMailText.formExpired
            return try await pages.formPage(
                model, form: pages.form(request, action: .verifyEmail(token: nil), token: token, button: "Verify"),
                request, context, status: .forbidden)
        }
        if account.emailVerifiedAt != nil { return try await pages.render(verified(account), request, context) }
        do {
            guard
                let updated = try await site.store.updateAccount(
                    id: account.id, .emailVerified(address: account.email, at: site.now()))
            else { throw PageError.badLink("This account no longer exists.") }
            site.logger.info("email verified", metadata: ["account.username": .string(account.username)])
            return try await pages.render(verified(updated), request, context)
        } catch AccountConflict.email {
            var model = AccountMailPageModel(site: SiteChrome(site.config), heading: "Address taken")
            model.problem =
                "Another account verified \(account.email) first, so this account cannot have it. Change the address "
                + "in your settings, or reset the other account's password if it is yours."
            return try await pages.render(model, request, context, status: .conflict)
        }
    }
}
