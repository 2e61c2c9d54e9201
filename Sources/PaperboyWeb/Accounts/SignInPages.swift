import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdOTP
import PaperboyCore

/// A form page of the account pages (`login.mustache`, `signup.mustache`, `twofactor.mustache`): what was typed
/// (never a password), the problem to show and the hidden fields.
struct AccountFormModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading: String
    let action: String
    let csrf: String
    let next: String?
    let problem: String?
    let login: String?
    let username: String?
    let email: String?
    let fullname: String?
    /// The other account page to offer (sign up from sign-in, sign in from sign-up).
    let alternative: String?
    let signupOpen: Bool
    /// "Forgot password?", when the site can send mail.
    let passwordReset: String?
}

/// Sign-in (with its second factor), sign-up and sign-out.
struct SignInRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var accounts: AccountService { site.accounts }

    func register(on routes: RouteTable) {
        routes.get(.login) { request, context in try await answer(request) { try await loginPage(request, context) } }
        routes.on(.login, method: .post) { request, context in
            try await answer(request) { try await login(request, context) }
        }
        routes.get(.loginTwoFactor) { request, context in
            try await answer(request) { try await twoFactorPage(request, context) }
        }
        routes.on(.loginTwoFactor, method: .post) { request, context in
            try await answer(request) { try await twoFactor(request, context) }
        }
        routes.get(.signup) { request, context in
            try await answer(request) { try await signupPage(request, context) }
        }
        routes.on(.signup, method: .post) { request, context in
            try await answer(request) { try await signup(request, context) }
        }
        routes.on(.logout, method: .post) { request, context in
            try await answer(request) { try await logout(request, context) }
        }
    }

    /// Answers without the shared cache (these pages set cookies or depend on them).
    func answer(_ request: Request, _ produce: @escaping () async throws -> Rendered) async throws -> Response {
        try await site.cache.respond(to: request, cacheable: false) {
            do {
                return try await produce()
            } catch let error as PageError {
                return try await PageRoutes(site: site).errorPage(error, Visit(viewer: nil, path: ""))
            }
        }
    }

    /// The page of a form, never cached, setting the form cookie when the visitor has none.
    func formPage(
        _ request: Request, status: HTTPResponse.Status = .ok, template: String, heading: String,
        action: SiteURL, next: String?, problem: String? = nil, form: Form? = nil, csrf: String? = nil,
        retryAfter: Duration? = nil
    ) throws -> Rendered {
        let (token, setCookie) = csrf.map { ($0, nil) } ?? accounts.formToken(request)
        let model = AccountFormModel(
            site: SiteChrome(config), heading: heading, action: action.path(config), csrf: token, next: next,
            problem: problem, login: form?.trimmed("login"), username: form?.trimmed("username"),
            email: form?.trimmed("email"), fullname: form?.trimmed("fullname"),
            alternative: template == "login"
                ? SiteURL.signup(next: next).path(config) : SiteURL.login(next: next).path(config),
            signupOpen: config.community.signupOpen,
            passwordReset: site.mail == nil ? nil : SiteURL.passwordReset.path(config))
        var headers = HTTPFields()
        headers[.cacheControl] = "private, no-store"
        if let setCookie { headers[.setCookie] = setCookie }
        if let retryAfter { headers[.retryAfter] = String(retryAfter.retryAfterSeconds) }
        return Rendered(
            status: status, contentType: Rendered.html, text: try site.templates.render(model, template),
            headers: headers)
    }

    func nextParameter(_ request: Request) -> String? { NextPath.safe(request.query("next"), config: config) }

    // MARK: Sign in

    func loginPage(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let next = nextParameter(request)
        if context.viewer != nil { return .redirect(to: NextPath.safeOrHome(next, config: config)) }
        return try formPage(request, template: "login", heading: "Log in", action: .login(next: nil), next: next)
    }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let form = try await Form.read(request)
        let next = NextPath.safe(form["next"], config: config)
        func again(_ status: HTTPResponse.Status, _ problem: String, retryAfter: Duration? = nil) throws -> Rendered {
            try formPage(
                request, status: status, template: "login", heading: "Log in", action: .login(next: nil),
                next: next, problem: problem, form: form, retryAfter: retryAfter)
        }
        guard accounts.checkFormToken(request, token: form["csrf_token"]) else {
            return try again(.forbidden, "The form expired. Please try again.")
        }
        let login = (form.trimmed("login") ?? "").lowercased()
        let password = form["password"] ?? ""
        guard !login.isEmpty, !password.isEmpty, login.utf8.count <= 254, password.utf8.count <= 1024 else {
            return try again(.unprocessableContent, "Enter your username or email and your password.")
        }
        let address = clientAddress(request, context)
        let addressKey = RateLimiter.Key(bucket: "login.address", subject: address)
        let accountKey = RateLimiter.Key(bucket: "login.account", subject: login)
        var blocked = try await accounts.failures.blocked(addressKey)
        if blocked == nil { blocked = try await accounts.failures.blocked(accountKey) }
        if let wait = blocked {
            return try again(
                .tooManyRequests, "Too many failed attempts. Try again in \(wait.retryAfterSeconds) seconds.",
                retryAfter: wait)
        }
        let found =
            login.contains("@")
            ? try await site.store.account(email: login) : try await site.store.account(username: login)
        let matches = try await Credentials.verifyPassword(
            password, hash: found?.passwordHash, cost: config.community.passwordCost)
        guard matches, let account = found, !account.disabled else {
            try await accounts.failures.failed(addressKey, .loginPerAddress)
            try await accounts.failures.failed(accountKey, .loginPerAccount)
            return try again(.unprocessableContent, "Wrong username, email or password.")
        }
        try await accounts.failures.succeeded(accountKey)
        if account.totpSecret != nil {
            let pending = accounts.signer.seal(
                "2fa", payload: String(account.id), expires: site.now().addingTimeInterval(300))
            return .redirect(
                to: SiteURL.loginTwoFactor(next: next).path(config),
                setCookies: [accounts.cookie(AccountService.twoFactorCookie, pending, maxAge: 300)])
        }
        let cookie = try await accounts.startSession(for: account, request: request)
        return .redirect(to: NextPath.safeOrHome(next, config: config), setCookies: [cookie])
    }

    // MARK: Second factor

    func twoFactorPage(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let next = nextParameter(request)
        guard pendingAccountID(request) != nil else {
            return .redirect(to: SiteURL.login(next: next).path(config))
        }
        return try formPage(
            request, template: "twofactor", heading: "Two-factor sign-in", action: .loginTwoFactor(next: nil),
            next: next)
    }

    func pendingAccountID(_ request: Request) -> Int64? {
        guard let token = request.cookies[AccountService.twoFactorCookie]?.value,
            let payload = accounts.signer.open("2fa", token: token, now: site.now())
        else { return nil }
        return Int64(payload)
    }

    func twoFactor(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let form = try await Form.read(request)
        let next = NextPath.safe(form["next"], config: config)
        func again(_ status: HTTPResponse.Status, _ problem: String, retryAfter: Duration? = nil) throws -> Rendered {
            try formPage(
                request, status: status, template: "twofactor", heading: "Two-factor sign-in",
                action: .loginTwoFactor(next: nil), next: next, problem: problem, retryAfter: retryAfter)
        }
        guard accounts.checkFormToken(request, token: form["csrf_token"]) else {
            return try again(.forbidden, "The form expired. Please try again.")
        }
        guard let id = pendingAccountID(request), let account = try await site.store.account(id: id),
            !account.disabled, let secret = account.totpSecret
        else { return .redirect(to: SiteURL.login(next: next).path(config)) }
        let key = RateLimiter.Key(bucket: "login.account", subject: account.username)
        if let wait = try await accounts.failures.blocked(key) {
            return try again(
                .tooManyRequests, "Too many failed attempts. Try again in \(wait.retryAfterSeconds) seconds.",
                retryAfter: wait)
        }
        let code = (form["code"] ?? "").filter { !$0.isWhitespace }
        var ok = TwoFactor.verify(code: code, secret: secret, at: site.now())
        if !ok, code.count > 6, code.count <= 64 {
            ok = try await site.store.useRecoveryCode(
                accountID: account.id, codeHash: Credentials.storedHash(TwoFactor.normalizeRecoveryCode(code)))
        }
        guard ok else {
            try await accounts.failures.failed(key, .loginPerAccount)
            return try again(.unprocessableContent, "That code is not right. Try the newest one, or a recovery code.")
        }
        try await accounts.failures.succeeded(key)
        let cookie = try await accounts.startSession(for: account, request: request)
        return .redirect(
            to: NextPath.safeOrHome(next, config: config),
            setCookies: [cookie, accounts.expiredCookie(AccountService.twoFactorCookie)])
    }

    // MARK: Sign up

    func signupPage(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let next = nextParameter(request)
        guard config.community.signupOpen else {
            throw PageError(status: .forbidden, heading: "Sign-up is closed", message: "Ask an admin for an account.")
        }
        if context.viewer != nil { return .redirect(to: NextPath.safeOrHome(next, config: config)) }
        return try formPage(request, template: "signup", heading: "Sign up", action: .signup(next: nil), next: next)
    }

    func signup(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        guard config.community.signupOpen else {
            throw PageError(status: .forbidden, heading: "Sign-up is closed", message: "Ask an admin for an account.")
        }
        let form = try await Form.read(request)
        let next = NextPath.safe(form["next"], config: config)
        func again(_ status: HTTPResponse.Status, _ problem: String, retryAfter: Duration? = nil) throws -> Rendered {
            try formPage(
                request, status: status, template: "signup", heading: "Sign up", action: .signup(next: nil),
                next: next, problem: problem, form: form, retryAfter: retryAfter)
        }
        guard accounts.checkFormToken(request, token: form["csrf_token"]) else {
            return try again(.forbidden, "The form expired. Please try again.")
        }
        let address = clientAddress(request, context)
        if let wait = accounts.limiter.take(RateLimiter.Key(bucket: "signup", subject: address), .signup) {
            return try again(
                .tooManyRequests, "Too many sign-ups from your address. Try again later.", retryAfter: wait)
        }
        let fields: AccountFields
        switch AccountFields.check(
            username: form["username"] ?? "", email: form["email"] ?? "", fullname: form["fullname"],
            password: form["password"] ?? "")
        {
        case .failure(let problem): return try again(.unprocessableContent, problem.message)
        case .success(let checked): fields = checked
        }
        let account: Account
        do {
            account = try await site.store.createAccount(
                NewAccount(
                    username: fields.username, email: fields.email, fullname: fields.fullname,
                    passwordHash: try await Credentials.hashPassword(
                        fields.password, cost: config.community.passwordCost),
                    createdAt: site.now()))
        } catch let conflict as AccountConflict {
            return try again(
                .unprocessableContent,
                conflict == .username ? "That username is taken." : "An account with that email exists already.")
        }
        // With mail, the new address gets its verification link (an address counts as the account's once verified).
        await SiteMail(site: site).sendVerificationAfterChange(account)
        let cookie = try await accounts.startSession(for: account, request: request)
        return .redirect(to: NextPath.safeOrHome(next, config: config), setCookies: [cookie])
    }

    // MARK: Sign out

    func logout(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let form = try await Form.read(request)
        guard let viewer = context.viewer, let hash = viewer.sessionHash else {
            return .redirect(
                to: SiteURL.home.path(config), setCookies: [accounts.expiredCookie(AccountService.sessionCookie)])
        }
        guard accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        try await site.store.endSession(tokenHash: hash, accountID: viewer.account.id)
        return .redirect(
            to: SiteURL.home.path(config), setCookies: [accounts.expiredCookie(AccountService.sessionCookie)])
    }

    func clientAddress(_ request: Request, _ context: AppRequestContext) -> String {
        ClientAddress.resolve(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor],
            trusted: config.trustedProxies) ?? "unknown"
    }
}

