import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PropertyBased
import Synchronization
import Testing

@testable import PaperboyWeb

/// Every parameter of every route at its boundaries: a 4xx with a message naming the parameter, never a crash.
@Suite("Boundaries of every route")
struct BoundaryTests {
    static let dayRange = "1000-01-01 to 9999-12-31"
    static let weekError = "week must be an ISO week from 1000-W01 to 9999-W52, written YYYY-Www"
    static let monthError = "month must be a month from 1000-01 to 9999-12, written YYYY-MM"
    static let dateError = "date must be a day from \(dayRange), written YYYY-MM-DD"

    /// The three requests that used to kill the server.
    @Test func theRequestsThatTrappedAnswer() async throws {
        try await TestSite.make().run { client in
            let early = try await client.get("/papers?week=0001-W01")
            #expect(early.status == .badRequest)
            #expect(early.body.contains(Self.weekError))
            let late = try await client.get("/papers?week=9999-W52")
            #expect(late.status == .ok)
            #expect(late.body.contains("Week 51"))
            let cursor = try await client.get("/api/papers?cursor=9223372036854775807_2611.00001")
            #expect(cursor.status == .badRequest)
            #expect(cursor.body == #"{"error":"cursor is not valid: use the one given in the Link header"}"#)
        }
    }

    @Test(
        arguments: [
            // Listing pages
            ("/papers?date=0999-12-31", 400, dateError), ("/papers?date=10000-01-01", 400, dateError),
            ("/papers?date=2026-02-30", 400, dateError), ("/papers?date=%00", 400, dateError),
            ("/papers?date=1000-01-01", 200, "January 1, 1000"), ("/papers?date=9999-12-31", 200, "December 31, 9999"),
            ("/papers?week=9999-W53", 400, weekError), ("/papers?week=1000-W01", 200, "Week 1"),
            ("/papers?week=2026-W99", 400, weekError), ("/papers?week=-2026-W01", 400, weekError),
            ("/papers?month=0000-01", 400, monthError), ("/papers?month=9999-12", 200, "December 9999"),
            ("/papers?month=2026-13", 400, monthError), ("/papers?month=1000-01", 200, "January 1000"),
            ("/papers?date=2026-11-20&week=2026-W47", 400, "give at most one of date, week and month"),
            ("/papers?date=2026-11-20&page=0", 400, "page must be an integer from 1 to 200"),
            ("/papers?date=2026-11-20&page=201", 400, "page must be an integer from 1 to 200"),
            ("/papers?date=2026-11-20&page=99999999999999999999999", 400, "page must be an integer from 1 to 200"),
            ("/papers?date=2026-11-20&page=200", 200, "November 20, 2026"),
            ("/papers?date=2026-11-20&page=-1", 400, "page must be an integer from 1 to 200"),
            // Search
            ("/search?q=neural&page=201", 400, "page must be an integer from 1 to 200"),
            ("/search?q=neural&mode=fuzzy", 400, "is not a search mode"),
            ("/search?q=neural&sort=fuzzy", 400, "“fuzzy” is not a search order (relevance or newest)."),
            ("/search?q=" + String(repeating: "a", count: 1_001), 400, "q must be at most 1000 characters"),
            ("/search?q=after:0999-01-01%20neural", 200, "Ignored after:0999-01-01"),
            ("/feeds/search.xml?q=" + String(repeating: "a", count: 1_001), 400, "q must be at most 1000 characters"),
            // Authors and categories
            ("/authors/Ada%20Lovelace?page=0", 400, "page must be an integer from 1 to 200"),
            ("/categories/cs.LG?page=abc", 400, "page must be an integer from 1 to 200"),
            ("/authors/%ff%fe", 404, "No papers by"), ("/categories/%00", 404, "No papers in category"),
            // Papers
            ("/papers/2611.00001v99999", 404, "is not an arXiv id"), ("/papers/%ZZ", 404, "is not an arXiv id"),
            ("/papers/" + String(repeating: "1", count: 5_000), 404, "is not an arXiv id"),
            // JSON API
            ("/api/daily_papers?date=0001-01-01", 400, dateError), ("/api/daily_papers?week=0001-W01", 400, weekError),
            ("/api/daily_papers?month=99999-01", 400, monthError),
            ("/api/daily_papers?p=200&limit=50", 400, "p must be an integer from 0 to 199"),
            ("/api/daily_papers?p=199&limit=50", 200, "[]"),
            ("/api/daily_papers?limit=0", 400, "limit must be an integer from 1 to 100"),
            ("/api/daily_papers?limit=101", 400, "limit must be an integer from 1 to 100"),
            ("/api/daily_papers?sort=random", 400, "sort must be publishedAt or trending"),
            ("/api/daily_papers?date=2026-11-20&month=2026-11", 400, "give at most one of date, week and month"),
            ("/api/papers/search?q=neural&limit=121", 400, "limit must be an integer from 1 to 120"),
            ("/api/papers/search?q=neural&mode=x", 400, "mode must be hybrid, keyword or semantic"),
            ("/api/papers/search?q=neural&sort=x", 400, "sort must be relevance or newest"),
            ("/api/papers/search?q=" + String(repeating: "ab ", count: 400), 400, "q must be at most 1000 characters"),
            ("/api/papers?limit=1001", 400, "limit must be an integer from 1 to 1000"),
            ("/api/papers?cursor=-62135596800001_2611.00001", 400, "cursor is not valid"),
            ("/api/papers?cursor=abc", 400, "cursor is not valid"),
            ("/api/papers?cursor=1_not-an-id", 400, "cursor is not valid"),
            ("/api/papers/2611.00001/similar?limit=51", 400, "limit must be an integer from 1 to 50"),
            ("/api/papers/nonsense", 404, "nonsense is not an arXiv id"),
            ("/api/papers/2611.99999", 404, "paper 2611.99999 not found"),
        ] as [(String, Int, String)])
    func boundary(uri: String, status: Int, message: String) async throws {
        try await TestSite.make().run { client in
            let answer = try await client.get(uri)
            #expect(answer.status.code == status, "\(uri)")
            #expect(answer.body.contains(message), "\(uri): \(answer.body.prefix(300))")
        }
    }

