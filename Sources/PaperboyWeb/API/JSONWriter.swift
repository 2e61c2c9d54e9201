import Foundation
import HTTPTypes
import NIOCore

/// A value the API writes straight into bytes, without `JSONEncoder`'s boxing and reflection: the items of the
/// busiest answers (daily papers, search, papers), which signed-in visitors get uncached. The output is byte for byte
/// what `JSON.encoder` writes (keys sorted, slashes unescaped), which a test checks.
protocol JSONWritable {
    func write(to out: inout JSONOutput)
}

/// JSON text being written: objects with their keys in the order given (callers give them sorted).
struct JSONOutput {
    private(set) var bytes: [UInt8] = []
    /// Whether the object or array being written has a member yet.
    private var started: [Bool] = []

    init(capacity: Int = 64 * 1024) { bytes.reserveCapacity(capacity) }

    mutating func object(_ body: (inout JSONOutput) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        started.append(false)
        body(&self)
        started.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func array<S: Sequence>(_ elements: S, _ each: (inout JSONOutput, S.Element) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        started.append(false)
        for element in elements { each(&self, element) }
        started.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A key of the object being written; its value follows.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        pendingValue = true
    }

    /// A key was written: the value that follows takes no comma.
    private var pendingValue = false

    /// A comma before every member but the first; nothing before the value of a key.
    private mutating func separate() {
        if pendingValue {
            pendingValue = false
            return
        }
        guard !started.isEmpty else { return }
        if started[started.count - 1] { bytes.append(UInt8(ascii: ",")) }
        started[started.count - 1] = true
    }

    mutating func string(_ text: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            // Most text needs no escape: copy it whole.
            var plain = true
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                plain = false
                break
            }
            guard !plain else {
                bytes.append(contentsOf: utf8)
                return
            }
            var run = 0
            for (index, byte) in utf8.enumerated() {
                let escape: [UInt8]?
                switch byte {
                case UInt8(ascii: "\""): escape = [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): escape = [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0x08: escape = [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                case 0x0C: escape = [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                case 0x0A: escape = [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0D: escape = [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x09: escape = [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0..<0x20: escape = Array("\\u00".utf8) + JSONOutput.hex(byte)
                default: escape = nil
                }
                guard let escape else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                bytes.append(contentsOf: escape)
                run = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A number as `JSONEncoder` writes it (its shortest round-trip form; whole numbers without a fraction).
    mutating func double(_ value: Double) {
        separate()
        if !value.isFinite {
            bytes.append(contentsOf: "null".utf8)
        } else if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    mutating func value(_ writable: some JSONWritable) { writable.write(to: &self) }

    static func hex(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
    }
}

extension JSONOutput {
    /// A member whose value is optional: left out when nil (as `JSONEncoder` leaves out nil optionals).
    mutating func optional<T>(_ name: StaticString, _ value: T?, _ write: (inout JSONOutput, T) -> Void) {
        guard let value else { return }
        key(name)
        write(&self, value)
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    func write(to out: inout JSONOutput) { out.array(self) { out, element in element.write(to: &out) } }
}

extension JSON {
    /// An answer written by ``JSONWritable`` (the same bytes `rendered(_:status:headers:)` would give).
    static func written(_ value: some JSONWritable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
        -> Rendered
    {
        var out = JSONOutput()
        value.write(to: &out)
        return Rendered(
            status: status, contentType: Rendered.json, body: ByteBuffer(bytes: out.bytes), headers: headers)
    }
}
