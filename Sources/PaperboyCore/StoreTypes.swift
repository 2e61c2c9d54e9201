import Foundation

/// What one call to ``PaperWriter/upsert(_:)`` did.
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
/// The `sort` of a daily listing as clients name it (Hugging Face's `/api/daily_papers`, and the MCP tools): newest
/// first, or trending (with a period: most upvoted first; without one: the trending list).
public enum DailySort: String, Sendable, CaseIterable {
    case publishedAt
    case trending
}

public enum ListingSort: String, Sendable, CaseIterable {
    /// Newest featured first.
    case publishedAt
    /// Most upvoted first, then newest. ("Trending" is a score of votes and age: ``CommunityStore/trending``.)
    case upvotes
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
