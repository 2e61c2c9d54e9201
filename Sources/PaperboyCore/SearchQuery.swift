/// A parsed keyword query. Parsing never fails: whatever a person types becomes terms, filters,
/// or a note in ``problems`` saying what was ignored and why.
///
/// Syntax: words; `"exact phrases"`; `word*` for a prefix; `-word` to exclude; filters
/// `author:Name` (or `author:"Full Name"`), `cat:cs.LG`, `after:YYYY-MM-DD` (on or after) and
/// `before:YYYY-MM-DD` (strictly before). Operators and punctuation are plain text.
public struct SearchQuery: Hashable, Sendable {
    public struct Term: Hashable, Sendable {
        /// The words of the term, lowercased, separated by single spaces.
        public var words: [String]
        public var isPhrase: Bool
        public var isPrefix: Bool

        public init(words: [String], isPhrase: Bool = false, isPrefix: Bool = false) {
            self.words = words
            self.isPhrase = isPhrase
            self.isPrefix = isPrefix
        }
    }

    public var terms: [Term] = []
    public var excluded: [Term] = []
    public var authors: [String] = []
    public var categories: [String] = []
    /// Featured on or after this day.
    public var after: Day?
    /// Featured strictly before this day.
    public var before: Day?
    /// Parts of the input that were ignored, in words for the person who typed them.
    public var problems: [String] = []
    /// Match papers with any of the terms (ranked by BM25) instead of all of them. Hybrid search asks this of its
    /// keyword half, so that a question in a person's own words still brings keyword evidence.
    public var matchesAnyTerm = false
    /// How matches are ordered (set by the page or API, not by the query text).
    public var sort: SearchSort = .relevance

    public init() {}

    /// The same query matching any of its terms, with common English words left out.
    public var anyTerm: SearchQuery {
        var copy = self
        copy.matchesAnyTerm = true
        let kept = terms.filter { $0.isPhrase || !($0.words.count == 1 && SearchQuery.stopWords.contains($0.words[0])) }
        copy.terms = kept.isEmpty ? terms : kept
        return copy
    }

    /// Words too common to be evidence on their own.
    public static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "how", "if", "in",
        "into", "is", "it", "its", "not", "of", "on", "one", "or", "so", "such", "than", "that", "the", "their", "them",
        "then", "there", "these", "they", "this", "to", "was", "we", "what", "when", "where", "which", "while", "who",
        "why", "will", "with", "without", "would", "you",
    ]

    /// True when there is nothing to search for and nothing to filter by.
    public var isEmpty: Bool { terms.isEmpty && authors.isEmpty && categories.isEmpty && after == nil && before == nil }

    /// Every word to highlight in results.
    public var highlightWords: [String] { terms.flatMap(\.words) }

    public init(parsing input: String) {
        let text = String(input.prefix(500))
        var tokens: [(text: String, quoted: Bool, negated: Bool, field: String?)] = []
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c.isWhitespace {
                i = text.index(after: i)
                continue
            }
            var negated = false
            var field: String?
            var start = i
            if c == "-" {
                negated = true
                start = text.index(after: i)
            }
            // A field prefix: letters then a colon.
            var j = start
            while j < text.endIndex, text[j].isLetter, text[j].isASCII { j = text.index(after: j) }
            if j < text.endIndex, text[j] == ":", j > start {
                let name = text[start..<j].lowercased()
                if ["author", "cat", "before", "after"].contains(name) {
                    field = name
                    start = text.index(after: j)
                }
            }
            if start < text.endIndex, text[start] == "\"" {
                let open = text.index(after: start)
                let close = text[open...].firstIndex(of: "\"") ?? text.endIndex
                tokens.append((String(text[open..<close]), true, negated, field))
                i = close < text.endIndex ? text.index(after: close) : close
            } else {
                let end = text[start...].firstIndex(where: \.isWhitespace) ?? text.endIndex
                tokens.append((String(text[start..<end]), false, negated, field))
                i = end
            }
        }

        for token in tokens {
            switch token.field {
            case "author":
                let name = token.text.trimmingASCIIWhitespace()
                if !name.isEmpty { authors.append(name) }
            case "cat":
                let cat = token.text.trimmingASCIIWhitespace()
                if !cat.isEmpty { categories.append(cat) }
            case "before", "after":
                let field = token.field!
                if let day = SearchQuery.parseDay(token.text) {
                    if field == "before" { before = day } else { after = day }
                } else {
                    problems.append("Ignored \(field):\(token.text): dates are written YYYY-MM-DD.")
                }
            default:
                let prefix = !token.quoted && token.text.hasSuffix("*")
                let words = SearchQuery.words(in: token.text)
                guard !words.isEmpty else { continue }
                let term = Term(words: words, isPhrase: token.quoted, isPrefix: prefix)
                if token.negated { excluded.append(term) } else { terms.append(term) }
            }
        }
        if terms.isEmpty && !excluded.isEmpty {
            problems.append("Excluding words needs at least one word to search for.")
            excluded = []
        }
    }

    /// Accepts `YYYY-MM-DD`, `YYYY-MM` and `YYYY` (the first day of the month or year).
    static func parseDay(_ s: String) -> Day? {
        if let d = Day(iso: s) { return d }
        if let m = Month(iso: s) { return m.days.lowerBound }
        if s.utf8.count == 4, let y = Int(s), Day.supportedYears.contains(y) { return Day(year: y, month: 1, day: 1) }
        return nil
    }

    /// Splits text into lowercased words of letters and digits, the way the full-text index does.
    public static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current.lowercased())
                current = ""
            }
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        return Array(words.prefix(32))
    }
}

/// Text with marked matches, for safe rendering: a template escapes each segment and emphasises hits.
public struct Highlighted: Hashable, Sendable {
    public struct Segment: Hashable, Sendable {
        public var text: String
        public var isMatch: Bool

        public init(text: String, isMatch: Bool) {
            self.text = text
            self.isMatch = isMatch
        }
    }

    public var segments: [Segment]

    public init(segments: [Segment]) { self.segments = segments }

    public init(plain text: String) { segments = text.isEmpty ? [] : [Segment(text: text, isMatch: false)] }

    public var plainText: String { segments.map(\.text).joined() }

    public var matchedWords: [String] { segments.filter(\.isMatch).map(\.text) }
}
