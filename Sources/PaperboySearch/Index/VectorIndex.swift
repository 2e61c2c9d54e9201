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
public protocol VectorIndex: AnyObject, Sendable {
    var dimension: Int { get }
    /// Number of distinct ids stored.
    var count: Int { get }
    /// Adds a vector (already L2-normalised). Re-adding an id replaces its vector.
    func add(id: Int64, vector: [Float])
    /// Adds many vectors; may use several threads.
    func add(_ items: [(id: Int64, vector: [Float])])
    func search(_ query: [Float], k: Int) -> [VectorHit]
    /// Returns up to `k` hits among the ids for which `allowed` returns true (k whenever that many exist).
    func search(_ query: [Float], k: Int, allowed: (Int64) -> Bool) -> [VectorHit]
    /// The stored vector (approximate, dequantised, for quantised indexes).
    func vector(id: Int64) -> [Float]?
}

/// Errors reading or writing an index file. Every case names the file.
public enum VectorIndexError: Error, CustomStringConvertible, Equatable {
    case io(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case unsupportedVersion(path: String, version: UInt32)
    case wrongKind(path: String, expected: String, found: String)
    case modelMismatch(path: String, expected: String, found: String)

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
        }
    }
}
