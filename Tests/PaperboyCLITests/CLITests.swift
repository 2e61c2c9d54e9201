import Foundation
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PaperboySearch
import Testing

/// Runs the built `paperboy` binary, as an admin or a script would.
struct CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let binary: URL = {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            here.appendingPathComponent("paperboy"),
            here.deletingLastPathComponent().appendingPathComponent("paperboy"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/paperboy"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, directory: URL? = nil
    ) async throws -> Result {
        let process = ChildProcess()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PAPERBOY_") }
        env["PAPERBOY_LOG_LEVEL"] = "error"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { try input.fileHandleForWriting.write(contentsOf: stdin) }
        try input.fileHandleForWriting.close()
        // Blocking reads run on Dispatch threads, never on the concurrency pool (2 threads on 2 cores),
        // which an in-process server under test needs.
        async let o = blocking { out.fileHandleForReading.readDataToEndOfFile() }
        async let e = blocking { err.fileHandleForReading.readDataToEndOfFile() }
        let (stdout, stderr) = await (o, e)
        await blocking { process.waitUntilExit() }
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }

    /// GETs a URL with curl; nil unless it answers 2xx.
    static func curl(_ url: String) async -> String? {
        await blocking {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-fsS", "--max-time", "2", url]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
        }
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

@Suite("Command line")
struct CLITests {
    let demo = CLI.repo.appendingPathComponent("Demo/arxiv-sample-200.jsonl").path

    @Test func ingestTwiceChangesNothingTheSecondTime() async throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let first = try await CLI.run(["ingest", "--database", db, demo])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("200 new, 0 updated, 0 unchanged, 0 rejected"))
        let second = try await CLI.run(["ingest", demo], environment: ["PAPERBOY_DATABASE": db])
        #expect(second.status == 0)
        #expect(second.stdout.contains("0 new, 0 updated, 200 unchanged, 0 rejected"))
        let store = try SQLiteStore(path: db)
        let paper = try #require(try await store.paper(id: PaperID("0704.0001")!, audience: .everyone))
        #expect(paper.paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"])
    }

    @Test func rejectedRecordsAreReportedAndExit65() async throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("bad.jsonl")
        let good = try String(contentsOfFile: demo, encoding: .utf8).split(separator: "\n").prefix(2).map(String.init)
        let lines = [good[0], #"{"id": "0704.9999", "abstract": "no title"}"#, good[1]]
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("p.sqlite").path
        let result = try await CLI.run(["ingest", "--database", db, file.path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("paperboy: \(file.path):2: missing field \"title\""))
        let printed = result.stdout.split(separator: "\n")
        #expect(printed.count == 2, "\(result.stdout)")
        #expect(printed.first?.hasPrefix("keyword index: 2 papers, ready ") == true, "\(result.stdout)")
        #expect(printed.last?.hasPrefix("2 records in ") == true, "\(result.stdout)")
        #expect(result.stdout.hasSuffix("/s): 2 new, 0 updated, 0 unchanged, 1 rejected, 0 deleted records skipped\n"))
        let strict = try await CLI.run([
            "ingest", "--strict", "--database", dir.appendingPathComponent("s.sqlite").path, file.path,
        ])
        #expect(strict.status == 65)
        #expect(strict.stderr.contains("paperboy: rejected record: \(file.path):2: missing field \"title\""))
    }

    @Test func unknownFormatsAndMissingFilesAreClearErrors() async throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("notes.txt")
        try "hello, these are notes\n".write(to: file, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("p.sqlite").path
        let unknown = try await CLI.run(["ingest", "--database", db, file.path])
        #expect(unknown.status == 65)
        #expect(
            unknown.stderr
                == "paperboy: unknown format: \(file.path) does not look like arXiv JSON lines, OAI-PMH XML or an Atom feed\n"
        )
        let missing = try await CLI.run(["ingest", "--database", db, dir.appendingPathComponent("nope.jsonl").path])
        #expect(missing.status == 74)
        #expect(missing.stderr.hasPrefix("paperboy: cannot read \(dir.appendingPathComponent("nope.jsonl").path): "))
    }