    @Test func controlCharactersInParametersNeverReachThePage() async throws {
        try await TestSite.make().run { client in
            for uri in [
                "/search?q=gal%01axy%1b%5b31m", "/authors/Ada%07%00Lovelace", "/feeds/search.xml?q=gal%0baxy",
                "/categories/cs.%1fLG",
            ] {
                let answer = try await client.get(uri)
                #expect(answer.status.code < 500, "\(uri)")
                #expect(!answer.body.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }, "\(uri)")
            }
        }
    }

    @Test func linksFromIngestedDataAreHTTPOnly() async throws {
        var hostile = Fixtures.paper("2611.00077", title: "Licensed")
        hostile.license = "javascript:alert(1)"
        var fine = Fixtures.paper("2611.00078", title: "Licensed well")
        fine.license = "http://creativecommons.org/licenses/by/4.0/"
        try await TestSite.make(papers: [hostile, fine]).run { client in
            let bad = try await client.get("/papers/2611.00077")
            #expect(bad.body.contains("<dd>javascript:alert(1)</dd>"))
            #expect(!bad.body.contains("href=\"javascript:"))
            let good = try await client.get("/papers/2611.00078")
            #expect(
                good.body.contains(#"<a href="http://creativecommons.org/licenses/by/4.0/" rel="license nofollow">"#))
        }
        #expect(SiteURL.externalLink("data:text/html,x") == nil)
        #expect(SiteURL.externalLink("https://") == nil)
        #expect(SiteURL.externalLink("https://doi.org/10.1/x y") == nil)
        #expect(SiteURL.externalLink("https://doi.org/10.1/x") == "https://doi.org/10.1/x")
    }
}

/// HTTP as clients expect it: HEAD, 405 with Allow, OPTIONS, ETags per encoding, security headers, size limits.
@Suite("HTTP conformance")
struct HTTPConformanceTests {
    static let getRoutes = [
        "/", "/papers?date=2026-11-20", "/papers/2611.00001", "/papers/2611.00001.md", "/authors/Ada%20Lovelace",
        "/categories/cs.LG", "/search?q=neural", "/static/paperboy.css", "/api/daily_papers", "/api/papers",
        "/api/papers/2611.00001", "/api/papers/search?q=neural", "/api/papers/2611.00001/similar",
        "/feeds/daily.xml", "/feeds/categories/cs.LG.xml", "/feeds/search.xml?q=neural", "/health", "/metrics",
        "/robots.txt", "/sitemap.xml", "/openapi.json", "/nowhere", "/papers?date=0001-01-01",
    ]

