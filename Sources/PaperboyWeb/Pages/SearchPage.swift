import Hummingbird
import PaperboyCore

/// A search mode (hybrid, keyword, semantic) as a tab that repeats the search in that mode.
struct SearchModeTab {
    let label: String
    let url: String
    let current: Bool
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
    let semanticNote: String?
    var cards: [CardView]
    let pagination: PaginationView?
}

extension SearchPageModel {
    /// The page for `text` searched in `mode`: `outcome` is nil when there was nothing to search for.
    init(
        config: WebConfiguration, text: String, query: SearchQuery, mode: SearchMode, window: PageWindow,
        outcome: SearchOutcome?, semantic: SemanticStatus
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
            countText: Format.count(total, "result", "results"), feedURL: SiteURL.searchFeed(text).path(config),
            modes: SearchMode.allCases.map { m in
                SearchModeTab(
                    label: m.rawValue.capitalized, url: SiteURL.search(text, mode: m).path(config), current: m == mode)
            },
            mode: mode.rawValue, semanticNote: semanticNote,
            cards: outcome?.page.items.map { CardView(hit: $0, config: config) } ?? [],
            pagination: window.pagination(total: total) { SiteURL.search(text, mode: mode, page: $0).path(config) })
    }
}

extension SearchPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in cards.indices { body(&cards[index]) }
    }
}

extension PageRoutes {
    /// `/search?q=&mode=&page=`.
    func search(_ request: Request, _ visit: Visit) async throws -> Rendered {
        let text = try Parameters(request: request).searchText()
        let window = try PageWindow(request)
        let mode = try Parameters(request: request).choice("mode", default: SearchMode.hybrid) {
            PageError.badRequest("“\($0)” is not a search mode (hybrid, keyword or semantic).")
        }
        let query = SearchQuery(parsing: text)
        let outcome =
            query.isEmpty
            ? nil : try await site.searcher.search(query, mode: mode, offset: window.offset, limit: window.limit)
        let model = SearchPageModel(
            config: config, text: text, query: query, mode: mode, window: window, outcome: outcome,
            semantic: await site.searcher.semanticStatus())
        return try await html(model, "search", visit)
    }
}
