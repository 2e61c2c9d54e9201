/// Where TeX stands in a title, abstract or comment: the spans the browser's math renderer (KaTeX's auto-render, with
/// the delimiters `$$…$$`, `\[…\]`, `\(…\)` and `$…$`) will turn into formulas. Search highlighting leaves these spans
/// whole: a `<mark>` inside one would split the formula across elements and the renderer would show raw TeX.
///
/// The scan follows auto-render's own rules (`splitAtDelimiters` and `findEndOfMath` in KaTeX 0.16), so the two agree on
/// what is a formula: the earliest opening delimiter starts one; a closing delimiter inside braces or after a backslash
/// does not close it; an opening delimiter that is never closed leaves the rest of the text as text.
/// Offsets are UTF-8 byte offsets, like the keyword tokenizer's.
public enum TeXSpans {
    /// The opening and closing delimiters, longest first (`$$` before `$`), as the site's script configures them.
    static let delimiters: [(open: [UInt8], close: [UInt8])] = [
        (Array("$$".utf8), Array("$$".utf8)),
        (Array("\\[".utf8), Array("\\]".utf8)),
        (Array("\\(".utf8), Array("\\)".utf8)),
        (Array("$".utf8), Array("$".utf8)),
    ]

    /// The byte ranges of the formulas in `text`, delimiters included, in order and not overlapping.
    public static func ranges(in text: String) -> [Range<Int>] {
        let bytes = Array(text.utf8)
        var spans: [Range<Int>] = []
        var i = 0
        while i < bytes.count {
            guard let delimiter = delimiters.first(where: { starts(bytes, at: i, with: $0.open) }) else {
                i += 1
                continue
            }
            // Like auto-render: an opening delimiter without its closing one leaves the rest of the text as text.
            guard let end = closing(bytes, from: i + delimiter.open.count, delimiter.close) else { break }
            spans.append(i..<(end + delimiter.close.count))
            i = end + delimiter.close.count
        }
        return spans
    }

    /// Whether any formula overlaps `range`.
    public static func overlaps(_ spans: [Range<Int>], _ range: Range<Int>) -> Bool {
        spans.contains { $0.overlaps(range) }
    }

    /// The offset of the closing delimiter at or after `start`, skipping escaped characters and anything in braces.
    static func closing(_ bytes: [UInt8], from start: Int, _ close: [UInt8]) -> Int? {
        var depth = 0
        var i = start
        while i < bytes.count {
            if depth <= 0 && starts(bytes, at: i, with: close) { return i }
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 1
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"): depth -= 1
            default: break
            }
            i += 1
        }
        return nil
    }

    static func starts(_ bytes: [UInt8], at index: Int, with prefix: [UInt8]) -> Bool {
        guard index + prefix.count <= bytes.count else { return false }
        for (offset, byte) in prefix.enumerated() where bytes[index + offset] != byte { return false }
        return true
    }
}
