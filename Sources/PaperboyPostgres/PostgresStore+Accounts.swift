import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// Accounts, sessions, personal access tokens, recovery codes and the site secret (migrations 0003 and 0005). Each
// change is one transaction; the checks for a taken username or email run inside it, under the accounts write lock,
// so that no other node's check interleaves. An email is unique only among verified addresses (the partial index
// users_verified_email); the unique indexes stay the last word.

extension PostgresStore: AccountStore {
    public func createAccount(_ account: NewAccount) async throws -> Account {
        let logger = logger
        return try await transaction { connection in
            try await WriteLock.lock(.accounts, connection, logger: logger)
            if try await connection.scalar(
                "SELECT 1 FROM users WHERE username = \(account.username)", as: Int32.self, logger: logger) != nil
            {
                throw AccountConflict.username
            }
            if try await PostgresAccountRow.verifiedHolder(connection, email: account.email, other: nil, logger: logger)
            {
                throw AccountConflict.email
            }
            let id: Int64?
            do {
                id = try await connection.scalar(
                    """
                    INSERT INTO users (username, email, email_key, email_verified_at, fullname, role, password_hash,
                        disabled, created_at)
                    VALUES (\(account.username), \(account.email), \(PostgresAccountRow.emailKey(account.email)),
                        \(account.emailVerifiedAt.map(PostgresPaperRow.millis)), \(account.fullname),
                        \(account.role.rawValue), \(account.passwordHash), false,
                        \(PostgresPaperRow.millis(account.createdAt)))
                    RETURNING id
                    """, as: Int64.self, logger: logger)
            } catch let error as PSQLError where error.isUniqueViolation {
                // Only a writer that skipped the lock gets here; the constraint says which name was taken.
                throw error.serverInfo?[.constraintName] == "users_username_key"
                    ? AccountConflict.username : AccountConflict.email
            }
            guard let id, let created = try await PostgresAccountRow.find(connection, id: id, logger: logger) else {
                throw StoredRowError(description: "the account just created cannot be read back")
            }
            return created
        }
    }

    public func account(id: Int64) async throws -> Account? {
        try await PostgresAccountRow.find(client, id: id, logger: logger)
    }

    public func account(username: String) async throws -> Account? {
        try await PostgresAccountRow.first(
            client, "SELECT \(unescaped: PostgresAccountRow.columns) FROM users u WHERE u.username = \(username)",
            logger: logger)
    }

    public func account(email: String) async throws -> Account? {
        // The verified holder, else the oldest account with the address.
        try await PostgresAccountRow.first(
            client,
            """
            SELECT \(unescaped: PostgresAccountRow.columns) FROM users u
            WHERE u.email_key = \(PostgresAccountRow.emailKey(email))
            ORDER BY u.email_verified_at IS NULL, u.created_at, u.id LIMIT 1
            """, logger: logger)
    }

