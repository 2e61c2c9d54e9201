import Foundation
import Hummingbird
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import Synchronization
import Testing

/// `paperboy` commands killed with SIGKILL part-way, then run again: the database ends as if nothing had happened.
/// The database is read with the sqlite3 shell (scripts/setup.sh installs it), as an admin checking it would.
@Suite("Crash recovery", .serialized)
struct CrashTests {
    // MARK: ingest

    // Generous limits: they catch hangs. Alone on 2 cores these take about 25, 11 and 70 s in a debug build (the
    // embed test loads the model three times: each load hashes its 90 MB, about 10 s unoptimised); run beside the
    // other suites, up to 4 times that.
    @Test(.timeLimit(.minutes(5)))
    func ingestKilledPartWayThenRunAgainEqualsACleanIngest() async throws {
        let dir = try CLI.temporaryDirectory()
        let count = 30_000
        let input = dir.appendingPathComponent("snapshot.jsonl")
        let records = try Synthetic.snapshot(count: count)
        try records.write(to: input)

        let clean = dir.appendingPathComponent("clean.sqlite").path
        let cleanRun = try await CLI.run(["ingest", "--database", clean, input.path])
        #expect(cleanRun.status == 0, "\(cleanRun.stderr)")
        #expect(cleanRun.stdout.contains("\(count) new, 0 updated, 0 unchanged, 0 rejected"), "\(cleanRun.stdout)")

        // Killed past the bulk-load threshold (10,000 papers), while the keyword index follows the load in memory:
        // the second run finds no saved index and reads every change. The killed run reads the first 15,000 records
        // from standard input, which stays open, so it cannot finish before it is killed however fast or slow it runs.
        let db = dir.appendingPathComponent("crashed.sqlite").path
        let firstRecords = records.split(separator: UInt8(ascii: "\n"), maxSplits: 15_000).dropLast()
        let head = Data(firstRecords.joined(separator: [UInt8(ascii: "\n")])) + Data("\n".utf8)
        try await Background.killed(
            ["ingest", "--database", db, "-"], in: dir, feeding: head,
            when: { await SQLite3.count(db, "SELECT count(*) FROM papers", readOnly: true) ?? 0 >= 12_000 })
        let storedAtKill = try #require(await SQLite3.count(db, "SELECT count(*) FROM papers", readOnly: true))
        #expect(storedAtKill >= 12_000 && storedAtKill < count, "\(storedAtKill) papers stored when killed")

        let again = try await CLI.run(["ingest", "--database", db, input.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stdout.contains(
                "\(count - storedAtKill) new, 0 updated, \(storedAtKill) unchanged, 0 rejected"), "\(again.stdout)")

        try await Self.expectSameContent(db, as: clean, papers: count)
        await SQLite3.expectIntact(db)
        // The keyword index the second run saved (what a server started now opens) holds every paper exactly once.
        try await SavedKeywordIndex.expectComplete(
            db, papers: count, everyPaperHas: "synthetic",
            finds: KeywordIndexCLITests.markers([0, count / 2, count - 1]))
    }

    /// The same papers, authors and categories in both databases.
    static func expectSameContent(_ db: String, as reference: String, papers: Int) async throws {
        let queries = [
            "SELECT count(*), count(DISTINCT id) FROM papers",
            "SELECT count(*) FROM paper_authors",
            "SELECT count(*) FROM paper_categories",
        ]
        for query in queries {
            let mine = try #require(await SQLite3.query(db, query))
            let theirs = try #require(await SQLite3.query(reference, query))
            #expect(mine == theirs, "\(query)")
        }
        #expect(await SQLite3.query(db, "SELECT count(*), count(DISTINCT id) FROM papers") == "\(papers)|\(papers)")
        let dump = "SELECT id, title, authors, categories, versions, featured_day FROM papers ORDER BY id"
        let mine = try #require(await SQLite3.query(db, dump))
        let theirs = try #require(await SQLite3.query(reference, dump))
        let same = mine == theirs
        let firstDifference = zip(mine.split(separator: "\n"), theirs.split(separator: "\n")).first { $0 != $1 }
        #expect(same, "first differing paper: \(firstDifference.map { "\($0.0) vs \($0.1)" } ?? "-")")
    }

    // MARK: harvest

    @Test(.timeLimit(.minutes(2)))
    func harvestKilledBetweenPagesResumesWithoutLosingOrDuplicatingPapers() async throws {
        let pages = 4
        let perPage = 250
        let stub = PagedOAIStub(pages: pages, perPage: perPage, stallRequest: 3)
        let router = Router()
        router.get("/oai") { request, _ -> Response in
            let (body, stall) = stub.answer(request.uri.query ?? "")
            // The harvester waits for this answer until it is killed.
            if stall { try await Task.sleep(for: .seconds(5)) }
            return Response(
                status: .ok, headers: [.contentType: "text/xml"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/oai"
            let arguments = ["harvest", "--database", db, "--oai-url", url, "--from", "2026-11-01"]
            // Killed while waiting for page 3: pages 1 and 2 are stored, and so is the token that asks for page 3.
            try await Background.killed(arguments, in: dir, when: { stub.requests.withLock { $0.count } >= 3 })
            #expect(await SQLite3.count(db, "SELECT count(*) FROM papers", readOnly: true) == 2 * perPage)

            let again = try await CLI.run(arguments)
            #expect(again.status == 0, "\(again.stderr)")
            let resumed = "harvested \(2 * perPage) records in 2 pages (resumed): \(2 * perPage) new, 0 updated"
            #expect(again.stdout.hasPrefix(resumed + ", 0 unchanged, 0 rejected"), "\(again.stdout)")
        }
        #expect(
            stub.requests.withLock { $0 } == [
                "verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-01",
                "verb=ListRecords&resumptionToken=page%7C2",
                "verb=ListRecords&resumptionToken=page%7C3",
                // The second run, from the stored token.
                "verb=ListRecords&resumptionToken=page%7C3",
                "verb=ListRecords&resumptionToken=page%7C4",
            ])
        let total = pages * perPage
        #expect(await SQLite3.query(db, "SELECT count(*), count(DISTINCT id) FROM papers") == "\(total)|\(total)")
        // A resumed harvest cannot know when the killed one began: the next one starts from its --from.
        #expect(
            await SQLite3.query(db, "SELECT resumption_token IS NULL, last_completed FROM harvest_state")
                == "1|2026-11-01")
        await SQLite3.expectIntact(db)
        // The keyword index the second run saved holds every paper.
        try await SavedKeywordIndex.expectComplete(
            db, papers: total, everyPaperHas: "synthetic", finds: KeywordIndexCLITests.markers([0, total - 1]))
    }

    // MARK: embed

    /// Real papers with their abstracts cut to 12 words: a debug build embeds them about 10 times faster.
    static func shortPapers(_ fixture: String, first count: Int) throws -> Data {
        let url = CLI.repo.appendingPathComponent("Tests/Fixtures").appendingPathComponent(fixture)
        var out = Data()
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").prefix(count) {
            var record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let abstract = try #require(record["abstract"] as? String)
            record["abstract"] = abstract.split(whereSeparator: \.isWhitespace).prefix(12).joined(separator: " ")
            out += try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) + Data("\n".utf8)
        }
        return out
    }

    @Test(.timeLimit(.minutes(5)))
    func embedKilledPartWayThenRunAgainEmbedsEveryPaperOnce() async throws {
        try SemanticCLITests.requireModel()
        let model = SemanticCLITests.model
        let dir = try CLI.temporaryDirectory()
        let input = dir.appendingPathComponent("short.jsonl")
        try (Self.shortPapers("seed-papers.jsonl", first: 86) + Self.shortPapers("arxiv-sample-200.jsonl", first: 64))
            .write(to: input)
        let papers = 150
        let db = dir.appendingPathComponent("e.sqlite").path
        let ingest = try await CLI.run(["ingest", "--database", db, input.path])
        #expect(ingest.status == 0, "\(ingest.stderr)")

        // Vectors are stored 64 at a time; killed after the first batch, before the index file is written.
        try await Background.killed(
            ["embed", "--database", db, "--model", model], in: dir,
            when: { await SQLite3.count(db, "SELECT count(*) FROM paper_vectors", readOnly: true) ?? 0 >= 64 })
        let vectorsAtKill = try #require(await SQLite3.count(db, "SELECT count(*) FROM paper_vectors", readOnly: true))
        #expect(vectorsAtKill >= 64 && vectorsAtKill < papers, "\(vectorsAtKill) vectors when killed")

        let again = try await CLI.run(["embed", "--database", db, "--model", model])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stdout.contains("about \(papers - vectorsAtKill) of \(papers) papers to embed")
                && again.stdout.contains("embedded \(papers - vectorsAtKill) papers")
                && again.stdout.hasSuffix("\(papers) vectors in the index\n"), "\(again.stdout)")
        #expect(
            await SQLite3.query(db, "SELECT count(*), count(DISTINCT paper_rowid) FROM paper_vectors")
                == "\(papers)|\(papers)")
        #expect(
            await SQLite3.count(
                db, "SELECT count(*) FROM papers WHERE rowid NOT IN (SELECT paper_rowid FROM paper_vectors)") == 0)
        await SQLite3.expectIntact(db)
        let indexFiles = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
            $0.hasPrefix("e.sqlite.") && $0.hasSuffix(".vectors")
        }
        #expect(indexFiles.count == 1, "the vector index beside the database: \(indexFiles)")

        // The server reads that file (every vector) and finds papers embedded before and after the kill by meaning.
        try await SemanticCLITests.serving(db, model: model) { port in
            let base = "http://127.0.0.1:\(port)"
            let health = try #require(try await SemanticCLITests.json("\(base)/health") as? [String: Any])
            #expect(health["semantic"] as? String == "on")
            #expect((health["semanticDetail"] as? String ?? "").hasSuffix(", \(papers) vectors"), "\(health)")
            let queries = [
                // 2412.90001, "Alignment faking in large language models" (seed papers, embedded first).
                ("pretending%20to%20be%20aligned%20during%20training%20to%20avoid%20being%20modified", "2412.90001"),
                // 0704.0001, "Calculation of prompt diphoton production cross sections at Tevatron and LHC
                // energies" (the last papers, embedded after the kill).
                ("two%20photons%20produced%20in%20hadron%20collisions%20at%20the%20Tevatron", "0704.0001"),
            ]
            for (query, id) in queries {
                let items = try #require(
                    try await SemanticCLITests.json("\(base)/api/papers/search?q=\(query)&mode=semantic")
                        as? [[String: Any]])
                let ids = items.prefix(5).compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
                #expect(ids.contains(id), "\(query): \(ids)")
            }
        }
    }
}

