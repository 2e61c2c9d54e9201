import Foundation

/// A small, fast JSON reader over UTF-8 bytes, for the flat objects of the arXiv snapshot.
/// It validates what it reads and reports the first problem with its byte column.
struct JSONScanner: ~Copyable {
    struct Failure: Error {
        var message: String
        var column: Int
        /// False for a record that is valid JSON but not acceptable (invalid UTF-8, too many entries): its
        /// reason then does not say "invalid JSON".
        var isSyntax = true
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    /// Reused for decoding strings.
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        scratch.reserveCapacity(4096)
    }

    func fail(_ message: String) -> Failure { Failure(message: message, column: i + 1) }

    var atEnd: Bool { i >= bytes.count }

    @inline(__always)
    mutating func skipSpace() {
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D { i += 1 } else { return }
        }
    }

    @inline(__always)
    mutating func peek() -> UInt8? {
        skipSpace()
        return i < bytes.count ? bytes[i] : nil
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        skipSpace()
        guard i < bytes.count else {
            throw fail("unexpected end of line, expected '\(Character(Unicode.Scalar(byte)))'")
        }
        guard bytes[i] == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))' but found \(describe(bytes[i]))")
        }
        i += 1
    }

    func describe(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : String(format: "byte 0x%02X", b)
    }

    /// The members of an object whose `{` has been read: `body` reads each member's value (the scanner stands after
    /// its `:`). Ends after the closing `}`.
    mutating func readMembers(
        _ body: (inout JSONScanner, UnsafeBufferPointer<UInt8>) throws(Failure) -> Void
    ) throws(Failure) {
        if peek() == UInt8(ascii: "}") {
            i += 1
            return
        }
        repeat {
            let key = try readKey()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
        } while try nextElement(close: UInt8(ascii: "}"))
    }

    /// The elements of an array whose `[` has been read: `body` reads each one. Ends after the closing `]`.
    mutating func readElements(_ body: (inout JSONScanner) throws(Failure) -> Void) throws(Failure) {
        if peek() == UInt8(ascii: "]") {
            i += 1
            return
        }
        repeat { try body(&self) } while try nextElement(close: UInt8(ascii: "]"))
    }

    /// Consumes `,` (returns true) or the closing byte (returns false).
    mutating func nextElement(close: UInt8) throws(Failure) -> Bool {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of line") }
        if bytes[i] == UInt8(ascii: ",") {
            i += 1
            return true
        }
        if bytes[i] == close {
            i += 1
            return false
        }
        throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))' but found \(describe(bytes[i]))")
    }

    mutating func consumeNull() -> Bool {
        skipSpace()
        if i + 4 <= bytes.count, bytes[i] == UInt8(ascii: "n"), bytes[i + 1] == UInt8(ascii: "u"),
            bytes[i + 2] == UInt8(ascii: "l"), bytes[i + 3] == UInt8(ascii: "l")
        {
            i += 4
            return true
        }
        return false
    }

    /// Reads a string and returns its raw byte range inside `bytes` when it has no escapes,
    /// otherwise decodes it into `scratch` and returns nil.
    /// The caller reads the value with ``withString(_:)``-style helpers below.
    mutating func readKey() throws(Failure) -> UnsafeBufferPointer<UInt8> {
        try expect(UInt8(ascii: "\""))
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let key = UnsafeBufferPointer(rebasing: bytes[start..<i])
                i += 1
                return key
            }
            if b == UInt8(ascii: "\\") {
                // Keys with escapes are not ones we know; decode and return scratch-backed copy.
                i = start - 1
                try decodeString()
                return UnsafeBufferPointer(start: nil, count: 0)
            }
            i += 1
        }
        throw fail("unterminated string")
    }

    /// Decodes a JSON string at the cursor into `scratch` (replacing its contents).
    mutating func decodeString() throws(Failure) {
        try expect(UInt8(ascii: "\""))
        scratch.removeAll(keepingCapacity: true)
        var runStart = i
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                if runStart < i { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                i += 1
                return
            }
            if b == UInt8(ascii: "\\") {
                if runStart < i { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                try decodeEscape()
                runStart = i
                continue
            }
            if b < 0x20 { throw fail("control character \(describe(b)) in string") }
            i += 1
        }
        throw fail("unterminated string")
    }

    mutating func decodeEscape() throws(Failure) {
        i += 1
        guard i < bytes.count else { throw fail("unterminated string") }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800...0xDBFF).contains(code) {
                guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                    throw fail("unpaired surrogate \\u\(String(code, radix: 16, uppercase: true))")
                }
                i += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail("unpaired surrogate \\u\(String(code, radix: 16, uppercase: true))")
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw fail("unpaired surrogate \\u\(String(code, radix: 16, uppercase: true))")
            }
            appendUTF8(code)
        default:
            i -= 2
            // The byte goes into a reason a terminal may print: as a character only when it is printable ASCII.
            throw fail(
                e >= 0x20 && e < 0x7F
                    ? "invalid escape '\\\(Character(Unicode.Scalar(e)))'"
                    : "invalid escape: '\\' before \(describe(e))")
        }
    }

    mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let digit: UInt32
            switch b {
            case 48...57: digit = UInt32(b - 48)
            case 65...70: digit = UInt32(b - 55)
            case 97...102: digit = UInt32(b - 87)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            i += 1
        }
        return value
    }

    mutating func appendUTF8(_ code: UInt32) {
        switch code {
        case 0..<0x80:
            scratch.append(UInt8(code))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (code >> 6)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (code >> 12)))
            scratch.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (code >> 18)))
            scratch.append(UInt8(0x80 | ((code >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        }
    }

    /// A string value, or nil for `null`. Text that is not valid UTF-8 is refused (never replaced), naming
    /// `field` and the column where the string starts.
    mutating func readOptionalString(field: StaticString) throws(Failure) -> String? {
        if consumeNull() { return nil }
        guard let b = peek() else { throw fail("unexpected end of line, expected a value") }
        guard b == UInt8(ascii: "\"") else { throw fail("expected a string but found \(describe(b))") }
        let column = i + 1
        try decodeString()
        guard let text = scratch.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) }) else {
            throw Failure(
                message: "invalid UTF-8 in field \"\(field)\" at column \(column)", column: column, isSyntax: false)
        }
        return text
    }

    /// A string value with whitespace collapsed, or nil for `null`. Invalid UTF-8 is refused as by
    /// ``readOptionalString(field:)``.
    mutating func readOptionalCollapsedString(field: StaticString) throws(Failure) -> String? {
        if consumeNull() { return nil }
        guard let b = peek() else { throw fail("unexpected end of line, expected a value") }
        guard b == UInt8(ascii: "\"") else { throw fail("expected a string but found \(describe(b))") }
        let column = i + 1
        try decodeString()
        // Collapsing touches only ASCII whitespace, so it neither makes nor mends invalid UTF-8.
        let text = scratch.withUnsafeBufferPointer { raw -> String? in
            if !Normalize.needsCollapsing(raw) { return String(validating: raw, as: UTF8.self) }
            var out = [UInt8]()
            out.reserveCapacity(raw.count)
            Normalize.collapse(raw, into: &out)
            return String(validating: out, as: UTF8.self)
        }
        guard let text else {
            throw Failure(
                message: "invalid UTF-8 in field \"\(field)\" at column \(column)", column: column, isSyntax: false)
        }
        return text
    }

    /// Skips any JSON value.
    mutating func skipValue(depth: Int = 0) throws(Failure) {
        guard depth < 64 else { throw fail("nesting too deep") }
        guard let b = peek() else { throw fail("unexpected end of line, expected a value") }
        switch b {
        case UInt8(ascii: "\""):
            try decodeString()
        case UInt8(ascii: "{"):
            i += 1
            if peek() == UInt8(ascii: "}") {
                i += 1
                return
            }
            repeat {
                _ = try readKey()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while try nextElement(close: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            i += 1
            if peek() == UInt8(ascii: "]") {
                i += 1
                return
            }
            repeat {
                try skipValue(depth: depth + 1)
            } while try nextElement(close: UInt8(ascii: "]"))
        default:
            // Literals and numbers.
            let start = i
            while i < bytes.count {
                let c = bytes[i]
                let isLiteralByte =
                    (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c == UInt8(ascii: "-")
                    || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "E")
                guard isLiteralByte else { break }
                i += 1
            }
            let token = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            if token == "true" || token == "false" || token == "null" { return }
            if !token.isEmpty, Double(token) != nil, token.first != "+" { return }
            i = start
            throw fail("unexpected \(describe(b))")
        }
    }
}
