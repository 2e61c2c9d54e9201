import AsyncHTTPClient
import Foundation
import NIOCore
import PaperboyCore

/// Looks papers up in the arXiv API (`GET {base}?id_list=ID&max_results=1`, an Atom feed), for submissions of papers
/// the store does not hold yet.
///
/// Requests go one at a time, at least `minimumDelay` (3 s) apart, as the harvester's do, however many callers ask at
/// once; when more than `maxWaiting` lookups already wait for their turn, a lookup fails at once as unavailable.
public struct ArxivLookup: PaperLookup {
    public static let defaultBaseURL = URL(string: "https://export.arxiv.org/api/query")!
    /// The largest answer read: a feed of one paper is a few KB, one with thousands of authors a few hundred.
    public static let defaultMaxResponseBytes = 16 << 20

    public let baseURL: URL
    let fetcher: any OAIFetcher
    let queue: LookupQueue
    let maxResponseBytes: Int
    let now: @Sendable () -> Date

    /// A lookup through `fetcher`, with an injected clock and sleep for tests.
    public init(
        baseURL: URL = ArxivLookup.defaultBaseURL, fetcher: some OAIFetcher, minimumDelay: Duration = .seconds(3),
        maxWaiting: Int = 8, maxResponseBytes: Int = ArxivLookup.defaultMaxResponseBytes,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.baseURL = baseURL
        self.fetcher = fetcher
        self.queue = LookupQueue(
            pacer: Pacer(minimumDelay: minimumDelay, sleep: sleep, now: now), maxWaiting: max(0, maxWaiting))
        self.maxResponseBytes = maxResponseBytes
        self.now = now
    }

    /// A lookup over HTTP with `httpClient`; a request that has no complete answer within `timeout` fails.
    public init(
        baseURL: URL = ArxivLookup.defaultBaseURL, httpClient: HTTPClient, timeout: TimeAmount = .seconds(15),
        minimumDelay: Duration = .seconds(3), maxWaiting: Int = 8,
        maxResponseBytes: Int = ArxivLookup.defaultMaxResponseBytes
    ) {
        self.init(
            baseURL: baseURL,
            fetcher: HTTPClientFetcher(
                httpClient: httpClient, timeout: timeout, maxBodyBytes: maxResponseBytes,
                userAgent: "Paperboy (self-hosted arXiv reader; paper lookup)"),
            minimumDelay: minimumDelay, maxWaiting: maxWaiting, maxResponseBytes: maxResponseBytes)
    }

    /// The request for one id.
    public func url(for id: PaperID) throws(PaperLookupUnavailable) -> URL {
        var base = baseURL.absoluteString
        if let cut = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<cut]) }
        // An old-style id keeps its slash, which a query may hold.
        let encoded = Harvester.percentEncode(id.rawValue).replacingOccurrences(of: "%2F", with: "/")
        guard let url = URL(string: base + "?id_list=" + encoded + "&max_results=1") else {
            throw PaperLookupUnavailable("cannot make a request URL from the base URL")
        }
        return url
    }

    /// The paper as arXiv lists it now; nil when the feed holds no entry for `id` (no entry, an API error entry
    /// such as an unknown or malformed id, an entry without the fields of a paper, or one for another id).
    public func lookUp(_ id: PaperID) async throws -> Paper? {
        let url = try url(for: id)
        let (status, body) = try await queue.turn { [fetcher] in
            do {
                let (status, _, body) = try await fetcher.get(url)
                return (status, body)
            } catch let error as CancellationError {
                throw error
            } catch HarvestError.badResponse(_, let reason) {
                throw PaperLookupUnavailable(reason)
            } catch let error as HTTPClientError
                where error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout
                || error == .getConnectionFromPoolTimeout
            {
                throw PaperLookupUnavailable("no answer in time")
            } catch {
                throw PaperLookupUnavailable("cannot connect: \(RecordCheck.excerpt(String(describing: error)))")
            }
        }
        guard (200..<300).contains(status) else { throw PaperLookupUnavailable("HTTP \(status)") }
        guard body.count <= maxResponseBytes else {
            throw PaperLookupUnavailable(Harvester.tooLarge(maxResponseBytes))
        }
        let feed = AtomParser.parse(body, now: now())
        if let malformed = feed.malformed {
            throw PaperLookupUnavailable("unreadable answer: \(malformed)")
        }
        for record in feed.records {
            if case .paper(let paper) = record, paper.id == id { return paper }
        }
        return nil
    }
}

/// Lets one request run at a time, each starting at least the pacer's minimum delay after the previous one ended;
/// shared by every copy of a lookup.
actor LookupQueue {
    private var pacer: Pacer
    private let maxWaiting: Int
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(pacer: Pacer, maxWaiting: Int) {
        self.pacer = pacer
        self.maxWaiting = maxWaiting
    }

    /// How many requests wait for their turn.
    var waitingCount: Int { waiting.count }

    /// Runs `request` in its turn.
    func turn<T: Sendable>(_ request: @Sendable () async throws -> T) async throws -> T {
        if busy {
            guard waiting.count < maxWaiting else {
                throw PaperLookupUnavailable("too many lookups waiting for their turn")
            }
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer { next() }
        try Task.checkCancellation()
        let delay = pacer.remainingDelay()
        if delay > .zero { try await pacer.sleep(delay) }
        defer { pacer.sent() }
        return try await request()
    }

    /// Hands the turn to the next waiting request, if any.
    private func next() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
