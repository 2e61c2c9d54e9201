import AsyncHTTPClient
import Foundation
import PaperboyCore
import Testing

@testable import PaperboyIngest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An HTTP server on 127.0.0.1 that answers its connections in turn from a script, one answer each, and records the
/// request line of each.
final class ScriptedHTTPServer: @unchecked Sendable {
    enum Answer {
        /// Fixed bytes, then the connection is closed.
        case bytes(String)
        /// Nothing until the server stops, then the connection is closed (so that only the client's timeout ends
        /// the wait, however late a busy machine runs it).
        case silence
    }

    let port: Int
    private let socketFD: Int32
    private let lock = NSLock()
    private var lines: [String] = []
    private var stopped = false
    /// Signalled once the server stops; a silent answer waits for it.
    private let released = DispatchSemaphore(value: 0)

    init(_ answers: [Answer]) throws {
        let (fd, port) = try LoopbackListener.open(backlog: 8)
        self.port = port
        socketFD = fd
        let thread = Thread { [self] in
            for answer in answers {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                record(readHead(client))
                switch answer {
                case .bytes(let text):
                    let bytes = Array(text.utf8)
                    var sent = 0
                    while sent < bytes.count {
                        let n = bytes[sent...].withUnsafeBytes {
                            send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                        }
                        if n <= 0 { break }
                        sent += n
                    }
                case .silence:
                    released.wait()
                    released.signal()
                }
                close(client)
            }
        }
        thread.start()
    }

    deinit { stop() }

    /// Stops listening: later connections are refused.
    func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(socketFD, Int32(SHUT_RDWR))
            close(socketFD)
        }
        released.signal()
    }

    /// The request lines received so far (`GET /api/query?... HTTP/1.1`).
    var requests: [String] { lock.withLock { lines } }

    private func record(_ head: String) {
        let line = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        lock.withLock { lines.append(line) }
    }

    /// Reads until the end of the request head.
    private func readHead(_ client: Int32) -> String {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 65536 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, 4096, 0) }
            if n <= 0 { break }
            head += buffer[0..<n]
            if String(decoding: head, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// A complete HTTP/1.1 answer.
    static func answer(_ status: String, _ body: String, type: String = "application/atom+xml") -> Answer {
        .bytes(
            "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n" + body)
    }
}

/// A clock that only moves when told to or when something sleeps on it; it records the sleeps and the moments
/// requests start.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    private var sleepLog: [Duration] = []
    private var startLog: [Date] = []

    var now: Date { lock.withLock { current } }
    var sleeps: [Duration] { lock.withLock { sleepLog } }
    var starts: [TimeInterval] {
        lock.withLock { startLog.map { $0.timeIntervalSince(startLog.first ?? $0) } }
    }

    func advance(_ duration: Duration) {
        lock.withLock { current += TimeInterval(duration.components.seconds) }
    }

    func sleep(_ duration: Duration) {
        lock.withLock {
            sleepLog.append(duration)
            current += TimeInterval(duration.components.seconds)
        }
    }

    func markStart() { lock.withLock { startLog.append(current) } }
}

/// Notes on the test clock when each request starts.
struct ClockedFetcher: OAIFetcher {
    let inner: any OAIFetcher
    let clock: TestClock

    func get(_ url: URL) async throws -> (status: Int, headers: [(String, String)], body: Data) {
        clock.markStart()
        return try await inner.get(url)
    }
}

