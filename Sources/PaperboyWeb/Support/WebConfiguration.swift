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
    /// The site's name in titles and feeds.
    public var siteName: String

    public init(
        baseURL: URL = URL(string: "http://127.0.0.1:8080")!, trustedProxies: Set<String> = [],
        metricsToken: String? = nil, cacheTTL: Duration = .seconds(30), siteName: String = "Paperboy"
    ) {
        self.baseURL = baseURL
        self.trustedProxies = trustedProxies
        self.metricsToken = metricsToken
        self.cacheTTL = cacheTTL
        self.siteName = siteName
    }

    /// The path prefix every route and link carries (`""` or `/papers-site`).
    public var pathPrefix: String {
        let path = baseURL.path
        return path == "/" ? "" : (path.hasSuffix("/") ? String(path.dropLast()) : path)
    }
}
