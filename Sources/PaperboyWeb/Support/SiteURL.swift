import Foundation
import PaperboyCore

/// Every page of the site, typed. Routes and links use the same values, so a link cannot point
/// at a route that does not exist.
public enum SiteURL: Sendable, Hashable {
    case home
    case listing(ListingPeriod, page: Int = 1)
    case paper(PaperID)
    case paperMarkdown(PaperID)
    case author(String, page: Int = 1)
    case category(String, page: Int = 1)
    case search(String, mode: SearchMode = .hybrid, page: Int = 1)
    case dailyFeed
    case categoryFeed(String)
    case searchFeed(String)
    case stylesheet
    case openAPI
    case health
    case sitemap

    /// The path and query below the site's prefix.
    public var relative: String {
        switch self {
        case .home: "/"
        case .listing(let period, let page):
            "/papers?\(period.queryItem.name)=\(period.queryItem.value)" + (page > 1 ? "&page=\(page)" : "")
        case .paper(let id): "/papers/\(id.rawValue)"
        case .paperMarkdown(let id): "/papers/\(id.rawValue).md"
        case .author(let name, let page): "/authors/\(SiteURL.segment(name))" + (page > 1 ? "?page=\(page)" : "")
        case .category(let cat, let page): "/categories/\(SiteURL.segment(cat))" + (page > 1 ? "?page=\(page)" : "")
        case .search(let q, let mode, let page):
            "/search?q=\(SiteURL.query(q))" + (mode == .hybrid ? "" : "&mode=\(mode.rawValue)")
                + (page > 1 ? "&page=\(page)" : "")
        case .dailyFeed: "/feeds/daily.xml"
        case .categoryFeed(let cat): "/feeds/categories/\(SiteURL.segment(cat)).xml"
        case .searchFeed(let q): "/feeds/search.xml?q=\(SiteURL.query(q))"
        case .stylesheet: "/static/paperboy.css"
        case .openAPI: "/openapi.json"
        case .health: "/health"
        case .sitemap: "/sitemap.xml"
        }
    }

    /// The link as the site writes it in pages: with the path prefix, without the host.
    public func path(_ config: WebConfiguration) -> String { config.pathPrefix + relative }

    /// The absolute URL, for feeds, sitemaps and `Link` headers.
    public func absolute(_ config: WebConfiguration) -> String {
        var base = config.baseURL.absoluteString
        if base.hasSuffix("/") { base.removeLast() }
        return base + relative
    }

    public static func arxivAbstract(_ id: PaperID) -> String { "https://arxiv.org/abs/\(id.rawValue)" }
    public static func arxivPDF(_ id: PaperID) -> String { "https://arxiv.org/pdf/\(id.rawValue)" }

    /// A link to somewhere else taken from ingested data: only an absolute http(s) URL with a host, else nil
    /// (a `javascript:` or `data:` value never becomes a link).
    public static func externalLink(_ text: String) -> String? {
        guard text.utf8.count <= 2_048, !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
            let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        return text
    }

    static let segmentAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func segment(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? s }

    static func query(_ s: String) -> String { segment(s) }
}
