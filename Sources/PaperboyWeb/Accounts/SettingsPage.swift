import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The settings page (`settings.mustache`): the account's profile, email, password, two-factor sign-in, personal
/// access tokens and sessions, the export of its data and its deletion. Only for a signed-in browser; never cached.
struct SettingsPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading = "Settings"
    let csrf: String
    let problem: String?
    let success: String?
    let username: String
    let fullname: String
    let email: String
    /// `moderator` or `admin`, nil for members.
    let role: String?
    /// A moderator or admin who must turn on two-factor sign-in before using moderation or admin pages.
    let staffNeedsTwoFactor: Bool
    let actions: SettingsActionLinks
    let twoFactorOn: Bool
    let recoveryCodesLeft: Int
    /// A two-factor set-up under way: the key to enter in an authenticator app and the form to confirm it.
    let setup: TwoFactorSetupView?
    /// Recovery codes just made, shown this once.
    let recoveryCodes: [String]
    let hasRecoveryCodes: Bool
    /// A token just created, shown this once.
    let newToken: NewTokenView?
    let tokens: [TokenRow]
    let hasTokens: Bool
    let sessions: [SessionRow]
    let export: String
    /// The address is verified (a digest subscription of it is managed here).
    let emailVerified: Bool
    /// Unverified, and the site can mail a verification link.
    let canSendVerification: Bool
    /// The confirmed digest subscription of the verified address.
    let subscription: SettingsSubscriptionView?
    /// Verified without a subscription, the site able to send mail: a form that subscribes at once.
    let subscribeForm: DigestFieldsView?
}

/// The fields of a digest's settings in a form: frequency, topic words, categories.
struct DigestFieldsView {
    let daily: Bool
    let weekly: Bool
    let query: String
    let categories: String

    /// From what was typed when there is a form, else from `settings` (daily, no topic when nil).
    init(_ settings: SubscriptionSettings?, form: Form? = nil) {
        let frequency = form?["frequency"] ?? settings?.frequency.rawValue ?? DigestFrequency.daily.rawValue
        weekly = frequency == DigestFrequency.weekly.rawValue
        daily = !weekly
        query = form.map { $0.trimmed("query") ?? "" } ?? settings?.topic.query ?? ""
        categories =
            form.map { $0.trimmed("categories") ?? "" }
            ?? settings?.topic.categories.joined(separator: " ") ?? ""
    }
}

/// The account's digest subscription on the settings page.
struct SettingsSubscriptionView {
    /// "a daily digest of the most upvoted papers".
    let summary: String
    let fields: DigestFieldsView
    /// A change asked for by mail waits for its confirmation.
    let pending: Bool
}

/// Where each settings form posts.
struct SettingsActionLinks {
    let profile: String
    let email: String
    let password: String
    let twoFactorSetup: String
    let twoFactorConfirm: String
    let twoFactorDisable: String
    let tokenCreate: String
    let tokenRevoke: String
    let sessionEnd: String
    let delete: String
    let verifyEmail: String
    let subscribe: String
    let subscription: String
    let unsubscribe: String
    /// The recommendation settings page (categories, seed papers, "not interested" marks).
    let recommendations: String

    init(_ config: WebConfiguration) {
        recommendations = SiteURL.forYouSettings.path(config)
        func link(_ action: SettingsAction) -> String { SiteURL.settingsAction(action.rawValue).path(config) }
        profile = link(.profile)
        email = link(.email)
        password = link(.password)
        twoFactorSetup = link(.twoFactorSetup)
        twoFactorConfirm = link(.twoFactorConfirm)
        twoFactorDisable = link(.twoFactorDisable)
        tokenCreate = link(.tokenCreate)
        tokenRevoke = link(.tokenRevoke)
        sessionEnd = link(.sessionEnd)
        delete = link(.delete)
        verifyEmail = link(.verifyEmail)
        subscribe = link(.subscribe)
        subscription = link(.subscription)
        unsubscribe = link(.unsubscribe)
    }
}

struct TwoFactorSetupView {
    /// The base32 key an authenticator app takes when typed in.
    let key: String
    /// The `otpauth://` URL (as text: no QR library is shipped).
    let url: String
    /// The secret sealed for the confirming form.
    let sealed: String
}

struct NewTokenView {
    let name: String
    let token: String
}

