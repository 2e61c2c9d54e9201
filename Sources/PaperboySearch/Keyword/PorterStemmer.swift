/// The Porter stemmer exactly as SQLite FTS5's `porter` tokenizer applies it to each folded token, so that terms
/// agree with the index FTS5 builds.
///
/// It works on the token's UTF-8 bytes: tokens under 3 or over 64 bytes pass unchanged, only the ASCII letters
/// a, e, i, o, u (and y after a consonant) are vowels, and every other byte, digits and the bytes of non-ASCII
/// characters included, counts as a consonant. FTS5's variant differs from Porter's paper in small ways that are
/// kept here: a suffix only matches when at least one byte stands before it, `*v*` takes any y but the first byte
/// as a vowel, and step 2 has "logi" → "log" and "bli" → "ble".
enum PorterStemmer {
    /// Tokens of more UTF-8 bytes than this pass unchanged.
    static let maxStemmedBytes = 64
    /// Tokens of fewer UTF-8 bytes than this pass unchanged.
    static let minStemmedBytes = 3

    /// The stem of one folded token (its UTF-8 bytes, as in the index).
    static func stem(_ token: String) -> String {
        var bytes = Array(token.utf8)
        let count = bytes.count
        bytes.append(0)
        let stemmed = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { stem($0, count: count) } ?? count
        }
        return String(decoding: bytes[..<stemmed], as: UTF8.self)
    }

    /// Stems the `count` bytes at `word` in place and returns the stem's length, which is never more than `count`.
    static func stem(_ word: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        guard count >= minStemmedBytes, count <= maxStemmedBytes else { return count }
        var stem = Stem(bytes: word, count: count)
        stem.step1a()
        if stem.step1b() { stem.step1bTidy() }
        stem.step1c()
        stem.step2()
        stem.step3()
        stem.step4()
        stem.step5()
        return stem.count
    }
}

/// A word being stemmed: `count` bytes at `bytes`, shortened (or rewritten) step by step.
private struct Stem {
    let bytes: UnsafeMutablePointer<UInt8>
    var count: Int

    /// What a rule asks of the stem left before its suffix.
    enum Condition {
        case always
        /// Porter's m > 0: at least one vowel-consonant sequence.
        case measureAbove0
        /// m > 1.
        case measureAbove1
        /// m > 1, and the stem ends in s or t (for "-ion").
        case measureAbove1EndingSOrT
        /// *v*: the stem has a vowel.
        case hasVowel
    }

    // MARK: Letters and measures

    /// a, e, i, o, u as bits 0, 4, 8, 14, 20 (their offsets from a).
    private static let vowelBits: UInt32 = 0x10_4111

    @inline(__always)
    private static func isVowel(_ byte: UInt8, yIsVowel: Bool) -> Bool {
        let offset = byte &- UInt8(ascii: "a")
        guard offset < 26 else { return false }
        return vowelBits >> offset & 1 != 0 || (yIsVowel && byte == UInt8(ascii: "y"))
    }

    /// The index just past the first vowel-then-consonant run in `bytes[start..<end]`, or nil when there is none.
    /// `previousIsConsonant` is whether the byte before `start` was a consonant (which makes a y there a vowel).
    private func endOfVowelConsonant(from start: Int, to end: Int, previousIsConsonant: Bool) -> Int? {
        var index = start
        var consonant = previousIsConsonant
        while index < end {
            consonant = !Self.isVowel(bytes[index], yIsVowel: consonant)
            if !consonant { break }
            index += 1
        }
        index += 1
        while index < end {
            consonant = !Self.isVowel(bytes[index], yIsVowel: consonant)
            if consonant { return index + 1 }
            index += 1
        }
        return nil
    }

    /// Porter's measure m of the first `length` bytes, counted up to 2 (0, 1, or 2 for "more than one").
    private func measure(_ length: Int) -> Int {
        guard let first = endOfVowelConsonant(from: 0, to: length, previousIsConsonant: false) else { return 0 }
        return endOfVowelConsonant(from: first, to: length, previousIsConsonant: true) == nil ? 1 : 2
    }

    /// *v*: a vowel in the first `length` bytes, where any y but the first is a vowel.
    private func hasVowel(_ length: Int) -> Bool {
        var index = 0
        while index < length {
            if Self.isVowel(bytes[index], yIsVowel: index > 0) { return true }
            index += 1
        }
        return false
    }

    /// *o: the first `length` bytes end consonant-vowel-consonant, the last consonant not w, x or y.
    private func endsConsonantVowelConsonant(_ length: Int) -> Bool {
        guard length > 0 else { return false }
        switch bytes[length - 1] {
        case UInt8(ascii: "w"), UInt8(ascii: "x"), UInt8(ascii: "y"): return false
        default: break
        }
        var pattern = 0
        var consonant = false
        var index = 0
        while index < length {
            consonant = !Self.isVowel(bytes[index], yIsVowel: consonant)
            pattern = (pattern << 1 | (consonant ? 1 : 0)) & 0b111
            index += 1
        }
        return pattern == 0b101
    }

