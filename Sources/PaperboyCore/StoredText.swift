import Foundation

/// The text forms in which every store keeps a paper's list fields, one per column: SQLite and PostgreSQL store the
/// same text, so that a copy between them moves values unchanged and both read them back alike.
public enum StoredText {
    /// Author names, in order, separated by newlines (a name never holds one).
    public static func authorsText(_ authors: [String]) -> String { authors.joined(separator: "\n") }

    public static func authors(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Categories, primary first, separated by spaces.
    public static func categoriesText(_ categories: [String]) -> String { categories.joined(separator: " ") }

    public static func categories(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    /// Versions as `number,milliseconds,size` lines (size empty when unknown).
    public static func versionsText(_ versions: [PaperVersion]) -> String {
        versions.map { "\($0.number),\(Millis.of($0.submitted, rounding: .toNearestOrAwayFromZero)),\($0.size ?? "")" }
            .joined(separator: "\n")
    }

    /// Lines that are not versions (a database edited by hand) are left out.
    public static func versions(_ text: String) -> [PaperVersion] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let n = Int(parts[0]), let ms = Int64(parts[1]) else { return nil }
            return PaperVersion(number: n, submitted: Millis.date(ms), size: parts[2].isEmpty ? nil : String(parts[2]))
        }
    }

    /// Keywords, newline separated, empty for none.
    public static func keywords(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
    }

    public static func keywordsText(_ keywords: [String]) -> String {
        keywords.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") }.filter { !$0.isEmpty }
            .joined(separator: "\n")
    }

    /// A person read as `username\nfullname` (a username has no newline).
    public static func person(_ text: String) -> Person? {
        guard let newline = text.firstIndex(of: "\n") else { return nil }
        return Person(username: String(text[..<newline]), fullname: String(text[text.index(after: newline)...]))
    }

    /// The key sentence a paper is stored with until it is embedded: the first sentence of its abstract
    /// (``KeySentence/first(of:)``), nil for an empty abstract.
    public static func firstSentence(_ abstract: String) -> String? {
        let sentence = KeySentence.first(of: abstract)
        return sentence.isEmpty ? nil : sentence
    }

    /// A paper's accepted claims as a store's query gives them: a JSON array of `[author index, username, full name,
    /// commented]` arrays (`commented` 1 when the claimant has a visible comment on the paper), or nil for none. In
    /// author order. Throws ``StoredRowError`` when the text is not that (a database edited by hand).
    public static func claims(_ json: String?) throws -> [ClaimEntry] {
        // Most papers have no claim: no decoding for them.
        guard let json, json != "[]" else { return [] }
        do {
            return try JSONDecoder().decode([ClaimEntry].self, from: Data(json.utf8))
                .sorted { $0.claimed.index < $1.claimed.index }
        } catch {
            throw StoredRowError(description: "a paper's claimed authors cannot be read: \(error)")
        }
    }

    /// One accepted claim of ``claims(_:)``.
    public struct ClaimEntry: Decodable, Sendable {
        public let claimed: ClaimedAuthor
        public let commented: Bool

        public init(from decoder: any Decoder) throws {
            var values = try decoder.unkeyedContainer()
            let index = try values.decode(Int.self)
            let person = Person(username: try values.decode(String.self), fullname: try values.decode(String.self))
            claimed = ClaimedAuthor(index: index, person: person)
            commented = try values.decode(Int.self) != 0
        }
    }
}

/// A stored value that cannot be what it should (a database edited by hand).
public struct StoredRowError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
