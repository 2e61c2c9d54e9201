import Foundation
import PaperboyCore
import Testing

@testable import PaperboyIngest

/// What a record's text and dates may be: control characters, invalid UTF-8, dates outside arXiv's time,
/// limits on lists, and reasons that stay short and printable.
@Suite struct RecordCheckTests {
    /// 2026-11-20T12:00:00Z: "tomorrow" is 2026-11-21.
    static let now = Date(timeIntervalSince1970: 1_795_176_000)

    static func line(_ fields: String) -> String {
        #"{"id": "0704.0001", "title": "T", "#
            + #""versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]"# + fields + "}"
    }

    static func parse(_ line: String) -> ParsedRecord { SnapshotParser.parse(line: line, now: now) }

    static func parse(bytes: [UInt8]) -> ParsedRecord {
        bytes.withUnsafeBufferPointer { SnapshotParser.parse(line: $0, now: now) }
    }

    // MARK: Control characters

    @Test(arguments: [
        (#", "abstract": "a\u0000b""#, #"control character U+0000 in field "abstract""#),
        (", \"abstract\": \"a\u{7F}b\"", #"control character U+007F in field "abstract""#),
        (#", "authors": "Ann\u0085 Lee""#, #"control character U+0085 in field "authors""#),
        (#", "comments": "12\u000b pages""#, #"control character U+000B in field "comments""#),
        (#", "submitter": "Ann \u001b[31mLee""#, #"control character U+001B in field "submitter""#),
        (#", "categories": "cs.LG \u0001""#, #"control character U+0001 in field "categories""#),
        (#", "journal-ref": "J\u009f""#, #"control character U+009F in field "journal-ref""#),
    ])
    func controlCharactersRejectTheRecord(fields: String, reason: String) {
        #expect(Self.parse(Self.line(fields)) == .rejected(reason))
    }

    @Test func whitespaceControlsAreCollapsedNotRejected() throws {
        let record = Self.parse(Self.line(#", "abstract": "a\tb\nc\r\nd\fe""#))
        guard case .paper(let paper) = record else {
            Issue.record("rejected: \(record)")
            return
        }
        #expect(paper.abstract == "a b c d e")
    }

    @Test func controlCharactersInXMLRejectTheRecord() {
        let xml = Fixtures.oaiRawPage(records: Fixtures.rawRecord(id: "2511.00001", title: "A&#x7F;B"))
        let response = OAIParser.parse(Data(xml.utf8), now: Self.now)
        #expect(response.records == [.rejected(#"control character U+007F in field "title""#)])
        let atom = Fixtures.atomFeed.replacingOccurrences(of: "<name>Bob Ray</name>", with: "<name>Bob&#x85;Ray</name>")
        #expect(
            AtomParser.parse(Data(atom.utf8), now: Self.now).records.first
                == .rejected(
                    #"control character U+0085 in field "authors""#))
    }

    // MARK: Invalid UTF-8

    @Test func invalidUTF8InAStoredFieldRejectsTheRecord() {
        let head = Array(#"{"id": "0704.0001", "title": "Caf"#.utf8)
        let tail = Array(#"", "update_date": "2020-01-02"}"#.utf8)
        // A lone lead byte, an overlong NUL, a UTF-16 surrogate in UTF-8, a byte that never occurs.
        for bad: [UInt8] in [[0xC3, 0x28], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF]] {
            #expect(
                Self.parse(bytes: head + bad + tail) == .rejected(#"invalid UTF-8 in field "title" at column 30"#))
        }
        let authors = Array(#"{"id": "0704.0001", "title": "T", "update_date": "2020-01-02", "authors": "A"#.utf8)
        #expect(
            Self.parse(bytes: authors + [0x80] + Array(#""}"#.utf8))
                == .rejected(#"invalid UTF-8 in field "authors" at column 75"#))
        // A field that is not stored is not checked.
        let unknown = Array(#"{"id": "0704.0001", "title": "T", "update_date": "2020-01-02", "x_note": ""#.utf8)
        guard case .paper = Self.parse(bytes: unknown + [0xFF] + Array(#""}"#.utf8)) else {
            Issue.record("rejected for an unknown field")
            return
        }
    }

    @Test func invalidUTF8InXMLStopsTheDocument() {
        let records = Fixtures.rawRecord(id: "2511.00001") + Fixtures.rawRecord(id: "2511.00002", title: "Caf@")
        let bytes = Self.replacing(
            UInt8(ascii: "@"), with: [0xC3, 0x28], in: Array(Fixtures.oaiRawPage(records: records).utf8))
        let response = OAIParser.parse(Data(bytes), now: Self.now)
        #expect(response.papers.map(\.id.rawValue) == ["2511.00001"])
        // The bytes are on line 6; libxml2 tells an encoding error with the line it has read up to.
        #expect(response.malformed == "malformed XML at line 8: invalid character")
    }

    static func replacing(_ byte: UInt8, with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        bytes.flatMap { $0 == byte ? replacement : [$0] }
    }

    // MARK: Dates

    @Test(arguments: [
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "Mon, 31 Dec 1990 23:59:59 GMT"}]}"#,
            "date of version v1 1990-12-31T23:59:59.000Z is before arXiv began (1991-01-01)"
        ),
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "Sun, 22 Nov 2026 00:00:00 GMT"}]}"#,
            "date of version v1 2026-11-22T00:00:00.000Z is after tomorrow (2026-11-21)"
        ),
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "Mon, 1 Jan 9999 00:00:00 GMT"}]}"#,
            "date of version v1 9999-01-01T00:00:00.000Z is after tomorrow (2026-11-21)"
        ),
        (
            #"{"id": "0704.0001", "title": "T", "update_date": "1990-01-01"}"#,
            "date of version v1 1990-01-01T00:00:00.000Z is before arXiv began (1991-01-01)"
        ),
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}], "update_date": "2027-01-01"}"#,
            "update date 2027-01-01T00:00:00.000Z is after tomorrow (2026-11-21)"
        ),
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 -9223372036854775808:00 GMT"}]}"#,
            #"invalid date "Mon, 2 Apr 2007 -9223372036854775808:00 GMT" of version v1"#
        ),
        (
            #"{"id": "0704.0001", "title": "T", "update_date": "Mon, 2 Apr 2007 00:00:-9223372036854775808 GMT"}"#,
            #"invalid update_date "Mon, 2 Apr 2007 00:00:-9223372036854775808 GMT""#
        ),
    ])
    func datesOutsideArXivsTimeAreRejected(line: String, reason: String) {
        #expect(Self.parse(line) == .rejected(reason))
    }

    @Test func theFirstDayAndTomorrowAreAccepted() {
        for created in ["Tue, 1 Jan 1991 00:00:00 GMT", "Sat, 21 Nov 2026 23:59:59 GMT"] {
            let line =
                #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": ""# + created
                + #""}]}"#
            guard case .paper = Self.parse(line) else {
                Issue.record("rejected \(created): \(Self.parse(line))")
                continue
            }
        }
    }

    @Test func xmlAndAtomDatesAreChecked() {
        let raw = Fixtures.oaiRawPage(records: Fixtures.rawRecord(id: "2511.00001"))
            .replacingOccurrences(of: "Mon, 2 Nov 2026", with: "Mon, 2 Nov 1987")
        #expect(
            OAIParser.parse(Data(raw.utf8), now: Self.now).records == [
                .rejected("date of version v1 1987-11-02T10:00:00.000Z is before arXiv began (1991-01-01)")
            ])
        let early = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14: the fixture's dates are after tomorrow
        #expect(
            OAIParser.parse(Data(Fixtures.oaiRawPage(records: Fixtures.rawRecord(id: "2511.00001")).utf8), now: early)
                .records == [.rejected("date of version v1 2026-11-02T10:00:00.000Z is after tomorrow (2023-11-15)")])
        let atom = Fixtures.atomFeed.replacingOccurrences(of: "2025-11-03T18:00:01Z", with: "3025-11-03T18:00:01Z")
        #expect(
            AtomParser.parse(Data(atom.utf8), now: Self.now).records.first
                == .rejected("date of version v1 3025-11-03T18:00:01.000Z is after tomorrow (2026-11-21)"))
    }

    // MARK: Limits and reasons

    @Test func longListsAreRejected() {
        let version = #"{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}"#
        let versions = "[" + Array(repeating: version, count: 1001).joined(separator: ",") + "]"
        #expect(
            Self.parse(#"{"id": "0704.0001", "title": "T", "versions": "# + versions + "}")
                == .rejected("more than 1000 versions"))
        let parsed = "[" + Array(repeating: #"["Lee", "Ann", ""]"#, count: 100_001).joined(separator: ",") + "]"
        #expect(Self.parse(Self.line(#", "authors_parsed": "# + parsed)) == .rejected("more than 100000 authors"))
        let names = Array(repeating: "Ann Lee", count: 100_001).joined(separator: ", ")
        #expect(Self.parse(Self.line(#", "authors": ""# + names + #"""#)) == .rejected("more than 100000 authors"))
        // Exactly at the limits is fine.
        let atLimit = Array(repeating: "Ann Lee", count: 100_000).joined(separator: ", ")
        guard case .paper(let paper) = Self.parse(Self.line(#", "authors": ""# + atLimit + #"""#)) else {
            Issue.record("rejected at the limit")
            return
        }
        #expect(paper.authors.count == 100_000)
    }

    @Test func manyCategoriesAreDeduplicatedInLinearTime() {
        let categories = (0..<200_000).map { "c\($0)" }.joined(separator: " ")
        let clock = ContinuousClock()
        let start = clock.now
        guard case .paper(let paper) = Self.parse(Self.line(#", "categories": ""# + categories + " c0\"")) else {
            Issue.record("rejected")
            return
        }
        #expect(paper.categories.count == 200_000)
        #expect(clock.now - start < .seconds(20))
    }

    /// Found by the fuzzer (snapshot): the byte after a backslash went into the reason as it was.
    @Test func anInvalidEscapeOfAnUnprintableByteIsWrittenInHex() {
        let head = Array(#"{"id": "0704.0001", "title": "A\"#.utf8)
        #expect(
            Self.parse(bytes: head + [0x1F] + Array(#""}"#.utf8))
                == .rejected(#"invalid JSON: invalid escape: '\' before byte 0x1F at column 32"#))
        #expect(
            Self.parse(bytes: head + [0xC3, 0xA9] + Array(#""}"#.utf8))
                == .rejected(#"invalid JSON: invalid escape: '\' before byte 0xC3 at column 32"#))
    }

    @Test func reasonsQuoteInputShortAndPrintable() {
        let long = String(repeating: "x", count: 100)
        #expect(
            Self.parse(#"{"id": ""# + long + #"", "title": "T"}"#)
                == .rejected("invalid arXiv id \"" + String(repeating: "x", count: 64) + "…\""))
        #expect(Self.parse(#"{"id": "\u001b[31m", "title": "T"}"#) == .rejected(#"invalid arXiv id "U+001B[31m""#))
        #expect(
            Self.parse(#"{"id": "0704.0001", "title": "T", "versions": [{"version": "v\u0007"}]}"#)
                == .rejected(#"invalid version "vU+0007""#))
    }
}
