import Foundation
import Testing

/// Every command opens `--database` the same way: a file path is SQLite, a `postgres://` URL PostgreSQL.
@Suite("Opening the store")
struct StoreFactoryTests {
    static let setting = "paperboy: bad setting --database (PAPERBOY_DATABASE): "

    @Test(arguments: ["migrate", "ingest", "harvest", "embed", "serve", "backup"])
    func aPasswordInTheURLOfAFlagIsRefusedAtStartNamingTheSetting(command: String) async throws {
        let extra = command == "ingest" ? ["-"] : command == "backup" ? ["/tmp/never.sqlite"] : []
        let given = try await CLI.run([command, "--database", "postgres://paperboy:s3cret@db/paperboy"] + extra)
        #expect(given.status == 64)
        #expect(
            given.stderr
                == Self.setting + "the URL holds a password, which any user of the machine sees in `ps`: set the URL "
                + "in the environment instead, or put the password in a password file\n")
        #expect(!given.stderr.contains("s3cret"))
    }

    @Test func aURLWithoutADatabaseIsRefusedWithTheReason() async throws {
        let given = try await CLI.run(
            ["migrate"], environment: ["PAPERBOY_DATABASE": "postgresql://paperboy:s3cret@db:5432/"])
        #expect(given.status == 64)
        #expect(
            given.stderr
                == Self.setting + "the PostgreSQL URL names no database (postgres://user@host:port/database)\n")
    }

    @Test func aPasswordFileBesideAnSQLiteFileIsRefused() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try "s3cret\n".write(to: file, atomically: true, encoding: .utf8)
        let given = try await CLI.run(
            ["migrate", "--database", "/tmp/x-\(UUID().uuidString).sqlite", "--database-password-file", file.path])
        #expect(given.status == 64)
        #expect(
            given.stderr == Self.setting + "an SQLite file, which has no password, yet a password is set\n")
    }

    /// A database server is backed up with its own tools: the command says which, and touches no file.
    @Test func backupOfPostgreSQLExits64AndNamesPgDump() async throws {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("keep-\(UUID().uuidString)")
        try "mine".write(to: destination, atomically: true, encoding: .utf8)
        let given = try await CLI.run(
            ["backup", destination.path],
            environment: ["PAPERBOY_DATABASE": "postgres://paperboy:s3cret@127.0.0.1:1/paperboy?sslmode=disable"])
        #expect(given.status == 64)
        #expect(
            given.stderr
                == "paperboy: PostgreSQL cannot back up to a file: use pg_dump (pg_dump -Fc "
                + "postgres://paperboy@127.0.0.1:1/paperboy?sslmode=disable > paperboy.dump), or the backups you "
                + "already run\n")
        #expect(try String(contentsOf: destination, encoding: .utf8) == "mine")
    }
}

/// A fleet migrates once (`paperboy migrate`), and its nodes start with `--no-migrate`: a node refuses a schema that lacks
/// migrations it knows, rather than fail at the first use of what is missing.
@Suite("Starting without migrating")
struct NoMigrateTests {
    @Test func aSchemaBehindThisPaperboyIsRefusedNamingWhatIsMissing() async throws {
        let dir = try CLI.temporaryDirectory()
        let given = try await CLI.run([
            "serve", "--no-migrate", "--database", dir.appendingPathComponent("new.sqlite").path, "--port", "1",
        ])
        #expect(given.status == 64)
        #expect(
            given.stderr
                == "paperboy: bad setting --no-migrate (PAPERBOY_NO_MIGRATE): the schema lacks 10 migrations "
                + "(0001_papers ... 0010_recommendations): run `paperboy migrate` first\n")
    }
}

/// A PostgreSQL database out of reach, or refusing the settings, stops a command at once with the reason (exit 69),
/// instead of a pool that retries for ever.
@Suite("Reaching PostgreSQL")
struct PostgresReachTests {
    @Test func aServerThatIsNotThereIsSaidAtOnce() async throws {
        let given = try await CLI.run(
            ["migrate"], environment: ["PAPERBOY_DATABASE": "postgres://x:s3cret@127.0.0.1:1/db?sslmode=disable"])
        #expect(given.status == 69)
        #expect(given.stderr.hasPrefix("paperboy: cannot connect to postgres://x@127.0.0.1:1/db?sslmode=disable: "))
        #expect(given.stderr.contains("Connection refused"))
        #expect(!given.stderr.contains("s3cret"))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["PAPERBOY_TEST_POSTGRES"] != nil))
    func aDatabaseThatDoesNotExistIsNamed() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["PAPERBOY_TEST_POSTGRES"])
        let url = server.replacingOccurrences(of: "/postgres?", with: "/no_such_paperboy?")
        let given = try await CLI.run(["migrate"], environment: ["PAPERBOY_DATABASE": url])
        #expect(given.status == 69)
        #expect(given.stderr == "paperboy: cannot connect to \(url): database \"no_such_paperboy\" does not exist\n")
    }
}
