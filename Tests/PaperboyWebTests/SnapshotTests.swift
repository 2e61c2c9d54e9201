import Foundation
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// Whole pages rendered from fixed models through the real templates and compared with the files in `Snapshots/`,
/// so that a change to a template or a page model shows as a readable diff of HTML.
///
/// After a change meant to alter pages, record the snapshots again and review the diff before committing:
///
///     PAPERBOY_RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests
///     git diff Tests/PaperboyWebTests/Snapshots
///
/// Every value is fixed (papers, dates, site URL), and pages read no clock, so a snapshot changes only with the code.
@Suite("HTML snapshots")
struct SnapshotTests {
    static let config = WebConfiguration(baseURL: URL(string: "https://papers.example.org")!, siteName: "Paperboy")

    static func stored(_ paper: Paper, upvotes: Int = 0) -> StoredPaper { StoredPaper(paper: paper, upvotes: upvotes) }

    static let attention = Fixtures.paper(
        "2611.00001", title: "Attention Is All You Need Again",
        abstract: "We revisit the transformer architecture for language models.",
        authors: ["Ada Lovelace", "Alan Turing"], categories: ["cs.CL", "cs.LG"],
        versions: [(1, "2026-11-20T09:00:00Z")])
    static let quantum = Fixtures.paper(
        "2611.00002", title: "Quantum Error Correction at Scale",
        abstract: "Surface codes and a neural network decoder for quantum hardware.",
        authors: ["Grace Hopper", "Alan Turing", "Zoë Ünal", "Bo Li", "Vera Rubin", "Edward Witten"],
        categories: ["quant-ph"], versions: [(1, "2026-11-20T11:30:00Z"), (2, "2026-11-21T08:00:00Z")])
    static let hostile = Fixtures.paper(
        "2611.00004", title: "<script>alert('x')</script> & \"Quotes\"",
        abstract: "Hostile <b>markup</b> & entities &amp; stay text; $\\alpha$ TeX math too.",
        authors: ["O'Brien <img src=x>"], categories: ["cs.CR"], versions: [(1, "2026-11-20T07:00:00Z")])
    static let galaxy = Fixtures.paper(
        "2611.00003", title: "Galaxy Spectra Without Calibration",
        abstract: "A neural network learns galaxy spectra; language models are not involved.",
        authors: ["Vera Rubin"], categories: ["astro-ph.GA", "cs.LG"], versions: [(1, "2026-11-19T15:00:00Z")])

    static func render(_ model: some PersonalPage, _ template: String) async throws -> String {
        try await Templates.load().render(page: model, template, cards: CardFragments(), config: config)
    }

    @Test func listing() async throws {
        let day = try #require(Day(iso: "2026-11-20"))
        // With the subscribe box of a site that sends mail.
        let model = ListingPageModel(
            config: Self.config, period: .day(day), window: PageWindow(page: 2),
            result: ResultPage(
                items: [
                    Self.stored(Self.quantum, upvotes: 12), Self.stored(Self.attention, upvotes: 3),
                    Self.stored(Self.hostile),
                ],
                total: 103, offset: 50, limit: 50),
            previous: .day(day.adding(days: -1)), next: .day(day.adding(days: 1)),
            emptyText: "No papers were listed on November 20, 2026.", subscribe: SubscribeBoxView(Self.config))
        try Snapshot.check(try await Self.render(model, "listing"), named: "listing")
    }

    /// `/for-you` for a signed-in person: each card says why and carries the "not interested" form.
    @Test func forYou() async throws {
        var cards = [Self.stored(Self.quantum, upvotes: 12), Self.stored(Self.hostile)].map {
            CardView($0, config: Self.config)
        }
        for index in cards.indices {
            cards[index].forYou = ForYouCardView(
                becauseTitle: index == 0 ? Self.attention.title : "<b>Bold</b> & \"quoted\"",
                becauseURL: SiteURL.paper(Self.attention.id).path(Self.config), action: "/not-interested",
                paper: cards[index].source.paper.id.rawValue, csrf: "csrf-token", next: "/for-you")
        }
        let model = ListingPageModel(
            site: SiteChrome(Self.config), feed: nil, canonical: nil, heading: "For you", periods: [],
            previousURL: nil, previousLabel: nil, nextURL: nil, nextLabel: nil,
            countText: "The 2 papers featured November 14, 2026 to November 20, 2026 closest to what you liked",
            cards: cards, emptyText: "", pagination: nil)
        try Snapshot.check(try await Self.render(model, "listing"), named: "for-you")
    }

    @Test func recommendationSettings() async throws {
        let model = RecommendationSettingsPageModel(
            site: SiteChrome(Self.config), csrf: "csrf-token", action: "/for-you/settings",
            notInterestedAction: "/not-interested", forYouURL: "/for-you", problem: "“LG!” is not an arXiv category",
            success: nil, categories: "hep-th LG!", seedPapers: "2611.00001", maxCategories: 20, maxSeedPapers: 50,
            notInterested: [
                NotInterestedRow(title: Self.hostile.title, url: "/papers/2611.00004", paper: "2611.00004")
            ],
            hasNotInterested: true, next: "/for-you/settings")
        try Snapshot.check(try await Self.render(model, "recommendations"), named: "recommendations")
    }

