import Foundation
import Testing

/// Every command opens `--database` the same way.
@Suite("Opening the store")
struct StoreFactoryTests {
    static let notYet =
        "“postgres://paperboy@db/paperboy” is not supported yet: PostgreSQL is not available in this version; "
        + "give an SQLite file path\n"

    @Test(arguments: ["migrate", "ingest", "harvest", "embed", "serve", "backup"])
    func aPostgresURLIsRefusedAtStartNamingTheSetting(command: String) async throws {
        let extra = command == "ingest" ? ["-"] : command == "backup" ? ["/tmp/never.sqlite"] : []
        let given = try await CLI.run([command, "--database", "postgres://paperboy@db/paperboy"] + extra)
        #expect(given.status == 64)
        #expect(given.stderr == "paperboy: bad setting --database (PAPERBOY_DATABASE): " + Self.notYet)
    }

    @Test func theEnvironmentTwinIsRefusedTheSameWay() async throws {
        let given = try await CLI.run(
            ["migrate"], environment: ["PAPERBOY_DATABASE": "postgres://paperboy@db/paperboy"])
        #expect(given.status == 64)
        #expect(given.stderr == "paperboy: bad setting --database (PAPERBOY_DATABASE): " + Self.notYet)
    }
}
