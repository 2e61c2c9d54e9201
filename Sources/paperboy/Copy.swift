import ArgumentParser
import Foundation
import Logging
import PaperboyCore

/// `paperboy copy`: moves an installation from one store to another (an SQLite file into PostgreSQL), table by table,
/// then prints each table's rows and checksum on both sides. Rows the target holds already are left alone, so a copy
/// run again adds nothing; a target holding another installation's data is refused.
struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy every table of one store into another (an SQLite file into PostgreSQL), checked per table.",
        discussion: """
            Stop the servers on the source first: rows written to it during the copy may be missed (the checks then \
            say which tables differ; run the copy again to add what was missed). The target's schema is brought up \
            to date first, and must hold no papers or accounts of another installation.
            """)

    @Option(help: "The store to copy from: an SQLite file (PAPERBOY_SOURCE).")
    var source: String?

    @Option(help: "The store to copy into: postgres://user@host:port/db?sslmode=... (PAPERBOY_TARGET).")
    var target: String?

    @Option(
        help: ArgumentHelp(
            "File whose first line is the target's PostgreSQL password (PAPERBOY_TARGET_PASSWORD_FILE; else the URL "
                + "in PAPERBOY_TARGET, or PGPASSWORD)."))
    var targetPasswordFile: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (PAPERBOY_LOG_LEVEL; default info).")
    var logLevel: String?

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try Settings.logger("paperboy.copy", level: logLevel)
            let from = try Self.location("source", source, passwordFile: nil)
            let password = try SecretSetting.read("target-password", file: targetPasswordFile, minimumBytes: 1)
                .map { String(decoding: $0, as: UTF8.self) }
            let into = try Self.location("target", target, passwordFile: password)
            guard from.exists else {
                Paperboy.printError("no database at \(from.description)")
                throw Exit.ioError
            }
            let sourceStore = try await from.open(logger: logger)
            let targetStore = try await into.open(logger: logger)
            guard let reader = sourceStore as? any TableReading else {
                throw SettingError(setting: "--source (PAPERBOY_SOURCE)", problem: "this store cannot be copied from")
            }
            guard let writer = targetStore as? any TableWriting else {
                throw SettingError(
                    setting: "--target (PAPERBOY_TARGET)", problem: "copies go into PostgreSQL: give a postgres:// URL")
            }
            let identity = try await sourceStore.storeIdentity()
            print("copying \(from.description) into \(into.description)")
            let start = ContinuousClock.now
            let reports: [StoreCopy.TableReport]
            do {
                reports = try await StoreCopy.run(from: reader, to: writer, identity: identity) { report in
                    print(Self.line(report))
                }
            } catch let error as StoreCopy.TargetHoldsOtherData {
                Paperboy.printError("\(into.description): \(error)")
                throw Exit.dataError
            }
            let elapsed =
                Double((ContinuousClock.now - start).components.seconds)
                + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            let written = reports.reduce(0) { $0 + $1.written }
            let rows = reports.reduce(0) { $0 + $1.source.rows }
            let differing = reports.filter { !$0.matches }.map(\.table)
            print(
                "\(written) rows written of \(rows) in \(String(format: "%.1f", elapsed)) s "
                    + "(\(Int(Double(rows) / max(elapsed, 0.001))) rows/s)")
            guard differing.isEmpty else {
                Paperboy.printError(
                    "the tables \(differing.joined(separator: ", ")) differ between source and target: were the "
                        + "source's servers stopped? Run the copy again to add what is missing")
                throw Exit.dataError
            }
            print("every table matches")
        }
    }

    /// One table's line: rows written, and the count and checksum of each side.
    static func line(_ report: StoreCopy.TableReport) -> String {
        let name = report.table.padding(toLength: 22, withPad: " ", startingAt: 0)
        return "\(name) \(String(format: "%9d", report.written)) written   source \(report.source)   "
            + "target \(report.target)   \(report.matches ? "ok" : "DIFFERENT")"
    }

    static func location(_ flag: String, _ given: String?, passwordFile: String?) throws -> StoreLocation {
        guard let value = Settings.string(flag, given) else {
            throw SettingError(setting: "--\(flag) (\(Settings.environmentName(flag)))", problem: "not set")
        }
        return try StoreLocation(
            value, setting: "--\(flag) (\(Settings.environmentName(flag)))", fromFlag: given != nil,
            passwordFile: passwordFile, environment: ProcessInfo.processInfo.environment)
    }
}