    @Test func paper() async throws {
        var paper = Fixtures.paper(
            "2611.01234", title: "A Full Paper", abstract: "Line one with $\\alpha$ & <b>tags</b>.",
            authors: ["Zoë Ünal", "Bo Li"], categories: ["math.CO", "cs.DM"],
            versions: [(1, "2026-11-01T01:02:03Z"), (2, "2026-11-05T00:00:00Z")], comments: "12 pages, 3 figures",
            doi: "10.1000/xyz")
        paper.journalRef = "J. Test 1 (2026)"
        paper.reportNo = "TR-2026-7"
        paper.license = "http://creativecommons.org/licenses/by/4.0/"
        paper.submitter = "Zoë Ünal"
        paper.versions[1].size = "1,234 KB"
        paper.featuredAt = try #require(Timestamp.parse("2026-11-06T00:00:00Z"))
        let similar = [CardView(Self.stored(Self.galaxy, upvotes: 1), config: Self.config, similarity: 0.834)]
        let model = PaperPageModel(
            config: Self.config, stored: Self.stored(paper, upvotes: 7), similar: similar, comments: [])
        try Snapshot.check(try await Self.render(model, "paper"), named: "paper")
    }

    @Test func searchResults() async throws {
        let text = "galaxy -noise after:yesterday"
        let match = { (text: String) in Highlighted.Segment(text: text, isMatch: true) }
        let plain = { (text: String) in Highlighted.Segment(text: text, isMatch: false) }
        let hit = RankedHit(
            paper: Self.stored(Self.galaxy, upvotes: 2), score: 3.5,
            titleHighlight: Highlighted(segments: [match("Galaxy"), plain(" Spectra Without Calibration")]),
            abstractSnippet: Highlighted(segments: [
                plain("A neural network learns "), match("galaxy"), plain(" spectra…"),
            ]),
            matchedTerms: ["galaxy"], similarity: nil)
        let outcome = SearchOutcome(
            page: ResultPage(items: [hit], total: 51, offset: 0, limit: 50), mode: .keyword,
            note: "Semantic search is off (no embedding model is loaded); these are keyword results.")
        let model = SearchPageModel(
            config: Self.config, text: text, query: SearchQuery(parsing: text), mode: .hybrid, sort: .relevance,
            window: PageWindow(page: 1), outcome: outcome, semantic: .off(reason: "no embedding model is loaded"))
        try Snapshot.check(try await Self.render(model, "search"), named: "search")
    }

    @Test func errorPage() async throws {
        let model = ErrorPageModel(config: Self.config, error: .notFound("Paper 2611.09999 is not here (yet)."))
        try Snapshot.check(try await Self.render(model, "error"), named: "error")
    }
}

/// Compares text with a file in `Snapshots/` beside this source file, or records it there.
enum Snapshot {
    /// Set to 1 to write the snapshots instead of comparing with them.
    static let recordVariable = "PAPERBOY_RECORD_SNAPSHOTS"

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots")

    static var recording: Bool { ProcessInfo.processInfo.environment[recordVariable] == "1" }

    static func check(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = directory.appendingPathComponent("\(name).html")
        let record = "\(recordVariable)=1 swift test --filter SnapshotTests"
        if recording {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record(
                "No snapshot Snapshots/\(name).html yet: record it with \(record).", sourceLocation: sourceLocation)
            return
        }
        guard let difference = firstDifference(expected, actual) else { return }
        let kept = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-snapshot-\(name).html")
        try? actual.write(to: kept, atomically: true, encoding: .utf8)
        Issue.record(
            """
            The \(name) page differs from Snapshots/\(name).html, first at line \(difference.line):
              snapshot: \(difference.expected ?? "(end of file)")
              rendered: \(difference.actual ?? "(end of page)")
            The whole rendered page is in \(kept.path). If the change is meant, record again with \(record)
            and review `git diff Tests/PaperboyWebTests/Snapshots`.
            """, sourceLocation: sourceLocation)
    }

    /// The first line (from 1) where the texts differ, with both versions of it; nil when they are the same.
    static func firstDifference(_ expected: String, _ actual: String) -> (
        line: Int, expected: String?, actual: String?
    )? {
        guard expected != actual else { return nil }
        let old = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < old.count, index < new.count, old[index] == new[index] { index += 1 }
        return (index + 1, index < old.count ? old[index] : nil, index < new.count ? new[index] : nil)
    }
}

@Suite("Snapshot comparison")
struct SnapshotComparisonTests {
    @Test func theFirstDifferingLineIsNamed() throws {
        #expect(Snapshot.firstDifference("a\nb\nc", "a\nb\nc") == nil)
        let changed = try #require(Snapshot.firstDifference("a\nb\nc", "a\nB\nc"))
        #expect(changed.line == 2 && changed.expected == "b" && changed.actual == "B")
        let longer = try #require(Snapshot.firstDifference("a\n", "a\nb"))
        #expect(longer.line == 2 && longer.expected == "" && longer.actual == "b")
        let shorter = try #require(Snapshot.firstDifference("a\nb", "a"))
        #expect(shorter.line == 2 && shorter.expected == "b" && shorter.actual == nil)
    }
}
