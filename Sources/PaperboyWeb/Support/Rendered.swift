import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import PaperboyCore
import Prometheus
import Synchronization

/// A finished answer body with its type: what controllers produce. ``HTTPResponder`` turns it into a
/// response with an ETag, conditional 304s, gzip when asked, and caching of anonymous answers.
public struct Rendered: Sendable {
    public var status: HTTPResponse.Status
    public var contentType: String
    public var body: ByteBuffer
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status = .ok, contentType: String, body: ByteBuffer, headers: HTTPFields = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public init(status: HTTPResponse.Status = .ok, contentType: String, text: String, headers: HTTPFields = [:]) {
        self.init(status: status, contentType: contentType, body: ByteBuffer(string: text), headers: headers)
    }

    static let html = "text/html; charset=utf-8"
    static let json = "application/json; charset=utf-8"
    static let rss = "application/rss+xml; charset=utf-8"
    static let xml = "application/xml; charset=utf-8"
    static let markdown = "text/markdown; charset=utf-8"
    static let plain = "text/plain; charset=utf-8"
}

/// An encoded answer as the cache keeps it: identity and gzip bodies and a strong ETag.
struct EncodedAnswer: Sendable {
    let rendered: Rendered
    let etag: String
    let gzipped: ByteBuffer?

    init(_ rendered: Rendered) {
        self.rendered = rendered
        etag = "\"" + EncodedAnswer.fnv1a(rendered.body) + "\""
        if rendered.body.readableBytes >= 512, EncodedAnswer.compressible(rendered.contentType) {
            var body = rendered.body
            gzipped = try? body.compress(with: .gzip())
        } else {
            gzipped = nil
        }
    }

    static func compressible(_ type: String) -> Bool {
        type.hasPrefix("text/") || type.hasPrefix("application/json") || type.hasPrefix("application/rss")
            || type.hasPrefix("application/xml") || type.hasPrefix("image/svg")
    }

    /// A 64-bit FNV-1a hash of the body, hex.
    static func fnv1a(_ buffer: ByteBuffer) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        buffer.withUnsafeReadableBytes { bytes in
            for b in bytes {
                hash ^= UInt64(b)
                hash = hash &* 0x100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Finishes answers: ETag and If-None-Match, gzip, CORS for the API, Cache-Control, and an in-process cache of
/// anonymous GET answers (pages keep no per-visitor state, so one answer serves everybody until it expires).
public final class HTTPResponder: Sendable {
    struct Entry: Sendable {
        let answer: EncodedAnswer
        let expires: ContinuousClock.Instant
    }

    let ttl: Duration
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])
    private let hits: Metrics.Counter
    private let misses: Metrics.Counter

    public init(ttl: Duration, registry: PrometheusCollectorRegistry, capacity: Int = 2_000) {
        self.ttl = ttl
        self.capacity = capacity
        let factory = PrometheusMetricsFactory(registry: registry)
        hits = Metrics.Counter(label: MetricNames.responseCache, dimensions: [("result", "hit")], factory: factory)
        misses = Metrics.Counter(label: MetricNames.responseCache, dimensions: [("result", "miss")], factory: factory)
    }

    /// Answers a GET: from the cache when `cacheable` and fresh, else by running `produce`.
    func respond(
        to request: Request, cacheable: Bool = true, _ produce: () async throws -> Rendered
    ) async throws -> Response {
        let key = request.uri.description
        let now = ContinuousClock.now
        if cacheable, ttl > .zero {
            if let entry = entries.withLock({ $0[key] }), entry.expires > now {
                hits.increment()
                return finish(entry.answer, request: request)
            }
            misses.increment()
        }
        let answer = EncodedAnswer(try await produce())
        if cacheable, ttl > .zero, answer.rendered.status == .ok || answer.rendered.status == .notFound {
            entries.withLock { entries in
                if entries.count >= capacity {
                    entries = entries.filter { $0.value.expires > now }
                    if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                }
                entries[key] = Entry(answer: answer, expires: now.advanced(by: ttl))
            }
        }
        return finish(answer, request: request)
    }

    /// Forgets every cached answer (after a write the visitor expects to see at once).
    public func invalidate() {
        entries.withLock { $0.removeAll() }
    }

    func finish(_ answer: EncodedAnswer, request: Request) -> Response {
        var headers = answer.rendered.headers
        headers[.contentType] = answer.rendered.contentType
        headers[.eTag] = answer.etag
        headers[.vary] = "Accept-Encoding"
        if headers[.cacheControl] == nil {
            headers[.cacheControl] = "public, max-age=\(ttl.components.seconds)"
        }
        if let match = request.headers[.ifNoneMatch], answer.rendered.status == .ok,
            match == "*"
                || match.split(separator: ",").contains(where: { tag in
                    let t = tag.trimmingCharacters(in: .whitespaces)
                    return t == answer.etag || t == "W/" + answer.etag
                })
        {
            return Response(status: .notModified, headers: headers)
        }
        let acceptsGzip =
            request.headers[.acceptEncoding].map { value in
                value.split(separator: ",").contains { part in
                    let fields = part.split(separator: ";")
                    guard fields.first?.trimmingCharacters(in: .whitespaces).lowercased() == "gzip" else {
                        return false
                    }
                    return !fields.dropFirst().contains { $0.trimmingCharacters(in: .whitespaces) == "q=0" }
                }
            } ?? false
        if acceptsGzip, let gzipped = answer.gzipped {
            headers[.contentEncoding] = "gzip"
            headers[.contentLength] = String(gzipped.readableBytes)
            return Response(status: answer.rendered.status, headers: headers, body: ResponseBody(byteBuffer: gzipped))
        }
        headers[.contentLength] = String(answer.rendered.body.readableBytes)
        return Response(
            status: answer.rendered.status, headers: headers, body: ResponseBody(byteBuffer: answer.rendered.body))
    }
}
