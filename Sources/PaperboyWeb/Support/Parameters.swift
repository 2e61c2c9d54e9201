import Hummingbird
import PaperboyCore

/// A query parameter that cannot be answered: a 400 whose message names the parameter, on pages and in the API.
struct ParameterProblem: Error, Equatable {
    let message: String

    init(_ message: String) { self.message = message }
}

/// Reads and checks query parameters the same way for pages and the API.
struct Parameters {
    let request: Request

    /// The supported days, as messages state them.
    static let dayRange = "\(Day.supported.lowerBound) to \(Day.supported.upperBound)"

    /// An integer within `range`, or `fallback` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        guard let raw = request.query(name) else { return fallback }
        guard raw.utf8.count <= 20, let value = Int(raw), range.contains(value) else {
            throw ParameterProblem("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Search text, trimmed; at most ``SearchLimits/maxQueryLength`` characters.
    func searchText(_ name: String = "q") throws -> String {
        let text = request.query(name)?.trimmingASCIIWhitespace() ?? ""
        guard text.count <= SearchLimits.maxQueryLength else {
            throw ParameterProblem("\(name) must be at most \(SearchLimits.maxQueryLength) characters")
        }
        return text
    }

    /// A 1-based page number such that the whole page stays within ``SearchLimits/maxReachableResults``.
    func page(_ name: String = "page", perPage: Int) throws -> Int {
        try integer(name, in: 1...Parameters.pages(perPage: perPage), default: 1)
    }

    /// A 0-based page number, for the API's `p`.
    func zeroBasedPage(_ name: String, perPage: Int) throws -> Int {
        try integer(name, in: 0...(Parameters.pages(perPage: perPage) - 1), default: 0)
    }

    /// How many pages of `perPage` fit in ``SearchLimits/maxReachableResults``.
    static func pages(perPage: Int) -> Int { max(1, SearchLimits.maxReachableResults / max(1, perPage)) }

    /// The period given by `date`, `week` or `month` (at most one of them), nil when none is given.
    func period() throws -> ListingPeriod? {
        let given = ["date", "week", "month"].filter { request.query($0) != nil }
        guard given.count <= 1 else { throw ParameterProblem("give at most one of date, week and month") }
        if let raw = request.query("date") {
            guard let day = Day(iso: raw) else {
                throw ParameterProblem("date must be a day from \(Parameters.dayRange), written YYYY-MM-DD")
            }
            return .day(day)
        }
        if let raw = request.query("week") {
            guard let week = ISOWeek(iso: raw) else {
                throw ParameterProblem(
                    "week must be an ISO week from \(Day.supportedYears.lowerBound)-W01 to "
                        + "\(Day.supportedYears.upperBound)-W52, written YYYY-Www")
            }
            return .week(week)
        }
        if let raw = request.query("month") {
            guard let month = Month(iso: raw) else {
                throw ParameterProblem(
                    "month must be a month from \(Day.supportedYears.lowerBound)-01 to "
                        + "\(Day.supportedYears.upperBound)-12, written YYYY-MM")
            }
            return .month(month)
        }
        return nil
    }
}
