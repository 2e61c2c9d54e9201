import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyIngest

/// Lines, decompression and XML documents stay within their limits whatever the input.
@Suite struct LineSplitterTests {
    enum Got: Equatable {
        case text(Int, String)
        case tooLong(Int)
    }

    static func split(_ chunks: [String], limit: Int) -> (lines: [Got], peak: Int) {
        var splitter = LineSplitter(limit: limit)
        var got: [Got] = []
        for chunk in chunks.map({ Array($0.utf8) }) + [[]] {
            splitter.feed(chunk) { number, line in
                switch line {
                case .text(let text): got.append(.text(number, String(decoding: text, as: UTF8.self)))
                case .tooLong: got.append(.tooLong(number))
                }
                return true
            }
        }
        return (got, splitter.peakBuffered)
    }

    @Test func linesAcrossChunks() {
        let (lines, _) = Self.split(["ab", "c\nde", "f\r", "\n\ng", "h"], limit: 8)
        #expect(lines == [.text(1, "abc"), .text(2, "def"), .text(3, ""), .text(4, "gh")])
    }

    @Test func theLimitCountsTheLineWithoutItsBreak() {
        // 8 bytes with CRLF, LF or at the end are fine; 9 are not.
        let (lines, _) = Self.split(["12345678\r\n12345678\n123456789\r\n123456789\n12345678"], limit: 8)
        #expect(
            lines == [.text(1, "12345678"), .text(2, "12345678"), .tooLong(3), .tooLong(4), .text(5, "12345678")])
        // The CR of a line at the limit may come in one chunk and its LF in the next.
        let (split, _) = Self.split(["12345678\r", "\nok"], limit: 8)
        #expect(split == [.text(1, "12345678"), .text(2, "ok")])
        #expect(Self.split(["123456789"], limit: 8).lines == [.tooLong(1)])
    }

    @Test func aLongLineIsSkippedWithoutBeingKept() {
        let long = Array(repeating: String(repeating: "x", count: 100), count: 50)
        let (lines, peak) = Self.split(["first\nxx"] + long + ["x\nlast\n"], limit: 10)
        #expect(lines == [.text(1, "first"), .tooLong(2), .text(3, "last")])
        // At most the limit, one byte for a CR and one chunk are held.
        #expect(peak <= 10 + 1 + 100)
    }
}

@Suite struct InputLimitTests {
    let logger = Logger(label: "test")
    static let now = Date(timeIntervalSince1970: 1_795_176_000)
    static let good =
        #"{"id": "2511.00001", "title": "Good", "versions": [{"version": "v1", "created": "Mon, 3 Nov 2025 10:00:00 GMT"}]}"#

    @Test func aLineOverTheLimitIsRejectedAndTheNextOnesAreRead() async throws {
        let dir = try TempDir()
        let long = #"{"id": "2511.00002", "title": ""# + String(repeating: "y", count: 300) + #""}"#
        let file = try dir.write(
            "long.jsonl",
            [Self.good, long, Self.good.replacingOccurrences(of: "00001", with: "00003")]
                .joined(separator: "\n"))
        var ingestor = Ingestor(store: InMemoryStore(), logger: logger, now: { Self.now })
        ingestor.maxLineBytes = 200
        let report = try await ingestor.ingest(files: [file])
        #expect(report.records == 2 && report.rejected == 1)
        #expect(
            report.rejections == [
                RecordRejection(file: file, position: .line(2), reason: "line longer than the limit of 200 bytes")
            ])
    }

    /// A gzip file of 100 MB of one byte without a line break (about 100 KB compressed), then a good record.
    @Test func aDecompressionBombEndsInTheLineLimit() async throws {
        let dir = try TempDir()
        let bomb = dir.url.appendingPathComponent("bomb.jsonl.gz").path
        let script =
            #"{ printf '{"id": "2511.00002", "title": "'; head -c 100000000 /dev/zero | tr '\0' a; printf '"}\n'; "#
            + "printf '%s\\n' '\(Self.good)'; } | gzip -1 > '\(bomb)'"
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let compressed = try #require(try FileManager.default.attributesOfItem(atPath: bomb)[.size] as? Int)
        #expect(compressed < 1 << 20)

        let store = InMemoryStore()
        let report = try await Ingestor(store: store, logger: logger, now: { Self.now }).ingest(files: [bomb])
        #expect(
            report.rejections == [
                RecordRejection(
                    file: bomb, position: .line(1), reason: "line longer than the limit of 16 MiB (16777216 bytes)")
            ])
        #expect(report.records == 1 && report.inserted == 1)

        // What the reader holds at most: the limit, a CR and one chunk of 1 MiB.
        let input = try OpenedInput.open(bomb)
        #expect(input.format == .jsonLines && input.compressed)
        var splitter = LineSplitter()
        var lines = 0
        while true {
            let chunk = try input.source.read()
            #expect(chunk.count <= 1 << 20)
            splitter.feed(chunk) { _, _ in
                lines += 1
                return true
            }
            if chunk.isEmpty { break }
        }
        #expect(lines == 2)
        #expect(splitter.peakBuffered <= IngestLimits.maxLineBytes + 1 + (1 << 20))
    }

    @Test func anXMLFileOverTheLimitIsOneRejection() async throws {
        let dir = try TempDir()
        let page = try dir.write("page.xml", Fixtures.arXivRawListRecords)
        var ingestor = Ingestor(store: InMemoryStore(), logger: logger, now: { Self.now })
        ingestor.maxXMLBytes = 1000
        let report = try await ingestor.ingest(files: [page])
        #expect(report.records == 0)
        #expect(
            report.rejections == [
                RecordRejection(
                    file: page, position: .record(1), reason: "XML document larger than the limit of 1000 bytes")
            ])
    }
}

