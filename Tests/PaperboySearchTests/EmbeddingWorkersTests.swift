import Foundation
import Synchronization
import Testing

@testable import PaperboySearch

/// A gate a worker thread waits at until the test opens it, and a record of the jobs that ran.
final class WorkerGate: Sendable {
    private let opened = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)
    private let ran = Mutex<[String]>([])

    var jobsRun: [String] { ran.withLock { $0 } }

    /// A job body that says it started, then blocks its worker until `open`.
    func blockingJob(_ name: String) -> @Sendable (EncoderWorkspace) -> String {
        { [self] _ in
            started.signal()
            opened.wait()
            ran.withLock { $0.append(name) }
            return name
        }
    }

    func job(_ name: String) -> @Sendable (EncoderWorkspace) -> String {
        { [self] _ in
            ran.withLock { $0.append(name) }
            return name
        }
    }

    /// Waits (off the cooperative pool) until a blocking job has started.
    func waitUntilStarted() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [self] in
                started.wait()
                continuation.resume()
            }
        }
    }

    func open() { opened.signal() }
}

/// Polls `condition` every millisecond for up to ten seconds.
func eventually(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within 10 s")
            return
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}

@Suite("Embedding workers: bounded query queue, cancellation, first come first served")
struct EmbeddingWorkersTests {
    static func workers(maxWaitingQueries: Int?) -> EmbeddingWorkers {
        EmbeddingWorkers(count: 1, config: .miniLML6, name: "test-embed", maxWaitingQueries: maxWaitingQueries)
    }

    @Test("a query beyond the waiting limit fails at once; a cancelled waiting query is dropped, never run")
    func overloadAndCancellation() async throws {
        let workers = Self.workers(maxWaitingQueries: 2)
        defer { workers.shutdown() }
        let gate = WorkerGate()
        // The only worker is busy with a background batch.
        let busy = Task { try await workers.run(.background, gate.blockingJob("background")) }
        await gate.waitUntilStarted()
        let first = Task { try await workers.run(.query, gate.job("query 1")) }
        let second = Task { try await workers.run(.query, gate.job("query 2")) }
        try await eventually { workers.queriesWaiting == 2 }
        // A third query is refused at once, while the other two wait.
        await #expect(throws: SearchError.overloaded(waiting: 2, limit: 2)) {
            _ = try await workers.run(.query, gate.job("query 3"))
        }
        // Background work is not bounded by the query limit.
        let background = Task { try await workers.run(.background, gate.job("background 2")) }
        try await eventually { workers.jobsWaiting == 3 }
        // Cancelling a waiting query takes it out of the queue: it throws and frees its place.
        second.cancel()
        await #expect(throws: CancellationError.self) { _ = try await second.value }
        #expect(workers.queriesWaiting == 1)
        #expect(workers.jobsWaiting == 2)
        let third = Task { try await workers.run(.query, gate.job("query 3")) }
        try await eventually { workers.queriesWaiting == 2 && workers.jobsWaiting == 3 }
        gate.open()
        #expect(try await busy.value == "background")
        #expect(try await first.value == "query 1")
        #expect(try await background.value == "background 2")
        #expect(try await third.value == "query 3")
        // First come, first served; the cancelled query never ran.
        #expect(gate.jobsRun == ["background", "query 1", "background 2", "query 3"])
        #expect(workers.queriesWaiting == 0)
    }

    @Test("a task cancelled before it asks never queues; the default limit is 4 per worker; 0 refuses queries")
    func cancelledBeforeAndLimits() async throws {
        let workers = Self.workers(maxWaitingQueries: nil)
        let gate = WorkerGate()
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await workers.run(.query, gate.job("never"))
        }
        await #expect(throws: CancellationError.self) { _ = try await cancelled.value }
        #expect(workers.maxWaitingQueries == 4)
        #expect(try await workers.run(.query, gate.job("query")) == "query")
        #expect(gate.jobsRun == ["query"])
        workers.shutdown()
        await #expect(throws: SearchError.shuttingDown) { _ = try await workers.run(.background, gate.job("late")) }

        let refusing = Self.workers(maxWaitingQueries: 0)
        defer { refusing.shutdown() }
        await #expect(throws: SearchError.overloaded(waiting: 0, limit: 0)) {
            _ = try await refusing.run(.query, gate.job("refused"))
        }
        #expect(try await refusing.run(.background, gate.job("background")) == "background")
        #expect(gate.jobsRun == ["query", "background"])
    }

    @Test("the embedder: queries are bounded by maxWaitingQueries, embedding papers is not")
    func embedderQueryLimit() async throws {
        _ = try ModelTestSupport.embedder()  // records a clear issue when the model is not installed
        let embedder = try SentenceEmbedder.load(
            directory: ModelTestSupport.modelDirectory, logger: LogCapture().logger, workers: 1, maxWaitingQueries: 0)
        #expect(embedder.maxWaitingQueries == 0)
        await #expect(throws: SearchError.overloaded(waiting: 0, limit: 0)) {
            _ = try await embedder.embedQuery("graph neural networks")
        }
        #expect(try await embedder.embed("graph neural networks").count == 384)
        #expect(try await embedder.embed(["graph neural networks"]).count == 1)
    }
}
