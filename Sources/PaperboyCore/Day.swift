import Foundation

/// A calendar day in UTC, the unit of the daily listing.
///
/// Every `Day` lies in years 1 to 9999 (a day computed outside that span is clamped to its edge), so its
/// arithmetic and formatting never trap. Days that requests and feeds may name lie in ``Day/supported``
/// (years 1000 to 9999); parsers refuse others.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The first and last day a `Day` can hold.
    public static let first = Day(unchecked: 1, 1, 1)
    public static let last = Day(unchecked: 9999, 12, 31)
    /// The days a request, a file or a feed may name: years 1000 to 9999.
    public static let supported: ClosedRange<Day> = Day(unchecked: 1000, 1, 1)...last
    /// The years of ``supported``.
    public static let supportedYears = 1000...9999

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Day.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    private init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day with this many days since 1970-01-01, clamped to ``first``...``last``.
    public init(daysSinceEpoch z0: Int) {
        let z = min(max(z0, Day.firstDays), Day.lastDays)
        let civil = Day.civil(daysSinceEpoch: z)
        self.init(unchecked: civil.year, civil.month, civil.day)
    }

    /// The UTC day a moment falls on (clamped to ``first``...``last``; NaN counts as 1970-01-01).
    public init(_ date: Date) {
        self.init(daysSinceEpoch: Day.floorDiv(Millis.of(date), 86_400_000))
    }

    /// Parses `YYYY-MM-DD` exactly, for days in ``supported``.
    public init?(iso string: some StringProtocol) {
        let u = Array(string.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
            let y = Digits.int(u[0..<4]), let m = Digits.int(u[5..<7]), let d = Digits.int(u[8..<10]),
            Day.supportedYears.contains(y)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var daysSinceEpoch: Int { Day.days(year: year, month: month, day: day) }

    /// Midnight UTC at the start of the day.
    public var start: Date { Date(timeIntervalSince1970: TimeInterval(daysSinceEpoch) * 86_400) }

    /// The day `days` later (earlier when negative), clamped to ``first``...``last``.
    public func adding(days: Int) -> Day {
        let (sum, overflow) = daysSinceEpoch.addingReportingOverflow(days)
        return Day(daysSinceEpoch: overflow ? (days < 0 ? Int.min : Int.max) : sum)
    }

    /// ISO weekday, Monday = 1 ... Sunday = 7.
    public var isoWeekday: Int { Day.isoWeekday(daysSinceEpoch: daysSinceEpoch) }

    public var description: String {
        Digits.padded(year, 4) + "-" + Digits.padded(month, 2) + "-" + Digits.padded(day, 2)
    }

    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static let firstDays = days(year: 1, month: 1, day: 1)
    static let lastDays = days(year: 9999, month: 12, day: 31)

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil); total for any
    /// year within ±10^12.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number (civil_from_days); total for any day number within ±10^14.
    static func civil(daysSinceEpoch z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func isoWeekday(daysSinceEpoch z: Int) -> Int {
        let w = (z + 3) % 7  // 1970-01-01 was a Thursday
        return (w < 0 ? w + 7 : w) + 1
    }

    /// Division rounding toward minus infinity.
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int {
        Int(a >= 0 ? a / b : -((-(a + 1)) / b) - 1)
    }
}

/// Milliseconds since 1970-01-01 UTC, the form dates take in storage, cursors and formatting: conversions from
/// `Date` never trap (NaN is 0, anything beyond ``Day/first`` or ``Day/last`` is clamped to it).
public enum Millis {
    /// 0001-01-01T00:00:00.000Z ... 9999-12-31T23:59:59.999Z.
    public static let range: ClosedRange<Int64> =
        Int64(Day.firstDays) * 86_400_000...Int64(Day.lastDays + 1) * 86_400_000 - 1
    /// The span of ``Day/supported``.
    public static let supported: ClosedRange<Int64> =
        Int64(Day.supported.lowerBound.daysSinceEpoch) * 86_400_000...range.upperBound

    /// The milliseconds of a date, rounded toward minus infinity (or to nearest), clamped to ``range``.
    public static func of(_ date: Date, rounding rule: FloatingPointRoundingRule = .down) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded(rule)
        guard !ms.isNaN else { return 0 }
        if ms <= Double(range.lowerBound) { return range.lowerBound }
        if ms >= Double(range.upperBound) { return range.upperBound }
        return Int64(ms)
    }

    public static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(ms) / 1000) }

    /// A span of time in milliseconds, at least 0 and clamped to what an Int64 holds (a window reaching back from a
    /// reference time).
    public static func of(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? 0 : Int64.max }
        let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        if overflow2 { return Int64.max }
        return max(total, 0)
    }
}

