import Foundation

/// What a keyword index reads of a paper: its text fields, its filters and whether it may be shown.
public struct IndexablePaper: Sendable, Hashable {
    public var key: PaperKey
    public var id: PaperID
    public var title: String
    public var authors: [String]
    public var abstract: String
    /// Primary first.
    public var categories: [String]
    public var featuredAt: Date
    /// Hidden papers never match; an index drops them (and takes them back when shown again).
    public var isHidden: Bool

    public init(
        key: PaperKey, id: PaperID, title: String, authors: [String], abstract: String, categories: [String],
        featuredAt: Date, isHidden: Bool
    ) {
        self.key = key
        self.id = id
        self.title = title
        self.authors = authors
        self.abstract = abstract
        self.categories = categories
        self.featuredAt = featuredAt
        self.isHidden = isHidden
    }

    /// The featured day (UTC).
    public var featuredDay: Day { Day(featuredAt) }
}

/// Papers changed after a point of the change sequence, each at its current state, in sequence order.
public struct PaperChanges: Sendable, Equatable {
    public var papers: [IndexablePaper]
    /// The sequence number of the last change read: pass it as `after` to read on. Equal to `after` when nothing
    /// changed.
    public var last: Int64

    public init(papers: [IndexablePaper], last: Int64) {
        self.papers = papers
        self.last = last
    }
}

/// The store's change sequence: every write to a paper (stored, merged, hidden or shown again, voted on) gives the
/// paper the next number of a sequence that only grows, whichever process wrote it. Indexes and caches kept beside
/// the store poll it to learn of every change.
public protocol PaperChangeFeed: Sendable {
    /// Papers whose latest change is after `sequence`, oldest change first, at most `limit` of them.
    func paperChanges(after sequence: Int64, limit: Int) async throws -> PaperChanges

    /// The number of the latest change (0 for a store that never held a paper).
    func latestPaperChange() async throws -> Int64

    /// A name of this store's data, made once when it is created: an index built from another store (a replaced
    /// database file) is noticed by it and rebuilt.
    func storeIdentity() async throws -> String
}

/// How search results are ordered.
public enum SearchSort: String, Sendable, CaseIterable {
    /// Best match first (the default).
    case relevance
    /// Newest featured first, then arXiv id descending.
    case newest
}
