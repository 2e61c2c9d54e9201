import Foundation
import Logging
import PaperboyCore

/// Reads arXiv metadata files (snapshot JSON lines, OAI-PMH XML, Atom; optionally gzip-compressed) and stores
/// the papers in batches. JSON lines are streamed in chunks, so memory stays flat whatever the file size;
/// an XML document is parsed whole. Parsing of the next batch overlaps with the store writing the previous one.
public struct Ingestor: Sendable {
    public let store: any PaperStore
    public let logger: Logger
    public let batchSize: Int
    /// Stop at the first record that cannot be used (throwing ``IngestError/rejected(_:)``) instead of
    /// counting it and going on. Records before it are stored.
    public let strict: Bool
    public let progress: (@Sendable (IngestProgress) -> Void)?

    /// Stores with fewer papers than this are loaded between `beginBulkLoad()` and `endBulkLoad()`.
    public static let bulkLoadThreshold = 10_000

    public init(
        store: some PaperStore, logger: Logger, batchSize: Int = 1000, strict: Bool = false,
        progress: (@Sendable (IngestProgress) -> Void)? = nil
    ) {
        self.store = store
        self.logger = logger
        self.batchSize = max(1, batchSize)
        self.strict = strict
        self.progress = progress
    }

    /// Ingests the files in order; `-` is standard input. Every input is opened and its format checked
    /// before anything is stored, so a mistyped name or an unknown format fails fast.
    public func ingest(files: [String]) async throws -> IngestReport {
        let clock = ContinuousClock()
        let started = clock.now
        var inputs: [(name: String, opened: OpenedInput?)] = []
        var totalBytes: Int? = 0
        for file in files {
            let opened = try OpenedInput.open(file)
            if let size = opened.totalBytes, let total = totalBytes {
                totalBytes = total + size
            } else {
                totalBytes = nil
            }
            // Regular files are opened again when their turn comes, so that many inputs do not hold many
            // descriptors; standard input cannot be opened twice.
            inputs.append((file, file == "-" ? opened : nil))
        }

        let run = IngestRun(ingestor: self, totalBytes: totalBytes)
        let bulk = try await store.stats().papers < Ingestor.bulkLoadThreshold
        if bulk { try await store.beginBulkLoad() }
        do {
            for input in inputs {
                let opened = try input.opened ?? OpenedInput.open(input.name)
                try await run.read(opened, file: input.name)
                run.report.files += 1
            }
            try await run.flushAll()
        } catch {
            try? await run.writer.drain()
            if bulk { try? await store.endBulkLoad() }
            run.report.elapsed = clock.now - started
            logger.error("ingest stopped: \(error)", metadata: run.metadata)
            throw error
        }
        if bulk { try await store.endBulkLoad() }
        var report = run.report
        report.elapsed = clock.now - started
        logger.info(
            "ingest finished",
            metadata: run.metadata.merging(["ingest.rate": "\(Int(report.recordsPerSecond))/s"]) { a, _ in a })
        return report
    }
}

/// Writes batches one at a time while the caller goes on parsing.
final class BatchWriter {
    let store: any PaperStore
    var pending: Task<UpsertSummary, any Error>?
    var summary = UpsertSummary()

    init(store: any PaperStore) { self.store = store }

    func submit(_ papers: [Paper]) async throws {
        try await drain()
        let store = self.store
        pending = Task { try await store.upsert(papers) }
    }

    func drain() async throws {
        guard let task = pending else { return }
        pending = nil
        summary += try await task.value
    }
}

/// The state of one `ingest(files:)` call.
final class IngestRun {
    let ingestor: Ingestor
    let writer: BatchWriter
    let totalBytes: Int?
    var report = IngestReport()
    var batch: [Paper] = []
    /// Bytes of the inputs finished so far.
    var bytesBefore = 0
    var seen = 0

    init(ingestor: Ingestor, totalBytes: Int?) {
        self.ingestor = ingestor
        self.totalBytes = totalBytes
        writer = BatchWriter(store: ingestor.store)
        batch.reserveCapacity(ingestor.batchSize)
    }

    var metadata: Logger.Metadata {
        [
            "ingest.files": "\(report.files)", "ingest.records": "\(report.records)",
            "ingest.rejected": "\(report.rejected)",
            "ingest.skipped": "\(report.skipped)", "ingest.inserted": "\(writer.summary.inserted)",
            "ingest.updated": "\(writer.summary.updated)", "ingest.unchanged": "\(writer.summary.unchanged)",
        ]
    }

