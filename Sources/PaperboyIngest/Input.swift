import CompressNIO
import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

@inline(__always)
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
        Darwin.read(fd, buffer, count)
    #elseif canImport(Musl)
        Musl.read(fd, buffer, count)
    #else
        Glibc.read(fd, buffer, count)
    #endif
}

/// The kinds of input the ingestor reads, told apart by their first bytes.
public enum IngestFormat: String, Sendable, Equatable, CaseIterable {
    /// gzip-compressed; the format inside is detected after decompressing.
    case gzip
    /// The arXiv bulk metadata snapshot: one JSON object per line.
    case jsonLines
    /// An OAI-PMH response (`ListRecords` or `GetRecord`) with `arXivRaw` or `arXiv` metadata.
    case oaiPMH
    /// An arXiv API Atom feed.
    case atom

    /// How many leading bytes ``detect(_:)`` wants to see.
    public static let prefixLength = 4096

    /// Detects the format from the first bytes of an input (see ``prefixLength``). An empty or blank input
    /// counts as (empty) JSON lines. Nil when the bytes look like none of the formats.
    public static func detect(_ prefix: some Collection<UInt8>) -> IngestFormat? {
        let bytes = Array(prefix.prefix(prefixLength))
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B { return .gzip }
        var i = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }  // UTF-8 BOM
        while i < bytes.count, Normalize.isSpace(bytes[i]) { i += 1 }
        guard i < bytes.count else { return .jsonLines }
        if bytes[i] == UInt8(ascii: "{") { return .jsonLines }
        guard bytes[i] == UInt8(ascii: "<") else { return nil }
        // Skip the XML declaration, comments and processing instructions, then look at the root element.
        let text = String(decoding: bytes[i...], as: UTF8.self)
        var rest = Substring(text)
        while true {
            rest = rest.drop(while: { $0.isWhitespace })
            if rest.hasPrefix("<?") {
                guard let end = rest.range(of: "?>") else { return nil }
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("<!--") {
                guard let end = rest.range(of: "-->") else { return nil }
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("<!") {
                guard let end = rest.firstIndex(of: ">") else { return nil }
                rest = rest[rest.index(after: end)...]
            } else {
                break
            }
        }
        guard rest.hasPrefix("<") else { return nil }
        let name = rest.dropFirst().prefix(while: { !$0.isWhitespace && $0 != ">" && $0 != "/" })
        let local = name.split(separator: ":").last.map(String.init) ?? ""
        switch local {
        case "OAI-PMH": return .oaiPMH
        case "feed": return .atom
        default: return nil
        }
    }
}

/// Reads an input in chunks: a file, standard input, or the decompressed content of either.
protocol ByteSource: AnyObject {
    /// Up to about `chunkSize` bytes; an empty array at the end.
    func read() throws(IngestError) -> [UInt8]
    /// Bytes read from the underlying file so far (compressed bytes for gzip).
    var bytesRead: Int { get }
    /// Bytes peeked at and not yet returned by `read()`.
    var unread: [UInt8] { get set }
}

extension ByteSource {
    /// Reads at least `count` bytes (or to the end) without consuming them.
    func peek(_ count: Int) throws(IngestError) -> [UInt8] {
        while unread.count < count {
            let saved = unread
            unread = []
            let chunk = try read()
            unread = saved + chunk
            if chunk.isEmpty { break }
        }
        return Array(unread.prefix(count))
    }
}

final class FileSource: ByteSource {
    let file: String
    let fd: Int32
    let ownsDescriptor: Bool
    let chunkSize: Int
    private(set) var bytesRead = 0
    /// The size of a regular file; nil for pipes and terminals.
    let totalBytes: Int?
    /// Bytes that were read ahead (for format detection) and are returned first.
    var unread: [UInt8] = []

    init(path: String, chunkSize: Int = 1 << 20) throws(IngestError) {
        file = path
        self.chunkSize = chunkSize
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            let opened = open(path, O_RDONLY)
            guard opened >= 0 else { throw IngestError.io(file: path, reason: String(cString: strerror(errno))) }
            fd = opened
            ownsDescriptor = true
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            totalBytes = Int(info.st_size)
        } else {
            totalBytes = nil
        }
        if ownsDescriptor, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw IngestError.io(file: path, reason: "is a directory")
        }
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    func read() throws(IngestError) -> [UInt8] {
        if !unread.isEmpty {
            defer { unread = [] }
            return unread
        }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, chunkSize) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError.io(file: file, reason: String(cString: strerror(errno)))
            }
            buffer.removeLast(chunkSize - n)
            bytesRead += n
            return buffer
        }
    }

}

/// Bytes in memory, handed out in chunks of `chunkSize` (for fuzzing and tests).
final class MemorySource: ByteSource {
    let bytes: [UInt8]
    let chunkSize: Int
    private(set) var bytesRead = 0
    var unread: [UInt8] = []

    init(_ bytes: [UInt8], chunkSize: Int = 1 << 20) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    func read() throws(IngestError) -> [UInt8] {
        if !unread.isEmpty {
            defer { unread = [] }
            return unread
        }
        let end = bytesRead + min(chunkSize, bytes.count - bytesRead)
        defer { bytesRead = end }
        return Array(bytes[bytesRead..<end])
    }
}

