import Foundation
import Testing

/// `paperboy eval-recommend`, the offline evaluation's Paperboy half, on the real sample without a model (the
/// keyword-only fallback; Benchmarks/recommend/eval.py runs it with the model).
@Suite("eval-recommend")
struct EvalRecommendCLITests {
    static let sample = CLI.repo.appendingPathComponent("Tests/Fixtures/arxiv-sample-200.jsonl").path
    static let astro = ["0704.0009", "0704.0017", "0704.0023"]

    static func categories() throws -> [String: [String]] {
        var found: [String: [String]] = [:]
        for line in try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require(record["id"] as? String)
            found[id] = (record["categories"] as? String)?.split(separator: " ").map(String.init) ?? []
        }
        return found
    }

    @Test func someoneWhoLikesAstrophysicsGetsAstrophysicsInEveryVariant() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("rec.sqlite").path
        #expect(try await CLI.run(["ingest", "--database", db, Self.sample]).status == 0)
        let users = dir.appendingPathComponent("users.json")
        try Data(#"{"users": [{"name": "astro", "positives": ["0704.0009", "0704.0017", "0704.0023"]}]}"#.utf8)
            .write(to: users)
        let out = dir.appendingPathComponent("out.json").path
        let run = try await CLI.run([
            "eval-recommend", "--database", db, "--model", dir.appendingPathComponent("no-model").path,
            "--users", users.path, "--out", out, "--limit", "10",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains("no embeddings (no embedding model is installed): the embedding part ranks nothing"))
        let answer = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let variants = try #require(answer["variants"] as? [String: [String: [String]]])
        #expect(Set(variants.keys) == ["paperboy", "embedding only", "categories and co-authors only"])
        let categories = try Self.categories()
        for name in ["paperboy", "categories and co-authors only"] {
            let ranked = try #require(variants[name]?["astro"])
            #expect(ranked.count == 10)
            #expect(ranked.allSatisfy { categories[$0]?.contains("astro-ph") == true }, "\(name): \(ranked)")
            #expect(Set(ranked).isDisjoint(with: Self.astro))
        }
        // Without vectors the embedding alone knows nothing: every paper scores alike, the newest stored first.
        #expect(variants["embedding only"]?["astro"] == (191...200).reversed().map { "0704.0\($0)" })
    }

    @Test func anUnknownPaperOrABadFileIsRefusedNamingIt() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("rec.sqlite").path
        #expect(try await CLI.run(["ingest", "--database", db, Self.sample]).status == 0)
        let users = dir.appendingPathComponent("users.json")
        try Data(#"{"users": [{"name": "u1", "positives": ["0704.0009", "9999.99999"]}]}"#.utf8).write(to: users)
        let out = dir.appendingPathComponent("out.json").path
        let unknown = try await CLI.run([
            "eval-recommend", "--database", db, "--users", users.path, "--out", out,
        ])
        #expect(unknown.status == 65)
        #expect(unknown.stderr == "paperboy: u1: no stored paper has the id 9999.99999\n")
        try Data("not json".utf8).write(to: users)
        let bad = try await CLI.run(["eval-recommend", "--database", db, "--users", users.path, "--out", out])
        #expect(bad.status == 65)
        #expect(bad.stderr.hasPrefix("paperboy: cannot read \(users.path): "))
        let missing = try await CLI.run(["eval-recommend", "--database", db])
        #expect(missing.status == 64)
        #expect(missing.stderr == "paperboy: eval-recommend needs --users FILE and --out FILE\n")
    }
}
