import Foundation
import GRDB
import PaperboyCore

// Accounts, sessions, personal access tokens, recovery codes and the site secret (migrations 0003 and 0005). Each
// change is one write transaction; the checks for a taken username or email run inside it, where no other writer can
// interleave. An email is unique only among verified addresses (the partial index users_verified_email).

extension SQLiteStore {
    public func createAccount(_ account: NewAccount) async throws -> Account {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE username = ?", arguments: [account.username])
                ?? false
            {
                throw AccountConflict.username
            }
            if try AccountRow.verifiedHolder(db, email: account.email, other: nil) {
                throw AccountConflict.email
            }
            try db.execute(
                sql: """
                    INSERT INTO users (username, email, email_key, email_verified_at, fullname, role, password_hash,
                        disabled, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
                    """,
                arguments: [
                    account.username, account.email, AccountRow.emailKey(account.email),
                    account.emailVerifiedAt.map(PaperRow.millis), account.fullname, account.role.rawValue,
                    account.passwordHash, PaperRow.millis(account.createdAt),
                ])
            let id = db.lastInsertedRowID
            guard let created = try AccountRow.fetchOne(db, where: "u.id = ?", [id]) else {
                throw StoredRowError(description: "the account just created (id \(id)) cannot be read back")
            }
            return created
        }
    }

    public func account(id: Int64) async throws -> Account? {
        try await pool.read { db in try AccountRow.fetchOne(db, where: "u.id = ?", [id]) }
    }

    public func account(username: String) async throws -> Account? {
        try await pool.read { db in try AccountRow.fetchOne(db, where: "u.username = ?", [username]) }
    }

    public func account(email: String) async throws -> Account? {
        try await pool.read { db in
            // The verified holder, else the oldest account with the address.
            try AccountRow.fetchOne(
                db,
                where: """
                    u.email_key = ? ORDER BY u.email_verified_at IS NULL, u.created_at, u.id LIMIT 1
                    """,
                [AccountRow.emailKey(email)])
        }
    }

    public func updateAccount(id: Int64, _ change: AccountChange) async throws -> Account? {
        try await pool.write { db in
            guard try AccountRow.fetchOne(db, where: "u.id = ?", [id]) != nil else { return nil }
            switch change {
            case .password(let hash, let keeping):
                try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [hash, id])
                try db.execute(
                    sql: "DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?", arguments: [id, keeping])
            case .email(let email):
                if try AccountRow.verifiedHolder(db, email: email, other: id) { throw AccountConflict.email }
                try db.execute(
                    sql: "UPDATE users SET email = ?, email_key = ?, email_verified_at = NULL WHERE id = ?",
                    arguments: [email, AccountRow.emailKey(email), id])
            case .emailVerified(let address, let at):
                // A link for an address the account no longer has changes nothing; following it twice keeps the
                // first time. The partial unique index refuses a second verified holder.
                do {
                    try db.execute(
                        sql: """
                            UPDATE users SET email_verified_at = coalesce(email_verified_at, ?)
                            WHERE id = ? AND email_key = ?
                            """,
                        arguments: [PaperRow.millis(at), id, AccountRow.emailKey(address)])
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                    throw AccountConflict.email
                }
            case .fullname(let name):
                try db.execute(sql: "UPDATE users SET fullname = ? WHERE id = ?", arguments: [name, id])
            case .role(let role):
                try db.execute(sql: "UPDATE users SET role = ? WHERE id = ?", arguments: [role.rawValue, id])
            case .disabled(let disabled):
                try db.execute(sql: "UPDATE users SET disabled = ? WHERE id = ?", arguments: [disabled, id])
                if disabled { try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [id]) }
            case .twoFactor(let secret, let codes):
                try db.execute(sql: "UPDATE users SET totp_secret = ? WHERE id = ?", arguments: [secret, id])
                try db.execute(sql: "DELETE FROM recovery_codes WHERE user_id = ?", arguments: [id])
                if secret != nil {
                    let insert = try db.cachedStatement(
                        sql: "INSERT OR IGNORE INTO recovery_codes (user_id, code_hash) VALUES (?, ?)")
                    for code in codes { try insert.execute(arguments: [id, code]) }
                }
            }
            return try AccountRow.fetchOne(db, where: "u.id = ?", [id])
        }
    }

    public func useRecoveryCode(accountID: Int64, codeHash: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?", arguments: [accountID, codeHash])
            return db.changesCount == 1
        }
    }

    public func recoveryCodeCount(accountID: Int64) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM recovery_codes WHERE user_id = ?", arguments: [accountID])
                ?? 0
        }
    }

    public func deleteAccount(id: Int64) async throws -> Bool {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE id = ?", arguments: [id]) ?? false else {
                return false
            }
            // Each voted paper loses the account's vote, in this transaction with the vote rows; each is a change of
            // its own, as are the papers it submitted and those whose authorship it claimed.
            let voted = try Int64.fetchAll(db, sql: "SELECT paper_rowid FROM votes WHERE user_id = ?", arguments: [id])
            let unvote = try db.makeStatement(
                sql: """
                    UPDATE papers SET upvotes = max(upvotes - 1, 0), change_seq = \(ChangeSequence.next)
                    WHERE rowid = ?
                    """)
            for rowid in voted { try unvote.execute(arguments: [rowid]) }
            let submitted = try Int64.fetchAll(
                db, sql: "SELECT rowid FROM papers WHERE submitted_by = ?", arguments: [id])
            let claimed = try Int64.fetchAll(
                db, sql: "SELECT paper_rowid FROM claims WHERE user_id = ? AND status = 'accepted'", arguments: [id])
            try db.execute(sql: "DELETE FROM votes WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM not_interested WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM taste_seeds WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM access_tokens WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM recovery_codes WHERE user_id = ?", arguments: [id])
            // Submitted papers stay featured where they are, without a submitter.
            try db.execute(sql: "UPDATE submissions SET user_id = NULL WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE papers SET submitted_by = NULL WHERE submitted_by = ?", arguments: [id])
            try ChangeSequence.bump(db, rowids: submitted)
            // Comments and reports stay without their author ("deleted user"); collections go with the account.
            try db.execute(sql: "UPDATE comments SET user_id = NULL WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE reports SET user_id = NULL WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE reports SET resolved_by = NULL WHERE resolved_by = ?", arguments: [id])
            try db.execute(sql: "UPDATE moderation_log SET actor_id = NULL WHERE actor_id = ?", arguments: [id])
            try db.execute(
                sql: """
                    DELETE FROM collection_items WHERE collection_id IN (SELECT id FROM collections WHERE user_id = ?)
                    """,
                arguments: [id])
            try db.execute(sql: "DELETE FROM collections WHERE user_id = ?", arguments: [id])
            // Claims and memberships go; moderation it did stays in the log and on claims without an actor.
            try db.execute(sql: "DELETE FROM claims WHERE user_id = ?", arguments: [id])
            try ChangeSequence.bump(db, rowids: claimed)
            try db.execute(sql: "DELETE FROM organization_members WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE claims SET decided_by = NULL WHERE decided_by = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [id])
            return true
        }
    }

    // MARK: Sessions

    public func createSession(_ session: SessionRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.tokenHash, session.accountID, PaperRow.millis(session.createdAt),
                    PaperRow.millis(session.lastSeenAt), session.userAgent,
                ])
        }
    }

    public func session(tokenHash: String) async throws -> (session: SessionRecord, account: Account)? {
        try await pool.read { db in
            let sql = """
                SELECT \(SessionColumns.select), \(AccountRow.columns)
                FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?
                """
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [tokenHash]) else { return nil }
            return (try SessionColumns.session(row), try AccountRow.account(row))
        }
    }

    public func touchSession(tokenHash: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
                arguments: [PaperRow.millis(at), tokenHash])
        }
    }

    @discardableResult
    public func endSession(tokenHash: String, accountID: Int64?) async throws -> Bool {
        try await pool.write { db in
            if let accountID {
                try db.execute(
                    sql: "DELETE FROM sessions WHERE token_hash = ? AND user_id = ?", arguments: [tokenHash, accountID])
            } else {
                try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
            }
            return db.changesCount == 1
        }
    }

    public func sessions(accountID: Int64) async throws -> [SessionRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SessionColumns.select) FROM sessions s WHERE s.user_id = ?
                    ORDER BY s.last_seen_at DESC, s.created_at DESC, s.token_hash
                    """,
                arguments: [accountID]
            ).map(SessionColumns.session)
        }
    }

    @discardableResult
    public func endExpiredSessions(createdBefore: Date, idleBefore: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM sessions WHERE created_at < ? OR last_seen_at < ?",
                arguments: [PaperRow.millis(createdBefore), PaperRow.millis(idleBefore)])
            return db.changesCount
        }
    }

    // MARK: Personal access tokens

    public func createToken(accountID: Int64, name: String, tokenHash: String, at: Date) async throws -> AccessToken {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO access_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [accountID, name, tokenHash, PaperRow.millis(at)])
            return AccessToken(
                id: db.lastInsertedRowID, accountID: accountID, name: name, tokenHash: tokenHash,
                createdAt: PaperRow.date(PaperRow.millis(at)))
        }
    }

    public func token(hash: String) async throws -> (token: AccessToken, account: Account)? {
        try await pool.read { db in
            let sql = """
                SELECT \(TokenColumns.select), \(AccountRow.columns)
                FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?
                """
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [hash]) else { return nil }
            return (try TokenColumns.token(row), try AccountRow.account(row))
        }
    }

    public func touchToken(id: Int64, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE access_tokens SET last_used_at = ? WHERE id = ?", arguments: [PaperRow.millis(at), id])
        }
    }

    public func tokens(accountID: Int64) async throws -> [AccessToken] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(TokenColumns.select) FROM access_tokens t WHERE t.user_id = ?
                    ORDER BY t.created_at DESC, t.id DESC
                    """,
                arguments: [accountID]
            ).map(TokenColumns.token)
        }
    }

    @discardableResult
    public func revokeToken(id: Int64, accountID: Int64?) async throws -> Bool {
        try await pool.write { db in
            if let accountID {
                try db.execute(
                    sql: "DELETE FROM access_tokens WHERE id = ? AND user_id = ?", arguments: [id, accountID])
            } else {
                try db.execute(sql: "DELETE FROM access_tokens WHERE id = ?", arguments: [id])
            }
            return db.changesCount == 1
        }
    }
}

