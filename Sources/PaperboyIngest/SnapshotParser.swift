import Foundation
import PaperboyCore

/// What a parser made of one record.
public enum ParsedRecord: Sendable, Equatable {
    case paper(Paper)
    /// The record could not be used; the reason says why, for a person.
    case rejected(String)
    /// An OAI-PMH record with `status="deleted"`.
    case deleted
}

/// Parses lines of the arXiv bulk metadata snapshot (JSON lines: `id`, `submitter`, `authors`, `title`,
/// `abstract`, `comments`, `journal-ref`, `doi`, `report-no`, `categories`, `license`, `versions`,
/// `update_date`, `authors_parsed`). Unknown fields are ignored.
public enum SnapshotParser {
    /// Parses one line (without its line break). Dates after the day after `now` are refused.
    public static func parse(line: String, now: Date = Date()) -> ParsedRecord {
        var line = line
        return line.withUTF8 { parse(line: $0, now: now) }
    }

    /// Parses one line (without its line break) from UTF-8 bytes. Dates after the day after `now` are refused.
    public static func parse(line: UnsafeBufferPointer<UInt8>, now: Date = Date()) -> ParsedRecord {
        var fields = Fields()
        var scanner = JSONScanner(line)
        do {
            try read(&scanner, into: &fields)
        } catch {
            return .rejected(
                error.isSyntax ? "invalid JSON: \(error.message) at column \(error.column)" : error.message)
        }
        return fields.paper(now: now)
    }

    struct Fields {
        var id: String?
        var submitter: String?
        var authors: String?
        var title: String?
        var abstract: String?
        var comments: String?
        var journalRef: String?
        var doi: String?
        var reportNo: String?
        var categories: String?
        var license: String?
        var updateDate: String?
        var versions: [(label: String?, created: String?)] = []
        var authorsParsed: [[String]]?

        func paper(now: Date) -> ParsedRecord {
            guard let rawID = id else { return .rejected("missing field \"id\"") }
            guard let parsedID = PaperID.parse(rawID) else {
                return .rejected("invalid arXiv id \(RecordCheck.quoted(rawID))")
            }
            guard let title else { return .rejected("missing field \"title\"") }
            guard !title.isEmpty else { return .rejected("empty field \"title\"") }
            var paperVersions: [PaperVersion] = []
            paperVersions.reserveCapacity(versions.count)
            var numbers = Set<Int>()
            for (index, version) in versions.enumerated() {
                let number: Int
                if let label = version.label {
                    guard let n = versionNumber(label) else {
                        return .rejected("invalid version \(RecordCheck.quoted(label))")
                    }
                    number = n
                } else {
                    number = index + 1
                }
                guard let created = version.created else { return .rejected("missing date of version v\(number)") }
                guard let date = DateParsing.rfc2822(created) else {
                    return .rejected("invalid date \(RecordCheck.quoted(created)) of version v\(number)")
                }
                if numbers.insert(number).inserted {
                    paperVersions.append(PaperVersion(number: number, submitted: date))
                }
            }
            var updated: Date?
            if let updateDate = Normalize.optional(updateDate) {
                guard let date = DateParsing.timestamp(updateDate) else {
                    return .rejected("invalid update_date \(RecordCheck.quoted(updateDate))")
                }
                updated = date
            }
            if paperVersions.isEmpty {
                guard let updated else { return .rejected("no versions and no date") }
                paperVersions = [PaperVersion(number: parsedID.version ?? 1, submitted: updated)]
            }
            let names = Normalize.authors(string: authors, parsed: authorsParsed, limit: IngestLimits.maxAuthors)
            guard names.count <= IngestLimits.maxAuthors else {
                return .rejected("more than \(IngestLimits.maxAuthors) authors")
            }
            return RecordCheck.finish(
                Paper(
                    id: parsedID.id, title: title, abstract: abstract ?? "",
                    authors: names,
                    categories: Normalize.categories(categories ?? ""), versions: paperVersions,
                    submitter: submitter.flatMap { $0.isEmpty ? nil : Normalize.decodeTeX($0) }.flatMap {
                        $0.isEmpty ? nil : $0
                    },
                    comments: Normalize.optional(comments), journalRef: Normalize.optional(journalRef),
                    doi: Normalize.optional(doi), reportNo: Normalize.optional(reportNo),
                    license: Normalize.optional(license), updated: updated),
                now: now)
        }
    }

    static func versionNumber(_ label: String) -> Int? {
        var s = Substring(label.trimmingASCIIWhitespace())
        if s.first == "v" || s.first == "V" { s = s.dropFirst() }
        guard !s.isEmpty, s.count <= 4, let n = Int(s), n >= 1 else { return nil }
        return n
    }

    @inline(__always)
    static func matches(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        guard let base = key.baseAddress else { return key.count == 0 }
        return memcmp(base, name.utf8Start, key.count) == 0
    }