    public func updateAccount(id: Int64, _ change: AccountChange) async throws -> Account? {
        let logger = logger
        return try await transaction { connection in
            try await WriteLock.lock(.accounts, connection, logger: logger)
            guard try await PostgresAccountRow.find(connection, id: id, logger: logger) != nil else { return nil }
            switch change {
            case .password(let hash, let keeping):
                try await connection.execute(
                    "UPDATE users SET password_hash = \(hash) WHERE id = \(id)", logger: logger)
                try await connection.execute(
                    "DELETE FROM sessions WHERE user_id = \(id) AND token_hash IS DISTINCT FROM \(keeping)",
                    logger: logger)
            case .email(let email):
                if try await PostgresAccountRow.verifiedHolder(connection, email: email, other: id, logger: logger) {
                    throw AccountConflict.email
                }
                try await connection.execute(
                    """
                    UPDATE users SET email = \(email), email_key = \(PostgresAccountRow.emailKey(email)),
                        email_verified_at = NULL
                    WHERE id = \(id)
                    """, logger: logger)
            case .emailVerified(let address, let at):
                // A link for an address the account no longer has changes nothing; following it twice keeps the
                // first time. The partial unique index refuses a second verified holder.
                do {
                    try await connection.execute(
                        """
                        UPDATE users SET email_verified_at = coalesce(email_verified_at, \(PostgresPaperRow.millis(at)))
                        WHERE id = \(id) AND email_key = \(PostgresAccountRow.emailKey(address))
                        """, logger: logger)
                } catch let error as PSQLError where error.isUniqueViolation {
                    throw AccountConflict.email
                }
            case .fullname(let name):
                try await connection.execute("UPDATE users SET fullname = \(name) WHERE id = \(id)", logger: logger)
            case .role(let role):
                try await connection.execute(
                    "UPDATE users SET role = \(role.rawValue) WHERE id = \(id)", logger: logger)
            case .disabled(let disabled):
                try await connection.execute("UPDATE users SET disabled = \(disabled) WHERE id = \(id)", logger: logger)
                if disabled {
                    try await connection.execute("DELETE FROM sessions WHERE user_id = \(id)", logger: logger)
                }
            case .twoFactor(let secret, let codes):
                try await connection.execute(
                    "UPDATE users SET totp_secret = \(secret) WHERE id = \(id)", logger: logger)
                try await connection.execute("DELETE FROM recovery_codes WHERE user_id = \(id)", logger: logger)
                if secret != nil, !codes.isEmpty {
                    try await connection.execute(
                        """
                        INSERT INTO recovery_codes (user_id, code_hash) SELECT \(id), unnest(\(codes)::text[])
                        ON CONFLICT DO NOTHING
                        """, logger: logger)
                }
            }
            return try await PostgresAccountRow.find(connection, id: id, logger: logger)
        }
    }

    public func useRecoveryCode(accountID: Int64, codeHash: String) async throws -> Bool {
        try await client.affected(
            "DELETE FROM recovery_codes WHERE user_id = \(accountID) AND code_hash = \(codeHash) RETURNING 1",
            logger: logger) == 1
    }

    public func recoveryCodeCount(accountID: Int64) async throws -> Int {
        try await client.count("SELECT count(*) FROM recovery_codes WHERE user_id = \(accountID)", logger: logger)
    }

