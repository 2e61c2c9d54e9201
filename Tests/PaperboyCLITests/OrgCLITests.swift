import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyWeb
import Testing

@Suite("paperboy org")
struct OrgCLITests {
    /// A new database with the member `ada` in it.
    func databaseWithAda() async throws -> String {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let created = try await CLI.run(
            [
                "user", "create", "--database", db, "--username", "ada", "--email", "ada@example.org",
                "--password-stdin",
            ],
            stdin: Data("correct horse battery staple\n".utf8))
        #expect(created.status == 0, "\(created.stderr)")
        return db
    }

    func org(_ arguments: [String], _ db: String) async throws -> CLI.Result {
        try await CLI.run(["org"] + arguments + ["--database", db])
    }

    /// The moderation log as `(actor, action, target, detail)`, oldest first.
    func log(_ db: String) async throws -> [[String?]] {
        try await SQLiteStore(path: db).moderationLog(limit: 100).reversed().map {
            [$0.actor?.username, $0.action, $0.target, $0.detail]
        }
    }

    @Test func createAddRemoveAndListAreRecordedWithoutAnActor() async throws {
        let db = try await databaseWithAda()
        #expect(try await org(["list"], db).stdout == "no organisations\n")
        let created = try await org(["create", "Meta-AI", "--fullname", " AI at Meta "], db)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout == "created organisation meta-ai (AI at Meta)\n")
        #expect(created.stderr.isEmpty)

        let added = try await org(["add", "META-AI", "Ada"], db)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout == "added ada to meta-ai\n")
        #expect(try await org(["add", "meta-ai", "ada"], db).stdout == "ada is a member of meta-ai already\n")
        let store = try SQLiteStore(path: db)
        #expect(try await store.members(of: "meta-ai").map(\.username) == ["ada"])
        _ = try await org(["create", "acme", "--fullname", "Acme Labs"], db)
        let list = try await org(["list"], db)
        #expect(list.status == 0)
        #expect(list.stdout == "name\tfull name\tmembers\nacme\tAcme Labs\t\nmeta-ai\tAI at Meta\tada\n")

        let removed = try await org(["remove", "meta-ai", "ada"], db)
        #expect(removed.status == 0)
        #expect(removed.stdout == "removed ada from meta-ai\n")
        #expect(try await org(["remove", "meta-ai", "ada"], db).stdout == "ada is not a member of meta-ai\n")
        #expect(try await store.members(of: "meta-ai").isEmpty)
        #expect(
            try await log(db) == [
                [nil, "org.create", "meta-ai", "AI at Meta"], [nil, "org.add", "meta-ai", "ada"],
                [nil, "org.create", "acme", "Acme Labs"], [nil, "org.remove", "meta-ai", "ada"],
            ])
    }

    @Test func badInputExits65NamingTheProblem() async throws {
        let db = try await databaseWithAda()
        _ = try await org(["create", "acme", "--fullname", "Acme"], db)
        let malformed = "an organisation name is 2 to 30 characters: letters a-z, digits, _ and -"
        let cases: [([String], String)] = [
            (["create", "a", "--fullname", "A"], "bad organisation name “a”: \(malformed)"),
            (["create", "big lab", "--fullname", "A"], "bad organisation name “big lab”: \(malformed)"),
            (
                ["create", "x');DROP TABLE organizations;--", "--fullname", "A"],
                "bad organisation name “x');DROP TABLE organizations;--”: \(malformed)"
            ),
            (["create", "Admin", "--fullname", "A"], "bad organisation name “Admin”: that name is reserved"),
            (
                ["create", "lab", "--fullname", "two\nlines"],
                "bad full name: a full name is 1 to 100 characters, without control characters"
            ),
            (["create", "ACME", "--fullname", "Again"], "the organisation “acme” exists already"),
        ]
        for (arguments, message) in cases {
            let result = try await org(arguments, db)
            #expect(result.status == 65, "\(arguments)")
            #expect(result.stderr == "paperboy: \(message)\n", "\(arguments)")
            #expect(result.stdout.isEmpty)
        }
        let missingFullname = try await org(["create", "lab"], db)
        #expect(missingFullname.status == 64)
        #expect(try await SQLiteStore(path: db).organizations(limit: 10).map(\.name) == ["acme"])
    }

    @Test func unknownOrganisationsAndUsersExit67() async throws {
        let db = try await databaseWithAda()
        _ = try await org(["create", "acme", "--fullname", "Acme"], db)
        for command in ["add", "remove"] {
            let noOrg = try await org([command, "nowhere", "ada"], db)
            #expect(noOrg.status == 67, "\(command)")
            #expect(noOrg.stderr == "paperboy: no organisation named “nowhere”\n")
            let noUser = try await org([command, "acme", "nobody"], db)
            #expect(noUser.status == 67, "\(command)")
            #expect(noUser.stderr == "paperboy: no user named “nobody”\n")
        }
        #expect(try await log(db) == [[nil, "org.create", "acme", "Acme"]])
    }

    @Test func userCommandsRecordRoleAndAccountChanges() async throws {
        let db = try await databaseWithAda()
        #expect(try await CLI.run(["user", "role", "ada", "moderator", "--database", db]).status == 0)
        #expect(try await CLI.run(["user", "role", "ada", "moderator", "--database", db]).status == 0)
        #expect(try await CLI.run(["user", "disable", "ada", "--database", db]).status == 0)
        #expect(try await CLI.run(["user", "enable", "ada", "--database", db]).status == 0)
        #expect(
            try await log(db) == [
                [nil, "user.role", "ada", "moderator"], [nil, "user.disable", "ada", nil],
                [nil, "user.enable", "ada", nil],
            ])
    }
}
