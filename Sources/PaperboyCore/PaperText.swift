import Foundation

// What is read out of a paper's own text: the code repository it names, when it was withdrawn, its sentences.

extension Paper {
    /// The first GitHub repository the abstract names, else the first the arXiv comments name, as
    /// `https://github.com/owner/repo` (see ``GitHubRepository/first(in:)``).
    public var foundGitHubRepository: String? {
        GitHubRepository.first(in: abstract) ?? comments.flatMap(GitHubRepository.first(in:))
    }

    /// When the paper was withdrawn: the latest version's submission time when ``isWithdrawn``, else nil.
    public var withdrawnAt: Date? {
        isWithdrawn ? versions.last?.submitted : nil
    }
}

/// GitHub repository links in free text.
public enum GitHubRepository {
    /// First path segments of github.com that are GitHub's own pages, not accounts.
    static let reservedOwners: Set<String> = [
        "about", "apps", "collections", "contact", "customer-stories", "enterprise", "events", "explore", "features",
        "issues", "login", "marketplace", "new", "notifications", "orgs", "organizations", "pricing", "pulls", "search",
        "security", "settings", "site", "sponsors", "topics", "trending", "users",
    ]

    /// The first repository URL in `text`, as `https://github.com/owner/repo`: written with `https://`, `http://`
    /// or no scheme, with or without `www.`; the path after the repository, a query, a fragment, `.git` and
    /// trailing punctuation (`.`, `,`, `)`, `}`, `]`, …) are left out, and TeX's `\_` is read as `_`. An account
    /// alone (`github.com/owner`), GitHub's own pages (`github.com/features/…`), other hosts ending in github.com
    /// (`gist.github.com`) and GitHub Pages (`owner.github.io`) are not repositories.
    public static func first(in text: String) -> String? {
        // TeX's `\_` read as `_`, on the bytes (no Foundation: this runs for every paper an answer shows).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if previous == UInt8(ascii: "\\"), byte == UInt8(ascii: "_") { bytes.removeLast() }
            bytes.append(byte)
            previous = byte
        }
        let host = Array("github.com/".utf8)
        var index = 0
        while index + host.count <= bytes.count {
            defer { index += 1 }
            guard matches(bytes, at: index, host) else { continue }
            var start = index
            if start >= 4, matches(bytes, at: start - 4, Array("www.".utf8)) { start -= 4 }
            if start >= 8, matches(bytes, at: start - 8, Array("https://".utf8)) {
                start -= 8
            } else if start >= 7, matches(bytes, at: start - 7, Array("http://".utf8)) {
                start -= 7
            }
            if start > 0 {
                let before = bytes[start - 1]
                if isWordByte(before) || before == UInt8(ascii: ".") || before == UInt8(ascii: "/")
                    || before == UInt8(ascii: "@")
                {
                    continue
                }
            }
            var position = index + host.count
            let owner = take(bytes, from: &position) { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
            guard !owner.isEmpty, owner.count <= 39, position < bytes.count, bytes[position] == UInt8(ascii: "/")
            else { continue }
            position += 1
            var repository = take(bytes, from: &position) { isWordByte($0) || $0 == UInt8(ascii: ".") }
            while repository.hasSuffix(".") { repository.removeLast() }
            if repository.lowercased().hasSuffix(".git") { repository.removeLast(4) }
            while repository.hasSuffix(".") { repository.removeLast() }
            guard !repository.isEmpty, !reservedOwners.contains(owner.lowercased()) else { continue }
            return "https://github.com/\(owner)/\(repository)"
        }
        return nil
    }

    /// Whether `bytes` holds `pattern` at `index`, ASCII letters in any case (`pattern` is lowercase).
    static func matches(_ bytes: [UInt8], at index: Int, _ pattern: [UInt8]) -> Bool {
        guard index >= 0, index + pattern.count <= bytes.count else { return false }
        for (offset, expected) in pattern.enumerated() {
            var byte = bytes[index + offset]
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte += 32 }
            if byte != expected { return false }
        }
        return true
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Letters, digits, `-` and `_`: what a repository name is made of, besides dots.
    static func isWordByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    static func take(_ bytes: [UInt8], from position: inout Int, while accepted: (UInt8) -> Bool) -> String {
        let start = position
        while position < bytes.count, accepted(bytes[position]) { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }
}

/// The sentences of an abstract, and the key sentence chosen without a model: the first.
public enum KeySentence {
    /// The longest key sentence, in characters (a longer one is cut at a word and ends in "…").
    public static let maxLength = 300