extension SQLiteStore {
    public func siteSecret(storingIfAbsent candidate: [UInt8]) async throws -> [UInt8] {
        let stored = try await pool.write { db in
            // The first writer's secret stays; every later caller reads it.
            try db.execute(
                sql: "INSERT OR IGNORE INTO paperboy_meta (key, value) VALUES ('site_secret', ?)",
                arguments: [Hex.encode(candidate)])
            return try String.fetchOne(db, sql: "SELECT value FROM paperboy_meta WHERE key = 'site_secret'")
        }
        guard let stored, let secret = Hex.decode(stored) else {
            throw StoredRowError(description: "the stored site secret is not hexadecimal")
        }
        return secret
    }
}

/// An account read from `users u`, its columns aliased `account_*` so that it can share a row with a session or token.
enum AccountRow {
    static let columns = """
        u.id AS account_id, u.username AS account_username, u.email AS account_email, \
        u.fullname AS account_fullname, u.role AS account_role, u.password_hash AS account_password_hash, \
        u.totp_secret AS account_totp_secret, u.disabled AS account_disabled, u.created_at AS account_created_at, \
        u.email_verified_at AS account_email_verified_at
        """

    static func emailKey(_ email: String) -> String { email.lowercased() }

    /// Whether an account other than `other` holds `email` verified.
    static func verifiedHolder(_ db: Database, email: String, other: Int64?) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT 1 FROM users WHERE email_key = ? AND email_verified_at IS NOT NULL AND id IS NOT ?",
            arguments: [emailKey(email), other]) ?? false
    }

    static func fetchOne(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> Account? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM users u WHERE \(condition)", arguments: arguments)
            .map(account)
    }

    static func account(_ row: Row) throws -> Account {
        let roleName: String = try row.decode(forColumn: "account_role")
        let verified: Int64? = try row.decode(forColumn: "account_email_verified_at")
        guard let role = UserRole(rawValue: roleName) else {
            throw StoredRowError(description: "unknown role “\(roleName)” in users")
        }
        return Account(
            id: try row.decode(forColumn: "account_id"), username: try row.decode(forColumn: "account_username"),
            email: try row.decode(forColumn: "account_email"), emailVerifiedAt: verified.map(PaperRow.date),
            fullname: try row.decode(forColumn: "account_fullname"),
            role: role, passwordHash: try row.decode(forColumn: "account_password_hash"),
            totpSecret: try row.decode(forColumn: "account_totp_secret"),
            disabled: try row.decode(forColumn: "account_disabled"),
            createdAt: PaperRow.date(try row.decode(forColumn: "account_created_at")))
    }
}

