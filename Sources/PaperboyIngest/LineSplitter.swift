import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Cuts a stream of chunks into lines (LF or CRLF), holding at most one line of at most `limit` bytes plus one
/// chunk. A longer line is reported as ``Line/tooLong`` and its bytes are skipped, not kept, up to the next line
/// break, so memory stays bounded whatever the input.
struct LineSplitter {
    enum Line {
        /// A line without its line break; valid only during the call that hands it over.
        case text(UnsafeBufferPointer<UInt8>)
        /// A line longer than the limit.
        case tooLong
    }

    let limit: Int
    /// The 1-based number of the last line handed over (also passed to the closure of ``feed(_:_:)``).
    private(set) var lineNumber = 0
    /// The most bytes held at once (for tests of the bound).
    private(set) var peakBuffered = 0
    private var carry: [UInt8] = []
    /// Inside a line that was too long: drop bytes until the next line break.
    private var skipping = false

    init(limit: Int = IngestLimits.maxLineBytes) {
        self.limit = max(1, limit)
    }

    /// Takes the next chunk (empty at the end of the input) and hands over every line it completes, in order.
    /// `body` returns false to stop early (the rest of the input is then not read).
    mutating func feed(_ chunk: [UInt8], _ body: (_ number: Int, _ line: Line) throws -> Bool) rethrows {
        if chunk.isEmpty {
            // The end: a last line without a line break.
            if skipping || carry.isEmpty { return }
            lineNumber += 1
            let line = carry
            carry = []
            _ = try line.withUnsafeBufferPointer { try body(lineNumber, Self.line($0[...], limit: limit)) }
            return
        }
        var start = 0
        if skipping {
            guard let newline = Self.newline(in: chunk, from: 0) else { return }
            skipping = false
            start = newline + 1
        }
        let held: [UInt8]
        let stop: Int
        if carry.isEmpty {
            // The usual case: whole lines inside the chunk are handed over without a copy.
            guard let end = try chunk.withUnsafeBufferPointer({ try emitLines(in: $0, from: start, body) }) else {
                return
            }
            held = chunk
            stop = end
        } else {
            carry.append(contentsOf: chunk[start...])
            peakBuffered = max(peakBuffered, carry.count)
            held = carry
            carry = []
            guard let end = try held.withUnsafeBufferPointer({ try emitLines(in: $0, from: 0, body) }) else {
                return
            }
            stop = end
        }
        // An incomplete line already too long (even if its last byte is a CR before an LF still to come) is
        // reported now and skipped; a shorter one is kept for the next chunk.
        if held.count - stop > limit + 1 {
            lineNumber += 1
            skipping = true
            _ = try body(lineNumber, .tooLong)
        } else {
            // Without a line break in it the whole buffer is the rest, kept without a copy.
            carry = stop == 0 ? held : Array(held[stop...])
            peakBuffered = max(peakBuffered, carry.count)
        }
    }

    /// Hands over the complete lines of `buffer` from `start`; returns the start of the incomplete rest, or nil
    /// when `body` asked to stop.
    private mutating func emitLines(
        in buffer: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (_ number: Int, _ line: Line) throws -> Bool
    ) rethrows -> Int? {
        var start = start
        while let end = Self.newline(in: buffer, from: start) {
            lineNumber += 1
            let keepGoing = try body(lineNumber, Self.line(buffer[start..<end], limit: limit))
            start = end + 1
            if !keepGoing { return nil }
        }
        return start
    }

    /// A complete line (without its LF): its text without a final CR, or ``Line/tooLong``.
    private static func line(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, limit: Int) -> Line {
        var text = bytes
        if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
        return text.count > limit ? .tooLong : .text(UnsafeBufferPointer(rebasing: text))
    }

    private static func newline(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, start < buffer.count,
            let found = memchr(base + start, Int32(UInt8(ascii: "\n")), buffer.count - start)
        else { return nil }
        return UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
    }

    private static func newline(in chunk: [UInt8], from start: Int) -> Int? {
        chunk.withUnsafeBufferPointer { newline(in: $0, from: start) }
    }
}