    /// Abbreviations after which a period does not end a sentence (lowercased, without the final period).
    static let abbreviations: Set<String> = [
        // Journals in citations ("Phys. Rev. Lett.", "J. Am. Chem. Soc.", "Astrophys. J.").
        "phys", "rev", "lett", "soc", "am", "proc", "nucl", "astrophys", "astron", "mon", "not", "roy", "mod", "conf",
        "theor", "comput", "natl", "acad", "sci", "trans", "ann", "appl", "chem", "biol", "mech", "stat", "eur",
        "int", "math", "commun", "opt", "res",
        "e.g", "i.e", "al", "cf", "vs", "viz", "fig", "figs", "eq", "eqs", "sec", "secs", "ref", "refs", "tab",
        "thm", "lem", "prop", "def", "cor", "alg", "app", "appx", "ch", "chap", "no", "nos", "vol", "pp", "approx",
        "resp", "dr", "prof", "mr", "mrs", "ms", "st", "jr", "inc", "ltd", "co", "corp", "ca", "w.r.t", "a.k.a",
        "i.i.d",
        "u.s", "u.k", "e.v", "ph.d",
    ]

    /// The text's sentences, trimmed, in order. A sentence ends at `.`, `!` or `?` (with any closing quotes or
    /// brackets after it) followed by whitespace and something other than a lowercase letter; not after an
    /// abbreviation ("e.g.", "i.e.", "et al.", "Fig.", "Eq.", "cf.", …) or an initial ("J. Smith"), and never inside
    /// TeX between `$…$` or `$$…$$`. Decimals (3.5) and URLs have no space after their periods.
    public static func sentences(of text: String) -> [String] { sentences(of: text, atMost: .max) }

    /// The first `limit` sentences (``sentences(of:)``), found without reading further.
    static func sentences(of text: String, atMost limit: Int) -> [String] {
        let scalars = Array(text.unicodeScalars)
        // Where each scalar starts in the UTF-8 bytes, so that a sentence is copied out of them in one piece.
        let bytes = Array(text.utf8)
        var starts: [Int] = []
        starts.reserveCapacity(scalars.count + 1)
        var offset = 0
        for scalar in scalars {
            starts.append(offset)
            offset += UTF8.width(scalar)
        }
        starts.append(offset)
        let math = mathMask(scalars)
        var sentences: [String] = []
        func add(_ range: Range<Int>) {
            // Trimmed of White_Space (what Foundation's whitespacesAndNewlines holds), without bridging to NSString.
            var lower = range.lowerBound
            var upper = range.upperBound
            while lower < upper, scalars[lower].properties.isWhitespace { lower += 1 }
            while upper > lower, scalars[upper - 1].properties.isWhitespace { upper -= 1 }
            if lower < upper { sentences.append(String(decoding: bytes[starts[lower]..<starts[upper]], as: UTF8.self)) }
        }
        func isEnd(_ scalar: Unicode.Scalar) -> Bool { scalar == "." || scalar == "!" || scalar == "?" }
        func isClosing(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case ")", "]", "\"", "'", "\u{201D}", "\u{2019}": true
            default: false
            }
        }
        var start = 0
        var index = 0
        while index < scalars.count, sentences.count < limit {
            let scalar = scalars[index]
            guard !math[index], isEnd(scalar) else {
                index += 1
                continue
            }
            var end = index + 1
            while end < scalars.count, isEnd(scalars[end]) { end += 1 }
            while end < scalars.count, isClosing(scalars[end]) { end += 1 }
            var next = end
            while next < scalars.count, scalars[next].properties.isWhitespace { next += 1 }
            defer { index = end }
            guard next > end, next < scalars.count, !scalars[next].properties.isLowercase else { continue }
            if scalar == ".", scalars[index + 1] != ".", isAbbreviation(scalars, before: index) { continue }
            // A single word ("Context.", "Aims." in structured abstracts) opens the next sentence.
            if !scalars[start..<index].contains(where: \.properties.isWhitespace) { continue }
            add(start..<end)
            start = next
        }
        if sentences.count < limit { add(start..<scalars.count) }
        return sentences
    }

