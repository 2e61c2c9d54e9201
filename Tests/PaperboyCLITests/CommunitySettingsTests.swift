import Foundation
import PaperStoreConformance
import Testing

/// `serve`'s community settings and its secrets (the site secret, the `/metrics` token).
@Suite("Community settings and secrets")
struct CommunitySettingsTests {
    /// Each bad value stops `serve` with exit 64 and a message naming the setting, from the flag or the environment.
    @Test(arguments: [
        ("PAPERBOY_SIGNUP", "maybe", "--signup (PAPERBOY_SIGNUP): “maybe” is not open or closed"),
        ("PAPERBOY_REQUIRE_2FA", "all", "--require-2fa (PAPERBOY_REQUIRE_2FA): “all” is not staff or off"),
        (
            "PAPERBOY_ARXIV_API_URL", "ftp://example.org",
            "--arxiv-api-url (PAPERBOY_ARXIV_API_URL): “ftp://example.org” is not an http(s) URL"
        ),
        (
            "PAPERBOY_SUBMIT_LIMIT", "0",
            "--submit-limit (PAPERBOY_SUBMIT_LIMIT): “0” is not a whole number from 1 to 1000"
        ),
        (
            "PAPERBOY_SUBMIT_WINDOW_DAYS", "3651",
            "--submit-window-days (PAPERBOY_SUBMIT_WINDOW_DAYS): “3651” is not a whole number from 1 to 3650"
        ),
        (
            "PAPERBOY_TRENDING_DAYS", "a week",
            "--trending-days (PAPERBOY_TRENDING_DAYS): “a week” is not a whole number from 1 to 365"
        ),
        (
            "PAPERBOY_TRENDING_GRAVITY", "nan",
            "--trending-gravity (PAPERBOY_TRENDING_GRAVITY): “nan” is not a number from 0 to 10"
        ),
        (
            "PAPERBOY_TRENDING_GRAVITY", "10.5",
            "--trending-gravity (PAPERBOY_TRENDING_GRAVITY): “10.5” is not a number from 0 to 10"
        ),
        (
            "PAPERBOY_TRENDING_GRAVITY", "-1",
            "--trending-gravity (PAPERBOY_TRENDING_GRAVITY): “-1” is not a number from 0 to 10"
        ),
        ("PAPERBOY_RATE_LIMITS", "sometimes", "--rate-limits (PAPERBOY_RATE_LIMITS): “sometimes” is not on or off"),
    ])
    func badValuesFailAtStartNamingTheSetting(variable: String, value: String, message: String) async throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let fromEnvironment = try await CLI.run(["serve", "--database", db], environment: [variable: value])
        #expect(fromEnvironment.status == 64)
        #expect(fromEnvironment.stderr == "paperboy: bad setting \(message)\n")
        let flag = "--" + variable.dropFirst("PAPERBOY_".count).lowercased().replacingOccurrences(of: "_", with: "-")
        let fromFlag = try await CLI.run(["serve", "--database", db, "\(flag)=\(value)"])
        #expect(fromFlag.status == 64)
        #expect(fromFlag.stderr == "paperboy: bad setting \(message)\n")
    }

    @Test func aSecretFileMustHoldAtLeast32Bytes() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("p.sqlite").path
        let short = dir.appendingPathComponent("short").path
        // The trailing line break does not count.
        try Data((String(repeating: "s", count: 31) + "\n").utf8).write(to: URL(fileURLWithPath: short))
        let message =
            "paperboy: bad setting --secret-file (PAPERBOY_SECRET_FILE): “\(short)” holds 31 bytes; "
            + "the secret must be at least 32\n"
        let fromFlag = try await CLI.run(["serve", "--database", db, "--secret-file", short])
        #expect(fromFlag.status == 64)
        #expect(fromFlag.stderr == message)
        let fromEnvironment = try await CLI.run(
            ["serve", "--database", db], environment: ["PAPERBOY_SECRET_FILE": short])
        #expect(fromEnvironment.status == 64)
        #expect(fromEnvironment.stderr == message)

        let missing = dir.appendingPathComponent("missing").path
        let none = try await CLI.run(["serve", "--database", db, "--secret-file", missing])
        #expect(none.status == 64)
        #expect(
            none.stderr == "paperboy: bad setting --secret-file (PAPERBOY_SECRET_FILE): “\(missing)”: no such file\n")

        // 32 bytes and a line break pass: the next setting is the one refused.
        let good = dir.appendingPathComponent("good").path
        try Data((String(repeating: "s", count: 32) + "\r\n").utf8).write(to: URL(fileURLWithPath: good))
        let next = try await CLI.run(
            ["serve", "--database", db, "--secret-file", good], environment: ["PAPERBOY_SUBMIT_LIMIT": "0"])
        #expect(next.status == 64)
        #expect(next.stderr.hasPrefix("paperboy: bad setting --submit-limit"), "\(next.stderr)")
    }

    @Test func theSecretComesOnlyFromTheEnvironmentAndIsNeverShown() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("p.sqlite").path
        let short = try await CLI.run(["serve", "--database", db], environment: ["PAPERBOY_SECRET": "hunter2-hunter2"])
        #expect(short.status == 64)
        #expect(
            short.stderr
                == "paperboy: bad setting PAPERBOY_SECRET: the value is 15 bytes; the secret must be at least 32\n")

        let file = dir.appendingPathComponent("secret").path
        try Data(String(repeating: "f", count: 40).utf8).write(to: URL(fileURLWithPath: file))
        let secret = String(repeating: "e", count: 40)
        let both = try await CLI.run(
            ["serve", "--database", db, "--secret-file", file], environment: ["PAPERBOY_SECRET": secret])
        #expect(both.status == 64)
        #expect(
            both.stderr
                == "paperboy: bad setting --secret-file (PAPERBOY_SECRET_FILE) and PAPERBOY_SECRET: "
                + "both are set; set one of them\n")

        // Never a flag.
        let flag = try await CLI.run(["serve", "--database", db, "--secret", secret])
        #expect(flag.status == 64)
        #expect(flag.stderr.contains("Unknown option '--secret'"), "\(flag.stderr)")
    }

    @Test func theMetricsTokenIsNoLongerAFlag() async throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let flag = try await CLI.run(["serve", "--database", db, "--metrics-token", "abcdefghijklmnopqrstuvwxyz"])
        #expect(flag.status == 64)
        #expect(flag.stderr.contains("Unknown option '--metrics-token'"), "\(flag.stderr)")

        let short = try await CLI.run(["serve", "--database", db], environment: ["PAPERBOY_METRICS_TOKEN": "s3cret"])
        #expect(short.status == 64)
        #expect(
            short.stderr
                == "paperboy: bad setting PAPERBOY_METRICS_TOKEN: the value is 6 bytes; the token must be at least 16\n"
        )
        let spaced = try await CLI.run(
            ["serve", "--database", db], environment: ["PAPERBOY_METRICS_TOKEN": "a token with spaces in it"])
        #expect(spaced.status == 64)
        #expect(
            spaced.stderr
                == "paperboy: bad setting PAPERBOY_METRICS_TOKEN: the token must be printable ASCII without spaces\n")
    }

    /// `/metrics` asks for the token read from `--metrics-token-file`; the site secret's file is accepted too.
    @Test(.timeLimit(.minutes(5)))
    func theMetricsTokenComesFromAFile() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("s.sqlite").path
        let token = "metrics-0123456789abcdef"
        let tokenFile = dir.appendingPathComponent("metrics-token")
        try Data((token + "\n").utf8).write(to: tokenFile)
        let secretFile = dir.appendingPathComponent("secret")
        try Data(String(repeating: "k", count: 48).utf8).write(to: secretFile)
        let port = Int.random(in: 20_000...40_000)
        let process = ChildProcess()
        process.executableURL = CLI.binary
        process.arguments = [
            "serve", "--database", db, "--port", String(port), "--log-level", "error", "--model",
            dir.appendingPathComponent("no-model").path, "--metrics-token-file", tokenFile.path,
        ]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PAPERBOY_") }
        environment["PAPERBOY_SECRET_FILE"] = secretFile.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var started = false
        for _ in 0..<300 {
            if await CLI.curl("http://127.0.0.1:\(port)/health") != nil {
                started = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(started)
        let url = "http://127.0.0.1:\(port)/metrics"
        #expect(await Self.status(url) == "401")
        #expect(await Self.status(url, token: "wrong-token-0123456789") == "401")
        #expect(await Self.status(url, token: token) == "200")
        kill(process.processIdentifier, SIGTERM)
        await CLI.blocking { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
    }

    /// The status curl gets for a GET, with a bearer token when given.
    static func status(_ url: String, token: String? = nil) async -> String {
        await CLI.blocking {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments =
                ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url]
                + (token.map { ["-H", "Authorization: Bearer \($0)"] } ?? [])
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return "curl failed" }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
