import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboyMail
import Testing

/// The mailer against a real SMTP server (Tests/tools/smtp_sink.py, aiosmtpd).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SMTPMailerTests {
    static let sender = "digest@paperboy.example"
    static let date = Date(timeIntervalSince1970: 1_796_288_400)
    static let quiet = Logger(label: "smtp-test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let fast: [Duration] = [.milliseconds(10), .milliseconds(10)]

    static func mailer(
        _ sink: SMTPSink, tls: SMTPTLSMode = .none, host: String = "127.0.0.1", username: String? = nil,
        password: String? = nil, caFile: URL? = nil, timeouts: SMTPTimeouts = SMTPTimeouts(), maxConnections: Int = 2
    ) throws -> SMTPMailer {
        try SMTPMailer(
            settings: SMTPSettings(
                host: host, port: sink.port, tls: tls, username: username, password: password, caFile: caFile?.path,
                timeouts: timeouts, maxConnections: maxConnections, retryDelays: fast),
            from: sender, logger: quiet, now: { date })
    }

    /// What Python's `email` package makes of a message file.
    struct Parsed: Decodable {
        struct Part: Decodable {
            var contentType: String
            var charset: String?
            var encoding: String?
            var content: String
            var defects: [String]
        }
        var subject: String
        var from: String
        var to: String
        var date: String
        var messageID: String
        var contentType: String
        var defects: [String]
        var headers: [String: String]
        var parts: [Part]
    }

    static let parser = """
        import email, email.policy, json, sys
        with open(sys.argv[1], "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        def part(p):
            return {"contentType": p.get_content_type(), "charset": p.get_content_charset(),
                    "encoding": p["content-transfer-encoding"], "content": p.get_content(),
                    "defects": [type(d).__name__ for d in p.defects]}
        print(json.dumps({
            "subject": str(msg["subject"]), "from": str(msg["from"]), "to": str(msg["to"]),
            "date": str(msg["date"]), "messageID": str(msg["message-id"]), "contentType": msg.get_content_type(),
            "defects": [type(d).__name__ for d in msg.defects], "headers": {k: str(v) for k, v in msg.items()},
            "parts": [part(p) for p in msg.iter_parts()] if msg.is_multipart() else [part(msg)]}))
        """

    static func parse(_ message: SMTPSink.Message) throws -> Parsed {
        let (status, output) = try SMTPSink.run(try SMTPSink.python(), ["-c", parser, message.file.path])
        guard status == 0 else { throw SMTPSink.SinkError(description: "python: \(output)") }
        return try JSONDecoder().decode(Parsed.self, from: Data(output.utf8))
    }

    static let longURL = "https://paperboy.example/papers/2412.01234v2?" + String(repeating: "ref=digest&", count: 30)

    @Test func multipartMessageArrivesAndPythonsParserReadsItBack() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        let text =
            "Hello Ada,\n\nNew papers: \(Self.longURL)\n.hidden line\n.\n..two dots\nFrom the editors\nÜnïcödé ✓\n"
        let html = "<p>Hello Ada,</p>\n<p><a href=\"\(Self.longURL)\">paper</a></p>\n.<br>\n"
        let subject = "Deine Artikel: Quantenfehlerkorrektur für alle 👩‍🔬 " + String(repeating: "量子", count: 30)
        let message = MailMessage(
            to: "ada@example.org", subject: subject, text: text, html: html,
            headers: [
                MailHeader("List-Unsubscribe", "<https://paperboy.example/unsubscribe?token=abc>"),
                MailHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ], messageID: "digest-1@paperboy.example")
        let id = try await mailer.send(message)
        #expect(id == "digest-1@paperboy.example")
        let received = try await sink.waitForMessages(count: 1)
        #expect(received[0].mailFrom == Self.sender)
        #expect(received[0].recipients == ["ada@example.org"])
        #expect(!received[0].tls)
        #expect(received[0].raw.allSatisfy { $0 < 0x80 })
        #expect(received[0].rawText.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })

        let parsed = try Self.parse(received[0])
        #expect(parsed.defects.isEmpty)
        #expect(parsed.subject == subject)
        #expect(parsed.from == Self.sender)
        #expect(parsed.to == "ada@example.org")
        #expect(parsed.date == "Thu, 03 Dec 2026 09:00:00 +0000")
        #expect(parsed.messageID == "<digest-1@paperboy.example>")
        #expect(parsed.headers["MIME-Version"] == "1.0")
        #expect(parsed.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        #expect(parsed.contentType == "multipart/alternative")
        #expect(parsed.parts.map(\.contentType) == ["text/plain", "text/html"])
        #expect(parsed.parts.map(\.charset) == ["utf-8", "utf-8"])
        #expect(parsed.parts.map(\.encoding) == ["quoted-printable", "quoted-printable"])
        #expect(parsed.parts.allSatisfy { $0.defects.isEmpty })
        #expect(parsed.parts.first?.content == text)
        #expect(parsed.parts.last?.content == html)
        await mailer.shutdown()
    }

    @Test func textOnlyMessageIsOneTextPart() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        _ = try await mailer.send(
            MailMessage(to: "ada@example.org", subject: "Bestätigung", text: "Bitte bestätigen.\n"))
        let parsed = try Self.parse(try await sink.waitForMessages(count: 1)[0])
        #expect(parsed.contentType == "text/plain")
        #expect(parsed.subject == "Bestätigung")
        #expect(parsed.parts.map(\.content) == ["Bitte bestätigen.\n"])
        await mailer.shutdown()
    }

    @Test func linesStartingWithADotAreStuffed() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        // Without dot-stuffing the lone "." would end the message early and the server would take the rest for
        // commands.
        let text = ".\n.starts with a dot\n..\nafter\n."
        _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "dots", text: text))
        let received = try await sink.waitForMessages(count: 1)
        #expect(received[0].rawText.hasSuffix("\r\n.\r\n.starts with a dot\r\n..\r\nafter\r\n.\r\n"))
        #expect(try Self.parse(received[0]).parts.map(\.content) == [text + "\n"])
        await mailer.shutdown()
    }

    @Test func messagesShareAConnectionAndIDsComeFromTheSenderDomain() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        var ids: [String] = []
        for index in 1...3 {
            ids.append(
                try await mailer.send(MailMessage(to: "reader\(index)@example.org", subject: "\(index)", text: "t")))
        }
        let received = try await sink.waitForMessages(count: 3)
        #expect(
            received.map(\.recipients) == [["reader1@example.org"], ["reader2@example.org"], ["reader3@example.org"]])
        #expect(Set(received.map(\.peerPort)).count == 1)
        #expect(Set(ids).count == 3)
        for id in ids {
            #expect(id.wholeMatch(of: /[0-9a-z]{24}\.1796288400@paperboy\.example/) != nil, "\(id)")
        }
        #expect(try Self.parse(received[0]).messageID == "<\(ids[0])>")
        await mailer.shutdown()
    }

    @Test func concurrentSendsUseAtMostMaxConnections() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink, maxConnections: 2)
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 1...6 {
                group.addTask {
                    try await mailer.send(MailMessage(to: "reader\(index)@example.org", subject: "s", text: "t"))
                }
            }
            try await group.waitForAll()
        }
        let received = try await sink.waitForMessages(count: 6)
        #expect(Set(received.flatMap(\.recipients)).count == 6)
        #expect(Set(received.map(\.peerPort)).count <= 2)
        await mailer.shutdown()
    }

    @Test func idleConnectionIsReplaced() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink, timeouts: SMTPTimeouts(idle: .milliseconds(100)))
        _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "1", text: "t"))
        try await Task.sleep(for: .milliseconds(300))
        _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "2", text: "t"))
        let received = try await sink.waitForMessages(count: 2)
        #expect(received[0].peerPort != received[1].peerPort)
        await mailer.shutdown()
    }

    @Test func startTLSWithTheCAFileVerifiesAndDelivers() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await SMTPSink(.init(certificate: certificate, requireStartTLS: true))
        defer { sink.stop() }
        for host in ["localhost", "127.0.0.1"] {
            let mailer = try Self.mailer(sink, tls: .starttls, host: host, caFile: certificate.caFile)
            try await mailer.checkConnection()
            _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: host, text: "over TLS"))
            await mailer.shutdown()
        }
        let received = try await sink.waitForMessages(count: 2)
        #expect(received.allSatisfy { $0.tls })
    }

    @Test func startTLSWithoutTrustingTheCertificateIsUnreachable() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await SMTPSink(.init(certificate: certificate))
        defer { sink.stop() }
        let mailer = try Self.mailer(sink, tls: .starttls, host: "localhost")
        do {
            _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "s", text: "t"))
            Issue.record("sent without a trusted certificate")
        } catch MailError.unreachable(let why) {
            #expect(why.hasPrefix("localhost:\(sink.port): TLS certificate verification failed"), "\(why)")
        }
        await #expect(throws: MailError.self) { try await mailer.checkConnection() }
        #expect(try sink.messages().isEmpty)
    }

    @Test func certificateForAnotherHostIsRefusedEvenFromATrustedCA() async throws {
        let certificate = try TestCertificate.make(subjectAltNames: "DNS:mail.example.org")
        let sink = try await SMTPSink(.init(certificate: certificate))
        defer { sink.stop() }
        for host in ["localhost", "127.0.0.1"] {
            let mailer = try Self.mailer(sink, tls: .starttls, host: host, caFile: certificate.caFile)
            do {
                try await mailer.checkConnection()
                Issue.record("accepted a certificate for another host at \(host)")
            } catch MailError.unreachable(let why) {
                #expect(why.hasPrefix("\(host):\(sink.port): TLS certificate verification failed"), "\(why)")
            }
        }
    }

    @Test func implicitTLSDelivers() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await SMTPSink(.init(certificate: certificate, implicitTLS: true, auth: ("ada", "s3cret")))
        defer { sink.stop() }
        let mailer = try Self.mailer(
            sink, tls: .tls, host: "localhost", username: "ada", password: "s3cret", caFile: certificate.caFile)
        _ = try await mailer.send(MailMessage(to: "bob@example.org", subject: "s", text: "t"))
        let received = try await sink.waitForMessages(count: 1)
        #expect(received[0].tls)
        #expect(received[0].authUser == "ada")
        await mailer.shutdown()
    }

    @Test func startTLSNotOfferedIsRefused() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink, tls: .starttls)
        await #expect(
            throws: MailError.unreachable(
                "127.0.0.1:\(sink.port) does not offer STARTTLS (the settings ask for it: tls starttls)")
        ) {
            try await mailer.checkConnection()
        }
    }

    @Test func authPlainOverStartTLS() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await SMTPSink(.init(certificate: certificate, auth: ("ada", "s3cret")))
        defer { sink.stop() }
        let mailer = try Self.mailer(
            sink, tls: .starttls, host: "localhost", username: "ada", password: "s3cret", caFile: certificate.caFile)
        _ = try await mailer.send(MailMessage(to: "bob@example.org", subject: "s", text: "t"))
        let received = try await sink.waitForMessages(count: 1)
        #expect(received[0].authUser == "ada")
        #expect(received[0].tls)
        await mailer.shutdown()

        let wrong = try Self.mailer(
            sink, tls: .starttls, host: "localhost", username: "ada", password: "guess", caFile: certificate.caFile)
        await #expect(
            throws: MailError.unreachable("authentication as ada failed: 535 5.7.8 Authentication credentials invalid")
        ) {
            try await wrong.checkConnection()
        }
    }

    @Test func authLoginWhenTheServerOffersNoPlain() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await SMTPSink(.init(certificate: certificate, auth: ("ada", "s3cret"), authExclude: ["PLAIN"]))
        defer { sink.stop() }
        let mailer = try Self.mailer(
            sink, tls: .starttls, host: "localhost", username: "ada", password: "s3cret", caFile: certificate.caFile)
        _ = try await mailer.send(MailMessage(to: "bob@example.org", subject: "s", text: "t"))
        #expect(try await sink.waitForMessages(count: 1)[0].authUser == "ada")
        await mailer.shutdown()
    }

    @Test func refusedSenderIsUnreachableNotTheRecipientsFault() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await SMTPSink(.init(certificate: certificate, auth: ("ada", "s3cret")))
        defer { sink.stop() }
        // No username: the server wants authentication before MAIL FROM.
        let mailer = try Self.mailer(sink, tls: .starttls, host: "localhost", caFile: certificate.caFile)
        await #expect(
            throws: MailError.unreachable(
                "localhost:\(sink.port) refuses the sender digest@paperboy.example: 530 5.7.0 Authentication required")
        ) {
            try await mailer.send(MailMessage(to: "bob@example.org", subject: "s", text: "t"))
        }
        await mailer.shutdown()
    }

    @Test func authWithoutTLSIsRefusedBeforeAnyConnection() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        #expect(
            throws: SMTPConfigurationError(
                "SMTP authentication needs TLS (tls starttls or tls): with tls none the password would cross the "
                    + "network unencrypted")
        ) {
            try Self.mailer(sink, username: "ada", password: "s3cret")
        }
        #expect(throws: SMTPConfigurationError("an SMTP username is set but no password")) {
            try Self.mailer(sink, tls: .starttls, username: "ada")
        }
    }

    @Test func temporaryFailureIsRetriedThenThrown() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        await #expect(throws: MailError.temporary(code: 451, message: "4.3.0 Try again later")) {
            try await mailer.send(MailMessage(to: "tempfail@example.org", subject: "s", text: "t"))
        }
        #expect(sink.rejections() == Array(repeating: "451 tempfail@example.org", count: 3))
        await #expect(throws: MailError.temporary(code: 452, message: "4.3.1 Insufficient system storage")) {
            try await mailer.send(MailMessage(to: "datatempfail@example.org", subject: "s", text: "t"))
        }
        // The connection goes on after the failures (RSET).
        _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "s", text: "t"))
        #expect(try await sink.waitForMessages(count: 1).count == 1)
        await mailer.shutdown()
    }

    @Test func permanentFailureIsThrownAtOnce() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        await #expect(throws: MailError.permanent(code: 550, message: "5.1.1 No such mailbox here")) {
            try await mailer.send(MailMessage(to: "permfail@example.org", subject: "s", text: "t"))
        }
        await #expect(throws: MailError.permanent(code: 554, message: "5.6.0 Message refused")) {
            try await mailer.send(MailMessage(to: "datapermfail@example.org", subject: "s", text: "t"))
        }
        #expect(sink.rejections() == ["550 permfail@example.org", "554 datapermfail@example.org"])
        _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "s", text: "t"))
        #expect(try await sink.waitForMessages(count: 1).count == 1)
        await mailer.shutdown()
    }

    @Test func closedPortIsUnreachable() async throws {
        let sink = try await SMTPSink()
        let port = sink.port
        sink.stop()
        let mailer = try SMTPMailer(
            settings: SMTPSettings(host: "127.0.0.1", port: port, tls: .none, retryDelays: Self.fast),
            from: Self.sender, logger: Self.quiet)
        do {
            _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "s", text: "t"))
            Issue.record("sent to a closed port")
        } catch MailError.unreachable(let why) {
            #expect(why.hasPrefix("cannot connect to 127.0.0.1:\(port): "), "\(why)")
            #expect(why.contains("Connection refused"), "\(why)")
        }
    }

    @Test func slowReplyToTheDataTimesOutWithoutHanging() async throws {
        let sink = try await SMTPSink(.init(slowSeconds: 10))
        defer { sink.stop() }
        let mailer = try Self.mailer(sink, timeouts: SMTPTimeouts(dataEnd: .milliseconds(500)))
        let start = ContinuousClock.now
        await #expect(
            throws: MailError.uncertain("no reply to the end of the data within 0.5 s")
        ) {
            try await mailer.send(MailMessage(to: "slow@example.org", subject: "s", text: "t"))
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        await mailer.shutdown()
    }

    @Test func droppedConnectionAfterTheDataIsUncertain() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        await #expect(
            throws: MailError.uncertain("the server closed the connection")
        ) {
            try await mailer.send(MailMessage(to: "drop@example.org", subject: "s", text: "t"))
        }
        _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "s", text: "t"))
        #expect(try await sink.waitForMessages(count: 1).count == 1)
        await mailer.shutdown()
    }

    @Test(arguments: [
        ("silent", "no reply to greeting within 0.5 s"),
        ("long-line", "the server broke the SMTP protocol: a reply line longer than 2048 bytes"),
        ("many-lines", "the server broke the SMTP protocol: a reply of more than 100 lines"),
        ("garbage", "the server broke the SMTP protocol: not a reply line: \"HTTP/1.1 400 Bad Request\""),
    ])
    func brokenServersAreUnreachable(mode: String, reason: String) async throws {
        let sink = try await SMTPSink(.init(misbehave: mode))
        defer { sink.stop() }
        let mailer = try Self.mailer(sink, timeouts: SMTPTimeouts(greeting: .milliseconds(500)))
        await #expect(throws: MailError.unreachable("127.0.0.1:\(sink.port): \(reason)")) {
            try await mailer.checkConnection()
        }
    }

    @Test func plainTextInjectedAfterStartTLSEndsTheConnection() async throws {
        let sink = try await SMTPSink(.init(misbehave: "starttls-injection"))
        defer { sink.stop() }
        let mailer = try Self.mailer(sink, tls: .starttls)
        await #expect(
            throws: MailError.unreachable(
                "127.0.0.1:\(sink.port): the server broke the SMTP protocol: plain-text data after the reply to STARTTLS"
            )
        ) {
            try await mailer.checkConnection()
        }
    }

    @Test func malformedMessagesAreRefusedBeforeTheServer() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        await #expect(
            throws: MailError.malformed("the header Subject contains a line break: \"a\\r\\nBcc: eve@x.org\"")
        ) {
            try await mailer.send(MailMessage(to: "ada@example.org", subject: "a\r\nBcc: eve@x.org", text: "t"))
        }
        #expect(try sink.messages().isEmpty)
    }

    @Test func shutDownMailerSendsNothing() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let mailer = try Self.mailer(sink)
        _ = try await mailer.send(MailMessage(to: "ada@example.org", subject: "s", text: "t"))
        await mailer.shutdown()
        await #expect(throws: MailError.unreachable("the mailer was shut down")) {
            try await mailer.send(MailMessage(to: "ada@example.org", subject: "s", text: "t"))
        }
    }

    @Test func settingsThatCannotWorkAreRefused() throws {
        func refused(_ settings: SMTPSettings, from: String = SMTPMailerTests.sender) -> SMTPConfigurationError? {
            do {
                _ = try SMTPMailer(settings: settings, from: from, logger: Self.quiet)
                return nil
            } catch {
                return error as? SMTPConfigurationError
            }
        }
        #expect(
            refused(SMTPSettings(host: "localhost", port: 25, tls: .none), from: "nobody")
                == SMTPConfigurationError("the sender address \"nobody\" is not a valid address"))
        #expect(
            refused(SMTPSettings(host: "localhost", port: 0, tls: .none))
                == SMTPConfigurationError("the SMTP port 0 is not between 1 and 65535"))
        #expect(
            refused(SMTPSettings(host: "mail host", port: 25, tls: .none))
                == SMTPConfigurationError("the SMTP host \"mail host\" is not a host name"))
        #expect(
            refused(SMTPSettings(host: "localhost", port: 25, tls: .starttls, caFile: "/nonexistent/ca.pem"))?
                .description.hasPrefix("the CA file /nonexistent/ca.pem cannot be read as PEM certificates") == true)
        #expect(
            refused(SMTPSettings(host: "localhost", port: 25, tls: .none, heloName: "bad\r\nname"))
                == SMTPConfigurationError("the EHLO name \"bad\\r\\nname\" is not a host name"))
        let settings = SMTPSettings(host: "localhost", port: 587, tls: .starttls, username: "ada", password: "s3cret")
        #expect(!"\(settings)".contains("s3cret"))
    }
}
