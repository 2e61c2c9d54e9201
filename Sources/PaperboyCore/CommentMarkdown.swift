import Foundation

/// Renders a comment's small Markdown subset to HTML that is safe to put in a page as it is.
///
/// Everything is escaped (`&`, `<`, `>`, `"`, `'`); the only markup that comes out is:
/// - paragraphs (`<p>`, separated by blank lines) and line breaks (`<br>`, a single newline);
/// - `*emphasis*` and `_emphasis_` (`<em>`), `**strong**` and `__strong__` (`<strong>`), with CommonMark's
///   flanking rules (`snake_case_names` stay as they are; runs of three or more stay as text);
/// - `` `inline code` `` (`<code>`) and fenced code blocks between lines of three or more backticks
///   (`<pre><code>`; the info string after the opening fence is dropped, an unclosed fence runs to the end);
/// - links to `http://` and `https://` URLs only, written `[text](url)` or bare, as
///   `<a href="…" rel="nofollow ugc noopener">`; trailing punctuation (`.,;:!?'"*_~`, and `)`, `]`, `}` that
///   do not close a bracket inside the URL) is not part of a bare URL; any other scheme or a relative link is text;
/// - TeX between `$…$` (a `$` followed by a non-space, closed by a `$` after a non-space that is not followed by a
///   digit, so "$5 and $10" is text) or `$$…$$`, kept verbatim with its delimiters in `<span class="tex">` or
///   `<span class="tex tex-display">` (no emphasis or links inside, as in code);
/// - `\*`, `\_`, `` \` `` and `\$` for the character itself.
///
/// Control characters (other than tab and newline) are dropped; `\r\n` and `\r` are newlines. Math and code spans
/// stay within a paragraph. The work is linear in the text up to logarithmic factors: every delimiter finds its
/// closer through tables made in one pass, never by scanning again.
public enum CommentMarkdown {
    /// The `rel` of every link.
    public static let linkRel = "nofollow ugc noopener"

    /// The HTML of a comment: blocks separated by newlines; empty for a blank comment.
    public static func html(_ text: String) -> String {
        let lines = self.lines(of: text)
        var blocks: [String] = []
        var paragraph: [Unicode.Scalar] = []
        func endParagraph() {
            guard !paragraph.isEmpty else { return }
            blocks.append("<p>" + Inline(paragraph).render() + "</p>")
            paragraph.removeAll()
        }
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if let fence = openingFence(line) {
                endParagraph()
                var body = ""
                index += 1
                var first = true
                while index < lines.count, !isClosingFence(lines[index], length: fence) {
                    if !first { body += "\n" }
                    first = false
                    appendEscaped(lines[index][...], to: &body)
                    index += 1
                }
                index += 1
                blocks.append("<pre><code>" + body + "</code></pre>")
                continue
            }
            let trimmed = trim(line)
            if trimmed.isEmpty {
                endParagraph()
            } else {
                if !paragraph.isEmpty { paragraph.append("\n") }
                paragraph.append(contentsOf: trimmed)
            }
            index += 1
        }
        endParagraph()
        return blocks.joined(separator: "\n")
    }

    /// The text's lines, with control characters other than tab dropped.
    static func lines(of text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        var line: [Unicode.Scalar] = []
        var afterCarriageReturn = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x0A, afterCarriageReturn {
                afterCarriageReturn = false
                continue
            }
            afterCarriageReturn = value == 0x0D
            if value == 0x0A || value == 0x0D {
                lines.append(line)
                line.removeAll(keepingCapacity: true)
            } else if value == 0x09 || !(value < 0x20 || (0x7F...0x9F).contains(value)) {
                line.append(scalar)
            }
        }
        lines.append(line)
        return lines
    }

    static func trim(_ line: [Unicode.Scalar]) -> ArraySlice<Unicode.Scalar> {
        var slice = line[...]
        while let first = slice.first, first.properties.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.properties.isWhitespace { slice.removeLast() }
        return slice
    }

    /// The number of backticks of an opening fence: up to three spaces, three or more backticks, then an info
    /// string without backticks (a line such as "```code```" is a code span, not a fence).
    static func openingFence(_ line: [Unicode.Scalar]) -> Int? {
        var index = 0
        while index < line.count, index < 3, line[index] == " " { index += 1 }
        var count = 0
        while index < line.count, line[index] == "`" {
            count += 1
            index += 1
        }
        guard count >= 3, !line[index...].contains("`") else { return nil }
        return count
    }

    /// Whether a line closes a fence of `length` backticks: only backticks (at least as many) and spaces.
    static func isClosingFence(_ line: [Unicode.Scalar], length: Int) -> Bool {
        let trimmed = trim(line)
        return trimmed.count >= length && trimmed.allSatisfy { $0 == "`" }
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped: safe in HTML text and quoted attribute values.
    public static func escaped(_ text: String) -> String {
        var out = ""
        appendEscaped(ArraySlice(Array(text.unicodeScalars)), to: &out)
        return out
    }

    static func appendEscaped(_ scalars: ArraySlice<Unicode.Scalar>, to out: inout String) {
        for scalar in scalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }

    /// ASCII punctuation, or a Unicode punctuation or symbol (CommonMark's "punctuation character").
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value) || (0x5B...0x60).contains(value)
                || (0x7B...0x7E).contains(value)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    /// Whether `scalars` is an http(s) URL with something that can start a host after the scheme.
    static func isWebURL(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let schemeLength = webSchemeLength(scalars) else { return false }
        let rest = scalars.dropFirst(schemeLength)
        guard let first = rest.first else { return false }
        return isAlphanumeric(first)
    }

    static let webSchemes: [[Unicode.Scalar]] = [Array("http://".unicodeScalars), Array("https://".unicodeScalars)]

    /// The length of `http://` or `https://` (any case) at the start of `scalars`.
    static func webSchemeLength(_ scalars: ArraySlice<Unicode.Scalar>) -> Int? {
        for expected in webSchemes {
            guard scalars.count >= expected.count else { continue }
            let matches = zip(scalars.prefix(expected.count), expected).allSatisfy { scalar, wanted in
                scalar == wanted
                    || (scalar.value >= 0x41 && scalar.value <= 0x5A && scalar.value + 0x20 == wanted.value)
            }
            if matches { return expected.count }
        }
        return nil
    }
}

