import Foundation
import PaperboyCore

/// A page of the arXiv API's Atom feed.
public struct AtomFeed: Sendable {
    /// Every `<entry>` in document order; API error entries are rejections with the error text as reason.
    public var records: [ParsedRecord]
    /// `opensearch:totalResults`, when given.
    public var totalResults: Int?
    /// Set when the document is not well-formed (entries before the break are kept) or is no Atom feed.
    public var malformed: String?

    public init(records: [ParsedRecord] = [], totalResults: Int? = nil, malformed: String? = nil) {
        self.records = records
        self.totalResults = totalResults
        self.malformed = malformed
    }
}

/// Parses arXiv API responses (`http://export.arxiv.org/api/query`).
public enum AtomParser {
    /// Parses a feed; entry dates after the day after `now` are refused.
    public static func parse(_ data: Data, now: Date = Date()) -> AtomFeed {
        let document = XMLTree.parse(data)
        var feed = AtomFeed(malformed: document.error)
        guard let root = document.root else {
            if feed.malformed == nil { feed.malformed = "empty document" }
            return feed
        }
        guard root.name == "feed" else {
            feed.malformed = feed.malformed ?? "not an Atom feed (root element \(RecordCheck.quoted(root.name)))"
            return feed
        }
        feed.totalResults = root.text(of: "totalResults").flatMap { Int($0.trimmingASCIIWhitespace()) }
        feed.records = root.all("entry").filter(\.isComplete).map { entry($0, now: now) }
        return feed
    }

    static func entry(_ e: XNode, now: Date) -> ParsedRecord {
        let rawID = e.text(of: "id")?.trimmingASCIIWhitespace() ?? ""
        if rawID.contains("/api/errors") {
            let summary = e.optionalText(of: "summary") ?? e.optionalText(of: "title") ?? "unknown error"
            return .rejected("arXiv API error: \(RecordCheck.excerpt(summary))")
        }
        guard !rawID.isEmpty else { return .rejected("missing field \"id\"") }
        guard let parsed = PaperID.parse(rawID) else {
            return .rejected("invalid arXiv id \(RecordCheck.quoted(rawID))")
        }
        var published: Date?
        if let text = e.optionalText(of: "published") {
            guard let date = DateParsing.timestamp(text) else {
                return .rejected("invalid date \(RecordCheck.quoted(text))")
            }
            published = date
        }
        var updated: Date?
        if let text = e.optionalText(of: "updated") {
            guard let date = DateParsing.timestamp(text) else {
                return .rejected("invalid date \(RecordCheck.quoted(text))")
            }
            updated = date
        }
        var versions: [PaperVersion] = []
        let latest = parsed.version ?? 1
        if let first = published ?? (latest == 1 ? updated : nil) {
            versions.append(PaperVersion(number: 1, submitted: first))
        }
        if latest > 1, let updated {
            versions.append(PaperVersion(number: latest, submitted: updated))
        }
        var categories: [String] = []
        if let primary = e.child("primary_category")?.attributes["term"] { categories.append(primary) }
        var seen = Set(categories)
        for category in e.all("category") {
            if let term = category.attributes["term"], seen.insert(term).inserted { categories.append(term) }
        }
        let authors = e.all("author").compactMap { $0.text(of: "name").map(Normalize.decodeTeX) }.filter { !$0.isEmpty }
        return RecordBuilder.make(
            rawID: parsed.id.rawValue, title: e.text(of: "title"), abstract: e.text(of: "summary"), authors: authors,
            categories: categories.joined(separator: " "), versions: versions, submitter: nil,
            comments: e.text(of: "comment"), journalRef: e.text(of: "journal_ref"), doi: e.text(of: "doi"),
            reportNo: nil, license: nil, updated: updated, now: now)
    }
}
