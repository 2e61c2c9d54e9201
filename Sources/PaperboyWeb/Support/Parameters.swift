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
    static var dayRange: String { ListingPeriod.dayRange }

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

    /// The value of a parameter that names a case of `T`, or `fallback` when absent; `invalid` makes the error for
    /// any other value (pages and the API word it differently).
    func choice<T: RawRepresentable<String>>(
        _ name: String, default fallback: T, invalid: (String) -> any Error
    ) throws -> T {
        guard let raw = request.query(name) else { return fallback }
        guard let value = T(rawValue: raw) else { throw invalid(raw) }
        return value
    }

    /// The period given by `date`, `week` or `month` (at most one of them), nil when none is given; pages and the
    /// API read it here alike.
    func period() throws -> ListingPeriod? {
        let forms = ListingPeriod.queryForms
        let given = forms.filter { request.query($0.name) != nil }
        guard given.count <= 1 else {
            let names = forms.map(\.name)
            throw ParameterProblem(
                "give at most one of \(names.dropLast().joined(separator: ", ")) and \(names.last ?? "")")
        }
        guard let form = given.first, let raw = request.query(form.name) else { return nil }
        guard let period = form.parse(raw) else { throw ParameterProblem("\(form.name) must be \(form.expected)") }
        return period
    }
}
