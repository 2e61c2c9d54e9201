import Foundation
import PaperStoreConformance
import Testing

/// Semantic search end to end with the real model (installed by scripts/install-model.sh; CI installs it):
/// embed, serve, search by meaning, similar papers, and the no-model path.
@Suite("Semantic search", .serialized)
struct SemanticCLITests {
    static let model = CLI.repo.appendingPathComponent("models/all-MiniLM-L6-v2").path
    static let seed = CLI.repo.appendingPathComponent("Tests/Fixtures/seed-papers.jsonl").path

    static func requireModel() throws {
        try #require(
            FileManager.default.fileExists(atPath: model + "/model.safetensors"),
            "the embedding model is not installed: run scripts/install-model.sh")
    }

    /// Serves `db` on a free port while `body` runs.
    static func serving(_ db: String, model: String, _ body: (Int) async throws -> Void) async throws {
        let port = Int.random(in: 40_001...60_000)
        let process = ChildProcess()
        process.executableURL = CLI.binary
        process.arguments = [
            "serve", "--database", db, "--port", String(port), "--model", model, "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        for _ in 0..<300 {
            if await CLI.curl("http://127.0.0.1:\(port)/health") != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await body(port)
    }

    static func json(_ url: String) async throws -> Any {
        let body = try #require(await CLI.curl(url), "no answer from \(url)")
        return try JSONSerialization.jsonObject(with: Data(body.utf8))
    }

    @Test(.timeLimit(.minutes(10)))
    func embedsThenFindsPapersByMeaning() async throws {
        try Self.requireModel()
        let db = try CLI.temporaryDirectory().appendingPathComponent("sem.sqlite").path
        let ingest = try await CLI.run(["ingest", "--database", db, Self.seed])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let embed = try await CLI.run(["embed", "--database", db, "--model", Self.model])
        #expect(embed.status == 0, "\(embed.stderr)")
        #expect(embed.stdout.contains("embedded 86 papers"))
        let again = try await CLI.run(["embed", "--database", db], environment: ["PAPERBOY_MODEL": Self.model])
        #expect(again.stdout.contains("embedded 0 papers"), "resumable and incremental: \(again.stdout)")

        try await Self.serving(db, model: Self.model) { port in
            let base = "http://127.0.0.1:\(port)"
            let health = try #require(try await Self.json("\(base)/health") as? [String: Any])
            #expect(health["semantic"] as? String == "on")
            // No title word of "Alignment faking in large language models" appears in the query.
            let query = "pretending%20to%20be%20aligned%20during%20training%20to%20avoid%20being%20modified"
            for mode in ["semantic", "hybrid"] {
                let items = try #require(
                    try await Self.json("\(base)/api/papers/search?q=\(query)&mode=\(mode)") as? [[String: Any]])
                let ids = items.prefix(3).compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
                #expect(ids.contains("2412.90001"), "\(mode): \(ids)")
                let why = try #require(items.first?["why"] as? [String: Any])
                #expect(why["mode"] as? String == mode)
                #expect((why["similarity"] as? Double ?? 0) > 0.1)
            }
            let keyword = try #require(
                try await Self.json("\(base)/api/papers/search?q=\(query)&mode=keyword") as? [[String: Any]])
            #expect(!keyword.prefix(3).contains { ($0["paper"] as? [String: Any])?["id"] as? String == "2412.90001" })
            // Filters apply in semantic mode too.
            let filtered = try #require(
                try await Self.json("\(base)/api/papers/search?q=\(query)%20before:2020-01-01&mode=semantic")
                    as? [[String: Any]])
            #expect(filtered.allSatisfy { ($0["publishedAt"] as? String ?? "9") < "2020" })
            // `embed` stored each paper's key sentence (one of its sentences) and 3 to 6 keywords from its text.
            let paper = try #require(try await Self.json("\(base)/api/papers/2412.90001") as? [String: Any])
            let keywords = try #require(paper["ai_keywords"] as? [String])
            #expect((3...6).contains(keywords.count), "\(keywords)")
            let text = ((paper["title"] as? String ?? "") + " " + (paper["summary"] as? String ?? "")).lowercased()
            #expect(keywords.allSatisfy { text.contains($0.lowercased()) }, "\(keywords)")
            let sentence = try #require(paper["ai_summary"] as? String)
            #expect((paper["summary"] as? String ?? "").contains(sentence.replacingOccurrences(of: "…", with: "")))
            let similar = try #require(try await Self.json("\(base)/api/papers/2312.90001/similar") as? [[String: Any]])
            #expect(similar.count == 5)
            let similarIDs = similar.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
            #expect(!similarIDs.contains("2312.90001"))
            #expect(
                !Set(similarIDs).isDisjoint(with: ["2504.90002", "2403.90003", "2311.90002"]),
                "reversal-curse papers are each other's neighbours: \(similarIDs)")
            let page = try #require(await CLI.curl("\(base)/papers/2312.90001"))
            #expect(page.contains("<h2>Similar papers</h2>"))
            #expect(page.contains("semantic similarity 0."))
            let search = try #require(await CLI.curl("\(base)/search?q=\(query)"))
            #expect(search.contains(#"<a href="/papers/2412.90001">"#))
        }
    }

    @Test func aBrokenModelLeavesKeywordSearchWorking() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("k.sqlite").path
        _ = try await CLI.run(["ingest", "--database", db, Self.seed])
        let broken = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data("not a model".utf8).write(to: broken.appendingPathComponent("model.safetensors"))
        let embed = try await CLI.run(["embed", "--database", db, "--model", broken.path])
        #expect(embed.status != 0)
        #expect(embed.stderr.contains(broken.path))
        try await Self.serving(db, model: broken.path) { port in
            let base = "http://127.0.0.1:\(port)"
            let health = try #require(try await Self.json("\(base)/health") as? [String: Any])
            #expect(health["semantic"] as? String == "off")
            // Visitors learn why in words; the path and the error text stay in the server's log.
            #expect(
                health["semanticDetail"] as? String
                    == "the embedding model could not be loaded (the server log says why); install the model "
                    + "(scripts/install-model.sh) and pass --model DIR (PAPERBOY_MODEL)")
            let page = try #require(await CLI.curl("\(base)/search?q=model%20soups"))
            #expect(page.contains("Semantic search is off: the embedding model could not be loaded"))
            #expect(!page.contains(broken.path))
            let items = try #require(
                try await Self.json("\(base)/api/papers/search?q=model%20soups") as? [[String: Any]])
            #expect((items.first?["paper"] as? [String: Any])?["id"] as? String == "2203.90001")
        }
    }
}
