import Foundation
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import Synchronization
import Testing

/// `paperboy digest` against a real SMTP server (aiosmtpd, started by the tests): settings, exit codes, a send killed
/// with SIGKILL halfway and run again, two senders at once, STARTTLS with a certificate the tests make.
@Suite("Digest command", .serialized)
struct DigestCLITests {
    static let date = "2026-11-20"

    /// A database with the fixture papers (two featured on 2026-11-20) and `addresses` as confirmed daily subscribers.
    static func database(_ addresses: [String], in dir: URL) async throws -> String {
        let db = dir.appendingPathComponent("digest.sqlite").path
        let store = try SQLiteStore(path: db)
        try await store.migrate()
        _ = try await store.upsert(Fixtures.corpus)
        let at = Fixtures.date("2026-11-19T00:00:00Z")
        for address in addresses {
            let asked = try await store.requestSubscription(
                email: address, settings: SubscriptionSettings(frequency: .daily), nonce: "n", at: at)
            _ = try await store.confirmSubscription(id: asked.id, nonce: "n", at: at)
        }
        return db
    }

    static func send(_ db: String, port: Int, extra: [String] = []) -> [String] {
        [
            "digest", "send", "--database", db, "--period", "daily", "--date", date, "--base-url",
            "https://papers.example.org", "--smtp-host", "127.0.0.1", "--smtp-port", "\(port)", "--smtp-tls", "none",
            "--mail-from", "papers@example.org", "--model", "/nonexistent",
        ] + extra
    }