/// An ISO 8601 week, `2026-W48`, of a year in ``Day/supportedYears``.
public struct ISOWeek: Hashable, Sendable, CustomStringConvertible {
    public let year: Int
    public let week: Int

    public init?(year: Int, week: Int) {
        guard Day.supportedYears.contains(year), week >= 1, week <= ISOWeek.weeks(in: year) else { return nil }
        self.year = year
        self.week = week
    }

    /// The week containing a day; nil when that week belongs to a year outside ``Day/supportedYears``.
    public init?(containing day: Day) {
        let thursday = day.daysSinceEpoch + 4 - day.isoWeekday
        let year = Day.civil(daysSinceEpoch: thursday).year
        guard Day.supportedYears.contains(year) else { return nil }
        self.year = year
        week = (thursday - Day.days(year: year, month: 1, day: 1)) / 7 + 1
    }

    /// Parses `YYYY-Www` (also `YYYY-ww`).
    public init?(iso string: some StringProtocol) {
        let u = Array(string.utf8)
        guard u.count == 7 || u.count == 8, u[4] == UInt8(ascii: "-"), let y = Digits.int(u[0..<4]) else {
            return nil
        }
        var w = u[5...]
        if u.count == 8 {
            guard w.first == UInt8(ascii: "W") || w.first == UInt8(ascii: "w") else { return nil }
            w = w.dropFirst()
        }
        guard let n = Digits.int(w) else { return nil }
        self.init(year: y, week: n)
    }

    /// The week's Monday (in year `year - 1` for some first weeks).
    public var monday: Day { Day(daysSinceEpoch: ISOWeek.mondayDays(year: year, week: week)) }

    public var days: ClosedRange<Day> { monday...monday.adding(days: 6) }

    /// The week `weeks` later (earlier when negative), nil outside ``Day/supportedYears``.
    public func adding(weeks: Int) -> ISOWeek? {
        guard abs(weeks) <= 1_000_000 else { return nil }
        let monday = ISOWeek.mondayDays(year: year, week: week) + weeks * 7
        guard (Day.firstDays...Day.lastDays).contains(monday) else { return nil }
        return ISOWeek(containing: Day(daysSinceEpoch: monday))
    }

    public var description: String { Digits.padded(year, 4) + "-W" + Digits.padded(week, 2) }

    static func mondayDays(year: Int, week: Int) -> Int {
        let jan4 = Day.days(year: year, month: 1, day: 4)
        return jan4 + 1 - Day.isoWeekday(daysSinceEpoch: jan4) + (week - 1) * 7
    }

    /// 52 or 53: the week of December 28th.
    static func weeks(in year: Int) -> Int {
        let dec28 = Day.days(year: year, month: 12, day: 28)
        let thursday = dec28 + 4 - Day.isoWeekday(daysSinceEpoch: dec28)
        return (thursday - Day.days(year: year, month: 1, day: 1)) / 7 + 1
    }
}

