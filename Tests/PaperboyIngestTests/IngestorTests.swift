import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyIngest

/// A temporary directory removed when the value goes away.
final class TempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// gzip-compresses `source` with the system gzip.
    func gzip(_ sources: [String], to name: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        var data = Data()
        for source in sources {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-c", source]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            data += pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
        }
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [IngestProgress] = []
    func add(_ p: IngestProgress) { lock.withLock { items.append(p) } }
    var all: [IngestProgress] { lock.withLock { items } }
}

@Suite struct IngestorTests {
    let logger = Logger(label: "test")

    @Test func realSampleInBatches() async throws {
        let store = InMemoryStore()
        let progress = ProgressLog()
        let ingestor = Ingestor(store: store, logger: logger, batchSize: 64, progress: { progress.add($0) })
        let report = try await ingestor.ingest(files: [Fixtures.sample200.path])
        #expect(report.records == 200)
        #expect(report.inserted == 200)
        #expect(report.rejected == 0 && report.skipped == 0 && report.files == 1)
        #expect(await store.upsertCalls == [64, 64, 64, 8])
        #expect(await store.bulkLoads == 1)
        #expect(await store.bulkLoadEnds == 1)
        let size = try FileManager.default.attributesOfItem(atPath: Fixtures.sample200.path)[.size] as! Int
        #expect(
            progress.all.last
                == IngestProgress(file: Fixtures.sample200.path, records: 200, bytesRead: size, totalBytes: size))
        #expect(report.bytesRead == size)
        let stored = try #require(await store.papers[PaperID("0704.0001")!])
        #expect(stored.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"])

