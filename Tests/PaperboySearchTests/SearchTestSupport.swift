import Foundation
import Logging
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboySearch

/// Fake engines for the hybrid searcher: a keyword index that ranks a fixed list, papers by key and stored vectors,
/// recording what the searcher asks of them. It can also fail, to test a failing half.
actor FakeStore: KeywordIndex, KeyedPapers, EmbeddingStore {
    /// What the searcher asked for: keyword rankings as [offset, limit] and vector pages as [after, limit].
    struct Calls: Equatable {
        var ranks: [[Int]] = []
        var vectorPages: [[Int64]] = []
    }

    struct Failure: Error, Equatable {}

    var papersByKey: [PaperKey: StoredPaper] = [:]
    var vectors: [PaperKey: [Float]] = [:]
    var calls = Calls()
    /// Keys the keyword side ranks, best first (for every query).
    var keywordRanking: [PaperKey] = []
    /// What `keys(passingFiltersOf:)` answers (nil: the query has no filters).
    var allowed: Set<PaperKey>?
    /// Highlights the keyword side gives, by key.
    var marks: [PaperKey: Highlights] = [:]
    var failsKeyword = false
    /// Whether rankings say their total is an estimate.
    var estimatesTotal = false
    /// The queries the searcher gave `rank`, `keys(passingFiltersOf:)` and `highlights`, in order.
    var rankedQueries: [SearchQuery] = []
    var filteredQueries: [SearchQuery] = []
    var highlightedQueries: [SearchQuery] = []

    init(
        papers: [PaperKey: StoredPaper] = [:], vectors: [PaperKey: [Float]] = [:], keywordRanking: [PaperKey] = [],
        allowed: Set<PaperKey>? = nil, marks: [PaperKey: Highlights] = [:], failsKeyword: Bool = false,
        estimatesTotal: Bool = false
    ) {
        papersByKey = papers
        self.vectors = vectors
        self.keywordRanking = keywordRanking
        self.allowed = allowed
        self.marks = marks
        self.failsKeyword = failsKeyword
        self.estimatesTotal = estimatesTotal
    }

    static func paper(_ key: PaperKey, title: String) -> StoredPaper {
        StoredPaper(
            paper: Paper(
                id: PaperID(storedValue: "2501.\(String(format: "%05d", key))"), title: title,
                abstract: "Abstract of \(title).", authors: ["A. Author"], categories: ["cs.LG"],
                versions: [PaperVersion(number: 1, submitted: Date(timeIntervalSince1970: 1_735_689_600))]))
    }

    // KeywordIndex

    func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking {
        calls.ranks.append([offset, limit])
        rankedQueries.append(query)
        if failsKeyword { throw Failure() }
        let keys = keywordRanking.dropFirst(offset).prefix(limit)
        return KeywordRanking(
            ranked: keys.enumerated().map { ScoredKey(key: $1, score: Double(keywordRanking.count - offset - $0)) },
            total: keywordRanking.count, totalIsEstimated: estimatesTotal)
    }

    func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
        filteredQueries.append(query)
        if failsKeyword { throw Failure() }
        return allowed
    }

    func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights] {
        highlightedQueries.append(query)
        return marks.filter { keys.contains($0.key) }
    }

    // KeyedPapers

    func key(of id: PaperID) async throws -> PaperKey? { papersByKey.first { $0.value.paper.id == id }?.key }

    func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        papersByKey.filter { keys.contains($0.key) }
    }

    // EmbeddingStore

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
