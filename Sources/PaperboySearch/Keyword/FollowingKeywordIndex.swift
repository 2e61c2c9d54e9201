import Foundation
import PaperboyCore

/// The own keyword index in memory, brought up to date with the store before every call: for one-shot commands
/// and tests that write papers and search in one process, where the server's polling service
/// (``KeywordIndexService``) does not run. Built at the first call.
public actor FollowingKeywordIndex: KeywordIndex {
    let feed: any PaperChangeFeed
    let papers: any KeyedPapers
    private var maintainer: KeywordIndexMaintainer?

    public init(feed: any PaperChangeFeed, papers: any KeyedPapers) {
        self.feed = feed
        self.papers = papers
    }

    /// The index, with every change the store has made so far.
    public func current() async throws -> KeywordSearchIndex {
        let maintainer: KeywordIndexMaintainer
        if let existing = self.maintainer {
            maintainer = existing
        } else {
            maintainer = try await KeywordIndexMaintainer(directory: nil, feed: feed, papers: papers)
            self.maintainer = maintainer
        }
        if try await maintainer.catchUp() > 0 { await maintainer.mergeIfNeeded() }
        return maintainer.index
    }

    public func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking {
        try await current().rank(query, offset: offset, limit: limit)
    }

    public func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
        try await current().keys(passingFiltersOf: query)
    }

    public func tasteCandidates(window: ClosedRange<Day>?, categories: [String], authors: [String]) async throws
        -> TasteCandidates
    {
        try await current().tasteCandidates(window: window, categories: categories, authors: authors)
    }

    public func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights] {
        try await current().highlights(query, keys: keys)
    }
}
