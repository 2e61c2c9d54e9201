/// The keyword index's tokenizer: the same terms SQLite FTS5 makes with `tokenize = 'porter unicode61
/// remove_diacritics 2'`, so that the own index and FTS5 agree on what matches.
///
/// As `unicode61`: letters, numbers and private-use characters (by FTS5's tables, which see code points that
/// Unicode assigned after them, such as newer emoji, as letters) make tokens and everything else separates them; a
/// combining accent continues a token but never starts one. Each token is folded to lower case with its diacritics
/// removed (é → e, Å → a, but ø, ß, æ and ł stay), then stemmed by ``PorterStemmer``. The tables come from
/// `Tests/tools/fts5_unicode_tables.py`, which reads them off SQLite itself.
///
/// It reads the text's UTF-8 bytes once, with a fast path for ASCII, and makes one String per term.
public enum KeywordTokenizer {
    /// Calls `body` with each index term of `text` (case- and diacritic-folded, then Porter-stemmed, as FTS5's
    /// `porter unicode61 remove_diacritics 2`) and the UTF-8 byte range of the token in `text`, in order.
    ///
    /// A term is made of the stemmer's bytes; in the rare case where FTS5's stemmer cuts a multi-byte character in
    /// two (a double final byte after "-ed" or "-ing"), the cut character becomes U+FFFD.
    public static func forEachTerm(in text: String, _ body: (_ term: String, _ range: Range<Int>) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            let table = CharacterTable.shared
            table.ascii.withUnsafeBufferPointer { ascii in
                table.bmp.withUnsafeBufferPointer { bmp in
                    tokenize(bytes, ascii: ascii, bmp: bmp, body)
                }
            }
        }
    }

    /// The terms of `text`, in order.
    public static func terms(in text: String) -> [String] {
        var terms: [String] = []
        forEachTerm(in: text) { term, _ in terms.append(term) }
        return terms
    }

    /// The index terms of one query word (as `SearchQuery.words` gives them): folded and stemmed. Empty when the word
    /// has no token characters; a word that FTS5 splits into several tokens gives all of them, in order.
    public static func queryTerms(_ word: String) -> [String] {
        terms(in: word)
    }

    private static func tokenize(
        _ text: UnsafeBufferPointer<UInt8>, ascii: UnsafeBufferPointer<UInt8>, bmp: UnsafeBufferPointer<UInt32>,
        _ body: (_ term: String, _ range: Range<Int>) -> Void
    ) {
        guard let input = text.baseAddress, !text.isEmpty else { return }
        let end = text.count
        // Folding makes a character at most half as long again (2 bytes to 3), and stemming never lengthens a token.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: end + end / 2 + 8) { buffer in
            guard let folded = buffer.baseAddress else { return }
            var index = 0
            while index < end {
                // Separators before the token.
                let byte = input[index]
                if byte < 0x80 {
                    if ascii[Int(byte)] == 0 {
                        index += 1
                        continue
                    }
                } else {
                    let (scalar, length) = decode(input, at: index, end: end)
                    if CharacterTable.kind(of: scalar, bmp: bmp) != CharacterTable.token {
                        index += length
                        continue
                    }
                }
                // The token, folded into `folded`.
                let start = index
                var count = 0
                while index < end {
                    let byte = input[index]
                    if byte < 0x80 {
                        let lower = ascii[Int(byte)]
                        if lower == 0 { break }
                        folded[count] = lower
                        count += 1
                        index += 1
                    } else {
                        let (scalar, length) = decode(input, at: index, end: end)
                        let entry = CharacterTable.entry(of: scalar, bmp: bmp)
                        if entry.kind == CharacterTable.separator { break }
                        if entry.folded != 0 { count += encode(entry.folded, into: folded + count) }
                        index += length
                    }
                }
                count = PorterStemmer.stem(folded, count: count)
                body(String(decoding: UnsafeBufferPointer(start: folded, count: count), as: UTF8.self), start..<index)
            }
        }
    }

    /// The code point starting at `index` of valid UTF-8 and its length in bytes. A sequence cut short by the end of
    /// the text (which valid UTF-8 never has) reads as U+FFFD over the bytes that remain.
    @inline(__always)
    private static func decode(_ bytes: UnsafePointer<UInt8>, at index: Int, end: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[index])
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard index + length <= end else { return (0xFFFD, end - index) }
        var scalar = lead & (0x7F >> UInt32(length))
        for offset in 1..<length {
            scalar = scalar << 6 | UInt32(bytes[index + offset] & 0x3F)
        }
        return (scalar, length)
    }

    /// Writes `scalar` as UTF-8 at `out` and returns its length.
    @inline(__always)
    private static func encode(_ scalar: UInt32, into out: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case ..<0x80:
            out[0] = UInt8(truncatingIfNeeded: scalar)
            return 1
        case ..<0x800:
            out[0] = UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6)
            out[1] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            return 2
        case ..<0x10000:
            out[0] = UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12)
            out[1] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F)
            out[2] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            return 3
        default:
            out[0] = UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18)
            out[1] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F)
            out[2] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F)
            out[3] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            return 4
        }
    }
}

