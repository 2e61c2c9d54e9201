import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboyMCP
import Testing

/// Papers held in memory, listed by featured day: what the tools read.
struct FakeCatalog: PaperCatalog {
    var papers: [StoredPaper]
    /// Thrown by every method when set (a store that fails).
    var failure: (any Error)?

    init(_ papers: [Paper] = Fixtures.corpus, upvotes: [String: Int] = [:], failure: (any Error)? = nil) {
        self.papers = papers.map { StoredPaper(paper: $0, upvotes: upvotes[$0.id.rawValue] ?? 0) }
        self.failure = failure
    }

    func check() throws { if let failure { throw failure } }

    func paper(id: PaperID, audience: Audience) async throws -> StoredPaper? {
        try check()
        return papers.first { $0.paper.id == id }
    }

    func listing(days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        try check()
        var found = papers.filter { days.contains($0.paper.featuredDay) }
        switch sort {
        case .publishedAt: found.sort { $0.paper.featuredAt > $1.paper.featuredAt }
        case .upvotes: found.sort { ($0.upvotes, $0.paper.featuredAt) > ($1.upvotes, $1.paper.featuredAt) }
        }
        return ResultPage(
            items: Array(found.dropFirst(offset).prefix(limit)), total: found.count, offset: offset, limit: limit)
    }

    func newestDay() async throws -> Day? {
        try check()
        return papers.map(\.paper.featuredDay).max()
    }

    func dayWithPapers(before day: Day) async throws -> Day? { nil }
    func dayWithPapers(after day: Day) async throws -> Day? { nil }
    func papers(byAuthor name: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        ResultPage(items: [], total: 0, offset: offset, limit: limit)
    }
    func coauthors(of name: String, limit: Int) async throws -> [(name: String, papers: Int)] { [] }
    func authors(startingWith prefix: String, limit: Int) async throws -> [(name: String, papers: Int)] { [] }
    func papers(inCategory category: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        ResultPage(items: [], total: 0, offset: offset, limit: limit)
    }
    func allPapers(after cursor: PaperCursor?, limit: Int) async throws -> (papers: [StoredPaper], next: PaperCursor?) {
        ([], nil)
    }
    func stats() async throws -> StoreStats { StoreStats(papers: papers.count, newestDay: try await newestDay()) }
}

/// A search engine that answers every query with the given papers, in order, and remembers what it was asked.
actor FakeSearcher: PaperSearcher {
    let papers: [StoredPaper]
    let semantic: SemanticStatus
    /// How long each search takes (for timeouts).
    let delay: Duration
    private(set) var asked: [(query: SearchQuery, mode: SearchMode, limit: Int)] = []

    init(_ papers: [StoredPaper], semantic: SemanticStatus = .on(model: "test", vectors: 7), delay: Duration = .zero) {
        self.papers = papers
        self.semantic = semantic
        self.delay = delay
    }

    func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome {
        asked.append((query, mode, limit))
        if delay > .zero { try await Task.sleep(for: delay) }
        let hits = papers.prefix(limit).enumerated().map { n, paper in
            RankedHit(
                paper: paper, score: 1.0 / Double(n + 1), titleHighlight: Highlighted(plain: paper.paper.title),
                abstractSnippet: Highlighted(plain: paper.paper.abstract), matchedTerms: ["neural"],
                similarity: mode == .keyword ? nil : 0.5)
        }
        return SearchOutcome(
            page: ResultPage(items: Array(hits), total: papers.count, offset: offset, limit: limit), mode: mode)
    }

    func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] {
        guard case .on = semantic else { return [] }
        return papers.filter { $0.paper.id != id }.prefix(limit).map { ($0, 0.9) }
    }

    /// The MCP server has no recommendation tool: nothing asks this fake for them.
    func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws -> [Recommendation] {
        Issue.record("the MCP tools asked for recommendations")
        return []
    }

    func semanticStatus() async -> SemanticStatus { semantic }
}

/// The trending list: the given papers.
struct FakeTrending: TrendingSource {
    var papers: [StoredPaper] = []

    func trending(offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        ResultPage(items: Array(papers.prefix(limit)), total: papers.count, offset: offset, limit: limit)
    }
}

/// A user's actions: votes counted in memory; `refusing` ids are refused with a message.
actor FakeActions: AgentActions {
    nonisolated let username = "ada"
    let catalog: FakeCatalog
    let refusing: Set<String>
    private(set) var votes: [PaperID: Int] = [:]
    private(set) var submitted: [String] = []

    init(catalog: FakeCatalog, refusing: Set<String> = []) {
        self.catalog = catalog
        self.refusing = refusing
    }

    func upvote(_ id: PaperID) async throws -> VoteState {
        guard !refusing.contains(id.rawValue) else { throw ActionRefused("paper \(id) not found") }
        votes[id, default: 0] = 1
        return VoteState(upvotes: 1, upvoted: true)
    }

    func submit(_ rawID: String) async throws -> StoredPaper {
        guard !refusing.contains(rawID) else { throw ActionRefused("paper \(rawID) was submitted already") }
        guard let id = PaperID(rawID), let stored = try await catalog.paper(id: id, audience: .everyone) else {
            throw ActionRefused("arXiv has no paper \(rawID)")
        }
        submitted.append(rawID)
        return stored
    }
}

struct StoreDown: Error {}

enum MCPTestSite {
    static let quiet: Logger = {
        var logger = Logger(label: "paperboy.test")
        logger.logLevel = .critical
        return logger
    }()

    static func tools(
        catalog: FakeCatalog = FakeCatalog(), searcher: (any PaperSearcher)? = nil,
        trending: FakeTrending = FakeTrending(),
        actions: (any AgentActions)? = nil
    ) -> PaperboyTools {
        PaperboyTools(
            site: AgentSite(
                catalog: catalog, searcher: searcher ?? FakeSearcher(catalog.papers), trending: trending,
                paperURL: { "https://papers.example.org/papers/\($0)" }, actions: actions),
            logger: quiet)
    }
}