struct TokenRow {
    let id: Int64
    let name: String
    let created: String
    let lastUsed: String
}

struct SessionRow {
    /// Names the session in the form that ends it, without giving away its stored hash.
    let ref: String
    let agent: String
    let created: String
    let lastSeen: String
    let current: Bool
}

/// What the settings forms post to: `/settings/{action}`.
enum SettingsAction: String, CaseIterable {
    case profile
    case email
    case password
    case twoFactorSetup = "2fa-setup"
    case twoFactorConfirm = "2fa-confirm"
    case twoFactorDisable = "2fa-disable"
    case tokenCreate = "token-create"
    case tokenRevoke = "token-revoke"
    case sessionEnd = "session-end"
    case delete
    /// Mails a verification link to the account's address.
    case verifyEmail = "verify-email"
    /// Subscribes the verified address to digests, confirmed at once.
    case subscribe
    /// Changes the verified address's subscription.
    case subscription
    case unsubscribe
}

extension Viewer {
    /// Whether this viewer may use moderation and admin pages: a moderator or admin who has turned on two-factor
    /// sign-in, or any moderator or admin when the site does not require it (`--require-2fa off`).
    func mayUseStaffPages(_ settings: CommunitySettings) -> Bool {
        account.role.isStaff && (account.totpSecret != nil || !settings.requireTwoFactorForStaff)
    }

    /// A moderator or admin kept from the staff pages until they turn on two-factor sign-in.
    func staffNeedsTwoFactor(_ settings: CommunitySettings) -> Bool {
        account.role.isStaff && !mayUseStaffPages(settings)
    }
}

