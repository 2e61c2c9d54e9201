import Foundation

/// A fixed set of threads, each with its own encoder workspace, that run forward passes off the Swift
/// concurrency pool (BLAS calls are long and blocking).
///
/// Jobs run in the order they were submitted (one queue, first in first out), whatever their kind: a query
/// waits for at most the background batches submitted before it, and background embedding goes on while
/// queries keep arriving, so neither starves the other. Queries are bounded: when `maxWaitingQueries` queries
/// already wait, another one is refused at once with ``SearchError/overloaded(waiting:limit:)`` instead of
/// queueing without end. Background jobs are not bounded here: the embedding pipeline submits one batch at a
/// time and waits for it. A job whose task is cancelled while it waits is taken out of the queue and never runs.
final class EmbeddingWorkers: @unchecked Sendable {
    // @unchecked: every mutable property is accessed only while holding `condition`.
    typealias Job = (EncoderWorkspace) -> Void

    /// What a job is for; only queries are bounded.
    enum Kind: Sendable {
        case query
        case background
    }

    private struct Entry {
        let id: UInt64
        let kind: Kind
        let run: Job
        /// Resumes the waiting caller with a `CancellationError` (the job is dropped without running).
        let cancel: () -> Void
    }

    private let condition = NSCondition()
    private var queue: [Entry] = []
    private var head = 0
    private var nextID: UInt64 = 0
    private var waitingQueries = 0
    private var stopping = false
    let count: Int
    /// Most queries waiting for a worker; one more is refused.
    let maxWaitingQueries: Int

    /// Starts `count` threads (at least 1). `maxWaitingQueries` (default 4 per thread) bounds the queries
    /// waiting; 0 refuses every query.
    init(count: Int, config: BertConfig, name: String, maxWaitingQueries: Int? = nil) {
        let count = max(1, count)
        self.count = count
        self.maxWaitingQueries = max(0, maxWaitingQueries ?? 4 * count)
        for index in 0..<count {
            let thread = Thread { [self] in
                let workspace = EncoderWorkspace(config: config)
                while let job = next() { job(workspace) }
            }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queries submitted and not yet taken by a worker.
    var queriesWaiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return waitingQueries
    }

    /// Jobs of any kind submitted and not yet taken by a worker.
    var jobsWaiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    private func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if stopping { return nil }
            condition.wait()
        }
        let entry = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        if entry.kind == .query { waitingQueries -= 1 }
        return entry.run
    }

    /// Why a job was not queued.
    private enum Refusal {
        case cancelled
        case overloaded(waiting: Int, limit: Int)
        case stopping
    }

    /// Queues a job, unless its task is already cancelled, the workers are stopping, or it is a query and too
    /// many queries wait. Checking cancellation under the lock makes a concurrent `cancel(id)` either see the
    /// job in the queue or run before this check (the task's cancelled flag is set before its handlers run).
    private func submit(id: UInt64, kind: Kind, run: @escaping Job, cancel: @escaping () -> Void) -> Refusal? {
        condition.lock()
        defer { condition.unlock() }
        if Task.isCancelled { return .cancelled }
        if stopping { return .stopping }
        if kind == .query {
            guard waitingQueries < maxWaitingQueries else {
                return .overloaded(waiting: waitingQueries, limit: maxWaitingQueries)
            }
            waitingQueries += 1
        }
        queue.append(Entry(id: id, kind: kind, run: run, cancel: cancel))
        condition.signal()
        return nil
    }

    /// Takes job `id` out of the queue if it still waits, and tells its caller it was cancelled.
    private func cancel(_ id: UInt64) {
        condition.lock()
        guard let position = queue[head...].firstIndex(where: { $0.id == id }) else {
            condition.unlock()
            return
        }
        let entry = queue.remove(at: position)
        if entry.kind == .query { waitingQueries -= 1 }
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        condition.unlock()
        entry.cancel()
    }

    private func makeID() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        nextID &+= 1
        return nextID
    }

    /// Runs `body` on a worker and returns its result. Throws `CancellationError` when the task is cancelled
    /// before a worker takes the job (the job then never runs), ``SearchError/overloaded(waiting:limit:)`` for
    /// a query when too many wait, and ``SearchError/shuttingDown`` after `shutdown`.
    func run<T: Sendable>(_ kind: Kind, _ body: @escaping @Sendable (EncoderWorkspace) -> T) async throws -> T {
        let id = makeID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let refusal = submit(
                    id: id, kind: kind,
                    run: { workspace in continuation.resume(returning: body(workspace)) },
                    cancel: { continuation.resume(throwing: CancellationError()) })
                switch refusal {
                case nil: break
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .stopping: continuation.resume(throwing: SearchError.shuttingDown)
                case .overloaded(let waiting, let limit):
                    continuation.resume(throwing: SearchError.overloaded(waiting: waiting, limit: limit))
                }
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Lets the threads finish the queued jobs and exit; later jobs are refused.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
