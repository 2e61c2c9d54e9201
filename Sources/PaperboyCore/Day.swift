import Foundation

/// A calendar day in UTC, the unit of the daily listing.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Day.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day with this many days since 1970-01-01.
    public init(daysSinceEpoch z0: Int) {
        // Howard Hinnant's civil_from_days.
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        month = m
        day = d
    }

    /// The UTC day a moment falls on.
    public init(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        self.init(daysSinceEpoch: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }

    /// Parses `YYYY-MM-DD` exactly.
    public init?(iso string: some StringProtocol) {
        let u = Array(string.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
            let y = Digits.int(u[0..<4]), let m = Digits.int(u[5..<7]), let d = Digits.int(u[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Midnight UTC at the start of the day.
    public var start: Date { Date(timeIntervalSince1970: TimeInterval(daysSinceEpoch) * 86_400) }

    public func adding(days: Int) -> Day { Day(daysSinceEpoch: daysSinceEpoch + days) }

    /// ISO weekday, Monday = 1 ... Sunday = 7.
    public var isoWeekday: Int {
        let w = (daysSinceEpoch + 3) % 7  // 1970-01-01 was a Thursday
        return (w < 0 ? w + 7 : w) + 1
    }

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
}

/// An ISO 8601 week, `2026-W48`.
public struct ISOWeek: Hashable, Sendable, CustomStringConvertible {
    public let year: Int
    public let week: Int

    public init?(year: Int, week: Int) {
        guard (1...9999).contains(year), week >= 1, week <= ISOWeek.weeks(in: year) else { return nil }
        self.year = year
        self.week = week
    }

    /// The week containing a day.
    public init(containing day: Day) {
        let thursday = day.adding(days: 4 - day.isoWeekday)
        let jan1 = Day(year: thursday.year, month: 1, day: 1)!
        year = thursday.year
        week = (thursday.daysSinceEpoch - jan1.daysSinceEpoch) / 7 + 1
    }

    /// Parses `YYYY-Www` (also `YYYY-ww`).
    public init?(iso string: some StringProtocol) {
        let parts = string.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let y = Int(parts[0]) else { return nil }
        var w = parts[1]
        if w.first == "W" || w.first == "w" { w = w.dropFirst() }
        guard w.count == 2, w.allSatisfy(\.isASCIIDigit), let n = Int(w) else { return nil }
        self.init(year: y, week: n)
    }

    public var monday: Day {
        let jan4 = Day(year: year, month: 1, day: 4)!
        return jan4.adding(days: 1 - jan4.isoWeekday + (week - 1) * 7)
    }

    public var days: ClosedRange<Day> { monday...monday.adding(days: 6) }

    public var description: String { Digits.padded(year, 4) + "-W" + Digits.padded(week, 2) }

    static func weeks(in year: Int) -> Int {
        guard let dec28 = Day(year: year, month: 12, day: 28) else { return 52 }
        return ISOWeek(containing: dec28).week
    }
}

/// A calendar month, `2026-11`.
public struct Month: Hashable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    public init(containing day: Day) {
        year = day.year
        month = day.month
    }

    public init?(iso string: some StringProtocol) {
        let u = Array(string.utf8)
        guard u.count == 7, u[4] == UInt8(ascii: "-"), let y = Digits.int(u[0..<4]), let m = Digits.int(u[5..<7])
        else { return nil }
        self.init(year: y, month: m)
    }

    public var days: ClosedRange<Day> {
        Day(year: year, month: month, day: 1)!...Day(
            year: year, month: month, day: Day.daysIn(month: month, year: year))!
    }

    public func adding(months: Int) -> Month {
        let index = year * 12 + (month - 1) + months
        return Month(year: index / 12, month: index % 12 + 1) ?? self
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

    public var previous: ListingPeriod {
        switch self {
        case .day(let d): .day(d.adding(days: -1))
        case .week(let w): .week(ISOWeek(containing: w.monday.adding(days: -7)))
        case .month(let m): .month(m.adding(months: -1))
        }
    }

    public var next: ListingPeriod {
        switch self {
        case .day(let d): .day(d.adding(days: 1))
        case .week(let w): .week(ISOWeek(containing: w.monday.adding(days: 7)))
        case .month(let m): .month(m.adding(months: 1))
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
    public static let everything: ClosedRange<Day> =
        Day(year: 1, month: 1, day: 1)!...Day(year: 9999, month: 12, day: 31)!
}

enum Digits {
    /// A non-negative number with leading zeros to `width` digits (String(format:) is slow on Linux).
    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func int(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for b in bytes {
            guard b >= 48, b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return value
    }
}