        // Again: nothing changes, and a big store is not bulk-loaded.
        let again = try await Ingestor(store: store, logger: logger).ingest(files: [Fixtures.sample200.path])
        #expect(again.unchanged == 200 && again.inserted == 0 && again.updated == 0)
        let big = InMemoryStore(extraCount: 10_000)
        _ = try await Ingestor(store: big, logger: logger).ingest(files: [Fixtures.sample200.path])
        #expect(await big.bulkLoads == 0)
    }

    static let mixed = """
        {"id": "2511.00001", "title": "Good one", "versions": [{"version": "v1", "created": "Mon, 3 Nov 2025 10:00:00 GMT"}]}
        {"id": "2511.00002", "title": "Broken
        {"id": "2511.00003", "abstract": "no title", "versions": [{"version": "v1", "created": "Mon, 3 Nov 2025 10:00:00 GMT"}]}

        {"id": "abc", "title": "Bad id", "versions": [{"version": "v1", "created": "Mon, 3 Nov 2025 10:00:00 GMT"}]}\r
        {"id": "2511.00005", "title": "Good two", "versions": [{"version": "v1", "created": "Mon, 3 Nov 2025 10:00:00 GMT"}]}
        """

    @Test func badRecordsAreReportedAndGoodOnesKept() async throws {
        let dir = try TempDir()
        let file = try dir.write("mixed.jsonl", Self.mixed)
        let store = InMemoryStore()
        let report = try await Ingestor(store: store, logger: logger, batchSize: 1).ingest(files: [file])
        #expect(report.records == 2 && report.inserted == 2 && report.rejected == 3)
        #expect(
            report.rejections == [
                RecordRejection(
                    file: file, position: .line(2), reason: "invalid JSON: unterminated string at column 38"),
                RecordRejection(file: file, position: .line(3), reason: #"missing field "title""#),
                RecordRejection(file: file, position: .line(5), reason: #"invalid arXiv id "abc""#),
            ])
        #expect(report.rejections[1].description == "\(file):3: missing field \"title\"")
        #expect(await store.papers.keys.map(\.rawValue).sorted() == ["2511.00001", "2511.00005"])
    }

    @Test func strictStopsAtTheFirstRejection() async throws {
        let dir = try TempDir()
        let file = try dir.write("mixed.jsonl", Self.mixed)
        let store = InMemoryStore()
        await #expect(
            throws: IngestError.rejected(
                RecordRejection(
                    file: file, position: .line(2),
                    reason: "invalid JSON: unterminated string at column 38"))
        ) {
            try await Ingestor(store: store, logger: logger, strict: true).ingest(files: [file])
        }
        #expect(await store.papers.keys.map(\.rawValue) == ["2511.00001"])
        #expect(await store.bulkLoadEnds == 1)
    }

    @Test func gzipInputIncludingConcatenatedMembers() async throws {
        let dir = try TempDir()
        let gz = try dir.gzip([Fixtures.sample200.path], to: "sample.jsonl.gz")
        let store = InMemoryStore()
        let report = try await Ingestor(store: store, logger: logger).ingest(files: [gz])
        #expect(report.inserted == 200 && report.rejected == 0)

        let two = try dir.gzip([Fixtures.sample200.path, Fixtures.seedPapers.path], to: "two.jsonl.gz")
        let both = try await Ingestor(store: InMemoryStore(), logger: logger).ingest(files: [two])
        #expect(both.inserted == 286 && both.rejected == 0)

        let xml = try dir.write("page.xml", Fixtures.arXivRawListRecords)
        let xmlGz = try dir.gzip([xml], to: "page.xml.gz")
        let xmlReport = try await Ingestor(store: InMemoryStore(), logger: logger).ingest(files: [xmlGz])
        #expect(xmlReport.inserted == 1 && xmlReport.skipped == 1 && xmlReport.rejected == 1)

        let truncated = try Data(contentsOf: URL(fileURLWithPath: gz)).prefix(5000)
        let cut = dir.url.appendingPathComponent("cut.jsonl.gz")
        try truncated.write(to: cut)
        await #expect(throws: IngestError.corrupt(file: cut.path, reason: "gzip data ends unexpectedly")) {
            try await Ingestor(store: InMemoryStore(), logger: logger).ingest(files: [cut.path])
        }
    }

    @Test func xmlFilesReportRecordPositions() async throws {
        let dir = try TempDir()
        let raw = try dir.write("page.xml", Fixtures.arXivRawListRecords)
        let atom = try dir.write("feed.atom", Fixtures.atomFeed)
        let arxiv = try dir.write("one.xml", Fixtures.arXivGetRecord)
        let store = InMemoryStore()
        let report = try await Ingestor(store: store, logger: logger).ingest(files: [raw, atom, arxiv])
        #expect(report.files == 3)
        #expect(report.inserted == 4 && report.skipped == 1 && report.rejected == 1)
        #expect(
            report.rejections == [RecordRejection(file: raw, position: .record(3), reason: #"invalid arXiv id "abc""#)])
        #expect(report.rejections[0].description == "\(raw): record 3: invalid arXiv id \"abc\"")
    }

    @Test func unknownFormatAndMissingFiles() async throws {
        let dir = try TempDir()
        let good = try dir.write("good.jsonl", Self.mixed)
        let csv = try dir.write("papers.csv", "id,title\n0704.0001,Hello\n")
        let store = InMemoryStore()
        await #expect(throws: IngestError.unknownFormat(file: csv)) {
            try await Ingestor(store: store, logger: logger).ingest(files: [good, csv])
        }
        // Checked before anything is stored.
        #expect(await store.papers.isEmpty)
        do {
            _ = try await Ingestor(store: store, logger: logger).ingest(files: [csv])
            Issue.record("no error")
        } catch let error as IngestError {
            #expect(
                error.description
                    == "unknown format: \(csv) does not look like arXiv JSON lines, OAI-PMH XML or an Atom feed")
            #expect(error.exitCode == 65)
        }
        let missing = dir.url.appendingPathComponent("nope.jsonl").path
        await #expect(throws: IngestError.io(file: missing, reason: "No such file or directory")) {
            try await Ingestor(store: store, logger: logger).ingest(files: [missing])
        }
        #expect(IngestError.io(file: missing, reason: "No such file or directory").exitCode == 74)
        #expect(
            IngestError.io(file: missing, reason: "No such file or directory").description
                == "cannot read \(missing): No such file or directory")
    }

    @Test func largeFileStreamsInChunks() async throws {
        // More than one 1 MiB read chunk, so lines are split across chunk borders.
        let dir = try TempDir()
        var text = ""
        for n in 1...3000 {
            text +=
                #"{"id": "2511.\#(String(format: "%05d", n))", "title": "Paper \#(n) \#(String(repeating: "word ", count: 80))", "#
                + #""versions": [{"version": "v1", "created": "Mon, 3 Nov 2025 10:00:00 GMT"}]}"# + "\n"
        }
        let file = try dir.write("big.jsonl", text)
        let report = try await Ingestor(store: InMemoryStore(), logger: logger).ingest(files: [file])
        #expect(text.utf8.count > 1 << 20)
        #expect(report.inserted == 3000 && report.rejected == 0)
    }
}
