import Foundation

/// A real SMTP server for tests: `Tests/tools/smtp_sink.py` (aiosmtpd) in a child process, listening on 127.0.0.1,
/// keeping each message it accepts in a temporary folder. See the script for the failures it makes on purpose
/// (recipients `tempfail*`, `permfail*`, `slow*`, ...).
public final class SMTPSink: @unchecked Sendable {
    public struct Options: Sendable {
        /// Offers STARTTLS with this certificate (or, with `implicitTLS`, speaks TLS from the first byte).
        public var certificate: TestCertificate?
        public var requireStartTLS = false
        public var implicitTLS = false
        /// AUTH PLAIN and LOGIN offered (over TLS only) and required for this user and password.
        public var auth: (user: String, password: String)?
        /// Mechanisms not offered (`PLAIN`, `LOGIN`).
        public var authExclude: [String] = []
        /// How long a `slow*` recipient's DATA waits for its reply.
        public var slowSeconds: Double = 5
        /// No SMTP but a broken server: `long-line`, `many-lines`, `garbage`, `silent`, `starttls-injection`.
        public var misbehave: String?

        public init(
            certificate: TestCertificate? = nil, requireStartTLS: Bool = false, implicitTLS: Bool = false,
            auth: (user: String, password: String)? = nil, authExclude: [String] = [], slowSeconds: Double = 5,
            misbehave: String? = nil
        ) {
            self.authExclude = authExclude
            self.certificate = certificate
            self.requireStartTLS = requireStartTLS
            self.implicitTLS = implicitTLS
            self.auth = auth
            self.slowSeconds = slowSeconds
            self.misbehave = misbehave
        }
    }

    /// A message as the sink received it.
    public struct Message: Sendable {
        /// 1, 2, ... in the order accepted.
        public var number: Int
        public var mailFrom: String
        public var recipients: [String]
        /// The user that authenticated, if any.
        public var authUser: String?
        /// Whether the connection was encrypted.
        public var tls: Bool
        /// The client's port: messages with the same one came over the same connection.
        public var peerPort: Int
        /// The message's bytes, with the dot-stuffing undone.
        public var raw: [UInt8]
        public var rawText: String { String(decoding: raw, as: UTF8.self) }
        /// Where the bytes are (for tools that read the file).
        public var file: URL
    }

    public struct SinkError: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    public let port: Int
    /// Where the messages are written.
    public let mailDirectory: URL
    private let directory: URL
    private let process: ChildProcess

    /// Starts the sink and waits (up to 30 s) until it listens.
    public init(_ options: Options = Options()) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-\(UUID().uuidString)")
        mailDirectory = directory.appendingPathComponent("mail")
        try FileManager.default.createDirectory(at: mailDirectory, withIntermediateDirectories: true)
        var arguments = [
            Self.repositoryRoot.appendingPathComponent("Tests/tools/smtp_sink.py").path,
            "--port", "0", "--dir", mailDirectory.path, "--slow-seconds", "\(options.slowSeconds)",
        ]
        if let certificate = options.certificate {
            arguments += ["--tls-cert", certificate.certificateFile.path, "--tls-key", certificate.keyFile.path]
        }
        if options.requireStartTLS { arguments.append("--require-starttls") }
        if options.implicitTLS { arguments.append("--implicit-tls") }
        if let auth = options.auth { arguments += ["--auth", "\(auth.user):\(auth.password)"] }
        for mechanism in options.authExclude { arguments += ["--auth-exclude", mechanism] }
        if let misbehave = options.misbehave { arguments += ["--misbehave", misbehave] }

