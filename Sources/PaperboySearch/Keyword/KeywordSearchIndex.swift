import Foundation
import PaperboyCore
import Synchronization

/// Paperboy's own keyword index: BM25 over title, authors and abstract with block-max WAND, in immutable segments
/// (see ``KeywordIndexMaintainer`` for how they are kept current, stored and merged). Searches read the current
/// snapshot without locks; the store is asked only for the shown papers' text, to highlight it.
public final class KeywordSearchIndex: KeywordIndex, Sendable {
    private let state = Mutex(KeywordSnapshot())
    let papers: any KeyedPapers

    public init(papers: any KeyedPapers) {
        self.papers = papers
    }

    var snapshot: KeywordSnapshot { state.withLock { $0 } }

    func publish(_ snapshot: KeywordSnapshot) { state.withLock { $0 = snapshot } }

    /// The last store change the index includes.
    public var sequence: Int64 { snapshot.sequence }

    /// Papers the index can find (hidden ones left out).
    public var count: Int { snapshot.liveDocuments }

    /// Segments and their documents, newest last (for status and logs).
    public var segmentSizes: [Int] { snapshot.segments.map(\.docCount) }

    public func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking {
        KeywordEngine.rank(query, snapshot: snapshot, offset: offset, limit: limit)
    }

    public func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
        KeywordEngine.keys(passingFiltersOf: query, snapshot: snapshot)
    }

    public func tasteCandidates(window: ClosedRange<Day>?, categories: [String], authors: [String]) async throws
        -> TasteCandidates
    {
        KeywordEngine.tasteCandidates(window: window, categories: categories, authors: authors, snapshot: snapshot)
    }

    public func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights] {
        let plan = KeywordPlan(query)
        guard plan.clauses.contains(where: \.isWordClause), !keys.isEmpty else { return [:] }
        let found = try await papers.papers(keys: keys)
        var marked: [PaperKey: Highlights] = [:]
        for key in keys {
            guard let paper = found[key]?.paper else { continue }
            if let highlights = KeywordHighlighter.highlights(plan, title: paper.title, abstract: paper.abstract) {
                marked[key] = highlights
            }
        }
        return marked
    }
}

extension KeywordPlan.Clause {
    /// A clause of the query's words (not an `author:` filter): what highlighting marks.
    var isWordClause: Bool {
        if case .authorWord = self { false } else { true }
    }
}
