/// The 64-bit FNV-1a hash: fast, stable across runs and machines (unlike `Hasher`), not for security. Tells a
/// changed text or answer from an unchanged one.
public struct FNV1a: Sendable {
    @usableFromInline var state: UInt64 = 0xcbf2_9ce4_8422_2325

    /// The hash of everything combined so far.
    public var value: UInt64 { state }

    public init() {}

    /// Inlinable, so that hashing a buffer in another module runs as a tight loop.
    @inlinable
    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            state ^= UInt64(byte)
            state = state &* 0x100_0000_01b3
        }
    }

    /// The value as 16 lowercase hex digits.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
