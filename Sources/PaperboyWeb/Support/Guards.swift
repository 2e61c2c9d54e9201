import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PaperboyCore
import Synchronization

/// Limits on what one request may carry, checked before any route runs.
public struct RequestLimits: Sendable {
    /// Longest request target (path and query), in bytes: longer is 414.
    public var maxURILength: Int
    /// Longest query string, in bytes: longer is 414.
    public var maxQueryLength: Int
    /// Largest request body announced by `Content-Length`: larger is 413.
    public var maxBodyBytes: Int

    public init(maxURILength: Int = 8_192, maxQueryLength: Int = 4_096, maxBodyBytes: Int = 1 << 20) {
        self.maxURILength = maxURILength
        self.maxQueryLength = maxQueryLength
        self.maxBodyBytes = maxBodyBytes
    }
}

/// The answer to a request that cannot be served, in the form the caller reads: JSON under `/api/`, text elsewhere.
enum ProblemAnswer {
    static func response(
        _ status: HTTPResponse.Status, _ message: String, for request: Request, headers extra: HTTPFields = [:]
    ) -> Response {
        var headers = extra
        let body: ByteBuffer
        if request.uri.path.contains("/api/") {
            headers[.contentType] = Rendered.json
            let encoded: Data? = try? JSON.encoder.encode(APIErrorBody(error: message))
            body = ByteBuffer(bytes: encoded.map(Array.init) ?? Array(message.utf8))
        } else {
            headers[.contentType] = Rendered.plain
            body = ByteBuffer(string: message + "\n")
        }
        headers[.cacheControl] = "no-store"
        headers[.contentLength] = String(body.readableBytes)
        let response = Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
        return request.method == .head ? response.createHeadResponse() : response
    }
}

/// Refuses requests no route should see: no `Host` (400), a request target or query over the limits (414), a body
/// over the limit (413).
struct RequestLimitsMiddleware<Context: RequestContext>: RouterMiddleware {
    let limits: RequestLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let host = request.head.authority, !host.isEmpty else {
            return ProblemAnswer.response(.badRequest, "The request has no Host header.", for: request)
        }
        let target = request.uri.description.utf8.count
        if target > limits.maxURILength || (request.uri.query?.utf8.count ?? 0) > limits.maxQueryLength {
            return ProblemAnswer.response(
                .uriTooLong,
                "The address is too long: at most \(limits.maxURILength) bytes, of which at most "
                    + "\(limits.maxQueryLength) in the query.", for: request)
        }
        if let length = request.headers[.contentLength], Int(length).map({ $0 > limits.maxBodyBytes }) ?? true {
            return ProblemAnswer.response(
                .contentTooLarge, "The request body is too large: at most \(limits.maxBodyBytes) bytes.",
                for: request)
        }
        return try await next(request, context)
    }
}

/// Security headers on every answer: a Content-Security-Policy that allows only Paperboy's own resources and no
/// inline script, no framing, no MIME sniffing, and a referrer policy.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = SecurityHeaders.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "strict-origin-when-cross-origin"
        response.headers[.xFrameOptions] = "DENY"
        // Hummingbird's CORS middleware names exposed headers only on preflight answers, where browsers do not look
        // for them: here every answer names the API headers a script of another origin may read.
        response.headers[.accessControlExposeHeaders] = SecurityHeaders.exposedHeaders
        return response
    }
}

enum SecurityHeaders {
    /// Only the site's own scripts, styles, fonts and connections: no inline script, no `style` attribute (KaTeX
    /// sets its styles through the DOM, which the policy allows), nothing from another origin.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; connect-src 'self'; "
        + "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    /// The search API's totals and mode.
    static let exposedHeaders = [HTTPField.Name.xTotalCount, .xTotalCountEstimated, .xSearchMode].map(\.rawName)
        .joined(separator: ", ")
}

/// Turns every error into an answer: an HTTP error keeps its status (with a short message), anything else is
/// logged with its request and answered 500 without the error's text.
struct ErrorAnswerMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any RefusedRequest {
            switch error.refusal {
            case .badRequest(let message):
                return ProblemAnswer.response(.badRequest, message, for: request)
            case .unavailable(let seconds, let message):
                var headers = HTTPFields()
                headers[.retryAfter] = String(seconds)
                return ProblemAnswer.response(.serviceUnavailable, message, for: request, headers: headers)
            }
        } catch let error as any HTTPResponseError {
            let status = error.status
            let message =
                switch status.code {
                case 404: "Not found."
                default: status.reasonPhrase.isEmpty ? "Error \(status.code)." : status.reasonPhrase + "."
                }
            return ProblemAnswer.response(status, message, for: request)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.error(
                "request failed",
                metadata: [
                    "http.method": .string(request.method.rawValue), "http.path": .string(request.uri.path),
                    "http.status": "500", "error.message": .string("\(error)"),
                ])
            return ProblemAnswer.response(
                .internalServerError, "Something went wrong on our side; it has been logged.", for: request)
        }
    }
}

/// Thrown when an expensive route is over its concurrency and queue limits: answered 503 with `Retry-After`.
public struct Overloaded: RefusedRequest, Sendable {
    public var retryAfterSeconds: Int

    public init(retryAfterSeconds: Int = 1) { self.retryAfterSeconds = retryAfterSeconds }

    public var refusal: Refusal {
        .unavailable(
            retryAfterSeconds: retryAfterSeconds,
            message: "Too busy to answer now; try again in \(retryAfterSeconds) s.")
    }
}

/// Admits at most `concurrency` expensive requests at once and lets at most `queue` more wait; beyond that a
/// request is refused at once with ``Overloaded`` instead of waiting without end. A waiter that is cancelled
/// leaves the queue.
public final class AdmissionGate: Sendable {
    struct State {
        var running = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    public let concurrency: Int
    public let queue: Int
    private let state = Mutex(State())

    public init(concurrency: Int, queue: Int) {
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
    }

    /// Runs `body` once admitted.
    public func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
        return try await body()
    }

    func enter() async throws {
        enum Decision { case go, wait(UInt64), refuse }
        let id: UInt64
        let decision = state.withLock { s -> Decision in
            if s.running < concurrency {
                s.running += 1
                return .go
            }
            guard s.waiters.count < queue else { return .refuse }
            s.nextID += 1
            return .wait(s.nextID)
        }
        switch decision {
        case .go: return
        case .refuse: throw Overloaded()
        case .wait(let ticket): id = ticket
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let admitted = state.withLock { s -> Bool in
                    if Task.isCancelled { return false }
                    s.waiters.append((id, continuation))
                    return true
                }
                if !admitted { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    func leave() {
        // The slot passes to the first waiter, or is given back.
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiters.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiters.removeFirst().continuation
        }
        next?.resume()
    }

    /// Running and waiting requests now.
    public var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiters.count) } }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}

/// A searcher whose searches and similar-paper lookups pass through an ``AdmissionGate``.
struct GatedSearcher: PaperSearcher {
    let base: any PaperSearcher
    let gate: AdmissionGate

    func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome {
        try await gate.run { try await base.search(query, mode: mode, offset: offset, limit: limit) }
    }

    func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] {
        try await gate.run { try await base.similar(to: id, limit: limit) }
    }

    func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws -> [Recommendation] {
        try await gate.run { try await base.recommend(signals, window: window, limit: limit) }
    }

    func semanticStatus() async -> SemanticStatus { await base.semanticStatus() }
}
