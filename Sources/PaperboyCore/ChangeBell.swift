import Foundation
import Synchronization

/// A bell that wakes whoever waits on it: rung when the store's change sequence may have moved (a notification from
/// the database, or a node's keyword index having read changes), waited on by loops that would otherwise sleep until
/// their next poll. Rings are counted, so a ring between two waits is never missed: a waiter says which count it has
/// seen, and returns at once when the bell has rung since.
public final class ChangeBell: Sendable {
    private enum Waiter {
        /// Registered, not suspended yet.
        case pending
        case suspended(CheckedContinuation<Void, Never>)
        /// Woken (rung, timed out or cancelled), whether or not it had suspended.
        case done
    }

    private struct State {
        var rings: UInt64 = 0
        var nextWaiter = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// How many times the bell has rung.
    public var rings: UInt64 { state.withLock { $0.rings } }

    /// Wakes every waiter.
    public func ring() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.rings &+= 1
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters {
                if case .suspended(let continuation) = waiter { woken.append(continuation) }
                state.waiters[id] = .done
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when the bell has rung more than `seen` times, or after `timeout`, or when the task is cancelled;
    /// gives the count of rings then (pass it as `seen` to the next wait).
    @discardableResult
    public func wait(after seen: UInt64, upTo timeout: Duration) async -> UInt64 {
        let id = state.withLock { state -> Int? in
            guard state.rings <= seen else { return nil }
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = .pending
            return state.nextWaiter
        }
        guard let id else { return rings }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.wake(id)
            }
            group.addTask {
                await withCheckedContinuation { continuation in self.suspend(id, continuation) }
            }
            await group.next()
            group.cancelAll()
            wake(id)
        }
        return state.withLock { state in
            state.waiters[id] = nil
            return state.rings
        }
    }

    /// Marks the waiter done, resuming it if it is suspended.
    private func wake(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiters[id] else { return nil }
            state.waiters[id] = .done
            if case .suspended(let continuation) = waiter { return continuation }
            return nil
        }
        continuation?.resume()
    }

    private func suspend(_ id: Int, _ continuation: CheckedContinuation<Void, Never>) {
        let suspended = state.withLock { state -> Bool in
            guard case .pending = state.waiters[id] else { return false }
            state.waiters[id] = .suspended(continuation)
            return true
        }
        if !suspended { continuation.resume() }
    }
}

/// A store that can ring a bell whenever a change to papers is committed, by any process (PostgreSQL's
/// LISTEN/NOTIFY): a node's keyword index then reads the change at once instead of at its next poll.
public protocol PaperChangeNotifier: Sendable {
    /// Rings `bell` after each commit that changed papers, until the task is cancelled. Reconnects when the
    /// connection is lost (ringing once after, as changes may have been missed meanwhile).
    func ringOnChanges(_ bell: ChangeBell) async
}