    /// How many messages each recipient got.
    static func deliveries(_ sink: SMTPSink) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for message in try sink.messages() {
            for recipient in message.recipients { counts[recipient, default: 0] += 1 }
        }
        return counts
    }

    @Test(.timeLimit(.minutes(5)))
    func settingsAreCheckedAtStart() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = try await Self.database([], in: dir)
        let noHost = try await CLI.run([
            "digest", "send", "--database", db, "--period", "daily", "--base-url", "https://papers.example.org",
        ])
        #expect(noHost.status == 64)
        #expect(
            noHost.stderr
                == "paperboy: bad setting --smtp-host (PAPERBOY_SMTP_HOST): not set; digests need an SMTP server\n")
        let noBase = try await CLI.run(
            Self.send(db, port: 2525).filter { $0 != "--base-url" && $0 != "https://papers.example.org" })
        #expect(noBase.status == 64)
        #expect(noBase.stderr.hasPrefix("paperboy: bad setting --base-url (PAPERBOY_BASE_URL): not set"))
        let period = try await CLI.run(["digest", "send", "--database", db, "--period", "hourly"])
        #expect(period.stderr == "paperboy: bad setting --period: “hourly” is not daily or weekly\n")
        let plainAuth = try await CLI.run(
            Self.send(db, port: 2525, extra: ["--smtp-username", "papers"]),
            environment: ["PAPERBOY_SMTP_PASSWORD": "secret"])
        #expect(plainAuth.status == 64)
        #expect(
            plainAuth.stderr
                == "paperboy: bad setting --smtp-tls (PAPERBOY_SMTP_TLS): “none” with a user name: credentials are "
                + "only ever sent over TLS (use starttls or tls)\n")
        let serve = try await CLI.run(
            ["serve", "--database", db, "--smtp-host", "127.0.0.1", "--mail-from", "papers@example.org"])
        #expect(serve.status == 64)
        #expect(
            serve.stderr
                == "paperboy: bad setting --base-url (PAPERBOY_BASE_URL): not set, and --smtp-host is: mails link to "
                + "the site, so give its public URL\n")
    }

    @Test(.timeLimit(.minutes(5)))
    func exitCodesSayWhatIsLeft() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = try await Self.database(["ada@example.org", "tempfail@example.org"], in: dir)
        // Nothing listens on this port: 69, and nothing is recorded.
        let closed = try await CLI.run(Self.send(db, port: 1))
        #expect(closed.status == 69, "\(closed.stderr)")
        #expect(closed.stderr.contains("the mail server cannot be reached"), "\(closed.stderr)")

        let sink = try await SMTPSink()
        defer { sink.stop() }
        let first = try await CLI.run(Self.send(db, port: sink.port))
        #expect(first.status == 75, "\(first.stderr)")
        #expect(
            first.stdout
                == "daily 2026-11-20: 1 sent, 0 empty, 0 failed, 1 left for the next run, 0 handled before, 0 in flight\n"
        )
        let second = try await CLI.run(Self.send(db, port: sink.port))
        #expect(second.status == 75)
        #expect(second.stdout.contains("0 sent, 0 empty, 0 failed, 1 left for the next run, 1 handled before"))
        #expect(try Self.deliveries(sink) == ["ada@example.org": 1])
    }

    /// SIGKILL halfway through a batch, then a second run: every subscriber has one digest and none has two; a digest
    /// whose SMTP transaction was in flight at the kill stays `sending`, is listed, and is sent only once released.
    @Test(.timeLimit(.minutes(5)))
    func aSendKilledHalfwayNeverSendsTwice() async throws {
        let dir = try CLI.temporaryDirectory()
        let addresses = (0..<60).map { "slow-\($0)@example.org" }
        let db = try await Self.database(addresses, in: dir)
        let sink = try await SMTPSink(SMTPSink.Options(slowSeconds: 0.15))
        defer { sink.stop() }
        try await Background.killed(Self.send(db, port: sink.port), in: dir) {
            ((try? sink.messages().count) ?? 0) >= 20
        }
        let atKill = try Self.deliveries(sink)
        #expect(atKill.count >= 20 && atKill.count < 60, "\(atKill.count) delivered when killed")

        let stuck = try await CLI.run(["digest", "ledger", "--database", db, "--stuck"])
        #expect(stuck.status == 0, "\(stuck.stderr)")
        let stuckRows = stuck.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
        #expect(stuckRows.count <= 4, "\(stuck.stdout)")  // at most one per worker
        let stuckAddresses = Set(stuckRows.compactMap { $0.count > 3 ? String($0[3]) : nil })

        let again = try await CLI.run(Self.send(db, port: sink.port))
        #expect(again.status == 0, "\(again.stderr)")
        let after = try Self.deliveries(sink)
        #expect(after.values.allSatisfy { $0 == 1 }, "\(after.filter { $0.value > 1 })")
        let missing = Set(addresses).subtracting(after.keys)
        #expect(missing.isSubset(of: stuckAddresses), "missing \(missing), stuck \(stuckAddresses)")

        // Each stuck digest that never arrived is released after checking, and the next run sends just those.
        for row in stuckRows where row.count > 3 && missing.contains(String(row[3])) {
            let released = try await CLI.run(["digest", "ledger", "--database", db, "--release", String(row[0])])
            #expect(released.status == 0, "\(released.stderr)")
        }
        let last = try await CLI.run(Self.send(db, port: sink.port))
        #expect(last.status == 0, "\(last.stderr)")
        let final = try Self.deliveries(sink)
        #expect(final.values.allSatisfy { $0 == 1 })
        #expect(Set(final.keys) == Set(addresses))
    }

    @Test(.timeLimit(.minutes(5)))
    func twoSendersAtOnceSendEachDigestOnce() async throws {
        let dir = try CLI.temporaryDirectory()
        let addresses = (0..<40).map { "slow-\($0)@example.org" }
        let db = try await Self.database(addresses, in: dir)
        let sink = try await SMTPSink(SMTPSink.Options(slowSeconds: 0.05))
        defer { sink.stop() }
        async let first = CLI.run(Self.send(db, port: sink.port))
        async let second = CLI.run(Self.send(db, port: sink.port))
        let results = try await [first, second]
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let counts = try Self.deliveries(sink)
        #expect(counts.count == 40)
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value > 1 })")
    }

    @Test(.timeLimit(.minutes(5)))
    func startTLSWithThePrivateCAOfTheTests() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = try await Self.database(["ada@example.org"], in: dir)
        let certificate = try TestCertificate.make()
        let sink = try await SMTPSink(SMTPSink.Options(certificate: certificate, requireStartTLS: true))
        defer { sink.stop() }
        let args = Self.send(db, port: sink.port).map { $0 == "127.0.0.1" ? "localhost" : $0 }
        let untrusted = try await CLI.run(args.map { $0 == "none" ? "starttls" : $0 })
        #expect(untrusted.status == 69, "\(untrusted.stderr)")
        #expect(try sink.messages().isEmpty)
        let trusted = try await CLI.run(
            args.map { $0 == "none" ? "starttls" : $0 } + ["--smtp-ca-file", certificate.caFile.path])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        let messages = try await sink.waitForMessages(count: 1)
        #expect(messages.first?.tls == true)
        #expect(messages.first?.recipients == ["ada@example.org"])
    }

    /// A subscriber's topic goes through the search `serve` uses (keyword here, without a model), loaded only then.
    @Test(.timeLimit(.minutes(5)))
    func aTopicDigestHoldsTheMatchingPapers() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = try await Self.database([], in: dir)
        let store = try SQLiteStore(path: db)
        let at = Fixtures.date("2026-11-19T00:00:00Z")
        let topic = try DigestTopic.make(query: "surface codes", categories: []).get()
        let asked = try await store.requestSubscription(
            email: "q@example.org", settings: SubscriptionSettings(frequency: .daily, topic: topic), nonce: "n", at: at)
        _ = try await store.confirmSubscription(id: asked.id, nonce: "n", at: at)
        let preview = try await CLI.run([
            "digest", "preview", "--database", db, "--period", "daily", "--date", Self.date, "--email",
            "q@example.org", "--mail-from", "papers@example.org", "--base-url", "https://papers.example.org",
            "--model", "/nonexistent",
        ])
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("Quantum Error Correction at Scale"))
        #expect(!preview.stdout.contains("Attention Is All You Need"))
    }

    /// `digest preview` prints the MIME message, which Python's `email` parser reads as multipart/alternative with
    /// the one-click unsubscribe headers.
    @Test(.timeLimit(.minutes(5)))
    func previewPrintsAMessagePythonParses() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = try await Self.database(["ada@example.org"], in: dir)
        let preview = try await CLI.run([
            "digest", "preview", "--database", db, "--period", "daily", "--date", Self.date, "--email",
            "ADA@example.org", "--mail-from", "papers@example.org", "--base-url", "https://papers.example.org",
            "--model", "/nonexistent",
        ])
        #expect(preview.status == 0, "\(preview.stderr)")
        let file = dir.appendingPathComponent("preview.eml")
        try Data(preview.stdout.utf8).write(to: file)
        let script = """
            import email, email.policy, sys
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
            print(m.get_content_type(), m['Subject'], m['To'], m['List-Unsubscribe-Post'], sep='|')
            print('|'.join(p.get_content_type() for p in m.iter_parts()))
            print('Quantum Error Correction' in m.get_body(('plain',)).get_content())
            print(m['List-Unsubscribe'].startswith('<https://papers.example.org/subscriptions/unsubscribe?token='))
            """
        let parsed = try SMTPSink.run(try SMTPSink.python(), ["-c", script, file.path])
        #expect(parsed.status == 0, "\(parsed.output)")
        #expect(
            parsed.output == """
                multipart/alternative|Paperboy daily digest: November 20, 2026|ada@example.org|List-Unsubscribe=One-Click
                text/plain|text/html
                True
                True

                """)
        let unknown = try await CLI.run([
            "digest", "preview", "--database", db, "--period", "daily", "--email", "nobody@example.org",
            "--mail-from", "papers@example.org", "--base-url", "https://papers.example.org",
        ])
        #expect(unknown.status == 65)
        #expect(unknown.stderr == "paperboy: no subscription for nobody@example.org\n")
    }

    /// curl's status and body (`-w` puts the status on the last line).
    static func http(_ arguments: [String]) async -> (status: Int, body: String) {
        await CLI.blocking {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-sS", "--max-time", "10", "-w", "\n%{http_code}"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return (0, "curl failed") }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
    }

    /// Python's `email` parser on a received message: `field|field|...` of the given expressions, one per line.
    static func parse(_ message: SMTPSink.Message, _ expressions: [String]) throws -> [String] {
        let script = """
            import email, email.policy, sys
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
            plain = m.get_body(('plain',)).get_content()
            """ + expressions.map { "\nprint(\($0))" }.joined()
        let parsed = try SMTPSink.run(try SMTPSink.python(), ["-c", script, message.file.path])
        try #require(parsed.status == 0, "\(parsed.output)")
        return parsed.output.split(separator: "\n").map(String.init)
    }

    /// The whole path a reader takes, against `serve` and `digest send` processes and a real SMTP server: subscribe
    /// through the API, receive the confirmation, confirm (a GET alone does not), receive a digest whose MIME
    /// structure Python accepts, unsubscribe with one click as a mail client would, receive nothing more.
    @Test(.timeLimit(.minutes(5)))
    func subscribeConfirmReceiveUnsubscribe() async throws {
        let dir = try CLI.temporaryDirectory()
        let db = try await Self.database([], in: dir)
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let port = Int.random(in: 20_000...40_000)
        let site = "http://127.0.0.1:\(port)"
        let process = ChildProcess()
        process.executableURL = CLI.binary
        process.arguments = [
            "serve", "--database", db, "--port", String(port), "--log-level", "error", "--model", "/nonexistent",
            "--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-tls", "none", "--mail-from",
            "papers@example.org", "--base-url", site,
        ]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PAPERBOY_") }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var started = false
        for _ in 0..<300 where !started {
            started = await CLI.curl("\(site)/health") != nil
            if !started { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(started)
        // Digests link to this site.
        let sendHere = Self.send(db, port: sink.port).map { $0 == "https://papers.example.org" ? site : $0 }

        let subscribe = await Self.http([
            "-X", "POST", "-H", "Content-Type: application/json", "-d",
            #"{"email": "reader@example.org", "frequency": "daily"}"#, "\(site)/api/subscriptions",
        ])
        #expect(subscribe.status == 202, "\(subscribe.body)")
        let confirmation = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(confirmation.recipients == ["reader@example.org"])
        let confirmationFields = try Self.parse(
            confirmation,
            ["m['Subject']", "[w for w in plain.split() if '/subscriptions/confirm?token=' in w][0]"])
        #expect(confirmationFields.first == "Confirm your Paperboy subscription")
        let confirmURL = try #require(confirmationFields.last)
        #expect(confirmURL.hasPrefix("\(site)/subscriptions/confirm?token="))

        // A mail scanner following the link confirms nothing.
        let page = await Self.http([confirmURL])
        #expect(page.status == 200)
        #expect(page.body.contains("<button type=\"submit\">"))
        let early = try await CLI.run(sendHere)
        #expect(early.stdout.hasPrefix("daily 2026-11-20: 0 sent"), "\(early.stdout)")

        let token = String(confirmURL.split(separator: "=", maxSplits: 1)[1])
        let confirm = await Self.http([
            "-X", "POST", "--data-urlencode", "token=\(token)", "\(site)/subscriptions/confirm",
        ])
        #expect(confirm.status == 200, "\(confirm.body)")

        let send = try await CLI.run(sendHere)
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stdout.hasPrefix("daily 2026-11-20: 1 sent"), "\(send.stdout)")
        let digest = try #require(try await sink.waitForMessages(count: 2).last)
        let fields = try Self.parse(
            digest,
            [
                "m.get_content_type()", "m['Subject']", "m['List-Unsubscribe-Post']",
                "'|'.join(p.get_content_type() for p in m.iter_parts())", "'Quantum Error Correction' in plain",
                "m['List-Unsubscribe'][1:-1]", "m['Message-ID'].endswith('@example.org>')",
            ])
        #expect(
            Array(fields.prefix(5)) == [
                "multipart/alternative", "Paperboy daily digest: November 20, 2026", "List-Unsubscribe=One-Click",
                "text/plain|text/html", "True",
            ])
        #expect(fields.last == "True")
        let unsubscribeURL = try #require(fields.count == 7 ? fields[5] : nil)
        #expect(unsubscribeURL.hasPrefix("\(site)/subscriptions/unsubscribe?token="))

        // RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the URL, with no cookie and no CSRF token.
        let unsubscribe = await Self.http([
            "-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "-d",
            "List-Unsubscribe=One-Click", unsubscribeURL,
        ])
        #expect(unsubscribe.status == 200, "\(unsubscribe.body)")
        let after = try await CLI.run(sendHere.map { $0 == Self.date ? "2026-11-19" : $0 })
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout.hasPrefix("daily 2026-11-19: 0 sent"), "\(after.stdout)")
        #expect(try sink.messages().count == 2)
        kill(process.processIdentifier, SIGTERM)
        await CLI.blocking { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
    }
}