/// The settings page, its forms and the export of the account's data.
struct SettingsRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var accounts: AccountService { site.accounts }

    /// How long a two-factor set-up may wait for its confirming code.
    static var setupLifetime: TimeInterval { 15 * 60 }
    /// The most tokens an account may hold.
    static var maxTokens: Int { 50 }

    func register(on routes: RouteTable) {
        routes.get(.settings) { request, context in
            try await answer(request, context) { try await settingsPage(request, context) }
        }
        routes.on(.settingsAction, method: .post) { request, context in
            try await answer(request, context) {
                try await perform(try SiteRoute.settingsAction.parameter(in: context), request, context)
            }
        }
        routes.get(.settingsExport) { request, context in
            try await answer(request, context) { try await export(request, context) }
        }
    }

    /// Answers without the shared cache and says so (`private, no-store`), whoever asks.
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

    /// The signed-in browser. Anonymous visitors are sent to sign in (``SettingsRedirect``); a personal access token
    /// is refused, since settings change only in a browser.
    func browser(_ context: AppRequestContext) throws -> Viewer {
        guard let viewer = context.viewer else {
            throw SettingsRedirect(
                rendered: .redirect(to: SiteURL.login(next: SiteURL.settings.path(config)).path(config)))
        }
        guard !viewer.viaToken, viewer.sessionHash != nil else { throw PageError.tokenRefused }
        return viewer
    }

    func settingsPage(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        try await page(try browser(context))
    }

    // MARK: Rendering

    /// What a page shows beyond the stored state: a message and what is shown once.
    struct Extras {
        var status: HTTPResponse.Status = .ok
        var problem: String?
        var success: String?
        var setup: TwoFactorSetupView?
        var recoveryCodes: [String] = []
        var newToken: NewTokenView?
        var retryAfter: Duration?
        /// A digest form sent back with a problem: shown as typed.
        var digestForm: Form?

        static func problem(_ message: String, _ status: HTTPResponse.Status = .unprocessableContent) -> Extras {
            Extras(status: status, problem: message)
        }

        static func success(_ message: String) -> Extras { Extras(success: message) }
    }

    /// The settings page of `viewer` as stored now.
    func page(_ viewer: Viewer, _ extras: Extras = Extras()) async throws -> Rendered {
        let account = viewer.account
        let tokens = try await site.store.tokens(accountID: account.id)
        let sessions = try await site.store.sessions(accountID: account.id)
        let recoveryLeft = account.totpSecret == nil ? 0 : try await site.store.recoveryCodeCount(accountID: account.id)
        let tokenRows = tokens.map { token in
            TokenRow(
                id: token.id, name: token.name, created: SettingsRoutes.time(token.createdAt),
                lastUsed: token.lastUsedAt.map(SettingsRoutes.time) ?? "never")
        }
        let verified = account.emailVerifiedAt != nil
        let subscription = try await verifiedSubscription(account)
        let model = SettingsPageModel(
            site: SiteChrome(config), csrf: viewer.csrfToken, problem: extras.problem, success: extras.success,
            username: account.username, fullname: account.fullname, email: account.email,
            role: account.role.isStaff ? account.role.rawValue : nil,
            staffNeedsTwoFactor: viewer.staffNeedsTwoFactor(config.community), actions: SettingsActionLinks(config),
            twoFactorOn: account.totpSecret != nil, recoveryCodesLeft: recoveryLeft, setup: extras.setup,
            recoveryCodes: extras.recoveryCodes, hasRecoveryCodes: !extras.recoveryCodes.isEmpty,
            newToken: extras.newToken,
            tokens: tokenRows, hasTokens: !tokenRows.isEmpty,
            sessions: sessions.map { session in
                SessionRow(
                    ref: SettingsRoutes.sessionRef(session.tokenHash),
                    agent: session.userAgent.flatMap { $0.isEmpty ? nil : $0 } ?? "Unknown browser",
                    created: SettingsRoutes.time(session.createdAt), lastSeen: SettingsRoutes.time(session.lastSeenAt),
                    current: session.tokenHash == viewer.sessionHash)
            },
            export: SiteURL.settingsExport.path(config),
            emailVerified: verified, canSendVerification: !verified && site.mail != nil,
            subscription: subscription.map { subscription in
                SettingsSubscriptionView(
                    summary: SubscriptionSummary(subscription.settings).sentence,
                    fields: DigestFieldsView(subscription.settings, form: extras.digestForm),
                    pending: subscription.pending != nil)
            },
            subscribeForm: verified && subscription == nil && site.mail != nil
                ? DigestFieldsView(nil, form: extras.digestForm) : nil)
        var rendered = try await PageRoutes(site: site).html(
            model, "settings", Visit(viewer: viewer, path: SiteURL.settings.path(config)))
        rendered.status = extras.status
        rendered.headers[.cacheControl] = "private, no-store"
        if let wait = extras.retryAfter { rendered.headers[.retryAfter] = String(wait.retryAfterSeconds) }
        return rendered
    }

    /// `2025-01-02 13:04 UTC`.
    static func time(_ date: Date) -> String {
        let stamp = Timestamp.rfc3339(date)
        return String(stamp.prefix(10)) + " " + String(stamp.dropFirst(11).prefix(5)) + " UTC"
    }

    /// What names a session in the page and its form: a hash of its stored hash (which stays on the server).
    static func sessionRef(_ tokenHash: String) -> String {
        String(Credentials.storedHash("session-ref:" + tokenHash).prefix(24))
    }

    // MARK: Forms

    func perform(_ name: String, _ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        guard let action = SettingsAction(rawValue: name) else {
            throw PageError.notFound("There is no such setting.")
        }
        let viewer = try browser(context)
        let form = try await Form.read(request)
        guard accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        let key = RateLimiter.Key(bucket: "writes", subject: String(viewer.account.id))
        if let wait = accounts.limiter.take(key, .writes) {
            var extras = Extras.problem(
                "Too many changes at once. Try again in \(wait.retryAfterSeconds) seconds.", .tooManyRequests)
            extras.retryAfter = wait
            return try await page(viewer, extras)
        }
        switch action {
        case .profile: return try await changeProfile(viewer, form)
        case .email: return try await changeEmail(viewer, form)
        case .password: return try await changePassword(viewer, form)
        case .twoFactorSetup: return try await startTwoFactor(viewer)
        case .twoFactorConfirm: return try await confirmTwoFactor(viewer, form)
        case .twoFactorDisable: return try await disableTwoFactor(viewer, form)
        case .tokenCreate: return try await createToken(viewer, form)
        case .tokenRevoke: return try await revokeToken(viewer, form)
        case .sessionEnd: return try await endSession(viewer, form)
        case .delete: return try await deleteAccount(viewer, form)
        case .verifyEmail: return try await sendVerification(viewer)
        case .subscribe: return try await subscribe(viewer, form)
        case .subscription: return try await changeSubscription(viewer, form)
        case .unsubscribe: return try await unsubscribe(viewer)
        }
    }

    /// The viewer with their account as it is after a change; nil (the account is gone) signs the browser out.
    func updated(_ viewer: Viewer, _ change: AccountChange) async throws -> Viewer? {
        guard let account = try await site.store.updateAccount(id: viewer.account.id, change) else { return nil }
        return Viewer(
            account: account, sessionHash: viewer.sessionHash, tokenID: viewer.tokenID, csrfToken: viewer.csrfToken)
    }

    /// Home, signed out: what follows a change to an account that no longer exists, or its deletion.
    func signedOut() -> Rendered {
        .redirect(to: SiteURL.home.path(config), setCookies: [accounts.expiredCookie(AccountService.sessionCookie)])
    }

    /// Checks the account's current password. Wrong passwords count like failed sign-ins (five in 15 minutes block
    /// these forms for a minute, then longer), so that a borrowed browser cannot be used to guess the password.
    func checkPassword(_ viewer: Viewer, _ form: Form, field: String = "current_password") async throws -> Extras? {
        let key = RateLimiter.Key(bucket: "settings.password", subject: String(viewer.account.id))
        if let wait = try await accounts.failures.blocked(key) {
            var extras = Extras.problem(
                "Too many wrong passwords. Try again in \(wait.retryAfterSeconds) seconds.", .tooManyRequests)
            extras.retryAfter = wait
            return extras
        }
        let password = form[field] ?? ""
        guard !password.isEmpty, password.utf8.count <= 1024,
            try await Credentials.verifyPassword(
                password, hash: viewer.account.passwordHash, cost: config.community.passwordCost)
        else {
            try await accounts.failures.failed(key, .loginPerAccount)
            return .problem("Your current password is not right.")
        }
        try await accounts.failures.succeeded(key)
        return nil
    }

    func changeProfile(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard let name = DisplayName.check(form["fullname"] ?? "") else {
            return try await page(viewer, .problem(DisplayName.problem))
        }
        guard let changed = try await updated(viewer, .fullname(name)) else { return signedOut() }
        // Cards and the API show the display name of a paper's submitter.
        site.cache.invalidate()
        return try await page(changed, .success("Your display name is now \(name)."))
    }

    func changeEmail(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard let email = EmailAddress.check(form["email"] ?? "") else {
            return try await page(viewer, .problem("Email: enter an address such as name@example.org."))
        }
        if let refused = try await checkPassword(viewer, form) { return try await page(viewer, refused) }
        do {
            guard let changed = try await updated(viewer, .email(email)) else { return signedOut() }
            let sent = await SiteMail(site: site).sendVerificationAfterChange(changed.account)
            return try await page(
                changed,
                .success("Your email is now \(email)." + (sent ? " A verification link is on its way to it." : "")))
        } catch AccountConflict.email {
            return try await page(viewer, .problem("An account with that email exists already."))
        }
    }

    func changePassword(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        if let refused = try await checkPassword(viewer, form) { return try await page(viewer, refused) }
        let new = form["new_password"] ?? ""
        if let problem = Credentials.passwordProblem(new) {
            return try await page(viewer, .problem("New password: \(problem)."))
        }
        let hash = try await Credentials.hashPassword(new, cost: config.community.passwordCost)
        guard let changed = try await updated(viewer, .password(hash: hash, keepingSession: viewer.sessionHash))
        else { return signedOut() }
        site.logger.info("password changed", metadata: ["account.username": .string(viewer.account.username)])
        return try await page(changed, .success("Your password is changed. Every other browser is signed out."))
    }

    // MARK: Two-factor sign-in

    func setupView(_ viewer: Viewer, secret: String) -> TwoFactorSetupView {
        let url = TwoFactor.authenticatorURL(
            secret: secret, username: viewer.account.username, issuer: config.siteName)
        let key = URLComponents(string: url)?.queryItems?.first { $0.name == "secret" }?.value ?? secret
        let sealed = accounts.signer.seal(
            "2fa-setup", payload: "\(viewer.account.id)_\(secret)",
            expires: site.now().addingTimeInterval(SettingsRoutes.setupLifetime))
        return TwoFactorSetupView(key: key, url: url, sealed: sealed)
    }

    func startTwoFactor(_ viewer: Viewer) async throws -> Rendered {
        guard viewer.account.totpSecret == nil else {
            return try await page(viewer, .problem("Two-factor sign-in is on already."))
        }
        var extras = Extras()
        extras.setup = setupView(viewer, secret: TwoFactor.newSecret())
        return try await page(viewer, extras)
    }

    /// The secret a set-up form carries, when it was sealed for this account and has not expired.
    func setupSecret(_ viewer: Viewer, _ form: Form) -> String? {
        guard let sealed = form["setup"],
            let payload = accounts.signer.open("2fa-setup", token: sealed, now: site.now())
        else { return nil }
        let parts = payload.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0] == String(viewer.account.id), !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }

    func confirmTwoFactor(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard viewer.account.totpSecret == nil else {
            return try await page(viewer, .problem("Two-factor sign-in is on already."))
        }
        guard let secret = setupSecret(viewer, form) else {
            return try await page(viewer, .problem("The set-up expired. Start it again."))
        }
        let code = (form["code"] ?? "").filter { !$0.isWhitespace }
        guard TwoFactor.verify(code: code, secret: secret, at: site.now()) else {
            var extras = Extras.problem("That code is not right. Enter the newest code your app shows.")
            extras.setup = setupView(viewer, secret: secret)
            return try await page(viewer, extras)
        }
        let codes = TwoFactor.newRecoveryCodes()
        let hashes = codes.map { Credentials.storedHash(TwoFactor.normalizeRecoveryCode($0)) }
        guard let changed = try await updated(viewer, .twoFactor(secret: secret, recoveryCodeHashes: hashes)) else {
            return signedOut()
        }
        site.logger.info("two-factor on", metadata: ["account.username": .string(viewer.account.username)])
        var extras = Extras.success(
            "Two-factor sign-in is on. Keep these recovery codes somewhere safe: each signs you in once without "
                + "your app, and they are shown only now.")
        extras.recoveryCodes = codes
        return try await page(changed, extras)
    }

    func disableTwoFactor(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard viewer.account.totpSecret != nil else {
            return try await page(viewer, .problem("Two-factor sign-in is off already."))
        }
        if let refused = try await checkPassword(viewer, form) { return try await page(viewer, refused) }
        guard let changed = try await updated(viewer, .twoFactor(secret: nil, recoveryCodeHashes: [])) else {
            return signedOut()
        }
        site.logger.info("two-factor off", metadata: ["account.username": .string(viewer.account.username)])
        return try await page(changed, .success("Two-factor sign-in is off."))
    }

    // MARK: Tokens and sessions

    func createToken(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard let name = DisplayName.check(form["name"] ?? "") else {
            return try await page(viewer, .problem("Token name: 1 to 100 characters, without control characters."))
        }
        let count = try await site.store.tokens(accountID: viewer.account.id).count
        guard count < SettingsRoutes.maxTokens else {
            return try await page(
                viewer, .problem("You have \(SettingsRoutes.maxTokens) tokens already. Revoke one first."))
        }
        let token = Credentials.newAccessToken()
        _ = try await site.store.createToken(
            accountID: viewer.account.id, name: name, tokenHash: Credentials.storedHash(token), at: site.now())
        var extras = Extras.success("Token created. Copy it now: it is shown only once.")
        extras.newToken = NewTokenView(name: name, token: token)
        return try await page(viewer, extras)
    }

    func revokeToken(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard let id = form["token_id"].flatMap({ Int64($0) }),
            try await site.store.revokeToken(id: id, accountID: viewer.account.id)
        else { return try await page(viewer, .problem("There is no such token.")) }
        return try await page(viewer, .success("Token revoked."))
    }

    func endSession(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        let ref = form["session"] ?? ""
        let sessions = try await site.store.sessions(accountID: viewer.account.id)
        guard !ref.isEmpty,
            let session = sessions.first(where: {
                Credentials.constantTimeEqual(SettingsRoutes.sessionRef($0.tokenHash), ref)
            }),
            try await site.store.endSession(tokenHash: session.tokenHash, accountID: viewer.account.id)
        else { return try await page(viewer, .problem("That session has ended already.")) }
        if session.tokenHash == viewer.sessionHash { return signedOut() }
        return try await page(viewer, .success("That browser is signed out."))
    }

    // MARK: Deletion

    func deleteAccount(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard (form.trimmed("confirm_username") ?? "").lowercased() == viewer.account.username else {
            return try await page(viewer, .problem("Type your username to confirm that the account should go."))
        }
        if let refused = try await checkPassword(viewer, form) { return try await page(viewer, refused) }
        _ = try await site.store.deleteAccount(id: viewer.account.id)
        // Its votes are gone, so counts changed.
        site.cache.invalidate()
        site.logger.info("account deleted", metadata: ["account.username": .string(viewer.account.username)])
        return signedOut()
    }

    // MARK: Export

    /// The account's data as JSON (no password, secret or credential hashes), to a signed-in browser or with a
    /// personal access token.
    func export(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        guard let viewer = context.viewer else {
            if context.credentialsRejected {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Bearer"
                return try JSON.rendered(
                    APIErrorBody(error: "a valid access token is needed"), status: .unauthorized, headers: headers)
            }
            return .redirect(to: SiteURL.login(next: SiteURL.settingsExport.path(config)).path(config))
        }
        let account = viewer.account
        let store = site.store
        let data = AccountExport(
            exportedAt: Timestamp.rfc3339(site.now()),
            account: .init(
                username: account.username, email: account.email, fullname: account.fullname,
                role: account.role.rawValue, createdAt: Timestamp.rfc3339(account.createdAt),
                twoFactor: account.totpSecret != nil,
                recoveryCodesLeft: account.totpSecret == nil
                    ? 0 : try await store.recoveryCodeCount(accountID: account.id)
            ),
            votes: try await store.votes(accountID: account.id).map(AccountExport.Event.init),
            submissions: try await store.submissions(accountID: account.id).map(AccountExport.Event.init),
            tokens: try await store.tokens(accountID: account.id).map { token in
                AccountExport.Token(
                    id: token.id, name: token.name, createdAt: Timestamp.rfc3339(token.createdAt),
                    lastUsedAt: token.lastUsedAt.map(Timestamp.rfc3339))
            },
            sessions: try await store.sessions(accountID: account.id).map { session in
                AccountExport.Session(
                    createdAt: Timestamp.rfc3339(session.createdAt), lastSeenAt: Timestamp.rfc3339(session.lastSeenAt),
                    userAgent: session.userAgent, current: session.tokenHash == viewer.sessionHash)
            },
            recommendations: try await AccountExport.Recommendations(store, accountID: account.id))
        var headers = HTTPFields()
        headers[.contentDisposition] = "attachment; filename=\"paperboy-\(account.username).json\""
        return try JSON.rendered(data, headers: headers)
    }
}