    @Test func headAnswersEveryGetWithTheSameStatusAndHeadersAndNoBody() async throws {
        try await TestSite.make().run { client in
            for uri in Self.getRoutes {
                let get = try await client.get(uri)
                let head = try await client.execute(uri: uri, method: .head) { $0 }
                #expect(head.status == get.status, "\(uri)")
                #expect(head.body.readableBytes == 0, "\(uri)")
                for name in [HTTPField.Name.contentType, .eTag, .cacheControl, .contentSecurityPolicy] {
                    #expect(head.headers[name] == get.headers[name], "\(uri) \(name)")
                }
                if uri != "/metrics" && uri != "/health" {
                    #expect(head.headers[.contentLength] == get.headers[.contentLength], "\(uri)")
                }
            }
        }
    }

    @Test(arguments: [HTTPRequest.Method.post, .put, .delete, .patch])
    func otherMethodsOnReadRoutesAre405WithAllow(method: HTTPRequest.Method) async throws {
        try await TestSite.make().run { client in
            for uri in ["/", "/papers/2611.00001", "/api/daily_papers", "/api/papers/2611.00001/similar", "/health"] {
                let answer = try await client.execute(uri: uri, method: method) { $0 }
                #expect(answer.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(answer.headers[.allow] == "GET, HEAD, OPTIONS", "\(uri)")
                #expect(answer.headers[.contentSecurityPolicy] != nil)
            }
            // A paper takes PATCH too (its organisation and links), from a signed-in caller.
            if method != .patch {
                let paper = try await client.execute(uri: "/api/papers/2611.00001", method: method) { $0 }
                #expect(paper.status == .methodNotAllowed)
                #expect(paper.headers[.allow] == "GET, HEAD, PATCH, OPTIONS")
            }
            let unknown = try await client.execute(uri: "/nowhere", method: method) { $0 }
            #expect(unknown.status == .notFound)
            let options = try await client.execute(uri: "/api/daily_papers", method: .options) { $0 }
            #expect(options.status == .noContent)
            #expect(options.headers[.allow] == "GET, HEAD, OPTIONS")
        }
    }

    @Test func madeUpMethodsShareOneMetricsLabel() async throws {
        try await TestSite.make().run { client in
            for name in ["BREW", "WHEN", "X-ANYTHING"] {
                let method = try #require(HTTPRequest.Method(name))
                let answer = try await client.execute(uri: "/", method: method) { $0 }
                #expect(answer.status == .notFound)
            }
            let metrics = try await client.get("/metrics")
            #expect(metrics.body.contains(#"method="other""#))
            #expect(!metrics.body.contains("BREW"))
        }
    }

    @Test func gzipAndIdentityCarryDifferentETags() async throws {
        let papers = (1...30).map { i in
            Fixtures.paper(String(format: "2611.%05d", 200 + i), title: "Paper number \(i) about things")
        }
        try await TestSite.make(papers: papers).run { client in
            let plain = try await client.get("/api/daily_papers")
            let gzip = try await client.get("/api/daily_papers", headers: [.acceptEncoding: "gzip"])
            let plainTag = try #require(plain.headers[.eTag])
            let gzipTag = try #require(gzip.headers[.eTag])
            #expect(plainTag != gzipTag)
            #expect(gzipTag == String(plainTag.dropLast()) + "-gzip\"")
            // Each tag revalidates its own form only.
            let again = try await client.get(
                "/api/daily_papers", headers: [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag])
            #expect(again.status == .notModified)
            let mixed = try await client.get("/api/daily_papers", headers: [.ifNoneMatch: gzipTag])
            #expect(mixed.status == .ok)
            let refused = try await client.get("/api/daily_papers", headers: [.acceptEncoding: "gzip;q=0"])
            #expect(refused.headers[.contentEncoding] == nil)
        }
    }

