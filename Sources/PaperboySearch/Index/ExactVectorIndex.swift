import Foundation

/// Exact cosine search: a contiguous fp32 matrix scanned with SIMD dot products.
///
/// Thread safety: a readers-writer lock guards the storage; searches share it, adds take it exclusively.
public final class ExactVectorIndex: VectorIndex, @unchecked Sendable {
    // @unchecked: every mutable property below is accessed only while holding `lock`.
    public let dimension: Int
    private let lock = ReadWriteLock()
    private var storage: [Float] = []
    private var ids: [Int64] = []
    private var slotOfID: [Int64: Int] = [:]

    /// An empty index of vectors of `dimension` components (brought into 1...``VectorIndexLimits/maxDimension``).
    public init(dimension: Int) {
        self.dimension = VectorIndexLimits.clampedDimension(dimension)
    }

    public var count: Int { lock.withReadLock { ids.count } }

    /// Bytes held by the vectors and ids (excluding the id dictionary).
    public var memoryBytes: Int {
        lock.withReadLock { storage.capacity * 4 + ids.capacity * 8 + slotOfID.capacity * 16 }
    }

    @discardableResult
    public func add(_ items: [(id: Int64, vector: [Float])]) -> [VectorError] {
        let (items, rejected) = VectorError.partition(items, dimension: dimension)
        lock.withWriteLock {
            storage.reserveCapacity(storage.count + items.count * dimension)
            for item in items {
                if let slot = slotOfID[item.id] {
                    let base = slot * dimension
                    storage.withUnsafeMutableBufferPointer { s in
                        for j in 0..<dimension { s[base + j] = item.vector[j] }
                    }
                } else {
                    slotOfID[item.id] = ids.count
                    ids.append(item.id)
                    storage.append(contentsOf: item.vector)
                }
            }
        }
        return rejected
    }

    public func search(_ query: [Float], k: Int) -> [VectorHit] {
        scan(query, k: k, allowed: nil)
    }

    public func search(_ query: [Float], k: Int, allowed: (Int64) -> Bool) -> [VectorHit] {
        withoutActuallyEscaping(allowed) { scan(query, k: k, allowed: $0) }
    }

    private func scan(_ query: [Float], k requested: Int, allowed: ((Int64) -> Bool)?) -> [VectorHit] {
        guard requested > 0, VectorError.problem(query, id: nil, dimension: dimension) == nil else { return [] }
        return lock.withReadLock {
            let n = ids.count
            let d = dimension
            let k = min(requested, n)
            guard k > 0 else { return [] }
            var heap = KeyHeap(capacity: k + 1)
            query.withUnsafeBufferPointer { q in
                storage.withUnsafeBufferPointer { s in
                    ids.withUnsafeBufferPointer { idp in
                        guard let queryBase = q.baseAddress, let storageBase = s.baseAddress else { return }
                        for slot in 0..<n {
                            if let allowed, !allowed(idp[slot]) { continue }
                            let score = dotFloat(queryBase, storageBase + slot * d, d)
                            heap.pushBounded(packKey(score, slot), k: k)
                        }
                    }
                }
            }
            return heap.sortedDescending().map { VectorHit(id: ids[keySlot($0)], score: keyScore($0)) }
        }
    }

    public func vector(id: Int64) -> [Float]? {
        lock.withReadLock {
            guard let slot = slotOfID[id] else { return nil }
            return Array(storage[slot * dimension..<(slot + 1) * dimension])
        }
    }

    public func dots(_ query: [Float], ids wanted: [Int64]) -> [Float] {
        var out = [Float](repeating: .nan, count: wanted.count)
        guard VectorError.problem(query, id: nil, dimension: dimension) == nil else { return out }
        lock.withReadLock {
            query.withUnsafeBufferPointer { q in
                storage.withUnsafeBufferPointer { s in
                    guard let queryBase = q.baseAddress, let storageBase = s.baseAddress else { return }
                    for (i, id) in wanted.enumerated() {
                        guard let slot = slotOfID[id] else { continue }
                        out[i] = dotFloat(queryBase, storageBase + slot * dimension, dimension)
                    }
                }
            }
        }
        return out
    }

    /// All stored (id, vector) pairs in insertion order.
    public func allItems() -> [(id: Int64, vector: [Float])] {
        lock.withReadLock {
            (0..<ids.count).map { slot in
                (id: ids[slot], vector: Array(storage[slot * dimension..<(slot + 1) * dimension]))
            }
        }
    }

    // MARK: Persistence

    /// Writes the index to `url` (atomically: a temporary file renamed into place).
    public func save(to url: URL, modelID: String) throws {
        try lock.withReadLock {
            let writer = try IndexFileWriter(url: url)
            try writeHeader(writer, modelID: modelID)
            try writer.write(UInt64(ids.count))
            try ids.withUnsafeBytes { try writer.write($0) }
            try storage.withUnsafeBytes { try writer.write($0) }
            try writer.finish()
        }
    }

    private func writeHeader(_ writer: IndexFileWriter, modelID: String) throws {
        try IndexFileFormat.magic.withUnsafeBytes { try writer.write($0) }
        try writer.write(IndexFileFormat.version)
        try writer.write(IndexFileFormat.kindExact)
        try writer.write(UInt32(dimension))
        try writer.write(modelID)
    }

    /// Reads an index written by `save`. Throws `VectorIndexError` (naming the file) if it is unreadable,
    /// truncated, corrupt, of another kind, or built for another model than `expectedModelID`.
    public static func load(from url: URL, expectedModelID: String?) throws -> ExactVectorIndex {
        let file = try IndexFileReader.open(
            url, kind: IndexFileFormat.kindExact, kindName: "exact", expectedModelID: expectedModelID)
        return try load(reader: file.reader, dimension: file.dimension)
    }

    /// Reads the exact-index part of a file whose header `reader` has read; `dimension` is in
    /// 1...``VectorIndexLimits/maxDimension``.
    static func load(reader: IndexFileReader, dimension: Int) throws -> ExactVectorIndex {
        let count = try reader.readCount("count")
        // Every size is checked against the file before anything of it is allocated.
        try reader.require(try reader.byteCount(count, 8 + dimension * 4, "vectors"), "\(count) vectors")
        let index = ExactVectorIndex(dimension: dimension)
        var ids = [Int64](repeating: 0, count: count)
        var storage = [Float](repeating: 0, count: count * dimension)
        try ids.withUnsafeMutableBytes { try reader.read(into: $0, "ids") }
        try storage.withUnsafeMutableBytes { try reader.read(into: $0, "vectors") }
        try reader.finish()
        var slotOfID: [Int64: Int] = [:]
        slotOfID.reserveCapacity(count)
        for (slot, id) in ids.enumerated() {
            guard slotOfID.updateValue(slot, forKey: id) == nil else { throw reader.corrupt("duplicate id \(id)") }
        }
        if let bad = storage.firstIndex(where: { !$0.isFinite }) {
            throw reader.corrupt("vector \(ids[bad / dimension]) holds NaN or infinite values")
        }
        index.lock.withWriteLock {
            index.ids = ids
            index.storage = storage
            index.slotOfID = slotOfID
        }
        return index
    }
}
