import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import PaperboyWeb
import Testing

/// `POST /mcp` on the site: the same store, search, accounts and rules as the pages and the API.
@Suite("MCP over HTTP")
struct MCPRouteTests {
    /// The site as other web tests make it, with a timeout no loaded test machine reaches (a search on 2 busy cores
    /// can take longer than the default 30 s; the timeout's own test is in PaperboyMCPTests).
    static func make(_ config: WebConfiguration = WebConfiguration(cacheTTL: .zero, community: TestSite.testCommunity))
        async throws -> TestSite
    {
        var config = config
        config.mcpTimeout = .seconds(600)
        return try await TestSite.make(config: config)
    }

    static func headers(token: String? = nil, origin: String? = nil) -> HTTPFields {
        var headers = token.map(bearer) ?? HTTPFields()
        headers[.contentType] = "application/json"
        headers[.accept] = "application/json, text/event-stream"
        headers[HTTPField.Name("MCP-Protocol-Version")!] = "2025-11-25"
        if let origin { headers[.origin] = origin }
        return headers
    }

    static func rpc(_ method: String, _ params: String = "{}") -> String {
        #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#
    }

    static func toolNames(_ fetched: Fetched) throws -> [String] {
        let result = try #require(try object(fetched)["result"] as? [String: Any], "\(fetched.body)")
        return (result["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    static func structured(_ fetched: Fetched) throws -> [String: Any] {
        let result = try #require(try object(fetched)["result"] as? [String: Any], "\(fetched.body)")
        return result["structuredContent"] as? [String: Any] ?? [:]
    }

    @Test func aTokenOffersTheWriteToolsAndVotesAsItsUser() async throws {
        let site = try await Self.make()
        let (_, token) = try await site.member("ada")
        try await site.run { client in
            let anonymous = try await client.send(
                "/mcp", method: .post, headers: Self.headers(), body: Self.rpc("tools/list"))
            #expect(anonymous.status == .ok)
            #expect(anonymous.headers[.cacheControl] == "no-store")
            #expect(try Self.toolNames(anonymous) == ["search_papers", "get_paper", "list_papers", "similar_papers"])
            let signedIn = try await client.send(
                "/mcp", method: .post, headers: Self.headers(token: token), body: Self.rpc("tools/list"))
            #expect(try Self.toolNames(signedIn).suffix(2) == ["upvote_paper", "submit_paper"])
            let vote = try await client.send(
                "/mcp", method: .post, headers: Self.headers(token: token),
                body: Self.rpc("tools/call", #"{"name":"upvote_paper","arguments":{"id":"2611.00002"}}"#))
            #expect(try Self.structured(vote)["upvotes"] as? Int == 1)
            #expect(try Self.structured(vote)["user"] as? String == "ada")
            let paper = try object(try await client.get("/api/papers/2611.00002"))
            #expect(paper["upvotes"] as? Int == 1, "the vote is the site's vote")
            let unknown = try await client.send(
                "/mcp", method: .post, headers: Self.headers(),
                body: Self.rpc("tools/call", #"{"name":"no_such_tool_\#(UUID())","arguments":{}}"#))
            #expect(try object(unknown)["error"] != nil)
            let metrics = try await client.get("/metrics").body.split(separator: "\n")
                .filter { $0.hasPrefix("paperboy_mcp_tool_calls_total") }
            #expect(metrics.contains { $0.contains(#"tool="upvote_paper""#) && $0.contains(#"result="ok""#) })
            #expect(metrics.contains { $0.contains(#"tool="unknown""#) && $0.hasSuffix(" 1") }, "\(metrics)")
        }
    }

    @Test func searchFindsWhatTheSiteSearchFinds() async throws {
        let site = try await Self.make()
        try await site.run { client in
            let fetched = try await client.send(
                "/mcp", method: .post, headers: Self.headers(),
                body: Self.rpc("tools/call", #"{"name":"search_papers","arguments":{"query":"galaxy spectra"}}"#))
            let papers = try Self.structured(fetched)["papers"] as? [[String: Any]] ?? []
            #expect(papers.compactMap { $0["id"] as? String } == ["2611.00003"])
            #expect(papers.first?["url"] as? String == "http://127.0.0.1:8080/papers/2611.00003")
            let api = try await client.get("/api/papers/search?q=galaxy+spectra")
            #expect(api.body.contains("\"2611.00003\""))
        }
    }

    @Test func aRefusedTokenIs401() async throws {
        let site = try await Self.make()
        try await site.run { client in
            let fetched = try await client.send(
                "/mcp", method: .post, headers: Self.headers(token: "pb_not_a_real_token_at_all_0000000000"),
                body: Self.rpc("tools/list"))
            #expect(fetched.status == .unauthorized)
            #expect(fetched.headers[.wwwAuthenticate] == "Bearer realm=\"paperboy\", error=\"invalid_token\"")
        }
    }

    /// A browser session is no way in: a page elsewhere could make the browser send its cookie.
    @Test func aBrowserSessionDoesNotActThroughMCP() async throws {
        let site = try await Self.make()
        try await site.run { client in
            let browser = TestBrowser(client)
            try await browser.signUp("grace")
            #expect(try await browser.get("/settings").status == .ok, "the browser is signed in")
            let fetched = try await browser.send(
                "/mcp", method: .post, headers: Self.headers(), body: Self.rpc("tools/list"))
            #expect(try Self.toolNames(fetched).count == 4)
        }
    }

    @Test func onlyTheSitesOwnOriginAndTheConfiguredOnesMayCallFromABrowser() async throws {
        let config = WebConfiguration(
            baseURL: URL(string: "https://papers.example.org/lab")!, cacheTTL: .zero, community: TestSite.testCommunity,
            mcpAllowedOrigins: ["http://localhost:6274"])
        let site = try await Self.make(config)
        try await site.run { client in
            for (origin, status) in [
                ("https://papers.example.org", HTTPResponse.Status.ok), ("http://localhost:6274", .ok),
                ("https://evil.example", .forbidden), ("http://papers.example.org", .forbidden),
            ] {
                let fetched = try await client.send(
                    "/lab/mcp", method: .post, headers: Self.headers(origin: origin), body: Self.rpc("tools/list"))
                #expect(fetched.status == status, "\(origin)")
            }
        }
    }

    @Test func oversizedMessagesAndOtherMethodsAreRefused() async throws {
        let site = try await Self.make()
        try await site.run { client in
            let big =
                Self.rpc("tools/call", #"{"name":"search_papers","arguments":{"query":""#)
                + String(repeating: "a", count: 70_000) + #""}}"#
            let fetched = try await client.send("/mcp", method: .post, headers: Self.headers(), body: big)
            #expect(fetched.status == .contentTooLarge)
            var preflight = HTTPFields()
            preflight[.origin] = "http://localhost:6274"
            preflight[.accessControlRequestMethod] = "POST"
            preflight[.accessControlRequestHeaders] = "content-type, mcp-protocol-version, authorization"
            let options = try await client.send("/mcp", method: .options, headers: preflight)
            #expect(
                options.headers[.accessControlAllowHeaders]?.lowercased().contains("mcp-protocol-version") == true,
                "a browser client may send the protocol version")
            let get = try await client.get("/mcp")
            #expect(get.status == .methodNotAllowed)
            #expect(get.headers[.allow] == "POST, OPTIONS")
        }
    }

    @Test func mcpOffAnswersNothing() async throws {
        let config = WebConfiguration(cacheTTL: .zero, community: TestSite.testCommunity, mcp: false)
        let site = try await Self.make(config)
        try await site.run { client in
            let fetched = try await client.send(
                "/mcp", method: .post, headers: Self.headers(), body: Self.rpc("tools/list"))
            #expect(fetched.status == .notFound)
        }
    }
}
