import Foundation
import PaperboyCore

/// Writes a ``MailMessage`` as the bytes of an Internet message (RFC 5322 and MIME), CRLF line endings throughout.
///
/// The text (and HTML) parts are UTF-8 in quoted-printable, so every body line is at most 76 characters and the
/// message is 7-bit clean; the subject, when it is not plain ASCII, is written as RFC 2047 encoded words. Without
/// HTML the message is one text/plain part; with it, multipart/alternative with the plain text first.
public enum MIMEWriter {
    /// The message's bytes.
    ///
    /// - Parameters:
    ///   - from: the sender's address (refused, like the recipient's, when ``MailAddress/checked(_:)`` refuses it).
    ///   - fromName: a display name for `From` (any Unicode; encoded when it is not ASCII).
    ///   - date: written in UTC in the RFC 5322 form (`Thu, 03 Dec 2026 09:00:00 +0000`).
    ///   - messageID: without angle brackets (`local@domain`).
    ///   - boundary: the multipart boundary; a random one starting with `=_` (which quoted-printable never writes,
    ///     so it cannot occur in a part) when nil.
    /// - Throws: ``MailError/malformed(_:)`` for an address, header or Message-ID that cannot be written.
    public static func render(
        _ message: MailMessage, from: String, fromName: String? = nil, date: Date, messageID: String,
        boundary: String? = nil
    ) throws -> [UInt8] {
        guard let sender = MailAddress.checked(from) else {
            throw MailError.malformed("the sender address \(quoted(from)) is not a valid address")
        }
        guard let recipient = MailAddress.checked(message.to) else {
            throw MailError.malformed("the recipient address \(quoted(message.to)) is not a valid address")
        }
        guard isValidMessageID(messageID) else {
            throw MailError.malformed("the Message-ID \(quoted(messageID)) is not of the form local@domain")
        }
        var header = HeaderWriter()
        if let fromName, !fromName.isEmpty {
            try header.addPhrase("From", phrase: fromName, address: sender)
        } else {
            try header.add("From", sender)
        }
        try header.add("To", recipient)
        try header.addUnstructured("Subject", message.subject)
        try header.add("Date", rfc5322Date(date))
        try header.add("Message-ID", "<\(messageID)>")
        try header.add("MIME-Version", "1.0")

        var body: [UInt8] = []
        if let html = message.html {
            let boundary = boundary ?? randomBoundary()
            guard isValidBoundary(boundary) else {
                throw MailError.malformed("the boundary \(quoted(boundary)) is not a valid MIME boundary")
            }
            try header.add("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
            for (subtype, content) in [("plain", message.text), ("html", html)] {
                body += Array("--\(boundary)\r\n".utf8)
                body += Array("Content-Type: text/\(subtype); charset=utf-8\r\n".utf8)
                body += Array("Content-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
                body += QuotedPrintable.encode(content)
                body += Array("\r\n".utf8)
            }
            body += Array("--\(boundary)--\r\n".utf8)
        } else {
            try header.add("Content-Type", "text/plain; charset=utf-8")
            try header.add("Content-Transfer-Encoding", "quoted-printable")
            body = QuotedPrintable.encode(message.text)
            // The message ends with a line break; one the text ends with already is it.
            if !body.isEmpty, body.last != 10 { body += Array("\r\n".utf8) }
        }
        for extra in message.headers {
            try checkExtra(extra)
            try header.add(extra.name, extra.value)
        }
        return header.bytes + Array("\r\n".utf8) + body
    }

    /// The headers the writer writes itself, which a message's own headers may not repeat.
    static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "content-type",
        "content-transfer-encoding", "sender", "reply-to-address",
    ]

    static func checkExtra(_ header: MailHeader) throws {
        let bytes = Array(header.name.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ":") }) else {
            throw MailError.malformed("the header name \(quoted(header.name)) is not a valid header name")
        }
        guard !reservedHeaders.contains(header.name.lowercased()) else {
            throw MailError.malformed("the header \(header.name) is written by the sender")
        }
    }

    /// A random boundary: `=_` and 30 letters and digits.
    public static func randomBoundary() -> String {
        "=_" + randomToken(count: 30, alphabet: Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    }

    static func randomToken(count: Int, alphabet: [Character]) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }

    static func isValidBoundary(_ boundary: String) -> Bool {
        // RFC 2046 bchars, without the space (allowed only inside, and needless here).
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?".utf8)
        return (1...70).contains(boundary.utf8.count) && boundary.utf8.allSatisfy { allowed.contains($0) }
    }

    /// `local@domain` in printable ASCII, without brackets, blanks or a second `@`.
    static func isValidMessageID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        let forbidden = Set("<>()[]\\,;:\" ".utf8)
        guard (3...250).contains(bytes.count),
            bytes.allSatisfy({ (0x21...0x7E).contains($0) && !forbidden.contains($0) })
        else { return false }
        let parts = id.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
    }

    static func quoted(_ text: String) -> String {
        // The value as Swift would write it, so a CR or LF in an error message shows as \r or \n.
        String(reflecting: text)
    }

    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Thu, 03 Dec 2026 09:00:00 +0000`: RFC 5322's date in UTC, English names whatever the locale.
    public static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let time = "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
        return "\(weekday), \(two(day)) \(months[Int(month - 1)]) \(year) \(time) +0000"
    }
}

/// Header fields, folded: lines of at most 78 characters where the value has room to fold, never more than 998.
struct HeaderWriter {
    private(set) var bytes: [UInt8] = []
    static let softLimit = 78
    static let hardLimit = 998

    /// A field whose ASCII value is written as it is, folded at blanks when long.
    mutating func add(_ name: String, _ value: String) throws {
        try Self.checkASCII(name: name, value: value)
        try append(name: name, words: Self.words(value))
    }

    /// An unstructured field (the subject): as it is when it is printable ASCII, else RFC 2047 encoded words.
    mutating func addUnstructured(_ name: String, _ value: String) throws {
        try Self.checkNoBreaks(name: name, value: value)
        if Self.isPlain(value), Self.words(value).allSatisfy({ $0.utf8.count + name.utf8.count + 2 <= Self.softLimit })
        {
            try append(name: name, words: Self.words(value))
        } else {
            try append(name: name, words: Self.encodedWords(value, firstRoom: Self.softLimit - name.utf8.count - 2))
        }
    }

    /// `From: phrase <address>`, the phrase quoted or encoded.
    mutating func addPhrase(_ name: String, phrase: String, address: String) throws {
        try Self.checkNoBreaks(name: name, value: phrase)
        var words: [String]
        if Self.isPlain(phrase), phrase.utf8.count <= 60 {
            let escaped = phrase.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"", with: "\\\"")
            words = ["\"\(escaped)\""]
        } else {
            words = Self.encodedWords(phrase, firstRoom: Self.softLimit - name.utf8.count - 2)
        }
        words.append(" <\(address)>")
        try append(name: name, words: words)
    }

    /// Writes `name: ` and the words, each starting with its own leading blank but the first; a line is folded before
    /// a word that would take it past 78 characters.
    private mutating func append(name: String, words: [String]) throws {
        var line = "\(name):"
        var lines: [String] = []
        for (index, word) in words.enumerated() {
            let piece = index == 0 && !word.hasPrefix(" ") ? " " + word : word
            if line.utf8.count + piece.utf8.count > Self.softLimit, line.utf8.count > name.utf8.count + 1,
                piece.hasPrefix(" ") || piece.hasPrefix("\t")
            {
                lines.append(line)
                line = piece
            } else {
                line += piece
            }
        }
        lines.append(line)
        for line in lines {
            guard line.utf8.count <= Self.hardLimit else {
                throw MailError.malformed("the header \(name) has a line longer than 998 characters")
            }
            bytes += Array(line.utf8) + [13, 10]
        }
    }

    /// The value cut before each blank, so folding (a CRLF before a blank) keeps every blank.
    static func words(_ value: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in value {
            if (character == " " || character == "\t") && !current.isEmpty && current.last != " "
                && current.last != "\t"
            {
                words.append(current)
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty || words.isEmpty { words.append(current) }
        return words
    }

    /// Printable ASCII and blanks, without anything a reader would take for an encoded word.
    static func isPlain(_ value: String) -> Bool {
        value.utf8.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 } && !value.contains("=?")
    }

    /// `=?utf-8?B?...?=` words of at most 75 characters (the first fitting in `firstRoom`), cut between Unicode
    /// scalars so no word holds part of a character; each but the first starts with a blank.
    static func encodedWords(_ value: String, firstRoom: Int) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func room() -> Int {
            // Base64 of n bytes takes 4 * ceil(n / 3) characters; the word adds 12 and the fold's blank 1.
            let characters = words.isEmpty ? min(firstRoom, 75) - 12 : 75 - 12
            return max(characters / 4 * 3, 3)
        }
        func flush() {
            let word = "=?utf-8?B?\(Data(chunk).base64EncodedString())?="
            words.append(words.isEmpty ? word : " " + word)
            chunk = []
        }
        for scalar in value.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if chunk.count + encoded.count > room(), !chunk.isEmpty { flush() }
            chunk += encoded
        }
        if !chunk.isEmpty || words.isEmpty { flush() }
        return words
    }

    static func checkNoBreaks(name: String, value: String) throws {
        guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw MailError.malformed("the header \(name) contains a line break: \(MIMEWriter.quoted(value))")
        }
        guard
            !value.unicodeScalars.contains(where: {
                ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F || (0x80..<0xA0).contains($0.value)
            })
        else {
            throw MailError.malformed("the header \(name) contains a control character: \(MIMEWriter.quoted(value))")
        }
    }

    static func checkASCII(name: String, value: String) throws {
        try checkNoBreaks(name: name, value: value)
        guard value.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw MailError.malformed("the header \(name) is not ASCII: \(MIMEWriter.quoted(value))")
        }
    }
}

/// Quoted-printable (RFC 2045 6.7) of UTF-8 text: line breaks (LF, CRLF or CR) become CRLF, and no encoded line is
/// longer than 76 characters.
public enum QuotedPrintable {
    static let maxLine = 76

    /// The text's UTF-8 as quoted-printable: CRLF line breaks (a lone CR or LF counts as one), lines of at most 76
    /// characters with soft breaks, blanks before a break and `From ` at a line's start encoded. One pass over the
    /// bytes.
    public static func encode(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        encode(Array(text.utf8), into: &output)
        return output
    }

    /// Line by line: each line encoded, joined by CRLF; the lines are what CRLF, CR or LF separate (as `split` with
    /// empty lines kept).
    private static func encode(_ buffer: [UInt8], into output: inout [UInt8]) {
        output.reserveCapacity(buffer.count + buffer.count / 8)
        buffer.withUnsafeBufferPointer { bytes in
            var start = 0
            var first = true
            while true {
                var end = start
                while end < bytes.count, bytes[end] != 10, bytes[end] != 13 { end += 1 }
                if !first {
                    output.append(13)
                    output.append(10)
                }
                first = false
                encodeLine(UnsafeBufferPointer(rebasing: bytes[start..<end]), into: &output)
                guard end < bytes.count else { return }
                end += bytes[end] == 13 && end + 1 < bytes.count && bytes[end + 1] == 10 ? 2 : 1
                start = end
            }
        }
    }

    private static let hex = Array("0123456789ABCDEF".utf8)
    private static let from = Array("From ".utf8)

    private static func encodeLine(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        var length = 0
        let startsWithFrom = bytes.starts(with: from)
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let isLast = index == bytes.count - 1
            let literal: Bool
            switch byte {
            case 0x20, 0x09: literal = !isLast  // a blank at the end of a line would be lost
            case UInt8(ascii: "="): literal = false
            case UInt8(ascii: "F") where index == 0 && startsWithFrom: literal = false
            case 0x21...0x7E: literal = true
            default: literal = false
            }
            let width = literal ? 1 : 3
            // Room for the soft break's `=`, unless this is the line's last piece.
            let limit = isLast ? maxLine : maxLine - 1
            if length + width > limit {
                output.append(UInt8(ascii: "="))
                output.append(13)
                output.append(10)
                length = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "="))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
            length += width
        }
    }

    /// Decodes quoted-printable (for tests and checks): soft breaks removed, `=XX` turned into bytes.
    public static func decode(_ encoded: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        while index < encoded.count {
            let byte = encoded[index]
            if byte == UInt8(ascii: "="), index + 1 < encoded.count {
                if encoded[index + 1] == 13, index + 2 < encoded.count, encoded[index + 2] == 10 {
                    index += 3
                    continue
                }
                if encoded[index + 1] == 10 {
                    index += 2
                    continue
                }
                if index + 2 < encoded.count, let high = hexValue(encoded[index + 1]),
                    let low = hexValue(encoded[index + 2])
                {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            output.append(byte)
            index += 1
        }
        return output
    }
}
