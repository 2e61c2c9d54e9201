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

    public init(
        baseURL: URL = URL(string: "http://127.0.0.1:8080")!, trustedProxies: Set<String> = [],
        metricsToken: String? = nil, cacheTTL: Duration = .seconds(30), cacheBytes: Int = 64 << 20,
        siteName: String = "Paperboy", requestLimits: RequestLimits = RequestLimits(), searchConcurrency: Int = 4,
        searchQueue: Int = 32, connectionsPerAddress: Int = 256, idleTimeout: Duration = .seconds(30)
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
