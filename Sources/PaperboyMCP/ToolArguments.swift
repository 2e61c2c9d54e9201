import MCP
import PaperboyCore

/// A tool's input that cannot be used, with the message the assistant reads (a tool error, never a protocol error).
public struct ToolInputError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// A tool call's arguments, read with the checks and messages every tool shares.
struct ToolArguments {
    let values: [String: Value]

    /// Refuses arguments the tool does not take (a misspelt name would otherwise be ignored silently).
    init(_ values: [String: Value]?, tool: String, allowed: [String]) throws {
        self.values = values ?? [:]
        if let unknown = self.values.keys.sorted().first(where: { !allowed.contains($0) }) {
            let takes = allowed.isEmpty ? "no arguments" : allowed.joined(separator: ", ")
            throw ToolInputError("\(tool) has no argument \(unknown); it takes \(takes)")
        }
    }

    /// A string argument, trimmed; nil when absent, null or empty.
    func string(_ name: String, maxLength: Int) throws -> String? {
        guard let value = values[name], value != .null else { return nil }
        guard case .string(let raw) = value else { throw ToolInputError("\(name) must be a string") }
        let text = raw.trimmingASCIIWhitespace()
        guard text.count <= maxLength else { throw ToolInputError("\(name) must be at most \(maxLength) characters") }
        return text.isEmpty ? nil : text
    }

    func requiredString(_ name: String, maxLength: Int) throws -> String {
        guard let text = try string(name, maxLength: maxLength) else { throw ToolInputError("\(name) is required") }
        return text
    }

    /// An integer within `range` (a whole number sent as 10.0 counts), or `fallback` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        let problem = ToolInputError("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        switch values[name] {
        case nil, .null?: return fallback
        case .int(let n)?:
            guard range.contains(n) else { throw problem }
            return n
        case .double(let d)?:
            guard d.rounded() == d, d >= Double(range.lowerBound), d <= Double(range.upperBound) else { throw problem }
            return Int(d)
        default: throw problem
        }
    }

    /// A value among `T`'s cases, or `fallback` when absent.
    func choice<T: RawRepresentable<String> & CaseIterable>(_ name: String, default fallback: T) throws -> T {
        guard let raw = try string(name, maxLength: 64) else { return fallback }
        guard let value = T(rawValue: raw) else {
            throw ToolInputError("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A day written YYYY-MM-DD.
    func day(_ name: String) throws -> Day? {
        guard let raw = try string(name, maxLength: 32) else { return nil }
        guard let day = Day(iso: raw) else {
            throw ToolInputError("\(name) must be a day from \(ListingPeriod.dayRange), written YYYY-MM-DD")
        }
        return day
    }

    /// An arXiv id (`2511.01234`, `hep-th/9901001`, with or without a version, an `arXiv:` prefix or an arxiv.org
    /// link).
    func paperID(_ name: String) throws -> PaperID {
        let raw = try requiredString(name, maxLength: 200)
        guard let (id, _) = PaperID.parse(raw) else {
            throw ToolInputError("\(name) must be an arXiv id such as 2511.01234 or hep-th/9901001, not \(raw)")
        }
        return id
    }
}