/// Inflates a gzip stream (also several concatenated members) chunk by chunk, with CompressNIO's zlib
/// decompressor. At most one input chunk and one output chunk are held, so a "decompression bomb" is just a
/// long stream to the reader.
final class GzipSource: ByteSource {
    let inner: any ByteSource
    let file: String
    let decompressor: ZlibDecompressor
    /// Compressed bytes not yet inflated. Keeps its storage (and so a valid base address) when empty.
    var input: ByteBuffer
    var output: ByteBuffer
    var finishedInput = false
    /// True when the current member ended (zlib said so); more input then starts the next member.
    var atMemberEnd = false
    let chunkSize: Int
    /// Decompressed bytes read ahead and returned first.
    var unread: [UInt8] = []

    init(_ inner: any ByteSource, file: String, chunkSize: Int = 1 << 20) throws(IngestError) {
        self.inner = inner
        self.file = file
        self.chunkSize = max(1, chunkSize)
        do {
            decompressor = try ZlibDecompressor(algorithm: .gzip, windowSize: 15)
        } catch {
            throw IngestError.io(file: file, reason: "cannot start gzip decompression (\(error))")
        }
        let allocator = ByteBufferAllocator()
        input = allocator.buffer(capacity: self.chunkSize)
        output = allocator.buffer(capacity: self.chunkSize)
    }

    var bytesRead: Int { inner.bytesRead }

    func read() throws(IngestError) -> [UInt8] {
        if !unread.isEmpty {
            defer { unread = [] }
            return unread
        }
        output.clear()
        while output.writableBytes > 0 {
            if input.readableBytes == 0, !finishedInput {
                let chunk = try inner.read()
                if chunk.isEmpty {
                    finishedInput = true
                } else {
                    input.clear()
                    input.writeBytes(chunk)
                }
            }
            if input.readableBytes == 0 {
                // The end of the file: what zlib still holds, or the news that the data stops mid-member.
                if atMemberEnd { break }
                let written = output.writerIndex
                switch try inflate() {
                case .outputFull: break
                case .ended where output.writerIndex == written: atMemberEnd = true
                case .needsInput where output.writerIndex == written:
                    throw IngestError.corrupt(file: file, reason: "gzip data ends unexpectedly")
                case .ended, .needsInput: continue
                }
                break
            }
            if atMemberEnd {
                // More data after a member: the next member of a concatenated gzip file.
                do {
                    try decompressor.reset()
                } catch {
                    throw IngestError.corrupt(file: file, reason: "invalid gzip data")
                }
                atMemberEnd = false
            }
            let available = input.readableBytes
            let written = output.writerIndex
            switch try inflate() {
            case .needsInput:
                continue
            case .outputFull:
                if output.writableBytes > 0, input.readableBytes == available, output.writerIndex == written {
                    throw IngestError.corrupt(file: file, reason: "invalid gzip data")
                }
            case .ended:
                // Without an error zlib stops before the end of its input only at the end of a member. When the
                // input ran out exactly there, the next call (with more input, or at the end of the file) tells.
                if input.readableBytes > 0 { atMemberEnd = true }
            }
        }
        return Array(output.readableBytesView)
    }

    enum InflateOutcome { case ended, needsInput, outputFull }

    /// One `inflate` call from `input` into the free part of `output`. `ended` means zlib reported no
    /// problem: the member ended, or all input was used with room left in the output.
    private func inflate() throws(IngestError) -> InflateOutcome {
        do {
            try decompressor.inflate(from: &input, to: &output)
            return .ended
        } catch let error as CompressNIOError where error == .inputBufferOverflow {
            return .needsInput
        } catch let error as CompressNIOError where error == .bufferOverflow {
            return .outputFull
        } catch let error as CompressNIOError where error == .corruptData {
            throw IngestError.corrupt(file: file, reason: "invalid gzip data")
        } catch {
            throw IngestError.corrupt(file: file, reason: "invalid gzip data (\(error))")
        }
    }
}

/// An opened input with its detected format.
struct OpenedInput {
    let source: any ByteSource
    let format: IngestFormat
    let compressed: Bool
    let totalBytes: Int?

    static func open(_ path: String) throws(IngestError) -> OpenedInput {
        let file = try FileSource(path: path)
        let head = try file.peek(IngestFormat.prefixLength)
        guard let format = IngestFormat.detect(head) else { throw IngestError.unknownFormat(file: path) }
        if format != .gzip {
            return OpenedInput(source: file, format: format, compressed: false, totalBytes: file.totalBytes)
        }
        let gzip = try GzipSource(file, file: path)
        let inner = try gzip.peek(IngestFormat.prefixLength)
        guard let innerFormat = IngestFormat.detect(inner), innerFormat != .gzip else {
            throw IngestError.unknownFormat(file: path)
        }
        return OpenedInput(source: gzip, format: innerFormat, compressed: true, totalBytes: file.totalBytes)
    }
}