@Suite struct GzipTests {
    static func gzip(_ parts: [[UInt8]]) throws -> [UInt8] {
        let dir = try TempDir()
        var sources: [String] = []
        for (index, part) in parts.enumerated() {
            let path = dir.url.appendingPathComponent("part\(index)").path
            try Data(part).write(to: URL(fileURLWithPath: path))
            sources.append(path)
        }
        let gz = try dir.gzip(sources, to: "all.gz")
        return Array(try Data(contentsOf: URL(fileURLWithPath: gz)))
    }

    static func inflate(_ bytes: [UInt8], inputChunk: Int, outputChunk: Int) throws(IngestError) -> [UInt8] {
        let source = try GzipSource(MemorySource(bytes, chunkSize: inputChunk), file: "x.gz", chunkSize: outputChunk)
        var out: [UInt8] = []
        while true {
            let chunk = try source.read()
            if chunk.isEmpty { return out }
            out += chunk
        }
    }

    @Test func membersAndChunkBordersAnywhere() throws {
        let one = Array(try Data(contentsOf: Fixtures.sample200).prefix(3000))
        let two = Array(try Data(contentsOf: Fixtures.seedPapers).prefix(2000))
        let data = try Self.gzip([one, [], two])
        for (inputChunk, outputChunk) in [(1, 1 << 20), (7, 5), (1 << 20, 1), (64, 4096), (1 << 20, 1 << 20)] {
            #expect(try Self.inflate(data, inputChunk: inputChunk, outputChunk: outputChunk) == one + two)
        }
        #expect(try Self.inflate(try Self.gzip([[]]), inputChunk: 3, outputChunk: 3) == [])
    }

    @Test func damagedDataIsATypedError() throws {
        let data = try Self.gzip([Array("hello\n".utf8)])
        let invalid = IngestError.corrupt(file: "x.gz", reason: "invalid gzip data")
        // Garbage after the last member.
        #expect(throws: invalid) { try Self.inflate(data + Array("garbage".utf8), inputChunk: 5, outputChunk: 5) }
        // A wrong checksum in the trailer.
        var badCRC = data
        badCRC[badCRC.count - 8] ^= 0xFF
        #expect(throws: invalid) { try Self.inflate(badCRC, inputChunk: 100, outputChunk: 100) }
        // A stored length that does not match.
        var badLength = data
        badLength[badLength.count - 1] ^= 0x01
        #expect(throws: invalid) { try Self.inflate(badLength, inputChunk: 100, outputChunk: 100) }
        for cut in [2, 10, data.count - 1] {
            #expect(throws: IngestError.corrupt(file: "x.gz", reason: "gzip data ends unexpectedly")) {
                try Self.inflate(Array(data.prefix(cut)), inputChunk: 3, outputChunk: 3)
            }
        }
    }
}

