import Foundation

// Accounts, sessions, personal access tokens and the site secret: the store roles behind signing in. Secrets are never
// stored: a session id or token is kept as the hex SHA-256 of its text (`tokenHash`), a password as its bcrypt hash.
// The web layer and the CLI decide policy (expiry, rate limits, who may do what); the store keeps the records and
// applies each change atomically.

/// What an account may do beyond a member's.
public enum UserRole: String, Sendable, Hashable, CaseIterable, Codable {
    case member
    case moderator
    case admin

    /// Moderators and admins (who must use two-factor sign-in when `--require-2fa staff`).
    public var isStaff: Bool { self != .member }
}

/// A registered user.
public struct Account: Sendable, Hashable {
    public var id: Int64
    /// Lower-case, `[a-z0-9_-]{2,30}` (see ``Username``).
    public var username: String
    /// As the user wrote it. Among verified addresses unique without regard to case; an unverified one may be
    /// shared, so that nobody can block another person's address by signing up with it first.
    public var email: String
    /// When the owner followed the verification link sent to ``email`` (or an admin made the account); nil while
    /// unverified. Changing the email clears it.
    public var emailVerifiedAt: Date?
    /// The display name (the username when none was given).
    public var fullname: String
    public var role: UserRole
    /// bcrypt.
    public var passwordHash: String
    /// The base32 TOTP secret when two-factor sign-in is on.
    public var totpSecret: String?
    /// A disabled account cannot sign in, its sessions are gone and its tokens fail.
    public var disabled: Bool
    public var createdAt: Date

    public init(
        id: Int64, username: String, email: String, emailVerifiedAt: Date? = nil, fullname: String, role: UserRole,
        passwordHash: String, totpSecret: String? = nil, disabled: Bool = false, createdAt: Date
    ) {
        self.id = id
        self.username = username
        self.email = email
        self.emailVerifiedAt = emailVerifiedAt
        self.fullname = fullname
        self.role = role
        self.passwordHash = passwordHash
        self.totpSecret = totpSecret
        self.disabled = disabled
        self.createdAt = createdAt
    }

    /// Who the account is, as pages and the API name a submitter.
    public var person: Person { Person(username: username, fullname: fullname) }
}

/// A user as others see them: the username and display name.
public struct Person: Sendable, Hashable, Codable {
    public var username: String
    public var fullname: String

    public init(username: String, fullname: String) {
        self.username = username
        self.fullname = fullname
    }
}

/// An account to create; the store gives it an id.
public struct NewAccount: Sendable, Hashable {
    public var username: String
    public var email: String
    /// Set when the address is known to be the owner's (an admin creating the account with `paperboy user create`).
    public var emailVerifiedAt: Date?
    public var fullname: String
    public var role: UserRole
    public var passwordHash: String
    public var createdAt: Date

