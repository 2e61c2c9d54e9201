import ArgumentParser
import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboySearch
import Synchronization

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load arXiv metadata: snapshot JSON lines (optionally gzip), OAI-PMH XML, Atom feeds.",
        discussion: """
            The format is detected from the content. Records that cannot be used are reported with file, line and
            reason while good records around them are stored; the exit code is then 65. Loading the same input twice
            changes nothing.
            """)

    @OptionGroup var common: CommonOptions

    @Flag(help: "Stop at the first rejected record (PAPERBOY_STRICT).")
    var strict = false

    @Argument(help: "Files to read; - reads standard input.")
    var files: [String]

    func run() async throws {
        try await Paperboy.guarded {
            guard !files.isEmpty else {
                Paperboy.printError("ingest needs at least one FILE (or - for standard input)")
                throw Exit.usage
            }
            let strict = try Settings.bool("strict", strict)
            let logger = try common.logger("paperboy.ingest")
            let store = try await common.openStore(logger: logger)
            let meter = ProgressMeter(enabled: isatty(STDERR_FILENO) == 1)
            let ingestor = Ingestor(store: store, logger: logger, strict: strict) { meter.update($0) }
            // The keyword index follows the load on the other core, unless a running server keeps it.
            let follower = try await KeywordIndexFollower.start(
                directory: common.indexDirectory, store: store, logger: logger)
            let report: IngestReport
            do {
                report = try await ingestor.ingest(files: files)
            } catch {
                await follower?.stop()
                throw error
            }
            meter.finish()
            if let follower {
                let (papers, seconds) = try await follower.finish()
                print("keyword index: \(papers) papers, ready \(String(format: "%.1f", seconds)) s after the last row")
            } else {
                print("keyword index: kept current by the process that holds \(common.indexDirectory.path)")
            }
            for rejection in report.rejections { Paperboy.printError(rejection.description) }
            if report.rejected > report.rejections.count {
                Paperboy.printError("… and \(report.rejected - report.rejections.count) more rejected records")
            }
            let seconds = String(format: "%.1f", report.elapsed.seconds)
            print(
                "\(report.records) records in \(seconds) s (\(Self.whole(report.recordsPerSecond))/s): "
                    + "\(report.counts) records skipped")
            if report.rejected > 0 { throw Exit.dataError }
        }
    }

    /// A rate or a count of seconds as a whole number, whatever the Double (no trap on huge or NaN values).
    static func whole(_ value: Double) -> String {
        value.isFinite ? String(format: "%.0f", value) : "-"
    }
}

/// Progress on a terminal: count, rate and, when the total is known, the time left. Silent elsewhere.
final class ProgressMeter: Sendable {
    let enabled: Bool
    let start = ContinuousClock.now
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ progress: IngestProgress) {
        var fraction: Double?
        if let total = progress.totalBytes, total > 0, progress.bytesRead > 0 {
            fraction = min(1, Double(progress.bytesRead) / Double(total))
        }
        show(count: progress.records, unit: "records", fraction: fraction)
    }

    /// `done` of `total` items (total 0: unknown).
    func line(done: Int, total: Int, unit: String) {
        show(count: done, unit: unit, fraction: total > 0 ? min(1, Double(done) / Double(total)) : nil)
    }

    private func show(count: Int, unit: String, fraction: Double?) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            if let previous = last, now - previous < .milliseconds(250) { return false }
            last = now
            return true
        }
        guard due else { return }
        let seconds = max(0.001, (now - start).seconds)
        var line = "\r\(count) \(unit), \(Ingest.whole(Double(count) / seconds))/s"
        if let fraction, fraction > 0 {
            line += ", \(Ingest.whole(fraction * 100))%, ETA \(Ingest.whole(seconds / fraction - seconds)) s"
        }
        FileHandle.standardError.write(Data((line + "   ").utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\n".utf8)) }
    }
}
