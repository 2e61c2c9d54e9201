/// Element-wise kernels of the forward pass. Written as plain loops over pointers without calls, so that they
/// auto-vectorise in release builds and stay tolerable in debug builds (generic SIMD types are very slow there).
enum VectorMath {
    /// exp(x) (Cephes expf: range reduction by ln 2 and a degree-6 polynomial; within 2 ulp for x in
    /// [-87, 88]; smaller x give about 1e-38 instead of 0).
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        let x = min(max(input, -87.3), 88.3)
        // Round x·log2(e) to the nearest integer n with the 1.5·2^23 trick (no floor call, so loops vectorise);
        // n also sits in the low bits of `shifted`.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var y: Float = 1.987_569_15e-4
        y = y * r + 1.398_199_95e-3
        y = y * r + 8.333_451_9e-3
        y = y * r + 4.166_579_59e-2
        y = y * r + 1.666_666_55e-1
        y = y * r + 5.000_000_12e-1
        y = y * (r * r) + r + 1
        return y * Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    }

    /// erf(x), |error| < 1.5e-7 plus rounding (Abramowitz & Stegun 7.1.26: 1 - t·P(t)·exp(-x²),
    /// t = 1/(1 + p|x|)).
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        let a = Swift.abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p: Float = 1.061_405_429
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let y = 1 - p * t * exp(-(a * a))
        return x < 0 ? -y : y
    }

    /// In place: v = gelu(v + bias) per row, gelu(x) = x/2 · (1 + erf(x/√2)).
    static func biasGELU(_ v: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = v + r * columns
            for c in 0..<columns {
                let x = row[c] + bias[c]
                row[c] = 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5))
            }
        }
    }

    /// In place: v += bias per row.
    static func addBias(_ v: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = v + r * columns
            for c in 0..<columns { row[c] += bias[c] }
        }
    }

    /// out = LayerNorm(a + bias + residual) per row (residual may alias out).
    static func addLayerNorm(
        _ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, residual: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        rows: Int, columns: Int, out: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let src = a + r * columns
            let res = residual + r * columns
            let dst = out + r * columns
            for c in 0..<columns { dst[c] = src[c] + bias[c] + res[c] }
            normalizeRow(dst, gamma: gamma, beta: beta, epsilon: epsilon, columns: columns)
        }
    }

    /// In place LayerNorm of each row.
    static func layerNorm(
        _ v: UnsafeMutablePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        rows: Int, columns: Int
    ) {
        for r in 0..<rows {
            normalizeRow(v + r * columns, gamma: gamma, beta: beta, epsilon: epsilon, columns: columns)
        }
    }

    /// Sum with eight interleaved accumulators (vectorises; pairwise-like accuracy); a `count` that is not a
    /// multiple of 8 adds its last elements one by one.
    @inline(__always)
    private static func sum8(_ count: Int, _ element: (Int) -> Float) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var i = 0
        let whole = count - count % 8
        while i < whole {
            s0 += element(i)
            s1 += element(i + 1)
            s2 += element(i + 2)
            s3 += element(i + 3)
            s4 += element(i + 4)
            s5 += element(i + 5)
            s6 += element(i + 6)
            s7 += element(i + 7)
            i += 8
        }
        var rest: Float = 0
        while i < count {
            rest += element(i)
            i += 1
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)) + rest
    }

    @inline(__always)
    private static func normalizeRow(
        _ row: UnsafeMutablePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, columns: Int
    ) {
        let mean = sum8(columns) { row[$0] } / Float(columns)
        let variance = sum8(columns) { (row[$0] - mean) * (row[$0] - mean) } / Float(columns)
        let inverse = 1 / (variance + epsilon).squareRoot()
        for c in 0..<columns { row[c] = (row[c] - mean) * inverse * gamma[c] + beta[c] }
    }

    /// In place softmax of the first `count` entries of `row` (the rest, masked keys, are not touched).
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for j in 0..<count { maximum = max(maximum, row[j]) }
        for j in 0..<count { row[j] = exp(row[j] - maximum) }
        var total: Float = 0
        for j in 0..<count { total += row[j] }
        let scale = 1 / total
        for j in 0..<count { row[j] *= scale }
    }
}
