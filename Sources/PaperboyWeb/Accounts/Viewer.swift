import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PaperboyCore

/// The signed-in user behind a request: by a session cookie (a browser) or a personal access token (the API).
public struct Viewer: Sendable {
    public let account: Account
    /// The stored hash of the session id, for a browser session.
    let sessionHash: String?
    /// The token used, for an API call with a personal access token.
    let tokenID: Int64?
    /// What forms and cookie-authenticated API calls must send back (`csrf_token`, `X-CSRF-Token`); empty for tokens.
    let csrfToken: String

    var viaToken: Bool { tokenID != nil }
}

/// Sessions, tokens and CSRF: turns a request's credentials into a ``Viewer`` and starts and ends sessions. Policy
/// lives here (30 days absolute, 7 idle, disabled accounts refused); the store keeps the records.
final class AccountService: Sendable {
    static let sessionCookie = "pb_session"
    /// The random value whose signature the sign-in and sign-up forms carry before there is a session.
    static let formCookie = "pb_form"
    /// A half-finished sign-in waiting for its second factor.
    static let twoFactorCookie = "pb_2fa"

    static let sessionLifetime: TimeInterval = 30 * 86_400
    static let sessionIdle: TimeInterval = 7 * 86_400
    /// A session's last-seen time is written at most this often.
    static let touchEvery: TimeInterval = 60

    let store: any AccountStore
    let signer: Signer
    let settings: CommunitySettings
    let limiter: RateLimiter
    /// Failed sign-ins and wrong current passwords: in the store when it is shared by several nodes.
    let failures: SignInFailures
    let now: @Sendable () -> Date
    let cookiePath: String
    let secureCookies: Bool
    let logger: Logger

    init(
        store: any AccountStore, secret: [UInt8], config: WebConfiguration, now: @escaping @Sendable () -> Date,
        monotonic: @escaping @Sendable () -> ContinuousClock.Instant, sharedLimits: (any FailureLimitStore)? = nil,
        logger: Logger
    ) {
        self.store = store
        signer = Signer(secret: secret)
        settings = config.community
        limiter = RateLimiter(enabled: config.community.rateLimits, now: monotonic)
        failures = SignInFailures(local: limiter, shared: sharedLimits, now: now)
        self.now = now
        cookiePath = config.pathPrefix.isEmpty ? "/" : config.pathPrefix
        secureCookies = config.baseURL.scheme?.lowercased() == "https"
        self.logger = logger
    }

    /// Whether a request carries credentials (a session cookie or an `Authorization` header): its answer is personal,
    /// so the shared cache neither serves nor keeps it.
    static func carriesCredentials(_ request: Request) -> Bool {
        request.headers[.authorization] != nil || request.cookies[sessionCookie] != nil
    }

    /// The user a personal access token acts for; nil for a malformed or unknown token, or a disabled account.
    func viewer(token: String) async throws -> Viewer? {
        guard Credentials.looksLikeAccessToken(token),
            let (stored, account) = try await store.token(hash: Credentials.storedHash(token)),
            !account.disabled
        else { return nil }
        let now = now()
        if stored.lastUsedAt.map({ now.timeIntervalSince($0) >= AccountService.touchEvery }) ?? true {
            try await store.touchToken(id: stored.id, at: now)
        }
        return Viewer(account: account, sessionHash: nil, tokenID: stored.id, csrfToken: "")
    }