/// A settings request that ends before its form is read: an anonymous visitor sent to sign in.
struct SettingsRedirect: Error {
    let rendered: Rendered
}

extension PageError {
    /// Settings asked for with a personal access token.
    static let tokenRefused = PageError(
        status: .forbidden, heading: "Sign in with a browser",
        message: "Settings change only in a signed-in browser, not with a personal access token.")
}

/// An account's data as `/settings/export.json` gives it.
struct AccountExport: Encodable {
    struct AccountPart: Encodable {
        let username: String
        let email: String
        let fullname: String
        let role: String
        let createdAt: String
        let twoFactor: Bool
        let recoveryCodesLeft: Int
    }

    struct Event: Encodable {
        let paper: String
        let at: String
        let comment: String?

        init(_ event: UserPaperEvent) {
            paper = event.paper.rawValue
            at = Timestamp.rfc3339(event.at)
            comment = event.comment
        }
    }

    /// What recommendations start from besides votes: the settings and the "not interested" marks.
    struct Recommendations: Encodable {
        let categories: [String]
        let seedPapers: [String]
        let notInterested: [String]

        init(_ store: some RecommendationStore, accountID: Int64) async throws {
            let settings = try await store.recommendationSettings(accountID: accountID)
            categories = settings.categories
            seedPapers = settings.seedPapers.map(\.rawValue)
            notInterested = try await store.notInterestedPapers(
                accountID: accountID, limit: RecommendationLimits.maxNotInterested
            ).map(\.paper.id.rawValue)
        }
    }