        let output = directory.appendingPathComponent("sink.out")
        let errors = directory.appendingPathComponent("sink.err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let outputHandle = try FileHandle(forWritingTo: output)
        let errorHandle = try FileHandle(forWritingTo: errors)
        defer {
            try? outputHandle.close()
            try? errorHandle.close()
        }
        process = ChildProcess()
        process.executableURL = try Self.python()
        process.arguments = arguments
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        try process.run()

        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }),
                let port = Int(line.dropFirst("READY ".count))
            {
                self.port = port
                return
            }
            let problem: String? =
                !process.isRunning ? "exited" : ContinuousClock.now > deadline ? "did not listen within 30 s" : nil
            if let problem {
                process.terminate()
                process.waitUntilExit()
                let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                throw SinkError(description: "the SMTP sink \(problem): \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        stop()
    }

    /// Ends the sink (SIGTERM) and removes its folder.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The messages accepted so far, in order.
    public func messages() throws -> [Message] {
        var messages: [Message] = []
        var number = 1
        while true {
            let meta = mailDirectory.appendingPathComponent("\(number).json")
            let eml = mailDirectory.appendingPathComponent("\(number).eml")
            guard FileManager.default.fileExists(atPath: meta.path) else { return messages }
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: meta)) as? [String: Any] ?? [:]
            messages.append(
                Message(
                    number: number, mailFrom: json["mail_from"] as? String ?? "",
                    recipients: json["rcpt_tos"] as? [String] ?? [], authUser: json["auth_user"] as? String,
                    tls: json["tls"] as? Bool ?? false, peerPort: json["peer_port"] as? Int ?? 0,
                    raw: Array(try Data(contentsOf: eml)), file: eml))
            number += 1
        }
    }

    /// Waits until at least `count` messages are there; throws after `timeout`.
    public func waitForMessages(count: Int, timeout: Duration = .seconds(10)) async throws -> [Message] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let messages = try self.messages()
            if messages.count >= count { return messages }
            guard ContinuousClock.now < deadline else {
                throw SinkError(description: "\(messages.count) messages after \(timeout), not \(count)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The recipients refused on purpose so far, as `<code> <address>` lines.
    public func rejections() -> [String] {
        let log = mailDirectory.appendingPathComponent("rejected.log")
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// The repository's root, from this file's place in it.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `.build-venv/bin/python3` in the repository when there is one (scripts/setup.sh makes it where the system's
    /// Python is externally managed), else `python3` on PATH.
    public static func python() throws -> URL {
        let venv = repositoryRoot.appendingPathComponent(".build-venv/bin/python3")
        if FileManager.default.isExecutableFile(atPath: venv.path) { return venv }
        return try executable("python3")
    }

    /// A program found on PATH.
    public static func executable(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw SinkError(description: "\(name) is not on PATH (scripts/setup.sh installs what the tests need)")
    }

    /// Runs a program to its end; its exit status and standard output (standard error is appended on failure).
    public static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        let errors = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let outputHandle = try FileHandle(forWritingTo: output)
        let errorHandle = try FileHandle(forWritingTo: errors)
        let process = ChildProcess()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        do {
            try process.run()
        } catch {
            try? outputHandle.close()
            try? errorHandle.close()
            throw error
        }
        process.waitUntilExit()
        try? outputHandle.close()
        try? errorHandle.close()
        let status = process.terminationStatus
        var text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        if status != 0 { text += (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }
        return (status, text)
    }
}

/// A server certificate (for `localhost` and `127.0.0.1` unless told otherwise) signed by a test CA, made with the
/// `openssl` command.
public struct TestCertificate: Sendable {
    /// The CA's certificate (what a client trusts).
    public var caFile: URL
    /// The server's certificate and key (PEM).
    public var certificateFile: URL
    public var keyFile: URL

    /// Makes a CA and a server certificate for `subjectAltNames` in a new temporary folder.
    public static func make(subjectAltNames: String = "DNS:localhost,IP:127.0.0.1") throws -> TestCertificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("test-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let openssl = try SMTPSink.executable("openssl")
        let extensions = """
            subjectAltName=\(subjectAltNames)
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """
        try extensions.write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let steps: [[String]] = [
            ["req", "-x509"] + key + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=Paperboy Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ],
            ["req", "-new"] + key + [
                "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost",
            ],
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", path("server.ext"),
            ],
        ]
        for step in steps {
            let (status, output) = try SMTPSink.run(openssl, step)
            guard status == 0 else {
                throw SMTPSink.SinkError(description: "openssl \(step[0]) failed (\(status)): \(output)")
            }
        }
        return TestCertificate(
            caFile: directory.appendingPathComponent("ca.pem"),
            certificateFile: directory.appendingPathComponent("server.pem"),
            keyFile: directory.appendingPathComponent("server.key"))
    }
}
