import Dispatch
import Foundation
import PaperboyCore
import Synchronization

/// Approximate nearest-neighbour search: a hierarchical navigable small-world graph (Malkov & Yashunin)
/// over int8 scalar-quantised vectors.
///
/// Storage: each vector is kept as int8 codes with one fp32 scale (`value ≈ code * scale`, max-abs scaling),
/// 1 byte a dimension; layer-0 links are `2m` UInt32 slots a node, upper layers `m`. At 1M × 384 with m = 16
/// that is about 540 MB. Graph traversal compares int8 codes; the final candidates (`ef` of them) are re-scored
/// with the fp32 query against the dequantised codes, which removes most of the query's quantisation error.
///
/// Thread safety: `storageLock` (readers-writer) guards the arrays' addresses, the id map and node allocation;
/// searches and graph linking hold it shared, allocation and growth exclusively. Each node's link lists are
/// guarded by a striped mutex; the entry point by a `Mutex`. Codes, scales, ids and levels of a node are written
/// once, under the exclusive lock, before the node is reachable.
///
/// Re-adding an id inserts a new node and marks the old one dead (it still routes searches, never appears in
/// results); the file and memory keep the dead node.
public final class HNSWVectorIndex: VectorIndex, @unchecked Sendable {
    // @unchecked: see "Thread safety" above; every mutable stored property is guarded as described.
    public let dimension: Int
    public let m: Int
    public let efConstruction: Int
    public let seed: UInt64

    private let maxM0: Int
    private let codeStride: Int
    private let layer0Stride: Int
    private let upperStride: Int
    private let levelMultiplier: Double

    private let storageLock = ReadWriteLock()
    private let linkLocks = StripedMutexes(stripes: 1 << 14)
    private let entry = Mutex(EntryPoint(slot: -1, level: -1))
    private let efSearchValue: Atomic<Int>
    private let threadCount: Atomic<Int>
    private let visitedPool = Mutex<[VisitedList]>([])