    @Test func securityHeadersOnEveryAnswer() async throws {
        try await TestSite.make().run { client in
            for uri in ["/", "/api/daily_papers", "/nowhere", "/api/nowhere", "/papers?date=bad", "/health"] {
                let answer = try await client.get(uri)
                #expect(
                    answer.headers[.contentSecurityPolicy]
                        == "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
                        + "connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                        + "form-action 'self'; frame-ancestors 'none'", "\(uri)")
                #expect(answer.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                #expect(answer.headers[.referrerPolicy] == "strict-origin-when-cross-origin", "\(uri)")
            }
            let apiMissing = try await client.get("/api/nowhere")
            #expect(apiMissing.status == .notFound)
            #expect(apiMissing.body == #"{"error":"Not found."}"#)
        }
    }

    @Test func pagesCarryNoInlineScript() async throws {
        try await TestSite.make().run { client in
            for uri in ["/", "/papers/2611.00001", "/search?q=neural", "/authors/Ada%20Lovelace"] {
                let page = try await client.get(uri)
                // One script, the site's own file: the policy allows no other.
                let scripts = page.body.components(separatedBy: "<script").dropFirst()
                #expect(scripts.count == 1, "\(uri)")
                #expect(scripts.allSatisfy { $0.hasPrefix(#" src="/static/paperboy.js?v="#) }, "\(uri)")
                #expect(!page.body.contains(" style=\""), "\(uri)")
                #expect(!page.body.contains(" onclick="), "\(uri)")
            }
        }
    }

    @Test func overlongAddressesAre414AndLargeBodies413() async throws {
        try await TestSite.make().run { client in
            let long = try await client.get("/search?q=a&junk=" + String(repeating: "x", count: 5_000))
            #expect(long.status == .uriTooLong)
            #expect(long.body.hasPrefix("The address is too long"))
            let longPath = try await client.get("/authors/" + String(repeating: "x", count: 9_000))
            #expect(longPath.status == .uriTooLong)
            let body = try await client.execute(
                uri: "/api/daily_papers", method: .get, headers: [.contentLength: "2000000"],
                body: ByteBuffer(repeating: 0x20, count: 2_000_000)
            ) { $0 }
            #expect(body.status == .contentTooLarge)
        }
    }
}

/// The response cache: bounded in bytes, expiring, and never a way to grow memory with junk.
@Suite("Response cache")
struct ResponseCacheTests {
    /// A clock tests move by hand.
    final class ManualClock: Sendable {
        let start = ContinuousClock.now
        let offset = Mutex<Duration>(.zero)
        func now() -> ContinuousClock.Instant { start.advanced(by: offset.withLock { $0 }) }
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
    }

    @Test func answersAreCachedUntilTheyExpire() async throws {
        let clock = ManualClock()
        let site = try await TestSite.make(config: WebConfiguration(cacheTTL: .seconds(60)))
        try await site.run(now: { clock.now() }) { client in
            let before = try await client.get("/api/daily_papers?date=2026-11-20")
            _ = try await site.store.upsert([
                Fixtures.paper("2611.00999", title: "Late arrival", versions: [(1, "2026-11-20T12:00:00Z")])
            ])
            clock.advance(.seconds(59))
            let cached = try await client.get("/api/daily_papers?date=2026-11-20")
            #expect(cached.body == before.body)
            #expect(!cached.body.contains("Late arrival"))
            #expect(cached.headers[.cacheControl] == "public, max-age=60")
            clock.advance(.seconds(2))
            let expired = try await client.get("/api/daily_papers?date=2026-11-20")
            #expect(expired.body.contains("Late arrival"))
            let metrics = try await client.get("/metrics")
            #expect(metrics.body.contains(#"paperboy_response_cache_total{result="hit"} 1"#))
            #expect(metrics.body.contains(#"paperboy_response_cache_total{result="miss"} 2"#))
        }
    }

