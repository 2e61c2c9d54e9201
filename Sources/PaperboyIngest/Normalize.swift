import Foundation

/// Text normalisation shared by every parser: whitespace, TeX accents in names, author lists, categories.
public enum Normalize {
    // MARK: Whitespace

    /// Collapses every run of whitespace (spaces, tabs, line breaks) to one space and trims both ends.
    /// TeX and everything else is kept as is.
    public static func collapseWhitespace(_ text: String) -> String {
        var copy = text
        return copy.withUTF8 { bytes in
            if !needsCollapsing(bytes) { return text }
            var out = [UInt8]()
            out.reserveCapacity(bytes.count)
            collapse(bytes, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C }

    static func needsCollapsing(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        if isSpace(first) || isSpace(last) { return true }
        var previousSpace = false
        for b in bytes {
            if isSpace(b) {
                if previousSpace || b != 0x20 { return true }
                previousSpace = true
            } else {
                previousSpace = false
            }
        }
        return false
    }

    /// Appends `bytes` with whitespace runs collapsed and the ends trimmed.
    static func collapse(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var pendingSpace = false
        var started = false
        for b in bytes {
            if isSpace(b) {
                pendingSpace = started
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                started = true
                out.append(b)
            }
        }
    }

    /// Nil for nil, empty or all-whitespace text; otherwise the text with whitespace collapsed.
    public static func optional(_ text: String?) -> String? {
        guard let text else { return nil }
        let collapsed = collapseWhitespace(text)
        return collapsed.isEmpty ? nil : collapsed
    }

    // MARK: Categories

    /// Splits space-separated categories, keeping the order (primary first) and dropping repeats.
    public static func categories(_ text: String) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        for part in text.utf8.split(whereSeparator: isSpace) {
            let category = String(decoding: part, as: UTF8.self)
            if seen.insert(category).inserted { result.append(category) }
        }
        return result
    }

    // MARK: TeX

    /// Decodes TeX accents and special letters (`Bal\'azs` → `Balázs`, `{\o}` → `ø`, `\v{s}` → `š`),
    /// removes grouping braces, collapses whitespace and returns NFC text. Meant for names, not for
    /// titles or abstracts (whose math must stay as written).
    ///
    /// One pass over the text with an explicit stack of open groups, so any nesting depth takes linear time
    /// and no recursion.
    public static func decodeTeX(_ text: String) -> String {
        let hasMarkup = text.utf8.contains {
            $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}")
        }
        if !hasMarkup {
            let collapsed = collapseWhitespace(text)
            return nfc(collapsed)
        }
        let input = Array(text.unicodeScalars)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(input.count)
        /// An open `{`: plain grouping, or the argument of an accent (its mark and the accent character).
        struct Group {
            var accent: (mark: Unicode.Scalar, symbol: Unicode.Scalar?)?
            /// Where the group's text starts in `out`.
            var start: Int
        }
        var groups: [Group] = []
        /// How many of `groups` are accent arguments, and where the innermost one starts in `out`.
        var accentDepth = 0
        var accentStarts: [Int] = []
        var i = 0

        /// Appends to the output. Inside an accent's argument a dotless i or j becomes a plain one (`\'{\i}` is
        /// `í`) and whitespace at the start of the argument is left out, so closing a group never has to go back
        /// over its text: every step is constant time, whatever the nesting.
        func emit(_ c: Unicode.Scalar) {
            guard accentDepth > 0 else {
                out.append(c)
                return
            }
            if isSpaceScalar(c), out.count == accentStarts.last { return }
            out.append(c == "\u{131}" ? "i" : c == "\u{237}" ? "j" : c)
        }

        func skipSpaces() {
            while i < input.count, input[i] == " " || input[i] == "\n" || input[i] == "\t" { i += 1 }
        }

        /// The name of the control word at `start`: up to three ASCII letters (longer names are unknown anyway).
        func commandName(at start: Int) -> String {
            var j = start
            var name = ""
            while j < input.count, j - start < 3, input[j].isASCII, input[j].properties.isAlphabetic {
                name.unicodeScalars.append(input[j])
                j += 1
            }
            return name
        }

        func open(accent: (mark: Unicode.Scalar, symbol: Unicode.Scalar?)?) {
            groups.append(Group(accent: accent, start: out.count))
            if accent != nil {
                accentDepth += 1
                accentStarts.append(out.count)
            }
        }

        /// Closes the innermost group. For an accent's argument: trailing whitespace dropped, then the combining
        /// mark; an empty argument leaves the accent character itself (`\'{}` is `'`), or nothing for a letter
        /// accent (`\c{}`).
        func close() {
            guard let group = groups.popLast(), let accent = group.accent else { return }
            accentDepth -= 1
            accentStarts.removeLast()
            while out.count > group.start, let last = out.last, isSpaceScalar(last) { out.removeLast() }
            if out.count > group.start {
                out.append(accent.mark)
            } else if let symbol = accent.symbol {
                emit(symbol)
            }
        }

        /// After an accent command: the argument is a group (decoded by the main loop until its `}`), `\i`,
        /// `\j`, or one character. Another command as argument leaves the accent character as written.
        func accent(mark: Unicode.Scalar, symbol: Unicode.Scalar?) {
            guard i < input.count else {
                if let symbol { emit(symbol) }
                return
            }
            if input[i] == "{" {
                open(accent: (mark, symbol))
                i += 1
                return
            }
            if input[i] == "\\" {
                let name = commandName(at: i + 1)
                if name == "i" || name == "j" {
                    i += 1 + name.count
                    if i < input.count, input[i] == " " { i += 1 }
                    emit(name == "i" ? "i" : "j")
                    out.append(mark)
                } else if let symbol {
                    emit(symbol)
                }
                return
            }
            emit(input[i])
            out.append(mark)
            i += 1
        }

        while i < input.count {
            let c = input[i]
            if c == "{" {
                open(accent: nil)
                i += 1
                continue
            }
            if c == "}" {
                // An unmatched `}` is dropped like any grouping brace.
                close()
                i += 1
                continue
            }
            guard c == "\\", i + 1 < input.count else {
                emit(c)
                i += 1
                continue
            }
            let next = input[i + 1]
            if let mark = symbolAccents[next] {
                i += 2
                skipSpaces()
                accent(mark: mark, symbol: next)
                continue
            }
            let name = commandName(at: i + 1)
            if name.isEmpty {
                // `\&`, `\_`, `\ ` and the like: the character itself.
                emit(next)
                i += 2
                continue
            }
            if name.count == 1, let mark = letterAccents[name] {
                let after = i + 2
                if after < input.count, input[after] == "{" || input[after] == " " {
                    i = after
                    skipSpaces()
                    accent(mark: mark, symbol: nil)
                    continue
                }
            }
            if let letter = specialLetters[name] {
                i += 1 + name.count
                // A space or `{}` after a control word only ends it.
                if i + 1 < input.count, input[i] == "{", input[i + 1] == "}" {
                    i += 2
                } else if i < input.count, input[i] == " " {
                    i += 1
                }
                for scalar in letter.unicodeScalars { emit(scalar) }
                continue
            }
            // Unknown command: keep it as written.
            emit(c)
            i += 1
        }
        // Groups still open at the end close there, innermost first.
        while !groups.isEmpty { close() }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: out)
        return nfc(collapseWhitespace(String(result)))
    }

    private static func isSpaceScalar(_ c: Unicode.Scalar) -> Bool { c.isASCII && isSpace(UInt8(c.value)) }

    static let symbolAccents: [Unicode.Scalar: Unicode.Scalar] = [
        "'": "\u{301}", "`": "\u{300}", "^": "\u{302}", "\"": "\u{308}", "~": "\u{303}", "=": "\u{304}",
        ".": "\u{307}",
    ]

    static let letterAccents: [String: Unicode.Scalar] = [
        "c": "\u{327}", "v": "\u{30C}", "u": "\u{306}", "H": "\u{30B}", "k": "\u{328}", "r": "\u{30A}",
        "d": "\u{323}", "b": "\u{331}",
    ]

    static let specialLetters: [String: String] = [
        "aa": "å", "AA": "Å", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
        "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
    ]

    // MARK: Authors

    /// Splits an arXiv `authors` string into names: commas and "and" separate names, parenthesised
    /// affiliations are dropped, TeX accents decoded. `Jr.`-style suffixes stay with their name.
    public static func splitAuthors(_ text: String) -> [String] { splitAuthors(text, limit: .max) }

    /// ``splitAuthors(_:)`` that stops after `limit + 1` names, so a caller can refuse a list that is too long
    /// without building all of it.
    static func splitAuthors(_ text: String, limit: Int) -> [String] {
        // Work on bytes: drop parenthesised parts (nested too), turn line breaks into spaces.
        var flat: [UInt8] = []
        flat.reserveCapacity(text.utf8.count)
        var depth = 0
        for b in text.utf8 {
            if b == UInt8(ascii: "(") {
                depth += 1
            } else if b == UInt8(ascii: ")") {
                if depth > 0 { depth -= 1 }
            } else if depth == 0 {
                flat.append(isSpace(b) ? 0x20 : b)
            }
        }
        var names: [String] = []
        func add(_ start: Int, _ end: Int) {
            guard names.count <= limit else { return }
            var s = start
            var e = end
            while s < e, flat[s] == 0x20 { s += 1 }
            while e > s, flat[e - 1] == 0x20 { e -= 1 }
            // A leading "and " (", and Name").
            if e - s >= 4, flat[s] == UInt8(ascii: "a"), flat[s + 1] == UInt8(ascii: "n"),
                flat[s + 2] == UInt8(ascii: "d"),
                flat[s + 3] == 0x20
            {
                s += 4
            }
            if e - s == 3, flat[s] == UInt8(ascii: "a"), flat[s + 1] == UInt8(ascii: "n"),
                flat[s + 2] == UInt8(ascii: "d")
            {
                return
            }
            guard s < e else { return }
            let name = flat[s..<e].withUnsafeBufferPointer { cleanName($0) }
            guard !name.isEmpty else { return }
            if suffixes.contains(name), let last = names.indices.last {
                names[last] += " " + name
            } else {
                names.append(name)
            }
        }
        var start = 0
        var i = 0
        let n = flat.count
        while i < n, names.count <= limit {
            let b = flat[i]
            if b == UInt8(ascii: ",") {
                add(start, i)
                start = i + 1
            } else if b == 0x20, i + 4 < n, flat[i + 1] == UInt8(ascii: "a"), flat[i + 2] == UInt8(ascii: "n"),
                flat[i + 3] == UInt8(ascii: "d"), flat[i + 4] == 0x20
            {
                add(start, i)
                start = i + 5
                i += 4
            }
            i += 1
        }
        add(start, n)
        return names
    }

    /// A name from bytes: whitespace collapsed, TeX decoded when there is any, NFC.
    static func cleanName(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var hasMarkup = false
        var ascii = true
        for b in bytes {
            if b == UInt8(ascii: "\\") || b == UInt8(ascii: "{") || b == UInt8(ascii: "}") { hasMarkup = true }
            if b >= 0x80 { ascii = false }
        }
        var raw: String
        if needsCollapsing(bytes) {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            collapse(bytes, into: &out)
            raw = String(decoding: out, as: UTF8.self)
        } else {
            raw = String(decoding: bytes, as: UTF8.self)
        }
        if hasMarkup { return decodeTeX(raw) }
        if !ascii { raw = nfc(raw) }
        return raw
    }

    /// NFC, skipping the (slow) Foundation call when no scalar could change.
    static func nfc(_ text: String) -> String {
        text.unicodeScalars.allSatisfy({ $0.value < 0x300 }) ? text : text.precomposedStringWithCanonicalMapping
    }

    static let suffixes: Set<String> = ["Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"]

    /// `[last, first, suffix, ...]` → `first last suffix`, TeX decoded.
    public static func name(fromParsed parts: [String]) -> String {
        let last = parts.count > 0 ? parts[0] : ""
        let first = parts.count > 1 ? parts[1] : ""
        let suffix = parts.count > 2 ? parts[2] : ""
        return decodeTeX([first, last, suffix].filter { !$0.isEmpty }.joined(separator: " "))
    }

    /// The author list of a record: the names as the `authors` string writes them, unless they disagree
    /// in number with `authors_parsed` (a sign that splitting the string failed), in which case the parsed
    /// names are used.
    public static func authors(string: String?, parsed: [[String]]?) -> [String] {
        authors(string: string, parsed: parsed, limit: .max)
    }

    /// ``authors(string:parsed:)`` that splits the string into at most `limit + 1` names.
    static func authors(string: String?, parsed: [[String]]?, limit: Int) -> [String] {
        let fromString = string.map { splitAuthors($0, limit: limit) } ?? []
        guard let parsed, !parsed.isEmpty else { return fromString }
        if fromString.count == parsed.count { return fromString }
        return parsed.map(name(fromParsed:)).filter { !$0.isEmpty }
    }
}
