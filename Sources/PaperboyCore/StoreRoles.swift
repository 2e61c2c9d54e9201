import Foundation

// The store, split by who needs what. A backend (SQLite today, PostgreSQL next) implements each role; pages, the
// API, jobs and search engines ask only for the roles they use. Every role has its checks in the conformance suite
// (Tests/PaperStoreConformance), which each implementation runs.

/// Reading papers as pages, feeds and the API show them.
///
/// Hidden papers (``ModerationStore/setPaperHidden(_:hidden:by:at:)``) are left out of every method that lists papers,
/// for everyone, and ``paper(id:audience:)`` gives one only to moderators: the store enforces it, so every path obeys.
public protocol PaperCatalog: Sendable {
    /// The paper; a hidden one only for moderators.
    func paper(id: PaperID, audience: Audience) async throws -> StoredPaper?

    /// Papers featured on the given days, in `sort` order.
    func listing(days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>

    /// The newest day that has papers, if any.
    func newestDay() async throws -> Day?

    /// The nearest day before / after `day` that has papers.
    func dayWithPapers(before day: Day) async throws -> Day?
    func dayWithPapers(after day: Day) async throws -> Day?

    /// An author's papers, newest first.
    func papers(byAuthor name: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper>

    /// Authors who wrote with `name`, most shared papers first.
    func coauthors(of name: String, limit: Int) async throws -> [(name: String, papers: Int)]

    /// Up to `limit` author names that begin with `prefix` (as written, case and all), in name order, each with its
    /// number of papers: search suggestions as a person types. Reads only the names it returns.
    func authors(startingWith prefix: String, limit: Int) async throws -> [(name: String, papers: Int)]

    /// A category's papers (primary or cross-listed), newest first.
    func papers(inCategory category: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper>

    /// Every paper (hidden ones left out), newest featured first, from a cursor.
    func allPapers(after cursor: PaperCursor?, limit: Int) async throws -> (papers: [StoredPaper], next: PaperCursor?)

    func stats() async throws -> StoreStats
}

/// Storing papers: what ingest and harvest use.
public protocol PaperWriter: Sendable {
    /// Stores papers, merging each with what is stored (``Paper/merged(with:)``). One transaction:
    /// every paper of the batch is stored whole, or none is.
    func upsert(_ papers: [Paper]) async throws -> UpsertSummary

    /// Prepares for loading many papers at once, and finishes (a store may defer work to ``endBulkLoad()``). A load
    /// killed before `endBulkLoad` leaves a store that works, only perhaps slower until the next load ends.
    func beginBulkLoad() async throws
    func endBulkLoad() async throws

    /// How many papers are stored (ingest loads in bulk into a nearly empty store).
    func paperCount() async throws -> Int
}

/// Where each incremental harvest stands, so that a killed harvest resumes.
public protocol HarvestStateStore: Sendable {
    func harvestState(key: String) async throws -> HarvestState
    func setHarvestState(_ state: HarvestState, key: String) async throws
}

/// The store's own upkeep: the schema and copies. Commands ask for it; pages never do.
public protocol StoreMaintenance: Sendable {
    /// Brings the schema up to date. Safe to call on every start.
    func migrate() async throws

    /// Names of the applied schema migrations, oldest first.
    func appliedMigrations() async throws -> [String]

    /// Names of the migrations this version knows and the store lacks, oldest first (a node started without
    /// migrating checks that there are none).
    func pendingMigrations() async throws -> [String]

    /// A consistent copy of the live store at `destination`, safe while the server runs. A backend that cannot
    /// make one throws ``StoreUnsupported``.
    func backup(to destination: String) async throws
}

/// The store's schema has migrations this Paperboy does not know: a newer Paperboy migrated it. This one refuses to
/// work on it rather than misread it.
public struct SchemaNewerThanThisPaperboy: Error, Equatable, CustomStringConvertible {
    public let store: String
    /// The applied migrations this version does not know, oldest first.
    public let unknown: [String]

    public init(store: String, unknown: [String]) {
        self.store = store
        self.unknown = unknown
    }

    public var description: String {
        "the \(store) schema is newer than this Paperboy \(PaperboyVersion.current) knows (it has the migrations "
            + "\(unknown.joined(separator: ", "))): run the newer Paperboy, or restore a backup made before it migrated"
    }
}

/// An operation this kind of store does not offer (for example a file backup of a database server).
public struct StoreUnsupported: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let store: String
    public let advice: String

    public init(operation: String, store: String, advice: String) {
        self.operation = operation
        self.store = store
        self.advice = advice
    }

    public var description: String { "\(store) cannot \(operation): \(advice)" }
}

/// Papers by ``PaperKey``: how search engines, which rank keys, turn their results into papers.
public protocol KeyedPapers: Sendable {
    /// The key of a stored paper.
    func key(of id: PaperID) async throws -> PaperKey?

    /// Papers by key (keys of no stored paper, and of hidden papers, are left out).
    func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper]
}

/// Storage of paper embeddings, per model (name + weights hash), beside the papers.
public protocol EmbeddingStore: Sendable {
    /// Papers after `key` (in key order) with no embedding for `model`, or one of a different text.
    /// Returns the jobs and the last key scanned (nil at the end), so callers walk every paper in pages.
    func papersNeedingEmbedding(model: String, after key: PaperKey, scan: Int) async throws
        -> (jobs: [EmbeddingJob], last: PaperKey?)

