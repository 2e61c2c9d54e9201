import ArgumentParser
import Foundation
import Logging
import PaperboyCore
import PaperboyMCP
import PaperboySearch
import PaperboyWeb
import ServiceLifecycle

/// `serve`'s MCP settings: whether `/mcp` answers, and which browser origins besides the site's own may call it.
struct MCPOptions: ParsableArguments {
    @Option(help: "on or off: answer the MCP streamable HTTP transport at /mcp (PAPERBOY_MCP; default on).")
    var mcp: String?

    @Option(
        help: ArgumentHelp(
            "Comma-separated origins whose web pages may call /mcp, e.g. http://localhost:6274 "
                + "(PAPERBOY_MCP_ALLOWED_ORIGINS; default: only the site's own, from --base-url).",
            discussion: "Clients that are not browsers send no Origin and are always let in."))
    var mcpAllowedOrigins: String?

    @Option(help: "An MCP call over HTTP taking longer is answered 504, e.g. 30s (PAPERBOY_MCP_TIMEOUT; default 30s).")
    var mcpTimeout: String?

    func timeout() throws -> Duration {
        try Settings.duration("mcp-timeout", mcpTimeout, default: .seconds(30), atLeast: .seconds(1))
    }

    func enabled() throws -> Bool {
        try CommunityOptions.choice("mcp", mcp, default: true, ["on": true, "off": false])
    }

    /// The extra origins, each `http(s)://host[:port]` without a path.
    func allowedOrigins() throws -> Set<String> {
        var origins = Set<String>()
        for origin in Settings.list("mcp-allowed-origins", mcpAllowedOrigins) {
            guard let url = URL(string: origin), let scheme = url.scheme?.lowercased(),
                ["http", "https"].contains(scheme),
                url.host?.isEmpty == false, url.path.isEmpty || url.path == "/", url.query == nil, url.user == nil
            else {
                throw SettingError(
                    flag: "mcp-allowed-origins", value: origin, expected: "origins written http(s)://host[:port]")
            }
            origins.insert(
                origin.lowercased().hasSuffix("/") ? String(origin.lowercased().dropLast()) : origin.lowercased())
        }
        return origins
    }
}

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the MCP tools on standard input and output, for assistants that start a process.",
        discussion: """
            Speaks the Model Context Protocol (JSON-RPC lines) on standard input and output; logs go to standard \
            error. Tools: search_papers, get_paper, list_papers, similar_papers, and with a personal access token \
            (--token-file, or PAPERBOY_TOKEN in the environment) upvote_paper and submit_paper. Resources: \
            paper://{id}. Ends when the client closes standard input.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var community: CommunityOptions

    @Option(help: "Public URL of the site, for links to papers (PAPERBOY_BASE_URL; default http://127.0.0.1:8080).")
    var baseURL: String?

    @Option(
        help: ArgumentHelp(
            "File holding a personal access token; the tools then act as its user (PAPERBOY_TOKEN_FILE).",
            discussion: "Or the token itself in PAPERBOY_TOKEN (environment only). Create one with `paperboy user "
                + "token create USER`."))
    var tokenFile: String?

    /// The shortest token read (Paperboy's tokens are longer; this only catches an empty or cut file).
    static let minimumTokenBytes = 16

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.mcp")
            guard let defaultBase = URL(string: "http://127.0.0.1:8080") else { throw ExitCode.failure }
            let baseURL = try Settings.url("base-url", baseURL, default: defaultBase)
            let token = try SecretSetting.token("token", file: tokenFile, minimumBytes: Self.minimumTokenBytes)
            let communitySettings = try community.resolve()
            let arxivAPI = try community.arxivAPI()
            let store = try await common.openStore(logger: logger)
            let keyword = try await KeywordIndexOpening.open(
                directory: common.indexDirectory, store: store, logger: logger, mustWrite: false)
            let (engine, offReason) = await model.engine(store: store, database: common.vectorIndexBase, logger: logger)
            let searcher = HybridSearcher(
                keyword: keyword.index, papers: store, embeddings: store, engine: engine, offReason: offReason)
            let client = HTTPClientHolder()
            do {
                let config = WebConfiguration(baseURL: baseURL, community: communitySettings)
                let tools: PaperboyTools
                do {
                    tools = try await agentTools(
                        store: store, searcher: searcher,
                        lookup: CommunityOptions.paperLookup(url: arxivAPI, client: client.client), config: config,
                        token: token, logger: logger)
                } catch let refused as AgentTokenRefused {
                    throw SettingError(setting: "--token-file (PAPERBOY_TOKEN_FILE)", problem: refused.description)
                }
                let group = ServiceGroup(
                    configuration: .init(
                        services: [
                            .init(service: KeywordIndexService(maintainer: keyword, logger: logger)),
                            .init(
                                service: StdioMCPService(
                                    tools: tools, version: PaperboyVersion.current, logger: logger),
                                successTerminationBehavior: .gracefullyShutdownGroup),
                        ],
                        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }
}
