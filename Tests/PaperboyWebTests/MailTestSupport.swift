import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PaperboyCore
import Synchronization
import Testing

@testable import PaperboyWeb

/// A `MailSender` that keeps what it is given (no SMTP in the web tests); it may be told to fail.
final class RecordingMailer: MailSender, Sendable {
    private let sent = Mutex<[MailMessage]>([])
    private let failure = Mutex<MailError?>(nil)

    var messages: [MailMessage] { sent.withLock { $0 } }

    func fail(with error: MailError?) { failure.withLock { $0 = error } }

    func send(_ message: MailMessage) async throws -> String {
        if let error = failure.withLock({ $0 }) { throw error }
        sent.withLock { $0.append(message) }
        return message.messageID ?? newMessageID()
    }

    func newMessageID() -> String { "\(UUID().uuidString)@example.org" }
}

/// The mail side of a test site: what was delivered, once the outbox is idle.
struct TestMail: Sendable {
    let mailer: RecordingMailer
    let outbox: MailOutbox

    /// Every message delivered so far, after waiting for the queue.
    func delivered() async -> [MailMessage] {
        await outbox.idle()
        return mailer.messages
    }

    /// The messages delivered to `address`.
    func delivered(to address: String) async -> [MailMessage] {
        await delivered().filter { $0.to == address }
    }

    /// The path and query (below the site root) of the first link in `message`'s text that starts with `path`.
    static func link(_ path: String, in message: MailMessage, root: String = "http://127.0.0.1:8080") -> String? {
        for line in message.text.split(separator: "\n") where line.hasPrefix(root + path) {
            return String(line.dropFirst(root.count))
        }
        return nil
    }
}

extension TestSite {
    /// Runs the site in-process with a recording mailer (nil: without mail, as a site with no SMTP settings).
    func runWithMail(
        mail: Bool = true, clock: @escaping @Sendable () -> Date = { Date() },
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, logger: Logger = TestSite.quietLogger,
        _ body: @Sendable (any TestClientProtocol, TestMail) async throws -> Void
    ) async throws {
        let mailer = RecordingMailer()
        let outbox = MailOutbox(sender: mailer, logger: logger)
        let (router, _) = try await buildSite(
            store: store, searcher: keywordSearcher, lookup: StubLookup(), config: config, registry: .init(),
            logger: logger, now: now, clock: clock, outbox: mail ? outbox : nil)
        try await Application(router: router).test(.router) { client in
            try await body(client, TestMail(mailer: mailer, outbox: outbox))
        }
    }

    /// The secret the site signs with (made and kept in the store on first use).
    func secret() async throws -> [UInt8] { try await resolveSiteSecret(store: store, config: config) }
}

/// A JSON body with `Content-Type: application/json`.
func postJSON(_ client: any TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = [:])
    async throws -> Fetched
{
    var headers = headers
    headers[.contentType] = "application/json"
    return try await client.send(uri, method: .post, headers: headers, body: body)
}
