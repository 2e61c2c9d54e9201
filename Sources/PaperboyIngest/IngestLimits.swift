import Foundation
import PaperboyCore

/// The bounds every input is held to, so that no file or response can exhaust memory or time.
/// The README ("Loading papers") lists them for people.
public enum IngestLimits {
    /// The longest line of a JSON lines input (after decompression), line break not counted: 16 MiB.
    /// A longer line rejects its record; the reader skips to the next line break without keeping the line.
    public static let maxLineBytes = 16 << 20

    /// The largest XML document (file after decompression, or OAI-PMH response body): 256 MiB.
    public static let maxXMLDocumentBytes = 256 << 20

    /// The deepest element nesting of an XML document (OAI-PMH needs 7).
    public static let maxXMLDepth = 256

    /// The most elements of an XML document (a full OAI-PMH page of 1,000 records has about 30,000).
    public static let maxXMLElements = 1_000_000

    /// The longest text of one XML element: 16 MiB, as for a line.
    public static let maxXMLTextBytes = 16 << 20

    /// The most versions one record may list.
    public static let maxVersions = 1000

    /// The most authors one record may list (the largest collaborations sign about 5,000 papers).
    public static let maxAuthors = 100_000

    /// The first day of arXiv: earlier version dates are errors in the data.
    public static let firstDay = Day(year: 1991, month: 1, day: 1) ?? Day(daysSinceEpoch: 7670)

    /// The first moment that is too late for a date of a record read at `now`: the start of the day after
    /// tomorrow (UTC), so a date of tomorrow, in any time zone, is still accepted.
    static func firstTooLate(now: Date) -> Date { Day(now).adding(days: 2).start }

    /// Why a date of a record is refused, or nil when it lies between ``firstDay`` and tomorrow.
    /// `what` names the date in the reason (`date of version v1`, `update_date`).
    static func check(_ date: Date, _ what: String, now: Date) -> String? {
        if date < firstDay.start {
            return "\(what) \(Timestamp.rfc3339(date)) is before arXiv began (\(firstDay))"
        }
        let limit = firstTooLate(now: now)
        if date >= limit {
            return "\(what) \(Timestamp.rfc3339(date)) is after tomorrow (\(limit.dayBefore))"
        }
        return nil
    }

    /// `16 MiB (16777216 bytes)`.
    static func describe(bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB (\(bytes) bytes)" : "\(bytes) bytes"
    }
}

extension Date {
    /// The UTC day before the day this moment falls on.
    fileprivate var dayBefore: Day { Day(self).adding(days: -1) }
}
