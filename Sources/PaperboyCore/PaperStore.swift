import Foundation

/// What one call to ``PaperStore/upsert(_:)`` did.
public struct UpsertSummary: Hashable, Sendable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
    }

    public static func += (lhs: inout UpsertSummary, rhs: UpsertSummary) {
        lhs.inserted += rhs.inserted
        lhs.updated += rhs.updated
        lhs.unchanged += rhs.unchanged
    }
}

/// How a listing is ordered.
public enum ListingSort: String, Sendable, CaseIterable {
    /// Newest featured first.
    case publishedAt
    /// Most upvoted first, then newest.
    case trending
}

/// A page of results: the items and the total count that matched.
public struct ResultPage<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var offset: Int
    public var limit: Int

    public init(items: [Item], total: Int, offset: Int, limit: Int) {
        self.items = items
        self.total = total
        self.offset = offset
        self.limit = limit
    }

    public var hasMore: Bool { offset + items.count < total }
}

/// Keyset cursor for walking every paper newest first.
public struct PaperCursor: Hashable, Sendable {
    public var featuredAt: Date
    public var id: PaperID

    public init(featuredAt: Date, id: PaperID) {
        self.featuredAt = featuredAt
        self.id = id
    }

    /// `<milliseconds>_<id>`, URL-safe apart from the slash of old ids (which stays valid in a query).
    public var token: String { "\(Millis.of(featuredAt, rounding: .toNearestOrAwayFromZero))_\(id.rawValue)" }

    /// Parses a ``token``; nil for anything else, including a moment outside ``Day/supported``.
    public init?(token: String) {
        guard token.utf8.count <= 64, let sep = token.firstIndex(of: "_"), let ms = Int64(token[..<sep]),
            Millis.supported.contains(ms), let id = PaperID(String(token[token.index(after: sep)...]))
        else { return nil }
        self.init(featuredAt: Millis.date(ms), id: id)
    }
}

/// A keyword search hit: the paper, its BM25 score and highlighted fragments.
public struct SearchHit: Sendable {
    public var paper: StoredPaper
    /// Higher is better.
    public var score: Double
    public var titleHighlight: Highlighted
    public var abstractSnippet: Highlighted

    public init(paper: StoredPaper, score: Double, titleHighlight: Highlighted, abstractSnippet: Highlighted) {
        self.paper = paper
        self.score = score
        self.titleHighlight = titleHighlight
        self.abstractSnippet = abstractSnippet
    }
}

/// Counts for `/health` and metrics.
public struct StoreStats: Hashable, Sendable {
    public var papers: Int
    public var newestDay: Day?

    public init(papers: Int, newestDay: Day?) {
        self.papers = papers
        self.newestDay = newestDay
    }
}

/// Where an incremental harvest stands; stored so that a killed harvest resumes.
public struct HarvestState: Hashable, Sendable, Codable {
    /// The `from` date of the next harvest (the day the last complete harvest began).
    public var lastCompleted: Day?
    /// Set while a harvest is under way: the request it resumes from.
    public var resumptionToken: String?
    public var from: Day?
    public var until: Day?

    public init(lastCompleted: Day? = nil, resumptionToken: String? = nil, from: Day? = nil, until: Day? = nil) {
        self.lastCompleted = lastCompleted
        self.resumptionToken = resumptionToken
        self.from = from
        self.until = until
    }
}

extension Day: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = Day(iso: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "bad day \(s)")
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The paper storage that pages, the API and jobs use. Methods are shaped around what they need,
/// not around tables; each backend translates them into its own queries.
public protocol PaperStore: Sendable {
    /// Brings the schema up to date. Safe to call on every start.
    func migrate() async throws

    /// Stores papers, merging each with what is stored (``Paper/merged(with:)``). One transaction:
    /// every paper of the batch is stored whole, or none is.
    func upsert(_ papers: [Paper]) async throws -> UpsertSummary

    /// Prepares for loading many papers at once; the search index may be built in ``endBulkLoad()``.
    /// A load that is killed before `endBulkLoad` leaves the index to be rebuilt at the next `migrate`.
    func beginBulkLoad() async throws
    func endBulkLoad() async throws

    func paper(id: PaperID) async throws -> StoredPaper?

    /// Papers featured on the given days, in `sort` order.
    func listing(days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int) async throws -> ResultPage<
        StoredPaper
    >

    /// The newest day that has papers, if any.
    func newestDay() async throws -> Day?

    /// The nearest day before / after `day` that has papers.
    func dayWithPapers(before day: Day) async throws -> Day?
    func dayWithPapers(after day: Day) async throws -> Day?

    /// An author's papers, newest first.
    func papers(byAuthor name: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper>

    /// Authors who wrote with `name`, most shared papers first.
    func coauthors(of name: String, limit: Int) async throws -> [(name: String, papers: Int)]

    /// A category's papers (primary or cross-listed), newest first.
    func papers(inCategory category: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper>

    /// Keyword search, best first.
    func search(_ query: SearchQuery, offset: Int, limit: Int) async throws -> ResultPage<SearchHit>

    /// Every paper, newest featured first, from a cursor.
    func allPapers(after cursor: PaperCursor?, limit: Int) async throws -> (papers: [StoredPaper], next: PaperCursor?)

    func stats() async throws -> StoreStats

    func harvestState(key: String) async throws -> HarvestState
    func setHarvestState(_ state: HarvestState, key: String) async throws
}