/// A `paperboy` command run in the background and killed with SIGKILL once `condition` holds.
enum Background {
    /// Fails the test when the command ends by itself before the condition holds. With `input`, the command reads
    /// it from standard input, which is held open (the command waits for more) until the command is killed.
    @discardableResult
    static func killed(
        _ arguments: [String], in dir: URL, feeding input: Data? = nil, logLevel: String = "error", log: URL? = nil,
        when condition: @Sendable () async -> Bool
    ) async throws -> String {
        let process = ChildProcess()
        process.executableURL = CLI.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PAPERBOY_") }
        env["PAPERBOY_LOG_LEVEL"] = logLevel
        process.environment = env
        let log = log ?? dir.appendingPathComponent("killed-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: log.path])
        }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let feed = input.map { _ in Pipe() }
        process.standardInput = feed ?? FileHandle.nullDevice
        try process.run()
        if let feed, let input {
            // All of it is written before the kill, so no write meets a dead reader; should the command die early,
            // the write fails with EPIPE instead of the signal ending the test process.
            signal(SIGPIPE, SIG_IGN)
            let writer = feed.fileHandleForWriting
            let written = await CLI.blocking { (try? writer.write(contentsOf: input)) != nil }
            try #require(written, "could not feed `paperboy \(arguments[0])` its standard input")
        }
        defer { try? feed?.fileHandleForWriting.close() }
        var met = false
        for _ in 0..<3_000 where process.isRunning {
            if await condition() {
                met = true
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        await CLI.blocking { process.waitUntilExit() }
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(met, "the condition did not hold before `paperboy \(arguments[0])` ended; its output: \(output)")
        try #require(
            process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
            "`paperboy \(arguments[0])` ended by itself before it was killed; its output: \(output)")
        return output
    }

    /// Kills the command as soon as its log (at `logLevel`) holds `text`; returns what it logged.
    @discardableResult
    static func killed(_ arguments: [String], in dir: URL, logLevel: String, whenItLogs text: String) async throws
        -> String
    {
        let log = dir.appendingPathComponent("killed-\(UUID().uuidString).log")
        return try await killed(arguments, in: dir, logLevel: logLevel, log: log) {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains(text)
        }
    }
}

/// The sqlite3 shell on a database file.
enum SQLite3 {
    /// The shell's output without the final newline (columns separated by `|`); nil when it fails, e.g. while
    /// the table does not exist yet.
    static func query(_ db: String, _ sql: String, readOnly: Bool = false) async -> String? {
        await CLI.blocking {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["sqlite3", "-batch", "-bail"] + (readOnly ? ["-readonly"] : []) + [db, sql]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
    }

    static func count(_ db: String, _ sql: String, readOnly: Bool = false) async -> Int? {
        await query(db, sql, readOnly: readOnly).flatMap { Int($0) }
    }

    /// SQLite's own integrity check.
    static func expectIntact(_ db: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        #expect(await query(db, "PRAGMA integrity_check") == "ok", sourceLocation: sourceLocation)
    }
}

/// Generated papers: `2611.NNNNN`, each title holding "synthetic" and a word found in no other paper.
enum Synthetic {
    static func id(_ n: Int) -> String { "2611." + String(repeating: "0", count: max(0, 5 - String(n).count)) + "\(n)" }