/// A calendar month, `2026-11`, of a year in ``Day/supportedYears``.
public struct Month: Hashable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard Day.supportedYears.contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// The month containing a day; nil for a day before ``Day/supported``.
    public init?(containing day: Day) {
        self.init(year: day.year, month: day.month)
    }

    public init?(iso string: some StringProtocol) {
        let u = Array(string.utf8)
        guard u.count == 7, u[4] == UInt8(ascii: "-"), let y = Digits.int(u[0..<4]), let m = Digits.int(u[5..<7])
        else { return nil }
        self.init(year: y, month: m)
    }

    public var days: ClosedRange<Day> {
        Day(
            daysSinceEpoch: Day.days(year: year, month: month, day: 1))...Day(
                daysSinceEpoch: Day.days(year: year, month: month, day: Day.daysIn(month: month, year: year)))
    }

    /// The month `months` later (earlier when negative), nil outside ``Day/supportedYears``.
    public func adding(months: Int) -> Month? {
        guard abs(months) <= 1_000_000 else { return nil }
        let index = year * 12 + (month - 1) + months
        return Month(year: index / 12, month: index % 12 + 1)
    }

    public var description: String { Digits.padded(year, 4) + "-" + Digits.padded(month, 2) }
}

/// The span of a listing page: one day, one ISO week or one month.
public enum ListingPeriod: Hashable, Sendable, CustomStringConvertible {
    case day(Day)
    case week(ISOWeek)
    case month(Month)

    public var days: ClosedRange<Day> {
        switch self {
        case .day(let d): d...d
        case .week(let w): w.days
        case .month(let m): m.days
        }
    }

    /// The period before this one; nil at the start of ``Day/supported``.
    public var previous: ListingPeriod? { moved(by: -1) }

    /// The period after this one; nil at the end of ``Day/supported``.
    public var next: ListingPeriod? { moved(by: 1) }

    func moved(by step: Int) -> ListingPeriod? {
        switch self {
        case .day(let d):
            let moved = d.adding(days: step)
            return moved == d || !Day.supported.contains(moved) ? nil : .day(moved)
        case .week(let w): return w.adding(weeks: step).map { .week($0) }
        case .month(let m): return m.adding(months: step).map { .month($0) }
        }
    }

    /// The query parameter name and value that select this period (`date`, `week`, `month`).
    public var queryItem: (name: String, value: String) {
        switch self {
        case .day(let d): ("date", d.description)
        case .week(let w): ("week", w.description)
        case .month(let m): ("month", m.description)
        }
    }

    public var description: String { queryItem.value }

    /// Every day a store can hold: a listing over it is "all papers".
    public static let everything: ClosedRange<Day> = Day.first...Day.last

    /// The supported days, as messages state them.
    public static let dayRange = "\(Day.supported.lowerBound) to \(Day.supported.upperBound)"

    /// How each kind of period is read from a query (the API, pages and MCP tools alike): the name ``queryItem``
    /// writes it under, how its value is parsed, and what a valid value looks like (for error messages).
    public static let queryForms: [(name: String, parse: @Sendable (String) -> ListingPeriod?, expected: String)] = [
        ("date", { Day(iso: $0).map { .day($0) } }, "a day from \(dayRange), written YYYY-MM-DD"),
        (
            "week", { ISOWeek(iso: $0).map { .week($0) } },
            "an ISO week from \(Day.supportedYears.lowerBound)-W01 to \(Day.supportedYears.upperBound)-W52, "
                + "written YYYY-Www"
        ),
        (
            "month", { Month(iso: $0).map { .month($0) } },
            "a month from \(Day.supportedYears.lowerBound)-01 to \(Day.supportedYears.upperBound)-12, written YYYY-MM"
        ),
    ]
}

enum Digits {
    /// A non-negative number with leading zeros to `width` digits (String(format:) is slow on Linux).
    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The value of 1 to 9 ASCII digits, nil for anything else.
    static func int(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 9 else { return nil }
        var value = 0
        for b in bytes {
            guard b >= 48, b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return value
    }
}

extension Day {
    /// English month names, whatever the machine's locale.
    public static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// `October 22, 2025`: how pages and mails write a day.
    public var longDescription: String { "\(Day.monthNames[month - 1]) \(day), \(year)" }
}