    @Test func standardInputIsRead() async throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let data = try Data(contentsOf: URL(fileURLWithPath: demo))
        let result = try await CLI.run(["ingest", "--database", db, "-"], stdin: data)
        #expect(result.status == 0)
        #expect(result.stdout.contains("200 new"))
    }

    @Test func badSettingsFailAtStartNamingTheSetting() async throws {
        let port = try await CLI.run(["serve"], environment: ["PAPERBOY_PORT": "http"])
        #expect(port.status == 64)
        #expect(port.stderr == "paperboy: bad setting --port (PAPERBOY_PORT): “http” is not a port number (1-65535)\n")
        let url = try await CLI.run(["serve", "--base-url", "example.org"])
        #expect(url.status == 64)
        #expect(
            url.stderr == "paperboy: bad setting --base-url (PAPERBOY_BASE_URL): “example.org” is not an http(s) URL\n")
        let unknown = try await CLI.run(["serve", "--no-such-flag"])
        #expect(unknown.status == 64)
    }

    /// Values that used to trap (overflow, a host that makes no URL) and the limits' settings: exit 64, named.
    @Test(arguments: [
        (
            "PAPERBOY_CACHE_TTL", "9999999999999999d",
            "--cache-ttl (PAPERBOY_CACHE_TTL): “9999999999999999d” is not a duration such as 90s, 30m, 6h or 1d"
        ),
        (
            "PAPERBOY_HARVEST_EVERY", "400d",
            "--harvest-every (PAPERBOY_HARVEST_EVERY): “400d” is not a duration such as 90s, 30m, 6h or 1d"
        ),
        ("PAPERBOY_HOST", "bad host", "--host (PAPERBOY_HOST): “bad host” is not a host name or address"),
        (
            "PAPERBOY_CACHE_SIZE", "lots",
            "--cache-size (PAPERBOY_CACHE_SIZE): “lots” is not a size such as 64MB, 512KB or 1GB (at most 64GB)"
        ),
        (
            "PAPERBOY_CACHE_SIZE", "99999999999GB",
            "--cache-size (PAPERBOY_CACHE_SIZE): “99999999999GB” is not a size such as 64MB, 512KB or 1GB (at most 64GB)"
        ),
        (
            "PAPERBOY_SEARCH_CONCURRENCY", "0",
            "--search-concurrency (PAPERBOY_SEARCH_CONCURRENCY): “0” is not a whole number from 1 to 1024"
        ),
        (
            "PAPERBOY_SEARCH_QUEUE", "-1",
            "--search-queue (PAPERBOY_SEARCH_QUEUE): “-1” is not a whole number from 0 to 100000"
        ),
        (
            "PAPERBOY_CONNECTIONS_PER_ADDRESS", "many",
            "--connections-per-address (PAPERBOY_CONNECTIONS_PER_ADDRESS): “many” is not a whole number from 0 to 1000000"
        ),
        ("PAPERBOY_IDLE_TIMEOUT", "0", "--idle-timeout (PAPERBOY_IDLE_TIMEOUT): “0” is not at least 1s"),
    ])
    func outOfRangeSettingsFailAtStart(variable: String, value: String, message: String) async throws {
        let result = try await CLI.run(["serve"], environment: [variable: value])
        #expect(result.status == 64)
        #expect(result.stderr == "paperboy: bad setting \(message)\n")
        let flag = "--" + variable.dropFirst("PAPERBOY_".count).lowercased().replacingOccurrences(of: "_", with: "-")
        let given = try await CLI.run(["serve", "\(flag)=\(value)"])
        #expect(given.status == 64)
        #expect(given.stderr == "paperboy: bad setting \(message)\n")
    }

    /// The same message for a bad value, whether it comes from the flag or from the environment.
    @Test(arguments: [
        (
            ["migrate"], "log-level", "loud",
            "--log-level (PAPERBOY_LOG_LEVEL): “loud” is not one of trace, debug, info, notice, warning, error, critical"
        ),
        (["harvest"], "from", "2026-13-01", "--from (PAPERBOY_FROM): “2026-13-01” is not a date (YYYY-MM-DD)"),
        (
            ["harvest"], "oai-url", "ftp://example.org",
            "--oai-url (PAPERBOY_OAI_URL): “ftp://example.org” is not an http(s) URL"
        ),
        (["eval"], "mode", "fuzzy", "--mode (PAPERBOY_MODE): “fuzzy” is not hybrid, keyword, semantic or all"),
        (["serve"], "harvest-every", "30s", "--harvest-every (PAPERBOY_HARVEST_EVERY): “30s” is not at least 60s"),
    ])
    func aBadValueIsNamedTheSameFromAFlagOrTheEnvironment(
        command: [String], setting: String, value: String, message: String
    ) async throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let variable = "PAPERBOY_" + setting.uppercased().replacingOccurrences(of: "-", with: "_")
        let arguments = command + ["--database", db] + (command == ["eval"] ? ["--queries", "q.json"] : [])
        let fromFlag = try await CLI.run(arguments + ["--\(setting)", value])
        #expect(fromFlag.status == 64)
        #expect(fromFlag.stderr == "paperboy: bad setting \(message)\n")
        let fromEnvironment = try await CLI.run(arguments, environment: [variable: value])
        #expect(fromEnvironment.status == 64)
        #expect(fromEnvironment.stderr == "paperboy: bad setting \(message)\n")
    }

    @Test func anOnOffFlagTakesTrueOrFalseFromTheEnvironment() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("p.sqlite").path
        let result = try await CLI.run(["ingest", "--database", db, demo], environment: ["PAPERBOY_STRICT": "maybe"])
        #expect(result.status == 64)
        #expect(result.stderr == "paperboy: bad setting --strict (PAPERBOY_STRICT): “maybe” is not true or false\n")
        let off = try await CLI.run(["ingest", "--database", db, demo], environment: ["PAPERBOY_STRICT": "off"])
        #expect(off.status == 0, "\(off.stderr)")
    }

    /// Flag, then environment, then default; an empty variable counts as unset, and a flag wins even over a bad one.
    @Test func settingsComeFromTheFlagThenTheEnvironmentThenTheDefault() async throws {
        let dir = try CLI.temporaryDirectory()
        let flag = dir.appendingPathComponent("flag.sqlite").path
        let env = dir.appendingPathComponent("env.sqlite").path
        let upToDate = ": schema up to date (10 migrations, last 0010_recommendations)\n"
        let both = try await CLI.run(
            ["migrate", "--database", flag], environment: ["PAPERBOY_DATABASE": env], directory: dir)
        #expect(both.stdout == flag + upToDate, "\(both.stderr)")
        let environment = try await CLI.run(["migrate"], environment: ["PAPERBOY_DATABASE": env], directory: dir)
        #expect(environment.stdout == env + upToDate, "\(environment.stderr)")
        let neither = try await CLI.run(["migrate"], directory: dir)
        #expect(neither.stdout == "./paperboy.sqlite" + upToDate, "\(neither.stderr)")
        let empty = try await CLI.run(["migrate"], environment: ["PAPERBOY_DATABASE": ""], directory: dir)
        #expect(empty.stdout == "./paperboy.sqlite" + upToDate, "\(empty.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("paperboy.sqlite").path))
        let badLevel = ["PAPERBOY_LOG_LEVEL": "loud", "PAPERBOY_DATABASE": env]
        let overBad = try await CLI.run(["migrate", "--log-level", "error"], environment: badLevel)
        #expect(overBad.status == 0, "\(overBad.stderr)")
        let emptyLevel = try await CLI.run(
            ["migrate"], environment: ["PAPERBOY_LOG_LEVEL": "", "PAPERBOY_DATABASE": env])
        #expect(emptyLevel.status == 0, "\(emptyLevel.stderr)")
    }

    @Test func flagsWinOverTheEnvironment() async throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let result = try await CLI.run(
            ["migrate", "--database", db], environment: ["PAPERBOY_DATABASE": "/nonexistent/dir/p.sqlite"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(db): schema up to date (10 migrations, last 0010_recommendations)\n")
    }

    @Test func backupIsAConsistentCopy() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("p.sqlite").path
        _ = try await CLI.run(["ingest", "--database", db, demo])
        let copy = dir.appendingPathComponent("copy.sqlite").path
        let result = try await CLI.run(["backup", "--database", db, copy])
        #expect(result.status == 0, "\(result.stderr)")
        let store = try SQLiteStore(path: copy)
        #expect(try await store.stats().papers == 200)
        #expect(try await store.searchIDs("diphoton").first == "0704.0001")
        let missing = try await CLI.run(["backup", "--database", dir.appendingPathComponent("none.sqlite").path, copy])
        #expect(missing.status == 74)
    }
}