extension PageError {
    /// A form without its CSRF token, or with a wrong one.
    static let csrf = PageError(
        status: .forbidden, heading: "Form expired",
        message: "This form was not sent from this site's page, or it expired. Go back, reload the page and try again.")
}

/// A new account's fields, checked: a username (lower-cased, not reserved), an email, a display name, a password.
struct AccountFields {
    let username: String
    let email: String
    let fullname: String
    let password: String

    struct Problem: Error {
        let message: String
    }

    static func check(username: String, email: String, fullname: String?, password: String) -> Result<
        AccountFields, Problem
    > {
        let name: String
        switch Username.normalize(username.trimmingCharacters(in: .whitespaces)) {
        case .failure(let problem): return .failure(Problem(message: "Username: \(problem)."))
        case .success(let normalized): name = normalized
        }
        guard let email = EmailAddress.check(email) else {
            return .failure(Problem(message: "Email: enter an address such as name@example.org."))
        }
        let display = (fullname ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let display = DisplayName.check(display.isEmpty ? name : display) else {
            return .failure(Problem(message: DisplayName.problem))
        }
        if let problem = Credentials.passwordProblem(password) {
            return .failure(Problem(message: "Password: \(problem)."))
        }
        return .success(AccountFields(username: name, email: email, fullname: display, password: password))
    }
}

/// Email addresses as accounts take them (the rules are ``Credentials/emailProblem(_:)``'s, which the CLI shares).
public enum EmailAddress {
    /// The address without surrounding blanks, or nil when it cannot be an account's.
    public static func check(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespaces)
        return Credentials.emailProblem(email) == nil ? email : nil
    }
}

