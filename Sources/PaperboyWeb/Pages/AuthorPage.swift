import Hummingbird
import PaperboyCore

/// A co-author on an author's page, with the number of papers they share.
struct CoauthorView {
    let name: String
    let url: String
    let papers: Int
    let last: Bool
}

/// An author's papers, newest first, and their co-authors (`author.mustache`).
struct AuthorPageModel {
    var site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let name: String
    let countText: String
    let coauthors: [CoauthorView]
    let hasCoauthors: Bool
    var cards: [CardView]
    let pagination: PaginationView?
}

extension AuthorPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in cards.indices { body(&cards[index]) }
    }
}

extension AuthorPageModel {
    init(
        config: WebConfiguration, name: String, window: PageWindow, result: ResultPage<StoredPaper>,
        coauthors: [(name: String, papers: Int)]
    ) {
        self.init(
            site: SiteChrome(config), feed: nil, canonical: SiteURL.author(name, page: window.page).absolute(config),
            name: name, countText: Format.count(result.total, "paper", "papers"),
            coauthors: coauthors.enumerated().map { i, c in
                CoauthorView(
                    name: c.name, url: SiteURL.author(c.name).path(config), papers: c.papers,
                    last: i == coauthors.count - 1)
            },
            hasCoauthors: !coauthors.isEmpty,
            cards: result.items.map { CardView($0, config: config) },
            pagination: window.pagination(total: result.total) { SiteURL.author(name, page: $0).path(config) })
    }
}

extension PageRoutes {
    /// `/authors/{name}` (a name may hold a slash).
    func author(_ parameter: String, _ request: Request, _ visit: Visit) async throws -> Rendered {
        let name = QueryString.segment(parameter)
        let window = try PageWindow(request)
        let result = try await site.store.papers(byAuthor: name, offset: window.offset, limit: window.limit)
        guard result.total > 0 else { throw PageError.notFound("No papers by “\(name)” are here.") }
        let coauthors = try await site.store.coauthors(of: name, limit: 20)
        let model = AuthorPageModel(config: config, name: name, window: window, result: result, coauthors: coauthors)
        return try await html(model, "author", visit)
    }
}