    /// Takes one parsed record. Returns the rejection when strict mode must stop.
    func take(_ record: ParsedRecord, file: String, position: RecordPosition) -> RecordRejection? {
        seen += 1
        switch record {
        case .paper(let paper):
            report.records += 1
            batch.append(paper)
        case .deleted:
            report.skipped += 1
        case .rejected(let reason):
            let rejection = RecordRejection(file: file, position: position, reason: reason)
            report.rejected += 1
            if report.rejections.count < IngestReport.maxListedRejections { report.rejections.append(rejection) }
            if ingestor.strict { return rejection }
            if report.rejected <= 20 {
                ingestor.logger.warning("\(rejection)")
            } else if report.rejected == 21 {
                ingestor.logger.warning("more records rejected; see the report")
            }
        }
        return nil
    }

    func submitFullBatches() async throws {
        let size = ingestor.batchSize
        while batch.count >= size {
            let next = Array(batch.prefix(size))
            batch.removeFirst(size)
            try await writer.submit(next)
        }
    }

    func flushAll() async throws {
        try await submitFullBatches()
        if !batch.isEmpty {
            let rest = batch
            batch.removeAll(keepingCapacity: true)
            try await writer.submit(rest)
        }
        try await writer.drain()
        report.inserted = writer.summary.inserted
        report.updated = writer.summary.updated
        report.unchanged = writer.summary.unchanged
    }

    func stop(at rejection: RecordRejection) async throws -> Never {
        try await flushAll()
        throw IngestError.rejected(rejection)
    }

    func reportProgress(file: String, source: any ByteSource) {
        report.bytesRead = bytesBefore + source.bytesRead
        ingestor.progress?(
            IngestProgress(file: file, records: seen, bytesRead: report.bytesRead, totalBytes: totalBytes))
    }

    func read(_ input: OpenedInput, file: String) async throws {
        ingestor.logger.info(
            "reading \(IngestError.displayName(file))",
            metadata: ["ingest.format": "\(input.format.rawValue)", "ingest.gzip": "\(input.compressed)"])
        switch input.format {
        case .jsonLines: try await readJSONLines(input.source, file: file)
        case .oaiPMH, .atom: try await readXML(input.source, format: input.format, file: file)
        case .gzip: throw IngestError.unknownFormat(file: file)
        }
        reportProgress(file: file, source: input.source)
        bytesBefore += input.source.bytesRead
    }

    func readJSONLines(_ source: any ByteSource, file: String) async throws {
        var carry: [UInt8] = []
        var lineNumber = 0
        var finished = false
        while !finished {
            try Task.checkCancellation()
            let chunk = try source.read()
            if chunk.isEmpty {
                finished = true
                if carry.isEmpty { break }
                carry.append(UInt8(ascii: "\n"))
            } else {
                carry.append(contentsOf: chunk)
            }
            var stopAt: RecordRejection?
            let consumed = carry.withUnsafeBufferPointer { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                var start = 0
                while start < buffer.count,
                    let found = memchr(base + start, Int32(UInt8(ascii: "\n")), buffer.count - start)
                {
                    let end = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
                    lineNumber += 1
                    var lineEnd = end
                    if lineEnd > start, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                    let line = UnsafeBufferPointer(rebasing: buffer[start..<lineEnd])
                    start = end + 1
                    if line.allSatisfy(Normalize.isSpace) { continue }
                    if let rejection = take(SnapshotParser.parse(line: line), file: file, position: .line(lineNumber)) {
                        stopAt = rejection
                        break
                    }
                }
                return start
            }
            carry.removeFirst(consumed)
            if let stopAt { try await stop(at: stopAt) }
            try await submitFullBatches()
            reportProgress(file: file, source: source)
        }
    }

    func readXML(_ source: any ByteSource, format: IngestFormat, file: String) async throws {
        var bytes: [UInt8] = []
        while true {
            try Task.checkCancellation()
            let chunk = try source.read()
            if chunk.isEmpty { break }
            bytes.append(contentsOf: chunk)
        }
        let data = Data(bytes)
        bytes = []
        var records: [ParsedRecord]
        var malformed: String?
        if format == .oaiPMH {
            let response = OAIParser.parse(data)
            records = response.records
            malformed = response.malformed
            for error in response.errors where error.code != "noRecordsMatch" {
                ingestor.logger.warning("\(IngestError.displayName(file)): \(error)")
            }
        } else {
            let feed = AtomParser.parse(data)
            records = feed.records
            malformed = feed.malformed
        }
        if let malformed { records.append(.rejected(malformed)) }
        for (index, record) in records.enumerated() {
            if let rejection = take(record, file: file, position: .record(index + 1)) { try await stop(at: rejection) }
            if batch.count >= ingestor.batchSize { try await submitFullBatches() }
        }
    }
}
