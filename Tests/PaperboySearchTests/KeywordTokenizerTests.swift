import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

@Suite("KeywordTokenizer")
struct KeywordTokenizerTests {
    /// Terms and the text each range points at.
    static func tokens(_ text: String) -> [(term: String, text: String)] {
        let bytes = Array(text.utf8)
        var tokens: [(term: String, text: String)] = []
        KeywordTokenizer.forEachTerm(in: text) { term, range in
            tokens.append((term, String(decoding: bytes[range], as: UTF8.self)))
        }
        return tokens
    }

    @Test("Porter's examples stem as FTS5's porter tokenizer stems them")
    func porterExamples() {
        let cases: KeyValuePairs<String, String> = [
            "caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
            "feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor",
            "sing": "sing", "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop",
            "tanned": "tan", "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail",
            "filing": "file", "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit",
            "rational": "ration", "valenci": "valenc", "hesitanci": "hesit", "digitizer": "digit",
            "conformabli": "conform", "radicalli": "radic", "differentli": "differ", "vileli": "vile",
            "analogousli": "analog", "vietnamization": "vietnam", "predication": "predic", "operator": "oper",
            "feudalism": "feudal", "decisiveness": "decis", "hopefulness": "hope", "callousness": "callous",
            "formaliti": "formal", "sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic",
            "formative": "form", "formalize": "formal", "electriciti": "electr", "electrical": "electr",
            "hopeful": "hope", "goodness": "good", "revival": "reviv", "allowance": "allow", "inference": "infer",
            "airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens",
            "irritant": "irrit", "replacement": "replac", "adjustment": "adjust", "dependent": "depend",
            "adoption": "adopt", "homologou": "homolog", "communism": "commun", "activate": "activ",
            "angulariti": "angular", "homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler",
            "probate": "probat", "rate": "rate", "cease": "ceas", "controll": "control", "roll": "roll",
            "generalization": "gener", "generalizations": "gener", "oscillators": "oscil",
            "archaeology": "archaeolog", "biology": "biologi", "apologies": "apolog",
        ]
        for (word, stem) in cases {
            #expect(PorterStemmer.stem(word) == stem, "\(word)")
            #expect(KeywordTokenizer.terms(in: word) == [stem], "\(word)")
        }
    }

