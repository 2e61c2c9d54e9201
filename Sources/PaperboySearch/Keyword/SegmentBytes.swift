import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes of one keyword segment, read in place: a file mapped into memory, or a buffer a builder made. Never
/// written after creation, so readers on any thread share it.
final class SegmentBytes: @unchecked Sendable {
    // @unchecked: the memory is written once before `init` returns and only read afterwards.
    let base: UnsafeRawPointer
    let count: Int
    private let mapped: Bool

    /// Takes ownership of the bytes of `buffer`.
    init(copying buffer: [UInt8]) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(buffer.count, 8), alignment: 16)
        buffer.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { memory.copyMemory(from: source, byteCount: bytes.count) }
        }
        base = UnsafeRawPointer(memory)
        count = buffer.count
        mapped = false
    }

    /// Maps the file read-only. The mapping stays valid after the file is deleted (a merge replaced it).
    init(mapping path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw KeywordIndexError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw KeywordIndexError.io(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(st.st_size)
        guard size >= SegmentLayout.headerSize else {
            throw KeywordIndexError.corrupt(path: path, reason: "\(size) bytes is shorter than a segment header")
        }
        guard let memory = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), memory != MAP_FAILED else {
            throw KeywordIndexError.io(path: path, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(memory)
        count = size
        mapped = true
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always) func i64(_ offset: Int) -> Int64 {
        Int64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    @inline(__always) func byte(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }

    /// The checksum of everything after the header.
    func checksum() -> UInt64 {
        var sum = IndexFileChecksum()
        sum.update(
            UnsafeRawBufferPointer(start: base + SegmentLayout.headerSize, count: count - SegmentLayout.headerSize))
        return sum.value
    }
}

/// Why a keyword index could not be read or written. A corrupt or unreadable index is rebuilt from the store, never
/// served.
public enum KeywordIndexError: Error, Equatable, CustomStringConvertible {
    case io(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case locked(directory: String)
    /// Written by a Paperboy of another file format (an upgrade): rebuilt, as a damaged one is.
    case otherFormat(path: String, found: Int, expected: Int)
    /// Built from another database than the one it now stands beside.
    case otherStore(path: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): "keyword index \(path): \(reason)"
        case .corrupt(let path, let reason): "keyword index \(path) is damaged: \(reason)"
        case .otherFormat(let path, let found, let expected):
            "keyword index \(path) is in file format \(found); this Paperboy reads format \(expected)"
        case .otherStore(let path): "keyword index \(path) was built from another database"
        case .locked(let directory):
            "the keyword index directory \(directory) is in use by another Paperboy process; give this one its own "
                + "--index-dir"
        }
    }
}

/// Appends little-endian values to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func align(_ n: Int) {
        while bytes.count % n != 0 { bytes.append(0) }
    }

    mutating func patchU64(at offset: Int, _ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { raw in
            for i in 0..<8 { bytes[offset + i] = raw[i] }
        }
    }
}

/// Variable-length unsigned integers (7 bits a byte, low first).
enum VarInt {
    @inline(__always) static func append(_ value: some FixedWidthInteger & UnsignedInteger, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Reads one at `offset` (advancing it); reads past `end` give 0 and stop there, and bits past the type's width
    /// are dropped, so damaged bytes cannot trap.
    @inline(__always) static func read<T: FixedWidthInteger & UnsignedInteger>(
        _ base: UnsafeRawPointer, _ offset: inout Int, end: Int, as: T.Type
    ) -> T {
        var result: T = 0
        var shift = 0
        while offset < end {
            let b = base.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            if shift < T.bitWidth { result |= T(b & 0x7F) << shift }
            if b < 0x80 { return result }
            shift += 7
        }
        return result
    }

    @inline(__always) static func read(_ base: UnsafeRawPointer, _ offset: inout Int, end: Int) -> UInt32 {
        read(base, &offset, end: end, as: UInt32.self)
    }

    @inline(__always) static func read64(_ base: UnsafeRawPointer, _ offset: inout Int, end: Int) -> UInt64 {
        read(base, &offset, end: end, as: UInt64.self)
    }
}