extension CommentMarkdown {
    /// One paragraph's inline markup. The tables say where each kind of closer is, so that an opener finds its
    /// closer by a binary search instead of a scan.
    struct Inline {
        let text: [Unicode.Scalar]
        /// Starts of the maximal runs of backticks, by run length.
        let backtickRuns: [Int: [Int]]
        /// Positions of lone `$` that can close inline math.
        let mathClosers: [Int]
        /// Starts of `$$` runs (exactly two) that can close display math.
        let displayClosers: [Int]
        /// For each position, the first `[` at or after it (`text.count` when none).
        let nextOpenBracket: [Int]
        /// For each position, the first `]` at or after it (`text.count` when none).
        let nextCloseBracket: [Int]
        /// For each `(`, the position of its `)` with no whitespace between (-1 when none).
        let closingParenthesis: [Int]

        init(_ text: [Unicode.Scalar]) {
            self.text = text
            let count = text.count
            var backtickRuns: [Int: [Int]] = [:]
            var mathClosers: [Int] = []
            var displayClosers: [Int] = []
            var index = 0
            while index < count {
                let scalar = text[index]
                guard scalar == "`" || scalar == "$" else {
                    index += 1
                    continue
                }
                var end = index
                while end < count, text[end] == scalar { end += 1 }
                if scalar == "`" {
                    backtickRuns[end - index, default: []].append(index)
                } else {
                    // After a backslash the first dollar is escaped (`\$`); the others make the run.
                    let start = index > 0 && text[index - 1] == "\\" ? index + 1 : index
                    let length = end - start
                    if start > 0, length == 2 {
                        displayClosers.append(start)
                    } else if start > 0, length == 1, !isWhitespace(text[start - 1]),
                        end == count || !isDigit(text[end])
                    {
                        mathClosers.append(start)
                    }
                }
                index = end
            }
            var nextOpen = [Int](repeating: count, count: count + 1)
            var nextClose = [Int](repeating: count, count: count + 1)
            for position in stride(from: count - 1, through: 0, by: -1) {
                nextOpen[position] = text[position] == "[" ? position : nextOpen[position + 1]
                nextClose[position] = text[position] == "]" ? position : nextClose[position + 1]
            }
            var closing = [Int](repeating: -1, count: count)
            var open: [Int] = []
            for position in 0..<count {
                let scalar = text[position]
                if scalar == "(" {
                    open.append(position)
                } else if scalar == ")" {
                    if let opener = open.popLast() { closing[opener] = position }
                } else if isWhitespace(scalar) {
                    open.removeAll(keepingCapacity: true)
                }
            }
            self.backtickRuns = backtickRuns
            self.mathClosers = mathClosers
            self.displayClosers = displayClosers
            nextOpenBracket = nextOpen
            nextCloseBracket = nextClose
            closingParenthesis = closing
        }

