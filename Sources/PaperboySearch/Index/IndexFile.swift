import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The binary index file format shared by the exact and HNSW indexes (little-endian):
///
///     magic "PBVECIDX" · version u32 · kind u32 · dimension u32 · model id (u32 length + UTF-8)
///     · kind-specific header · sections (raw arrays) · checksum u64 over everything before it · "PBVECEND"
///
/// Loading checks the file length against the header before reading the arrays and the checksum after.
enum IndexFileFormat {
    static let magic: [UInt8] = Array("PBVECIDX".utf8)
    static let endMagic: [UInt8] = Array("PBVECEND".utf8)
    static let version: UInt32 = 1
    static let kindExact: UInt32 = 1
    static let kindHNSW: UInt32 = 2

    static func kindName(_ kind: UInt32) -> String {
        switch kind {
        case kindExact: return "exact"
        case kindHNSW: return "HNSW"
        default: return "unknown (\(kind))"
        }
    }
}

/// A streaming 64-bit checksum (multiply-xor over 8-byte words, four lanes); independent of how the bytes
/// are split between `update` calls.
struct IndexFileChecksum {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var c: UInt64 = 0x1656_67B1_9E37_79F9
    private var d: UInt64 = 0x27D4_EB2F_1656_67C5
    private var length: UInt64 = 0
    private var pending: [UInt8] = []
    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    @inline(__always)
    private mutating func block(_ p: UnsafeRawPointer) {
        a = (a ^ p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) &* Self.prime
        b = (b ^ p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) &* Self.prime
        c = (c ^ p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) &* Self.prime
        d = (d ^ p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) &* Self.prime
        a ^= a >> 29
        b ^= b >> 29
        c ^= c >> 29
        d ^= d >> 29
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        length &+= UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        if !pending.isEmpty {
            let take = min(32 - pending.count, n)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            i = take
            if pending.count < 32 { return }
            pending.withUnsafeBytes { full in
                if let start = full.baseAddress { block(start) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        while i + 32 <= n {
            block(base + i)
            i += 32
        }
        if i < n { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + i, count: n - i)) }
    }

    var value: UInt64 {
        var h = a ^ (b &* 31) ^ (c &* 127) ^ (d &* 8191) ^ length
        for byte in pending { h = (h ^ UInt64(byte)) &* Self.prime }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }
}

/// Writes an index file to a temporary path beside the target, then renames it into place.
final class IndexFileWriter {
    let url: URL
    private let tempPath: String
    private var file: UnsafeMutablePointer<FILE>?
    private var checksum = IndexFileChecksum()

