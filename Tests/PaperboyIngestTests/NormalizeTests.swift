import Foundation
import PaperboyCore
import Testing

@testable import PaperboyIngest

@Suite struct NormalizeTests {
    @Test(arguments: [
        (#"Bal\'azs"#, "Balázs"), (#"{\"o}"#, "ö"), (#"\"{o}"#, "ö"), (#"\c{c}"#, "ç"), (#"\'{\i}"#, "í"),
        (#"\'\i"#, "í"), (#"\~n"#, "ñ"), (#"\^o"#, "ô"), (#"\`e"#, "è"), (#"\v{s}"#, "š"), (#"\u{a}"#, "ă"),
        (#"\H{o}"#, "ő"), (#"\k{a}"#, "ą"), (#"\=a"#, "ā"), (#"\.z"#, "ż"), (#"\r{a}"#, "å"), (#"\aa"#, "å"),
        (#"\o"#, "ø"), (#"\O"#, "Ø"), (#"\ss"#, "ß"), (#"\ae"#, "æ"), (#"\l"#, "ł"), (#"\L"#, "Ł"), (#"{\o}"#, "ø"),
        (#"{Smith}"#, "Smith"), (#"Mikkel {\O}bro"#, "Mikkel Øbro"), (#"Tom\'a\v{s} Vina\v{r}"#, "Tomáš Vinař"),
        (#"Bro\v{n}a"#, "Broňa"), (#"G\"ahler"#, "Gähler"), (#"Ko\c c"#, "Koç"), (#"\AA{}ngstr\"om"#, "Ångström"),
        (#"Gro\ss e"#, "Große"), ("Plain  Name", "Plain Name"), (#"\L{}ukasz"#, "Łukasz"),
    ])
    func texAccents(input: String, expected: String) {
        let decoded = Normalize.decodeTeX(input)
        #expect(decoded == expected)
        #expect(Array(decoded.unicodeScalars) == Array(expected.precomposedStringWithCanonicalMapping.unicodeScalars))
    }

    @Test(arguments: [
        (#"{\'{\i}}"#, "í"), (#"\'{}"#, "'"), (#"\'{ }"#, "'"), (#"\c{}x"#, "x"), (#"\'{ab}"#, "ab\u{301}"),
        (#"\'{a b }"#, "a b́"), (#"\"{\"{o}}"#, "ö\u{308}"), (#"\'"#, "'"), (#"\'\o"#, "'ø"), (#"}a{"#, "a"),
        (#"\'{a"#, "á"), (#"\v{\'{\j}}"#, "j\u{301}\u{30C}"), (#"\{x\}"#, "{x}"),
    ])
    func groupsAndEdgeCases(input: String, expected: String) {
        #expect(Array(Normalize.decodeTeX(input).unicodeScalars) == Array(expected.unicodeScalars))
    }

    /// Nesting is handled with a stack, not recursion: 100,000 levels neither overflow the stack nor take long.
    @Test func deepNestingReturnsPromptly() {
        let n = 100_000
        let clock = ContinuousClock()
        let start = clock.now
        #expect(Normalize.decodeTeX(String(repeating: "{", count: n)) == "")
        #expect(
            Normalize.decodeTeX(String(repeating: "{", count: n) + "Ann" + String(repeating: "}", count: n)) == "Ann")
        let accents = String(repeating: #"\'{"#, count: n) + "a" + String(repeating: "}", count: n)
        #expect(
            Array(Normalize.decodeTeX(accents).unicodeScalars)
                == ["\u{E1}"] + Array(repeating: "\u{301}", count: n - 1))
        let unclosed = String(repeating: #"\"{"#, count: n) + "o"
        #expect(
            Array(Normalize.decodeTeX(unclosed).unicodeScalars)
                == ["\u{F6}"] + Array(repeating: "\u{308}", count: n - 1))
        #expect(
            Normalize.splitAuthors(String(repeating: "(", count: n) + "x, " + String(repeating: "{", count: n)) == [])
        #expect(clock.now - start < .seconds(30))
    }

    @Test func decomposedInputBecomesNFC() {
        let decomposed = "Bala\u{301}zs"
        #expect(Array(Normalize.decodeTeX(decomposed).unicodeScalars) == Array("Balázs".unicodeScalars))
    }

    @Test func whitespaceCollapsing() {
        #expect(
            Normalize.collapseWhitespace(
                "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies")
                == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies")
        #expect(Normalize.collapseWhitespace("  A $\\alpha$\n\tand\r\n  $\\beta$  ") == "A $\\alpha$ and $\\beta$")
        #expect(Normalize.collapseWhitespace("already clean") == "already clean")
        #expect(Normalize.collapseWhitespace(" \n ") == "")
        #expect(Normalize.optional("  ") == nil)
        #expect(Normalize.optional(nil) == nil)
        #expect(Normalize.optional(" x\n y ") == "x y")
    }

    @Test func categories() {
        #expect(Normalize.categories("math.CO cs.CG math.CO  cs.DM") == ["math.CO", "cs.CG", "cs.DM"])
        #expect(Normalize.categories("") == [])
    }

    @Test func authorStrings() {
        #expect(
            Normalize.splitAuthors(#"C. Bal\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan"#)
                == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"])
        #expect(Normalize.splitAuthors("Ileana Streinu and Louis Theran") == ["Ileana Streinu", "Louis Theran"])
        #expect(
            Normalize.splitAuthors("A. A. Serga, M. Kostylev, and B. Hillebrands")
                == ["A. A. Serga", "M. Kostylev", "B. Hillebrands"])
        #expect(
            Normalize.splitAuthors(
                "A. S. Mishchenko (1 and 2) and N. Nagaosa (1 and 3) ((1) CREST, Japan\n  Science and Technology Agency, (2) Russian)"
            )
                == ["A. S. Mishchenko", "N. Nagaosa"])
        #expect(Normalize.splitAuthors("John Smith, Jr., Ann Lee") == ["John Smith Jr.", "Ann Lee"])
        #expect(Normalize.name(fromParsed: ["Yuan", "C. -P.", ""]) == "C. -P. Yuan")
        #expect(Normalize.name(fromParsed: ["Sudha", "", ""]) == "Sudha")
        #expect(Normalize.name(fromParsed: ["Smith", "John", "Jr"]) == "John Smith Jr")
    }

    @Test func authorsFallBackToParsedWhenSplittingDisagrees() {
        // An unbalanced parenthesis swallows the rest of the string; the parsed list has both names.
        let names = Normalize.authors(
            string: "Ann Lee (MIT, Bob Ray", parsed: [["Lee", "Ann", "", "MIT"], ["Ray", "Bob", ""]])
        #expect(names == ["Ann Lee", "Bob Ray"])
        #expect(Normalize.authors(string: "Ann Lee", parsed: nil) == ["Ann Lee"])
        #expect(Normalize.authors(string: nil, parsed: [[#"M\"uller"#, "Thomas", ""]]) == ["Thomas Müller"])
    }
}