    /// The key sentence without a model: the first sentence, cut to at most ``maxLength`` characters at a word
    /// boundary (outside TeX) with "…" at the end. Empty for an empty text.
    public static func first(of text: String) -> String {
        guard let sentence = sentences(of: text, atMost: 1).first else { return "" }
        return shortened(sentence)
    }

    /// `sentence` itself when it has at most ``maxLength`` characters; else its longest start of whole words that,
    /// with "…", has at most that many, cut before an unclosed `$`.
    public static func shortened(_ sentence: String) -> String {
        // No more scalars than the limit: no more characters either (a character holds at least one scalar).
        guard sentence.unicodeScalars.count > maxLength else { return sentence }
        let characters = Array(sentence)
        guard characters.count > maxLength else { return sentence }
        var end = maxLength - 1
        if !characters[end].isWhitespace, let space = characters[..<end].lastIndex(where: \.isWhitespace) {
            end = space
        }
        var cut = String(characters[..<end])
        // Not inside TeX: before the formula the cut falls in, if any.
        let scalars = Array(sentence.unicodeScalars)
        let cutEnd = cut.unicodeScalars.count
        if let formula = mathRanges(scalars).first(where: { $0.lowerBound < cutEnd && cutEnd < $0.upperBound }),
            formula.lowerBound > 0
        {
            cut = String(String.UnicodeScalarView(scalars[..<formula.lowerBound]))
        }
        while let last = cut.unicodeScalars.last, last.properties.isWhitespace || [",", ";", ":"].contains(last) {
            cut.unicodeScalars.removeLast()
        }
        return cut + "…"
    }

    /// Whether the word before the period at `index` is an abbreviation or an initial.
    static func isAbbreviation(_ scalars: [Unicode.Scalar], before index: Int) -> Bool {
        var start = index
        while start > 0, !scalars[start - 1].properties.isWhitespace,
            !["(", "[", "\"", "'"].contains(scalars[start - 1])
        {
            start -= 1
        }
        let word = String(String.UnicodeScalarView(scalars[start..<index]))
        if word.count == 1, let letter = word.unicodeScalars.first, letter.properties.isUppercase { return true }
        return abbreviations.contains(word.lowercased())
    }

    /// For each scalar, whether it is inside TeX (see ``mathRanges(_:)``).
    public static func mathMask(_ scalars: [Unicode.Scalar]) -> [Bool] {
        var mask = [Bool](repeating: false, count: scalars.count)
        for range in mathRanges(scalars) {
            for position in range { mask[position] = true }
        }
        return mask
    }

    /// Longest TeX between `$…$` and between `$$…$$`, in scalars; a `$` with no partner within it is a dollar.
    static let maxInlineMath = 200
    static let maxDisplayMath = 1_000

    /// Where TeX is, delimiters included: a `$` (or `$$`), not after a backslash, with the next of its kind within
    /// ``maxInlineMath`` (``maxDisplayMath``) scalars. A delimiter without a partner is a dollar, so a stray `$`
    /// in a broken abstract does not swallow the rest.
    static func mathRanges(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var delimiters: [Range<Int>] = []
        var index = 0
        while index < scalars.count {
            if scalars[index] == "$", index == 0 || scalars[index - 1] != "\\" {
                let length = index + 1 < scalars.count && scalars[index + 1] == "$" ? 2 : 1
                delimiters.append(index..<(index + length))
                index += length
            } else {
                index += 1
            }
        }
        var ranges: [Range<Int>] = []
        var opener = 0
        while opener < delimiters.count {
            let open = delimiters[opener]
            let limit = open.count == 2 ? maxDisplayMath : maxInlineMath
            var closer = opener + 1
            while closer < delimiters.count, delimiters[closer].count != open.count,
                delimiters[closer].lowerBound - open.upperBound <= limit
            {
                closer += 1
            }
            if closer < delimiters.count, delimiters[closer].lowerBound - open.upperBound <= limit {
                ranges.append(open.lowerBound..<delimiters[closer].upperBound)
                opener = closer + 1
            } else {
                opener += 1
            }
        }
        return ranges
    }
}