    @Test("FTS5's own twists: suffixes need a byte before them, and short or long tokens pass unchanged")
    func porterEdges() {
        // "ies" alone keeps its e (the rule needs a byte before "ies"); "ed" and "ing" alone stay.
        #expect(
            KeywordTokenizer.terms(in: "ies sses eed ed ing aed aing") == ["ie", "sse", "e", "ed", "ing", "a", "a"])
        // Under 3 bytes: no stemming at all, so "as" keeps its s.
        #expect(KeywordTokenizer.terms(in: "as is es") == ["as", "is", "es"])
        // 64 bytes are stemmed, 65 are not.
        let stemmed = String(repeating: "a", count: 61) + "ing"
        let kept = String(repeating: "a", count: 62) + "ing"
        #expect(KeywordTokenizer.terms(in: "\(stemmed) \(kept)") == [String(repeating: "a", count: 61), kept])
        // The limit counts folded bytes: Ⱥ is 2 bytes and folds to ⱥ, 3 bytes.
        let folded = "a" + String(repeating: "Ⱥ", count: 21) + "ing"
        #expect(KeywordTokenizer.terms(in: folded) == ["a" + String(repeating: "ⱥ", count: 21) + "ing"])
        // Digits and non-ASCII letters are consonants.
        #expect(KeywordTokenizer.terms(in: "1990s 4ing résumés") == ["1990", "4ing", "resum"])
    }

    @Test("case and diacritics fold as remove_diacritics 2 folds them")
    func folding() {
        #expect(KeywordTokenizer.terms(in: "Ünïcödé") == ["unicod"])
        #expect(
            KeywordTokenizer.terms(in: "NAÏVE Café Ångström Łódź Tiếng") == [
                "naiv", "cafe", "angstrom", "łodz", "tieng",
            ])
        // Letters that are not a base letter and an accent stay; ẞ folds to ß, which stays.
        #expect(KeywordTokenizer.terms(in: "Ærø Straße ẞ ﬁnite") == ["ærø", "straß", "ß", "ﬁnite"])
        #expect(KeywordTokenizer.terms(in: "İstanbul DİYARBAKIR ı") == ["istanbul", "diyarbakir", "ı"])
        #expect(KeywordTokenizer.terms(in: "ΣΊΣΥΦΟΣ Σίσυφος") == ["σίσυφοσ", "σίσυφοσ"])
        // A combining accent continues a token (and is dropped) but never starts one.
        #expect(KeywordTokenizer.terms(in: "e\u{301}te\u{301} \u{301}abc") == ["et", "abc"])
    }

    @Test("everything but letters, numbers and private-use characters separates tokens")
    func separators() {
        #expect(
            KeywordTokenizer.terms(in: "state-of-the-art don't O’Brien") == [
                "state", "of", "the", "art", "don", "t", "o", "brien",
            ])
        #expect(KeywordTokenizer.terms(in: "$\\mathcal{O}(n^2)$") == ["mathcal", "o", "n", "2"])
        #expect(KeywordTokenizer.terms(in: "3.14 1e-5 snake_case") == ["3", "14", "1e", "5", "snake", "case"])
        #expect(KeywordTokenizer.terms(in: "a\u{200B}b a\u{AD}b a\u{A0}b") == ["a", "b", "a", "b", "a", "b"])
        #expect(KeywordTokenizer.terms(in: "x² ½ ① \u{E000}") == ["x²", "½", "①", "\u{E000}"])
        #expect(KeywordTokenizer.terms(in: "").isEmpty)
        #expect(KeywordTokenizer.terms(in: " --- !!! \n\t").isEmpty)
    }

    @Test("CJK runs are one token each; emoji separate, but FTS5 takes emoji newer than its tables for letters")
    func cjkAndEmoji() {
        #expect(KeywordTokenizer.terms(in: "深度学习模型 日本語のテキスト，한국어。") == ["深度学习模型", "日本語のテキスト", "한국어"])
        #expect(KeywordTokenizer.terms(in: "😀emoji😀 👍🏽done") == ["emoji", "🏽done"])
        #expect(KeywordTokenizer.terms(in: "🥰love") == ["🥰love"])
        #expect(KeywordTokenizer.terms(in: "𝒪(n) 𐐀") == ["𝒪", "n", "𐐨"])
    }

    @Test("each range is the UTF-8 bytes of the token in the original text")
    func ranges() {
        var ranges: [Range<Int>] = []
        KeywordTokenizer.forEachTerm(in: "Ünïcödé  naïve-e\u{301}té, 深度!") { _, range in ranges.append(range) }
        #expect(ranges == [0..<11, 13..<19, 20..<26, 28..<34])
        let tokens = Self.tokens("Ünïcödé  naïve-e\u{301}té, 深度!")
        #expect(tokens.map(\.text) == ["Ünïcödé", "naïve", "e\u{301}té", "深度"])
        #expect(tokens.map(\.term) == ["unicod", "naiv", "et", "深度"])
    }

    @Test("a query word gives the terms its text has in a paper")
    func queryTerms() {
        #expect(KeywordTokenizer.queryTerms("networks") == ["network"])
        #expect(KeywordTokenizer.queryTerms("Ünïcödé") == ["unicod"])
        #expect(KeywordTokenizer.queryTerms("—").isEmpty)
        #expect(KeywordTokenizer.queryTerms("gpt-4o") == ["gpt", "4o"])
        // SearchQuery lower-cases İ to i and a combining dot, which folding drops.
        let words = SearchQuery.words(in: "İstanbul Ünïcödé Networks")
        #expect(words.flatMap(KeywordTokenizer.queryTerms) == ["istanbul", "unicod", "network"])
    }

    @Test("common words, looked up ready-made, give the stemmer's terms in any case")
    func commonWords() {
        let words = TokenizerTables.commonWords
        #expect(words.count > 190)
        #expect(words.allSatisfy(TokenizerTables.isCommonWordShape))
        for word in words {
            #expect(
                KeywordTokenizer.terms(in: word.uppercased() + " " + word)
                    == Array(repeating: PorterStemmer.stem(word), count: 2))
        }
        #expect(KeywordTokenizer.terms(in: "The models were trained") == ["the", "model", "were", "train"])
    }

    @Test("the character table is in order, and no folded character outgrows the tokenizer's buffer")
    func characterTable() throws {
        let runs = KeywordCharacterTable.runs
        #expect(runs.first == 0)
        #expect(zip(runs, runs.dropFirst()).allSatisfy { $0 >> 2 < $1 >> 2 && $0 & 3 != $1 & 3 })
        #expect(runs.allSatisfy { $0 & 3 <= 2 })
        let folds = KeywordCharacterTable.folds
        #expect(folds.count % 2 == 0)
        for pair in stride(from: 0, to: folds.count, by: 2) {
            let from = try #require(Unicode.Scalar(folds[pair]))
            let length = folds[pair + 1] == 0 ? 0 : try #require(Unicode.Scalar(folds[pair + 1])).utf8.count
            #expect(2 * length <= 3 * from.utf8.count, "\(from)")
            if pair > 0 { #expect(folds[pair - 2] < folds[pair]) }
        }
    }

    @Test("a stemmed term that cuts a character in two (as FTS5 does) holds U+FFFD instead")
    func cutCharacter() {
        // 丸 is E4 B8 B8; after "-ing" goes, FTS5 drops the repeated last byte as a double consonant.
        #expect(KeywordTokenizer.terms(in: "a丸ing") == ["a\u{FFFD}"])
    }
}