    /// A word of consonants only (the stemmer leaves it alone) made from `n`'s digits: 0 → "qb", 12 → "qcd".
    static func marker(_ n: Int) -> String {
        let letters = Array("bcdfghjklm")
        return "q" + String(String(n).compactMap { $0.wholeNumberValue.map { letters[$0] } })
    }

    /// Day of the month (1-20) on which paper `n` was submitted.
    static func day(_ n: Int) -> Int { 1 + n % 20 }

    /// Records in the arXiv snapshot's JSON-lines shape (as in Tests/Fixtures/arxiv-sample-200.jsonl).
    static func snapshot(count: Int) throws -> Data {
        var text = ""
        text.reserveCapacity(count * 700)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]  // 2026-11-01 is a Sunday
        for n in 0..<count {
            let day = day(n)
            let minute = n % 60
            let record: [String: Any?] = [
                "id": id(n), "submitter": "Ann Lee",
                "authors": "Ann Lee, Bob Ray and \(["Kim Ng", "Eva Lopez", "Li Wei"][n % 3])",
                "title": "A synthetic study of recovery \(marker(n)) after\n  a crash",
                "comments": "\(n % 40 + 1) pages", "journal-ref": nil, "doi": nil, "report-no": nil,
                "categories": n.isMultiple(of: 3) ? "cs.LG stat.ML" : "cs.DB",
                "license": "http://creativecommons.org/licenses/by/4.0/",
                "abstract":
                    "  This abstract of paper \(n) describes how a database\nrecovers when its writer is killed.\n",
                "versions": [
                    [
                        "version": "v1",
                        "created":
                            "\(weekdays[(day - 1) % 7]), \(day) Nov 2026 10:\(minute < 10 ? "0" : "")\(minute):00 GMT",
                    ]
                ],
                "update_date": "2026-11-\(day < 10 ? "0" : "")\(day)",
                "authors_parsed": [["Lee", "Ann", ""], ["Ray", "Bob", ""]],
            ]
            let object = record.mapValues { $0 ?? NSNull() }
            let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            text += String(decoding: json, as: UTF8.self) + "\n"
        }
        return Data(text.utf8)
    }
}

/// An OAI-PMH endpoint with `pages` pages of `perPage` generated papers, joined by the tokens `page|2`, `page|3`...
final class PagedOAIStub: Sendable {
    let pages: Int
    let perPage: Int
    /// The request (counted from 1) whose answer is held back.
    let stallRequest: Int
    let requests = Mutex<[String]>([])

    init(pages: Int, perPage: Int, stallRequest: Int) {
        self.pages = pages
        self.perPage = perPage
        self.stallRequest = stallRequest
    }

    /// The page asked for, and whether to hold it back.
    func answer(_ query: String) -> (body: String, stall: Bool) {
        let number = requests.withLock { requests in
            requests.append(query)
            return requests.count
        }
        let page = query.range(of: "resumptionToken=page%7C").flatMap { Int(query[$0.upperBound...]) } ?? 1
        let first = (page - 1) * perPage
        let records = (first..<first + perPage).map { n in
            OAIStub.record(Synthetic.id(n), "A synthetic harvest \(Synthetic.marker(n))", day: 10 + page)
        }
        let body = OAIStub.page(
            records.joined(), token: page < pages ? "page|\(page + 1)" : nil, date: "2026-11-20T08:00:0\(page)Z")
        return (body, number == stallRequest)
    }
}
