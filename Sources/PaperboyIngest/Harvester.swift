import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PaperboyCore

/// The HTTP boundary of the harvester: one GET, the whole response.
public protocol OAIFetcher: Sendable {
    func get(_ url: URL) async throws -> (status: Int, headers: [(String, String)], body: Data)
}

/// Fetches with AsyncHTTPClient.
public struct HTTPClientFetcher: OAIFetcher {
    public let httpClient: HTTPClient
    public var timeout: TimeAmount
    public var maxBodyBytes: Int
    public var userAgent: String

    public init(
        httpClient: HTTPClient, timeout: TimeAmount = .seconds(180),
        maxBodyBytes: Int = IngestLimits.maxXMLDocumentBytes,
        userAgent: String = "Paperboy (self-hosted arXiv reader; OAI-PMH harvester)"
    ) {
        self.httpClient = httpClient
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.userAgent = userAgent
    }

    public func get(_ url: URL) async throws -> (status: Int, headers: [(String, String)], body: Data) {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "Accept-Encoding", value: "identity")
        let response = try await httpClient.execute(request, timeout: timeout)
        let body: ByteBuffer
        do {
            // Refused at once when Content-Length says too much, else when the bytes received go over.
            body = try await response.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw HarvestError.badResponse(url: url.absoluteString, reason: Harvester.tooLarge(maxBodyBytes))
        }
        return (Int(response.status.code), response.headers.map { ($0.name, $0.value) }, Data(body.readableBytesView))
    }
}

/// Why a harvest stopped.
public enum HarvestError: Error, Sendable, CustomStringConvertible {
    /// The server could not be reached or kept failing (network errors, 5xx, too many 503s).
    case unavailable(url: String, reason: String)
    /// The server answered with an OAI-PMH error other than `noRecordsMatch`.
    case protocolError(OAIProtocolError)
    /// The server answered with something that is not a usable OAI-PMH response.
    case badResponse(url: String, reason: String)

    public var description: String {
        switch self {
        case .unavailable(let url, let reason): "OAI-PMH server unavailable (\(url)): \(reason)"
        case .protocolError(let error): "\(error)"
        case .badResponse(let url, let reason): "bad OAI-PMH response from \(url): \(reason)"
        }
    }

    /// The sysexits code a command line tool should exit with (69, EX_UNAVAILABLE, or 76, EX_PROTOCOL).
    public var exitCode: Int32 {
        if case .unavailable = self { return 69 }
        return 76
    }
}

/// What a harvest did: its ``RecordCounts`` (`report.inserted`, ...) and what only a harvest knows.
@dynamicMemberLookup
public struct HarvestReport: Sendable, Hashable {
    public var from: Day?
    public var until: Day?
    /// Responses (pages) processed.
    public var pages = 0
    public var counts = RecordCounts()
    /// True when the harvest continued from a stored resumption token.
    public var resumed = false
    /// True when a stored or issued token was refused (`badResumptionToken`) and the list was started over.
    public var restarted = false
    /// The `from` day stored for the next harvest.
    public var lastCompleted: Day?

    public init() {}

    public subscript(dynamicMember counter: WritableKeyPath<RecordCounts, Int>) -> Int {
        get { counts[keyPath: counter] }
        set { counts[keyPath: counter] = newValue }
    }
}

/// Harvests arXiv metadata incrementally over OAI-PMH (`ListRecords`, `arXivRaw`), page by page, storing the
/// resumption token after each page so that a killed harvest resumes where it stopped.
public struct Harvester: Sendable {
    public let store: any PaperWriter & HarvestStateStore
    public let baseURL: URL
    public let set: String?
    public let fetcher: any OAIFetcher
    public let logger: Logger
    public let minimumDelay: Duration
    public let maxRetries: Int
    /// How many 503 + Retry-After answers in a row are waited out before giving up.
    public var maxRetryAfterWaits = 20
    /// The longest Retry-After honoured.
    public var maxRetryAfter: Duration = .seconds(600)
    /// The first backoff after a failure; doubled for each further failure in a row.
    public var initialBackoff: Duration = .seconds(5)
    public var metadataPrefix = "arXivRaw"
    /// The largest response body parsed (``IngestLimits/maxXMLDocumentBytes``); a larger one is a bad response.
    /// ``HTTPClientFetcher`` stops receiving at its own `maxBodyBytes`, which defaults to the same.
    public var maxResponseBytes = IngestLimits.maxXMLDocumentBytes
    /// The longest resumption token followed (arXiv's are about 20 characters).
    public static let maxTokenLength = 4096
    let sleep: @Sendable (Duration) async throws -> Void
    let now: @Sendable () -> Date

    public init(
        store: some PaperWriter & HarvestStateStore, baseURL: URL, set: String? = nil, fetcher: some OAIFetcher,
        logger: Logger,
        minimumDelay: Duration = .seconds(3), maxRetries: Int = 5,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.baseURL = baseURL
        self.set = set.flatMap { $0.isEmpty ? nil : $0 }
        self.fetcher = fetcher
        self.logger = logger
        self.minimumDelay = minimumDelay
        self.maxRetries = max(0, maxRetries)
        self.sleep = sleep
        self.now = now
    }