/// Display names (the rules are ``Credentials/fullnameProblem(_:)``'s, which the CLI shares).
public enum DisplayName {
    public static let problem = "Display name: 1 to 50 characters, not only spaces, without control characters."

    /// The name without surrounding blanks, or nil when it cannot be a display name.
    public static func check(_ raw: String) -> String? {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        return Credentials.fullnameProblem(name) == nil ? name : nil
    }
}

/// TOTP (RFC 6238, 30-second steps, 6 digits) and recovery codes.
public enum TwoFactor {
    /// Whether `code` is the TOTP of `secret` for the step of `date` or the one before or after (clock drift).
    public static func verify(code: String, secret: String, at date: Date) -> Bool {
        guard code.count == 6, code.allSatisfy(\.isASCII), let number = Int(code) else { return false }
        let totp = TOTP(secret: secret)
        return [-30.0, 0, 30].contains { totp.compute(date: date.addingTimeInterval($0)) == number }
    }

    /// A new secret for an authenticator app.
    public static func newSecret() -> String { Credentials.randomBase62(20) }

    /// The `otpauth://` URL an authenticator app reads (shown as text to copy; no QR library is shipped).
    public static func authenticatorURL(secret: String, username: String, issuer: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "\(issuer):\(username)", issuer: issuer)
    }

    /// Ten one-time recovery codes (`xxxxx-xxxxx`).
    public static func newRecoveryCodes() -> [String] {
        (0..<10).map { _ in
            let raw = Credentials.randomBase62(10).lowercased()
            return String(raw.prefix(5)) + "-" + String(raw.suffix(5))
        }
    }

    /// A recovery code as typed, compared without case and blanks.
    public static func normalizeRecoveryCode(_ code: String) -> String {
        code.lowercased().filter { !$0.isWhitespace }
    }
}
