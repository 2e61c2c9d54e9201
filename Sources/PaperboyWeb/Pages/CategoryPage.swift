import Hummingbird
import PaperboyCore

/// The papers of an arXiv category, newest first, with its feed (`category.mustache`).
struct CategoryPageModel {
    var site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let name: String
    let countText: String
    let feedURL: String
    var cards: [CardView]
    let pagination: PaginationView?
}

extension CategoryPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in cards.indices { body(&cards[index]) }
    }
}

extension CategoryPageModel {
    init(config: WebConfiguration, name: String, window: PageWindow, result: ResultPage<StoredPaper>) {
        let feed = FeedLink(title: "\(config.siteName): \(name)", url: SiteURL.categoryFeed(name).path(config))
        self.init(
            site: SiteChrome(config), feed: feed, canonical: SiteURL.category(name, page: window.page).absolute(config),
            name: name, countText: Format.count(result.total, "paper", "papers"), feedURL: feed.url,
            cards: result.items.map { CardView($0, config: config) },
            pagination: window.pagination(total: result.total) { SiteURL.category(name, page: $0).path(config) })
    }
}

extension PageRoutes {
    /// `/categories/{category}`.
    func category(_ parameter: String, _ request: Request, _ visit: Visit) async throws -> Rendered {
        let name = QueryString.segment(parameter)
        let window = try PageWindow(request)
        let result = try await site.store.papers(inCategory: name, offset: window.offset, limit: window.limit)
        guard result.total > 0 else { throw PageError.notFound("No papers in category “\(name)” are here.") }
        return try await html(
            CategoryPageModel(config: config, name: name, window: window, result: result), "category", visit)
    }
}
