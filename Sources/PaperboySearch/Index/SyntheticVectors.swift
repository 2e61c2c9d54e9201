import Foundation
import PaperboyCore

/// Deterministic clustered unit vectors for tests and benchmarks: `centres` Gaussian centres (normalised),
/// each point a random centre plus isotropic Gaussian noise of norm ≈ `noise`, normalised. Point `i` of a
/// stream depends only on (seed, stream, i), so sets can be generated in parallel and held-out queries
/// drawn from another stream.
public struct SyntheticClusteredVectors: Sendable {
    public let dimension: Int
    public let noise: Float
    public let seed: UInt64
    private let centreVectors: [Float]
    public var centres: Int { centreVectors.count / dimension }

    public init(dimension: Int, centres: Int = 2_000, noise: Float = 0.5, seed: UInt64 = 7) {
        self.dimension = dimension
        self.noise = noise
        self.seed = seed
        var all = [Float](repeating: 0, count: centres * dimension)
        for c in 0..<centres {
            var rng = SplitMix64(seed: Self.mix(seed, 0xC0FFEE, UInt64(c)))
            var v = Self.gaussians(dimension, &rng)
            Self.normalise(&v)
            for j in 0..<dimension { all[c * dimension + j] = v[j] }
        }
        centreVectors = all
    }

    /// Point `index` of `stream` (stream 0: the data set; other streams: held-out queries).
    public func point(_ index: Int, stream: UInt64 = 0) -> [Float] {
        var rng = SplitMix64(seed: Self.mix(seed, stream &+ 1, UInt64(index)))
        let centre = Int(rng.next() % UInt64(centres))
        var v = Self.gaussians(dimension, &rng)
        let s = noise / Float(dimension).squareRoot()
        for j in 0..<dimension { v[j] = centreVectors[centre * dimension + j] + s * v[j] }
        Self.normalise(&v)
        return v
    }

    public func points(_ range: Range<Int>, stream: UInt64 = 0) -> [[Float]] {
        range.map { point($0, stream: stream) }
    }

    private static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var r = SplitMix64(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        return r.next()
    }

    private static func gaussians(_ n: Int, _ rng: inout SplitMix64) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        var i = 0
        while i < n {
            let u1 = max(Double(rng.next() >> 11) * 0x1p-53, 1e-300)
            let u2 = Double(rng.next() >> 11) * 0x1p-53
            let r = (-2 * log(u1)).squareRoot()
            out[i] = Float(r * cos(2 * .pi * u2))
            if i + 1 < n { out[i + 1] = Float(r * sin(2 * .pi * u2)) }
            i += 2
        }
        return out
    }

    static func normalise(_ v: inout [Float]) {
        var sum: Float = 0
        for x in v { sum += x * x }
        let inv = sum > 0 ? 1 / sum.squareRoot() : 0
        for j in v.indices { v[j] *= inv }
    }
}
