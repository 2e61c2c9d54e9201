/// An arXiv identifier without its version: `2511.01234` (new style) or `hep-th/9901001` (old style).
///
/// The id is the key of a paper everywhere in Paperboy; versions are data of the paper.
public struct PaperID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Builds an id from a string that is known to be a valid, unversioned arXiv id.
    /// Use ``parse(_:)`` for untrusted input.
    public init?(_ string: String) {
        guard let parsed = PaperID.parse(string), parsed.version == nil else { return nil }
        self = parsed.id
    }

    private init(unchecked: String) { rawValue = unchecked }

    /// An id a store reads back from its own rows, where only valid ids were ever written.
    public init(storedValue: String) { rawValue = storedValue }

    public var description: String { rawValue }

    /// True for old-style ids (`hep-th/9901001`).
    public var isOldStyle: Bool { rawValue.contains("/") }

    public static func < (lhs: PaperID, rhs: PaperID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let id = PaperID(string) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an arXiv id: \(string)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Parses an arXiv id as people and feeds write it: an optional `arXiv:` prefix or
    /// `http(s)://arxiv.org/abs/` link (in any case), an optional version suffix (`v2`), and either style.
    /// Returns nil for anything that is not an arXiv id.
    public static func parse(_ input: String) -> (id: PaperID, version: Int?)? {
        var s = Substring(input.trimmingASCIIWhitespace())
        // Every prefix starts with an `a` or an `h`: a plain id (the ingest path) is not lowercased four times.
        if let first = s.utf8.first, first | 0x20 == UInt8(ascii: "a") || first | 0x20 == UInt8(ascii: "h") {
            for prefix in ["https://arxiv.org/abs/", "http://arxiv.org/abs/", "arxiv.org/abs/", "arxiv:"]
            where s.utf8.count >= prefix.utf8.count && s.prefix(prefix.count).lowercased() == prefix {
                s = s.dropFirst(prefix.count)
                break
            }
        }
        guard !s.isEmpty, s.count <= 40 else { return nil }
        var version: Int?
        if let v = s.lastIndex(of: "v"), v != s.startIndex {
            let digits = s[s.index(after: v)...]
            if !digits.isEmpty, digits.count <= 4, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits),
                number >= 1, s[s.index(before: v)].isASCIIDigit
            {
                version = number
                s = s[..<v]
            }
        }
        let body = String(s)
        if isNewStyle(body) || isOldStyle(body) {
            return (PaperID(unchecked: body), version)
        }
        return nil
    }

    /// `YYMM.NNNN` (2007–2014) or `YYMM.NNNNN` (2015 on).
    private static func isNewStyle(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy(\.isASCIIDigit),
            parts[1].count == 4 || parts[1].count == 5, parts[1].allSatisfy(\.isASCIIDigit)
        else { return false }
        let month = Int(parts[0].suffix(2)) ?? 0
        return (1...12).contains(month)
    }

    /// `archive(.SUBJ)?/YYMMNNN`, e.g. `hep-th/9901001`, `math.GT/0309136`.
    private static func isOldStyle(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 7, parts[1].allSatisfy(\.isASCIIDigit) else { return false }
        let archive = parts[0]
        guard let first = archive.first, first.isASCIILowercaseLetter, archive.count <= 24 else { return false }
        return archive.allSatisfy { $0.isASCIILowercaseLetter || $0 == "-" || $0 == "." || $0.isASCIIUppercaseLetter }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILowercaseLetter: Bool { ("a"..."z").contains(self) }
    var isASCIIUppercaseLetter: Bool { ("A"..."Z").contains(self) }
}

extension StringProtocol {
    /// Trims spaces, tabs and newlines at both ends.
    public func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}

extension PaperID {
    /// The paper's abstract page on arXiv.
    public var arxivAbstractURL: String { "https://arxiv.org/abs/\(rawValue)" }
    /// The paper's PDF on arXiv.
    public var arxivPDFURL: String { "https://arxiv.org/pdf/\(rawValue)" }
}