    // Guarded by storageLock. The hot ones skip Swift's dynamic exclusivity checks (a runtime call per access
    // in the search loops): the lock already serialises writers against readers.
    private var capacity = 0
    @exclusivity(unchecked) private var slotCount = 0
    @exclusivity(unchecked) private var deadCount = 0
    @exclusivity(unchecked) private var codes: UnsafeMutablePointer<Int8>
    @exclusivity(unchecked) private var scales: UnsafeMutablePointer<Float>
    @exclusivity(unchecked) private var ids: UnsafeMutablePointer<Int64>
    @exclusivity(unchecked) private var levels: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var dead: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var links0: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) private var upperOffsets: UnsafeMutablePointer<Int64>
    @exclusivity(unchecked) private var upperLinks: UnsafeMutablePointer<UInt32>
    private var upperCapacity = 0
    private var upperCount = 0
    private var slotOfID: [Int64: UInt32] = [:]
    /// Slots by id in an array, for ids dense enough (``dots(_:ids:)`` looks up a whole window of ids); rebuilt when
    /// the index has changed.
    private let denseSlots = Mutex<DenseSlots?>(nil)
    private var rng: SplitMix64

    struct EntryPoint {
        var slot: Int
        var level: Int
    }

    /// An empty graph. `dimension` is brought into 1...``VectorIndexLimits/maxDimension``, `m` into 2...128,
    /// `efConstruction` to at least `m` and `efSearch` to at least 1.
    public init(dimension: Int, m: Int = 16, efConstruction: Int = 200, efSearch: Int = 128, seed: UInt64 = 42) {
        let dimension = VectorIndexLimits.clampedDimension(dimension)
        let m = min(max(m, 2), 128)
        self.dimension = dimension
        self.m = m
        self.efConstruction = max(efConstruction, m)
        self.seed = seed
        maxM0 = 2 * m
        codeStride = (dimension + 31) / 32 * 32
        layer0Stride = 2 * m + 1
        upperStride = m + 1
        levelMultiplier = 1 / log(Double(m))
        efSearchValue = Atomic(max(1, efSearch))
        threadCount = Atomic(max(1, ProcessInfo.processInfo.activeProcessorCount))
        rng = SplitMix64(seed: seed)
        codes = .allocate(capacity: 0)
        scales = .allocate(capacity: 0)
        ids = .allocate(capacity: 0)
        levels = .allocate(capacity: 0)
        dead = .allocate(capacity: 0)
        links0 = .allocate(capacity: 0)
        upperOffsets = .allocate(capacity: 0)
        upperLinks = .allocate(capacity: 0)
    }

    deinit {
        codes.deallocate()
        scales.deallocate()
        ids.deallocate()
        levels.deallocate()
        dead.deallocate()
        links0.deallocate()
        upperOffsets.deallocate()
        upperLinks.deallocate()
        for list in visitedPool.withLock({ $0 }) { list.deallocate() }
    }

    /// Beam width of searches (at least `k` is used). Higher is slower and more accurate.
    public var efSearch: Int {
        get { efSearchValue.load(ordering: .relaxed) }
        set { efSearchValue.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Threads used by batch `add` (default: active processors).
    public var insertionThreads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set { threadCount.store(max(1, newValue), ordering: .relaxed) }
    }

    public var count: Int { storageLock.withReadLock { slotOfID.count } }

    /// Nodes in the graph, including dead (replaced) ones.
    public var nodeCount: Int { storageLock.withReadLock { slotCount } }

    /// Bytes allocated for the index's arrays (codes, scales, ids, levels, links), plus an estimate for the
    /// id dictionary.
    public var memoryBytes: Int {
        storageLock.withReadLock {
            capacity * (codeStride + 4 + 8 + 1 + 1 + layer0Stride * 4 + 8) + upperCapacity * 4
                + slotOfID.capacity * 12
        }
    }

    // MARK: Adding

    @discardableResult
    public func add(_ items: [(id: Int64, vector: [Float])]) -> [VectorError] {
        let (items, rejected) = VectorError.partition(items, dimension: dimension)
        guard !items.isEmpty else { return rejected }
        // Quantise outside the lock.
        var newCodes = [Int8](repeating: 0, count: items.count * codeStride)
        var newScales = [Float](repeating: 0, count: items.count)
        newCodes.withUnsafeMutableBufferPointer { c in
            guard let codesBase = c.baseAddress else { return }
            for (i, item) in items.enumerated() {
                newScales[i] = item.vector.withUnsafeBufferPointer {
                    quantise($0, into: codesBase + i * codeStride, stride: codeStride)
                }
            }
        }
        let first = allocate(items.map(\.id), newCodes, newScales)
        link(first..<(first + items.count))
        return rejected
    }

    /// Appends nodes (unlinked, so unreachable) under the exclusive lock; returns the first new slot.
    private func allocate(_ newIDs: [Int64], _ newCodes: [Int8], _ newScales: [Float]) -> Int {
        storageLock.withWriteLock {
            let first = slotCount
            reserve(slotCount + newIDs.count)
            for (i, id) in newIDs.enumerated() {
                let slot = first + i
                if let old = slotOfID.updateValue(UInt32(slot), forKey: id) {
                    dead[Int(old)] = 1
                    deadCount += 1
                }
                ids[slot] = id
                scales[slot] = newScales[i]
                dead[slot] = 0
                let level = randomLevel()
                levels[slot] = UInt8(level)
                links0[slot * layer0Stride] = 0
                if level > 0 {
                    let need = level * upperStride
                    reserveUpper(upperCount + need)
                    upperOffsets[slot] = Int64(upperCount)
                    (upperLinks + upperCount).initialize(repeating: 0, count: need)
                    upperCount += need
                } else {
                    upperOffsets[slot] = -1
                }
            }
            newCodes.withUnsafeBufferPointer { c in
                if let source = c.baseAddress { (codes + first * codeStride).update(from: source, count: c.count) }
            }
            slotCount += newIDs.count
            return first
        }
    }

    private func randomLevel() -> Int {
        let u = Double(rng.next() >> 11) * 0x1p-53
        return min(Int(-log(max(u, 1e-300)) * levelMultiplier), 32)
    }

    /// Grows the arrays to hold `needed` nodes (exclusive lock held).
    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        let newCapacity = max(needed, capacity + capacity / 2, 1024)
        func grow<T>(_ p: inout UnsafeMutablePointer<T>, _ per: Int) {
            let q = UnsafeMutablePointer<T>.allocate(capacity: newCapacity * per)
            q.moveInitialize(from: p, count: slotCount * per)
            p.deallocate()
            p = q
        }
        grow(&codes, codeStride)
        grow(&scales, 1)
        grow(&ids, 1)
        grow(&levels, 1)
        grow(&dead, 1)
        grow(&links0, layer0Stride)
        grow(&upperOffsets, 1)
        capacity = newCapacity
    }

    private func reserveUpper(_ needed: Int) {
        guard needed > upperCapacity else { return }
        let newCapacity = max(needed, upperCapacity * 2, 1024)
        let q = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        q.moveInitialize(from: upperLinks, count: upperCount)
        upperLinks.deallocate()
        upperLinks = q
        upperCapacity = newCapacity
    }

    /// Links new nodes into the graph, in parallel for large batches. Takes the shared lock per chunk so that
    /// other writers can get in between chunks.
    private func link(_ slots: Range<Int>) {
        var next = slots.lowerBound
        // Build a small core sequentially so early parallel inserts find a connected graph.
        let sequentialEnd = min(slots.upperBound, max(next, 512))
        if next < sequentialEnd {
            storageLock.withReadLock { withVisited { v in for s in next..<sequentialEnd { insert(s, v) } } }
            next = sequentialEnd
        }
        let remaining = slots.upperBound - next
        guard remaining > 0 else { return }
        let threads = min(insertionThreads, max(1, remaining / 64))
        if threads <= 1 {
            storageLock.withReadLock { withVisited { v in for s in next..<slots.upperBound { insert(s, v) } } }
            return
        }
        let chunk = 256
        let chunks = (remaining + chunk - 1) / chunk
        let start = next
        let end = slots.upperBound
        parallelFor(iterations: chunks, threads: threads) { [self] c in
            let lo = start + c * chunk
            let hi = min(end, lo + chunk)
            storageLock.withReadLock { withVisited { v in for s in lo..<hi { insert(s, v) } } }
        }
    }

    // MARK: Graph primitives (storage lock held by the caller)

    @inline(__always)
    private func codePointer(_ slot: Int) -> UnsafeMutablePointer<Int8> {
        codes + slot * codeStride
    }

    @inline(__always)
    private func linkList(_ slot: Int, _ layer: Int) -> UnsafeMutablePointer<UInt32> {
        layer == 0 ? links0 + slot * layer0Stride : upperLinks + Int(upperOffsets[slot]) + (layer - 1) * upperStride
    }

    /// Similarity between two stored nodes.
    @inline(__always)
    private func similarity(_ a: Int, _ b: Int) -> Float {
        scales[a] * scales[b] * Float(dotInt8(codePointer(a), codePointer(b), codeStride))
    }

    /// Copies a node's links at `layer` into `buffer` under the node's stripe lock; returns how many.
    @inline(__always)
    private func readLinks(_ slot: Int, _ layer: Int, into buffer: UnsafeMutablePointer<UInt32>) -> Int {
        linkLocks.lock(slot)
        let list = linkList(slot, layer)
        let n = Int(list[0])
        buffer.update(from: list + 1, count: n)
        linkLocks.unlock(slot)
        return n
    }

    /// Greedy descent from `start` through layers above `targetLayer`.
    private func greedy(_ query: Query, from start: Int, level: Int, to targetLayer: Int) -> Int {
        var current = start
        var best = query.similarity(to: current, self)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: maxM0) { buffer in
            guard let buf = buffer.baseAddress else { return }  // maxM0 >= 4: never nil
            var layer = level
            while layer > targetLayer {
                var changed = true
                while changed {
                    changed = false
                    let n = readLinks(current, layer, into: buf)
                    for i in 0..<n {
                        let candidate = Int(buf[i])
                        let s = query.similarity(to: candidate, self)
                        if s > best {
                            best = s
                            current = candidate
                            changed = true
                        }
                    }
                }
                layer -= 1
            }
        }
        return current
    }

    /// Beam search at one layer. Returns a min-heap (top = worst) of up to `ef` accepted nodes.
    private func searchLayer(
        _ query: Query, entryPoint: Int, layer: Int, ef: Int, visited: VisitedList, accept: ((Int) -> Bool)?,
        budget: Int = .max
    ) -> KeyHeap? {
        visited.reset(size: slotCount)
        // More than slotCount can never be kept, whatever `ef` is.
        var candidates = KeyHeap(capacity: min(ef, slotCount) * 4)
        var results = KeyHeap(capacity: min(ef, slotCount) + 1)
        let entrySimilarity = query.similarity(to: entryPoint, self)
        visited.mark(entryPoint)
        candidates.push(packKey(-entrySimilarity, entryPoint))
        var lowerBound = -Float.infinity
        if accept?(entryPoint) ?? true {
            results.push(packKey(entrySimilarity, entryPoint))
            lowerBound = entrySimilarity
        }
        var evaluated = 0
        let finished = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: maxM0) { buffer -> Bool in
            guard let buf = buffer.baseAddress else { return true }  // maxM0 >= 4: never nil
            while !candidates.isEmpty {
                if evaluated > budget { return false }
                let top = candidates.pop()
                let s = -keyScore(top)
                if s < lowerBound && results.count >= ef { break }
                let n = readLinks(keySlot(top), layer, into: buf)
                for i in 0..<n {
                    let candidate = Int(buf[i])
                    if visited.isVisited(candidate) { continue }
                    visited.mark(candidate)
                    evaluated += 1
                    let cs = query.similarity(to: candidate, self)
                    if results.count < ef || cs > lowerBound {
                        candidates.push(packKey(-cs, candidate))
                        if accept?(candidate) ?? true {
                            results.pushBounded(packKey(cs, candidate), k: ef)
                            lowerBound = keyScore(results.top)
                        }
                    }
                }
            }
            return true
        }
        return finished ? results : nil
    }

    /// Picks up to `maxCount` diverse neighbours from `candidates` (sorted best first): a candidate is kept
    /// only if it is closer to the base than to every neighbour kept so far.
    private func selectNeighbours(_ candidates: [UInt64], maxCount: Int) -> [Int] {
        if candidates.count <= maxCount { return candidates.map(keySlot) }
        var selected: [Int] = []
        selected.reserveCapacity(maxCount)
        for key in candidates {
            if selected.count >= maxCount { break }
            let c = keySlot(key)
            let toBase = keyScore(key)
            var keep = true
            for s in selected where similarity(c, s) > toBase {
                keep = false
                break
            }
            if keep { selected.append(c) }
        }
        return selected
    }

    /// Inserts node `slot` (already allocated) into the graph.
    private func insert(_ slot: Int, _ visited: VisitedList) {
        let level = Int(levels[slot])
        let current = entry.withLock { e -> EntryPoint? in
            if e.slot < 0 {
                e = EntryPoint(slot: slot, level: level)
                return nil
            }
            return e
        }
        guard let current else { return }
        let query = Query(slot: slot, index: self)
        var enter = current.slot
        if level < current.level {
            enter = greedy(query, from: enter, level: current.level, to: level)
        }
        var layer = min(level, current.level)
        while layer >= 0 {
            // Without a budget the search always finishes.
            let found =
                searchLayer(query, entryPoint: enter, layer: layer, ef: efConstruction, visited: visited, accept: nil)
                ?? KeyHeap(capacity: 0)
            let sorted = found.sortedDescending().filter { keySlot($0) != slot }
            if let best = sorted.first { enter = keySlot(best) }
            let neighbours = selectNeighbours(sorted, maxCount: m)
            linkLocks.lock(slot)
            let list = linkList(slot, layer)
            list[0] = UInt32(neighbours.count)
            for (i, n) in neighbours.enumerated() { list[1 + i] = UInt32(n) }
            linkLocks.unlock(slot)
            for n in neighbours { addBackLink(from: n, to: slot, layer: layer) }
            layer -= 1
        }
        if level > current.level {
            entry.withLock { e in
                if level > e.level { e = EntryPoint(slot: slot, level: level) }
            }
        }
    }

    private func addBackLink(from node: Int, to newNode: Int, layer: Int) {
        let maxCount = layer == 0 ? maxM0 : m
        linkLocks.lock(node)
        defer { linkLocks.unlock(node) }
        let list = linkList(node, layer)
        let n = Int(list[0])
        for i in 0..<n where Int(list[1 + i]) == newNode { return }
        if n < maxCount {
            list[1 + n] = UInt32(newNode)
            list[0] = UInt32(n + 1)
            return
        }
        var candidates: [UInt64] = []
        candidates.reserveCapacity(n + 1)
        candidates.append(packKey(similarity(node, newNode), newNode))
        for i in 0..<n {
            let other = Int(list[1 + i])
            candidates.append(packKey(similarity(node, other), other))
        }
        candidates.sort(by: >)
        let selected = selectNeighbours(candidates, maxCount: maxCount)
        list[0] = UInt32(selected.count)
        for (i, s) in selected.enumerated() { list[1 + i] = UInt32(s) }
    }

    // MARK: Searching

    public func search(_ query: [Float], k: Int) -> [VectorHit] {
        runSearch(query, k: k, allowed: nil)
    }

    public func search(_ query: [Float], k: Int, allowed: (Int64) -> Bool) -> [VectorHit] {
        withoutActuallyEscaping(allowed) { runSearch(query, k: k, allowed: $0) }
    }

    private func runSearch(_ vector: [Float], k requested: Int, allowed: ((Int64) -> Bool)?) -> [VectorHit] {
        guard requested > 0, VectorError.problem(vector, id: nil, dimension: dimension) == nil else { return [] }
        var padded = vector
        padded.append(contentsOf: repeatElement(0, count: codeStride - dimension))
        return storageLock.withReadLock {
            guard slotCount > 0 else { return [] }
            let k = min(requested, slotCount)
            let query = Query(vector: padded, stride: codeStride)
            let ef = min(max(efSearch, k), slotCount)
            let accept: ((Int) -> Bool)?
            if let allowed {
                let fraction = allowedFraction(allowed)
                // Very selective filters: scanning the allowed nodes is cheaper and exact.
                if fraction * Double(slotCount) < Double(max(2_000, 20 * k)) || fraction < 0.02 {
                    return scan(padded, k: k, allowed: allowed)
                }
                accept = { [dead, ids] slot in dead[slot] == 0 && allowed(ids[slot]) }
            } else if deadCount > 0 {
                accept = { [dead] slot in dead[slot] == 0 }
            } else {
                accept = nil
            }
            let top = entry.withLock { $0 }
            // A filtered walk that evaluates more than ~1/8 of the nodes costs more than a scan: give up on it.
            let budget = allowed == nil ? Int.max : max(slotCount / 8, 20 * ef)
            let hits: [VectorHit]? = withVisited { visited in
                let start = greedy(query, from: top.slot, level: top.level, to: 0)
                let found = searchLayer(
                    query, entryPoint: start, layer: 0, ef: ef, visited: visited, accept: accept,
                    budget: budget)
                return found.map { rescore(padded, $0.items, k: k) }
            }
            // No hits only when a filtered walk ran out of budget: scan the allowed nodes instead.
            if let allowed, (hits?.count ?? 0) < k {
                return scan(padded, k: k, allowed: allowed)
            }
            return hits ?? []
        }
    }

    /// Re-scores candidates with the fp32 query against dequantised codes and keeps the best `k`.
    private func rescore(_ query: [Float], _ keys: [UInt64], k: Int) -> [VectorHit] {
        query.withUnsafeBufferPointer { q in
            guard let queryBase = q.baseAddress else { return [] }  // the padded query is never empty
            var scored = keys.map { key -> (Int, Float) in
                let slot = keySlot(key)
                return (slot, scales[slot] * dotFloatInt8(queryBase, codePointer(slot), codeStride))
            }
            scored.sort { $0.1 > $1.1 }
            return scored.prefix(k).map { VectorHit(id: ids[$0.0], score: $0.1) }
        }
    }

    /// Estimates the fraction of live nodes a filter allows from an evenly spaced sample.
    private func allowedFraction(_ allowed: (Int64) -> Bool) -> Double {
        let samples = min(slotCount, 1_000)
        var tried = 0
        var passed = 0
        var generator = SplitMix64(seed: 0x5A17)  // pseudo-random slots: ids often correlate with position
        for _ in 0..<samples {
            let slot = Int(generator.next() % UInt64(slotCount))
            if dead[slot] != 0 { continue }
            tried += 1
            if allowed(ids[slot]) { passed += 1 }
        }
        return tried == 0 ? 0 : Double(passed) / Double(tried)
    }

    /// Scores every live allowed node on int8 codes, then re-scores the best few with the fp32 query.
    private func scan(_ query: [Float], k: Int, allowed: (Int64) -> Bool) -> [VectorHit] {
        let q = Query(vector: query, stride: codeStride)
        let keep = max(4 * k, 64)
        var heap = KeyHeap(capacity: keep + 1)
        for slot in 0..<slotCount where dead[slot] == 0 && allowed(ids[slot]) {
            heap.pushBounded(packKey(q.similarity(to: slot, self), slot), k: keep)
        }
        return rescore(query, heap.items, k: k)
    }

    public func vector(id: Int64) -> [Float]? {
        storageLock.withReadLock {
            guard let slot = slotOfID[id].map(Int.init) else { return nil }
            let scale = scales[slot]
            let code = codePointer(slot)
            return (0..<dimension).map { Float(code[$0]) * scale }
        }
    }

    public func dots(_ query: [Float], ids wanted: [Int64]) -> [Float] {
        var out = [Float](repeating: .nan, count: wanted.count)
        guard VectorError.problem(query, id: nil, dimension: dimension) == nil else { return out }
        var padded = query
        padded.append(contentsOf: repeatElement(0, count: codeStride - dimension))
        // In code space, as a filtered scan compares (a ranking needs the order, not the last digit).
        let q = Query(vector: padded, stride: codeStride)
        storageLock.withReadLock {
            let dense = denseSlotTable()
            for (i, id) in wanted.enumerated() {
                let found: Int? =
                    if let dense { dense.slot(of: id) } else { slotOfID[id].map(Int.init) }
                guard let slot = found, dead[slot] == 0 else { continue }
                out[i] = q.similarity(to: slot, self)
            }
        }
        return out
    }

    /// The dense table of slots for the index as it is (nil when ids are too sparse for one); call with the storage
    /// lock held.
    private func denseSlotTable() -> DenseSlots? {
        let version = (slotCount, deadCount)
        if let table = denseSlots.withLock({ $0 }), table.version == version { return table }
        let table = DenseSlots(slotOfID, version: version)
        denseSlots.withLock { $0 = table }
        return table
    }

    /// All live ids.
    public func allIDs() -> [Int64] {
        storageLock.withReadLock { Array(slotOfID.keys) }
    }

    // MARK: Visited lists

    private func withVisited<T>(_ body: (VisitedList) -> T) -> T {
        let list = visitedPool.withLock { $0.popLast() } ?? VisitedList()
        defer { visitedPool.withLock { $0.append(list) } }
        return body(list)
    }

    // MARK: Query

    /// A query in code space: either a stored node or an fp32 vector quantised on the fly.
    struct Query {
        let codes: [Int8]
        let scale: Float

        init(slot: Int, index: HNSWVectorIndex) {
            codes = Array(UnsafeBufferPointer(start: index.codePointer(slot), count: index.codeStride))
            scale = index.scales[slot]
        }

        init(vector: [Float], stride: Int) {
            var c = [Int8](repeating: 0, count: stride)
            scale = c.withUnsafeMutableBufferPointer { cp in
                guard let base = cp.baseAddress else { return 0 }  // stride >= 32: never nil
                return vector.withUnsafeBufferPointer { quantise($0, into: base, stride: stride) }
            }
            codes = c
        }

        @inline(__always)
        func similarity(to slot: Int, _ index: HNSWVectorIndex) -> Float {
            codes.withUnsafeBufferPointer { q in
                guard let base = q.baseAddress else { return 0 }  // codeStride >= 32: never nil
                return scale * index.scales[slot] * Float(dotInt8(base, index.codePointer(slot), index.codeStride))
            }
        }
    }

    // MARK: Persistence

    /// Writes the index to `url` atomically (temporary file, then rename). Adds wait while it runs.
    public func save(to url: URL, modelID: String) throws {
        try storageLock.withReadLock {
            let top = entry.withLock { $0 }
            let writer = try IndexFileWriter(url: url)
            try IndexFileFormat.magic.withUnsafeBytes { try writer.write($0) }
            try writer.write(IndexFileFormat.version)
            try writer.write(IndexFileFormat.kindHNSW)
            try writer.write(UInt32(dimension))
            try writer.write(modelID)
            try writer.write(UInt32(m))
            try writer.write(UInt32(efConstruction))
            try writer.write(UInt32(efSearch))
            try writer.write(seed)
            try writer.write(rng.state)
            try writer.write(Int64(top.slot))
            try writer.write(Int32(top.level))
            try writer.write(UInt64(slotCount))
            try writer.write(UInt64(upperCount))
            try writer.write(ids, count: slotCount)
            try writer.write(scales, count: slotCount)
            try writer.write(levels, count: slotCount)
            try writer.write(dead, count: slotCount)
            try writer.write(upperOffsets, count: slotCount)
            try writer.write(codes, count: slotCount * codeStride)
            try writeLinks(writer)
            try writer.finish()
        }
    }

    /// Writes the link lists, each copied under its node's lock (a concurrent add may still be linking).
    private func writeLinks(_ writer: IndexFileWriter) throws {
        let chunk = 4_096
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: chunk * layer0Stride)
        defer { buffer.deallocate() }
        var start = 0
        while start < slotCount {
            let end = min(slotCount, start + chunk)
            for slot in start..<end {
                linkLocks.lock(slot)
                (buffer + (slot - start) * layer0Stride).update(from: linkList(slot, 0), count: layer0Stride)
                linkLocks.unlock(slot)
            }
            try writer.write(buffer, count: (end - start) * layer0Stride)
            start = end
        }
        var upper = [UInt32](repeating: 0, count: upperCount)
        for slot in 0..<slotCount where levels[slot] > 0 {
            let offset = Int(upperOffsets[slot])
            let length = Int(levels[slot]) * upperStride
            linkLocks.lock(slot)
            for i in 0..<length { upper[offset + i] = upperLinks[offset + i] }
            linkLocks.unlock(slot)
        }
        try upper.withUnsafeBytes { try writer.write($0) }
    }

    /// Reads an index written by `save`. Throws `VectorIndexError` (naming the file) if it is unreadable,
    /// truncated, corrupt, of another kind, or built for another model than `expectedModelID`.
    public static func load(from url: URL, expectedModelID: String?) throws -> HNSWVectorIndex {
        let file = try IndexFileReader.open(
            url, kind: IndexFileFormat.kindHNSW, kindName: "HNSW", expectedModelID: expectedModelID)
        return try load(reader: file.reader, dimension: file.dimension)
    }

    /// Reads the HNSW part of a file whose header `reader` has read; `dimension` is in
    /// 1...``VectorIndexLimits/maxDimension``. Every count is checked against the file's size before anything
    /// is allocated for it, and the graph is checked (``validate``) before it is used.
    static func load(reader: IndexFileReader, dimension: Int) throws -> HNSWVectorIndex {
        let m = Int(try reader.read(UInt32.self, "m"))
        let efConstruction = Int(try reader.read(UInt32.self, "efConstruction"))
        let efSearch = Int(try reader.read(UInt32.self, "efSearch"))
        guard (2...128).contains(m), efConstruction > 0, efSearch > 0 else {
            throw reader.corrupt("implausible parameters m=\(m) efConstruction=\(efConstruction) efSearch=\(efSearch)")
        }
        let seed = try reader.read(UInt64.self, "seed")
        let rngState = try reader.read(UInt64.self, "rng state")
        let entrySlot = try reader.read(Int64.self, "entry point")
        let entryLevel = Int(try reader.read(Int32.self, "entry level"))
        let count = try reader.readCount("node count")
        let upperCount = try reader.readCount("upper link count")
        guard count < Int(UInt32.max) else { throw reader.corrupt("node count \(count) is too large") }
        let index = HNSWVectorIndex(
            dimension: dimension, m: m, efConstruction: efConstruction, efSearch: efSearch,
            seed: seed)
        let perNode = 8 + 4 + 1 + 1 + 8 + index.codeStride + index.layer0Stride * 4
        let nodeBytes = try reader.byteCount(count, perNode, "nodes")
        let upperBytes = try reader.byteCount(upperCount, 4, "upper links")
        let (total, overflow) = nodeBytes.addingReportingOverflow(upperBytes)
        guard !overflow else { throw reader.corrupt("\(count) nodes and \(upperCount) upper links are too large") }
        try reader.require(total, "\(count) nodes")
        let entryInRange = count == 0 ? entrySlot == -1 && entryLevel == -1 : (0..<Int64(count)).contains(entrySlot)
        guard entryInRange else {
            throw reader.corrupt("entry point \(entrySlot) at level \(entryLevel) out of range")
        }
        let entry = Int(entrySlot)
        try index.storageLock.withWriteLock {
            index.reserve(count)
            index.reserveUpper(upperCount)
            try reader.read(into: index.ids, count: count, "ids")
            try reader.read(into: index.scales, count: count, "scales")
            try reader.read(into: index.levels, count: count, "levels")
            try reader.read(into: index.dead, count: count, "dead flags")
            try reader.read(into: index.upperOffsets, count: count, "upper offsets")
            try reader.read(into: index.codes, count: count * index.codeStride, "codes")
            try reader.read(into: index.links0, count: count * index.layer0Stride, "links")
            try reader.read(into: index.upperLinks, count: upperCount, "upper links")
            try reader.finish()
            try index.validate(count: count, upperCount: upperCount, reader: reader)
            if count > 0, !(0...Int(index.levels[entry])).contains(entryLevel) {
                throw reader.corrupt("entry level \(entryLevel) is not a level of node \(entry)")
            }
            index.slotCount = count
            index.upperCount = upperCount
            index.rng = SplitMix64(state: rngState)
            var map: [Int64: UInt32] = [:]
            map.reserveCapacity(count)
            var deadCount = 0
            for slot in 0..<count {
                if index.dead[slot] != 0 {
                    deadCount += 1
                } else if map.updateValue(UInt32(slot), forKey: index.ids[slot]) != nil {
                    throw reader.corrupt("duplicate live id \(index.ids[slot])")
                }
            }
            index.slotOfID = map
            index.deadCount = deadCount
        }
        index.entry.withLock { $0 = EntryPoint(slot: entry, level: entryLevel) }
        return index
    }

    /// Checks on the graph so that a damaged file that passes the checksum cannot cause out-of-range reads:
    /// every node's upper link lists lie inside the upper link array, every list holds at most the links a layer
    /// allows, every link points to an existing node that has the link's layer, and every scale is finite.
    private func validate(count: Int, upperCount: Int, reader: IndexFileReader) throws {
        for slot in 0..<count {
            let level = Int(levels[slot])
            guard level <= 32 else { throw reader.corrupt("node \(slot) has level \(level)") }
            guard scales[slot].isFinite else { throw reader.corrupt("node \(slot) has a scale that is not finite") }
            let offset = upperOffsets[slot]
            if level > 0 {
                guard offset >= 0, offset <= Int64(upperCount), level * upperStride <= upperCount - Int(offset) else {
                    throw reader.corrupt("node \(slot) has upper links out of range")
                }
            }
            for layer in 0...level {
                let list =
                    layer == 0
                    ? links0 + slot * layer0Stride
                    : upperLinks + Int(offset) + (layer - 1) * upperStride
                let n = Int(list[0])
                guard n <= (layer == 0 ? maxM0 : m) else { throw reader.corrupt("node \(slot) has \(n) links") }
                for i in 0..<n {
                    let target = Int(list[1 + i])
                    guard target < count else {
                        throw reader.corrupt("node \(slot) links to missing node \(target)")
                    }
                    guard Int(levels[target]) >= layer else {
                        throw reader.corrupt("node \(slot) links at layer \(layer) to node \(target), which has none")
                    }
                }
            }
        }
    }
}