    @inline(__always)
    private func holds(_ condition: Condition, stem length: Int) -> Bool {
        switch condition {
        case .always: true
        case .measureAbove0: endOfVowelConsonant(from: 0, to: length, previousIsConsonant: false) != nil
        case .measureAbove1: measure(length) > 1
        case .measureAbove1EndingSOrT:
            (bytes[length - 1] == UInt8(ascii: "s") || bytes[length - 1] == UInt8(ascii: "t")) && measure(length) > 1
        case .hasVowel: hasVowel(length)
        }
    }

    // MARK: Rules

    private var last: UInt8 { bytes[count - 1] }

    /// Whether the word ends with `suffix` with at least one byte before it.
    @inline(__always)
    private func ends(with suffix: StaticString) -> Bool {
        let length = suffix.utf8CodeUnitCount
        guard count > length else { return false }
        let letters = suffix.utf8Start
        var index = 0
        while index < length {
            if bytes[count - length + index] != letters[index] { return false }
            index += 1
        }
        return true
    }

    @inline(__always)
    private mutating func replaceEnd(from stem: Int, with replacement: StaticString) {
        let letters = replacement.utf8Start
        for index in 0..<replacement.utf8CodeUnitCount {
            bytes[stem + index] = letters[index]
        }
        count = stem + replacement.utf8CodeUnitCount
    }

    /// One rule of a step: when the word ends with `suffix`, replaces it with `replacement` if the stem before it
    /// meets `condition`. Returns whether the suffix matched, which ends the step whether or not it was replaced.
    @inline(__always)
    private mutating func rule(_ suffix: StaticString, _ replacement: StaticString, _ condition: Condition) -> Bool {
        guard ends(with: suffix) else { return false }
        let stem = count - suffix.utf8CodeUnitCount
        if holds(condition, stem: stem) { replaceEnd(from: stem, with: replacement) }
        return true
    }

    /// Whether the last byte is one of the letters in `letters` (bit n for the letter n places after a): a quick test
    /// that lets most words skip a step none of whose suffixes they can end with.
    @inline(__always)
    private func endsWithLetter(in letters: UInt32) -> Bool {
        let offset = last &- UInt8(ascii: "a")
        return offset < 26 && letters >> offset & 1 != 0
    }

    /// The last letters of step 2's suffixes (l, i, r, n, m, s), step 3's (l, s, e, i) and step 4's (l, e, r, c,
    /// t, n, u, i, m, s), as sets for ``endsWithLetter(in:)``.
    private static let step2Endings: UInt32 = 0x63900
    private static let step3Endings: UInt32 = 0x40910
    private static let step4Endings: UInt32 = 0x1E3914

    /// The byte before the last, which picks the rules a step tries; 0 for a one-byte word (no rule matches it).
    private var penultimate: UInt8 { count >= 2 ? bytes[count - 2] : 0 }

    // MARK: Steps

    /// sses → ss, ies → i, ss → ss, s → (none); "es" loses only its s.
    @inline(__always)
    mutating func step1a() {
        guard last == UInt8(ascii: "s") else { return }
        let before = penultimate
        if before == UInt8(ascii: "e") {
            let sses = count > 4 && bytes[count - 4] == UInt8(ascii: "s") && bytes[count - 3] == UInt8(ascii: "s")
            let ies = count > 3 && bytes[count - 3] == UInt8(ascii: "i")
            count -= sses || ies ? 2 : 1
        } else if before != UInt8(ascii: "s") {
            count -= 1
        }
    }

    /// (m>0) eed → ee; (*v*) ed → (none); (*v*) ing → (none). Returns whether "ed" or "ing" went.
    @inline(__always)
    mutating func step1b() -> Bool {
        switch penultimate {
        case UInt8(ascii: "e"):
            if ends(with: "eed") {
                if holds(.measureAbove0, stem: count - 3) { count -= 1 }
                return false
            }
            if ends(with: "ed"), hasVowel(count - 2) {
                count -= 2
                return true
            }
        case UInt8(ascii: "n"):
            if ends(with: "ing"), hasVowel(count - 3) {
                count -= 3
                return true
            }
        default: break
        }
        return false
    }