/// The terms SQLite FTS5 made for the fixtures (Tests/Fixtures/fts5-tokens.json, by Tests/tools/fts5_tokens.py).
@Suite("KeywordTokenizer agrees with FTS5")
struct KeywordTokenizerFTS5Tests {
    struct Fixture: Decodable {
        struct Paper: Decodable {
            let file: String
            let id: String
            let title: String
            let authors: String
            let abstract: String
        }

        struct Sample: Decodable {
            let text: String
            let terms: [String]
        }

        let sqlite: String
        let tokenize: String
        let papers: [Paper]
        let strings: [Sample]
    }

    /// Texts where FTS5's terms are known to differ from ours, with the reason. None today.
    static let knownDifferences: [String: String] = [:]

    static func texts() throws -> [(name: String, text: String, terms: [String])] {
        let root = ModelTestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures")
        let fixture = try JSONDecoder().decode(
            Fixture.self, from: Data(contentsOf: root.appendingPathComponent("fts5-tokens.json")))
        #expect(fixture.tokenize == "porter unicode61 remove_diacritics 2")
        var records: [String: [String: String]] = [:]
        for file in Set(fixture.papers.map(\.file)) {
            for line in try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8).split(
                separator: "\n")
            {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let id = try #require(object["id"] as? String)
                records[file + "/" + id] = object.compactMapValues { $0 as? String }
            }
        }
        var texts: [(name: String, text: String, terms: [String])] = []
        for paper in fixture.papers {
            let record = try #require(records[paper.file + "/" + paper.id], "\(paper.file) \(paper.id)")
            for (field, terms) in [("title", paper.title), ("authors", paper.authors), ("abstract", paper.abstract)] {
                let found = terms.split(separator: " ").map(String.init)
                texts.append(("\(paper.file) \(paper.id) \(field)", record[field] ?? "", found))
            }
        }
        for (index, sample) in fixture.strings.enumerated() {
            texts.append(("string \(index): \(sample.text.prefix(40))", sample.text, sample.terms))
        }
        return texts
    }

    @Test("every fixture title, author list, abstract, tricky and random string gives FTS5's terms")
    func agreesWithFTS5() throws {
        let texts = try Self.texts()
        var agreeing = 0
        for (name, text, terms) in texts {
            if let reason = Self.knownDifferences[name] {
                withKnownIssue("\(name): \(reason)") { #expect(KeywordTokenizer.terms(in: text) == terms) }
                continue
            }
            let ours = KeywordTokenizer.terms(in: text)
            #expect(ours == terms, "\(name)")
            if ours == terms { agreeing += 1 }
        }
        #expect(texts.count == 286 * 3 + 328)
        #expect(agreeing == texts.count - Self.knownDifferences.count)
    }

    @Test("every range of every fixture text holds exactly its token")
    func rangesRetokenize() throws {
        for (name, text, _) in try Self.texts() {
            let bytes = Array(text.utf8)
            var mismatches = 0
            KeywordTokenizer.forEachTerm(in: text) { term, range in
                let token = String(decoding: bytes[range], as: UTF8.self)
                if KeywordTokenizer.terms(in: token) != [term] { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(name)")
        }
    }
}
