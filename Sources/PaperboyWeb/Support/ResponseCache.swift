import CompressNIO
import DequeModule
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import PaperboyCore
import Prometheus
import Synchronization

/// An encoded answer as the cache keeps it: identity and gzip bodies and a strong ETag.
struct EncodedAnswer: Sendable {
    let rendered: Rendered
    /// Nil for a personal answer: it says `no-store`, so no client keeps it to revalidate.
    let etag: String?
    let gzipped: ByteBuffer?

    /// The ETag of the gzip form.
    var gzipETag: String? { etag.map { String($0.dropLast()) + "-gzip\"" } }

    /// What keeping the answer costs: the storage of both bodies (capacity, not just the bytes in use) and the
    /// headers, roughly.
    var bytes: Int {
        rendered.body.capacity + (gzipped?.capacity ?? 0) + rendered.headers.count * 64 + 256
    }

    /// How an answer is compressed: once and well for the cache (it serves many), fast for one visitor, or not at
    /// all when the one visitor does not ask for gzip.
    enum Compression {
        case forCache
        case forOne
        case none

        var configuration: ZlibConfiguration? {
            switch self {
            case .forCache: ZlibConfiguration()
            case .forOne: ZlibConfiguration(compressionLevel: .fastestCompression)
            case .none: nil
            }
        }
    }

    init(_ rendered: Rendered, compression: Compression = .forCache, tagged: Bool = true) {
        var rendered = rendered
        // A rendered body may sit in storage up to twice its size and a gzip body in storage sized for the worst
        // case; kept answers hold exactly their bytes, so that the cache's byte budget is what memory holds.
        if compression == .forCache { rendered.body = EncodedAnswer.compact(rendered.body) }
        self.rendered = rendered
        etag = tagged ? "\"" + EncodedAnswer.fnv1a(rendered.body) + "\"" : nil
        if let configuration = compression.configuration, rendered.body.readableBytes >= 512,
            EncodedAnswer.compressible(rendered.contentType)
        {
            var body = rendered.body
            gzipped = (try? body.compress(with: .gzip(configuration: configuration))).map(EncodedAnswer.compact)
        } else {
            gzipped = nil
        }
    }

    /// The buffer in storage of its own size when it holds much more than it uses.
    static func compact(_ buffer: ByteBuffer) -> ByteBuffer {
        guard buffer.capacity > buffer.readableBytes + buffer.readableBytes / 8 + 256 else { return buffer }
        var copy = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
        copy.writeImmutableBuffer(buffer)
        return copy
    }

    static func compressible(_ type: String) -> Bool {
        type.hasPrefix("text/") || type.hasPrefix("application/json") || type.hasPrefix("application/rss")
            || type.hasPrefix("application/xml") || type.hasPrefix("image/svg")
    }

    /// A 64-bit FNV-1a hash of the body, hex.
    static func fnv1a(_ buffer: ByteBuffer) -> String {
        var hash = FNV1a()
        buffer.withUnsafeReadableBytes { hash.combine($0) }
        return hash.hex
    }
}

/// The response cache: keeps anonymous GET answers in process (pages keep no per-visitor state, so one answer serves
/// everybody until it expires), and finishes every answer with an ETag and If-None-Match, gzip and Cache-Control.
/// The cache holds at most `capacityBytes` of bodies; the oldest answers make room for new ones.
public final class ResponseCache: Sendable {
    let ttl: Duration
    /// The clock expiry is measured on (injected by tests).
    let now: @Sendable () -> ContinuousClock.Instant
    private let answers: Mutex<AnswerCache>
    private let hits: Metrics.Counter
    private let misses: Metrics.Counter

    /// Rung when this node has read changes of papers from the store (its keyword index follows the change sequence):
    /// the cache then forgets every answer, so a change made through another node (or by an ingest beside the server)
    /// shows here as soon as it is read, whatever the TTL.
    let changesRead: ChangeBell?

    public init(
        ttl: Duration, registry: PrometheusCollectorRegistry, capacityBytes: Int = 64 << 20,
        changesRead: ChangeBell? = nil, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.ttl = ttl
        self.now = now
        self.changesRead = changesRead
        answers = Mutex(AnswerCache(capacityBytes: capacityBytes))
        let factory = PrometheusMetricsFactory(registry: registry)
        hits = Metrics.Counter(label: MetricNames.responseCache, dimensions: [("result", "hit")], factory: factory)
        misses = Metrics.Counter(label: MetricNames.responseCache, dimensions: [("result", "miss")], factory: factory)
    }

