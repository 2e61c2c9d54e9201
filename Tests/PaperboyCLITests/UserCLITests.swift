import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyWeb
import Testing

@Suite("paperboy user")
struct UserCLITests {
    let password = "correct horse battery staple"

    /// A new database with the account `ada` (an admin) in it.
    func databaseWithAda() async throws -> String {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let created = try await CLI.run(
            [
                "user", "create", "--database", db, "--username", "Ada", "--email", "Ada@Example.org",
                "--password-stdin", "--admin", "--fullname", "Ada Lovelace",
            ],
            stdin: Data((password + "\n").utf8))
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout == "created admin ada (id 1)\n")
        #expect(created.stderr.isEmpty)
        return db
    }

    func user(_ arguments: [String], _ db: String, stdin: String? = nil) async throws -> CLI.Result {
        try await CLI.run(["user"] + arguments + ["--database", db], stdin: stdin.map { Data($0.utf8) })
    }

    @Test func createMakesVerifiedAccountsAndOnlyAVerifiedHolderBlocksAnAddress() async throws {
        let db = try await databaseWithAda()
        let store = try SQLiteStore(path: db)
        // An admin vouches for the address: verified from the start.
        let ada = try #require(try await store.account(username: "ada"))
        #expect(ada.emailVerifiedAt == ada.createdAt)
        // Somebody signed up with bob's address and never verified it: the admin's account for bob gets it anyway,
        // and the other account can no longer verify it.
        let squatter = try await store.createAccount(
            NewAccount(
                username: "squatter", email: "bob@example.org", fullname: "S", passwordHash: "x",
                createdAt: Date(timeIntervalSince1970: 1_763_000_000)))
        let bob = try await user(
            ["create", "--username", "bob", "--email", "Bob@example.org", "--password-stdin"], db, stdin: password)
        #expect(bob.status == 0, "\(bob.stderr)")
        #expect(try await store.account(email: "bob@example.org")?.username == "bob")
        await #expect(throws: AccountConflict.email) {
            try await store.updateAccount(
                id: squatter.id,
                .emailVerified(address: "bob@example.org", at: Date(timeIntervalSince1970: 1_763_000_000)))
        }
    }

    @Test func createStoresTheAccountWithAHashedPasswordNeverShown() async throws {
        let db = try await databaseWithAda()
        let store = try SQLiteStore(path: db)
        let ada = try #require(try await store.account(username: "ada"))
        #expect(ada.email == "Ada@Example.org")
        #expect(ada.fullname == "Ada Lovelace")
        #expect(ada.role == .admin)
        #expect(!ada.disabled)
        #expect(ada.passwordHash != password && ada.passwordHash.hasPrefix("$2"))
        // The trailing newline is not part of the password.
        #expect(try await Credentials.verifyPassword(password, hash: ada.passwordHash))
        #expect(!(try await Credentials.verifyPassword(password + "\n", hash: ada.passwordHash)))
        // A member by default, named by the username; a moderator with --moderator.
        let bob = try await user(
            ["create", "--username", "bob", "--email", "bob@example.org", "--password-stdin"], db, stdin: password)
        #expect(bob.status == 0, "\(bob.stderr)")
        #expect(bob.stdout == "created member bob (id 2)\n")
        #expect(try await store.account(username: "bob")?.fullname == "bob")
        let carol = try await user(
            ["create", "--username", "carol", "--email", "c@example.org", "--password-stdin", "--moderator"], db,
            stdin: password + "\r\n")
        #expect(carol.stdout == "created moderator carol (id 3)\n")
        let carolHash = try #require(try await store.account(username: "carol")?.passwordHash)
        #expect(try await Credentials.verifyPassword(password, hash: carolHash))
        for result in [bob, carol] {
            #expect(!result.stdout.contains(password) && !result.stderr.contains(password))
        }
    }

    @Test func badInputExits65NamingTheProblem() async throws {
        let db = try await databaseWithAda()
        let malformed = "a username is 2 to 30 characters: letters a-z, digits, _ and -"
        let cases: [(arguments: [String], stdin: String, message: String)] = [
            (
                ["--username", "a", "--email", "x@example.org"], password,
                "bad username “a”: \(malformed)"
            ),
            (
                ["--username", "bob smith", "--email", "x@example.org"], password,
                "bad username “bob smith”: \(malformed)"
            ),
            (
                ["--username", "x');DROP TABLE users;--", "--email", "x@example.org"], password,
                "bad username “x');DROP TABLE users;--”: \(malformed)"
            ),
            (
                ["--username", "Admin", "--email", "x@example.org"], password,
                "bad username “Admin”: that username is reserved"
            ),
            (
                ["--username", "bob", "--email", "bob"], password,
                "bad email “bob”: an email address is name@domain, without spaces"
            ),
            (
                ["--username", "bob", "--email", "bob@localhost"], password,
                "bad email “bob@localhost”: an email address is name@domain, with a domain such as example.org"
            ),
            (["--username", "bob", "--email", "bob@example.org"], "short\n", "a password is 10 to 72 bytes long"),
            (
                ["--username", "bob", "--email", "bob@example.org"], String(repeating: "x", count: 73),
                "a password is 10 to 72 bytes long"
            ),
            (["--username", "ADA", "--email", "bob@example.org"], password, "the username “ada” is taken"),
            (
                ["--username", "bob", "--email", "ada@EXAMPLE.org"], password,
                "the email “ada@EXAMPLE.org” belongs to another account"
            ),
            (
                ["--username", "bob", "--email", "bob@example.org", "--fullname", "two\nlines"], password,
                "bad display name: a display name is 1 to 50 characters, not only spaces, without control characters"
            ),
        ]
        for (arguments, stdin, message) in cases {
            let result = try await user(["create", "--password-stdin"] + arguments, db, stdin: stdin)
            #expect(result.status == 65, "\(arguments)")
            #expect(result.stderr == "paperboy: \(message)\n", "\(arguments)")
            #expect(result.stdout.isEmpty)
            if stdin.count >= 10 { #expect(!result.stderr.contains(stdin)) }
        }
        let role = try await user(["role", "ada", "root"], db)
        #expect(role.status == 65)
        #expect(role.stderr == "paperboy: unknown role “root”: give admin, moderator or member\n")
        let short = try await user(["password", "ada", "--password-stdin"], db, stdin: "tooshort")
        #expect(short.status == 65)
        #expect(short.stderr == "paperboy: a password is 10 to 72 bytes long\n")
        let store = try SQLiteStore(path: db)
        #expect(try await store.account(username: "bob") == nil)
        #expect(try await store.account(username: "ada")?.role == .admin)
    }

    @Test func unknownUsersAndTokensExit67() async throws {
        let db = try await databaseWithAda()
        let commands: [([String], String?)] = [
            (["password", "nobody", "--password-stdin"], password), (["token", "create", "nobody"], nil),
            (["token", "list", "nobody"], nil), (["disable", "nobody"], nil), (["enable", "nobody"], nil),
            (["role", "nobody", "admin"], nil),
        ]
        for (arguments, stdin) in commands {
            let result = try await user(arguments, db, stdin: stdin)
            #expect(result.status == 67, "\(arguments)")
            #expect(result.stderr == "paperboy: no user named “nobody”\n", "\(arguments)")
        }
        let revoke = try await user(["token", "revoke", "999"], db)
        #expect(revoke.status == 67)
        #expect(revoke.stderr == "paperboy: no token with id 999\n")
    }

    @Test func aPasswordIsOnlyReadFromStandardInput() async throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("p.sqlite").path
        let without = try await user(
            ["create", "--username", "ada", "--email", "ada@example.org"], db, stdin: password)
        #expect(without.status == 64)
        #expect(without.stderr.contains("give --password-stdin and the password on standard input"))
        // No setting names a user: PAPERBOY_USERNAME is not read.
        let fromEnvironment = try await CLI.run(
            ["user", "create", "--database", db, "--email", "ada@example.org", "--password-stdin"],
            environment: ["PAPERBOY_USERNAME": "ada", "PAPERBOY_PASSWORD": password], stdin: Data(password.utf8))
        #expect(fromEnvironment.status == 64)
        #expect(fromEnvironment.stderr.contains("--username"))
        let both = try await user(
            ["create", "--username", "ada", "--email", "a@example.org", "--password-stdin", "--admin", "--moderator"],
            db, stdin: password)
        #expect(both.status == 64)
    }

    @Test func tokensAreShownOnceStoredHashedListedAndRevoked() async throws {
        let db = try await databaseWithAda()
        let created = try await user(["token", "create", "ADA", "--name", "laptop"], db)
        #expect(created.status == 0, "\(created.stderr)")
        let lines = created.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first == "created token 1 “laptop” for ada; it is shown only once:")
        let token = try #require(lines.last)
        #expect(Credentials.looksLikeAccessToken(token))
        let store = try SQLiteStore(path: db)
        let found = try #require(try await store.token(hash: Credentials.storedHash(token)))
        #expect(found.account.username == "ada")
        #expect(found.token.name == "laptop")
        #expect(try await store.token(hash: token) == nil)
        let second = try await user(["token", "create", "ada"], db)
        #expect(second.stdout.hasPrefix("created token 2 “cli” for ada"))
        let list = try await user(["token", "list", "ada"], db)
        #expect(list.status == 0)
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.map(\.count) == [4, 4, 4])
        #expect(rows[0] == ["id", "name", "created", "last used"])
        #expect(rows[1][0] == "2" && rows[1][1] == "cli" && rows[1][3] == "never")
        #expect(rows[2][0] == "1" && rows[2][1] == "laptop")
        #expect(Timestamp.parse(rows[2][2]) != nil)
        #expect(!list.stdout.contains(token) && !list.stdout.contains("pb_"))
        let revoked = try await user(["token", "revoke", "1"], db)
        #expect(revoked.status == 0)
        #expect(revoked.stdout == "revoked token 1\n")
        #expect(try await store.token(hash: Credentials.storedHash(token)) == nil)
        #expect(try await user(["token", "revoke", "1"], db).status == 67)
        _ = try await user(["token", "revoke", "2"], db)
        #expect(try await user(["token", "list", "ada"], db).stdout == "ada has no tokens\n")
    }

    @Test func passwordChangeAndDisablingEndSessions() async throws {
        let db = try await databaseWithAda()
        let store = try SQLiteStore(path: db)
        let ada = try #require(try await store.account(username: "ada"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for hash in ["s1", "s2"] {
            try await store.createSession(
                SessionRecord(tokenHash: hash, accountID: ada.id, createdAt: now, lastSeenAt: now))
        }
        let newPassword = "another long passphrase"
        let changed = try await user(["password", "Ada", "--password-stdin"], db, stdin: newPassword + "\n")
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stdout == "set the password of ada; its sessions have ended\n")
        #expect(!changed.stdout.contains(newPassword) && !changed.stderr.contains(newPassword))
        #expect(try await store.sessions(accountID: ada.id).isEmpty)
        let hash = try #require(try await store.account(id: ada.id)?.passwordHash)
        #expect(try await Credentials.verifyPassword(newPassword, hash: hash))
        #expect(!(try await Credentials.verifyPassword(password, hash: hash)))

        try await store.createSession(
            SessionRecord(tokenHash: "s3", accountID: ada.id, createdAt: now, lastSeenAt: now))
        let disabled = try await user(["disable", "ada"], db)
        #expect(disabled.stdout == "disabled ada; its sessions have ended\n")
        #expect(try await store.account(id: ada.id)?.disabled == true)
        #expect(try await store.sessions(accountID: ada.id).isEmpty)
        let enabled = try await user(["enable", "ada"], db)
        #expect(enabled.stdout == "enabled ada\n")
        #expect(try await store.account(id: ada.id)?.disabled == false)

        for (role, said) in [("moderator", "a moderator"), ("MEMBER", "a member"), ("admin", "an admin")] {
            let result = try await user(["role", "ada", role], db)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "ada is now \(said)\n")
        }
        #expect(try await store.account(id: ada.id)?.role == .admin)
    }
}
