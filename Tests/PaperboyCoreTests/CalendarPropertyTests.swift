import Foundation
import PaperboyCore
import PropertyBased
import Testing

/// Day, ISO week and month arithmetic over the whole supported range and its edges, cursor round trips: whatever
/// the input, answers are consistent and nothing traps.
@Suite("Calendar arithmetic and cursors")
struct CalendarPropertyTests {
    static let firstSupported = Day.supported.lowerBound.daysSinceEpoch
    static let lastSupported = Day.supported.upperBound.daysSinceEpoch

    @Test func everyDayOfTheRangeRoundTrips() {
        // Exhaustive: 3.3 million days, years 1000 to 9999.
        var previous: Day?
        var failures = 0
        for n in Self.firstSupported...Self.lastSupported {
            let day = Day(daysSinceEpoch: n)
            if day.daysSinceEpoch != n || Day(iso: day.description) != day { failures += 1 }
            if let previous, !(previous < day && previous.adding(days: 1) == day) { failures += 1 }
            previous = day
        }
        #expect(failures == 0)
        #expect(Day.supported.lowerBound.description == "1000-01-01")
        #expect(Day.supported.upperBound.description == "9999-12-31")
    }

    @Test func everyWeekOfTheRangeHasSevenDaysAndItsOwnNumber() {
        var failures: [String] = []
        var weeks = 0
        for year in Day.supportedYears {
            let count = (1...53).filter { ISOWeek(year: year, week: $0) != nil }.count
            if count != 52 && count != 53 { failures.append("\(year): \(count) weeks") }
            for number in 1...count {
                guard let week = ISOWeek(year: year, week: number) else {
                    failures.append("\(year)-W\(number) missing")
                    continue
                }
                weeks += 1
                let days = week.days
                if week.description == "9999-W52" {
                    // Its Sunday would be 10000-01-02: the range ends with the last day a Day holds.
                    if days.upperBound != Day.last || days.lowerBound.isoWeekday != 1 { failures.append("last") }
                    continue
                }
                if days.lowerBound.isoWeekday != 1 || days.upperBound.isoWeekday != 7 {
                    failures.append(week.description)
                }
                if days.upperBound.daysSinceEpoch - days.lowerBound.daysSinceEpoch != 6 {
                    failures.append(week.description)
                }
                if ISOWeek(containing: days.lowerBound) != week || ISOWeek(containing: days.upperBound) != week {
                    failures.append(week.description)
                }
                if ISOWeek(iso: week.description) != week { failures.append(week.description) }
                if let next = week.adding(weeks: 1), next.days.lowerBound != days.upperBound.adding(days: 1) {
                    failures.append(week.description)
                }
            }
        }
        #expect(failures == [])
        #expect(weeks > 469_000)
    }

    @Test(
        arguments: [
            ("0001-W01", nil), ("0999-W52", nil), ("1000-W01", "1000-W01"), ("9999-W52", "9999-W52"), ("9999-W53", nil),
            ("2020-W53", "2020-W53"), ("2021-W53", nil), ("2026-W00", nil), ("2026-48", "2026-W48"),
            ("2026-w48", "2026-W48"),
            ("+026-W48", nil), ("2026-W4", nil), ("2026-W048", nil), ("99999-W01", nil), ("", nil),
        ] as [(String, String?)])
    func weekParsingAtTheEdges(text: String, parsed: String?) {
        #expect(ISOWeek(iso: text)?.description == parsed)
    }

    @Test func periodNavigationStopsAtTheEdgesOfTheRange() throws {
        let lastWeek = try #require(ISOWeek(iso: "9999-W52"))
        #expect(ListingPeriod.week(lastWeek).next == nil)
        #expect(ListingPeriod.week(lastWeek).previous == .week(try #require(ISOWeek(iso: "9999-W51"))))
        let firstWeek = try #require(ISOWeek(iso: "1000-W01"))
        #expect(ListingPeriod.week(firstWeek).previous == nil)
        #expect(ListingPeriod.month(try #require(Month(iso: "9999-12"))).next == nil)
        #expect(ListingPeriod.month(try #require(Month(iso: "1000-01"))).previous == nil)
        #expect(ListingPeriod.day(Day.supported.upperBound).next == nil)
        #expect(ListingPeriod.day(Day.supported.lowerBound).previous == nil)
        // 9999-12-31 is a Friday of 9999-W52.
        #expect(ISOWeek(containing: Day.last)?.description == "9999-W52")
        #expect(Month(containing: try #require(Day(year: 999, month: 12, day: 31))) == nil)
    }

    @Test func dayArithmeticIsTotal() async {
        await propertyCheck(input: Gen.int(), Gen.int()) { start, step in
            let day = Day(daysSinceEpoch: start)
            let moved = day.adding(days: step)
            #expect(Day.first <= moved && moved <= Day.last)
            #expect(Day.first <= day && day <= Day.last)
            _ = ISOWeek(containing: moved)
            _ = Month(containing: moved)
        }
        #expect(Day(daysSinceEpoch: .max) == Day.last)
        #expect(Day(daysSinceEpoch: .min) == Day.first)
        #expect(Day.last.adding(days: .max) == Day.last)
        #expect(Day(Date(timeIntervalSince1970: .nan)).description == "1970-01-01")
        #expect(Day(Date(timeIntervalSince1970: .infinity)) == Day.last)
        #expect(Day(Date(timeIntervalSince1970: -.greatestFiniteMagnitude)) == Day.first)
    }

