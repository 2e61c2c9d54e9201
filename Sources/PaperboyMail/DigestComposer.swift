import Foundation
import PaperboyCore

/// What a digest holds: the period's most upvoted papers (then newest), or, for a subscription with a topic, the
/// period's papers that match it, best first, from the same searcher the server uses. Hidden papers never appear: the
/// store's listings and the searcher leave them out.
///
/// One composer serves one send: it keeps each topic's papers, so that many subscribers of the same topic cost one
/// search. Not shared between tasks.
public final class DigestComposer {
    private let catalog: any PaperCatalog
    private let searcher: any PaperSearcher
    /// Papers per digest (`--digest-size`).
    public let size: Int
    private var cache: [Key: [StoredPaper]] = [:]

    private struct Key: Hashable {
        var period: DigestPeriod
        var topic: DigestTopic
    }

    /// The most listing rows a category-only topic walks through (most upvoted first) looking for its papers.
    static let maxScanned = 20_000
    /// Topics whose papers are kept for reuse within a send.
    static let maxCached = 10_000

    public init(catalog: any PaperCatalog, searcher: any PaperSearcher, size: Int) {
        self.catalog = catalog
        self.searcher = searcher
        self.size = max(1, size)
    }

    /// The papers of `period` for `topic`, at most ``size``.
    public func papers(for topic: DigestTopic, in period: DigestPeriod) async throws -> [StoredPaper] {
        let key = Key(period: period, topic: topic)
        if let known = cache[key] { return known }
        let papers: [StoredPaper]
        if let query = topic.query {
            papers = try await matching(query: query, categories: topic.categories, period: period)
        } else if !topic.categories.isEmpty {
            papers = try await top(period, inAnyOf: Set(topic.categories))
        } else {
            papers = try await top(period, inAnyOf: nil)
        }
        if cache.count >= Self.maxCached { cache.removeAll(keepingCapacity: true) }
        cache[key] = papers
        return papers
    }

    /// The period's papers most upvoted first, then newest; with `categories`, only papers in one of them.
    private func top(_ period: DigestPeriod, inAnyOf categories: Set<String>?) async throws -> [StoredPaper] {
        let page = 500
        var found: [StoredPaper] = []
        var offset = 0
        while found.count < size, offset < Self.maxScanned {
            let listing = try await catalog.listing(days: period.days, sort: .upvotes, offset: offset, limit: page)
            for paper in listing.items where categories.map({ !$0.isDisjoint(with: paper.paper.categories) }) ?? true {
                found.append(paper)
                if found.count == size { break }
            }
            offset += page
            if listing.items.count < page || offset >= listing.total { break }
        }
        return found
    }

    /// The period's papers matching `query`, best first; with categories, those in any of them (one search per
    /// category, merged by rank so that each category's best come first).
    private func matching(query text: String, categories: [String], period: DigestPeriod) async throws
        -> [StoredPaper]
    {
        var query = SearchQuery(parsing: text)
        // The topic's own dates would widen or move the period: the period decides.
        query.after = period.days.lowerBound
        query.before = period.days.upperBound.adding(days: 1)
        guard !query.terms.isEmpty || !query.authors.isEmpty || !query.categories.isEmpty else {
            return try await top(period, inAnyOf: categories.isEmpty ? nil : Set(categories))
        }
        let queries: [SearchQuery] =
            categories.isEmpty
            ? [query]
            : categories.map { category in
                var narrowed = query
                narrowed.categories.append(category)
                return narrowed
            }
        var rankings: [[StoredPaper]] = []
        for narrowed in queries {
            let outcome = try await searcher.search(narrowed, mode: .hybrid, offset: 0, limit: size)
            rankings.append(outcome.page.items.map(\.paper))
        }
        var seen: Set<PaperID> = []
        var merged: [StoredPaper] = []
        for rank in 0..<size {
            for ranking in rankings where rank < ranking.count {
                let paper = ranking[rank]
                if seen.insert(paper.paper.id).inserted { merged.append(paper) }
            }
        }
        return Array(merged.prefix(size))
    }
}
