import Foundation
import MCP
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyMCP

/// The stateless streamable HTTP transport: one JSON answer per POST, origins checked, nothing kept between requests.
@Suite struct MCPHTTPEndpointTests {
    /// A timeout no loaded test machine reaches (the timeout has its own test below).
    static let endpoint = MCPHTTPEndpoint(
        allowedOrigins: ["https://papers.example.org"], timeout: .seconds(600), version: "test",
        logger: MCPTestSite.quiet)

    static func post(_ body: String, origin: String? = nil, accept: String = "application/json, text/event-stream")
        -> MCP.HTTPRequest
    {
        var headers = ["Content-Type": "application/json", "Accept": accept, "MCP-Protocol-Version": "2025-11-25"]
        if let origin { headers["Origin"] = origin }
        return MCP.HTTPRequest(method: "POST", headers: headers, body: Data(body.utf8), path: "/mcp")
    }

    static func call(_ id: Int, _ tool: String, _ arguments: String) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#
    }

    static func json(_ response: MCP.HTTPResponse) throws -> [String: Any] {
        let body = try #require(response.bodyData)
        return try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
    }

    static let initialize = #"""
        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},
        "clientInfo":{"name":"test","version":"1"}}}
        """#

    @Test func initializeAnswersAtOnceWithoutASession() async throws {
        let response = await Self.endpoint.handle(Self.post(Self.initialize), tools: MCPTestSite.tools())
        #expect(response.statusCode == 200)
        #expect(response.headers["Mcp-Session-Id"] == nil)
        let result = try #require(try Self.json(response)["result"] as? [String: Any])
        #expect((result["serverInfo"] as? [String: Any])?["name"] as? String == "paperboy")
        #expect((result["capabilities"] as? [String: Any])?["tools"] != nil)
    }

    @Test func aToolCallNeedsNoInitializeBeforeIt() async throws {
        let response = await Self.endpoint.handle(
            Self.post(Self.call(7, "get_paper", #"{"id":"2611.00001"}"#)), tools: MCPTestSite.tools())
        #expect(response.statusCode == 200)
        let body = try Self.json(response)
        #expect(body["id"] as? Int == 7)
        let result = try #require(body["result"] as? [String: Any])
        #expect(((result["structuredContent"] as? [String: Any])?["id"]) as? String == "2611.00001")
    }

    @Test(arguments: ["https://evil.example", "null", "https://papers.example.org.evil.example"])
    func pagesOfOtherOriginsAreRefused(origin: String) async throws {
        let response = await Self.endpoint.handle(
            Self.post(Self.initialize, origin: origin), tools: MCPTestSite.tools())
        #expect(response.statusCode == 403)
        let error = try #require(try Self.json(response)["error"] as? [String: Any])
        #expect(
            error["message"] as? String
                == "Invalid Request: Forbidden: pages from origin \(origin) may not call this MCP server "
                + "(allowed: https://papers.example.org)")
    }

    @Test func theSitesOwnOriginIsLetIn() async throws {
        let response = await Self.endpoint.handle(
            Self.post(Self.initialize, origin: "https://Papers.Example.org"), tools: MCPTestSite.tools())
        #expect(response.statusCode == 200)
    }

    @Test func malformedMessagesAndMethodsAreHTTPErrors() async throws {
        let tools = MCPTestSite.tools()
        #expect(await Self.endpoint.handle(Self.post("not json"), tools: tools).statusCode == 400)
        #expect(await Self.endpoint.handle(Self.post(#"{"jsonrpc":"2.0"}"#), tools: tools).statusCode == 400)
        #expect(
            await Self.endpoint.handle(Self.post(Self.initialize, accept: "text/html"), tools: tools).statusCode == 406)
        let notification = #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
        #expect(await Self.endpoint.handle(Self.post(notification), tools: tools).statusCode == 202)
        let get = MCP.HTTPRequest(method: "GET", headers: ["Accept": "text/event-stream"], path: "/mcp")
        #expect(await Self.endpoint.handle(get, tools: tools).statusCode == 405)
    }

    /// The search would take ten minutes; the answer comes when the timeout ends it (the time limit only turns a hang
    /// into a failure: a loaded machine may start the timer late).
    @Test(.timeLimit(.minutes(5))) func aCallThatTakesTooLongIsAnsweredWith504() async throws {
        let catalog = FakeCatalog()
        let slow = MCPTestSite.tools(catalog: catalog, searcher: FakeSearcher(catalog.papers, delay: .seconds(600)))
        let endpoint = MCPHTTPEndpoint(
            allowedOrigins: [], timeout: .milliseconds(200), version: "test", logger: MCPTestSite.quiet)
        let response = await endpoint.handle(Self.post(Self.call(1, "search_papers", #"{"query":"x"}"#)), tools: slow)
        #expect(response.statusCode == 504)
        let error = try #require(try Self.json(response)["error"] as? [String: Any])
        #expect(error["message"] as? String == "Internal error: Paperboy took longer than 0.2 s to answer; try again")
    }

    /// Clients number their own requests, so requests from different clients share ids: each gets its own answer.
    @Test func requestsWithTheSameIdAtOnceGetTheirOwnAnswers() async throws {
        let tools = MCPTestSite.tools()
        let ids = Fixtures.corpus.map(\.id.rawValue)
        let answers = await withTaskGroup(of: (String, String?).self) { group in
            for _ in 0..<4 {
                for id in ids {
                    group.addTask {
                        let response = await Self.endpoint.handle(
                            Self.post(Self.call(1, "get_paper", #"{"id":"\#(id)"}"#)), tools: tools)
                        let result = (try? Self.json(response))?["result"] as? [String: Any]
                        return (id, (result?["structuredContent"] as? [String: Any])?["id"] as? String)
                    }
                }
            }
            var answers: [(String, String?)] = []
            for await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.count == ids.count * 4)
        for (asked, answered) in answers { #expect(answered == asked) }
    }
}
