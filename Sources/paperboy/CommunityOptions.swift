import ArgumentParser
import AsyncHTTPClient
import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyWeb

/// The community's settings for `serve`: sign-up, two-factor policy, the signing secret, submissions, trending and
/// rate limits.
struct CommunityOptions: ParsableArguments {
    @Option(help: "open or closed: whether anybody may sign up on the site (PAPERBOY_SIGNUP; default open).")
    var signup: String?

    @Option(
        name: .customLong("require-2fa"),
        help: "staff or off: moderators and admins must use two-factor sign-in (PAPERBOY_REQUIRE_2FA; default staff).")
    var requireTwoFactor: String?

    @Option(
        help: ArgumentHelp(
            "File holding the secret that signs sessions and CSRF tokens, at least 32 bytes (PAPERBOY_SECRET_FILE).",
            discussion:
                "Or the secret itself in PAPERBOY_SECRET (environment only). Neither: one made once and kept in the "
                + "database."))
    var secretFile: String?

    @Option(
        name: .customLong("arxiv-api-url"),
        help: "arXiv API for submitted papers (PAPERBOY_ARXIV_API_URL; default https://export.arxiv.org/api/query).")
    var arxivAPIURL: String?

    @Option(help: "Successful submissions a user may make per UTC day (PAPERBOY_SUBMIT_LIMIT; default 5).")
    var submitLimit: String?

    @Option(help: "Papers whose v1 is older than this many days cannot be submitted (PAPERBOY_SUBMIT_WINDOW_DAYS; 14).")
    var submitWindowDays: String?

    @Option(help: "Trending ranks papers featured this many days back (PAPERBOY_TRENDING_DAYS; default 7).")
    var trendingDays: String?

    @Option(help: "How fast age outweighs votes in trending, 0 to 10 (PAPERBOY_TRENDING_GRAVITY; default 1.5).")
    var trendingGravity: String?

    @Option(help: "/for-you recommends papers featured this many days back, 1 to 90 (PAPERBOY_RECOMMEND_DAYS; 7).")
    var recommendDays: String?

    @Option(help: "on or off: rate limits on sign-in, sign-up, votes and writes (PAPERBOY_RATE_LIMITS; default on).")
    var rateLimits: String?

    /// The shortest signing secret accepted.
    static let minimumSecretBytes = 32

    /// The settings, checked; a bad value throws ``SettingError`` naming it.
    func resolve() throws -> CommunitySettings {
        CommunitySettings(
            signupOpen: try Self.choice("signup", signup, default: true, ["open": true, "closed": false]),
            requireTwoFactorForStaff: try Self.choice(
                "require-2fa", requireTwoFactor, default: true, ["staff": true, "off": false]),
            secret: try SecretSetting.read("secret", file: secretFile, minimumBytes: Self.minimumSecretBytes),
            submitLimit: try Settings.integer("submit-limit", submitLimit, default: 5, in: 1...1000),
            submitWindowDays: try Settings.integer("submit-window-days", submitWindowDays, default: 14, in: 1...3650),
            trendingDays: try Settings.integer("trending-days", trendingDays, default: 7, in: 1...365),
            trendingGravity: try Settings.parsed(
                "trending-gravity", trendingGravity, default: 1.5, expected: "a number from 0 to 10"
            ) { value in
                Double(value).flatMap { $0.isFinite && (0...10).contains($0) ? $0 : nil }
            },
            rateLimits: try Self.choice("rate-limits", rateLimits, default: true, ["on": true, "off": false]),
            recommendDays: try Settings.integer(
                "recommend-days", recommendDays, default: 7, in: 1...RecommendationLimits.maxDays))
    }

    /// The arXiv API that submitted papers are looked up in, checked.
    func arxivAPI() throws -> URL {
        try Settings.url("arxiv-api-url", arxivAPIURL, default: ArxivLookup.defaultBaseURL)
    }

    /// The lookup of submitted papers in the arXiv API at `url` (see ``arxivAPI()``), over `client`.
    static func paperLookup(url: URL, client: HTTPClient) -> ArxivLookup {
        ArxivLookup(baseURL: url, httpClient: client)
    }

    /// One of a few words, in any case; `expected` lists them in the message.
    static func choice<T>(_ flag: String, _ given: String?, default fallback: T, _ words: KeyValuePairs<String, T>)
        throws -> T
    {
        let expected = words.map(\.key).joined(separator: " or ")
        return try Settings.parsed(flag, given, default: fallback, expected: expected) { value in
            words.first { $0.key == value.lowercased() }?.value
        }
    }
}
