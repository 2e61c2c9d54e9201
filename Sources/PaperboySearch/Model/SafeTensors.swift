import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opening model files: regular files only (a FIFO or device in the model directory must not block or feed
/// endless bytes), and never more than a limit read.
enum ModelFile {
    /// Opens `path` for reading and checks it is a regular file of at most `maxBytes`; returns the descriptor
    /// (the caller closes it) and the size.
    static func openRegular(_ path: String, maxBytes: Int) throws(EmbeddingModelError)
        -> (descriptor: Int32, size: Int)
    {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw .missingFile(path: path) }
            throw .unreadableFile(path: path, reason: String(cString: strerror(code)))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .unreadableFile(path: path, reason: reason)
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            throw .unreadableFile(path: path, reason: kind == S_IFDIR ? "is a directory" : "is not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            close(fd)
            throw .fileTooLarge(file: (path as NSString).lastPathComponent, limit: maxBytes)
        }
        return (fd, size)
    }

    /// The whole of a small file (config.json, vocab.txt), refusing one of more than `maxBytes`.
    static func contents(of url: URL, maxBytes: Int) throws(EmbeddingModelError) -> Data {
        let (fd, _) = try openRegular(url.path, maxBytes: maxBytes)
        defer { close(fd) }
        // Reads until the end, or until more than allowed arrived (a file that grew since `fstat`).
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while data.count <= maxBytes {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(path: url.path, reason: String(cString: strerror(errno)))
            }
            if got == 0 { break }
            data.append(contentsOf: chunk[0..<got])
        }
        guard data.count <= maxBytes else { throw .fileTooLarge(file: url.lastPathComponent, limit: maxBytes) }
        return data
    }
}