/// ``KeywordCharacterTable`` in the form the tokenizer reads: one entry per code point of the Basic Multilingual
/// Plane, and a search of the runs above it.
struct CharacterTable: Sendable {
    static let separator: UInt32 = 0
    static let token: UInt32 = 1
    static let diacritic: UInt32 = 2

    static let shared = CharacterTable()

    /// For each ASCII byte, its folded form when it is a token character (a letter or digit), else 0.
    let ascii: [UInt8]

    /// For each code point below U+10000: `kind << 24 | folded` (folded is 0 when the character is dropped).
    let bmp: [UInt32]

    private init() {
        var bmp = [UInt32](repeating: 0, count: 0x10000)
        let runs = KeywordCharacterTable.runs
        for (index, run) in runs.enumerated() {
            let start = Int(run >> 2)
            guard start < 0x10000 else { break }
            let end = index + 1 < runs.count ? min(Int(runs[index + 1] >> 2), 0x10000) : 0x10000
            for scalar in start..<end {
                bmp[scalar] = (run & 3) << 24 | UInt32(scalar)
            }
        }
        let folds = KeywordCharacterTable.folds
        for pair in stride(from: 0, to: folds.count - 1, by: 2) where folds[pair] < 0x10000 {
            bmp[Int(folds[pair])] = bmp[Int(folds[pair])] & 0xFF00_0000 | folds[pair + 1]
        }
        self.bmp = bmp
        ascii = (0..<128).map { byte in bmp[byte] >> 24 == Self.token ? UInt8(truncatingIfNeeded: bmp[byte]) : 0 }
    }

    @inline(__always)
    static func kind(of scalar: UInt32, bmp: UnsafeBufferPointer<UInt32>) -> UInt32 {
        scalar < 0x10000 ? bmp[Int(scalar)] >> 24 : supplementaryKind(of: scalar)
    }

    @inline(__always)
    static func entry(of scalar: UInt32, bmp: UnsafeBufferPointer<UInt32>) -> (kind: UInt32, folded: UInt32) {
        if scalar < 0x10000 {
            let entry = bmp[Int(scalar)]
            return (entry >> 24, entry & 0x00FF_FFFF)
        }
        return (supplementaryKind(of: scalar), supplementaryFold(of: scalar))
    }

    /// The kind of the run that holds `scalar`: the last run starting at or before it.
    private static func supplementaryKind(of scalar: UInt32) -> UInt32 {
        let runs = KeywordCharacterTable.runs
        var low = 0
        var high = runs.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if runs[middle] >> 2 <= scalar { low = middle } else { high = middle }
        }
        return runs[low] & 3
    }

    private static func supplementaryFold(of scalar: UInt32) -> UInt32 {
        let folds = KeywordCharacterTable.folds
        var low = 0
        var high = folds.count / 2
        while low < high {
            let middle = (low + high) / 2
            let code = folds[middle * 2]
            if code == scalar { return folds[middle * 2 + 1] }
            if code < scalar { low = middle + 1 } else { high = middle }
        }
        return scalar
    }
}