    public func deleteAccount(id: Int64) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            try await WriteLock.lock(.accounts, connection, logger: logger)
            let exists = try await connection.scalar(
                "SELECT 1 FROM users WHERE id = \(id)", as: Int32.self, logger: logger)
            guard exists != nil else { return false }
            try await ChangeSequence.begin(connection, logger: logger)
            // Each voted paper loses the account's vote, in this transaction with the vote rows; each is a change of
            // its own (the sequence gives every row its own number), as are the papers it submitted and those whose
            // authorship it claimed.
            try await connection.execute(
                """
                UPDATE papers SET upvotes = GREATEST(upvotes - 1, 0), change_seq = \(unescaped: ChangeSequence.next)
                WHERE key IN (SELECT paper_key FROM votes WHERE user_id = \(id))
                """, logger: logger)
            try await connection.execute("DELETE FROM votes WHERE user_id = \(id)", logger: logger)
            try await connection.execute("DELETE FROM not_interested WHERE user_id = \(id)", logger: logger)
            try await connection.execute("DELETE FROM taste_seeds WHERE user_id = \(id)", logger: logger)
            try await connection.execute("DELETE FROM sessions WHERE user_id = \(id)", logger: logger)
            try await connection.execute("DELETE FROM access_tokens WHERE user_id = \(id)", logger: logger)
            try await connection.execute("DELETE FROM recovery_codes WHERE user_id = \(id)", logger: logger)
            // Submitted papers stay featured where they are, without a submitter.
            try await connection.execute("UPDATE submissions SET user_id = NULL WHERE user_id = \(id)", logger: logger)
            try await connection.execute(
                """
                UPDATE papers SET submitted_by = NULL, change_seq = \(unescaped: ChangeSequence.next)
                WHERE submitted_by = \(id)
                """, logger: logger)
            // Comments and reports stay without their author ("deleted user"); collections go with the account.
            try await connection.execute("UPDATE comments SET user_id = NULL WHERE user_id = \(id)", logger: logger)
            try await connection.execute("UPDATE reports SET user_id = NULL WHERE user_id = \(id)", logger: logger)
            try await connection.execute(
                "UPDATE reports SET resolved_by = NULL WHERE resolved_by = \(id)", logger: logger)
            try await connection.execute(
                "UPDATE moderation_log SET actor_id = NULL WHERE actor_id = \(id)", logger: logger)
            // The collections are locked first, as adding a paper to one locks it, so that no paper added meanwhile
            // is left pointing at a deleted collection.
            try await connection.execute(
                "SELECT 1 FROM collections WHERE user_id = \(id) ORDER BY id FOR UPDATE", logger: logger)
            try await connection.execute(
                """
                DELETE FROM collection_items WHERE collection_id IN (SELECT id FROM collections WHERE user_id = \(id))
                """, logger: logger)
            try await connection.execute("DELETE FROM collections WHERE user_id = \(id)", logger: logger)
            // Claims and memberships go; moderation it did stays in the log and on claims without an actor.
            let claimed = try await connection.all(
                "DELETE FROM claims WHERE user_id = \(id) RETURNING paper_key, status = 'accepted'", logger: logger
            ) { try $0.decode((Int64, Bool).self) }.filter(\.1).map(\.0)
            if !claimed.isEmpty {
                try await connection.execute(
                    "UPDATE papers SET change_seq = \(unescaped: ChangeSequence.next) WHERE key = ANY(\(claimed))",
                    logger: logger)
            }
            try await connection.execute("DELETE FROM organization_members WHERE user_id = \(id)", logger: logger)
            try await connection.execute("UPDATE claims SET decided_by = NULL WHERE decided_by = \(id)", logger: logger)
            try await connection.execute("DELETE FROM users WHERE id = \(id)", logger: logger)
            return true
        }
    }

    // MARK: Sessions

    public func createSession(_ session: SessionRecord) async throws {
        try await client.execute(
            """
            INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent)
            VALUES (\(session.tokenHash), \(session.accountID), \(PostgresPaperRow.millis(session.createdAt)),
                \(PostgresPaperRow.millis(session.lastSeenAt)), \(session.userAgent))
            """, logger: logger)
    }

    public func session(tokenHash: String) async throws -> (session: SessionRecord, account: Account)? {
        try await client.first(
            """
            SELECT \(unescaped: PostgresSessionRow.columns), \(unescaped: PostgresAccountRow.columns)
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = \(tokenHash)
            """, logger: logger
        ) { row in
            let r = row.makeRandomAccess()
            return (try PostgresSessionRow.session(r), try PostgresAccountRow.account(r))
        }
    }

    public func touchSession(tokenHash: String, at: Date) async throws {
        try await client.execute(
            "UPDATE sessions SET last_seen_at = \(PostgresPaperRow.millis(at)) WHERE token_hash = \(tokenHash)",
            logger: logger)
    }

    @discardableResult
    public func endSession(tokenHash: String, accountID: Int64?) async throws -> Bool {
        if let accountID {
            return try await client.affected(
                "DELETE FROM sessions WHERE token_hash = \(tokenHash) AND user_id = \(accountID) RETURNING 1",
                logger: logger) == 1
        }
        return try await client.affected(
            "DELETE FROM sessions WHERE token_hash = \(tokenHash) RETURNING 1", logger: logger) == 1
    }

    public func sessions(accountID: Int64) async throws -> [SessionRecord] {
        try await client.all(
            """
            SELECT \(unescaped: PostgresSessionRow.columns) FROM sessions s WHERE s.user_id = \(accountID)
            ORDER BY s.last_seen_at DESC, s.created_at DESC, s.token_hash COLLATE "C"
            """, logger: logger
        ) { try PostgresSessionRow.session($0.makeRandomAccess()) }
    }

    @discardableResult
    public func endExpiredSessions(createdBefore: Date, idleBefore: Date) async throws -> Int {
        try await client.count(
            """
            WITH ended AS (
                DELETE FROM sessions
                WHERE created_at < \(PostgresPaperRow.millis(createdBefore))
                    OR last_seen_at < \(PostgresPaperRow.millis(idleBefore))
                RETURNING 1
            )
            SELECT count(*) FROM ended
            """, logger: logger)
    }

    // MARK: Personal access tokens

    public func createToken(accountID: Int64, name: String, tokenHash: String, at: Date) async throws -> AccessToken {
        let created = PostgresPaperRow.millis(at)
        guard
            let id = try await client.scalar(
                """
                INSERT INTO access_tokens (user_id, name, token_hash, created_at)
                VALUES (\(accountID), \(name), \(tokenHash), \(created))
                RETURNING id
                """, as: Int64.self, logger: logger)
        else { throw StoredRowError(description: "the token just created has no id") }
        return AccessToken(
            id: id, accountID: accountID, name: name, tokenHash: tokenHash, createdAt: Millis.date(created))
    }

    public func token(hash: String) async throws -> (token: AccessToken, account: Account)? {
        try await client.first(
            """
            SELECT \(unescaped: PostgresTokenRow.columns), \(unescaped: PostgresAccountRow.columns)
            FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = \(hash)
            """, logger: logger
        ) { row in
            let r = row.makeRandomAccess()
            return (try PostgresTokenRow.token(r), try PostgresAccountRow.account(r))
        }
    }

    public func touchToken(id: Int64, at: Date) async throws {
        try await client.execute(
            "UPDATE access_tokens SET last_used_at = \(PostgresPaperRow.millis(at)) WHERE id = \(id)", logger: logger)
    }

    public func tokens(accountID: Int64) async throws -> [AccessToken] {
        try await client.all(
            """
            SELECT \(unescaped: PostgresTokenRow.columns) FROM access_tokens t WHERE t.user_id = \(accountID)
            ORDER BY t.created_at DESC, t.id DESC
            """, logger: logger
        ) { try PostgresTokenRow.token($0.makeRandomAccess()) }
    }

    @discardableResult
    public func revokeToken(id: Int64, accountID: Int64?) async throws -> Bool {
        if let accountID {
            return try await client.affected(
                "DELETE FROM access_tokens WHERE id = \(id) AND user_id = \(accountID) RETURNING 1", logger: logger)
                == 1
        }
        return try await client.affected("DELETE FROM access_tokens WHERE id = \(id) RETURNING 1", logger: logger) == 1
    }
}