    /// Answers a GET: from the cache when `cacheable` and fresh, else by running `produce`. A request that carries
    /// credentials (a session cookie or an `Authorization` header) is personal: it neither reads nor fills the cache,
    /// and its answer says `Cache-Control: private, no-store`. An answer that sets a cookie or says `no-store` is not
    /// kept.
    func respond(
        to request: Request, cacheable: Bool = true, _ produce: () async throws -> Rendered
    ) async throws -> Response {
        let personal = AccountService.carriesCredentials(request)
        let useCache = cacheable && ttl > .zero && !personal
        let key = request.uri.description
        // The changes read before the answer is made: an answer made while newer changes were read is not kept.
        let rings = changesRead?.rings ?? 0
        if useCache {
            let now = now()
            let found = answers.withLock { cache in
                cache.forget(unless: rings)
                return cache.get(key, now: now)
            }
            if let answer = found {
                hits.increment()
                return finish(answer, request: request, personal: false)
            }
            misses.increment()
        }
        // An answer nobody else will get is compressed only when this client asks for gzip, and quickly.
        let compression: EncodedAnswer.Compression =
            useCache ? .forCache : ResponseCache.acceptsGzip(request) ? .forOne : .none
        let answer = EncodedAnswer(try await produce(), compression: compression, tagged: !personal)
        if useCache, answer.rendered.status == .ok || answer.rendered.status == .notFound,
            answer.rendered.headers[.cacheControl] != "no-store", answer.rendered.headers[.setCookie] == nil
        {
            let expires = now().advanced(by: ttl)
            let current = changesRead?.rings ?? 0
            answers.withLock { cache in
                cache.forget(unless: current)
                if current == rings { cache.put(key, answer, expires: expires) }
            }
        }
        return finish(answer, request: request, personal: personal)
    }

    /// Forgets every cached answer (after a write the visitor expects to see at once).
    public func invalidate() {
        answers.withLock { $0.removeAll() }
    }

    /// What the cache holds now: answers and bytes (for tests and metrics).
    var cacheUsage: (count: Int, bytes: Int) { answers.withLock { ($0.count, $0.bytes) } }

    func finish(_ answer: EncodedAnswer, request: Request, personal: Bool) -> Response {
        var headers = answer.rendered.headers
        headers[.contentType] = answer.rendered.contentType
        // The answer depends on who asks: a browser must not show its cached anonymous page after signing in.
        headers[.vary] = "Accept-Encoding, Cookie, Authorization"
        if personal || headers[.setCookie] != nil {
            headers[.cacheControl] = "private, no-store"
        } else if headers[.cacheControl] == nil {
            headers[.cacheControl] = "public, max-age=\(ttl.components.seconds)"
        }
        // The gzip and identity forms are different representations, so they carry different ETags.
        let gzipped = ResponseCache.acceptsGzip(request) ? answer.gzipped : nil
        let etag = gzipped == nil ? answer.etag : answer.gzipETag
        headers[.eTag] = etag
        if let etag, let match = request.headers[.ifNoneMatch], answer.rendered.status == .ok,
            match == "*"
                || match.split(separator: ",").contains(where: { tag in
                    let t = tag.trimmingCharacters(in: .whitespaces)
                    return t == etag || t == "W/" + etag
                })
        {
            return Response(status: .notModified, headers: headers)
        }
        let body = gzipped ?? answer.rendered.body
        if gzipped != nil { headers[.contentEncoding] = "gzip" }
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: answer.rendered.status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let value = request.headers[.acceptEncoding] else { return false }
        return value.split(separator: ",").contains { part in
            let fields = part.split(separator: ";")
            guard fields.first?.trimmingCharacters(in: .whitespaces).lowercased() == "gzip" else { return false }
            return !fields.dropFirst().contains { field in
                let f = field.trimmingCharacters(in: .whitespaces).lowercased()
                return f.hasPrefix("q=") && Double(f.dropFirst(2)) == 0
            }
        }
    }
}

/// Cached answers by URI, bounded in bytes: when a new answer does not fit, expired answers go first, then the
/// oldest. An answer larger than the whole budget is not kept.
struct AnswerCache {
    struct Entry {
        let answer: EncodedAnswer
        let expires: ContinuousClock.Instant
        let bytes: Int
        let sequence: Int
    }

    let capacityBytes: Int
    private(set) var bytes = 0
    private var entries: [String: Entry] = [:]
    /// Keys in insertion order (with stale keys skipped by sequence), for eviction.
    private var order: Deque<(key: String, sequence: Int)> = []
    private var sequence = 0

    init(capacityBytes: Int) { self.capacityBytes = max(0, capacityBytes) }

    var count: Int { entries.count }

    func get(_ key: String, now: ContinuousClock.Instant) -> EncodedAnswer? {
        guard let entry = entries[key], entry.expires > now else { return nil }
        return entry.answer
    }

    mutating func put(_ key: String, _ answer: EncodedAnswer, expires: ContinuousClock.Instant) {
        let size = answer.bytes + key.utf8.count
        remove(key)
        guard size <= capacityBytes else { return }
        while bytes + size > capacityBytes, let oldest = order.popFirst() {
            if entries[oldest.key]?.sequence == oldest.sequence { remove(oldest.key) }
        }
        sequence += 1
        entries[key] = Entry(answer: answer, expires: expires, bytes: size, sequence: sequence)
        order.append((key, sequence))
        bytes += size
        // Keys replaced or removed leave stale places in `order`; compact when they outnumber live ones.
        if order.count > 2 * entries.count + 64 {
            order = Deque(order.filter { entries[$0.key]?.sequence == $0.sequence })
        }
    }

    mutating func remove(_ key: String) {
        guard let old = entries.removeValue(forKey: key) else { return }
        bytes -= old.bytes
    }

    mutating func removeAll() {
        entries.removeAll()
        order.removeAll()
        bytes = 0
    }

    /// The rings of ``ResponseCache/changesRead`` the answers held were made after.
    private(set) var rings: UInt64 = 0

    /// Forgets every answer unless they were made after the bell's `rings` rings.
    mutating func forget(unless rings: UInt64) {
        guard rings != self.rings else { return }
        removeAll()
        self.rings = rings
    }
}