    @Test func junkParametersCannotGrowTheCacheBeyondItsBytes() {
        var cache = AnswerCache(capacityBytes: 200_000)
        let far = ContinuousClock.now.advanced(by: .seconds(3600))
        for i in 0..<5_000 {
            let answer = EncodedAnswer(Rendered(contentType: Rendered.html, text: String(repeating: "x", count: 900)))
            cache.put("/nowhere?junk=\(i)", answer, expires: far)
            #expect(cache.bytes <= 200_000)
        }
        #expect(cache.count > 50)
        #expect(cache.get("/nowhere?junk=4999", now: .now) != nil)
        #expect(cache.get("/nowhere?junk=0", now: .now) == nil)
        // Kept answers hold exactly their bytes: a body in storage far larger than it is gets its own.
        var roomy = ByteBufferAllocator().buffer(capacity: 1 << 20)
        roomy.writeString(String(repeating: "z", count: 2_000))
        let compacted = EncodedAnswer(Rendered(contentType: Rendered.html, body: roomy))
        #expect(compacted.rendered.body.capacity < 4_096)
        #expect(compacted.bytes < 8_192)
        let huge = EncodedAnswer(Rendered(contentType: Rendered.plain, text: String(repeating: "y", count: 300_000)))
        cache.put("/huge", huge, expires: far)
        #expect(cache.get("/huge", now: .now) == nil)
        #expect(cache.bytes <= 200_000)
    }
}

/// A searcher that waits until released, or fails, for overload and error tests.
final class ControlledSearcher: PaperSearcher, Sendable {
    let started = AsyncStream<Void>.makeStream()
    let release = Mutex<[CheckedContinuation<Void, Never>]>([])
    let failure: (any Error & Sendable)?

    init(failure: (any Error & Sendable)? = nil) { self.failure = failure }

    func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome {
        if let failure { throw failure }
        started.continuation.yield()
        await withCheckedContinuation { continuation in release.withLock { $0.append(continuation) } }
        return SearchOutcome(page: ResultPage(items: [], total: 0, offset: offset, limit: limit), mode: .keyword)
    }

    func releaseAll() {
        for c in release.withLock({ list in
            defer { list = [] }; return list
        }) { c.resume() }
    }

    func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] { [] }
    func semanticStatus() async -> SemanticStatus { .off(reason: "test") }
    func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws -> [Recommendation] {
        []
    }
}

struct TestRefusal: RefusedRequest, Sendable {
    let refusal: Refusal
}

struct InternalFailure: Error, CustomStringConvertible {
    var description: String { "disk /var/secret/paperboy.sqlite is on fire" }
}

@Suite("Overload and failures")
struct OverloadTests {
    @Test func searchesBeyondConcurrencyAndQueueAre503WithRetryAfter() async throws {
        let searcher = ControlledSearcher()
        let site = try await TestSite.make(
            config: WebConfiguration(cacheTTL: .zero, searchConcurrency: 1, searchQueue: 0))
        try await site.run(searcher: searcher) { client in
            async let first = client.get("/api/papers/search?q=neural")
            var started = searcher.started.stream.makeAsyncIterator()
            await started.next()
            let second = try await client.get("/api/papers/search?q=galaxy")
            #expect(second.status == .serviceUnavailable)
            #expect(second.headers[.retryAfter] == "1")
            #expect(second.body == #"{"error":"Too busy to answer now; try again in 1 s."}"#)
            let page = try await client.get("/search?q=galaxy")
            #expect(page.status == .serviceUnavailable)
            // Cheap routes still answer; a paper page leaves out its similar papers and is not cached.
            #expect(try await client.get("/api/daily_papers").status == .ok)
            let paper = try await client.get("/papers/2611.00001")
            #expect(paper.status == .ok)
            #expect(paper.headers[.cacheControl] == "no-store")
            searcher.releaseAll()
            #expect(try await first.status == .ok)
        }
    }

    @Test func refusalsFromTheSearchEngineAre400Or503() async throws {
        let tooFar = ControlledSearcher(failure: TestRefusal(refusal: .badRequest("results 9990 to 10040 are too far")))
        try await TestSite.make().run(searcher: tooFar) { client in
            let api = try await client.get("/api/papers/search?q=neural")
            #expect(api.status == .badRequest)
            #expect(api.body == #"{"error":"results 9990 to 10040 are too far"}"#)
            let page = try await client.get("/search?q=neural")
            #expect(page.status == .badRequest)
            #expect(page.body.contains("results 9990 to 10040 are too far"))
        }
        let busy = ControlledSearcher(
            failure: TestRefusal(refusal: .unavailable(retryAfterSeconds: 2, message: "The model is busy.")))
        try await TestSite.make().run(searcher: busy) { client in
            let api = try await client.get("/api/papers/search?q=neural")
            #expect(api.status == .serviceUnavailable)
            #expect(api.headers[.retryAfter] == "2")
            #expect(api.body == #"{"error":"The model is busy."}"#)
            let feed = try await client.get("/feeds/search.xml?q=neural")
            #expect(feed.status == .serviceUnavailable)
        }
    }

