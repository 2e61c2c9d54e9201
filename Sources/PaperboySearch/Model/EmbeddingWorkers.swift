import Foundation

/// A fixed set of threads, each with its own encoder workspace, that run forward passes off the Swift
/// concurrency pool (BLAS calls are long and blocking).
final class EmbeddingWorkers: @unchecked Sendable {
    typealias Job = (EncoderWorkspace) -> Void

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var head = 0
    private var stopping = false
    let count: Int

    init(count: Int, config: BertConfig, name: String) {
        self.count = count
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

    private func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if stopping { return nil }
            condition.wait()
        }
        let job = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    func submit(_ job: @escaping Job) {
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on a worker and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (EncoderWorkspace) -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { workspace in continuation.resume(returning: body(workspace)) }
        }
    }

    /// Lets the threads finish the queued jobs and exit.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
