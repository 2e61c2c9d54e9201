import Foundation
import Synchronization

/// Exact search while the collection is small, HNSW once it grows past `exactThreshold`.
///
/// Migration happens inside the `add` that crosses the threshold: the HNSW graph is built from the exact
/// index's vectors while searches keep using the exact index, then the backend is swapped. Adds are serialised
/// (`addLock`); searches only take the short `backend` lock to read the current backend.
public final class AdaptiveVectorIndex: VectorIndex, Sendable {
    public enum Backend: Sendable {
        case exact(ExactVectorIndex)
        case hnsw(HNSWVectorIndex)

        var index: any VectorIndex {
            switch self {
            case .exact(let index): return index
            case .hnsw(let index): return index
            }
        }
    }

    public let dimension: Int
    public let exactThreshold: Int
    private let m: Int
    private let efConstruction: Int
    private let efSearch: Int
    private let backendState: Mutex<Backend>
    private let addLock = Mutex(())

    public init(
        dimension: Int, exactThreshold: Int = 20_000, m: Int = 16, efConstruction: Int = 200,
        efSearch: Int = 128
    ) {
        self.dimension = VectorIndexLimits.clampedDimension(dimension)
        self.exactThreshold = exactThreshold
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        backendState = Mutex(.exact(ExactVectorIndex(dimension: self.dimension)))
    }

    private init(dimension: Int, exactThreshold: Int, backend: Backend) {
        self.dimension = dimension
        self.exactThreshold = exactThreshold
        if case .hnsw(let h) = backend {
            m = h.m
            efConstruction = h.efConstruction
            efSearch = h.efSearch
        } else {
            m = 16
            efConstruction = 200
            efSearch = 128
        }
        backendState = Mutex(backend)
    }

    /// The index currently answering searches.
    public var backend: Backend { backendState.withLock { $0 } }

    public var isApproximate: Bool {
        if case .hnsw = backend { return true }
        return false
    }

    public var count: Int { backend.index.count }

    @discardableResult
    public func add(_ items: [(id: Int64, vector: [Float])]) -> [VectorError] {
        addLock.withLock { _ in
            let current = backend
            let rejected = current.index.add(items)
            guard case .exact(let exact) = current, exact.count > exactThreshold else { return rejected }
            let hnsw = HNSWVectorIndex(
                dimension: dimension, m: m, efConstruction: efConstruction,
                efSearch: efSearch)
            hnsw.add(exact.allItems())
            backendState.withLock { $0 = .hnsw(hnsw) }
            return rejected
        }
    }

    public func search(_ query: [Float], k: Int) -> [VectorHit] {
        backend.index.search(query, k: k)
    }

    public func search(_ query: [Float], k: Int, allowed: (Int64) -> Bool) -> [VectorHit] {
        backend.index.search(query, k: k, allowed: allowed)
    }

    public func vector(id: Int64) -> [Float]? {
        backend.index.vector(id: id)
    }

    public func dots(_ query: [Float], ids: [Int64]) -> [Float] {
        backend.index.dots(query, ids: ids)
    }

    /// Writes the current backend (exact or HNSW) to `url`.
    public func save(to url: URL, modelID: String) throws {
        switch backend {
        case .exact(let index): try index.save(to: url, modelID: modelID)
        case .hnsw(let index): try index.save(to: url, modelID: modelID)
        }
    }

    /// Reads a file written by `save` (by this class, `ExactVectorIndex` or `HNSWVectorIndex`). Throws
    /// `VectorIndexError` (naming the file) if it is unreadable, truncated, corrupt, or built for another model
    /// than `expectedModelID` or another dimension than `expectedDimension`.
    public static func load(
        from url: URL, expectedModelID: String?, expectedDimension: Int? = nil, exactThreshold: Int = 20_000
    ) throws -> AdaptiveVectorIndex {
        let reader = try IndexFileReader(url: url)
        let header = try reader.readHeader()
        try reader.checkModel(header.modelID, expected: expectedModelID)
        if let expectedDimension, header.dimension != expectedDimension {
            throw VectorIndexError.wrongDimension(path: url.path, expected: expectedDimension, found: header.dimension)
        }
        let backend: Backend
        switch header.kind {
        case IndexFileFormat.kindExact:
            backend = .exact(try ExactVectorIndex.load(reader: reader, dimension: header.dimension))
        case IndexFileFormat.kindHNSW:
            backend = .hnsw(try HNSWVectorIndex.load(reader: reader, dimension: header.dimension))
        default:
            throw reader.corrupt("unknown index kind \(header.kind)")
        }
        return AdaptiveVectorIndex(dimension: header.dimension, exactThreshold: exactThreshold, backend: backend)
    }
}
