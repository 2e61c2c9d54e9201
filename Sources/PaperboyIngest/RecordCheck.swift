import Foundation
import PaperboyCore

/// The last checks of a record from any source, after its fields were normalised.
enum RecordCheck {
    /// The paper, or the reason it is refused: a version or update date outside arXiv's time (before
    /// 1991-01-01 or after tomorrow, seen from `now`), a control character left in a field after whitespace was
    /// collapsed, or too many versions.
    static func finish(_ paper: Paper, now: Date) -> ParsedRecord {
        if paper.versions.count > IngestLimits.maxVersions {
            return .rejected("more than \(IngestLimits.maxVersions) versions")
        }
        for version in paper.versions {
            if let reason = IngestLimits.check(version.submitted, "date of version v\(version.number)", now: now) {
                return .rejected(reason)
            }
        }
        if let updated = paper.updated, let reason = IngestLimits.check(updated, "update date", now: now) {
            return .rejected(reason)
        }
        if let reason = controlCharacter(in: paper) { return .rejected(reason) }
        return .paper(paper)
    }

    /// Why a paper's text is refused: the first control character (C0 but for the whitespace that normalising
    /// turned into spaces, DEL, or C1) in a stored field, or nil.
    static func controlCharacter(in paper: Paper) -> String? {
        func check(_ text: String?, _ field: String) -> String? {
            guard let text, let scalar = firstControl(text) else { return nil }
            return "control character \(hex(scalar)) in field \"\(field)\""
        }
        if let reason = check(paper.title, "title") ?? check(paper.abstract, "abstract")
            ?? check(paper.submitter, "submitter") ?? check(paper.comments, "comments")
            ?? check(paper.journalRef, "journal-ref") ?? check(paper.doi, "doi") ?? check(paper.reportNo, "report-no")
            ?? check(paper.license, "license")
        {
            return reason
        }
        for name in paper.authors {
            if let reason = check(name, "authors") { return reason }
        }
        for category in paper.categories {
            if let reason = check(category, "categories") { return reason }
        }
        for version in paper.versions {
            if let reason = check(version.size, "size") { return reason }
        }
        return nil
    }

    /// The first scalar of `text` in Unicode's Cc category, or nil. Works on the UTF-8 bytes: C0 and DEL are
    /// single bytes, C1 is `C2 80`…`C2 9F`.
    static func firstControl(_ text: String) -> Unicode.Scalar? {
        var previous: UInt8 = 0
        for b in text.utf8 {
            if b < 0x20 || b == 0x7F { return Unicode.Scalar(b) }
            if previous == 0xC2, b >= 0x80, b <= 0x9F { return Unicode.Scalar(b) }
            previous = b
        }
        return nil
    }

    /// `U+0000`.
    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Input text for a reason, in quotes: see ``excerpt(_:limit:)``.
    static func quoted(_ text: some StringProtocol) -> String { "\"" + excerpt(text) + "\"" }

    /// Input text for a message: at most `limit` characters (then `…`), control characters as `U+XXXX`, so that
    /// a reason stays short and prints safely on a terminal.
    static func excerpt(_ text: some StringProtocol, limit: Int = 64) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            if scalar.properties.generalCategory == .control {
                out += hex(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}

extension DateParsing {
    /// ``Timestamp/parse(_:)`` for dates in records, stricter than it: text over 64 bytes, or an RFC 2822 date with a
    /// run of more than four digits (`02007`, `-9223372036854775808:00`), is not a date of arXiv's and is refused.
    /// ISO dates are read over fixed widths and pass as they are. (Core's parser itself refuses negative or
    /// overflowing fields since the robustness issue; this keeps the records' rule narrower.)
    static func timestamp(_ text: some StringProtocol) -> Date? {
        let trimmed = text.trimmingASCIIWhitespace()
        guard let first = trimmed.utf8.first, trimmed.utf8.count <= 64 else { return nil }
        if !(first >= 48 && first <= 57) {
            var run = 0
            for b in trimmed.utf8 {
                if b >= 48 && b <= 57 {
                    run += 1
                    if run > 4 { return nil }
                } else {
                    run = 0
                }
            }
        }
        return Timestamp.parse(trimmed)
    }
}