        func render() -> String { render(0, text.count, links: true) }

        /// The first element of the sorted `positions` that is at least `lower`.
        static func first(in positions: [Int], atLeast lower: Int) -> Int? {
            var low = 0
            var high = positions.count
            while low < high {
                let middle = (low + high) / 2
                if positions[middle] < lower { low = middle + 1 } else { high = middle }
            }
            return low < positions.count ? positions[low] : nil
        }

        /// A piece of output: finished HTML, or a run of `*` or `_` that may open or close emphasis.
        enum Piece {
            case html(String)
            case delimiter(Unicode.Scalar, Int)
        }

        /// Renders `text[start..<end]`; `links` is false inside a link's text (no links within links).
        func render(_ start: Int, _ end: Int, links: Bool) -> String {
            var pieces: [Piece] = []
            var pending = ""
            // Open delimiters by kind (`*`, `**`, `_`, `__`): indexes into `pieces`, increasing.
            var openers: [[Int]] = [[], [], [], []]
            func flush() {
                if !pending.isEmpty {
                    pieces.append(.html(pending))
                    pending = ""
                }
            }
            var index = start
            while index < end {
                let scalar = text[index]
                switch scalar {
                case "\\":
                    if index + 1 < end, ["*", "_", "`", "$"].contains(text[index + 1]) {
                        appendEscaped(text[(index + 1)...(index + 1)], to: &pending)
                        index += 2
                    } else {
                        pending += "\\"
                        index += 1
                    }
                case "\n":
                    pending += "<br>\n"
                    index += 1
                case "`":
                    index = codeSpan(at: index, end: end, into: &pending)
                case "$":
                    index = math(at: index, end: end, into: &pending)
                case "[" where links:
                    if let next = link(at: index, end: end, into: &pending) {
                        index = next
                    } else {
                        pending += "["
                        index += 1
                    }
                case "h" where links, "H" where links:
                    if let next = bareURL(at: index, start: start, end: end, into: &pending) {
                        index = next
                    } else {
                        pending.unicodeScalars.append(scalar)
                        index += 1
                    }
                case "*", "_":
                    var runEnd = index
                    while runEnd < end, text[runEnd] == scalar { runEnd += 1 }
                    let length = runEnd - index
                    guard length <= 2 else {
                        pending += String(repeating: Character(scalar), count: length)
                        index = runEnd
                        continue
                    }
                    let before: Unicode.Scalar = index > start ? text[index - 1] : " "
                    let after: Unicode.Scalar = runEnd < end ? text[runEnd] : " "
                    let left =
                        !isWhitespace(after)
                        && (!isPunctuation(after) || isWhitespace(before) || isPunctuation(before))
                    let right =
                        !isWhitespace(before)
                        && (!isPunctuation(before) || isWhitespace(after) || isPunctuation(after))
                    let canOpen = scalar == "*" ? left : left && (!right || isPunctuation(before))
                    let canClose = scalar == "*" ? right : right && (!left || isPunctuation(after))
                    let kind = (scalar == "*" ? 0 : 2) + length - 1
                    let tag = length == 1 ? "em" : "strong"
                    if canClose, let opener = openers[kind].last {
                        flush()
                        pieces[opener] = .html("<\(tag)>")
                        pieces.append(.html("</\(tag)>"))
                        // Openers after this one can no longer close inside it: they stay text.
                        for other in openers.indices {
                            while let last = openers[other].last, last >= opener { openers[other].removeLast() }
                        }
                    } else if canOpen {
                        flush()
                        openers[kind].append(pieces.count)
                        pieces.append(.delimiter(scalar, length))
                    } else {
                        pending += String(repeating: Character(scalar), count: length)
                    }
                    index = runEnd
                default:
                    appendEscaped(text[index...index], to: &pending)
                    index += 1
                }
            }
            flush()
            var html = ""
            for piece in pieces {
                switch piece {
                case .html(let string): html += string
                case .delimiter(let scalar, let length): html += String(repeating: Character(scalar), count: length)
                }
            }
            return html
        }

        /// A code span from the backticks at `index`, closed by the next run of as many; else the run as text.
        /// Returns where to go on.
        func codeSpan(at index: Int, end: Int, into html: inout String) -> Int {
            var runEnd = index
            while runEnd < end, text[runEnd] == "`" { runEnd += 1 }
            let length = runEnd - index
            guard let closer = Self.first(in: backtickRuns[length] ?? [], atLeast: runEnd), closer + length <= end
            else {
                html += String(repeating: "`", count: length)
                return runEnd
            }
            var content = text[runEnd..<closer].map { $0 == "\n" ? " " : $0 }[...]
            if content.count >= 2, content.first == " ", content.last == " ", content.contains(where: { $0 != " " }) {
                content = content.dropFirst().dropLast()
            }
            html += "<code>"
            appendEscaped(content, to: &html)
            html += "</code>"
            return closer + length
        }

