import Foundation

/// Settings the web layer needs, resolved and validated once at start-up by the CLI.
public struct WebConfiguration: Sendable {
    /// The public URL of the site (may carry a path prefix, `https://example.org/papers`), used for absolute links.
    public var baseURL: URL
    /// Addresses whose `X-Forwarded-For` header is believed.
    public var trustedProxies: Set<String>
    /// When set, `/metrics` answers only requests bearing `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// How long anonymous pages and API answers are kept in the in-process cache.
    public var cacheTTL: Duration
    /// The most the in-process cache keeps, in bytes of answers.
    public var cacheBytes: Int
    /// The site's name in titles and feeds.
    public var siteName: String
    /// Limits on a request's address and body.
    public var requestLimits: RequestLimits
    /// Searches (and similar-paper lookups) that run at once, and how many more may wait; beyond that, 503.
    public var searchConcurrency: Int
    public var searchQueue: Int
    /// Open connections allowed per client address (0: no limit); trusted proxies are not limited.
    public var connectionsPerAddress: Int
    /// How long a connection may stay idle, which includes sending a request's headers slowly.
    public var idleTimeout: Duration
    /// Accounts, votes, submissions and trending.
    public var community: CommunitySettings
    /// `--mcp on|off`: whether `POST /mcp` answers the MCP streamable HTTP transport.
    public var mcp: Bool
    /// Origins besides the site's own (`--base-url`) whose pages may call `/mcp` from a browser
    /// (`--mcp-allowed-origins`); requests from any other `Origin` are refused.
    public var mcpAllowedOrigins: Set<String>
    /// How long an MCP call over HTTP may take before it is answered 504 (`--mcp-timeout`).
    public var mcpTimeout: Duration

    public init(
        baseURL: URL = URL(string: "http://127.0.0.1:8080")!, trustedProxies: Set<String> = [],
        metricsToken: String? = nil, cacheTTL: Duration = .seconds(30), cacheBytes: Int = 64 << 20,
        siteName: String = "Paperboy", requestLimits: RequestLimits = RequestLimits(), searchConcurrency: Int = 4,
        searchQueue: Int = 32, connectionsPerAddress: Int = 256, idleTimeout: Duration = .seconds(30),
        community: CommunitySettings = CommunitySettings(), mcp: Bool = true, mcpAllowedOrigins: Set<String> = [],
        mcpTimeout: Duration = .seconds(30)
    ) {
        self.baseURL = baseURL
        self.trustedProxies = trustedProxies
        self.metricsToken = metricsToken
        self.cacheTTL = cacheTTL
        self.cacheBytes = cacheBytes
        self.siteName = siteName
        self.requestLimits = requestLimits
        self.searchConcurrency = searchConcurrency
        self.searchQueue = searchQueue
        self.connectionsPerAddress = connectionsPerAddress
        self.idleTimeout = idleTimeout
        self.community = community
        self.mcp = mcp
        self.mcpAllowedOrigins = mcpAllowedOrigins
        self.mcpTimeout = mcpTimeout
    }

    /// The public URL without a trailing slash: what every absolute link starts with.
    public var siteRoot: String {
        let base = baseURL.absoluteString
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// The path prefix every route and link carries (`""` or `/papers-site`).
    public var pathPrefix: String {
        let path = baseURL.path
        return path == "/" ? "" : (path.hasSuffix("/") ? String(path.dropLast()) : path)
    }
}

/// The community's settings: sign-up, two-factor policy, the signing secret, submissions, trending, rate limits.
public struct CommunitySettings: Sendable {
    /// `--signup open|closed`: whether anybody may create an account on the site (the CLI always may).
    public var signupOpen: Bool
    /// `--require-2fa staff|off`: moderators and admins must turn on two-factor sign-in before their browser session
    /// may use moderation or admin pages.
    public var requireTwoFactorForStaff: Bool
    /// The secret that signs sessions, CSRF tokens and links (`--secret-file` or `PAPERBOY_SECRET`); nil: the one
    /// kept in the store (made once, shared by every node).
    public var secret: [UInt8]?
    /// Successful submissions a user may make per UTC day (`--submit-limit`).
    public var submitLimit: Int
    /// How old (by its v1) a paper may be to be submitted (`--submit-window-days`).
    public var submitWindowDays: Int
    /// Trending looks at papers featured this many days back (`--trending-days`).
    public var trendingDays: Int
    /// How fast age outweighs votes in trending (`--trending-gravity`).
    public var trendingGravity: Double
    /// Rate limits on sign-in, sign-up, votes and other writes (`--rate-limits on|off`; off for benchmarks).
    public var rateLimits: Bool
    /// The bcrypt cost of new password hashes (at least 10).
    public var passwordCost: Int
    /// `/for-you` and the digest's "for you" section recommend papers featured this many days back
    /// (`--recommend-days`).
    public var recommendDays: Int

    public init(
        signupOpen: Bool = true, requireTwoFactorForStaff: Bool = true, secret: [UInt8]? = nil, submitLimit: Int = 5,
        submitWindowDays: Int = 14, trendingDays: Int = 7, trendingGravity: Double = 1.5, rateLimits: Bool = true,
        passwordCost: Int = Credentials.defaultCost, recommendDays: Int = 7
    ) {
        self.recommendDays = recommendDays
        self.signupOpen = signupOpen
        self.requireTwoFactorForStaff = requireTwoFactorForStaff
        self.secret = secret
        self.submitLimit = submitLimit
        self.submitWindowDays = submitWindowDays
        self.trendingDays = trendingDays
        self.trendingGravity = trendingGravity
        self.rateLimits = rateLimits
        self.passwordCost = passwordCost
    }
}
