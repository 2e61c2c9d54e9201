import Foundation
import PaperboyCore

/// Organisation names and full names, as the admin page and `paperboy org create` accept them. A name follows the
/// rules of a username (``Username``): 2 to 30 characters of `a-z`, digits, `_` and `-`, stored lower-case, and none
/// of the reserved names.
public enum OrganizationName {
    /// The name trimmed and lower-cased, or why it cannot be an organisation's name.
    public static func normalize(_ raw: String) -> Result<String, OrganizationNameProblem> {
        switch Username.normalize(raw.trimmingCharacters(in: .whitespaces)) {
        case .success(let name): .success(name)
        case .failure(.malformed): .failure(.malformed)
        case .failure(.reserved): .failure(.reserved)
        }
    }

    /// The full name without surrounding blanks, or nil when it cannot be one.
    public static func fullname(_ raw: String) -> String? {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return name
    }

    public static let fullnameProblem = "a full name is 1 to 100 characters, without control characters"
}

public enum OrganizationNameProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed
    case reserved

    public var description: String {
        switch self {
        case .malformed: "an organisation name is 2 to 30 characters: letters a-z, digits, _ and -"
        case .reserved: "that name is reserved"
        }
    }
}