        /// TeX from the `$` or `$$` at `index` to its closer, verbatim; else the dollars as text.
        func math(at index: Int, end: Int, into html: inout String) -> Int {
            var runEnd = index
            while runEnd < end, text[runEnd] == "$" { runEnd += 1 }
            let length = runEnd - index
            var closerEnd: Int?
            if length == 1, runEnd < end, !isWhitespace(text[runEnd]),
                let closer = Self.first(in: mathClosers, atLeast: runEnd + 1), closer < end
            {
                closerEnd = closer + 1
            } else if length == 2, let closer = Self.first(in: displayClosers, atLeast: runEnd + 1), closer + 2 <= end,
                text[runEnd..<closer].contains(where: { !isWhitespace($0) })
            {
                closerEnd = closer + 2
            }
            guard let closerEnd else {
                html += String(repeating: "$", count: length)
                return runEnd
            }
            html += length == 1 ? "<span class=\"tex\">" : "<span class=\"tex tex-display\">"
            appendEscaped(text[index..<closerEnd], to: &html)
            html += "</span>"
            return closerEnd
        }

        /// `[text](url)` at `index` with an http(s) URL (balanced parentheses allowed, no whitespace); nil when
        /// there is none (the bracket is then text). The text has no brackets and may hold any markup but links.
        func link(at index: Int, end: Int, into html: inout String) -> Int? {
            let close = nextCloseBracket[index + 1]
            guard close + 1 < end, nextOpenBracket[index + 1] > close, text[close + 1] == "(" else { return nil }
            let closeParenthesis = closingParenthesis[close + 1]
            guard closeParenthesis >= 0, closeParenthesis < end else { return nil }
            let url = text[(close + 2)..<closeParenthesis]
            guard isWebURL(url) else { return nil }
            html += "<a href=\""
            appendEscaped(url, to: &html)
            html += "\" rel=\"\(linkRel)\">"
            let label = render(index + 1, close, links: false)
            if label.isEmpty || text[(index + 1)..<close].allSatisfy(isWhitespace) {
                appendEscaped(url, to: &html)
            } else {
                html += label
            }
            html += "</a>"
            return closeParenthesis + 1
        }

        /// A bare http(s) URL at `index`, up to whitespace, `<`, `>`, `"` or a backtick, less trailing punctuation;
        /// nil when there is none.
        func bareURL(at index: Int, start: Int, end: Int, into html: inout String) -> Int? {
            if index > start, isAlphanumeric(text[index - 1]) { return nil }
            // The host must start right after the scheme: checked first, so a failed candidate costs nothing.
            guard let schemeLength = webSchemeLength(text[index..<end]), index + schemeLength < end,
                isAlphanumeric(text[index + schemeLength])
            else { return nil }
            var urlEnd = index + schemeLength
            var opened: [Unicode.Scalar: Int] = [:]
            var closed: [Unicode.Scalar: Int] = [:]
            while urlEnd < end {
                let scalar = text[urlEnd]
                if isWhitespace(scalar) || ["<", ">", "\"", "`"].contains(scalar) { break }
                if ["(", "[", "{"].contains(scalar) { opened[scalar, default: 0] += 1 }
                if [")", "]", "}"].contains(scalar) { closed[scalar, default: 0] += 1 }
                urlEnd += 1
            }
            let pairs: [Unicode.Scalar: Unicode.Scalar] = [")": "(", "]": "[", "}": "{"]
            while urlEnd > index + schemeLength {
                let last = text[urlEnd - 1]
                if [".", ",", ";", ":", "!", "?", "'", "\"", "*", "_", "~"].contains(last) {
                    urlEnd -= 1
                } else if let opener = pairs[last], closed[last, default: 0] > opened[opener, default: 0] {
                    closed[last, default: 0] -= 1
                    urlEnd -= 1
                } else {
                    break
                }
            }
            let url = text[index..<urlEnd]
            guard isWebURL(url) else { return nil }
            html += "<a href=\""
            appendEscaped(url, to: &html)
            html += "\" rel=\"\(linkRel)\">"
            appendEscaped(url, to: &html)
            html += "</a>"
            return urlEnd
        }
    }
}
