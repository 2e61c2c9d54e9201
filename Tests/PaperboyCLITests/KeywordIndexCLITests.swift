import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PaperboySearch
import Testing

/// The keyword index as the commands keep it beside the database (`DATABASE.index`): `ingest` builds it, one `serve`
/// writes it at a time and finds what another process stores, and neither a killed load nor a damaged file leaves
/// searches missing papers.
@Suite("Keyword index on the command line", .serialized)
struct KeywordIndexCLITests {
    let demo = CLI.repo.appendingPathComponent("Demo/arxiv-sample-200.jsonl").path

    @Test(.timeLimit(.minutes(5)))
    func ingestBuildsTheIndexAndOnlyOneServerWritesIt() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("k.sqlite").path
        let ingest = try await CLI.run(["ingest", "--database", db, demo])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(ingest.stdout.hasPrefix("keyword index: 200 papers, ready "), "\(ingest.stdout)")
        #expect(FileManager.default.fileExists(atPath: db + ".index/manifest.json"))
        try await SavedKeywordIndex.expectComplete(db, papers: 200, finds: ["diphoton": "0704.0001"])

        try await Server.running(["--database", db], in: dir) { first in
            #expect(try await first.searchIDs("diphoton") == ["0704.0001"])
            let second = try await CLI.run(
                ["serve", "--database", db, "--port", String(Server.randomPort())] + Server.noModel(dir))
            #expect(second.status == 64)
            #expect(
                second.stderr
                    == "paperboy: bad setting --index-dir (PAPERBOY_INDEX_DIR): \(db).index is in use by another "
                    + "Paperboy process; give each server its own --index-dir\n")
            let own = dir.appendingPathComponent("second.index").path
            try await Server.running(["--database", db, "--index-dir", own], in: dir) { other in
                let found = try await other.searchIDs("diphoton")
                #expect(found == ["0704.0001"])
            }
            #expect(FileManager.default.fileExists(atPath: own + "/manifest.json"))
            #expect(try await first.searchIDs("diphoton") == ["0704.0001"], "the first server still serves")
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aPaperAnotherProcessStoresIsFoundWhileServing() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("k.sqlite").path
        let ingest = try await CLI.run(["ingest", "--database", db, demo])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let newPaper = dir.appendingPathComponent("new.jsonl")
        try Synthetic.snapshot(count: 1).write(to: newPaper)
        let marker = Synthetic.marker(0)