    public init(
        store: some PaperWriter & HarvestStateStore, baseURL: URL, set: String? = nil, httpClient: HTTPClient,
        logger: Logger,
        minimumDelay: Duration = .seconds(3), maxRetries: Int = 5,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.init(
            store: store, baseURL: baseURL, set: set, fetcher: HTTPClientFetcher(httpClient: httpClient),
            logger: logger, minimumDelay: minimumDelay, maxRetries: maxRetries, sleep: sleep, now: now)
    }

    /// The key of this harvest's state in the store: `oai:` + base URL, plus `:` + set when there is one.
    public var stateKey: String { "oai:\(baseURL.absoluteString)" + (set.map { ":\($0)" } ?? "") }

    /// Harvests records changed from `from` (default: the stored `lastCompleted`) until `until` (default: open).
    public func run(from: Day? = nil, until: Day? = nil) async throws -> HarvestReport {
        var state = try await store.harvestState(key: stateKey)
        let from = from ?? state.lastCompleted
        var report = HarvestReport()
        report.from = from
        report.until = until
        var pacer = Pacer(minimumDelay: minimumDelay, sleep: sleep, now: now)

        var token: String?
        if let stored = state.resumptionToken, state.from == from, state.until == until {
            token = stored
            report.resumed = true
            logger.info(
                "resuming harvest",
                metadata: ["harvest.token": "\(stored)", "harvest.from": "\(from.map(\.description) ?? "-")"])
        }
        var firstResponseDay: Day?
        var restartedOnce = false

        while true {
            let url = try token.map(listURL(resumptionToken:)) ?? listURL(from: from, until: until)
            let response = try await fetch(url, pacer: &pacer)
            if firstResponseDay == nil {
                firstResponseDay = Day(response.responseDate ?? now())
            }
            if let error = response.errors.first {
                if error.code == "noRecordsMatch" { break }
                if error.code == "badResumptionToken", token != nil, !restartedOnce {
                    logger.warning(
                        "resumption token refused; starting the list over",
                        metadata: ["harvest.from": "\(from.map(\.description) ?? "-")"])
                    restartedOnce = true
                    report.restarted = true
                    token = nil
                    firstResponseDay = nil
                    continue
                }
                throw HarvestError.protocolError(error)
            }
            if let malformed = response.malformed {
                throw HarvestError.badResponse(url: url.absoluteString, reason: malformed)
            }
            report.pages += 1
            var papers: [Paper] = []
            for (index, record) in response.records.enumerated() {
                switch record {
                case .paper(let paper): papers.append(paper)
                case .deleted: report.skipped += 1
                case .rejected(let reason):
                    report.rejected += 1
                    logger.warning("rejected record \(index + 1) of page \(report.pages): \(reason)")
                }
            }
            if !papers.isEmpty {
                let summary = try await store.upsert(papers)
                report.records += papers.count
                report.counts.add(summary)
            }
            if let next = response.resumptionToken?.token {
                // A token that does not change would be asked for forever.
                if next == token {
                    throw HarvestError.badResponse(
                        url: url.absoluteString, reason: "the same resumption token again (\(RecordCheck.quoted(next)))"
                    )
                }
                if next.utf8.count > Harvester.maxTokenLength {
                    throw HarvestError.badResponse(
                        url: url.absoluteString,
                        reason: "resumption token longer than \(Harvester.maxTokenLength) bytes")
                }
            }
            token = response.resumptionToken?.token
            if let next = response.resumptionToken {
                state.resumptionToken = next.token
                state.from = from
                state.until = until
                try await store.setHarvestState(state, key: stateKey)
                logger.info(
                    "harvested page",
                    metadata: [
                        "harvest.page": "\(report.pages)", "harvest.records": "\(report.records)",
                        "harvest.cursor": "\(next.cursor.map(String.init) ?? "-")",
                        "harvest.complete_list_size": "\(next.completeListSize.map(String.init) ?? "-")",
                    ])
            } else {
                break
            }
        }

        // A resumed harvest cannot know when the interrupted one began; to miss nothing, the next harvest
        // starts from the interrupted harvest's `from` (when it had one).
        let completed = report.resumed && !report.restarted ? (from ?? firstResponseDay) : firstResponseDay
        state = HarvestState(
            lastCompleted: completed ?? state.lastCompleted, resumptionToken: nil, from: nil, until: nil)
        try await store.setHarvestState(state, key: stateKey)
        report.lastCompleted = state.lastCompleted
        logger.info(
            "harvest finished",
            metadata: [
                "harvest.pages": "\(report.pages)", "harvest.records": "\(report.records)",
                "harvest.inserted": "\(report.inserted)", "harvest.updated": "\(report.updated)",
                "harvest.deleted": "\(report.skipped)", "harvest.rejected": "\(report.rejected)",
            ])
        return report
    }

    // MARK: Requests