    /// Who is signed in. A bad, expired or revoked credential gives nil (`rejected` says a bearer token was sent and
    /// refused: public pages ignore it, routes that need an account answer 401).
    func viewer(for request: Request) async throws -> (viewer: Viewer?, rejected: Bool) {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return (nil, true) }
            guard let viewer = try await viewer(token: parts[1].trimmingCharacters(in: .whitespaces)) else {
                return (nil, true)
            }
            return (viewer, false)
        }
        guard let id = request.cookies[AccountService.sessionCookie]?.value, id.utf8.count <= 128, !id.isEmpty else {
            return (nil, false)
        }
        let hash = Credentials.storedHash(id)
        guard let (session, account) = try await store.session(tokenHash: hash) else { return (nil, false) }
        let now = now()
        if account.disabled || now.timeIntervalSince(session.createdAt) > AccountService.sessionLifetime
            || now.timeIntervalSince(session.lastSeenAt) > AccountService.sessionIdle
        {
            try await store.endSession(tokenHash: hash, accountID: nil)
            return (nil, false)
        }
        if now.timeIntervalSince(session.lastSeenAt) >= AccountService.touchEvery {
            try await store.touchSession(tokenHash: hash, at: now)
        }
        return (
            Viewer(account: account, sessionHash: hash, tokenID: nil, csrfToken: csrfToken(sessionHash: hash)), false
        )
    }

    func csrfToken(sessionHash: String) -> String { signer.sign("csrf", sessionHash) }

    /// Whether a form or API call of a browser session carries its CSRF token.
    func checkCSRF(_ viewer: Viewer, token: String?) -> Bool {
        guard let hash = viewer.sessionHash, let token else { return viewer.viaToken }
        return signer.verify("csrf", hash, signature: token)
    }

    /// Starts a session for `account` with a new id (never one the browser brought: no session fixation), ending
    /// the session the request came with, if any. Returns the `Set-Cookie` value.
    func startSession(for account: Account, request: Request) async throws -> String {
        if let old = request.cookies[AccountService.sessionCookie]?.value, old.utf8.count <= 128 {
            try await store.endSession(tokenHash: Credentials.storedHash(old), accountID: nil)
        }
        let id = Credentials.newSessionID()
        let now = now()
        let agent = request.headers[.userAgent].map { String($0.prefix(200)) }
        try await store.createSession(
            SessionRecord(
                tokenHash: Credentials.storedHash(id), accountID: account.id, createdAt: now, lastSeenAt: now,
                userAgent: agent))
        try await store.endExpiredSessions(
            createdBefore: now.addingTimeInterval(-AccountService.sessionLifetime),
            idleBefore: now.addingTimeInterval(-AccountService.sessionIdle))
        logger.info("signed in", metadata: ["account.username": .string(account.username)])
        return cookie(AccountService.sessionCookie, id, maxAge: Int(AccountService.sessionLifetime))
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, on the site's path, Secure when the site is served over https.
    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        var parts = ["\(name)=\(value)", "Path=\(cookiePath)", "Max-Age=\(maxAge)", "HttpOnly", "SameSite=Lax"]
        if secureCookies { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    /// A `Set-Cookie` value that removes the cookie.
    func expiredCookie(_ name: String) -> String { cookie(name, "", maxAge: 0) }

    // MARK: Forms before sign-in

    /// The token the sign-in and sign-up forms carry: the signature of the visitor's form cookie (made when absent;
    /// the cookie to set is returned with it).
    func formToken(_ request: Request) -> (token: String, setCookie: String?) {
        if let value = request.cookies[AccountService.formCookie]?.value, value.utf8.count == 32 {
            return (signer.sign("form", value), nil)
        }
        let value = Credentials.randomBase62(32)
        return (signer.sign("form", value), cookie(AccountService.formCookie, value, maxAge: 86_400))
    }

    /// Whether a sign-in or sign-up form came back with the token of the visitor's form cookie.
    func checkFormToken(_ request: Request, token: String?) -> Bool {
        guard let value = request.cookies[AccountService.formCookie]?.value, value.utf8.count == 32, let token else {
            return false
        }
        return signer.verify("form", value, signature: token)
    }
}

/// Resolves the viewer of every request once, before any route runs.
struct ViewerMiddleware: RouterMiddleware {
    let accounts: AccountService

    func handle(
        _ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let (viewer, rejected) = try await accounts.viewer(for: request)
        context.viewer = viewer
        context.credentialsRejected = rejected
        return try await next(request, context)
    }
}