    @Test func monthArithmeticRoundTrips() async {
        await propertyCheck(input: Gen.int(in: 1000...9999), Gen.int(in: 1...12), Gen.int(in: -20_000...20_000)) {
            year, number, step in
            guard let month = Month(year: year, month: number) else {
                Issue.record("\(year)-\(number) should be a month")
                return
            }
            #expect(Month(iso: month.description) == month)
            #expect(month.days.lowerBound.day == 1)
            #expect(month.days.upperBound.adding(days: 1).day == 1)
            if let moved = month.adding(months: step) {
                #expect(moved.adding(months: -step) == month)
            } else {
                let index = year * 12 + number - 1 + step
                #expect(index < 1000 * 12 || index >= 10_000 * 12)
            }
        }
    }

    @Test func timestampsNeverTrap() async {
        await propertyCheck(input: Gen.double(in: -1e300...1e300)) { seconds in
            let date = Date(timeIntervalSince1970: seconds)
            let text = Timestamp.rfc3339(date)
            #expect(text.count == 24)
            #expect(Timestamp.rfc2822(date).hasSuffix(" GMT"))
        }
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1e20)) == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: -1e20)) == "0001-01-01T00:00:00.000Z")
    }

    @Test(arguments: [
        "Mon, 2 Apr 2007 -9223372036854775807:00:00 GMT", "Mon, 2 Apr 2007 19:-99999999999999:42 GMT",
        "Mon, 2 Apr 2007 19:18:-9223372036854775807 GMT", "Mon, 2 Apr 2007 19:18:42 +-999",
        "Mon, 99999999999999999999 Apr 2007 19:18:42 GMT", "Mon, 2 Apr 99999999999999999999 19:18:42 GMT",
    ])
    func hostileTimestampsAreRefusedNotTrapped(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func anyTimestampTextParsesOrIsRefused() async {
        let alphabet = Array("0123456789 :+-,TZGMTAprMon.")
        let text = Gen.int(in: 0..<alphabet.count).map { alphabet[$0] }.array(of: 0...40).map { String($0) }
        await propertyCheck(count: 2_000, input: text) { text in
            if let date = Timestamp.parse(text) { _ = Timestamp.rfc3339(date) }
        }
    }

    @Test func cursorsRoundTripInTheSupportedRange() async {
        await propertyCheck(input: Gen.int64(in: Millis.supported), Gen.int(in: 1...99_999)) { ms, number in
            let id = PaperID(
                storedValue: "2611." + String(repeating: "0", count: 5 - String(number).count) + "\(number)")
            let cursor = PaperCursor(featuredAt: Millis.date(ms), id: id)
            #expect(PaperCursor(token: cursor.token) == cursor)
        }
    }

    @Test(arguments: [
        "9223372036854775807_2611.00001", "-9223372036854775808_2611.00001", "99999999999999999999_2611.00001",
        "-62135596800001_2611.00001", "253402300800000_2611.00001", "_2611.00001", "1_", "1_not-an-id", "",
        "1.5_2611.00001", "0x10_2611.00001",
    ])
    func cursorsOutsideTheRangeAreRefused(token: String) {
        #expect(PaperCursor(token: token) == nil)
    }

    @Test func aCursorFromStoredExtremesStillFormats() {
        let far = PaperCursor(featuredAt: Date(timeIntervalSince1970: 9.3e15), id: PaperID(storedValue: "2611.00001"))
        #expect(far.token == "\(Millis.range.upperBound)_2611.00001")
        #expect(PaperCursor(token: far.token) != nil)
    }
}

/// The query parser takes any text: it never traps, its words stay bounded, and its dates stay in range.
@Suite("Search query parsing, any input")
struct QueryPropertyTests {
    static let syntax: [Character] = Array(
        "\"-*:() author:cat:after:before:\u{0}\u{7}\t\n\u{E000}\u{E001}é漢😀0123456789-")

    @Test func anyTextParses() async {
        let syntax = Self.syntax
        let piece = Gen.int(in: 0..<syntax.count).map { syntax[$0] }.array(of: 0...200).map { String($0) }
        await propertyCheck(count: 2_000, input: piece) { text in
            let query = SearchQuery(parsing: text)
            #expect(query.terms.allSatisfy { $0.words.count <= 32 })
            for day in [query.after, query.before].compactMap(\.self) { #expect(Day.supported.contains(day)) }
            if !query.excluded.isEmpty { #expect(!query.terms.isEmpty) }
        }
    }

    @Test func anyUnicodeParses() async {
        let scalar = Gen.int(in: 0...0x10_FFFF).map { Unicode.Scalar(UInt32($0)) ?? "\u{FFFD}" }
        await propertyCheck(count: 1_000, input: scalar.array(of: 0...300)) { scalars in
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            _ = SearchQuery(parsing: text)
            _ = SearchQuery(parsing: "author:\"" + text)
            _ = SearchQuery(parsing: "-" + text + "*")
        }
    }

    @Test(arguments: [
        ("after:0999-12-31 x", "Ignored after:0999-12-31: dates are written YYYY-MM-DD."),
        ("before:99999 x", "Ignored before:99999: dates are written YYYY-MM-DD."),
        ("after:0000 x", "Ignored after:0000: dates are written YYYY-MM-DD."),
    ])
    func datesOutsideTheRangeAreIgnoredWithAProblem(text: String, problem: String) {
        let query = SearchQuery(parsing: text)
        #expect(query.after == nil && query.before == nil)
        #expect(query.problems == [problem])
    }

    @Test func deepQuotingAndLongInputStayQuick() {
        let long = String(repeating: "\"a ", count: 50_000) + String(repeating: "-b ", count: 50_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure { _ = SearchQuery(parsing: long) }
        #expect(elapsed < .seconds(10))
    }
}
