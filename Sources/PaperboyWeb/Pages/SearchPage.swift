import Hummingbird
import PaperboyCore

/// A search mode (hybrid, keyword, semantic) as a tab that repeats the search in that mode.
struct SearchModeTab {
    let label: String
    let url: String
    let current: Bool
}

/// A search order (relevance, newest) as a link that repeats the search in that order.
struct SearchSortLink {
    let label: String
    let url: String
    let current: Bool
    /// The first link (the others follow a separator).
    let first: Bool
}

/// The search form's results (`search.mustache`), with what was wrong with the query and whether semantic search
/// is on.
struct SearchPageModel {
    var site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let query: String?
    let problems: [String]
    let message: String?
    let countText: String
    let feedURL: String
    let modes: [SearchModeTab]
    let mode: String
    let sorts: [SearchSortLink]
    let semanticNote: String?
    var cards: [CardView]
    let pagination: PaginationView?
}

extension SearchPageModel {
    /// The page for `text` searched in `mode` and ordered by `sort`: `outcome` is nil when there was nothing to
    /// search for. Links to other modes and orders keep the rest and start again at page 1; page links keep both.
    init(
        config: WebConfiguration, text: String, query: SearchQuery, mode: SearchMode, sort: SearchSort,
        window: PageWindow, outcome: SearchOutcome?, semantic: SemanticStatus
    ) {
        let total = outcome?.page.total ?? 0
        let message: String? =
            if text.isEmpty {
                "Type words to search titles, authors and abstracts, or describe an idea in your own words."
            } else if query.isEmpty {
                "Nothing to search for in “\(text)”: try words from a title or an abstract."
            } else if total == 0 {
                "No papers match “\(text)”."
            } else {
                nil
            }
        var semanticNote: String?
        if case .off(let reason) = semantic {
            semanticNote =
                "Semantic search is off: \(reason). Install the model with scripts/install-model.sh and start the "
                + "server with --model models/all-MiniLM-L6-v2 to search by meaning."
        }
        self.init(
            site: SiteChrome(config, query: text),
            feed: text.isEmpty ? nil : FeedLink(title: "Search: \(text)", url: SiteURL.searchFeed(text).path(config)),
            canonical: nil, query: text.isEmpty ? nil : text,
            problems: query.problems + [outcome?.note].compactMap { $0 }, message: message,
            countText: (outcome?.totalIsEstimated == true ? "about " : "") + Format.count(total, "result", "results"),
            feedURL: SiteURL.searchFeed(text).path(config),
            modes: SearchMode.allCases.map { m in
                SearchModeTab(
                    label: m.rawValue.capitalized, url: SiteURL.search(text, mode: m, sort: sort).path(config),
                    current: m == mode)
            },
            mode: mode.rawValue,
            sorts: SearchSort.allCases.enumerated().map { index, s in
                SearchSortLink(
                    label: s.rawValue, url: SiteURL.search(text, mode: mode, sort: s).path(config), current: s == sort,
                    first: index == 0)
            },
            semanticNote: semanticNote,
            cards: outcome?.page.items.map { CardView(hit: $0, config: config) } ?? [],
            pagination: window.pagination(total: total) {
                SiteURL.search(text, mode: mode, sort: sort, page: $0).path(config)
            })
    }
}

extension SearchPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in cards.indices { body(&cards[index]) }
    }
}

extension PageRoutes {
    /// `/search?q=&mode=&sort=&page=`.
    func search(_ request: Request, _ visit: Visit) async throws -> Rendered {
        let text = try Parameters(request: request).searchText()
        let window = try PageWindow(request)
        let mode = try Parameters(request: request).choice("mode", default: SearchMode.hybrid) {
            PageError.badRequest("“\($0)” is not a search mode (hybrid, keyword or semantic).")
        }
        let sort = try Parameters(request: request).choice("sort", default: SearchSort.relevance) {
            PageError.badRequest("“\($0)” is not a search order (relevance or newest).")
        }
        var query = SearchQuery(parsing: text)
        query.sort = sort
        let outcome =
            query.isEmpty
            ? nil : try await site.searcher.search(query, mode: mode, offset: window.offset, limit: window.limit)
        let model = SearchPageModel(
            config: config, text: text, query: query, mode: mode, sort: sort, window: window, outcome: outcome,
            semantic: await site.searcher.semanticStatus())
        return try await html(model, "search", visit)
    }
}
