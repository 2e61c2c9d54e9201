import ArgumentParser
import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyPostgres

@main
struct Paperboy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paperboy",
        abstract: "Research-paper discovery: daily arXiv listings, search, API and feeds.",
        discussion: """
            Every option has an environment twin: PAPERBOY_ and the option in upper snake case \
            (--base-url is PAPERBOY_BASE_URL). An option given on the command line wins over the environment. \
            A secret is never an option: it comes from a file (--secret-file) or the environment (PAPERBOY_SECRET).

            Exit codes: 0 success, 64 usage, 65 bad input data, 67 unknown user, token or organisation (`user` and \
            `org` commands), 69 remote service unavailable (the arXiv API, the SMTP server), 70 internal error, 74 I/O error, \
            75 temporary failure (`digest send`: some digests are left for the next run).
            """,
        version: PaperboyVersion.current,
        subcommands: [
            Serve.self, Migrate.self, Backup.self, Ingest.self, Harvest.self, Embed.self, Eval.self, EvalRecommend.self,
            UserCommand.self,
            OrgCommand.self, DigestCommand.self, MCPCommand.self, Copy.self,
        ]
    )

    /// Runs a command body, turning known errors into messages and sysexits codes.
    static func guarded(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as SettingError {
            printError(error.description)
            throw Exit.usage
        } catch let error as IngestError {
            printError(error.description)
            throw ExitCode(error.exitCode)
        } catch let error as UserCommandError {
            printError(error.description)
            throw error.exitCode
        } catch let error as PostgresUnreachable {
            printError(error.description)
            throw Exit.unavailable
        } catch let error as HarvestError {
            printError(error.description)
            throw ExitCode(error.exitCode)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileWriteNoPermission
        {
            printError("\(error.localizedDescription)")
            throw Exit.ioError
        } catch {
            printError("\(error)")
            throw Exit.software
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("paperboy: \(message)\n".utf8))
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.migrate")
            let location = try common.storeLocation()
            let store = try await location.open(logger: logger)
            let applied = try await store.appliedMigrations()
            print(
                "\(location.description): schema up to date (\(applied.count) migrations, last \(applied.last ?? "-"))")
        }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent copy of a live database (for SQLite, an online backup).")

    @OptionGroup var common: CommonOptions

    @Argument(help: "Where to write the copy. An existing file is replaced.")
    var path: String

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.backup")
            let location = try common.storeLocation()
            guard location.exists else {
                Paperboy.printError("no database at \(location.description)")
                throw Exit.ioError
            }
            let store = try await location.open(logger: logger, migrate: false, connect: false)
            // A store that makes no file copy (PostgreSQL) refuses before the destination is touched.
            if case .sqlite = location.backend, FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
            }
            do {
                try await store.backup(to: path)
            } catch let error as StoreUnsupported {
                // The wrong tool for this store (a database server): a usage error, with the right tool named.
                Paperboy.printError("\(error)")
                throw Exit.usage
            } catch {
                Paperboy.printError("backup to \(path) failed: \(error)")
                throw Exit.ioError
            }
            print("backed up \(location.description) to \(path)")
        }
    }
}