/// A session read from `sessions s`.
enum SessionColumns {
    static let select = """
        s.token_hash AS session_token_hash, s.user_id AS session_user_id, s.created_at AS session_created_at, \
        s.last_seen_at AS session_last_seen_at, s.user_agent AS session_user_agent
        """

    static func session(_ row: Row) throws -> SessionRecord {
        SessionRecord(
            tokenHash: try row.decode(forColumn: "session_token_hash"),
            accountID: try row.decode(forColumn: "session_user_id"),
            createdAt: PaperRow.date(try row.decode(forColumn: "session_created_at")),
            lastSeenAt: PaperRow.date(try row.decode(forColumn: "session_last_seen_at")),
            userAgent: try row.decode(forColumn: "session_user_agent"))
    }
}

/// A personal access token read from `access_tokens t`.
enum TokenColumns {
    static let select = """
        t.id AS token_id, t.user_id AS token_user_id, t.name AS token_name, t.token_hash AS token_hash, \
        t.created_at AS token_created_at, t.last_used_at AS token_last_used_at
        """

    static func token(_ row: Row) throws -> AccessToken {
        let lastUsed: Int64? = try row.decode(forColumn: "token_last_used_at")
        return AccessToken(
            id: try row.decode(forColumn: "token_id"), accountID: try row.decode(forColumn: "token_user_id"),
            name: try row.decode(forColumn: "token_name"), tokenHash: try row.decode(forColumn: "token_hash"),
            createdAt: PaperRow.date(try row.decode(forColumn: "token_created_at")),
            lastUsedAt: lastUsed.map(PaperRow.date))
    }
}