/// A read-only memory mapping of a whole file, unmapped when released.
final class ModelFileMapping: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    /// Files larger than `maxBytes` are refused before they are mapped.
    init(path: String, maxBytes: Int = SafeTensorsFile.maxFileBytes) throws {
        self.path = path
        let (fd, size) = try ModelFile.openRegular(path, maxBytes: maxBytes)
        defer { close(fd) }
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw EmbeddingModelError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}}` (with an optional `__metadata__` entry), then the tensor data.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct TensorInfo: Sendable, Hashable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        /// Byte range inside the data section.
        public let dataRange: Range<Int>
    }

    /// The file name used in error messages (`model.safetensors`).
    public let fileName: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    let file: ModelFileMapping
    let dataStart: Int

    /// Largest model file read (all-MiniLM-L6-v2's is 91 MB).
    public static let maxFileBytes = 1 << 30
    /// Largest JSON header read (the safetensors format's own limit).
    public static let maxHeaderBytes = 100_000_000

    static let elementSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
        "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    public convenience init(url: URL) throws {
        try self.init(mapped: ModelFileMapping(path: url.path))
    }

    init(mapped: ModelFileMapping) throws {
        file = mapped
        let name = (mapped.path as NSString).lastPathComponent
        fileName = name
        let bytes = mapped.bytes
        guard bytes.count >= 8 else {
            throw EmbeddingModelError.corruptHeader(
                file: name, reason: "file has \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8) else {
            throw EmbeddingModelError.corruptHeader(
                file: name,
                reason: "header length \(headerLength) does not fit in the file's \(bytes.count) bytes")
        }
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw EmbeddingModelError.corruptHeader(
                file: name, reason: "header length \(headerLength) is more than \(Self.maxHeaderBytes) bytes")
        }
        // headerLength fits in the file, so in Int.
        let headerEnd = 8 + Int(truncatingIfNeeded: headerLength)
        dataStart = headerEnd
        let headerBytes = Data(bytes[8..<headerEnd])
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: headerBytes)
        } catch {
            throw EmbeddingModelError.corruptHeader(file: name, reason: "header is not valid JSON")
        }
        guard let entries = object as? [String: Any] else {
            throw EmbeddingModelError.corruptHeader(file: name, reason: "header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        var dataEnd = 0
        for (key, value) in entries {
            if key == "__metadata__" {
                if let values = value as? [String: Any] {
                    for (k, v) in values { metadata[k] = v as? String ?? "\(v)" }
                }
                continue
            }
            guard let entry = value as? [String: Any],
                let dtype = entry["dtype"] as? String,
                let shape = Self.integers(entry["shape"]),
                let offsets = Self.integers(entry["data_offsets"]), offsets.count == 2
            else {
                throw EmbeddingModelError.corruptHeader(
                    file: name, reason: "entry \(key) lacks a dtype, shape or data_offsets")
            }
            guard let elementSize = Self.elementSizes[dtype] else {
                throw EmbeddingModelError.corruptHeader(
                    file: name, reason: "tensor \(key) has unknown dtype \(dtype)")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0],
                let count = Self.product(shape + [elementSize]), offsets[1] - offsets[0] == count
            else {
                throw EmbeddingModelError.corruptHeader(
                    file: name,
                    reason: "tensor \(key) has data_offsets \(offsets) that do not match its shape \(shape) "
                        + "of \(dtype)")
            }
            dataEnd = max(dataEnd, offsets[1])
            tensors[key] = TensorInfo(name: key, dtype: dtype, shape: shape, dataRange: offsets[0]..<offsets[1])
        }
        let available = bytes.count - headerEnd
        guard dataEnd <= available else {
            throw EmbeddingModelError.truncatedData(file: name, expectedBytes: dataEnd, actualBytes: available)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The product of `factors`, or nil when it overflows.
    static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// The elements of a JSON array of integers, or nil when it is not one (or an element does not fit in Int).
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for element in array {
            if let number = element as? Int {
                result.append(number)
            } else if let number = element as? NSNumber, let exact = Int(exactly: number.doubleValue) {
                result.append(exact)
            } else {
                return nil
            }
        }
        return result
    }

    /// Information about a tensor, or `missingTensor`.
    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else { throw EmbeddingModelError.missingTensor(file: fileName, name: name) }
        return info
    }

    /// The F32 tensor `name`, checked to have exactly `shape` and no NaN or infinite value.
    public func floats(_ name: String, shape expected: [Int]) throws -> [Float] {
        let info = try info(name)
        guard info.shape == expected else {
            throw EmbeddingModelError.wrongShape(file: fileName, name: name, shape: info.shape, expected: expected)
        }
        guard info.dtype == "F32" else {
            throw EmbeddingModelError.unsupportedDType(file: fileName, name: name, dtype: info.dtype, expected: "F32")
        }
        let count = info.dataRange.count / 4
        // The header check made every tensor's range lie inside the file.
        let source = UnsafeRawBufferPointer(
            rebasing: file.bytes[(dataStart + info.dataRange.lowerBound)..<(dataStart + info.dataRange.upperBound)])
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            // safetensors data is little-endian, as is every platform Paperboy runs on.
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            if UInt32(littleEndian: 1) != 1 {  // big-endian host
                for index in 0..<count {
                    buffer[index] = Float(bitPattern: UInt32(littleEndian: buffer[index].bitPattern))
                }
            }
            initialized = count
        }
        guard values.allSatisfy(\.isFinite) else {
            throw EmbeddingModelError.nonFiniteWeights(file: fileName, name: name)
        }
        return values
    }

    /// The I64 tensor `name` (for example `embeddings.position_ids`).
    public func int64s(_ name: String) throws -> [Int64] {
        let info = try info(name)
        guard info.dtype == "I64" else {
            throw EmbeddingModelError.unsupportedDType(file: fileName, name: name, dtype: info.dtype, expected: "I64")
        }
        let count = info.dataRange.count / 8
        let base = dataStart + info.dataRange.lowerBound
        return (0..<count).map {
            Int64(littleEndian: file.bytes.loadUnaligned(fromByteOffset: base + $0 * 8, as: Int64.self))
        }
    }

    /// The raw bytes of the whole file (for hashing).
    var rawBytes: UnsafeRawBufferPointer { file.bytes }
}