/// Per-search "visited" marks with a generation counter, so resetting is O(1) most of the time.
final class VisitedList: @unchecked Sendable {
    // @unchecked: a list is used by one search at a time (taken from and returned to a Mutex-guarded pool).
    private var marks: UnsafeMutablePointer<UInt16> = .allocate(capacity: 0)
    private var size = 0
    private var generation: UInt16 = 0

    func reset(size needed: Int) {
        if needed > size {
            marks.deallocate()
            let newSize = max(needed, size + size / 2, 1024)
            marks = .allocate(capacity: newSize)
            marks.initialize(repeating: 0, count: newSize)
            size = newSize
            generation = 0
        }
        generation &+= 1
        if generation == 0 {
            marks.update(repeating: 0, count: size)
            generation = 1
        }
    }

    @inline(__always)
    func isVisited(_ i: Int) -> Bool { marks[i] == generation }

    @inline(__always)
    func mark(_ i: Int) { marks[i] = generation }

    func deallocate() {
        marks.deallocate()
        size = 0
    }
}

/// Slots by id in a flat array: one load per id instead of a hash, when the ids (store keys) are dense, as keys are.
struct DenseSlots: Sendable {
    let version: (Int, Int)
    let slots: [UInt32]

    /// Nil when the ids are negative or spread over more than four times their number (plus a little).
    init?(_ slotOfID: [Int64: UInt32], version: (Int, Int)) {
        self.version = version
        guard let largest = slotOfID.keys.max(), slotOfID.keys.allSatisfy({ $0 >= 0 }),
            largest < Int64(4 * slotOfID.count + 1_024)
        else { return nil }
        var slots = [UInt32](repeating: .max, count: Int(largest) + 1)
        for (id, slot) in slotOfID { slots[Int(id)] = slot }
        self.slots = slots
    }

    @inline(__always) func slot(of id: Int64) -> Int? {
        guard id >= 0, id < Int64(slots.count) else { return nil }
        let slot = slots[Int(id)]
        return slot == .max ? nil : Int(slot)
    }
}