@Suite struct XMLLimitTests {
    static let now = Date(timeIntervalSince1970: 1_795_176_000)

    static func parse(_ xml: String, limits: XMLLimits = .standard) -> OAIResponse {
        OAIParser.parse(Data(xml.utf8), now: now, limits: limits)
    }

    static let laughs = """
        <?xml version="1.0"?>
        <!DOCTYPE OAI-PMH [
        <!ENTITY lol "lol">
        <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
        <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
        <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
        <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
        <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
        <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
        <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <OAI-PMH><error code="x">&lol9;</error></OAI-PMH>
        """

    @Test func documentTypesAndEntitiesAreRefused() {
        let bomb = Self.parse(Self.laughs)
        #expect(bomb.malformed == "XML refused: a DOCTYPE declaration (OAI-PMH and Atom documents have none)")
        #expect(bomb.refused && bomb.records.isEmpty && bomb.errors.isEmpty)
        let external = """
            <?xml version="1.0"?><!DOCTYPE feed SYSTEM "file:///etc/passwd"><feed><entry/></feed>
            """
        let feed = AtomParser.parse(Data(external.utf8), now: Self.now)
        #expect(feed.malformed == "XML refused: a DOCTYPE declaration (OAI-PMH and Atom documents have none)")
        #expect(feed.records.isEmpty)
        #expect(
            Self.parse(#"<OAI-PMH><!ENTITY x "y"></OAI-PMH>"#).malformed
                == "XML refused: an ENTITY declaration (OAI-PMH and Atom documents have none)")
    }

    /// Found by the fuzzer (oai and atom): FoundationXML on Linux reads through a null pointer for `<?name?>`.
    @Test func processingInstructionsWithoutDataAreRefused() {
        #expect(
            Self.parse("<?lxr?><OAI-PMH/>").malformed
                == #"XML refused: a processing instruction without data ("<?lxr?>")"#)
        #expect(
            AtomParser.parse(Data("<feed><entry><?x?></entry></feed>".utf8), now: Self.now).malformed
                == #"XML refused: a processing instruction without data ("<?x?>")"#)
        // With data, or as the XML declaration, they are read (and ignored).
        let stylesheet = #"<?xml version="1.0"?><?xml-stylesheet href="oai2.xsl"?><OAI-PMH><?pi ?></OAI-PMH>"#
        #expect(Self.parse(stylesheet).malformed == nil)
        #expect(Self.parse("<OAI-PMH><??></OAI-PMH>").refused == false)
    }