    struct Token: Encodable {
        let id: Int64
        let name: String
        let createdAt: String
        let lastUsedAt: String?
    }

    struct Session: Encodable {
        let createdAt: String
        let lastSeenAt: String
        let userAgent: String?
        let current: Bool
    }

    let exportedAt: String
    let account: AccountPart
    let votes: [Event]
    let submissions: [Event]
    let tokens: [Token]
    let sessions: [Session]
    let recommendations: Recommendations
}

// MARK: Email verification and the digest subscription

extension SettingsRoutes {
    /// The confirmed subscription of the account's address, when the address is verified (an unverified address
    /// proves nothing, so its subscription is not the account's to see).
    func verifiedSubscription(_ account: Account) async throws -> Subscription? {
        guard account.emailVerifiedAt != nil,
            let subscription = try await site.store.subscription(email: account.email),
            subscription.confirmedAt != nil
        else { return nil }
        return subscription
    }

    func sendVerification(_ viewer: Viewer) async throws -> Rendered {
        let account = viewer.account
        guard account.emailVerifiedAt == nil else {
            return try await page(viewer, .problem("Your address is verified already."))
        }
        guard site.mail != nil else {
            return try await page(viewer, .problem(AccountMailText.noMail, .serviceUnavailable))
        }
        guard try await SiteMail(site: site).sendVerification(account) else {
            return try await page(
                viewer,
                .problem(
                    "\(MailPolicy.mailsPerAddressPerDay) mails a day at most go to an address. Try again tomorrow.",
                    .tooManyRequests))
        }
        return try await page(viewer, .success("A verification link is on its way to \(account.email)."))
    }

