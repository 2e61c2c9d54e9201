import PaperboyCore
import Testing

/// The formulas the browser's math renderer will find, as byte ranges (auto-render's rules).
@Suite struct TeXSpansTests {
    func spans(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return TeXSpans.ranges(in: text).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test func findsEachDelimiterKind() {
        #expect(spans("Sorting in $\\mathcal{O}(n \\log n)$ time") == ["$\\mathcal{O}(n \\log n)$"])
        #expect(spans("A $$\\sum_i x_i$$ and \\(a+b\\) and \\[c\\]") == ["$$\\sum_i x_i$$", "\\(a+b\\)", "\\[c\\]"])
        #expect(spans("$a$ and $b$") == ["$a$", "$b$"])
        #expect(spans("No formula here") == [])
    }

    @Test func followsAutoRendersRulesForBracesEscapesAndStrayDollars() {
        // A closing dollar inside braces or after a backslash does not close.
        #expect(spans("$\\text{costs \\$5 {$}}$ rest") == ["$\\text{costs \\$5 {$}}$"])
        // An opening delimiter never closed leaves the rest as text, even a later pair.
        #expect(spans("Costs $5 and \\(x\\)") == [])
        #expect(spans("$x$ costs $5") == ["$x$"])
        // Offsets are bytes, after multi-byte text.
        let text = "Ünïcode $α$"
        #expect(TeXSpans.ranges(in: text).first == 10..<14)
    }
}
