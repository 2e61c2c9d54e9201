import Foundation

/// One result: the caller's id and the cosine similarity (higher is better).
public struct VectorHit: Sendable, Hashable {
    public let id: Int64
    public let score: Float

    public init(id: Int64, score: Float) {
        self.id = id
        self.score = score
    }
}

/// A collection of L2-normalised vectors searchable by cosine similarity (dot product).
///
/// Implementations are safe to search from many tasks while another task adds. The `allowed` filter runs
/// synchronously inside `search`, while the index holds its read lock: it must not call back into the index.
///
/// Vectors that do not fit (another dimension, NaN or infinite values) are never stored: `add` returns them as
/// ``VectorError``s, and a search with such a query returns no hits. Callers that want the reason as an error
/// call ``check(_:id:)`` first.
public protocol VectorIndex: AnyObject, Sendable {
    var dimension: Int { get }
    /// Number of distinct ids stored.
    var count: Int { get }
    /// Adds a vector (already L2-normalised). Re-adding an id replaces its vector. Returns why the vector was
    /// refused, or nil when it was added.
    @discardableResult func add(id: Int64, vector: [Float]) -> VectorError?
    /// Adds many vectors; may use several threads. Returns the refused ones (the others are added).
    @discardableResult func add(_ items: [(id: Int64, vector: [Float])]) -> [VectorError]
    /// The `k` nearest vectors (fewer when fewer are stored). Any `k` is safe: it is capped at `count`.
    func search(_ query: [Float], k: Int) -> [VectorHit]
    /// Returns up to `k` hits among the ids for which `allowed` returns true (k whenever that many exist).
    func search(_ query: [Float], k: Int, allowed: (Int64) -> Bool) -> [VectorHit]
    /// The stored vector (approximate, dequantised, for quantised indexes).
    func vector(id: Int64) -> [Float]?
    /// The dot product of `query` with the vector of each id, in order: NaN for an id with no vector, all NaN for a
    /// query that does not fit. One pass over the given ids (a recommender scores a window of papers with it).
    func dots(_ query: [Float], ids: [Int64]) -> [Float]
}

extension VectorIndex {
    /// Adds one vector: ``add(_:)`` with one item.
    @discardableResult
    public func add(id: Int64, vector: [Float]) -> VectorError? {
        add([(id: id, vector: vector)]).first
    }

    /// Throws unless `vector` can be stored in or searched with this index.
    public func check(_ vector: [Float], id: Int64? = nil) throws(VectorError) {
        if let problem = VectorError.problem(vector, id: id, dimension: dimension) { throw problem }
    }

    /// Whether `vector` can be stored in or searched with this index.
    public func accepts(_ vector: [Float]) -> Bool {
        VectorError.problem(vector, id: nil, dimension: dimension) == nil
    }
}

/// Why a vector cannot be stored in or searched with an index.
public enum VectorError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The vector has `found` components; the index holds vectors of `expected`.
    case wrongDimension(id: Int64?, found: Int, expected: Int)
    /// The vector holds NaN or an infinity.
    case notFinite(id: Int64?)

    public var description: String {
        switch self {
        case .wrongDimension(let id, let found, let expected):
            return "\(Self.subject(id)) has \(found) dimensions, the index holds \(expected)"
        case .notFinite(let id):
            return "\(Self.subject(id)) holds NaN or infinite values"
        }
    }

    private static func subject(_ id: Int64?) -> String { id.map { "vector \($0)" } ?? "the vector" }

    /// The problem with `vector` for an index of `dimension`, or nil when there is none.
    static func problem(_ vector: [Float], id: Int64?, dimension: Int) -> VectorError? {
        guard vector.count == dimension else {
            return .wrongDimension(id: id, found: vector.count, expected: dimension)
        }
        for value in vector where !value.isFinite { return .notFinite(id: id) }
        return nil
    }

    /// Splits `items` into those an index of `dimension` can store and the errors of the others.
    static func partition(_ items: [(id: Int64, vector: [Float])], dimension: Int)
        -> (valid: [(id: Int64, vector: [Float])], rejected: [VectorError])
    {
        var rejected: [VectorError] = []
        for item in items {
            if let problem = problem(item.vector, id: item.id, dimension: dimension) { rejected.append(problem) }
        }
        if rejected.isEmpty { return (items, []) }
        let valid = items.filter { problem($0.vector, id: $0.id, dimension: dimension) == nil }
        return (valid, rejected)
    }
}

/// Bounds on index parameters, whatever a caller or a file asks for.
public enum VectorIndexLimits {
    /// Largest vector dimension an index holds (index files with more are corrupt).
    public static let maxDimension = 65_536

    /// `dimension` brought into 1...maxDimension.
    static func clampedDimension(_ dimension: Int) -> Int { min(max(dimension, 1), maxDimension) }
}

/// Errors reading or writing an index file. Every case names the file.
public enum VectorIndexError: Error, CustomStringConvertible, Equatable {
    case io(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case unsupportedVersion(path: String, version: UInt32)
    case wrongKind(path: String, expected: String, found: String)
    case modelMismatch(path: String, expected: String, found: String)
    /// The file holds vectors of another dimension than the model's.
    case wrongDimension(path: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case .io(let path, let reason):
            return "vector index file \(path): \(reason)"
        case .corrupt(let path, let reason):
            return "vector index file \(path) is corrupt: \(reason)"
        case .unsupportedVersion(let path, let version):
            return "vector index file \(path) has unsupported format version \(version)"
        case .wrongKind(let path, let expected, let found):
            return "vector index file \(path) holds a \(found) index, expected \(expected)"
        case .modelMismatch(let path, let expected, let found):
            return "vector index file \(path) was built for model '\(found)', expected '\(expected)'"
        case .wrongDimension(let path, let expected, let found):
            return "vector index file \(path) holds vectors of \(found) dimensions, expected \(expected)"
        }
    }
}