    init(url: URL) throws {
        self.url = url
        tempPath = url.path + ".tmp-\(getpid())"
        guard let f = fopen(tempPath, "wb") else {
            throw VectorIndexError.io(path: url.path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        file = f
    }

    deinit {
        if let file {
            fclose(file)
            unlink(tempPath)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        checksum.update(bytes)
        try writeRaw(base, bytes.count)
    }

    private func writeRaw(_ base: UnsafeRawPointer?, _ count: Int) throws {
        guard count > 0, let base else { return }
        if fwrite(base, 1, count, file) != count {
            throw VectorIndexError.io(path: url.path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
    }

    func write<T: FixedWidthInteger>(_ value: T) throws {
        var v = value.littleEndian
        try withUnsafeBytes(of: &v) { try write($0) }
    }

    func write(_ string: String) throws {
        let bytes = Array(string.utf8)
        try write(UInt32(bytes.count))
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write<T>(_ pointer: UnsafePointer<T>, count: Int) throws {
        try write(UnsafeRawBufferPointer(start: pointer, count: count * MemoryLayout<T>.stride))
    }

    /// Writes the checksum and end marker, flushes, and renames the file into place.
    func finish() throws {
        var sum = checksum.value.littleEndian
        try withUnsafeBytes(of: &sum) { try writeRaw($0.baseAddress, 8) }
        try IndexFileFormat.endMagic.withUnsafeBytes { try writeRaw($0.baseAddress, 8) }
        let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        file = nil
        guard flushed else {
            unlink(tempPath)
            throw VectorIndexError.io(path: url.path, reason: "flush failed: \(String(cString: strerror(errno)))")
        }
        if rename(tempPath, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tempPath)
            throw VectorIndexError.io(path: url.path, reason: "rename failed: \(reason)")
        }
    }
}

/// Reads an index file sequentially, checking lengths against the file size.
final class IndexFileReader {
    let url: URL
    let fileSize: Int
    private(set) var offset = 0
    private var file: UnsafeMutablePointer<FILE>?
    private var checksum = IndexFileChecksum()

    var path: String { url.path }

    init(url: URL) throws {
        self.url = url
        guard let f = fopen(url.path, "rb") else {
            throw VectorIndexError.io(path: url.path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        file = f
        var st = stat()
        guard fstat(fileno(f), &st) == 0 else {
            throw VectorIndexError.io(path: url.path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        fileSize = Int(st.st_size)
    }

    deinit {
        if let file { fclose(file) }
    }

    func corrupt(_ reason: String) -> VectorIndexError {
        .corrupt(path: url.path, reason: reason)
    }

    /// Fails unless `bytes` more bytes (plus the 16-byte trailer) fit in the file.
    func require(_ bytes: Int, _ what: String) throws {
        guard bytes >= 0, bytes <= fileSize - offset - 16 else {
            throw corrupt("truncated: \(what) needs \(bytes) bytes at offset \(offset), file has \(fileSize)")
        }
    }

    /// `count` items of `size` bytes each, or a `corrupt` error when that overflows; `size` is positive.
    func byteCount(_ count: Int, _ size: Int, _ what: String) throws -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        guard count >= 0, !overflow else { throw corrupt("\(what): \(count) items of \(size) bytes is too large") }
        return bytes
    }

    /// A count stored as UInt64, as an Int, or a `corrupt` error when it cannot be one.
    func readCount(_ what: String) throws -> Int {
        let value = try read(UInt64.self, what)
        guard let count = Int(exactly: value) else { throw corrupt("\(what) \(value) is too large") }
        return count
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, _ what: String) throws {
        try require(buffer.count, what)
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        if fread(base, 1, buffer.count, file) != buffer.count {
            throw VectorIndexError.io(path: url.path, reason: "read failed in \(what)")
        }
        checksum.update(UnsafeRawBufferPointer(buffer))
        offset += buffer.count
    }

    func read<T>(into pointer: UnsafeMutablePointer<T>, count: Int, _ what: String) throws {
        let bytes = try byteCount(count, MemoryLayout<T>.stride, what)
        try read(into: UnsafeMutableRawBufferPointer(start: pointer, count: bytes), what)
    }

    func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
        var v: T = 0
        try withUnsafeMutableBytes(of: &v) { try read(into: $0, what) }
        return T(littleEndian: v)
    }

    func readString(_ what: String, maxLength: Int = 4096) throws -> String {
        let n = Int(try read(UInt32.self, what))
        guard n <= maxLength else { throw corrupt("\(what) length \(n) is implausible") }
        var bytes = [UInt8](repeating: 0, count: n)
        try bytes.withUnsafeMutableBytes { try read(into: $0, what) }
        guard let s = String(validating: bytes, as: UTF8.self) else { throw corrupt("\(what) is not UTF-8") }
        return s
    }

    /// Reads the common header; returns (kind, dimension, model id).
    func readHeader() throws -> (kind: UInt32, dimension: Int, modelID: String) {
        guard fileSize >= 8 + 16 else { throw corrupt("file is too short (\(fileSize) bytes)") }
        var magic = [UInt8](repeating: 0, count: 8)
        try magic.withUnsafeMutableBytes { try read(into: $0, "magic") }
        guard magic == IndexFileFormat.magic else { throw corrupt("not a Paperboy vector index (bad magic)") }
        let version = try read(UInt32.self, "version")
        guard version == IndexFileFormat.version else {
            throw VectorIndexError.unsupportedVersion(path: url.path, version: version)
        }
        let kind = try read(UInt32.self, "kind")
        let dimension = Int(try read(UInt32.self, "dimension"))
        guard dimension > 0, dimension <= VectorIndexLimits.maxDimension else {
            throw corrupt("implausible dimension \(dimension)")
        }
        let modelID = try readString("model id")
        return (kind, dimension, modelID)
    }

    /// Checks that exactly the trailer remains and that the checksum matches.
    func finish() throws {
        guard offset + 16 == fileSize else {
            throw corrupt("expected the trailer at offset \(offset) but the file has \(fileSize) bytes")
        }
        var stored: UInt64 = 0
        var end = [UInt8](repeating: 0, count: 8)
        let ok =
            withUnsafeMutableBytes(of: &stored) { fread($0.baseAddress, 1, 8, file) == 8 }
            && end.withUnsafeMutableBytes { fread($0.baseAddress, 1, 8, file) == 8 }
        guard ok else { throw VectorIndexError.io(path: url.path, reason: "read failed in trailer") }
        guard end == IndexFileFormat.endMagic else { throw corrupt("bad end marker") }
        guard UInt64(littleEndian: stored) == checksum.value else { throw corrupt("checksum mismatch") }
    }
}

extension IndexFileReader {
    /// Validates a model id from a file against the caller's expectation.
    /// Opens an index file and checks its header: the kind of index (`kindName` for messages) and the model.
    /// Returns the reader, positioned after the header, and the dimension.
    static func open(_ url: URL, kind: UInt32, kindName: String, expectedModelID: String?) throws
        -> (reader: IndexFileReader, dimension: Int)
    {
        let reader = try IndexFileReader(url: url)
        let header = try reader.readHeader()
        guard header.kind == kind else {
            throw VectorIndexError.wrongKind(
                path: url.path, expected: kindName, found: IndexFileFormat.kindName(header.kind))
        }
        try reader.checkModel(header.modelID, expected: expectedModelID)
        return (reader, header.dimension)
    }

    func checkModel(_ found: String, expected: String?) throws {
        if let expected, expected != found {
            throw VectorIndexError.modelMismatch(path: path, expected: expected, found: found)
        }
    }
}
