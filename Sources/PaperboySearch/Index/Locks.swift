#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A readers-writer lock (pthread_rwlock_t), writer-preferring on Linux so a steady stream of searches cannot
/// starve an `add`. Not recursive: code holding the read lock must not take it again.
final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the pthread lock is heap-allocated once and only used through the pthread API.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        #if os(Linux)
            var attr = pthread_rwlockattr_t()
            pthread_rwlockattr_init(&attr)
            pthread_rwlockattr_setkind_np(&attr, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
            pthread_rwlock_init(lock, &attr)
            pthread_rwlockattr_destroy(&attr)
        #else
            pthread_rwlock_init(lock, nil)
        #endif
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func withReadLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func withWriteLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}

/// A fixed array of mutexes; item `i` is guarded by mutex `i & mask` (lock striping for graph nodes).
final class StripedMutexes: @unchecked Sendable {
    // @unchecked: the mutexes are allocated once and only used through the pthread API.
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    private let stripes: Int
    private let mask: Int

    init(stripes requested: Int) {
        var n = 1
        while n < requested { n <<= 1 }
        stripes = n
        mask = n - 1
        locks = .allocate(capacity: n)
        for i in 0..<n { pthread_mutex_init(locks + i, nil) }
    }

    deinit {
        for i in 0..<stripes { pthread_mutex_destroy(locks + i) }
        locks.deallocate()
    }

    @inline(__always)
    func lock(_ item: Int) { pthread_mutex_lock(locks + (item & mask)) }

    @inline(__always)
    func unlock(_ item: Int) { pthread_mutex_unlock(locks + (item & mask)) }
}