    static func read(_ s: inout JSONScanner, into f: inout Fields) throws(JSONScanner.Failure) {
        guard let first = s.peek() else { throw s.fail("empty line") }
        guard first == UInt8(ascii: "{") else { throw s.fail("expected '{' but found \(s.describe(first))") }
        s.i += 1
        try s.readMembers { (s: inout JSONScanner, key) throws(JSONScanner.Failure) in
            switch key.count {
            case 2 where matches(key, "id"): f.id = try s.readOptionalString(field: "id")
            case 3 where matches(key, "doi"): f.doi = try s.readOptionalString(field: "doi")
            case 5 where matches(key, "title"): f.title = try s.readOptionalCollapsedString(field: "title")
            case 7 where matches(key, "authors"): f.authors = try s.readOptionalString(field: "authors")
            case 7 where matches(key, "license"): f.license = try s.readOptionalString(field: "license")
            case 8 where matches(key, "abstract"): f.abstract = try s.readOptionalCollapsedString(field: "abstract")
            case 8 where matches(key, "comments"): f.comments = try s.readOptionalString(field: "comments")
            case 8 where matches(key, "versions"): try readVersions(&s, into: &f)
            case 9 where matches(key, "submitter"): f.submitter = try s.readOptionalString(field: "submitter")
            case 9 where matches(key, "report-no"): f.reportNo = try s.readOptionalString(field: "report-no")
            case 10 where matches(key, "categories"): f.categories = try s.readOptionalString(field: "categories")
            case 11 where matches(key, "journal-ref"): f.journalRef = try s.readOptionalString(field: "journal-ref")
            case 11 where matches(key, "update_date"): f.updateDate = try s.readOptionalString(field: "update_date")
            case 14 where matches(key, "authors_parsed"): f.authorsParsed = try readAuthorsParsed(&s)
            default: try s.skipValue()
            }
        }
        if let extra = s.peek() { throw s.fail("unexpected \(s.describe(extra)) after the object") }
    }

    static func readVersions(_ s: inout JSONScanner, into f: inout Fields) throws(JSONScanner.Failure) {
        f.versions = []
        if s.consumeNull() { return }
        try s.expect(UInt8(ascii: "["))
        try s.readElements { (s: inout JSONScanner) throws(JSONScanner.Failure) in
            guard f.versions.count < IngestLimits.maxVersions else {
                throw JSONScanner.Failure(
                    message: "more than \(IngestLimits.maxVersions) versions", column: s.i + 1, isSyntax: false)
            }
            var label: String?
            var created: String?
            if s.peek() == UInt8(ascii: "\"") {
                // Some dumps list versions as bare strings ("v1"); keep the label, no date.
                label = try s.readOptionalString(field: "versions")
            } else {
                try s.expect(UInt8(ascii: "{"))
                try s.readMembers { (s: inout JSONScanner, key) throws(JSONScanner.Failure) in
                    if matches(key, "version") {
                        label = try s.readOptionalString(field: "versions")
                    } else if matches(key, "created") {
                        created = try s.readOptionalString(field: "versions")
                    } else {
                        try s.skipValue()
                    }
                }
            }
            f.versions.append((label, created))
        }
    }

    static func readAuthorsParsed(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> [[String]]? {
        if s.consumeNull() { return nil }
        try s.expect(UInt8(ascii: "["))
        var result: [[String]] = []
        try s.readElements { (s: inout JSONScanner) throws(JSONScanner.Failure) in
            guard result.count < IngestLimits.maxAuthors else {
                throw JSONScanner.Failure(
                    message: "more than \(IngestLimits.maxAuthors) authors", column: s.i + 1, isSyntax: false)
            }
            try s.expect(UInt8(ascii: "["))
            var parts: [String] = []
            try s.readElements { (s: inout JSONScanner) throws(JSONScanner.Failure) in
                // Last name, first names, suffix; affiliations after them are not used.
                let part = try s.readOptionalString(field: "authors_parsed") ?? ""
                if parts.count < 3 { parts.append(part) }
            }
            result.append(parts)
        }
        return result
    }
}

/// Date parsing with a fast path for arXiv's usual `Mon, 2 Apr 2007 19:18:42 GMT`.
enum DateParsing {
    static func rfc2822(_ text: String) -> Date? {
        var text = text
        if let date = text.withUTF8({ fastRFC2822($0) }) { return date }
        return timestamp(text)
    }

    static let months: [UInt32: Int] = {
        var table: [UInt32: Int] = [:]
        for (index, name) in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            .enumerated()
        {
            let u = Array(name.utf8)
            table[UInt32(u[0]) << 16 | UInt32(u[1]) << 8 | UInt32(u[2])] = index + 1
        }
        return table
    }()

    /// `Www, D Mmm YYYY HH:MM:SS GMT` exactly, else nil.
    static func fastRFC2822(_ u: UnsafeBufferPointer<UInt8>) -> Date? {
        var i = 0
        let n = u.count
        guard n >= 24, u[3] == UInt8(ascii: ","), u[4] == 0x20 else { return nil }
        i = 5
        func number(_ count: ClosedRange<Int>) -> Int? {
            var value = 0
            var digits = 0
            while i < n, u[i] >= 48, u[i] <= 57, digits < count.upperBound {
                value = value * 10 + Int(u[i] - 48)
                digits += 1
                i += 1
            }
            return count.contains(digits) ? value : nil
        }
        guard let day = number(1...2), i + 5 <= n, u[i] == 0x20 else { return nil }
        guard let month = months[UInt32(u[i + 1]) << 16 | UInt32(u[i + 2]) << 8 | UInt32(u[i + 3])], u[i + 4] == 0x20
        else { return nil }
        i += 5
        guard let year = number(4...4), i < n, u[i] == 0x20 else { return nil }
        i += 1
        guard let h = number(2...2), i < n, u[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let m = number(2...2), i < n, u[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let sec = number(2...2), i + 4 == n, u[i] == 0x20, u[i + 1] == UInt8(ascii: "G"),
            u[i + 2] == UInt8(ascii: "M"), u[i + 3] == UInt8(ascii: "T"), h < 24, m < 60, sec < 61,
            let d = Day(year: year, month: month, day: day)
        else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(d.daysSinceEpoch * 86_400 + h * 3600 + m * 60 + sec))
    }
}
