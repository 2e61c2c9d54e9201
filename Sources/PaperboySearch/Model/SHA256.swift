import Crypto

/// SHA-256 fingerprints of the model file (swift-crypto), in lowercase hex as `sha256sum` prints them.
enum SHA256Digest {
    /// Bytes handed to the hash at a time.
    static let chunkBytes = 1 << 20

    /// Hex SHA-256 of `bytes`, fed to the hash `chunkBytes` at a time: for the memory-mapped model file, only the
    /// pages of the current chunk need to be read in, and nothing is copied.
    static func hex(of bytes: UnsafeRawBufferPointer, chunkBytes: Int = chunkBytes) -> String {
        var hasher = SHA256()
        let step = max(1, chunkBytes)
        var start = 0
        while start < bytes.count {
            let end = start + min(step, bytes.count - start)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * SHA256.byteCount)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