extension PostgresStore: SecretStore {
    public func siteSecret(storingIfAbsent candidate: [UInt8]) async throws -> [UInt8] {
        let logger = logger
        let stored = try await transaction { connection in
            // The first writer's secret stays (a concurrent insert waits for it, then does nothing); every later
            // caller reads it, in a statement that sees what committed before it.
            try await connection.execute(
                """
                INSERT INTO paperboy_meta (key, value) VALUES ('site_secret', \(Hex.encode(candidate)))
                ON CONFLICT (key) DO NOTHING
                """, logger: logger)
            return try await connection.scalar(
                "SELECT value FROM paperboy_meta WHERE key = 'site_secret'", as: String.self, logger: logger)
        }
        guard let stored, let secret = Hex.decode(stored) else {
            throw StoredRowError(description: "the stored site secret is not hexadecimal")
        }
        return secret
    }
}

extension PostgresRunner {
    /// The number of rows a statement ending in `RETURNING 1` returned: the rows it changed.
    fileprivate func affected(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await all(query, logger: logger) { _ in () }.count
    }
}

/// An account read from `users u`, its columns aliased `account_*` so that it can share a row with a session or token.
enum PostgresAccountRow {
    static let columns = """
        u.id AS account_id, u.username AS account_username, u.email AS account_email, \
        u.fullname AS account_fullname, u.role AS account_role, u.password_hash AS account_password_hash, \
        u.totp_secret AS account_totp_secret, u.disabled AS account_disabled, u.created_at AS account_created_at, \
        u.email_verified_at AS account_email_verified_at
        """

