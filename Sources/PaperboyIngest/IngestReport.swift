import Foundation
import PaperboyCore

/// Where a rejected record stands in its input.
public enum RecordPosition: Hashable, Sendable {
    /// JSON lines: the 1-based line number.
    case line(Int)
    /// XML: the 1-based index of the record (or Atom entry) in the document.
    case record(Int)

    public var number: Int {
        switch self {
        case .line(let n), .record(let n): n
        }
    }
}

/// A record the ingestor could not use, and why.
public struct RecordRejection: Hashable, Sendable, CustomStringConvertible {
    /// The input as named on the command line (`-` for standard input).
    public var file: String
    public var position: RecordPosition
    /// Specific and meant for a person: `missing field "title"`, `invalid arXiv id "abc"`, `invalid JSON: …`.
    public var reason: String

    public init(file: String, position: RecordPosition, reason: String) {
        self.file = file
        self.position = position
        self.reason = reason
    }

    /// The line (JSON lines) or record index (XML), 1-based.
    public var line: Int { position.number }

    /// `file.jsonl:12: missing field "title"` or `page.xml: record 3: invalid arXiv id "abc"`.
    public var description: String {
        switch position {
        case .line(let n): "\(IngestError.displayName(file)):\(n): \(reason)"
        case .record(let n): "\(IngestError.displayName(file)): record \(n): \(reason)"
        }
    }
}

/// What became of the records an ingest or a harvest read; both reports count them alike.
public struct RecordCounts: Sendable, Hashable, CustomStringConvertible {
    /// Records read and accepted (before merging).
    public var records = 0
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    /// Records that could not be used (all of them, also beyond a report's listed rejections).
    public var rejected = 0
    /// OAI-PMH records marked deleted.
    public var skipped = 0

    public init() {}

    /// Adds what the store did with accepted records.
    public mutating func add(_ summary: UpsertSummary) {
        inserted += summary.inserted
        updated += summary.updated
        unchanged += summary.unchanged
    }

    /// `3 new, 0 updated, 1 unchanged, 0 rejected, 2 deleted`, as `ingest` and `harvest` print it.
    public var description: String {
        "\(inserted) new, \(updated) updated, \(unchanged) unchanged, \(rejected) rejected, \(skipped) deleted"
    }
}

/// What an ingest did: its ``RecordCounts`` (`report.inserted`, ...) and what only an ingest knows.
@dynamicMemberLookup
public struct IngestReport: Sendable, Hashable {
    public var files = 0
    public var counts = RecordCounts()
    /// The first ``IngestReport/maxListedRejections`` rejections, in input order.
    public var rejections: [RecordRejection] = []
    /// Bytes read from the inputs (compressed bytes for gzip).
    public var bytesRead = 0
    public var elapsed: Duration = .zero

    public static let maxListedRejections = 1000

    public init() {}

    public subscript(dynamicMember counter: WritableKeyPath<RecordCounts, Int>) -> Int {
        get { counts[keyPath: counter] }
        set { counts[keyPath: counter] = newValue }
    }

    /// Accepted records per second.
    public var recordsPerSecond: Double {
        elapsed > .zero ? Double(counts.records) / elapsed.seconds : 0
    }
}

/// Progress of an ingest, for a rate and an ETA.
public struct IngestProgress: Sendable, Hashable {
    /// The input being read.
    public var file: String
    /// Records read so far over all inputs (accepted, rejected and skipped).
    public var records: Int
    /// Bytes read so far over all inputs (compressed bytes for gzip).
    public var bytesRead: Int
    /// The total size of all inputs when every one is a regular file; nil otherwise (standard input).
    public var totalBytes: Int?

    public init(file: String, records: Int, bytesRead: Int, totalBytes: Int?) {
        self.file = file
        self.records = records
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
    }
}

/// Why an ingest stopped.
public enum IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input is none of the formats the ingestor reads.
    case unknownFormat(file: String)
    /// The input could not be opened or read.
    case io(file: String, reason: String)
    /// The input is damaged in a way no record can be read past (bad gzip data).
    case corrupt(file: String, reason: String)
    /// Strict mode: the first record that could not be used.
    case rejected(RecordRejection)

    public var description: String {
        switch self {
        case .unknownFormat(let file):
            "unknown format: \(IngestError.displayName(file)) does not look like arXiv JSON lines, "
                + "OAI-PMH XML or an Atom feed"
        case .io(let file, let reason): "cannot read \(IngestError.displayName(file)): \(reason)"
        case .corrupt(let file, let reason): "\(IngestError.displayName(file)): \(reason)"
        case .rejected(let rejection): "rejected record: \(rejection)"
        }
    }

    /// True for problems with the data (sysexits 65, EX_DATAERR); false for I/O problems (74, EX_IOERR).
    public var isDataError: Bool {
        if case .io = self { return false }
        return true
    }

    /// The sysexits code a command line tool should exit with.
    public var exitCode: Int32 { isDataError ? 65 : 74 }

    static func displayName(_ file: String) -> String { file == "-" ? "standard input" : file }
}
