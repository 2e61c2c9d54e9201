import Foundation
import PaperboyCore
import Testing

@Suite("Paper ids")
struct PaperIDTests {
    @Test(arguments: [
        ("2511.01234", "2511.01234", nil as Int?),
        ("2511.01234v2", "2511.01234", 2),
        ("0704.0001", "0704.0001", nil),
        ("hep-th/9901001", "hep-th/9901001", nil),
        ("hep-th/9901001v3", "hep-th/9901001", 3),
        ("math.GT/0309136", "math.GT/0309136", nil),
        ("arXiv:2511.01234v1", "2511.01234", 1),
        ("https://arxiv.org/abs/2511.01234v4", "2511.01234", 4),
        ("ARXIV:2511.01234", "2511.01234", nil),
        ("HTTPS://arXiv.org/abs/hep-th/9901001", "hep-th/9901001", nil),
        ("arxiv.org/abs/2511.01234", "2511.01234", nil),
        ("http://arxiv.org/abs/2511.01234v3", "2511.01234", 3),
        ("  2511.01234 ", "2511.01234", nil),
    ])
    func parsesIdsPeopleWrite(input: String, id: String, version: Int?) throws {
        let parsed = try #require(PaperID.parse(input))
        #expect(parsed.id.rawValue == id)
        #expect(parsed.version == version)
    }

    @Test(arguments: [
        "", "abc", "2511.123", "2513.01234", "2511.012345", "hep-th/99010", "../etc/passwd", "2511.01234v", "1/2",
    ])
    func rejectsEverythingElse(input: String) {
        #expect(PaperID.parse(input) == nil)
    }

    @Test func unversionedInitRejectsVersions() {
        #expect(PaperID("2511.01234v2") == nil)
        #expect(PaperID("hep-th/9901001")?.isOldStyle == true)
    }
}

@Suite("Days, weeks, months, timestamps")
struct CalendarTests {
    @Test func daysRoundTripThroughEpochDays() {
        for n in stride(from: -719_162, through: 800_000, by: 997) {
            #expect(Day(daysSinceEpoch: n).daysSinceEpoch == n)
        }
        #expect(Day(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(Day(iso: "2024-02-29") != nil)
        #expect(Day(iso: "2023-02-29") == nil)
        #expect(Day(iso: "2026-11-27")?.isoWeekday == 5)
    }

    @Test(arguments: [
        ("2026-11-27", "2026-W48"), ("2021-01-03", "2020-W53"), ("2024-12-30", "2025-W01"), ("2026-01-01", "2026-W01"),
    ])
    func isoWeeks(day: String, week: String) throws {
        let d = try #require(Day(iso: day))
        let w = try #require(ISOWeek(containing: d))
        #expect(w.description == week)
        #expect(w.days.contains(Day(iso: day)!))
        #expect(ISOWeek(iso: week) == w)
    }

    @Test func weekAndMonthNavigation() {
        let w = ISOWeek(iso: "2026-W01")!
        #expect(ListingPeriod.week(w).previous == .week(ISOWeek(iso: "2025-W52")!))
        #expect(ListingPeriod.month(Month(iso: "2026-01")!).previous == .month(Month(iso: "2025-12")!))
        #expect(Month(iso: "2024-02")!.days.upperBound == Day(iso: "2024-02-29"))
        #expect(ISOWeek(iso: "2026-W54") == nil)
    }

    @Test func timestampsAreRFC3339WithMillisecondsAndZ() throws {
        let date = try #require(Timestamp.parse("Mon, 2 Apr 2007 19:18:42 GMT"))
        #expect(Timestamp.rfc3339(date) == "2007-04-02T19:18:42.000Z")
        #expect(Timestamp.rfc2822(date) == "Mon, 02 Apr 2007 19:18:42 GMT")
        #expect(Timestamp.parse("2007-04-02T21:18:42+02:00") == date)
        #expect(Timestamp.parse("2007-04-02T19:18:42.250Z").map(Timestamp.rfc3339) == "2007-04-02T19:18:42.250Z")
        #expect(Timestamp.parse("2007-04-02").map(Timestamp.rfc3339) == "2007-04-02T00:00:00.000Z")
        #expect(Timestamp.parse("Tue, 10 Apr 2007 18:00:00 -0400").map(Timestamp.rfc3339) == "2007-04-10T22:00:00.000Z")
        #expect(Timestamp.parse("yesterday") == nil)
        #expect(Timestamp.parse("2007-13-01") == nil)
    }
}