    /// After "ed" or "ing" went: at → ate, bl → ble, iz → ize; else a double consonant (not l, s, z) loses one;
    /// else (m=1 and *o) adds e.
    @inline(__always)
    mutating func step1bTidy() {
        let grew =
            switch penultimate {
            case UInt8(ascii: "a"): rule("at", "ate", .always)
            case UInt8(ascii: "b"): rule("bl", "ble", .always)
            case UInt8(ascii: "i"): rule("iz", "ize", .always)
            default: false
            }
        guard !grew else { return }
        let final = last
        switch final {
        case UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "z"): break
        default:
            if !Self.isVowel(final, yIsVowel: false), final == penultimate {
                count -= 1
                return
            }
        }
        if measure(count) == 1, endsConsonantVowelConsonant(count) {
            bytes[count] = UInt8(ascii: "e")
            count += 1
        }
    }

    /// (*v*) y → i.
    @inline(__always)
    mutating func step1c() {
        if last == UInt8(ascii: "y"), hasVowel(count - 1) { bytes[count - 1] = UInt8(ascii: "i") }
    }

    /// (m>0) double suffixes to single ones: ational → ate, ization → ize, biliti → ble, …
    @inline(__always)
    mutating func step2() {
        guard endsWithLetter(in: Self.step2Endings) else { return }
        switch penultimate {
        case UInt8(ascii: "a"):
            _ = rule("ational", "ate", .measureAbove0) || rule("tional", "tion", .measureAbove0)
        case UInt8(ascii: "c"):
            _ = rule("enci", "ence", .measureAbove0) || rule("anci", "ance", .measureAbove0)
        case UInt8(ascii: "e"):
            _ = rule("izer", "ize", .measureAbove0)
        case UInt8(ascii: "g"):
            _ = rule("logi", "log", .measureAbove0)
        case UInt8(ascii: "l"):
            _ =
                rule("bli", "ble", .measureAbove0) || rule("alli", "al", .measureAbove0)
                || rule("entli", "ent", .measureAbove0) || rule("eli", "e", .measureAbove0)
                || rule("ousli", "ous", .measureAbove0)
        case UInt8(ascii: "o"):
            _ =
                rule("ization", "ize", .measureAbove0) || rule("ation", "ate", .measureAbove0)
                || rule("ator", "ate", .measureAbove0)
        case UInt8(ascii: "s"):
            _ =
                rule("alism", "al", .measureAbove0) || rule("iveness", "ive", .measureAbove0)
                || rule("fulness", "ful", .measureAbove0) || rule("ousness", "ous", .measureAbove0)
        case UInt8(ascii: "t"):
            _ =
                rule("aliti", "al", .measureAbove0) || rule("iviti", "ive", .measureAbove0)
                || rule("biliti", "ble", .measureAbove0)
        default: break
        }
    }

    /// (m>0) icate → ic, ative → (none), alize → al, iciti → ic, ical → ic, ful → (none), ness → (none).
    @inline(__always)
    mutating func step3() {
        guard endsWithLetter(in: Self.step3Endings) else { return }
        switch penultimate {
        case UInt8(ascii: "a"): _ = rule("ical", "ic", .measureAbove0)
        case UInt8(ascii: "s"): _ = rule("ness", "", .measureAbove0)
        case UInt8(ascii: "t"): _ = rule("icate", "ic", .measureAbove0) || rule("iciti", "ic", .measureAbove0)
        case UInt8(ascii: "u"): _ = rule("ful", "", .measureAbove0)
        case UInt8(ascii: "v"): _ = rule("ative", "", .measureAbove0)
        case UInt8(ascii: "z"): _ = rule("alize", "al", .measureAbove0)
        default: break
        }
    }

    /// (m>1) the last suffixes go: al, ance, ence, er, ic, able, ible, ant, ement, ment, ent, (s/t)ion, ou, ism,
    /// ate, iti, ous, ive, ize.
    @inline(__always)
    mutating func step4() {
        guard endsWithLetter(in: Self.step4Endings) else { return }
        switch penultimate {
        case UInt8(ascii: "a"): _ = rule("al", "", .measureAbove1)
        case UInt8(ascii: "c"): _ = rule("ance", "", .measureAbove1) || rule("ence", "", .measureAbove1)
        case UInt8(ascii: "e"): _ = rule("er", "", .measureAbove1)
        case UInt8(ascii: "i"): _ = rule("ic", "", .measureAbove1)
        case UInt8(ascii: "l"): _ = rule("able", "", .measureAbove1) || rule("ible", "", .measureAbove1)
        case UInt8(ascii: "n"):
            _ =
                rule("ant", "", .measureAbove1) || rule("ement", "", .measureAbove1)
                || rule("ment", "", .measureAbove1) || rule("ent", "", .measureAbove1)
        case UInt8(ascii: "o"): _ = rule("ion", "", .measureAbove1EndingSOrT) || rule("ou", "", .measureAbove1)
        case UInt8(ascii: "s"): _ = rule("ism", "", .measureAbove1)
        case UInt8(ascii: "t"): _ = rule("ate", "", .measureAbove1) || rule("iti", "", .measureAbove1)
        case UInt8(ascii: "u"): _ = rule("ous", "", .measureAbove1)
        case UInt8(ascii: "v"): _ = rule("ive", "", .measureAbove1)
        case UInt8(ascii: "z"): _ = rule("ize", "", .measureAbove1)
        default: break
        }
    }

    /// 5a: (m>1) e → (none), (m=1 and not *o) e → (none); 5b: (m>1) ll → l.
    @inline(__always)
    mutating func step5() {
        if last == UInt8(ascii: "e") {
            let stem = count - 1
            let measure = measure(stem)
            if measure > 1 || (measure == 1 && !endsConsonantVowelConsonant(stem)) { count = stem }
        }
        if count > 1, last == UInt8(ascii: "l"), bytes[count - 2] == UInt8(ascii: "l"), measure(count - 1) > 1 {
            count -= 1
        }
    }
}
