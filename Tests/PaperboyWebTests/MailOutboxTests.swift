import Foundation
import Logging
import PaperboyCore
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

@testable import PaperboyWeb

/// A sender that holds every message until released, so that tests can fill the outbox.
final class GatedMailer: MailSender, Sendable {
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>], sent: [MailMessage])>(
        (false, [], []))

    var sent: [MailMessage] { state.withLock { $0.sent } }

    func release() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func send(_ message: MailMessage) async throws -> String {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
        state.withLock { $0.sent.append(message) }
        return newMessageID()
    }

    func newMessageID() -> String { "\(UUID().uuidString)@example.org" }
}

@Suite("The mail outbox")
struct MailOutboxTests {
    static func message(_ n: Int) -> MailMessage {
        MailMessage(to: "reader\(n)@example.org", subject: "Test \(n)", text: "Hello\n")
    }

    @Test("past its capacity a mail is dropped, logged and counted; the rest is delivered in order")
    func bounded() async throws {
        let mailer = GatedMailer()
        let registry = PrometheusCollectorRegistry()
        let handler = RecordingLogHandler()
        let outbox = MailOutbox(
            sender: mailer, capacity: 2, registry: registry, logger: Logger(label: "t") { _ in handler })
        #expect(outbox.enqueue(Self.message(0), kind: "confirm"))
        // The first one is taken out of the queue for delivery, which waits at the gate.
        while outbox.waiting > 0 { await Task.yield() }
        #expect(outbox.enqueue(Self.message(1), kind: "confirm"))
        #expect(outbox.enqueue(Self.message(2), kind: "confirm"))
        #expect(!outbox.enqueue(Self.message(3), kind: "confirm"))
        mailer.release()
        await outbox.idle()
        #expect(mailer.sent.map(\.subject) == ["Test 0", "Test 1", "Test 2"])
        #expect(handler.recorded.contains { $0.level == .warning && $0.metadata["mail.kind"] == "confirm" })
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        let metrics = String(decoding: buffer, as: UTF8.self)
        #expect(metrics.contains(#"paperboy_mail_outbox_total{kind="confirm",result="dropped"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"paperboy_mail_outbox_total{kind="confirm",result="sent"} 3"#), "\(metrics)")
    }

    @Test("as a service it delivers what is queued at shutdown, then refuses more", .timeLimit(.minutes(5)))
    func drainsOnShutdown() async throws {
        let mailer = GatedMailer()
        let outbox = MailOutbox(sender: mailer, logger: TestSite.quietLogger)
        let group = ServiceGroup(services: [outbox], gracefulShutdownSignals: [], logger: TestSite.quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for n in 0..<5 { outbox.enqueue(Self.message(n), kind: "verify") }
            // The group must be running its service before it is told to stop (else it never starts it). No deadline:
            // on a busy machine the group's task may start late; the suite's time limit ends a real hang.
            while !outbox.running { try await Task.sleep(for: .milliseconds(5)) }
            await group.triggerGracefulShutdown()
            while outbox.accepting { try await Task.sleep(for: .milliseconds(5)) }
            // Shutting down waits for the queue, which waits at the gate.
            #expect(mailer.sent.isEmpty)
            #expect(!outbox.enqueue(Self.message(9), kind: "verify"), "closed")
            mailer.release()
            try await tasks.next()
        }
        #expect(mailer.sent.count == 5)
    }
}
