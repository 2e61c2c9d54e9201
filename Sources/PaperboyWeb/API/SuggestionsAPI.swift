import Hummingbird
import PaperboyCore

/// `GET /api/suggest?q=`: what the search box offers as a person types: papers whose title or abstract has the
/// words typed so far (the last one as a prefix), and authors whose names begin with the text.
struct APISuggestions: Encodable {
    struct PaperSuggestion: Encodable {
        let id: String
        let title: String
        let url: String
    }

    struct AuthorSuggestion: Encodable {
        let name: String
        let papers: Int
        let url: String
    }

    let query: String
    let papers: [PaperSuggestion]
    let authors: [AuthorSuggestion]

    /// How many of each kind an answer holds.
    static let limit = 5
    /// Shorter text gets no suggestions: a one-letter prefix matches too much to help.
    static let minimumLength = 2
    /// Suggestions look at the start of what was typed only.
    static let maximumLength = 100

    /// The keyword query for paper suggestions: the words typed, the last one a prefix while it is being typed.
    static func paperQuery(_ text: String) -> SearchQuery {
        // Query syntax (`-`, `author:`, quotes) is read as the words around it.
        let words = SearchQuery.words(in: text)
        guard let last = words.last else { return SearchQuery() }
        let typing = text.lowercased().hasSuffix(last) && last.count >= minimumLength
        return SearchQuery(parsing: words.joined(separator: " ") + (typing ? "*" : ""))
    }

    /// The prefixes author names are looked up by: as typed, and with each word capitalised ("ada lo" finds
    /// "Ada Lovelace").
    static func authorPrefixes(_ text: String) -> [String] {
        let capitalised = text.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        return capitalised == text ? [text] : [text, capitalised]
    }
}

extension APIRoutes {
    func suggestions(_ request: Request) async throws -> Rendered {
        let text = String(try Parameters(request: request).searchText().prefix(APISuggestions.maximumLength))
        guard text.count >= APISuggestions.minimumLength else {
            return try JSON.rendered(APISuggestions(query: text, papers: [], authors: []))
        }
        let config = site.config
        let query = APISuggestions.paperQuery(text)
        let papers =
            query.isEmpty
            ? []
            : try await site.searcher.search(query, mode: .keyword, offset: 0, limit: APISuggestions.limit).page.items
        var authors: [(name: String, papers: Int)] = []
        for prefix in APISuggestions.authorPrefixes(text) {
            for author in try await site.store.authors(startingWith: prefix, limit: APISuggestions.limit)
            where !authors.contains(where: { $0.name == author.name }) {
                authors.append(author)
            }
        }
        authors.sort { $0.papers != $1.papers ? $0.papers > $1.papers : $0.name < $1.name }
        return try JSON.rendered(
            APISuggestions(
                query: text,
                papers: papers.map {
                    APISuggestions.PaperSuggestion(
                        id: $0.paper.paper.id.rawValue, title: $0.paper.paper.title,
                        url: SiteURL.paper($0.paper.paper.id).path(config))
                },
                authors: authors.prefix(APISuggestions.limit).map {
                    APISuggestions.AuthorSuggestion(
                        name: $0.name, papers: $0.papers, url: SiteURL.author($0.name).path(config))
                }))
    }
}