    /// The form of an email that is compared (and unique among verified addresses): lower-case.
    static func emailKey(_ email: String) -> String { email.lowercased() }

    /// Whether an account other than `other` holds `email` verified.
    static func verifiedHolder(_ runner: some PostgresRunner, email: String, other: Int64?, logger: Logger)
        async throws -> Bool
    {
        try await runner.scalar(
            """
            SELECT 1 FROM users
            WHERE email_key = \(emailKey(email)) AND email_verified_at IS NOT NULL AND id IS DISTINCT FROM \(other)
            """, as: Int32.self, logger: logger) != nil
    }

    static func find(_ runner: some PostgresRunner, id: Int64, logger: Logger) async throws -> Account? {
        try await first(runner, "SELECT \(unescaped: columns) FROM users u WHERE u.id = \(id)", logger: logger)
    }

    /// The first account of a query selecting ``columns`` from `users u`.
    static func first(_ runner: some PostgresRunner, _ query: PostgresQuery, logger: Logger) async throws -> Account? {
        try await runner.first(query, logger: logger) { try account($0.makeRandomAccess()) }
    }

    static func account(_ row: PostgresRandomAccessRow) throws -> Account {
        let roleName = try row["account_role"].decode(String.self)
        guard let role = UserRole(rawValue: roleName) else {
            throw StoredRowError(description: "unknown role “\(roleName)” in users")
        }
        return Account(
            id: try row["account_id"].decode(Int64.self), username: try row["account_username"].decode(String.self),
            email: try row["account_email"].decode(String.self),
            emailVerifiedAt: try row["account_email_verified_at"].decode(Int64?.self).map(Millis.date),
            fullname: try row["account_fullname"].decode(String.self),
            role: role, passwordHash: try row["account_password_hash"].decode(String.self),
            totpSecret: try row["account_totp_secret"].decode(String?.self),
            disabled: try row["account_disabled"].decode(Bool.self),
            createdAt: Millis.date(try row["account_created_at"].decode(Int64.self)))
    }
}

/// A session read from `sessions s`.
enum PostgresSessionRow {
    static let columns = """
        s.token_hash AS session_token_hash, s.user_id AS session_user_id, s.created_at AS session_created_at, \
        s.last_seen_at AS session_last_seen_at, s.user_agent AS session_user_agent
        """

    static func session(_ row: PostgresRandomAccessRow) throws -> SessionRecord {
        SessionRecord(
            tokenHash: try row["session_token_hash"].decode(String.self),
            accountID: try row["session_user_id"].decode(Int64.self),
            createdAt: Millis.date(try row["session_created_at"].decode(Int64.self)),
            lastSeenAt: Millis.date(try row["session_last_seen_at"].decode(Int64.self)),
            userAgent: try row["session_user_agent"].decode(String?.self))
    }
}

/// A personal access token read from `access_tokens t`.
enum PostgresTokenRow {
    static let columns = """
        t.id AS token_id, t.user_id AS token_user_id, t.name AS token_name, t.token_hash AS token_hash, \
        t.created_at AS token_created_at, t.last_used_at AS token_last_used_at
        """

    static func token(_ row: PostgresRandomAccessRow) throws -> AccessToken {
        AccessToken(
            id: try row["token_id"].decode(Int64.self), accountID: try row["token_user_id"].decode(Int64.self),
            name: try row["token_name"].decode(String.self), tokenHash: try row["token_hash"].decode(String.self),
            createdAt: Millis.date(try row["token_created_at"].decode(Int64.self)),
            lastUsedAt: try row["token_last_used_at"].decode(Int64?.self).map(Millis.date))
    }
}
