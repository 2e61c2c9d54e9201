import DequeModule
import Foundation
import Logging
import Metrics
import PaperboyCore
import Prometheus
import ServiceLifecycle
import Synchronization

/// The mails pages send (subscription confirmations, email verification, password resets), delivered in the
/// background: a request only queues its mail, so that neither its answer nor how long the answer takes says
/// whether an address is known, and a slow mail server never holds a request up. At most ``capacity`` mails wait;
/// past that a new one is dropped (logged, and counted in ``MetricNames/mailOutbox``). Failures are logged, never
/// retried (the visitor can ask again).
///
/// Delivery starts with the first queued mail, whether or not the outbox runs as a service; as a `Service` in the
/// server's group it waits for shutdown, then stops taking mail and delivers what is queued before returning.
public final class MailOutbox: Service, Sendable {
    /// One queued mail and what kind it is (`confirm`, `verify`, `reset`: the label of logs and metrics).
    struct Item: Sendable {
        let message: MailMessage
        let kind: String
    }

    private struct State {
        var queue: Deque<Item> = []
        /// The task delivering the queue, while there is one.
        var worker: Task<Void, Never>?
        /// Callers of ``idle()`` waiting for the queue to empty.
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Set at shutdown: new mail is refused.
        var closed = false
        /// Set once ``run()`` started (tests wait for it before stopping the service group).
        var running = false
    }

    public let capacity: Int
    private let sender: any MailSender
    private let logger: Logger
    private let state = Mutex(State())
    private let factory: PrometheusMetricsFactory

    public init(
        sender: any MailSender, capacity: Int = 1_000, registry: PrometheusCollectorRegistry = .init(),
        logger: Logger = Logger(label: "paperboy.mail")
    ) {
        self.sender = sender
        self.capacity = max(1, capacity)
        self.logger = logger
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Queues `message` and returns at once; false when it was dropped (the queue is full, or the outbox stopped).
    @discardableResult
    func enqueue(_ message: MailMessage, kind: String) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed, state.queue.count < capacity else { return false }
            state.queue.append(Item(message: message, kind: kind))
            if state.worker == nil { state.worker = Task { await self.deliver() } }
            return true
        }
        if accepted {
            count(kind, "queued")
        } else {
            count(kind, "dropped")
            logger.warning(
                "mail dropped: the outbox is full or stopped",
                metadata: ["mail.kind": .string(kind), "mail.outbox_capacity": .stringConvertible(capacity)])
        }
        return accepted
    }

    /// Whether ``run()`` started.
    var running: Bool { state.withLock { $0.running } }

    /// Whether new mail is taken (until shutdown).
    var accepting: Bool { state.withLock { !$0.closed } }

    /// Mails waiting, the one being delivered not included.
    var waiting: Int { state.withLock { $0.queue.count } }

    /// Returns once nothing is queued or being delivered (tests wait for their mail with it).
    public func idle() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.worker == nil, state.queue.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Waits for graceful shutdown, then refuses new mail and delivers what is queued. Cancelled instead, it stops
    /// delivering (what is still queued is lost, and logged).
    public func run() async throws {
        state.withLock { $0.running = true }
        try? await gracefulShutdown()
        let worker = state.withLock { state -> Task<Void, Never>? in
            state.closed = true
            return state.worker
        }
        if Task.isCancelled {
            worker?.cancel()
            let lost = state.withLock { state -> Int in
                let lost = state.queue.count
                state.queue.removeAll()
                return lost
            }
            if lost > 0 { logger.warning("mail not delivered at shutdown", metadata: ["mail.lost": "\(lost)"]) }
            return
        }
        await idle()
    }

    /// Delivers queued mail one at a time until the queue is empty, then wakes the waiters of ``idle()``. Taking the
    /// next mail and finding none ends the worker in one step, so that a mail queued meanwhile starts a new one.
    private func deliver() async {
        while true {
            let (item, waiters) = state.withLock { state -> (Item?, [CheckedContinuation<Void, Never>]) in
                if !Task.isCancelled, let item = state.queue.popFirst() { return (item, []) }
                // Cancelled with mail left: nobody delivers it any more.
                state.queue.removeAll()
                state.worker = nil
                defer { state.waiters = [] }
                return (nil, state.waiters)
            }
            guard let item else {
                for waiter in waiters { waiter.resume() }
                return
            }
            do {
                _ = try await sender.send(item.message)
                count(item.kind, "sent")
            } catch {
                count(item.kind, "failed")
                logger.error(
                    "mail not delivered",
                    metadata: ["mail.kind": .string(item.kind), "mail.error": .string(String(describing: error))])
            }
        }
    }

    private func count(_ kind: String, _ result: String) {
        Counter(label: MetricNames.mailOutbox, dimensions: [("kind", kind), ("result", result)], factory: factory)
            .increment()
    }
}