    @Test func theGateQueuesThenAdmitsAndDropsCancelledWaiters() async throws {
        let gate = AdmissionGate(concurrency: 1, queue: 1)
        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let hold = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let holder = Task {
            try await gate.run {
                await withCheckedContinuation { c in
                    hold.withLock { $0 = c }
                    enteredContinuation.yield()
                }
            }
        }
        var it = entered.makeAsyncIterator()
        await it.next()
        let waiter = Task { try await gate.run { 42 } }
        while gate.load.waiting == 0 { await Task.yield() }
        await #expect(throws: Overloaded.self) { try await gate.run { 0 } }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.load.waiting == 0)
        hold.withLock { $0?.resume() }
        try await holder.value
        #expect(gate.load.running == 0)
        #expect(try await gate.run { 7 } == 7)
    }

    @Test func anUnexpectedErrorIsLoggedWithItsRequestAndAnswered500WithoutItsText() async throws {
        let handler = RecordingLogHandler()
        let logger = Logger(label: "paperboy.test") { _ in handler }
        try await TestSite.make().run(searcher: ControlledSearcher(failure: InternalFailure()), logger: logger) {
            client in
            let answer = try await client.get("/api/papers/search?q=neural")
            #expect(answer.status == .internalServerError)
            #expect(answer.body == #"{"error":"Something went wrong on our side; it has been logged."}"#)
            let page = try await client.get("/search?q=neural")
            #expect(page.status == .internalServerError)
            #expect(!page.body.contains("secret"))
        }
        let failures = handler.recorded.filter { $0.level == .error }
        #expect(failures.count == 2)
        #expect(failures.first?.metadata["http.method"] == "GET")
        #expect(failures.first?.metadata["http.path"] == "/api/papers/search")
        #expect(failures.first?.metadata["http.status"] == "500")
        #expect(failures.first?.metadata["error.message"] == "disk /var/secret/paperboy.sqlite is on fire")
        let access = handler.recorded.filter { $0.message == "request" }
        #expect(access.map { $0.metadata["http.status"].map { "\($0)" } } == ["500", "500"])
    }
}