        try await Server.running(["--database", db], in: dir) { server in
            #expect(try await server.searchIDs(marker).isEmpty)
            let added = try await CLI.run(["ingest", "--database", db, newPaper.path])
            #expect(added.status == 0, "\(added.stderr)")
            #expect(
                added.stdout.hasPrefix("keyword index: kept current by the process that holds \(db).index\n"),
                "\(added.stdout)")
            let stored = ContinuousClock.now
            var foundAfter: Duration?
            for _ in 0..<100 {
                if try await server.searchIDs(marker) == [Synthetic.id(0)] {
                    foundAfter = ContinuousClock.now - stored
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let elapsed = try #require(foundAfter, "the new paper was not found within 10 s")
            #expect(elapsed < .seconds(5), "found \(elapsed) after it was stored")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func aLoadKilledWhileTheIndexIsBuiltThenRunAgainLeavesTheIndexComplete() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("k.sqlite").path
        let count = 12_000
        let records = try Synthetic.snapshot(count: count)
        let input = dir.appendingPathComponent("snapshot.jsonl")
        try records.write(to: input)
        let lines = records.split(separator: UInt8(ascii: "\n"))
        func jsonLines(_ range: Range<Int>) -> Data {
            Data(lines[range].joined(separator: [UInt8(ascii: "\n")])) + Data("\n".utf8)
        }

        // A first load saves an index of 2,000 papers.
        let start = dir.appendingPathComponent("start.jsonl")
        try jsonLines(0..<2_000).write(to: start)
        let first = try await CLI.run(["ingest", "--database", db, start.path])
        #expect(first.status == 0, "\(first.stderr)")
        try await SavedKeywordIndex.expectComplete(
            db, papers: 2_000, everyPaperHas: "synthetic", finds: Self.markers([0, 1_999]))

        // The next is killed part-way while its index is built in memory: it reads 7,000 more records from standard
        // input, which stays open, so it cannot finish before it is killed.
        try await Background.killed(
            ["ingest", "--database", db, "-"], in: dir, feeding: jsonLines(2_000..<9_000),
            when: { await SQLite3.count(db, "SELECT count(*) FROM papers", readOnly: true) ?? 0 >= 5_000 })
        let storedAtKill = try #require(await SQLite3.count(db, "SELECT count(*) FROM papers", readOnly: true))
        #expect(storedAtKill >= 5_000 && storedAtKill < count, "\(storedAtKill) papers stored when killed")
        let (store, saved) = try await SavedKeywordIndex.open(db)
        let latest = try await store.latestPaperChange()
        #expect(await saved.changeSequence < latest, "the killed load saved no index of what it stored")

        let again = try await CLI.run(["ingest", "--database", db, input.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("keyword index: \(count) papers, ready "), "\(again.stdout)")
        #expect(
            again.stdout.contains("\(count - storedAtKill) new, 0 updated, \(storedAtKill) unchanged, 0 rejected"),
            "\(again.stdout)")
        try await SavedKeywordIndex.expectComplete(
            db, papers: count, everyPaperHas: "synthetic",
            finds: Self.markers([0, 1_999, 2_000, storedAtKill - 1, storedAtKill, count - 1]))
    }

    @Test(.timeLimit(.minutes(10)))
    func aLoadKilledWhileItMergesTheIndexLeavesTheSavedIndexWhole() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("k.sqlite").path
        let count = 15_000
        let records = try Synthetic.snapshot(count: count)
        let input = dir.appendingPathComponent("snapshot.jsonl")
        try records.write(to: input)
        let first = try await CLI.run(["ingest", "--database", db, input.path])
        #expect(first.status == 0, "\(first.stderr)")

        // A third of the papers revised: at the end of the load the index's segment has lost a third of its
        // documents, so it is rewritten without them (a merge of 10,000 documents); the load is killed once the merge
        // has begun.
        let revisedCount = count / 3
        let lines = records.split(separator: UInt8(ascii: "\n")).prefix(revisedCount).map {
            String(decoding: $0, as: UTF8.self).replacingOccurrences(
                of: "describes how a database", with: "describes how a revised database")
        }
        let revised = dir.appendingPathComponent("revised.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: revised)
        try await Background.killed(
            ["ingest", "--database", db, revised.path], in: dir, logLevel: "info",
            whenItLogs: "merging keyword segments")
        #expect(
            await SQLite3.count(db, "SELECT count(*) FROM papers WHERE abstract LIKE '% revised %'", readOnly: true)
                == revisedCount, "the load stored every revision before it merged")
        let (store, saved) = try await SavedKeywordIndex.open(db)
        #expect(await saved.changeSequence < (try await store.latestPaperChange()), "the killed load saved nothing")

        // The next command to open the index reads the saved files, then the changes since.
        let again = try await CLI.run(["ingest", "--database", db, revised.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 new, 0 updated, \(revisedCount) unchanged, 0 rejected"), "\(again.stdout)")
        try await SavedKeywordIndex.expectComplete(
            db, papers: count, everyPaperHas: "synthetic", finds: Self.markers([0, revisedCount, count - 1]))
        let (_, repaired) = try await SavedKeywordIndex.open(db)
        let found = try await repaired.index.rank(SearchQuery(parsing: "revised"), offset: 0, limit: count)
        #expect(found.ranked.count == revisedCount)
    }

    @Test(.timeLimit(.minutes(5)))
    func aDamagedSegmentIsRebuiltWhenTheServerStarts() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("k.sqlite").path
        let ingest = try await CLI.run(["ingest", "--database", db, demo])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let indexDirectory = URL(fileURLWithPath: db + ".index")
        let segments = try FileManager.default.contentsOfDirectory(atPath: indexDirectory.path).filter {
            $0.hasPrefix("seg-") && $0.hasSuffix(".kws")
        }
        let segment = indexDirectory.appendingPathComponent(try #require(segments.first, "no segment file"))
        var bytes = try Data(contentsOf: segment)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: segment)

        let log = try await Server.running(["--database", db], in: dir, logLevel: "warning") { server in
            let found = try await server.searchIDs("diphoton")
            #expect(found == ["0704.0001"])
        }
        #expect(log.contains("the keyword index cannot be used; rebuilding it from the store"), "\(log)")
        #expect(log.contains("checksum mismatch"), "\(log)")
        try await SavedKeywordIndex.expectComplete(db, papers: 200, finds: ["diphoton": "0704.0001"])
    }

    /// Each synthetic paper's own word, and its id.
    static func markers(_ numbers: [Int]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: numbers.map { (Synthetic.marker($0), Synthetic.id($0)) })
    }
}

