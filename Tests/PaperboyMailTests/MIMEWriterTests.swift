import Foundation
import PaperboyCore
import Testing

@testable import PaperboyMail

@Suite struct MIMEWriterTests {
    static let date = Date(timeIntervalSince1970: 1_796_288_400)  // 2026-12-03 09:00:00 UTC
    static let sender = "digest@paperboy.example"

    static func render(_ message: MailMessage, boundary: String? = "=_test") throws -> String {
        let bytes = try MIMEWriter.render(
            message, from: sender, date: date, messageID: "abc.1@paperboy.example", boundary: boundary)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func multipartMessageIsWrittenPartByPart() throws {
        let message = MailMessage(
            to: "ada@example.org", subject: "Your digest", text: "Hello\nWorld", html: "<p>Hello</p>",
            headers: [MailHeader("List-Unsubscribe", "<https://paperboy.example/u?t=1>")])
        let expected = [
            "From: digest@paperboy.example",
            "To: ada@example.org",
            "Subject: Your digest",
            "Date: Thu, 03 Dec 2026 09:00:00 +0000",
            "Message-ID: <abc.1@paperboy.example>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"=_test\"",
            "List-Unsubscribe: <https://paperboy.example/u?t=1>",
            "",
            "--=_test",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "Hello",
            "World",
            "--=_test",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "<p>Hello</p>",
            "--=_test--",
            "",
        ].joined(separator: "\r\n")
        #expect(try Self.render(message) == expected)
    }

    @Test func textOnlyMessageIsOnePart() throws {
        let message = MailMessage(to: " ada@example.org ", subject: "Hi", text: "Grüße")
        let expected = [
            "From: digest@paperboy.example",
            "To: ada@example.org",
            "Subject: Hi",
            "Date: Thu, 03 Dec 2026 09:00:00 +0000",
            "Message-ID: <abc.1@paperboy.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "Gr=C3=BC=C3=9Fe",
            "",
        ].joined(separator: "\r\n")
        #expect(try Self.render(message) == expected)
    }

    @Test func fromNameIsQuotedOrEncoded() throws {
        let plain = try MIMEWriter.render(
            MailMessage(to: "ada@example.org", subject: "s", text: "t"), from: Self.sender, fromName: "Paper \"boy\"",
            date: Self.date, messageID: "a@b")
        #expect(
            String(decoding: plain, as: UTF8.self).hasPrefix(
                "From: \"Paper \\\"boy\\\"\" <digest@paperboy.example>\r\n"))
        let encoded = try MIMEWriter.render(
            MailMessage(to: "ada@example.org", subject: "s", text: "t"), from: Self.sender, fromName: "Zeitungsjunge ✉",
            date: Self.date, messageID: "a@b")
        #expect(
            String(decoding: encoded, as: UTF8.self).hasPrefix(
                "From: =?utf-8?B?WmVpdHVuZ3NqdW5nZSDinIk=?= <digest@paperboy.example>\r\n"))
    }

    @Test func everyLineIsShortCRLFEndedAndSevenBit() throws {
        let url = "https://paperboy.example/papers/2412.01234?" + String(repeating: "utm=abcdefghij&", count: 40)
        let text = "Ünïcödé line \(String(repeating: "é", count: 200))\n\(url)\n.hidden\n\nend   "
        let message = MailMessage(
            to: "ada@example.org", subject: String(repeating: "Very long subject words ", count: 10), text: text,
            html: "<a href=\"\(url)\">\(url)</a>",
            headers: [MailHeader("List-Id", "Paperboy digests <digest.paperboy.example>")])
        let bytes = try MIMEWriter.render(
            message, from: Self.sender, date: Self.date, messageID: "abc.1@paperboy.example")
        #expect(bytes.allSatisfy { $0 < 0x80 })
        let text7 = String(decoding: bytes, as: UTF8.self)
        #expect(!text7.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!text7.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        let parts = text7.components(separatedBy: "\r\n\r\n")
        let headerLines = parts[0].components(separatedBy: "\r\n")
        #expect(headerLines.allSatisfy { $0.utf8.count <= 78 }, "\(headerLines)")
        let bodyLines = text7.components(separatedBy: "\r\n").dropFirst(headerLines.count)
        #expect(bodyLines.allSatisfy { $0.utf8.count <= 76 }, "\(bodyLines.filter { $0.utf8.count > 76 })")
    }

    @Test(arguments: [
        "plain",
        "a line with trailing blanks   \nand a tab\t\nand = signs == and =41",
        ".a dot line\n.\n..\nFrom the start\nFrom here",
        "https://paperboy.example/" + String(repeating: "x", count: 500) + "?q=1&r=%20",
        String(repeating: "é", count: 100) + "\n" + String(repeating: "日本語", count: 40) + " 👩‍🔬",
        "windows\r\nline\rends\n",
        "",
        String(repeating: "a", count: 75) + "=" + String(repeating: "b", count: 74) + " ",
    ])
    func quotedPrintableRoundTrips(text: String) {
        let encoded = QuotedPrintable.encode(text)
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        #expect(
            String(decoding: QuotedPrintable.decode(encoded), as: UTF8.self)
                == normalized.replacingOccurrences(
                    of: "\n", with: "\r\n"))
    }

    @Test func quotedPrintableRoundTripsRandomText() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab .=\t\n-é✉😀F")
        for _ in 0..<200 {
            let length = Int(generator.next(upperBound: UInt(300)))
            let text = String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
            let encoded = QuotedPrintable.encode(text)
            #expect(
                String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n").allSatisfy {
                    $0.utf8.count <= 76
                })
            #expect(
                String(decoding: QuotedPrintable.decode(encoded), as: UTF8.self)
                    == text.replacingOccurrences(of: "\n", with: "\r\n"), "\(text.debugDescription)")
        }
    }

    @Test func nonASCIISubjectIsEncodedInFoldedWords() throws {
        let subject = "Neue Artikel für dich: " + String(repeating: "量子計算と機械学習 ", count: 8) + "👩‍🔬"
        let rendered = try Self.render(MailMessage(to: "ada@example.org", subject: subject, text: "t"))
        let header = rendered.components(separatedBy: "\r\n\r\n")[0]
        let lines = header.components(separatedBy: "\r\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Subject: ") }) else {
            Issue.record("no Subject in \(header)")
            return
        }
        var subjectLines = [lines[start]]
        for line in lines[(start + 1)...] where line.hasPrefix(" ") { subjectLines.append(line) }
        #expect(subjectLines.count > 3)
        #expect(subjectLines.allSatisfy { $0.utf8.count <= 78 })
        let words = subjectLines.map { $0.hasPrefix("Subject: ") ? String($0.dropFirst(9)) : String($0.dropFirst()) }
        var decoded: [UInt8] = []
        for word in words {
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?=") && word.utf8.count <= 75)
            let base64 = String(word.dropFirst(10).dropLast(2))
            let bytes = Data(base64Encoded: base64).map { Array($0) } ?? []
            // Each word holds whole characters.
            #expect(String(validating: bytes, as: UTF8.self) != nil)
            decoded += bytes
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test func longASCIISubjectIsFoldedAtBlanks() throws {
        let subject = (1...30).map { "word\($0)" }.joined(separator: " ")
        let rendered = try Self.render(MailMessage(to: "ada@example.org", subject: subject, text: "t"))
        let header = rendered.components(separatedBy: "\r\n\r\n")[0]
        let unfolded = header.replacingOccurrences(of: "\r\n ", with: " ")
        #expect(unfolded.contains("\r\nSubject: \(subject)\r\n"))
        #expect(header.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    }

    @Test func datesAreRFC5322InUTC() {
        #expect(MIMEWriter.rfc5322Date(Self.date) == "Thu, 03 Dec 2026 09:00:00 +0000")
        #expect(MIMEWriter.rfc5322Date(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MIMEWriter.rfc5322Date(Date(timeIntervalSince1970: 951_868_799.9)) == "Tue, 29 Feb 2000 23:59:59 +0000")
        #expect(MIMEWriter.rfc5322Date(Date(timeIntervalSince1970: -1)) == "Wed, 31 Dec 1969 23:59:59 +0000")
        #expect(MIMEWriter.rfc5322Date(Date(timeIntervalSince1970: 4_102_444_800)) == "Fri, 01 Jan 2100 00:00:00 +0000")
    }

    @Test func randomBoundaryCannotOccurInQuotedPrintable() throws {
        let boundary = MIMEWriter.randomBoundary()
        #expect(boundary.hasPrefix("=_") && boundary.utf8.count == 32)
        #expect(MIMEWriter.randomBoundary() != boundary)
        let message = MailMessage(to: "ada@example.org", subject: "s", text: "--\(boundary)\n=_", html: "--\(boundary)")
        let rendered = try Self.render(message, boundary: nil)
        let used = try #require(rendered.components(separatedBy: "boundary=\"").dropFirst().first?.prefix(32))
        #expect(rendered.components(separatedBy: "--\(used)").count == 4)  // two parts and the closing delimiter
    }

    @Test func lineBreaksInHeadersAreRefused() {
        let subject = MailMessage(to: "ada@example.org", subject: "Hi\r\nBcc: eve@example.org", text: "t")
        #expect(
            throws: MailError.malformed("the header Subject contains a line break: \"Hi\\r\\nBcc: eve@example.org\"")
        ) {
            try Self.render(subject)
        }
        let header = MailMessage(
            to: "ada@example.org", subject: "s", text: "t", headers: [MailHeader("List-Id", "a\nBcc: eve@example.org")])
        #expect(throws: MailError.malformed("the header List-Id contains a line break: \"a\\nBcc: eve@example.org\"")) {
            try Self.render(header)
        }
        let name = MailMessage(
            to: "ada@example.org", subject: "s", text: "t", headers: [MailHeader("X-A\r\nBcc", "eve@example.org")])
        #expect(throws: MailError.malformed("the header name \"X-A\\r\\nBcc\" is not a valid header name")) {
            try Self.render(name)
        }
        let control = MailMessage(to: "ada@example.org", subject: "a\u{0}b", text: "t")
        #expect(throws: MailError.malformed("the header Subject contains a control character: \"a\\0b\"")) {
            try Self.render(control)
        }
    }

    @Test func headersThatCannotBeWrittenAreRefused() {
        func refused(_ header: MailHeader) -> MailError? {
            do {
                _ = try Self.render(MailMessage(to: "ada@example.org", subject: "s", text: "t", headers: [header]))
                return nil
            } catch {
                return error as? MailError
            }
        }
        #expect(
            refused(MailHeader("List-Id", "Zeitung ✉")) == .malformed("the header List-Id is not ASCII: \"Zeitung ✉\""))
        #expect(refused(MailHeader("Bcc", "eve@example.org")) == .malformed("the header Bcc is written by the sender"))
        #expect(refused(MailHeader("subject", "again")) == .malformed("the header subject is written by the sender"))
        #expect(refused(MailHeader("X Y", "v")) == .malformed("the header name \"X Y\" is not a valid header name"))
        #expect(refused(MailHeader("", "v")) == .malformed("the header name \"\" is not a valid header name"))
        #expect(
            refused(MailHeader("X-Long", String(repeating: "x", count: 1000)))
                == .malformed("the header X-Long has a line longer than 998 characters"))
    }

    @Test func addressesAndMessageIDsAreChecked() {
        #expect(
            throws: MailError.malformed(
                "the recipient address \"ada@example.org\\r\\nRCPT TO:<eve@x.org>\" is not a valid address")
        ) {
            try Self.render(MailMessage(to: "ada@example.org\r\nRCPT TO:<eve@x.org>", subject: "s", text: "t"))
        }
        #expect(throws: MailError.malformed("the recipient address \"jürgen@example.org\" is not a valid address")) {
            try Self.render(MailMessage(to: "jürgen@example.org", subject: "s", text: "t"))
        }
        #expect(throws: MailError.malformed("the sender address \"nobody\" is not a valid address")) {
            try MIMEWriter.render(
                MailMessage(to: "ada@example.org", subject: "s", text: "t"), from: "nobody", date: Self.date,
                messageID: "a@b")
        }
        #expect(throws: MailError.malformed("the Message-ID \"<a@b>\" is not of the form local@domain")) {
            try MIMEWriter.render(
                MailMessage(to: "ada@example.org", subject: "s", text: "t"), from: Self.sender, date: Self.date,
                messageID: "<a@b>")
        }
    }
}
