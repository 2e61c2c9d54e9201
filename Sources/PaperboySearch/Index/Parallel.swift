import Foundation
import Synchronization

/// Runs `body(i)` for every i in 0..<iterations on `threads` dedicated threads (the caller's thread is one of
/// them), handing out iterations dynamically. Dedicated threads rather than `DispatchQueue.concurrentPerform`:
/// on Linux the latter ran everything on one thread in our measurements.
func parallelFor(iterations: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let workers = min(max(1, threads), iterations)
    guard workers > 1 else {
        for i in 0..<iterations { body(i) }
        return
    }
    final class Shared: Sendable {
        let next = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
    }
    let shared = Shared()
    let run: @Sendable () -> Void = {
        while true {
            let i = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= iterations { break }
            body(i)
        }
    }
    for _ in 1..<workers {
        let thread = Thread {
            run()
            shared.done.signal()
        }
        thread.stackSize = 1 << 22
        thread.start()
    }
    run()
    for _ in 1..<workers { shared.done.wait() }
}