    /// What a digest form gives: its settings, or the page again with the problem.
    enum DigestForm {
        case settings(SubscriptionSettings)
        case again(Rendered)
    }

    /// The digest settings of a form, or the page again with the problem.
    func digestSettings(_ viewer: Viewer, _ form: Form) async throws -> DigestForm {
        guard let frequency = DigestFrequency(rawValue: form["frequency"] ?? "") else {
            var extras = Extras.problem(SubscribeRoutes<Store>.sentence(SubscriptionProblem.badFrequency.description))
            extras.digestForm = form
            return .again(try await page(viewer, extras))
        }
        switch DigestTopic.make(query: form["query"], categories: SubscriptionRequest.categories(form["categories"])) {
        case .failure(let problem):
            var extras = Extras.problem(SubscribeRoutes<Store>.sentence(problem.description))
            extras.digestForm = form
            return .again(try await page(viewer, extras))
        case .success(let topic): return .settings(SubscriptionSettings(frequency: frequency, topic: topic))
        }
    }

    /// Subscribes the verified address, confirmed at once (verifying it proved the mailbox is the account's).
    func subscribe(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        let account = viewer.account
        guard account.emailVerifiedAt != nil else {
            return try await page(viewer, .problem("Verify your address first: the digest goes to it."))
        }
        let settings: SubscriptionSettings
        switch try await digestSettings(viewer, form) {
        case .again(let answer): return answer
        case .settings(let checked): settings = checked
        }
        let nonce = Credentials.randomBase62(22)
        let now = site.now()
        let requested = try await site.store.requestSubscription(
            email: account.email, settings: settings, nonce: nonce, at: now)
        guard try await site.store.confirmSubscription(id: requested.id, nonce: nonce, at: now) != nil else {
            return try await page(viewer, .problem("The subscription changed meanwhile. Try again."))
        }
        site.logger.info("subscription confirmed", metadata: ["subscription.id": "\(requested.id)"])
        return try await page(viewer, .success("Subscribed: you get \(SubscriptionSummary(settings).sentence)."))
    }

    func changeSubscription(_ viewer: Viewer, _ form: Form) async throws -> Rendered {
        guard let subscription = try await verifiedSubscription(viewer.account) else {
            return try await page(viewer, .problem("You have no digest subscription."))
        }
        let settings: SubscriptionSettings
        switch try await digestSettings(viewer, form) {
        case .again(let answer): return answer
        case .settings(let checked): settings = checked
        }
        guard try await site.store.updateSubscription(id: subscription.id, settings: settings) != nil else {
            return try await page(viewer, .problem("You have no digest subscription."))
        }
        return try await page(viewer, .success("Saved: you get \(SubscriptionSummary(settings).sentence)."))
    }

    func unsubscribe(_ viewer: Viewer) async throws -> Rendered {
        guard let subscription = try await verifiedSubscription(viewer.account),
            try await site.store.deleteSubscription(id: subscription.id)
        else { return try await page(viewer, .problem("You have no digest subscription.")) }
        return try await page(viewer, .success("Unsubscribed: you get no more digests."))
    }
}
