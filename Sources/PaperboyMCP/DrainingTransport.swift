import Foundation
import Logging
import MCP

/// A transport that, when its client stops sending (end of standard input), still answers what it received before
/// it ends. The SDK's server stops reading at the end of input and answers each request in a task of its own, so
/// `printf '...' | paperboy mcp` would otherwise end before a single answer is written. Requests (messages with a
/// `method` and an `id`) are counted in and answers (messages with an `id` and a `result` or `error`) counted out;
/// the stream the server reads ends once input has ended and every request is answered, or `grace` after input
/// ended, whichever is first.
actor DrainingTransport: Transport {
    nonisolated let logger: Logger
    private let inner: any Transport
    private let grace: Duration
    private var pending = 0
    private var inputEnded = false
    private var continuation: AsyncThrowingStream<Data, any Error>.Continuation?
    private var pump: Task<Void, Never>?

    init(_ inner: any Transport, grace: Duration = .seconds(60), logger: Logger) {
        self.inner = inner
        self.grace = grace
        self.logger = logger
    }

    func connect() async throws { try await inner.connect() }

    func disconnect() async {
        pump?.cancel()
        continuation?.finish()
        await inner.disconnect()
    }

    func send(_ data: Data) async throws {
        try await inner.send(data)
        pending = max(0, pending - Self.count(in: data, answers: true))
        finishIfDrained()
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        Task { await self.start(continuation) }
        return stream
    }

    private func start(_ continuation: AsyncThrowingStream<Data, any Error>.Continuation) async {
        self.continuation = continuation
        let input = await inner.receive()
        pump = Task {
            do {
                for try await message in input {
                    self.received(message)
                    continuation.yield(message)
                }
            } catch {
                continuation.finish(throwing: error)
                return
            }
            await self.endOfInput()
        }
    }

    private func received(_ message: Data) {
        pending += Self.count(in: message, answers: false)
    }

    private func endOfInput() async {
        inputEnded = true
        finishIfDrained()
        guard continuation != nil else { return }
        try? await Task.sleep(for: grace)
        if continuation != nil {
            logger.warning("mcp input ended with requests unanswered", metadata: ["mcp.pending": "\(pending)"])
            continuation?.finish()
            continuation = nil
        }
    }

    private func finishIfDrained() {
        guard inputEnded, pending == 0, let continuation else { return }
        continuation.finish()
        self.continuation = nil
    }

    /// How many requests (or, with `answers`, responses) a message holds: one, or each of a batch's.
    static func count(in message: Data, answers: Bool) -> Int {
        guard let json = try? JSONSerialization.jsonObject(with: message) else { return 0 }
        let items = (json as? [Any]) ?? [json]
        return items.reduce(0) { total, item in
            guard let object = item as? [String: Any], object["id"] != nil else { return total }
            let matches = answers ? object["result"] != nil || object["error"] != nil : object["method"] != nil
            return total + (matches ? 1 : 0)
        }
    }
}