@Suite struct ArxivLookupTests {
    static func feed(_ entries: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
        xmlns:arxiv="http://arxiv.org/schemas/atom">
          <id>https://arxiv.org/api/x</id>
          <title>arXiv Query</title>
          <updated>2025-11-20T00:00:00Z</updated>
          <opensearch:totalResults>\(entries.isEmpty ? 0 : 1)</opensearch:totalResults>
        \(entries)
        </feed>
        """
    }

    static func entry(_ id: String) -> String {
        """
        <entry>
          <id>http://arxiv.org/abs/\(id)</id>
          <updated>2025-11-12T09:30:00Z</updated>
          <published>2025-11-03T18:00:01Z</published>
          <title>Sparse Attention for Transformers</title>
          <summary>We propose a method.</summary>
          <author><name>Ann Lee</name></author>
          <arxiv:comment>12 pages</arxiv:comment>
          <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
        </entry>
        """
    }

    static let id = PaperID("2511.01234")!

    /// A lookup of the stub server, on the test clock.
    static func lookup(_ server: ScriptedHTTPServer, clock: TestClock, timeoutMilliseconds: Int64 = 10_000)
        -> ArxivLookup
    {
        let fetcher = ClockedFetcher(
            inner: HTTPClientFetcher(
                httpClient: HTTPClient.shared, timeout: .milliseconds(timeoutMilliseconds), maxBodyBytes: 1 << 20),
            clock: clock)
        return ArxivLookup(
            baseURL: URL(string: "http://127.0.0.1:\(server.port)/api/query")!, fetcher: fetcher,
            maxResponseBytes: 1 << 20, sleep: { clock.sleep($0) }, now: { clock.now })
    }

    /// What a lookup gives: the paper's id and versions, `not found`, or the reason it is unavailable.
    static func outcome(_ answers: [ScriptedHTTPServer.Answer], id: PaperID = id, timeoutMilliseconds: Int64 = 10_000)
        async -> (String, [String])
    {
        guard let server = try? ScriptedHTTPServer(answers) else { return ("no server", []) }
        let lookup = Self.lookup(server, clock: TestClock(), timeoutMilliseconds: timeoutMilliseconds)
        let result: String
        do {
            if let paper = try await lookup.lookUp(id) {
                result = "\(paper.id) v\(paper.versions.map(\.number).map(String.init).joined(separator: ",v"))"
            } else {
                result = "not found"
            }
        } catch let error as PaperLookupUnavailable {
            result = error.reason
        } catch {
            result = "unexpected \(error)"
        }
        return (result, server.requests)
    }

    @Test func aFoundPaperIsParsedFromTheFeed() async throws {
        let (result, requests) = await Self.outcome([
            ScriptedHTTPServer.answer("200 OK", Self.feed(Self.entry("2511.01234v2")))
        ])
        #expect(result == "2511.01234 v1,v2")
        #expect(requests == ["GET /api/query?id_list=2511.01234&max_results=1 HTTP/1.1"])

        let server = try ScriptedHTTPServer([ScriptedHTTPServer.answer("200 OK", Self.feed(Self.entry("2511.01234v2")))]
        )
        let paper = try await Self.lookup(server, clock: TestClock()).lookUp(Self.id)
        #expect(paper?.title == "Sparse Attention for Transformers")
        #expect(paper?.authors == ["Ann Lee"])
        #expect(paper?.comments == "12 pages")
        #expect(paper?.categories == ["cs.LG"])
    }

    @Test func anOldStyleIdKeepsItsSlash() async throws {
        let old = try #require(PaperID("hep-th/9901001"))
        let (result, requests) = await Self.outcome(
            [ScriptedHTTPServer.answer("200 OK", Self.feed(Self.entry("hep-th/9901001v1")))], id: old)
        #expect(result == "hep-th/9901001 v1")
        #expect(requests == ["GET /api/query?id_list=hep-th/9901001&max_results=1 HTTP/1.1"])
    }

    @Test func aFeedWithoutTheRequestedPaperIsNotFound() async {
        // No entry at all (arXiv's answer for an id it does not know).
        #expect(await Self.outcome([ScriptedHTTPServer.answer("200 OK", Self.feed(""))]).0 == "not found")
        // An entry without an id (arXiv's older answer for such an id).
        let empty = "<entry><title></title><summary></summary></entry>"
        #expect(await Self.outcome([ScriptedHTTPServer.answer("200 OK", Self.feed(empty))]).0 == "not found")
        // Another paper.
        let other = Self.feed(Self.entry("2511.01235v1"))
        #expect(await Self.outcome([ScriptedHTTPServer.answer("200 OK", other)]).0 == "not found")
    }

    @Test func anAPIErrorEntryIsNotFound() async {
        let error = """
            <entry>
              <id>http://arxiv.org/api/errors#incorrect_id_format_for_2511.01234</id>
              <title>Error</title>
              <summary>incorrect id format for 2511.01234</summary>
              <updated>2025-11-20T00:00:00-05:00</updated>
            </entry>
            """
        #expect(await Self.outcome([ScriptedHTTPServer.answer("200 OK", Self.feed(error))]).0 == "not found")
    }

    @Test func anErrorStatusIsUnavailable() async {
        let busy = ScriptedHTTPServer.answer("503 Service Unavailable", "busy", type: "text/plain")
        #expect(await Self.outcome([busy]).0 == "HTTP 503")
        let missing = ScriptedHTTPServer.answer("404 Not Found", "", type: "text/plain")
        #expect(await Self.outcome([missing]).0 == "HTTP 404")
    }

    @Test func anAnswerThatIsNoFeedIsUnavailable() async {
        let html = ScriptedHTTPServer.answer("200 OK", "<html><body>Oops</body></html>", type: "text/html")
        #expect(await Self.outcome([html]).0 == "unreadable answer: not an Atom feed (root element \"html\")")
        let garbage = ScriptedHTTPServer.answer("200 OK", "{\"not\": xml", type: "text/plain")
        #expect(
            await Self.outcome([garbage]).0
                == "unreadable answer: XML refused: no '<' at the start (only UTF-8 XML documents are read)")
        // Cut off inside the entry.
        let truncated = ScriptedHTTPServer.answer("200 OK", String(Self.feed(Self.entry("2511.01234v2")).prefix(500)))
        let (cut, _) = await Self.outcome([truncated])
        #expect(cut == "unreadable answer: malformed XML at line 11: the document ends too early")
    }

    @Test func anAnswerOverTheLimitIsUnavailable() async {
        let big = Self.feed(Self.entry("2511.01234v2") + String(repeating: " ", count: 2 << 20))
        #expect(
            await Self.outcome([ScriptedHTTPServer.answer("200 OK", big)]).0
                == "response body larger than the limit of 1 MiB (1048576 bytes)")
    }

    @Test(.timeLimit(.minutes(1)))
    func noAnswerInTimeIsUnavailable() async {
        // The server stays silent until the test ends, so the timeout comes first however busy the machine is.
        let (result, _) = await Self.outcome([.silence], timeoutMilliseconds: 300)
        #expect(result == "no answer in time")
    }

    @Test func anUnreachableServerIsUnavailable() async throws {
        let server = try ScriptedHTTPServer([])
        server.stop()
        let port = server.port
        let lookup = ArxivLookup(
            baseURL: URL(string: "http://127.0.0.1:\(port)/api/query")!, httpClient: HTTPClient.shared,
            timeout: .seconds(1))
        await #expect {
            try await lookup.lookUp(Self.id)
        } throws: { error in
            (error as? PaperLookupUnavailable)?.reason.hasPrefix("cannot connect: ") == true
        }
    }

    @Test func requestsAreAtLeastThreeSecondsApart() async throws {
        let found = ScriptedHTTPServer.answer("200 OK", Self.feed(Self.entry("2511.01234v2")))
        let server = try ScriptedHTTPServer([found, found, found])
        let clock = TestClock()
        let lookup = Self.lookup(server, clock: clock)
        _ = try await lookup.lookUp(Self.id)
        #expect(clock.sleeps == [])
        // The next one at once waits out the rest of the 3 s; a copy of the lookup shares the spacing.
        let copy = lookup
        clock.advance(.seconds(1))
        _ = try await copy.lookUp(Self.id)
        #expect(clock.sleeps == [.seconds(2)])
        // Later than 3 s after the previous one: no wait.
        clock.advance(.seconds(5))
        _ = try await lookup.lookUp(Self.id)
        #expect(clock.sleeps == [.seconds(2)])
        #expect(clock.starts == [0, 3, 8])
        #expect(server.requests.count == 3)
    }

    @Test func concurrentLookupsTakeTurns() async throws {
        let found = ScriptedHTTPServer.answer("200 OK", Self.feed(Self.entry("2511.01234v2")))
        let server = try ScriptedHTTPServer([found, found, found])
        let clock = TestClock()
        let lookup = Self.lookup(server, clock: clock)
        async let a = lookup.lookUp(Self.id)
        async let b = lookup.lookUp(Self.id)
        async let c = lookup.lookUp(Self.id)
        let papers = try await [a, b, c]
        #expect(papers.map { $0?.id } == [Self.id, Self.id, Self.id])
        #expect(clock.sleeps == [.seconds(3), .seconds(3)])
        #expect(clock.starts == [0, 3, 6])
    }

    @Test func tooManyWaitingLookupsAreRefused() async throws {
        let clock = TestClock()
        let gate = Gate()
        let lookup = ArxivLookup(
            fetcher: HeldFetcher(gate: gate, body: Self.feed(Self.entry("2511.01234v2"))), maxWaiting: 1,
            sleep: { clock.sleep($0) }, now: { clock.now })
        async let first = lookup.lookUp(Self.id)
        await gate.waitUntilHeld()
        async let second = lookup.lookUp(Self.id)
        // Let the second one queue up behind the first.
        while await lookup.queue.waitingCount < 1 { await Task.yield() }
        await #expect {
            try await lookup.lookUp(Self.id)
        } throws: { error in
            (error as? PaperLookupUnavailable)?.reason == "too many lookups waiting for their turn"
        }
        await gate.release()
        #expect(try await first?.id == Self.id)
        #expect(try await second?.id == Self.id)
    }
}

/// Holds requests until released.
actor Gate {
    private var held: [CheckedContinuation<Void, Never>] = []
    private var released = false
    private var watchers: [CheckedContinuation<Void, Never>] = []

    func hold() async {
        guard !released else { return }
        await withCheckedContinuation {
            held.append($0)
            watchers.forEach { $0.resume() }
            watchers = []
        }
    }

    func waitUntilHeld() async {
        guard held.isEmpty else { return }
        await withCheckedContinuation { watchers.append($0) }
    }

    func release() {
        released = true
        held.forEach { $0.resume() }
        held = []
    }
}

/// Answers every request with `body`, once the gate lets it.
struct HeldFetcher: OAIFetcher {
    let gate: Gate
    let body: String

    func get(_ url: URL) async throws -> (status: Int, headers: [(String, String)], body: Data) {
        await gate.hold()
        return (200, [], Data(body.utf8))
    }
}
