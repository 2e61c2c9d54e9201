import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PaperboySearch
import PaperboyWeb
import Testing

/// A site over a fresh SQLite store holding the conformance fixtures, run in-process.
struct TestSite {
    let store: SQLiteStore
    let config: WebConfiguration
    /// Paperboy's own keyword index over the store, brought up to date before each search.
    let keywordIndex: FollowingKeywordIndex

    /// Tests hash passwords at bcrypt's lowest allowed cost, to stay fast.
    static let testCommunity = CommunitySettings(passwordCost: Credentials.minimumCost)

    static func make(
        papers: [Paper] = Fixtures.corpus,
        config: WebConfiguration = WebConfiguration(cacheTTL: .zero, community: TestSite.testCommunity)
    ) async throws -> TestSite {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert(papers)
        return TestSite(
            store: store, config: config, keywordIndex: FollowingKeywordIndex(feed: store, papers: store))
    }

    func run(
        searcher: (any PaperSearcher)? = nil, lookup: any PaperLookup = StubLookup(),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        clock: @escaping @Sendable () -> Date = { Date() }, randomness: RandomSource = .system,
        logger: Logger = TestSite.quietLogger, changesRead: ChangeBell? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let router = try await buildRouter(
            store: store, searcher: searcher ?? keywordSearcher, lookup: lookup, config: config, logger: logger,
            now: now, clock: clock, randomness: randomness, changesRead: changesRead)
        try await Application(router: router).test(.router, body)
    }

    /// Keyword search over the store, as `serve` has without a model.
    var keywordSearcher: KeywordOnlySearcher { KeywordOnlySearcher(index: keywordIndex, papers: store) }

    /// Serves the site on a real socket (for what only a connection shows: missing Host, slow senders).
    func runLive(_ body: @Sendable (_ port: Int) async throws -> Void) async throws {
        let app = try await buildApplication(
            store: store, searcher: keywordSearcher, lookup: StubLookup(), config: config, host: "127.0.0.1",
            port: 0, logger: TestSite.quietLogger)
        try await app.test(.live) { client in
            guard let port = client.port else { throw TestSiteError.noPort }
            try await body(port)
        }
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "paperboy.test")
        logger.logLevel = .critical
        return logger
    }()
}

enum TestSiteError: Error {
    case noPort
}

/// arXiv as the submit tests need it: the papers it knows, or unreachable; it counts the lookups.
final class StubLookup: PaperLookup, @unchecked Sendable {
    private let lock = NSLock()
    private var papers: [PaperID: Paper]
    private var down: Bool
    private var calls = 0

    init(_ papers: [Paper] = [], unavailable: Bool = false) {
        self.papers = Dictionary(papers.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        down = unavailable
    }

    var lookups: Int { lock.withLock { calls } }

    func lookUp(_ id: PaperID) async throws -> Paper? {
        try lock.withLock {
            calls += 1
            if down { throw PaperLookupUnavailable("stub is down") }
            return papers[id]
        }
    }
}

/// A logger that keeps what it is given, for tests that check what the server logs.
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    let lock = NSLock()
    private var lines: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.lock()
        defer { lock.unlock() }
        lines.append((event.level, "\(event.message)", metadata.merging(event.metadata ?? [:]) { $1 }))
    }

    var recorded: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

struct Fetched {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: String
    let bytes: ByteBuffer
}

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Fetched {
        try await execute(uri: uri, method: .get, headers: headers) { response in
            Fetched(
                status: response.status, headers: response.headers, body: String(buffer: response.body),
                bytes: response.body)
        }
    }

    /// Any request, its answer kept whole.
    func send(
        _ uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: String? = nil
    ) async throws -> Fetched {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
            response in
            Fetched(
                status: response.status, headers: response.headers, body: String(buffer: response.body),
                bytes: response.body)
        }
    }

    func json(_ uri: String) async throws -> Any {
        let fetched = try await get(uri)
        #expect(fetched.headers[.contentType] == "application/json; charset=utf-8", "\(uri)")
        return try JSONSerialization.jsonObject(with: Data(fetched.body.utf8), options: [.fragmentsAllowed])
    }
}

/// RFC 3339 UTC with milliseconds and Z, which the Hugging Face client insists on.
func isAPITimestamp(_ value: Any?) -> Bool {
    guard let s = value as? String else { return false }
    return s.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil
}
