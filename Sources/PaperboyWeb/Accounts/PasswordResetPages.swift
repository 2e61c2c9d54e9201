import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// `/password-reset` (asks for the address and mails a link) and `/password-reset/confirm` (the link: a new-password
/// form). The request page answers the same whether an account has the address or not; the link works for an hour
/// and dies with the password it replaces, so it works once.
struct PasswordResetRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var pages: AccountMailPages<Store> { AccountMailPages(site: site) }

    /// Reset requests per client address per hour.
    static var perAddress: RateRule { RateRule(limit: 10, window: .seconds(3_600)) }

    func register(on routes: RouteTable) {
        routes.get(.passwordReset) { request, context in
            try await pages.answer(request, context) { try await requestPage(request, context) }
        }
        routes.on(.passwordReset, method: .post) { request, context in
            try await pages.answer(request, context) { try await requestReset(request, context) }
        }
        routes.get(.passwordResetConfirm) { request, context in
            try await pages.answer(request, context) { try await newPasswordPage(request, context) }
        }
        routes.on(.passwordResetConfirm, method: .post) { request, context in
            try await pages.answer(request, context) { try await setPassword(request, context) }
        }
    }

    // MARK: Asking for a link

    func requestPage(
        _ request: Request, _ context: AppRequestContext, problem: String? = nil, email: String = "",
        status: HTTPResponse.Status = .ok, retryAfter: Duration? = nil
    ) async throws -> Rendered {
        var model = AccountMailPageModel(site: SiteChrome(config), heading: "Reset your password")
        guard site.mail != nil else {
            model.problem = AccountMailText.noMail
            return try await pages.render(model, request, context, status: status == .ok ? .ok : .serviceUnavailable)
        }
        model.problem = problem
        model.message = "Enter the email address of your account: we mail it a link to choose a new password."
        return try await pages.formPage(
            model,
            form: pages.form(
                request, action: .passwordReset, token: nil, button: "Send the link", askEmail: true, email: email),
            request, context, status: status, retryAfter: retryAfter)
    }

    func requestReset(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        guard let outbox = site.mail else {
            return try await requestPage(request, context, status: .serviceUnavailable)
        }
        let form = try await Form.read(request)
        let typed = form.trimmed("email") ?? ""
        guard site.accounts.checkFormToken(request, token: form["csrf_token"]) else {
            return try await requestPage(
                request, context, problem: AccountMailText.formExpired, email: typed, status: .forbidden)
        }
        guard let email = EmailAddress.check(typed) else {
            return try await requestPage(
                request, context, problem: "Email: enter an address such as name@example.org.", email: typed,
                status: .unprocessableContent)
        }
        let key = RateLimiter.Key(bucket: "reset", subject: ClientAddress.of(request, context, config: config))
        if let wait = site.accounts.limiter.take(key, Self.perAddress) {
            return try await requestPage(
                request, context,
                problem: "Too many requests from your address. Try again in \(wait.retryAfterSeconds) seconds.",
                email: typed, status: .tooManyRequests, retryAfter: wait)
        }
        let now = site.now()
        if let account = try await site.store.account(email: email), !account.disabled,
            !account.passwordHash.isEmpty,
            try await site.store.takeMailQuota(
                address: account.email, kind: "reset", day: Day(now), limit: MailPolicy.mailsPerAddressPerDay)
        {
            let token = site.mailTokens.passwordReset(account, now: now)
            outbox.enqueue(try SiteMail(site: site).passwordReset(account, token: token), kind: "reset")
        }
        var model = AccountMailPageModel(site: SiteChrome(config), heading: "Check your inbox")
        model.success =
            "If an account has this address, a link to choose a new password is on its way. It works for an hour."
        return try await pages.render(model, request, context)
    }

    // MARK: The link

    /// The account a reset token names, while its password is the one the link was made for.
    func account(_ token: String) async throws -> Account {
        guard let (id, fingerprint) = site.mailTokens.openPasswordReset(token, now: site.now()),
            let account = try await site.store.account(id: id), !account.disabled,
            Credentials.constantTimeEqual(MailTokens.passwordFingerprint(account.passwordHash), fingerprint)
        else {
            throw PageError.badLink(
                "This password-reset link is not valid, was used already or has expired (links work for an hour). "
                    + "Ask for a new one.")
        }
        return account
    }

    func newPasswordPage(
        _ request: Request, _ context: AppRequestContext, token: String? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Rendered {
        let token = token ?? request.query("token") ?? ""
        let account = try await account(token)
        var model = AccountMailPageModel(site: SiteChrome(config), heading: "Choose a new password")
        model.problem = problem
        model.message = "Choose a new password for the account \(account.username)."
        return try await pages.formPage(
            model,
            form: pages.form(
                request, action: .passwordResetConfirm(token: nil), token: token, button: "Set the password",
                askPassword: true),
            request, context, status: status)
    }

    func setPassword(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let form = try await Form.read(request)
        let token = form["token"] ?? ""
        let account = try await account(token)
        guard site.accounts.checkFormToken(request, token: form["csrf_token"]) else {
            return try await newPasswordPage(
                request, context, token: token, problem: AccountMailText.formExpired, status: .forbidden)
        }
        let password = form["password"] ?? ""
        if let problem = Credentials.passwordProblem(password) {
            return try await newPasswordPage(
                request, context, token: token, problem: "Password: \(problem).", status: .unprocessableContent)
        }
        let hash = try await Credentials.hashPassword(password, cost: config.community.passwordCost)
        guard try await site.store.updateAccount(id: account.id, .password(hash: hash, keepingSession: nil)) != nil
        else { throw PageError.badLink("This account no longer exists.") }
        // The link reached the address: it is verified now, unless another account holds it verified.
        if account.emailVerifiedAt == nil {
            do {
                _ = try await site.store.updateAccount(
                    id: account.id, .emailVerified(address: account.email, at: site.now()))
            } catch AccountConflict.email {
                site.logger.info(
                    "password reset: address held verified by another account",
                    metadata: ["account.username": .string(account.username)])
            }
        }
        site.logger.info("password reset", metadata: ["account.username": .string(account.username)])
        var model = AccountMailPageModel(site: SiteChrome(config), heading: "Password changed")
        model.success = "Your password is changed and every browser is signed out. Log in with the new password."
        model.login = SiteURL.login(next: nil).path(config)
        var rendered = try await pages.render(model, request, context, signedOut: true)
        rendered.headers[.setCookie] = site.accounts.expiredCookie(AccountService.sessionCookie)
        return rendered
    }
}
