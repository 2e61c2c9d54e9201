import Foundation
import Testing

/// `paperboy mcp`: JSON-RPC on standard output and nothing else, every request answered before it ends, and its
/// token checked at start.
struct MCPCLITests {
    let demo = CLI.repo.appendingPathComponent("Demo/arxiv-sample-200.jsonl").path

    func database() async throws -> String {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let ingested = try await CLI.run(["ingest", "--database", db, demo])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        return db
    }

    static let session =
        [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_paper","arguments":{"id":"0704.0001"}}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"search_papers","arguments":{"limit":0}}}"#,
        ].joined(separator: "\n") + "\n"

    /// The answers on standard output, by id; every line must be a JSON object.
    static func answers(_ stdout: String) throws -> [Int: [String: Any]] {
        var answers: [Int: [String: Any]] = [:]
        for line in stdout.split(separator: "\n") {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON-RPC: \(line)")
            if let id = object["id"] as? Int { answers[id] = object["result"] as? [String: Any] }
        }
        return answers
    }

    @Test func answersEveryRequestOnStandardOutputBeforeItEnds() async throws {
        let db = try await database()
        let result = try await CLI.run(
            ["mcp", "--database", db, "--model", "/nonexistent", "--log-level", "info"],
            stdin: Data(Self.session.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try Self.answers(result.stdout)
        #expect(answers.keys.sorted() == [1, 2, 3, 4])
        #expect((answers[1]?["serverInfo"] as? [String: Any])?["name"] as? String == "paperboy")
        let tools = (answers[2]?["tools"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(tools == ["search_papers", "get_paper", "list_papers", "similar_papers"])
        let paper = answers[3]?["structuredContent"] as? [String: Any]
        #expect(paper?["url"] as? String == "http://127.0.0.1:8080/papers/0704.0001")
        #expect(answers[4]?["isError"] as? Bool == true)
        #expect(result.stderr.contains("mcp server ready on standard input and output"), "logs go to standard error")
    }

    @Test func aTokenActsAsItsUserAndABadOneStopsTheStart() async throws {
        let db = try await database()
        let created = try await CLI.run(
            [
                "user", "create", "--database", db, "--username", "ada", "--email", "ada@example.org",
                "--password-stdin",
            ],
            stdin: Data("correct horse battery\n".utf8))
        #expect(created.status == 0, "\(created.stderr)")
        let token = try await CLI.run(["user", "token", "create", "ada", "--database", db])
        let value = String(token.stdout.split(separator: "\n").last ?? "")
        let signedIn = try await CLI.run(
            ["mcp", "--database", db, "--model", "/nonexistent"], environment: ["PAPERBOY_TOKEN": value],
            stdin: Data(Self.session.utf8))
        let tools = (try Self.answers(signedIn.stdout)[2]?["tools"] as? [[String: Any]])?.compactMap {
            $0["name"] as? String
        }
        #expect(tools?.suffix(2) == ["upvote_paper", "submit_paper"])

        let file = try CLI.temporaryDirectory().appendingPathComponent("token")
        try Data("pb_revoked_or_mistyped_token_0000000000\n".utf8).write(to: file)
        let refused = try await CLI.run(
            ["mcp", "--database", db, "--model", "/nonexistent", "--token-file", file.path],
            stdin: Data(Self.session.utf8))
        #expect(refused.status == 64)
        #expect(refused.stdout.isEmpty)
        #expect(
            refused.stderr.contains(
                "--token-file (PAPERBOY_TOKEN_FILE): the token is not valid (revoked, mistyped or its account disabled)"
            ), "\(refused.stderr)")
    }
}
