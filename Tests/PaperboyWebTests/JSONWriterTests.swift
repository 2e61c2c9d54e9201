import Foundation
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// The API's hand-written JSON is byte for byte what JSONEncoder writes for the same values.
@Suite("JSON writer")
struct JSONWriterTests {
    static var papers: [StoredPaper] {
        var hostile = Fixtures.paper(
            "2611.00077", title: "Quotes \" and \\ back\\slash, tab\t, newline\n, bell\u{7}, NUL\u{0} / slash",
            abstract: "Unicode: Zoë, 数学, 😀, U+2028 \u{2028}; <b>markup</b> & entities.",
            authors: ["O'Brien <img src=x>", "Ünal, Zoë"], categories: ["cs.CR", "math.CO"],
            versions: [(1, "2026-11-18T07:00:00Z"), (2, "2026-11-19T07:00:00Z")], comments: "12 pages",
            doi: "10.1/x")
        hostile.versions[1].size = "1,234kb"
        hostile.journalRef = "J. \"Test\""
        hostile.license = "http://creativecommons.org/licenses/by/4.0/"
        hostile.reportNo = "R-1"
        return Fixtures.corpus.map { StoredPaper(paper: $0) } + [
            StoredPaper(
                paper: hostile, upvotes: 12, numComments: 3,
                submittedBy: Person(username: "ada", fullname: "Ada \"Countess\" Lovelace"))
        ]
    }

    static func same(_ value: some JSONWritable & Encodable) throws {
        let written = JSON.written(value)
        let encoded = try JSON.rendered(value)
        #expect(String(buffer: written.body) == String(buffer: encoded.body))
    }

    @Test(arguments: [nil, true, false] as [Bool?])
    func itemsAndPapersMatchJSONEncoder(upvoted: Bool?) throws {
        let config = WebConfiguration()
        let scores: [Double?] = [nil, 1, 0.5, 0.123456789, 1e-7, 12345.678, 3.0e20]
        var items: [APIDailyItem] = []
        for (index, stored) in Self.papers.enumerated() {
            let score = scores[index % scores.count]
            let why =
                index % 2 == 0
                ? APIWhy(mode: "hybrid", matchedTerms: ["graph", "\"quoted\""], similarity: score) : nil
            items.append(APIDailyItem(stored, config: config, upvoted: upvoted, score: score, why: why))
        }
        try Self.same(items)
        try Self.same(Self.papers.map { APIPaper($0, config: config, upvoted: upvoted) })
        try Self.same([APIDailyItem]())
    }

    @Test func nonFiniteNumbersAreNull() {
        var out = JSONOutput()
        out.array([Double.nan, .infinity, 2.5]) { $0.double($1) }
        #expect(String(decoding: out.bytes, as: UTF8.self) == "[null,null,2.5]")
    }
}