    @Test func otherEncodingsAreRefused() {
        #expect(
            Self.parse(#"<?xml version="1.0" encoding="ISO-8859-1"?><OAI-PMH/>"#).malformed
                == #"XML refused: encoding "ISO-8859-1" (only UTF-8 documents are read)"#)
        let utf16 = Data([0xFF, 0xFE] + Array("<OAI-PMH/>".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(
            OAIParser.parse(utf16, now: Self.now).malformed
                == "XML refused: no '<' at the start (only UTF-8 XML documents are read)")
        let noMark = Data(Array("<OAI-PMH/>".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(
            OAIParser.parse(noMark, now: Self.now).malformed
                == "XML refused: a NUL byte (only UTF-8 XML documents are read, and XML allows no NUL character)")
        #expect(Self.parse(#"<?xml version="1.0" encoding="utf-8"?><OAI-PMH/>"#).malformed == nil)
        #expect(Self.parse("<?xml version='1.0' encoding = 'US-ASCII' ?><OAI-PMH/>").malformed == nil)
        // Found by the fuzzer (oai): libxml2 switched to UTF-7 for a declaration ended by "/>" and crashed.
        #expect(
            Self.parse(#"<?xml version="1.0" encoding="UTF-7"/>"# + "\n<OAI-PMH/>").malformed
                == #"XML refused: encoding "UTF-7" (only UTF-8 documents are read)"#)
        #expect(
            Self.parse(#"<?xml version="1.0" encoding=UTF-7?><OAI-PMH/>"#).malformed
                == "XML refused: an XML declaration with an unreadable encoding")
        #expect(
            Self.parse(#"<?xml version="1.0" encoding="UTF-16"#).malformed
                == "XML refused: an XML declaration with an unreadable encoding")
    }

    @Test func deepNestingIsRefusedAtTheLimit() {
        let deep =
            "<OAI-PMH>" + String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)
            + "</OAI-PMH>"
        let response = Self.parse(deep)
        #expect(response.malformed == "XML refused at line 1: elements nested deeper than 256")
        #expect(response.refused)
        let atLimit =
            "<OAI-PMH>" + String(repeating: "<a>", count: 255) + String(repeating: "</a>", count: 255)
            + "</OAI-PMH>"
        #expect(Self.parse(atLimit).malformed == nil)
    }

    @Test func elementCountAndTextLengthAreLimited() {
        let page = Fixtures.oaiRawPage(records: Fixtures.rawRecord(id: "2511.00001"))
        var few = XMLLimits()
        few.elements = 10
        #expect(
            Self.parse(page, limits: few).malformed == "XML refused at line 6: more than 10 elements and attributes")
        var short = XMLLimits()
        short.textBytes = 100
        let long = Fixtures.oaiRawPage(
            records: Fixtures.rawRecord(id: "2511.00001", title: String(repeating: "t", count: 101)))
        #expect(
            Self.parse(long, limits: short).malformed
                == #"XML refused at line 6: text of "title" longer than the limit of 100 bytes"#)
        #expect(Self.parse(page, limits: short).malformed == nil)
        var small = XMLLimits()
        small.documentBytes = 100
        #expect(Self.parse(page, limits: small).malformed == "XML refused: document larger than the limit of 100 bytes")
    }
}

@Suite struct HarvestLimitTests {
    let logger = Logger(label: "test")
    let base = URL(string: "http://oai.test/oai2")!

    func harvester(_ fetcher: ScriptedFetcher) -> Harvester {
        Harvester(
            store: InMemoryStore(), baseURL: base, fetcher: fetcher, logger: logger, minimumDelay: .zero, maxRetries: 2,
            sleep: { _ in }, now: { Date(timeIntervalSince1970: 1_800_000_000) })
    }

    static let firstURL = "http://oai.test/oai2?verb=ListRecords&metadataPrefix=arXivRaw"

    static func description(of run: () async throws -> HarvestReport) async -> String? {
        do {
            _ = try await run()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aBodyOverTheLimitIsABadResponse() async throws {
        let fetcher = ScriptedFetcher([.ok(HarvesterTests.page2), .ok(HarvesterTests.page2)])
        var harvester = harvester(fetcher)
        harvester.maxResponseBytes = 100
        let error = await Self.description { try await harvester.run() }
        #expect(
            error == "bad OAI-PMH response from \(Self.firstURL): response body larger than the limit of 100 bytes")
        #expect(await fetcher.queries.count == 1)
    }

    @Test func aRefusedDocumentIsNotAskedForAgain() async throws {
        let fetcher = ScriptedFetcher([.ok(XMLLimitTests.laughs), .ok(HarvesterTests.page2)])
        let error = await Self.description { try await harvester(fetcher).run() }
        #expect(
            error
                == "bad OAI-PMH response from \(Self.firstURL): "
                + "XML refused: a DOCTYPE declaration (OAI-PMH and Atom documents have none)")
        #expect(await fetcher.queries.count == 1)
    }

    @Test func aResumptionTokenThatDoesNotChangeStopsTheHarvest() async throws {
        let fetcher = ScriptedFetcher([.ok(HarvesterTests.page1), .ok(HarvesterTests.page1)])
        let error = await Self.description { try await harvester(fetcher).run() }
        #expect(
            error
                == "bad OAI-PMH response from http://oai.test/oai2?verb=ListRecords&resumptionToken=tok%7C1: "
                + #"the same resumption token again ("tok|1")"#)
        let long = Fixtures.oaiRawPage(
            records: Fixtures.rawRecord(id: "2511.00001"), token: String(repeating: "t", count: 5000))
        let longError = await Self.description { try await harvester(ScriptedFetcher([.ok(long)])).run() }
        #expect(longError == "bad OAI-PMH response from \(Self.firstURL): resumption token longer than 4096 bytes")
    }
}
