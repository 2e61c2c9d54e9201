import Foundation
import Logging
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboySearch

/// A store of a few papers and their vectors that records what the searcher asks of it.
actor FakeStore: PaperStore, VectorStore {
    /// What the searcher asked for: keyword pages as [offset, limit], keyword candidate limits, vector pages as
    /// [after, limit].
    struct Calls: Equatable {
        var keywordSearches: [[Int]] = []
        var keywordKeyLimits: [Int] = []
        var vectorPages: [[Int64]] = []
    }

    struct Unsupported: Error {}

    var papersByKey: [PaperKey: StoredPaper] = [:]
    var vectors: [PaperKey: [Float]] = [:]
    var calls = Calls()
    /// Keys the keyword side ranks, best first.
    var keywordRanking: [PaperKey] = []

    init(papers: [PaperKey: StoredPaper] = [:], vectors: [PaperKey: [Float]] = [:], keywordRanking: [PaperKey] = []) {
        papersByKey = papers
        self.vectors = vectors
        self.keywordRanking = keywordRanking
    }

    static func paper(_ key: PaperKey, title: String) -> StoredPaper {
        StoredPaper(
            paper: Paper(
                id: PaperID(storedValue: "2501.\(String(format: "%05d", key))"), title: title,
                abstract: "Abstract of \(title).", authors: ["A. Author"], categories: ["cs.LG"],
                versions: [PaperVersion(number: 1, submitted: Date(timeIntervalSince1970: 1_735_689_600))]))
    }

    // PaperStore

    func migrate() async throws {}
    func upsert(_ papers: [Paper]) async throws -> UpsertSummary { throw Unsupported() }
    func beginBulkLoad() async throws {}
    func endBulkLoad() async throws {}
    func paper(id: PaperID) async throws -> StoredPaper? { papersByKey.values.first { $0.paper.id == id } }
    func listing(days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    { throw Unsupported() }
    func newestDay() async throws -> Day? { nil }
    func dayWithPapers(before day: Day) async throws -> Day? { nil }
    func dayWithPapers(after day: Day) async throws -> Day? { nil }
    func papers(byAuthor name: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        throw Unsupported()
    }
    func coauthors(of name: String, limit: Int) async throws -> [(name: String, papers: Int)] { [] }
    func papers(inCategory category: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        throw Unsupported()
    }

    func search(_ query: SearchQuery, offset: Int, limit: Int) async throws -> ResultPage<SearchHit> {
        calls.keywordSearches.append([offset, limit])
        let keys = keywordRanking.dropFirst(offset).prefix(limit)
        let hits = keys.compactMap { key in
            papersByKey[key].map {
                SearchHit(
                    paper: $0, score: 1, titleHighlight: Highlighted(plain: $0.paper.title),
                    abstractSnippet: Highlighted(plain: $0.paper.abstract))
            }
        }
        return ResultPage(items: hits, total: keywordRanking.count, offset: offset, limit: limit)
    }

    func allPapers(after cursor: PaperCursor?, limit: Int) async throws
        -> (papers: [StoredPaper], next: PaperCursor?)
    { throw Unsupported() }
    func stats() async throws -> StoreStats { StoreStats(papers: papersByKey.count, newestDay: nil) }
    func harvestState(key: String) async throws -> HarvestState { HarvestState() }
    func setHarvestState(_ state: HarvestState, key: String) async throws {}

    // VectorStore

    func papersNeedingEmbedding(model: String, after key: PaperKey, scan: Int) async throws
        -> (jobs: [EmbeddingJob], last: PaperKey?)
    { ([], nil) }

    func saveEmbeddings(model: String, dimension: Int, _ items: [StoredEmbedding]) async throws {
        for item in items { vectors[item.key] = item.vector }
    }

    func embeddings(model: String, after key: PaperKey, limit: Int) async throws -> [StoredEmbedding] {
        calls.vectorPages.append([key, Int64(limit)])
        return vectors.keys.sorted().filter { $0 > key }.prefix(limit).compactMap { key in
            vectors[key].map { StoredEmbedding(key: key, textHash: 0, vector: $0) }
        }
    }

    func embeddingCount(model: String) async throws -> Int { vectors.count }
    func embedding(model: String, key: PaperKey) async throws -> [Float]? { vectors[key] }
    func key(of id: PaperID) async throws -> PaperKey? { papersByKey.first { $0.value.paper.id == id }?.key }
    func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        papersByKey.filter { keys.contains($0.key) }
    }
    func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? { nil }

    func keywordKeys(_ query: SearchQuery, limit: Int) async throws
        -> (ranked: [(key: PaperKey, score: Double)], total: Int)
    {
        calls.keywordKeyLimits.append(limit)
        return (keywordRanking.prefix(limit).map { (key: $0, score: 1) }, keywordRanking.count)
    }

    func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: (Highlighted, Highlighted)] {
        [:]
    }
}

/// Log messages at warning and above (and notices), kept for tests.
final class LogCapture: Sendable {
    struct Entry: Sendable, Equatable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    var logger: Logger {
        Logger(label: "paperboy.tests") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .notice

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let entry = Entry(
                level: event.level, message: "\(event.message)",
                metadata: (event.metadata ?? [:]).mapValues { "\($0)" })
            capture.storage.withLock { $0.append(entry) }
        }
    }
}

/// Temporary files and directories removed at the end of a test.
enum TemporaryFiles {
    static func url(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "paperboy-search-tests-\(UUID().uuidString)-\(name)")
    }
}
