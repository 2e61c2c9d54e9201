import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import PaperboyCore
import PaperboyMCP
import Prometheus

/// `POST /mcp`: the MCP server over the streamable HTTP transport, stateless (``MCPHTTPEndpoint``), on the same
/// store, search engine (with its admission gate) and caches as the pages. A personal access token in
/// `Authorization: Bearer` acts as its user and offers the write tools; a browser session's cookie does not (pages
/// of other origins could otherwise act for the user), and a refused token is 401.
struct MCPRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>
    let endpoint: MCPHTTPEndpoint
    let metrics: PrometheusMetricsFactory

    /// The largest JSON-RPC message accepted.
    static var maxBody: Int { 64 * 1024 }

    init(site: Site<Store>) {
        self.site = site
        endpoint = MCPHTTPEndpoint(
            allowedOrigins: site.config.mcpAllowedOrigins.union([MCPRoutes.origin(of: site.config.baseURL)]),
            timeout: site.config.mcpTimeout, version: PaperboyVersion.current, logger: site.logger)
        metrics = PrometheusMetricsFactory(registry: site.registry)
    }

    func register(on routes: RouteTable) {
        guard site.config.mcp else { return }
        routes.on(.mcp, method: .post) { request, context in try await answer(request, context) }
    }

    func answer(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if request.headers[.authorization] != nil, context.credentialsRejected {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer realm=\"paperboy\", error=\"invalid_token\""
            return Self.response(
                .error(
                    statusCode: 401,
                    .invalidRequest(AgentTokenRefused.message)),
                extra: headers)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBody)
        } catch {
            return Self.response(
                .error(statusCode: 413, .invalidRequest("a message may hold at most \(Self.maxBody / 1024) KB")))
        }
        var headers: [String: String] = [:]
        for field in request.headers where field.name != .authorization && field.name != .cookie {
            headers[field.name.canonicalName] = field.value
        }
        let viewer = context.viewer.flatMap { $0.viaToken ? $0 : nil }
        let tools = PaperboyTools(site: site.agentSite(actingFor: viewer), logger: site.logger, metrics: metrics)
        let answer = await endpoint.handle(
            MCP.HTTPRequest(method: "POST", headers: headers, body: Data(buffer: body), path: request.uri.path),
            tools: tools)
        return Self.response(answer)
    }

    /// The transport's answer as a Hummingbird response (never cached: it may be personal, and it is a POST).
    static func response(_ answer: MCP.HTTPResponse, extra: HTTPFields = [:]) -> Response {
        var headers = extra
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        headers[.cacheControl] = "no-store"
        let body = answer.bodyData.map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        return Response(
            status: HTTPResponse.Status(code: answer.statusCode), headers: headers,
            body: ResponseBody(byteBuffer: body))
    }

    /// `scheme://host[:port]` of the site's public URL, as browsers write `Origin`.
    static func origin(of url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? "http"
        let host = url.host?.lowercased() ?? ""
        let port = url.port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)"
    }
}

extension Site {
    /// What the MCP tools reach for one caller: this site's catalog, gated search, trending list and links, and the
    /// viewer's actions when a token was sent.
    func agentSite(actingFor viewer: Viewer?) -> AgentSite {
        let config = config
        return AgentSite(
            catalog: store, searcher: AgentSearcher(base: searcher), trending: self,
            paperURL: { SiteURL.paper($0).absolute(config) },
            actions: viewer.map { SiteAgentActions(site: self, viewer: $0) })
    }
}

extension Site: TrendingSource {}

/// A signed-in user's votes and submissions through MCP: the same checks, limits and cache invalidation as the
/// forms and the API (``CommunityActions``), refusals in words.
struct SiteAgentActions<Store: SiteStore>: AgentActions {
    let site: Site<Store>
    let viewer: Viewer

    var username: String { viewer.account.username }

    func upvote(_ id: PaperID) async throws -> VoteState {
        try await refusalsInWords { try await CommunityActions(site: site).vote(viewer, paper: id, up: true) }
    }

    func submit(_ rawID: String) async throws -> StoredPaper {
        try await refusalsInWords {
            try await CommunityActions(site: site).submit(viewer, rawID: rawID, comment: nil)
        }
    }

    func refusalsInWords<T>(_ act: () async throws -> T) async throws -> T {
        do {
            return try await act()
        } catch let refusal as CommunityRefusal {
            var message = refusal.message
            if let wait = refusal.retryAfter { message += " (retry after \(wait.retryAfterSeconds) s)" }
            throw ActionRefused(message)
        }
    }
}

/// The site's search as tools call it: a full admission queue is a refusal in words (retry), not an internal error.
struct AgentSearcher: PaperSearcher {
    let base: any PaperSearcher

    func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws -> SearchOutcome {
        try await busyInWords { try await base.search(query, mode: mode, offset: offset, limit: limit) }
    }

    func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] {
        try await busyInWords { try await base.similar(to: id, limit: limit) }
    }

    func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws -> [Recommendation] {
        try await busyInWords { try await base.recommend(signals, window: window, limit: limit) }
    }

    func semanticStatus() async -> SemanticStatus { await base.semanticStatus() }

    func busyInWords<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let busy as Overloaded {
            throw ActionRefused(
                "Paperboy is busy: too many searches are waiting; try again in \(busy.retryAfterSeconds) s")
        }
    }
}