    func listURL(from: Day?, until: Day?) throws(HarvestError) -> URL {
        var items = [("verb", "ListRecords"), ("metadataPrefix", metadataPrefix)]
        if let from { items.append(("from", from.description)) }
        if let until { items.append(("until", until.description)) }
        if let set { items.append(("set", set)) }
        return try url(items)
    }

    func listURL(resumptionToken: String) throws(HarvestError) -> URL {
        try url([("verb", "ListRecords"), ("resumptionToken", resumptionToken)])
    }

    func url(_ items: [(String, String)]) throws(HarvestError) -> URL {
        let query = items.map { "\($0.0)=\(Harvester.percentEncode($0.1))" }.joined(separator: "&")
        var base = baseURL.absoluteString
        if let cut = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<cut]) }
        // Every value is percent-encoded, so only a base URL that is no URL without its query can fail here.
        guard let url = URL(string: base + "?" + query) else {
            throw HarvestError.badResponse(url: base, reason: "cannot make a request URL from the base URL")
        }
        return url
    }

    /// The reason for a response body over `limit` bytes.
    static func tooLarge(_ limit: Int) -> String {
        "response body larger than the limit of \(IngestLimits.describe(bytes: limit))"
    }

    static func percentEncode(_ value: String) -> String {
        var out = ""
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// One request with the minimum delay, Retry-After waits and exponential backoff.
    func fetch(_ url: URL, pacer: inout Pacer) async throws -> OAIResponse {
        var failures = 0
        var waits = 0
        while true {
            try Task.checkCancellation()
            try await pacer.wait()
            let problem: String
            do {
                let (status, headers, body) = try await fetcher.get(url)
                pacer.sent()
                if body.count > maxResponseBytes {
                    throw HarvestError.badResponse(
                        url: url.absoluteString, reason: Harvester.tooLarge(maxResponseBytes))
                }
                if status == 200 {
                    let response = OAIParser.parse(body, now: now())
                    if response.refused, let refusal = response.malformed {
                        throw HarvestError.badResponse(url: url.absoluteString, reason: refusal)
                    }
                    // A truncated or garbled body is retried like a server failure.
                    if let malformed = response.malformed, response.records.isEmpty, response.errors.isEmpty {
                        problem = malformed
                    } else {
                        return response
                    }
                } else if status == 503, let retryAfter = Harvester.retryAfter(headers), waits < maxRetryAfterWaits {
                    waits += 1
                    let delay = min(retryAfter, maxRetryAfter)
                    logger.info(
                        "server busy (503); waiting as asked",
                        metadata: ["harvest.seconds": "\(delay.components.seconds)"])
                    try await sleep(delay)
                    pacer.reset()
                    continue
                } else if status >= 500 || status == 429 || status == 503 {
                    problem = "HTTP \(status)"
                } else {
                    throw HarvestError.badResponse(url: url.absoluteString, reason: "HTTP \(status)")
                }
            } catch let error as HarvestError {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch {
                pacer.sent()
                problem = "\(error)"
            }
            failures += 1
            if failures > maxRetries {
                throw HarvestError.unavailable(
                    url: url.absoluteString, reason: "\(problem) (gave up after \(failures) attempts)")
            }
            let backoff = initialBackoff * (1 << min(failures - 1, 10))
            logger.warning(
                "request failed; retrying",
                metadata: ["harvest.problem": "\(problem)", "harvest.retry_in": "\(backoff.components.seconds)s"])
            try await sleep(backoff)
            pacer.reset()
        }
    }

    /// `Retry-After` in seconds (an HTTP date is not used by arXiv and is ignored).
    static func retryAfter(_ headers: [(String, String)]) -> Duration? {
        guard let value = headers.first(where: { $0.0.lowercased() == "retry-after" })?.1,
            let seconds = Int(value.trimmingASCIIWhitespace()), seconds >= 0
        else { return nil }
        return .seconds(seconds)
    }
}

/// Keeps at least `minimumDelay` between the end of one request and the start of the next.
struct Pacer {
    let minimumDelay: Duration
    let sleep: @Sendable (Duration) async throws -> Void
    let now: @Sendable () -> Date
    var last: Date?

    init(
        minimumDelay: Duration, sleep: @escaping @Sendable (Duration) async throws -> Void,
        now: @escaping @Sendable () -> Date
    ) {
        self.minimumDelay = minimumDelay
        self.sleep = sleep
        self.now = now
    }

    mutating func wait() async throws {
        let remaining = remainingDelay()
        if remaining > .zero { try await sleep(remaining) }
    }

    /// How long the next request must wait (zero when it may start now).
    func remainingDelay() -> Duration {
        guard let last, minimumDelay > .zero else { return .zero }
        let elapsed = now().timeIntervalSince(last)
        // A clock that jumps gives any number; only 0 to the minimum delay matters.
        let elapsedMilliseconds = (elapsed * 1000).rounded()
        let clamped = elapsedMilliseconds.isFinite ? min(max(elapsedMilliseconds, 0), 1e12) : 0
        return max(minimumDelay - .milliseconds(Int64(clamped)), .zero)
    }

    mutating func sent() { last = now() }

    /// After a wait that was at least as long as the minimum delay.
    mutating func reset() { last = nil }
}