/// The keyword index a command saved beside a database, opened as a reader (as a second process opens it), without
/// reading the store's later changes: what a server started now would begin from.
enum SavedKeywordIndex {
    static let quiet: Logger = {
        var logger = Logger(label: "paperboy.test")
        logger.logLevel = .critical
        return logger
    }()

    static func open(_ db: String) async throws -> (SQLiteStore, KeywordIndexMaintainer) {
        let store = try SQLiteStore(path: db)
        let maintainer = try await KeywordIndexMaintainer(
            directory: URL(fileURLWithPath: db + ".index"), feed: store, papers: store, writable: false, logger: quiet)
        return (store, maintainer)
    }

    /// The saved index holds every change of the store and `papers` papers, each once (every one found by
    /// `everyPaperHas`, a word all of them hold), finds each word of `finds` in its paper only, and its directory
    /// holds no file its manifest does not name.
    static func expectComplete(
        _ db: String, papers: Int, everyPaperHas common: String? = nil, finds: [String: String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (store, maintainer) = try await open(db)
        let latest = try await store.latestPaperChange()
        #expect(await maintainer.changeSequence == latest, "the store's last change", sourceLocation: sourceLocation)
        #expect(maintainer.index.count == papers, sourceLocation: sourceLocation)
        if let common {
            let all = try await maintainer.index.rank(SearchQuery(parsing: common), offset: 0, limit: papers + 1)
            #expect(all.ranked.count == papers, sourceLocation: sourceLocation)
            #expect(Set(all.ranked.map(\.key)).count == papers, sourceLocation: sourceLocation)
        }
        let searcher = KeywordOnlySearcher(index: maintainer.index, papers: store)
        for (word, id) in finds.sorted(by: { $0.key < $1.key }) {
            let found = try await searcher.search(SearchQuery(parsing: word), mode: .keyword, offset: 0, limit: 5)
            #expect(found.page.items.map(\.paper.paper.id.rawValue) == [id], "\(word)", sourceLocation: sourceLocation)
        }
        let directory = URL(fileURLWithPath: db + ".index")
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
                as? [String: Any], sourceLocation: sourceLocation)
        let named = Set((manifest["segments"] as? [String] ?? []) + [manifest["deletions"] as? String ?? ""])
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(present == named.union(["manifest.json", "lock"]), sourceLocation: sourceLocation)
    }
}

/// `paperboy serve` on a random port in the background, without a model, its standard error in a log file.
struct Server {
    let process: ChildProcess
    let port: Int
    let log: URL

    static func randomPort() -> Int { Int.random(in: 20_000...40_000) }

    static func noModel(_ dir: URL) -> [String] { ["--model", dir.appendingPathComponent("no-model").path] }

    /// Serves while `body` runs (answers are not cached, so each search reads the index), then stops it with
    /// SIGTERM and expects a clean exit. Returns what it logged.
    @discardableResult
    static func running(
        _ arguments: [String], in dir: URL, logLevel: String = "error", _ body: (Server) async throws -> Void
    ) async throws -> String {
        let port = randomPort()
        let log = dir.appendingPathComponent("serve-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: log.path])
        }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = ChildProcess()
        process.executableURL = CLI.binary
        process.arguments =
            ["serve"] + arguments + ["--port", String(port), "--cache-ttl", "0", "--log-level", logLevel]
            + noModel(dir)
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PAPERBOY_") }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let server = Server(process: process, port: port, log: log)
        do {
            try await server.waitUntilServing()
            try await body(server)
        } catch {
            _ = await server.stop()
            throw error
        }
        let status = await server.stop()
        #expect(status == 0, "`paperboy serve` did not stop cleanly: \(server.output)")
        return server.output
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func waitUntilServing() async throws {
        for _ in 0..<600 where process.isRunning {
            if await CLI.curl("http://127.0.0.1:\(port)/health") != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw NotServing(port: port, output: output)
    }

    struct NotServing: Error, CustomStringConvertible {
        let port: Int
        let output: String
        var description: String { "`paperboy serve` did not answer on port \(port); its output: \(output)" }
    }

    /// Stops the server with SIGTERM; its exit status.
    func stop() async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        await CLI.blocking { process.waitUntilExit() }
        return process.terminationReason == .exit ? process.terminationStatus : -1
    }

    /// Ids of the first five keyword matches of the search API.
    func searchIDs(_ text: String) async throws -> [String] {
        let query = try #require(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let url = "http://127.0.0.1:\(port)/api/papers/search?q=\(query)&mode=keyword&limit=5"
        let items = try #require(try await SemanticCLITests.json(url) as? [[String: Any]], "\(url)")
        return items.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
    }
}
