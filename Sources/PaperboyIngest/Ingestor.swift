import Foundation
import Logging
import PaperboyCore

/// Reads arXiv metadata files (snapshot JSON lines, OAI-PMH XML, Atom; optionally gzip-compressed) and stores
/// the papers in batches. JSON lines are streamed in chunks, so memory stays flat whatever the file size;
/// an XML document is parsed whole. Parsing of the next batch overlaps with the store writing the previous one.
public struct Ingestor: Sendable {
    public let store: any PaperWriter
    public let logger: Logger
    public let batchSize: Int
    /// Stop at the first record that cannot be used (throwing ``IngestError/rejected(_:)``) instead of
    /// counting it and going on. Records before it are stored.
    public let strict: Bool
    public let progress: (@Sendable (IngestProgress) -> Void)?
    /// The clock that dates are checked against: a version dated after tomorrow is refused.
    public let now: @Sendable () -> Date
    /// The longest line of JSON lines (``IngestLimits/maxLineBytes``; smaller in tests).
    var maxLineBytes = IngestLimits.maxLineBytes
    /// The largest XML document (``IngestLimits/maxXMLDocumentBytes``; smaller in tests).
    var maxXMLBytes = IngestLimits.maxXMLDocumentBytes

    /// Stores with fewer papers than this are loaded between `beginBulkLoad()` and `endBulkLoad()`.
    public static let bulkLoadThreshold = 10_000

    public init(
        store: some PaperWriter, logger: Logger, batchSize: Int = 1000, strict: Bool = false,
        progress: (@Sendable (IngestProgress) -> Void)? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.logger = logger
        self.batchSize = max(1, batchSize)
        self.strict = strict
        self.progress = progress
        self.now = now
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
                let (sum, overflow) = total.addingReportingOverflow(size)
                totalBytes = overflow ? nil : sum
            } else {
                totalBytes = nil
            }
            // Regular files are opened again when their turn comes, so that many inputs do not hold many
            // descriptors; standard input cannot be opened twice.
            inputs.append((file, file == "-" ? opened : nil))
        }

        let run = IngestRun(ingestor: self, totalBytes: totalBytes)
        let bulk = try await store.paperCount() < Ingestor.bulkLoadThreshold
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
            metadata: run.metadata.merging(["ingest.rate": "\(String(format: "%.0f", report.recordsPerSecond))/s"]) {
                a, _ in a
            })
        return report
    }
}

/// Writes batches one at a time while the caller goes on parsing.
final class BatchWriter {
    let store: any PaperWriter
    var pending: Task<UpsertSummary, any Error>?
    var summary = UpsertSummary()

    init(store: any PaperWriter) { self.store = store }

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
    /// The moment dates are checked against, fixed for the whole run.
    let now: Date
    var report = IngestReport()
    var batch: [Paper] = []
    /// Bytes of the inputs finished so far.
    var bytesBefore = 0
    var seen = 0

    init(ingestor: Ingestor, totalBytes: Int?) {
        self.ingestor = ingestor
        self.totalBytes = totalBytes
        now = ingestor.now()
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
        var splitter = LineSplitter(limit: ingestor.maxLineBytes)
        let tooLong = "line longer than the limit of \(IngestLimits.describe(bytes: splitter.limit))"
        let now = self.now
        var finished = false
        while !finished {
            try Task.checkCancellation()
            let chunk = try source.read()
            finished = chunk.isEmpty
            var stopAt: RecordRejection?
            splitter.feed(chunk) { number, line in
                let record: ParsedRecord
                switch line {
                case .tooLong:
                    record = .rejected(tooLong)
                case .text(let text):
                    if text.allSatisfy(Normalize.isSpace) { return true }
                    record = SnapshotParser.parse(line: text, now: now)
                }
                stopAt = take(record, file: file, position: .line(number))
                return stopAt == nil
            }
            if let stopAt { try await stop(at: stopAt) }
            try await submitFullBatches()
            reportProgress(file: file, source: source)
        }
    }

    func readXML(_ source: any ByteSource, format: IngestFormat, file: String) async throws {
        var bytes: [UInt8] = []
        let limit = ingestor.maxXMLBytes
        while true {
            try Task.checkCancellation()
            let chunk = try source.read()
            if chunk.isEmpty { break }
            guard chunk.count <= limit - bytes.count else {
                // Nothing of a document this large is read: its records count as one rejection.
                let reason = "XML document larger than the limit of \(IngestLimits.describe(bytes: limit))"
                if let rejection = take(.rejected(reason), file: file, position: .record(1)) {
                    try await stop(at: rejection)
                }
                return
            }
            bytes.append(contentsOf: chunk)
        }
        let data = Data(bytes)
        bytes = []
        var records: [ParsedRecord]
        var malformed: String?
        if format == .oaiPMH {
            let response = OAIParser.parse(data, now: now)
            records = response.records
            malformed = response.malformed
            for error in response.errors.lazy.filter({ $0.code != "noRecordsMatch" }).prefix(20) {
                ingestor.logger.warning("\(IngestError.displayName(file)): \(error)")
            }
        } else {
            let feed = AtomParser.parse(data, now: now)
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