    public init(
        username: String, email: String, emailVerifiedAt: Date? = nil, fullname: String, role: UserRole = .member,
        passwordHash: String, createdAt: Date
    ) {
        self.username = username
        self.email = email
        self.emailVerifiedAt = emailVerifiedAt
        self.fullname = fullname
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

/// A username, or a verified email, that another account holds already (emails compared without regard to case).
public enum AccountConflict: Error, Equatable, Sendable {
    case username
    case email
}

/// One change to an account, applied atomically with what it implies.
public enum AccountChange: Sendable, Hashable {
    /// A new password hash. Every session of the account ends except `keepingSession` (a token hash), so that a
    /// password change signs out every other browser.
    case password(hash: String, keepingSession: String?)
    /// A new, unverified address (``Account/emailVerifiedAt`` becomes nil). Throws ``AccountConflict/email`` when
    /// another account holds it verified.
    case email(String)
    /// The owner followed the verification link for `address` at `at`: sets ``Account/emailVerifiedAt`` when the
    /// account's email is still `address` (without regard to case), else changes nothing. Throws
    /// ``AccountConflict/email`` when another account holds it verified already.
    case emailVerified(address: String, at: Date)
    case fullname(String)
    case role(UserRole)
    /// Disabling also ends every session of the account (its tokens fail while it is disabled).
    case disabled(Bool)
    /// Turns two-factor sign-in on with a secret and the hashes of its one-time recovery codes (replacing any
    /// earlier codes), or off with nil (and no codes).
    case twoFactor(secret: String?, recoveryCodeHashes: [String])
}

/// A signed-in browser: the server's record of a session cookie.
public struct SessionRecord: Sendable, Hashable {
    /// Hex SHA-256 of the session id the cookie carries.
    public var tokenHash: String
    public var accountID: Int64
    public var createdAt: Date
    public var lastSeenAt: Date
    /// The browser's User-Agent at sign-in, cut to 200 characters, to tell sessions apart in settings.
    public var userAgent: String?

    public init(tokenHash: String, accountID: Int64, createdAt: Date, lastSeenAt: Date, userAgent: String? = nil) {
        self.tokenHash = tokenHash
        self.accountID = accountID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.userAgent = userAgent
    }
}

/// A personal access token for the API (its text is shown once and never stored).
public struct AccessToken: Sendable, Hashable {
    public var id: Int64
    public var accountID: Int64
    public var name: String
    /// Hex SHA-256 of the token's text.
    public var tokenHash: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(
        id: Int64, accountID: Int64, name: String, tokenHash: String, createdAt: Date, lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// Accounts and their credentials.
public protocol AccountStore: Sendable {
    /// Creates an account; throws ``AccountConflict`` when the username is taken, or the email (without regard to
    /// case) is another account's verified address. An unverified address held by others does not count.
    func createAccount(_ account: NewAccount) async throws -> Account

    func account(id: Int64) async throws -> Account?
    /// By username (compared as stored: lower-case).
    func account(username: String) async throws -> Account?
    /// By email, without regard to case: the account holding it verified, else the oldest account with it.
    func account(email: String) async throws -> Account?

    /// Applies `change`; nil when there is no such account. Throws ``AccountConflict/email`` for a taken email.
    func updateAccount(id: Int64, _ change: AccountChange) async throws -> Account?

    /// Uses one of the account's recovery codes (by hash): true, and the code is gone, when it was there.
    func useRecoveryCode(accountID: Int64, codeHash: String) async throws -> Bool

    /// How many recovery codes the account has left.
    func recoveryCodeCount(accountID: Int64) async throws -> Int

    /// Deletes the account with its sessions, tokens, recovery codes and votes (each voted paper's count drops by
    /// one, in the same transaction). Papers it submitted stay featured without a submitter; its comments stay, by
    /// "deleted user"; its collections, claims and organisation memberships go; reports it filed stay without a
    /// reporter. False when there is no such account.
    func deleteAccount(id: Int64) async throws -> Bool

    // Sessions

    func createSession(_ session: SessionRecord) async throws
    /// The session and its account, whatever their age and state (the caller applies expiry and `disabled`).
    func session(tokenHash: String) async throws -> (session: SessionRecord, account: Account)?
    func touchSession(tokenHash: String, at: Date) async throws
    /// Ends one session; with `accountID`, only when it is that account's. True when a session ended.
    @discardableResult
    func endSession(tokenHash: String, accountID: Int64?) async throws -> Bool
    /// The account's sessions, most recently seen first.
    func sessions(accountID: Int64) async throws -> [SessionRecord]
    /// Ends sessions created before `createdBefore` or last seen before `idleBefore`; returns how many.
    @discardableResult
    func endExpiredSessions(createdBefore: Date, idleBefore: Date) async throws -> Int

    // Personal access tokens

    func createToken(accountID: Int64, name: String, tokenHash: String, at: Date) async throws -> AccessToken
    /// The token and its account (the caller refuses a disabled account).
    func token(hash: String) async throws -> (token: AccessToken, account: Account)?
    func touchToken(id: Int64, at: Date) async throws
    /// The account's tokens, newest first.
    func tokens(accountID: Int64) async throws -> [AccessToken]
    /// Revokes a token; with `accountID`, only that account's. True when one was revoked.
    @discardableResult
    func revokeToken(id: Int64, accountID: Int64?) async throws -> Bool
}

/// The site's signing secret when none is configured: made once, kept in the store, so that the CLI and every node
/// share it.
public protocol SecretStore: Sendable {
    /// The stored secret; when there is none yet, stores `candidate` and returns it. Concurrent callers (several
    /// nodes starting at once) all get the one that was stored first.
    func siteSecret(storingIfAbsent candidate: [UInt8]) async throws -> [UInt8]
}

/// Usernames: what is accepted and what is reserved.
public enum Username {
    /// Names that would read as the site's own or clash with its paths.
    public static let reserved: Set<String> = [
        "admin", "administrator", "api", "settings", "login", "logout", "signup", "moderation", "moderator", "root",
        "paperboy", "support", "help", "about", "static", "feeds", "papers", "authors", "categories", "search",
        "submit", "trending", "users", "user", "me", "system", "staff", "security", "www", "mail", "null",
        "undefined", "avatars", "collections", "subscriptions", "health", "metrics", "openapi", "robots", "sitemap",
        "mcp", "stats", "for-you", "anonymous", "deleted",
    ]

    /// The name lower-cased, or why it cannot be a username.
    public static func normalize(_ raw: String) -> Result<String, UsernameProblem> {
        let name = raw.lowercased()
        guard (2...30).contains(name.unicodeScalars.count),
            name.unicodeScalars.allSatisfy({ s in
                ("a"..."z").contains(s) || ("0"..."9").contains(s) || s == "_" || s == "-"
            })
        else { return .failure(.malformed) }
        guard !reserved.contains(name) else { return .failure(.reserved) }
        return .success(name)
    }
}

public enum UsernameProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed
    case reserved

    public var description: String {
        switch self {
        case .malformed: "a username is 2 to 30 characters: letters a-z, digits, _ and -"
        case .reserved: "that username is reserved"
        }
    }
}
