import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import PaperboyCore
import Prometheus

/// Counts requests and times them, labelled by route (the pattern, never the raw path) and status.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry) {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Standard methods by name, any other as `other`, so that made-up methods cannot add series without end.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        MethodLabels.known.contains(method) ? method.rawValue : "other"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let route = context.endpointPath ?? "unmatched"
            let elapsed = ContinuousClock.now - start
            Counter(
                label: MetricNames.httpRequests,
                dimensions: [
                    ("route", route), ("method", Self.methodLabel(request.method)), ("status", String(status)),
                ],
                factory: factory
            ).increment()
            Timer(label: MetricNames.httpRequestDuration, dimensions: [("route", route)], factory: factory)
                .recordNanoseconds(
                    elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}

enum MethodLabels {
    /// The methods request metrics name; made once, not per request.
    static let known: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]
}

/// One log line per request, with the client address (believing `X-Forwarded-For` only from trusted proxies).
struct AccessLogMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let logger: Logger
    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        logger.info(
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.path": .string(request.uri.path),
                "http.status": .stringConvertible(response.status.code),
                "http.client": .string(
                    ClientAddress.resolve(
                        peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor],
                        trusted: trustedProxies) ?? "-"),
                "http.duration_ms": .stringConvertible(elapsed.seconds * 1000),
            ])
        return response
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xCSRFToken = HTTPField.Name("X-CSRF-Token")!
    /// The MCP protocol version a client of `/mcp` sends with every request after `initialize`.
    static let mcpProtocolVersion = HTTPField.Name("MCP-Protocol-Version")!
}

/// The address of the client behind any trusted proxies.
public enum ClientAddress {
    /// Walks `X-Forwarded-For` from the right while the hop is a trusted proxy; the first untrusted hop is the client.
    /// A peer that is not a trusted proxy is the client whatever the header says.
    public static func resolve(peer: String?, forwardedFor: String?, trusted: Set<String>) -> String? {
        guard let peer, trusted.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        var client = peer
        for hop in hops.reversed() {
            client = hop
            if !trusted.contains(hop) { break }
        }
        return client
    }
}
