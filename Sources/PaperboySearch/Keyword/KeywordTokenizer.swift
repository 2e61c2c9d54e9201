/// The keyword index's tokenizer: the same terms SQLite FTS5 makes with `tokenize = 'porter unicode61
/// remove_diacritics 2'`, so that the own index and FTS5 agree on what matches.
///
/// As `unicode61`: letters, numbers and private-use characters (by FTS5's tables, which see code points that
/// Unicode assigned after them, such as newer emoji, as letters) make tokens and everything else separates them; a
/// combining accent continues a token but never starts one. Each token is folded to lower case with its diacritics
/// removed (é → e, Å → a, but ø, ß, æ and ł stay), then stemmed by ``PorterStemmer``. The tables come from
/// `Tests/tools/fts5_unicode_tables.py`, which reads them off SQLite itself.
///
/// It reads the text's UTF-8 bytes once, with a fast path for ASCII, and makes one String per term, except for common
/// English words, whose terms it looks up ready-made.
public enum KeywordTokenizer {
    /// Calls `body` with each index term of `text` (case- and diacritic-folded, then Porter-stemmed, as FTS5's
    /// `porter unicode61 remove_diacritics 2`) and the UTF-8 byte range of the token in `text`, in order.
    ///
    /// A term is made of the stemmer's bytes; in the rare case where FTS5's stemmer cuts a multi-byte character in
    /// two (a double final byte after "-ed" or "-ing"), the cut character becomes U+FFFD.
    public static func forEachTerm(in text: String, _ body: (_ term: String, _ range: Range<Int>) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            TokenizerTables.shared.withBuffers { tables in tokenize(bytes, tables, body) }
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
        _ text: UnsafeBufferPointer<UInt8>, _ tables: TokenizerTables.Buffers,
        _ body: (_ term: String, _ range: Range<Int>) -> Void
    ) {
        guard let input = text.baseAddress, !text.isEmpty else { return }
        let end = text.count
        let ascii = tables.ascii
        let bmp = tables.bmp
        // Folding makes a character at most half as long again (2 bytes to 3), and stemming never lengthens a token;
        // 8 bytes more let a short token be read as one UInt64.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: end + end / 2 + 8) { buffer in
            buffer.initialize(repeating: 0)
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
                    if TokenizerTables.kind(of: scalar, bmp: bmp) != TokenizerTables.token {
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
                        let entry = TokenizerTables.entry(of: scalar, bmp: bmp)
                        if entry.kind == TokenizerTables.separator { break }
                        if entry.folded != 0 { count += encode(entry.folded, into: folded + count) }
                        index += length
                    }
                }
                if count <= TokenizerTables.commonWordBytes,
                    let term = tables.commonTerm(TokenizerTables.key(folded, count: count))
                {
                    body(term, start..<index)
                    continue
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

/// What the tokenizer reads: ``KeywordCharacterTable`` as one entry per code point of the Basic Multilingual Plane
/// (above it, a search of the runs), and the terms of common English words, ready-made.
final class TokenizerTables: Sendable {
    static let separator: UInt32 = 0
    static let token: UInt32 = 1
    static let diacritic: UInt32 = 2

    static let shared = TokenizerTables()

    /// For each code point below U+10000: `kind << 24 | folded` (folded is 0 when the character is dropped).
    let bmp: [UInt32]
    /// For each ASCII byte, its folded form when it is a token character (a letter or digit), else 0.
    let ascii: [UInt8]
    /// An open-addressing hash table of the common words: keys (``key(_:count:)``, 0 for an empty slot) and terms.
    let commonKeys: [UInt64]
    let commonTerms: [String]

    /// Frequent words of English abstracts (each of at most ``commonWordBytes`` lower-case ASCII letters), whose
    /// terms the tokenizer takes from a table instead of stemming them and making a String. Only speed depends on
    /// this list: each word's term is made by ``PorterStemmer`` when the table is built.
    static let commonWords = """
        a about above across after again against all also among an analysis and any applied approach are around \
        as at based be because been before being best between both but by can case cases could data dataset \
        datasets do does due during each effect effects energy even evidence example field find first for form \
        found four from function further general given has have here high higher how however if in into is it \
        its known large larger learning level like linear low lower made many mass may method methods model \
        models more most much network networks new non not novel number obtain obtained of on one only or order \
        other our out over paper phase power present problem problems process propose proposed quantum random \
        range rate recent result results same scale second set several should show shown shows simple since \
        single small so some space spin state states strong studied study such system systems task tasks terms \
        test than that the their them then theory there these they this those three through thus time to \
        training two under up use used using very via was we well were what when where which while with within \
        without work would
        """.split(separator: " ").map(String.init)

    /// The longest common word, in bytes: the length of a ``key(_:count:)``.
    static let commonWordBytes = 8
    private static let commonSlots = 1024

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

        var keys = [UInt64](repeating: 0, count: Self.commonSlots)
        var terms = [String](repeating: "", count: Self.commonSlots)
        for word in Self.commonWords where Self.isCommonWordShape(word) {
            let key = word.utf8.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            var slot = Self.slot(key)
            while keys[slot] != 0, keys[slot] != key { slot = (slot + 1) % Self.commonSlots }
            keys[slot] = key
            terms[slot] = PorterStemmer.stem(word)
        }
        commonKeys = keys
        commonTerms = terms
    }

    /// Whether `word` can be a common word: 1 to ``commonWordBytes`` lower-case ASCII letters (which are their own
    /// folded form and one token).
    static func isCommonWordShape(_ word: String) -> Bool {
        (1...commonWordBytes).contains(word.utf8.count)
            && word.utf8.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
    }

    /// The first `count` (1 to 8) bytes at `bytes` as a number, the first byte lowest; no token holds a zero byte,
    /// so different tokens have different keys. Reads 8 bytes.
    @inline(__always)
    static func key(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt64 {
        let word = UInt64(littleEndian: UnsafeRawPointer(bytes).loadUnaligned(as: UInt64.self))
        return word & (UInt64.max >> ((commonWordBytes - count) * 8))
    }

    @inline(__always)
    private static func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 54)
    }

    /// The tables as buffers for the tokenizer's loop.
    struct Buffers {
        let bmp: UnsafeBufferPointer<UInt32>
        let ascii: UnsafeBufferPointer<UInt8>
        let commonKeys: UnsafeBufferPointer<UInt64>
        let commonTerms: UnsafeBufferPointer<String>

        /// The term of the common word with this key, if it is one.
        @inline(__always)
        func commonTerm(_ key: UInt64) -> String? {
            var slot = TokenizerTables.slot(key)
            while true {
                let found = commonKeys[slot]
                if found == key { return commonTerms[slot] }
                if found == 0 { return nil }
                slot = (slot + 1) & (TokenizerTables.commonSlots - 1)
            }
        }
    }

    func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
        bmp.withUnsafeBufferPointer { bmp in
            ascii.withUnsafeBufferPointer { ascii in
                commonKeys.withUnsafeBufferPointer { keys in
                    commonTerms.withUnsafeBufferPointer { terms in
                        body(Buffers(bmp: bmp, ascii: ascii, commonKeys: keys, commonTerms: terms))
                    }
                }
            }
        }
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
