import PaperboyPostgres
import Testing

/// `--database postgres://...`: read as libpq reads it, the password from the URL, a file or `PGPASSWORD`.
@Suite struct PostgresSettingsTests {
    @Test func aFullURLIsRead() throws {
        let settings = try PostgresSettings.parse("postgresql://ada@db.example.org:6543/papers?sslmode=verify-full")
        #expect(
            settings
                == PostgresSettings(
                    host: "db.example.org", port: 6543, username: "ada", database: "papers", password: nil,
                    tls: .verifyFull))
        #expect(settings.redacted == "postgres://ada@db.example.org:6543/papers?sslmode=verify-full")
        let defaults = try PostgresSettings.parse("postgres://ada@localhost/papers")
        #expect(defaults.port == 5432 && defaults.tls == .prefer)
        #expect(try PostgresSettings.parse("postgres://ada@h/p?sslmode=allow").tls == .prefer)
        #expect(try PostgresSettings.parse("postgres://ada@h/p?sslmode=disable").tls == .disable)
        #expect(try PostgresSettings.parse("postgres://a%40b@h/my%20db").username == "a@b")
        #expect(try PostgresSettings.parse("postgres://a%40b@h/my%20db").database == "my db")
    }

    @Test func thePasswordComesFromTheURLThenTheFileThenPGPASSWORD() throws {
        let env = ["PGPASSWORD": "from-env"]
        #expect(
            try PostgresSettings.parse("postgres://ada:in%20url@h/p", passwordFile: "f", environment: env)
                .password == "in url")
        #expect(
            try PostgresSettings.parse("postgres://ada@h/p", passwordFile: "from-file\n", environment: env)
                .password == "from-file")
        #expect(try PostgresSettings.parse("postgres://ada@h/p", environment: env).password == "from-env")
        #expect(try PostgresSettings.parse("postgres://ada@h/p").password == nil)
        // libpq's PGUSER when the URL names no user.
        #expect(try PostgresSettings.parse("postgres://h/p", environment: ["PGUSER": "bob"]).username == "bob")
        // The password never shows in what is logged.
        #expect(!(try PostgresSettings.parse("postgres://ada:secret@h/p").redacted.contains("secret")))
    }

    @Test(arguments: [
        ("mysql://ada@h/p", "is not a URL of the form postgres://user@host:port/database"),
        ("postgres://ada@/p", "names no host (postgres://user@host:port/database)"),
        ("postgres://h/p", "names no user (postgres://user@host:port/database, or PGUSER)"),
        ("postgres://ada@h", "names no database (postgres://user@host:port/database)"),
        ("postgres://ada@h/p/q", "names no database (postgres://user@host:port/database)"),
        ("postgres://ada@h:0/p", "has port 0, not 1-65535"),
        (
            "postgres://ada@h/p?sslmode=maybe",
            "has sslmode=maybe, not disable, allow, prefer, require, verify-ca or verify-full"
        ),
        ("postgres://ada@h/p?pool=9", "has the parameter pool, which Paperboy does not know (sslmode)"),
    ])
    func badURLsAreRefusedWithTheReason(url: String, problem: String) {
        #expect(throws: PostgresSettingsError(problem)) { try PostgresSettings.parse(url) }
    }
}