@Suite("Search query parsing")
struct SearchQueryTests {
    @Test func wordsPhrasesPrefixesAndFilters() {
        let q = SearchQuery(
            parsing:
                #"Language Models "neural network" transform* -vision author:"Geoffrey Hinton" cat:cs.LG after:2024-01 before:2025-06-30"#
        )
        #expect(
            q.terms == [
                .init(words: ["language"]), .init(words: ["models"]),
                .init(words: ["neural", "network"], isPhrase: true),
                .init(words: ["transform"], isPrefix: true),
            ])
        #expect(q.excluded == [.init(words: ["vision"])])
        #expect(q.authors == ["Geoffrey Hinton"])
        #expect(q.categories == ["cs.LG"])
        #expect(q.after == Day(iso: "2024-01-01"))
        #expect(q.before == Day(iso: "2025-06-30"))
        #expect(q.problems.isEmpty)
    }

    @Test func hostileInputNeverFails() {
        #expect(
            SearchQuery(parsing: #""unbalanced phrase"#).terms == [
                .init(words: ["unbalanced", "phrase"], isPhrase: true)
            ])
        #expect(SearchQuery(parsing: "* ( ) NEAR( ^").terms == [.init(words: ["near"])])
        #expect(
            SearchQuery(parsing: "'; DROP TABLE papers; --").terms.map(\.words) == [["drop"], ["table"], ["papers"]])
        #expect(SearchQuery(parsing: "🤖").isEmpty)
        #expect(SearchQuery(parsing: "-only").problems == ["Excluding words needs at least one word to search for."])
        #expect(
            SearchQuery(parsing: "x before:soon").problems == ["Ignored before:soon: dates are written YYYY-MM-DD."])
        #expect(SearchQuery(parsing: "title:foo").terms.map(\.words) == [["title", "foo"]])
    }
}

@Suite("Papers")
struct PaperTests {
    func paper(_ title: String, _ versions: [(Int, String)], updated: String? = nil) -> Paper {
        Paper(
            id: PaperID("2611.00001")!, title: title, abstract: "a", authors: ["A"], categories: ["cs.LG"],
            versions: versions.map { PaperVersion(number: $0.0, submitted: Timestamp.parse($0.1)!) },
            updated: updated.flatMap { Timestamp.parse($0) })
    }

    @Test func mergingUnitesVersionsAndKeepsTheFeaturedDay() {
        let stored = paper("Old", [(1, "2026-11-01"), (2, "2026-11-03")])
        let atom = paper("New", [(1, "2026-11-01"), (3, "2026-11-09")], updated: "2026-11-09")
        let merged = stored.merged(with: atom)
        #expect(merged.versions.map(\.number) == [1, 2, 3])
        #expect(merged.title == "New")
        #expect(merged.featuredDay == Day(iso: "2026-11-01"))
        #expect(merged.updated == Timestamp.parse("2026-11-09"))
        #expect(merged.merged(with: stored) == merged, "an older record changes nothing")
    }

    @Test func bibtexAndMarkdown() {
        var p = paper("Attention Is All You Need", [(1, "2017-06-12T17:57:34Z")])
        p.authors = ["Ashish Vaswani", "Noam Shazeer"]
        p.doi = "10.1/x"
        #expect(
            Citation.bibtex(p) == """
                @misc{vaswani2017attention,
                  title = {Attention Is All You Need},
                  author = {Ashish Vaswani and Noam Shazeer},
                  year = {2017},
                  eprint = {2611.00001},
                  archivePrefix = {arXiv},
                  primaryClass = {cs.LG},
                  doi = {10.1/x},
                  url = {https://arxiv.org/abs/2611.00001}
                }
                """)
        #expect(
            Citation.markdown(p).hasPrefix("# Attention Is All You Need\n\n**Authors:** Ashish Vaswani, Noam Shazeer\n")
        )
    }

    @Test func cursorTokensRoundTrip() {
        let cursor = PaperCursor(featuredAt: Timestamp.parse("2026-11-20T10:00:00Z")!, id: PaperID("hep-th/9901001")!)
        #expect(PaperCursor(token: cursor.token) == cursor)
        #expect(PaperCursor(token: "nonsense") == nil)
    }
}

@Suite("Retrieval evaluation")
struct EvaluationTests {
    let a = PaperID("2611.00001")!
    let b = PaperID("2611.00002")!
    let c = PaperID("2611.00003")!

    @Test func scoresOneQuery() {
        let s = RetrievalScores.score(ranked: [c, a, b], relevant: [a, b])
        #expect(s.mrr == 0.5)
        #expect(s.recall == 1)
        let ideal = 1 + 1 / log2(3.0)
        #expect(abs(s.ndcg - (1 / log2(3.0) + 1 / log2(4.0)) / ideal) < 1e-12)
        #expect(
            RetrievalScores.score(ranked: [c], relevant: [a]) == RetrievalScores(mrr: 0, recall: 0, ndcg: 0, queries: 1)
        )
        #expect(RetrievalScores.score(ranked: [a], relevant: [a]).ndcg == 1)
    }

    @Test func loadsSetsAndRejectsBadOnes() throws {
        let set = try EvaluationSet(json: Data(#"[["q", ["2611.00001", "hep-th/9901001"]]]"#.utf8), file: "e.json")
        #expect(set.items.count == 1 && set.items[0].relevant.count == 2)
        #expect(throws: EvaluationSet.LoadError.badID(file: "e.json", index: 0, id: "x")) {
            try EvaluationSet(json: Data(#"[["q", ["x"]]]"#.utf8), file: "e.json")
        }
        #expect(throws: EvaluationSet.LoadError.notAList(file: "e.json")) {
            try EvaluationSet(json: Data("{}".utf8), file: "e.json")
        }
        #expect(throws: EvaluationSet.LoadError.badItem(file: "e.json", index: 0)) {
            try EvaluationSet(json: Data(#"[["q"]]"#.utf8), file: "e.json")
        }
    }
}