    /// Stores embeddings (replacing older ones of the same papers), in one transaction.
    func saveEmbeddings(model: String, dimension: Int, _ items: [StoredEmbedding]) async throws

    /// Stored embeddings of `model` after `key`, in key order (for loading an index).
    func embeddings(model: String, after key: PaperKey, limit: Int) async throws -> [StoredEmbedding]

    func embeddingCount(model: String) async throws -> Int

    func embedding(model: String, key: PaperKey) async throws -> [Float]?
}

/// Why embeddings cannot be stored (every ``EmbeddingStore`` refuses them alike).
public enum VectorRowError: Error, CustomStringConvertible, Equatable, Sendable {
    case wrongDimension(key: PaperKey, found: Int, expected: Int)
    case notFinite(key: PaperKey)

    public var description: String {
        switch self {
        case .wrongDimension(let key, let found, let expected):
            return "the embedding of paper \(key) has \(found) dimensions, expected \(expected)"
        case .notFinite(let key):
            return "the embedding of paper \(key) holds NaN or infinite values"
        }
    }
}

/// Keyword search: a parsed query in, ranked keys with a count and highlights out. Paperboy's own index
/// (`KeywordSearchIndex` in PaperboySearch) implements it over any store, fed by its ``PaperChangeFeed``.
///
/// Every implementation ranks by BM25 over title, authors and abstract (best first) and orders equal scores by
/// arXiv id, so that every backend gives the same order; with ``SearchQuery/sort`` `.newest`, matches come newest
/// featured first (then arXiv id descending), each with score 0 (no scoring is needed to order them). Hidden papers
/// never match. A query with filters but no words lists the papers that pass them newest first (score 0).
public protocol KeywordIndex: Sendable {
    /// One page of the matches of `query`, and how many matched.
    func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking

    /// Keys of the papers that pass the query's filters (`cat:`, `author:`, `after:`, `before:`, `-word`), or nil
    /// when it has none. Semantic search keeps only these.
    func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>?

    /// Highlighted titles and abstract snippets of the given papers for the query's words; papers without a
    /// match of a word are left out.
    func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights]

    /// The papers featured in `window` (every paper when nil) with, for each, which of `categories` it is filed
    /// under and which of `authors` wrote it (at most 32 of each; bit `i` for the `i`th): what a recommendation
    /// ranks, read in one pass.
    func tasteCandidates(window: ClosedRange<Day>?, categories: [String], authors: [String]) async throws
        -> TasteCandidates
}

/// A page of keyword matches: keys best first with their scores (higher is better), and the number of matches.
public struct KeywordRanking: Sendable, Equatable {
    public var ranked: [ScoredKey]
    /// Exact up to ``KeywordRanking/exactCountLimit`` matches; beyond it an index may estimate it.
    public var total: Int
    /// True when ``total`` is an estimate.
    public var totalIsEstimated: Bool

    public init(ranked: [ScoredKey], total: Int, totalIsEstimated: Bool = false) {
        self.ranked = ranked
        self.total = total
        self.totalIsEstimated = totalIsEstimated
    }

    /// Counts up to this many matches are always exact.
    public static let exactCountLimit = 10_000
}

/// A paper's key with its score from one ranking.
public struct ScoredKey: Sendable, Hashable {
    public var key: PaperKey
    public var score: Double

    public init(key: PaperKey, score: Double) {
        self.key = key
        self.score = score
    }
}

/// Where a query's words stand in a paper's title and in a snippet of its abstract.
public struct Highlights: Sendable, Hashable {
    public var title: Highlighted
    public var abstract: Highlighted

    public init(title: Highlighted, abstract: Highlighted) {
        self.title = title
        self.abstract = abstract
    }

    /// The query words found, lowercased and sorted.
    public var matchedWords: [String] {
        Array(Set((title.matchedWords + abstract.matchedWords).map { $0.lowercased() })).sorted()
    }
}

/// What the web layer asks of a store: papers to read (and to store a submitted one), accounts, the community,
/// subscriptions and the site secret.
public typealias SiteStore = PaperCatalog & PaperWriter & AccountStore & CommunityStore & SecretStore
    & DiscussionStore & CollectionStore & ModerationStore & PaperProfileStore & SubscriptionStore & StatsStore
    & RecommendationStore

/// Every role of a complete store, as the `paperboy` commands open it.
public typealias PaperboyStore = PaperCatalog & PaperWriter & HarvestStateStore & StoreMaintenance & KeyedPapers
    & EmbeddingStore & PaperChangeFeed & AccountStore & CommunityStore & SecretStore & DiscussionStore
    & CollectionStore & ModerationStore & PaperProfileStore & SubscriptionStore & DigestLedgerStore & StatsStore
    & JobLeaseStore & FailureLimitStore & RecommendationStore