@Suite("Serving")
struct ServeTests {
    @Test(.timeLimit(.minutes(5)))
    func servesAndStopsGracefullyOnSIGTERM() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("s.sqlite").path
        _ = try await CLI.run([
            "ingest", "--database", db, CLI.repo.appendingPathComponent("Demo/arxiv-sample-200.jsonl").path,
        ])
        let port = Int.random(in: 20_000...40_000)
        let process = ChildProcess()
        process.executableURL = CLI.binary
        process.arguments = [
            "serve", "--database", db, "--port", String(port), "--log-level", "error", "--model",
            dir.appendingPathComponent("no-model").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var health: String?
        for _ in 0..<300 {
            if let body = await CLI.curl("http://127.0.0.1:\(port)/health") {
                health = body
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(health?.contains(#""papers":200"#) == true)
        kill(process.processIdentifier, SIGTERM)
        await CLI.blocking { process.waitUntilExit() }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}

extension SQLiteStore {
    /// The ids of the first five keyword matches, as the search page lists them: through Paperboy's own keyword
    /// index, built from the store's change feed as a server started on this database builds it.
    func searchIDs(_ text: String) async throws -> [String] {
        try await KeywordOnlySearcher(index: FollowingKeywordIndex(feed: self, papers: self), papers: self)
            .search(SearchQuery(parsing: text), mode: .keyword, offset: 0, limit: 5).page.items
            .map(\.paper.paper.id.rawValue)
    }
}
