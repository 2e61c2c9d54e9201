import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Accounts = AccountStore & SecretStore & StoreMaintenance

    /// A fixed clock: every check reads its times from here, never from the wall clock.
    static let t0 = Fixtures.date("2026-11-25T12:00:00Z")

    static func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }

    static func newAccount(
        _ username: String, email: String? = nil, verified: Date? = nil, fullname: String? = nil,
        role: UserRole = .member, created: Date = t0
    ) -> NewAccount {
        NewAccount(
            username: username, email: email ?? "\(username)@example.org", emailVerifiedAt: verified,
            fullname: fullname ?? username, role: role,
            passwordHash: "$2b$10$notarealhashnotarealhashnotarealhashnotarealhash", createdAt: created)
    }

    static func session(_ hash: String, _ account: Account, created: Date = t0, seen: Date? = nil) -> SessionRecord {
        SessionRecord(tokenHash: hash, accountID: account.id, createdAt: created, lastSeenAt: seen ?? created)
    }

    // MARK: AccountStore, SecretStore

    public static let accounts: [RoleCheck<any Accounts>] = [
        RoleCheck("an account is created and found by id, username and email in any case") { store in
            try await store.migrate()
            let made = try await store.createAccount(
                newAccount("ada", email: "Ada.Lovelace@Example.org", fullname: "Ada Lovelace", role: .moderator))
            #expect(made.username == "ada")
            #expect(made.email == "Ada.Lovelace@Example.org")
            #expect(made.fullname == "Ada Lovelace")
            #expect(made.role == .moderator)
            #expect(made.passwordHash == newAccount("ada").passwordHash)
            #expect(made.totpSecret == nil)
            #expect(!made.disabled)
            #expect(made.createdAt == t0)
            #expect(made.person == Person(username: "ada", fullname: "Ada Lovelace"))
            #expect(try await store.account(id: made.id) == made)
            #expect(try await store.account(username: "ada") == made)
            #expect(try await store.account(email: "ada.lovelace@example.org") == made)
            #expect(try await store.account(email: "ADA.LOVELACE@EXAMPLE.ORG") == made)
            #expect(try await store.account(username: "bob") == nil)
            #expect(try await store.account(email: "bob@example.org") == nil)
            #expect(try await store.account(id: made.id + 1000) == nil)
            let other = try await store.createAccount(newAccount("bob"))
            #expect(other.id != made.id)
        },
        RoleCheck(
            "usernames and verified emails are unique, emails without regard to case, the username checked first"
        ) { store in
            try await store.migrate()
            _ = try await store.createAccount(newAccount("ada", email: "ada@example.org", verified: t0))
            await #expect(throws: AccountConflict.username) {
                try await store.createAccount(newAccount("ada", email: "other@example.org"))
            }
            await #expect(throws: AccountConflict.email) {
                try await store.createAccount(newAccount("bob", email: "ADA@Example.ORG"))
            }
            await #expect(throws: AccountConflict.username) {
                try await store.createAccount(newAccount("ada", email: "ada@example.org"))
            }
            #expect(try await store.account(username: "bob") == nil)
            let bob = try await store.createAccount(newAccount("bob", email: "bob@example.org"))
            await #expect(throws: AccountConflict.email) {
                try await store.updateAccount(id: bob.id, .email("Ada@example.org"))
            }
            #expect(try await store.account(id: bob.id)?.email == "bob@example.org")
            // A change of case of one's own email is no conflict.
            #expect(try await store.updateAccount(id: bob.id, .email("Bob@Example.org"))?.email == "Bob@Example.org")
            #expect(try await store.account(email: "bob@example.org")?.id == bob.id)
        },
        RoleCheck("an account made with a verified email reads it back; a new email is unverified") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada", email: "Ada@Example.org", verified: at(-1)))
            #expect(ada.emailVerifiedAt == at(-1))
            #expect(try await store.account(id: ada.id) == ada)
            #expect(try await store.createAccount(newAccount("bob")).emailVerifiedAt == nil)
            let moved = try #require(try await store.updateAccount(id: ada.id, .email("ada@elsewhere.org")))
            #expect(moved.email == "ada@elsewhere.org")
            #expect(moved.emailVerifiedAt == nil)
            #expect(try await store.account(id: ada.id) == moved)
            // The old address is free for others again, to verify as well.
            let other = try await store.createAccount(newAccount("other", email: "ada@example.org", verified: t0))
            #expect(try await store.account(email: "ADA@example.org") == other)
        },
        RoleCheck("a verification link verifies the address it was sent to, only while the account has it") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada", email: "ada@example.org"))
            let verified = try #require(
                try await store.updateAccount(id: ada.id, .emailVerified(address: "ADA@example.ORG", at: at(1))))
            #expect(verified.emailVerifiedAt == at(1))
            #expect(verified.email == "ada@example.org")
            // Following it again keeps the first time.
            #expect(
                try await store.updateAccount(id: ada.id, .emailVerified(address: "ada@example.org", at: at(2)))?
                    .emailVerifiedAt == at(1))
            _ = try await store.updateAccount(id: ada.id, .email("ada@new.example.org"))
            // A link for the old address changes nothing.
            let unchanged = try await store.updateAccount(
                id: ada.id, .emailVerified(address: "ada@example.org", at: at(3)))
            #expect(unchanged?.emailVerifiedAt == nil)
            #expect(unchanged?.email == "ada@new.example.org")
            #expect(
                try await store.updateAccount(id: ada.id, .emailVerified(address: "ada@new.example.org", at: at(4)))?
                    .emailVerifiedAt == at(4))
            #expect(
                try await store.updateAccount(id: ada.id + 1000, .emailVerified(address: "x@example.org", at: at(4)))
                    == nil)
        },
        RoleCheck("unverified accounts may share an email; once one verifies it, nobody else can have it") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada", email: "same@example.org"))
            let bob = try await store.createAccount(newAccount("bob", email: "Same@Example.org", created: at(1)))
            #expect(ada.id != bob.id)
            #expect(bob.emailVerifiedAt == nil)
            let verified = try #require(
                try await store.updateAccount(id: bob.id, .emailVerified(address: "Same@Example.org", at: at(2))))
            #expect(verified.emailVerifiedAt == at(2))
            await #expect(throws: AccountConflict.email) {
                try await store.updateAccount(id: ada.id, .emailVerified(address: "same@example.org", at: at(3)))
            }
            #expect(try await store.account(id: ada.id) == ada)
            await #expect(throws: AccountConflict.email) {
                try await store.createAccount(newAccount("cyd", email: "SAME@example.org"))
            }
            await #expect(throws: AccountConflict.email) {
                try await store.createAccount(newAccount("cyd", email: "same@example.org", verified: at(3)))
            }
            #expect(try await store.account(username: "cyd") == nil)
            let cyd = try await store.createAccount(newAccount("cyd", email: "cyd@example.org"))
            await #expect(throws: AccountConflict.email) {
                try await store.updateAccount(id: cyd.id, .email("same@EXAMPLE.org"))
            }
            #expect(try await store.account(id: cyd.id) == cyd)
            // Once bob leaves the address, ada can verify it.
            _ = try await store.updateAccount(id: bob.id, .email("bob@example.org"))
            #expect(
                try await store.updateAccount(id: ada.id, .emailVerified(address: "same@example.org", at: at(4)))?
                    .emailVerifiedAt == at(4))
        },
        RoleCheck("an email finds its verified holder, else the oldest account with it") { store in
            try await store.migrate()
            let young = try await store.createAccount(newAccount("young", email: "x@example.org", created: at(2)))
            let old = try await store.createAccount(newAccount("old", email: "X@example.org", created: at(1)))
            #expect(try await store.account(email: "x@EXAMPLE.org")?.id == old.id)
            _ = try await store.updateAccount(id: young.id, .emailVerified(address: "x@example.org", at: at(3)))
            #expect(try await store.account(email: "x@example.org")?.id == young.id)
            #expect(try await store.account(email: "x@example.org")?.emailVerifiedAt == at(3))
            // A change of email drops the verification: the oldest holder is found again.
            _ = try await store.updateAccount(id: young.id, .email("X@Example.org"))
            #expect(try await store.account(email: "x@example.org")?.id == old.id)
        },
        RoleCheck("text that looks like SQL is stored literally") { store in
            try await store.migrate()
            let name = "robert'); DROP TABLE users;--"
            let fullname = "\" OR 1=1; DELETE FROM sessions; --"
            let email = "x'@example.org"
            let made = try await store.createAccount(newAccount(name, email: email, fullname: fullname))
            let other = try await store.createAccount(newAccount("ada"))
            #expect(try await store.account(username: name)?.fullname == fullname)
            #expect(try await store.account(email: email)?.id == made.id)
            #expect(try await store.account(username: "' OR '1'='1") == nil)
            #expect(try await store.account(email: "' OR 1=1 --") == nil)
            #expect(try await store.account(id: other.id)?.username == "ada")
            let token = try await store.createToken(
                accountID: made.id, name: "'; DROP TABLE access_tokens; --", tokenHash: "h1", at: t0)
            #expect(try await store.tokens(accountID: made.id) == [token])
        },
        RoleCheck("account changes apply and return the account; an unknown account gives nil") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            #expect(try await store.updateAccount(id: ada.id, .fullname("Ada King"))?.fullname == "Ada King")
            #expect(try await store.updateAccount(id: ada.id, .role(.admin))?.role == .admin)
            #expect(try await store.updateAccount(id: ada.id, .disabled(true))?.disabled == true)
            #expect(try await store.updateAccount(id: ada.id, .disabled(false))?.disabled == false)
            #expect(
                try await store.updateAccount(id: ada.id, .password(hash: "new", keepingSession: nil))?
                    .passwordHash == "new")
            let read = try #require(try await store.account(id: ada.id))
            #expect(read.fullname == "Ada King" && read.role == .admin && !read.disabled && read.passwordHash == "new")
            #expect(try await store.updateAccount(id: ada.id + 1000, .fullname("Nobody")) == nil)
            #expect(try await store.updateAccount(id: ada.id + 1000, .email("x@example.org")) == nil)
        },
        RoleCheck("a password change ends every other session; disabling ends them all") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            for hash in ["s1", "s2", "s3"] { try await store.createSession(session(hash, ada)) }
            try await store.createSession(session("b1", bob))
            _ = try await store.updateAccount(id: ada.id, .password(hash: "new", keepingSession: "s2"))
            #expect(try await store.sessions(accountID: ada.id).map(\.tokenHash) == ["s2"])
            _ = try await store.updateAccount(id: ada.id, .password(hash: "newer", keepingSession: nil))
            #expect(try await store.sessions(accountID: ada.id).isEmpty)
            try await store.createSession(session("s4", ada))
            let token = try await store.createToken(accountID: ada.id, name: "ci", tokenHash: "t1", at: t0)
            let disabled = try await store.updateAccount(id: ada.id, .disabled(true))
            #expect(disabled?.disabled == true)
            #expect(try await store.sessions(accountID: ada.id).isEmpty)
            #expect(try await store.session(tokenHash: "s4") == nil)
            // Tokens stay, and name a disabled account (the caller refuses it).
            #expect(try await store.token(hash: "t1")?.token == token)
            #expect(try await store.token(hash: "t1")?.account.disabled == true)
            #expect(try await store.sessions(accountID: bob.id).map(\.tokenHash) == ["b1"])
        },
        RoleCheck("two-factor sign-in keeps one-time recovery codes, replaced or cleared with it") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            let on = try await store.updateAccount(
                id: ada.id, .twoFactor(secret: "JBSWY3DPEHPK3PXP", recoveryCodeHashes: ["c1", "c2", "c3"]))
            #expect(on?.totpSecret == "JBSWY3DPEHPK3PXP")
            #expect(try await store.recoveryCodeCount(accountID: ada.id) == 3)
            #expect(try await store.useRecoveryCode(accountID: ada.id, codeHash: "c2"))
            #expect(!(try await store.useRecoveryCode(accountID: ada.id, codeHash: "c2")))
            #expect(!(try await store.useRecoveryCode(accountID: bob.id, codeHash: "c1")))
            #expect(try await store.recoveryCodeCount(accountID: ada.id) == 2)
            _ = try await store.updateAccount(id: ada.id, .twoFactor(secret: "NEWSECRET", recoveryCodeHashes: ["d1"]))
            #expect(try await store.recoveryCodeCount(accountID: ada.id) == 1)
            #expect(!(try await store.useRecoveryCode(accountID: ada.id, codeHash: "c1")))
            let off = try await store.updateAccount(id: ada.id, .twoFactor(secret: nil, recoveryCodeHashes: ["e1"]))
            #expect(off?.totpSecret == nil)
            #expect(try await store.recoveryCodeCount(accountID: ada.id) == 0)
        },
        RoleCheck("sessions are found with their account, touched, listed and ended") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            var first = session("s1", ada, created: at(-48))
            first.userAgent = "Mozilla/5.0 'quoted'"
            try await store.createSession(first)
            try await store.createSession(session("s2", ada, created: at(-24)))
            let found = try #require(try await store.session(tokenHash: "s1"))
            #expect(found.session == first)
            #expect(found.account == ada)
            #expect(try await store.session(tokenHash: "nope") == nil)
            try await store.touchSession(tokenHash: "s1", at: at(-1))
            #expect(try await store.session(tokenHash: "s1")?.session.lastSeenAt == at(-1))
            #expect(try await store.sessions(accountID: ada.id).map(\.tokenHash) == ["s1", "s2"])
            // Only the owner's session ends when an account is given.
            #expect(!(try await store.endSession(tokenHash: "s1", accountID: bob.id)))
            #expect(try await store.endSession(tokenHash: "s1", accountID: ada.id))
            #expect(!(try await store.endSession(tokenHash: "s1", accountID: nil)))
            #expect(try await store.endSession(tokenHash: "s2", accountID: nil))
            #expect(try await store.sessions(accountID: ada.id).isEmpty)
        },
        RoleCheck("expired sessions are ended by age and by idleness") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let day = 24.0
            try await store.createSession(session("old", ada, created: at(-31 * day), seen: at(-1)))
            try await store.createSession(session("idle", ada, created: at(-10 * day), seen: at(-8 * day)))
            try await store.createSession(session("fresh", ada, created: at(-10 * day), seen: at(-1)))
            try await store.createSession(session("edge", ada, created: at(-30 * day), seen: at(-7 * day)))
            let ended = try await store.endExpiredSessions(createdBefore: at(-30 * day), idleBefore: at(-7 * day))
            #expect(ended == 2)
            #expect(Set(try await store.sessions(accountID: ada.id).map(\.tokenHash)) == ["fresh", "edge"])
            #expect(try await store.endExpiredSessions(createdBefore: at(-30 * day), idleBefore: at(-7 * day)) == 0)
        },
        RoleCheck("tokens are found by hash with their account, touched, listed newest first and revoked") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            let first = try await store.createToken(accountID: ada.id, name: "laptop", tokenHash: "h1", at: at(-2))
            let second = try await store.createToken(accountID: ada.id, name: "ci", tokenHash: "h2", at: at(-1))
            #expect(first.id != second.id)
            #expect(first.name == "laptop" && first.accountID == ada.id && first.createdAt == at(-2))
            #expect(first.lastUsedAt == nil)
            let found = try #require(try await store.token(hash: "h1"))
            #expect(found.token == first)
            #expect(found.account == ada)
            #expect(try await store.token(hash: "h3") == nil)
            try await store.touchToken(id: first.id, at: t0)
            #expect(try await store.token(hash: "h1")?.token.lastUsedAt == t0)
            #expect(try await store.tokens(accountID: ada.id).map(\.name) == ["ci", "laptop"])
            #expect(try await store.tokens(accountID: bob.id).isEmpty)
            #expect(!(try await store.revokeToken(id: first.id, accountID: bob.id)))
            #expect(try await store.revokeToken(id: first.id, accountID: ada.id))
            #expect(!(try await store.revokeToken(id: first.id, accountID: nil)))
            #expect(try await store.token(hash: "h1") == nil)
            #expect(try await store.revokeToken(id: second.id, accountID: nil))
            #expect(try await store.tokens(accountID: ada.id).isEmpty)
        },
        RoleCheck("a deleted account takes its sessions, tokens and recovery codes, and frees its names") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            try await store.createSession(session("s1", ada))
            try await store.createSession(session("b1", bob))
            _ = try await store.createToken(accountID: ada.id, name: "ci", tokenHash: "h1", at: t0)
            _ = try await store.updateAccount(id: ada.id, .twoFactor(secret: "S", recoveryCodeHashes: ["c1"]))
            #expect(try await store.deleteAccount(id: ada.id))
            #expect(!(try await store.deleteAccount(id: ada.id)))
            #expect(try await store.account(id: ada.id) == nil)
            #expect(try await store.account(username: "ada") == nil)
            #expect(try await store.session(tokenHash: "s1") == nil)
            #expect(try await store.token(hash: "h1") == nil)
            #expect(try await store.recoveryCodeCount(accountID: ada.id) == 0)
            #expect(try await store.session(tokenHash: "b1")?.account == bob)
            let again = try await store.createAccount(newAccount("ada"))
            #expect(again.id != ada.id)
        },
        RoleCheck("the site secret is stored once: every later or concurrent caller gets the first") { store in
            try await store.migrate()
            let first: [UInt8] = Array(0..<32)
            #expect(try await store.siteSecret(storingIfAbsent: first) == first)
            #expect(try await store.siteSecret(storingIfAbsent: Array(repeating: 7, count: 32)) == first)
            #expect(try await store.siteSecret(storingIfAbsent: []) == first)
        },
        RoleCheck("concurrent first callers agree on one site secret") { store in
            try await store.migrate()
            let secrets = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for n in 0..<20 {
                    group.addTask { try await store.siteSecret(storingIfAbsent: Array(repeating: UInt8(n), count: 32)) }
                }
                var all: [[UInt8]] = []
                for try await secret in group { all.append(secret) }
                return all
            }
            #expect(secrets.count == 20)
            #expect(Set(secrets).count == 1)
            #expect(try await store.siteSecret(storingIfAbsent: [1, 2, 3]) == secrets.first)
        },
    ]
}