/// What only a real connection shows: a request without Host, a slow sender, too many connections.
@Suite("Connections", .serialized)
struct ConnectionTests {
    @Test func aRequestWithoutHostIs400() async throws {
        try await TestSite.make().runLive { port in
            let socket = try RawSocket(port: port)
            try socket.send("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
            let answer = try socket.readAll()
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            #expect(answer.contains("The request has no Host header."))
            let good = try RawSocket(port: port)
            try good.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(try good.readAll().hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func aSlowSenderIsCutOffAfterTheIdleTimeout() async throws {
        let site = try await TestSite.make(config: WebConfiguration(cacheTTL: .zero, idleTimeout: .seconds(1)))
        try await site.runLive { port in
            let socket = try RawSocket(port: port)
            try socket.send("GET /health HTTP/1.1\r\nHost: local")
            let start = ContinuousClock.now
            let answer = try socket.readAll()  // returns when the server closes the connection
            #expect(answer.isEmpty)
            #expect(ContinuousClock.now - start < .seconds(20))
        }
    }

    /// Where the connections of the limit test come from: not 127.0.0.1, where the test client's own connection
    /// (opened in the background as the server starts) would count against the same limit, sometimes before and
    /// sometimes after these.
    static let source = "127.0.0.2"

    @Test func connectionsPerAddressAreLimited() async throws {
        let site = try await TestSite.make(config: WebConfiguration(cacheTTL: .zero, connectionsPerAddress: 2))
        try await site.runLive { port in
            let a = try RawSocket(port: port, from: Self.source)
            let b = try RawSocket(port: port, from: Self.source)
            try a.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            try b.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(try a.readSome().hasPrefix("HTTP/1.1 200"))
            #expect(try b.readSome().hasPrefix("HTTP/1.1 200"))
            let c = try RawSocket(port: port, from: Self.source)
            try? c.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(try c.readAll().isEmpty)
            a.close()
            try await Task.sleep(for: .milliseconds(200))
            let d = try RawSocket(port: port, from: Self.source)
            try d.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(try d.readAll().hasPrefix("HTTP/1.1 200"))
        }
    }
}

@Suite("Pagination")
struct PaginationTests {
    @Test func pagesStopWhereReachableResultsDo() throws {
        let last = try #require(PaginationView.make(page: 200, total: 1_000_000, perPage: 50) { "/p?page=\($0)" })
        #expect(last.count == 200)
        #expect(last.next == nil)
        #expect(last.previous == "/p?page=199")
        let small = try #require(PaginationView.make(page: 1, total: 120, perPage: 50) { "/p?page=\($0)" })
        #expect(small.count == 3)
        #expect(PaginationView.make(page: 1, total: 50, perPage: 50) { "\($0)" } == nil)
    }
}

/// Every GET route the site registers, now and later, with junk parameters: never a 5xx, never a control
/// character in the answer.
@Suite("Every route with any parameters")
struct EveryRouteTests {
    /// A value for each path parameter pattern; a new pattern fails the test until it has one.
    static let samples: [String: String] = [
        "{category}": "cs.LG", "{file}": "cs.LG.xml", "**": "2611.00001", "{action}": "profile", "{name}": "ada",
    ]
    static let names = [
        "date", "week", "month", "page", "p", "limit", "q", "mode", "sort", "cursor", "submitter", "x", "token", "sent",
    ]
    static let values = [
        "", "0", "-1", "1", "200", "201", "9223372036854775807", "-9223372036854775808", "1e400", "NaN", "0001-W01",
        "9999-W52", "9999-W53", "0000-01", "9999-12", "1000-01-01", "9999-12-31", "0999-12-31", "%00", "%ff%fe",
        "%e2%80%ae", "a%0d%0aSet-Cookie:%20x=y", "%3Cscript%3E", "\"", "author:%22", "-", "*", "keyword", "semantic",
        "trending", "9223372036854775807_2611.00001", "1_hep-th/9901001", String(repeating: "9", count: 400),
    ]

    @Test func junkNeverBreaksARoute() async throws {
        let site = try await TestSite.make()
        // With mail, so that the pages that need it show their forms.
        let (router, routes) = try await buildSite(
            store: site.store, searcher: site.keywordSearcher, lookup: StubLookup(), config: site.config,
            registry: .init(), logger: TestSite.quietLogger, now: { .now }, clock: { Date() },
            outbox: MailOutbox(sender: RecordingMailer(), logger: TestSite.quietLogger))
        let paths = try routes.filter { $0.methods.contains(.get) }.map { route in
            var path = route.route.pattern
            for (pattern, value) in Self.samples { path = path.replacingOccurrences(of: pattern, with: value) }
            try #require(!path.contains("{") && !path.contains("*"), "no sample value for \(route.route.pattern)")
            return path
        }
        #expect(paths.count >= 15)
        let names = Self.names
        let values = Self.values
        let pair = Gen.int(in: 0..<names.count).map { names[$0] }
        let value = Gen.int(in: 0..<values.count).map { values[$0] }
        try await Application(router: router).test(.router) { client in
            for path in paths {
                await propertyCheck(count: 40, input: pair.array(of: 0...3), value.array(of: 3...3)) { keys, vals in
                    let query = zip(keys, vals).map { "\($0)=\($1)" }.joined(separator: "&")
                    let uri = path + (query.isEmpty ? "" : "?" + query)
                    do {
                        let answer = try await client.get(uri)
                        #expect(answer.status.code < 500, "\(uri)")
                        #expect(
                            !answer.body.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" },
                            "\(uri)")
                        // Only the sign-in, sign-up and password-reset forms set a cookie (the token their form
                        // carries).
                        if !path.hasPrefix("/login"), !path.hasPrefix("/signup"), !path.hasPrefix("/password-reset") {
                            #expect(answer.headers[HTTPField.Name("Set-Cookie")!] == nil, "\(uri)")
                        }
                    } catch {
                        Issue.record("\(uri): \(error)")
                    }
                }
            }
        }
    }
}
