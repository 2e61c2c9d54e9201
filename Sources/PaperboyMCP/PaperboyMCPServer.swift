import Foundation
import Logging
import MCP
import PaperboyCore
import ServiceLifecycle

/// Paperboy's MCP server (the official Swift SDK's `Server`) over ``PaperboyTools``, on either transport.
public enum PaperboyMCPServer {
    static let instructions = """
        Paperboy is a self-hosted arXiv paper discovery site. Use search_papers to find papers on a topic (hybrid \
        search understands descriptions in your own words), list_papers for what appeared on a day, week or month or \
        what is trending, get_paper for a paper's abstract and links, similar_papers for related work. Papers are \
        also resources: paper://{arXiv id}.
        """

    /// A server answering tools and resources for one caller.
    static func make(_ tools: PaperboyTools, version: String) async -> Server {
        let server = Server(
            name: "paperboy", version: version, title: "Paperboy", instructions: instructions,
            capabilities: .init(
                resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false))
        )
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools.tools) }
        await server.withMethodHandler(CallTool.self) { call in
            try await tools.call(call.name, arguments: call.arguments)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: try await tools.resources())
        }
        await server.withMethodHandler(ReadResource.self) { read in try await tools.read(read.uri) }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: [PaperboyTools.resourceTemplate])
        }
        return server
    }
}

/// `paperboy mcp`: the server on standard input and output (JSON-RPC lines; logs go to standard error). Ends when
/// the client closes standard input (once what it sent is answered: ``DrainingTransport``), or on SIGTERM through
/// the service group.
public struct StdioMCPService: Service {
    let tools: PaperboyTools
    let version: String
    let logger: Logger

    public init(tools: PaperboyTools, version: String, logger: Logger) {
        self.tools = tools
        self.version = version
        self.logger = logger
    }

    public func run() async throws {
        let server = await PaperboyMCPServer.make(tools, version: version)
        try await server.start(transport: DrainingTransport(StdioTransport(logger: logger), logger: logger))
        logger.info("mcp server ready on standard input and output")
        await withGracefulShutdownHandler {
            await server.waitUntilCompleted()
        } onGracefulShutdown: {
            Task { await server.stop() }
        }
        await server.stop()
        logger.info("mcp server stopped")
    }
}

/// The streamable HTTP transport, stateless: every POST gets a server of its own, which answers it with one JSON
/// response and is gone, so no node keeps per-session memory and any node behind a load balancer answers any
/// request. GET and DELETE are 405 (there are no server-sent streams). A request that takes longer than `timeout`
/// gets 504.
public struct MCPHTTPEndpoint: Sendable {
    /// Origins a browser-based client may call from (`scheme://host[:port]`, lowercased); requests from any other
    /// `Origin` are refused with 403 (DNS rebinding). Clients that are not browsers send no `Origin`.
    public let allowedOrigins: Set<String>
    public let timeout: Duration
    let version: String
    let logger: Logger

    public init(allowedOrigins: Set<String>, timeout: Duration = .seconds(30), version: String, logger: Logger) {
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
        self.timeout = timeout
        self.version = version
        self.logger = logger
    }

    public func handle(_ request: MCP.HTTPRequest, tools: PaperboyTools) async -> MCP.HTTPResponse {
        let transport = StatelessHTTPServerTransport(
            validationPipeline: StandardValidationPipeline(validators: [
                SiteOriginValidator(allowed: allowedOrigins), AcceptHeaderValidator(mode: .jsonOnly),
                ContentTypeValidator(), ProtocolVersionValidator(),
            ]), logger: logger)
        let server = await PaperboyMCPServer.make(tools, version: version)
        do {
            try await server.start(transport: transport)
        } catch {
            logger.error("mcp server did not start", metadata: ["error.message": "\(error)"])
            return .error(statusCode: 500, .internalError("the MCP server did not start"))
        }
        let timeout = timeout
        let response = await withTaskGroup(of: Outcome.self) { group in
            group.addTask { .answer(await transport.handleRequest(request)) }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                } catch {
                    return .cancelled
                }
                // Ends the waiting answer (the transport resumes its waiters when it closes).
                await transport.disconnect()
                return .timedOut
            }
            var answer: MCP.HTTPResponse?
            var timedOut = false
            while let outcome = await group.next() {
                switch outcome {
                case .answer(let response):
                    answer = response
                    group.cancelAll()
                case .timedOut: timedOut = true
                case .cancelled: break
                }
            }
            if timedOut {
                let seconds = String(format: "%g", Double(timeout / .milliseconds(1)) / 1000)
                return MCP.HTTPResponse.error(
                    statusCode: 504, .internalError("Paperboy took longer than \(seconds) s to answer; try again"))
            }
            return answer ?? .error(statusCode: 500, .internalError("no answer"))
        }
        await server.stop()
        return response
    }

    enum Outcome: Sendable {
        case answer(MCP.HTTPResponse)
        case timedOut
        case cancelled
    }
}

/// Refuses a request whose `Origin` is not one of the allowed origins (403), as the specification asks of servers, so
/// that a web page elsewhere cannot reach the server through a browser (DNS rebinding). A request without `Origin`
/// comes from a client that is not a browser, and passes.
struct SiteOriginValidator: HTTPRequestValidator {
    let allowed: Set<String>

    func validate(_ request: MCP.HTTPRequest, context: HTTPValidationContext) -> MCP.HTTPResponse? {
        guard let origin = request.header("Origin") else { return nil }
        guard !allowed.contains(origin.lowercased()) else { return nil }
        return .error(
            statusCode: 403,
            .invalidRequest(
                "Forbidden: pages from origin \(origin.prefix(200)) may not call this MCP server "
                    + "(allowed: \(allowed.sorted().joined(separator: ", ")))"))
    }
}
