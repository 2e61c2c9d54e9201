import Foundation
import GRDB
import PaperboyCore

/// Conversion between `Paper` and a row of `papers`.
struct PaperRow {
    static let columnNames = [
        "rowid", "id", "title", "authors", "abstract", "categories", "versions", "submitter", "comments", "journal_ref",
        "doi", "report_no", "license", "updated_at", "featured_at", "upvotes", "num_comments",
    ]
    static let columns = columns(prefix: "")

    static func columns(prefix: String) -> String { columnNames.map { prefix + $0 }.joined(separator: ", ") }

    let rowid: Int64
    let paper: StoredPaper

    /// Decodes a row selected with ``columns`` (by position, which is faster than by name). A value of the wrong
    /// type (a database edited by hand) throws a `RowDecodingError` instead of trapping.
    init(row: Row) throws {
        rowid = try row.decode(atIndex: 0)
        let idString: String = try row.decode(atIndex: 1)
        let categories: String = try row.decode(atIndex: 5)
        let versionsText: String = try row.decode(atIndex: 6)
        let updated: Int64? = try row.decode(atIndex: 13)
        let featured: Int64 = try row.decode(atIndex: 14)
        let paper = Paper(
            id: PaperID(storedValue: idString),
            title: try row.decode(atIndex: 2),
            abstract: try row.decode(atIndex: 4),
            authors: PaperRow.authors(try row.decode(atIndex: 3)),
            categories: categories.split(separator: " ").map(String.init),
            versions: PaperRow.versions(versionsText),
            submitter: try row.decode(atIndex: 7), comments: try row.decode(atIndex: 8),
            journalRef: try row.decode(atIndex: 9), doi: try row.decode(atIndex: 10),
            reportNo: try row.decode(atIndex: 11), license: try row.decode(atIndex: 12),
            updated: updated.map(PaperRow.date),
            featuredAt: PaperRow.date(featured))
        self.paper = StoredPaper(
            paper: paper, upvotes: try row.decode(atIndex: 15), numComments: try row.decode(atIndex: 16))
    }

    /// Arguments for the INSERT statement (id first) or the UPDATE statement (rowid last).
    static func arguments(_ p: Paper, includingID: Bool) -> StatementArguments {
        var values: [(any DatabaseValueConvertible)?] = includingID ? [p.id.rawValue] : []
        values += [
            p.title, authorsText(p.authors), p.abstract, p.categories.joined(separator: " "), versionsText(p.versions),
            p.submitter, p.comments, p.journalRef, p.doi, p.reportNo, p.license, p.updated.map(millis),
            millis(p.published), p.latestVersion, millis(p.featuredAt), p.featuredDay.description,
        ]
        return StatementArguments(values)
    }

    static func arguments(paper: Paper, rowid: Int64) -> StatementArguments {
        arguments(paper, includingID: false) + [rowid]
    }

    static func authorsText(_ authors: [String]) -> String { authors.joined(separator: "\n") }

    static func authors(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func versionsText(_ versions: [PaperVersion]) -> String {
        versions.map { "\($0.number),\(millis($0.submitted)),\($0.size ?? "")" }.joined(separator: "\n")
    }

    static func versions(_ text: String) -> [PaperVersion] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let n = Int(parts[0]), let ms = Int64(parts[1]) else { return nil }
            return PaperVersion(number: n, submitted: date(ms), size: parts[2].isEmpty ? nil : String(parts[2]))
        }
    }

    static func millis(_ date: Date) -> Int64 { Millis.of(date, rounding: .toNearestOrAwayFromZero) }

    static func date(_ millis: Int64) -> Date { Millis.date(millis) }
}
