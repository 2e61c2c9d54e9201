import PaperboyCore
import Testing

@testable import PaperboySQLite

@Suite("FTS5 highlight marks")
struct FTSMarksTests {
    @Test func markedTextBecomesSegments() {
        let h = FTSMarks.highlighted("A \u{E000}graph\u{E001} of \u{E000}graphs\u{E001}.")
        #expect(h.segments.map(\.text) == ["A ", "graph", " of ", "graphs", "."])
        #expect(h.matchedWords == ["graph", "graphs"])
        #expect(h.plainText == "A graph of graphs.")
        #expect(FTSMarks.highlighted("").segments.isEmpty)
        #expect(
            FTSMarks.highlighted("\u{E001}unopened").segments == [Highlighted.Segment(text: "unopened", isMatch: false)]
        )
    }
}
