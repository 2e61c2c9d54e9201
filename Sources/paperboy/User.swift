import ArgumentParser
import Foundation
import PaperboyCore
import PaperboyWeb

// `paperboy user ...`: accounts and personal access tokens from the command line. What names a user, a token or a role
// is an argument of one call, not a setting: none has a PAPERBOY_* twin, and a password is only read from standard
// input (never an argument, which other users of the machine can see).

extension Exit {
    /// sysexits EX_NOUSER: no such user or token.
    static let noUser = ExitCode(67)
}

/// Why a `user` command refused: bad input (65) or an unknown user or token (67).
struct UserCommandError: Error, CustomStringConvertible {
    let description: String
    let exitCode: ExitCode

    static func badInput(_ message: String) -> UserCommandError {
        UserCommandError(description: message, exitCode: Exit.dataError)
    }
    static func unknown(_ message: String) -> UserCommandError {
        UserCommandError(description: message, exitCode: Exit.noUser)
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create and manage accounts and their personal access tokens.",
        discussion: """
            Passwords are read from standard input (one trailing newline is dropped), never from an argument. \
            Bad input exits 65; an unknown user or token exits 67.
            """,
        subcommands: [
            CreateUser.self, SetPassword.self, TokenCommand.self, DisableUser.self, EnableUser.self, SetRole.self,
        ])

    /// Opens the store and runs `body` with it and the account named `username`.
    static func withAccount(
        _ username: String, _ common: CommonOptions,
        _ body: (any PaperboyStore, Account) async throws -> Void
    ) async throws {
        let store = try await common.openStore(logger: try common.logger("paperboy.user"))
        try await body(store, try await account(username, in: store))
    }

    /// The account named `name` (compared lower-cased, as usernames are stored).
    static func account(_ name: String, in store: some AccountStore) async throws -> Account {
        guard let account = try await store.account(username: name.lowercased()) else {
            throw UserCommandError.unknown("no user named “\(name)”")
        }
        return account
    }

    /// Records a change to an account in the moderation log, by the command line (no actor).
    static func record(_ action: String, _ account: Account, detail: String?, in store: some ModerationStore)
        async throws
    {
        try await store.recordModeration(action: action, target: account.username, detail: detail, by: nil, at: Date())
    }

    /// The password on standard input, without one trailing newline, checked.
    static func readPassword() throws -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard var password = String(data: data, encoding: .utf8) else {
            throw UserCommandError.badInput("the password on standard input is not UTF-8 text")
        }
        // "\r\n" is one Character: either way one line ending goes.
        if password.last == "\n" || password.last == "\r\n" { password.removeLast() }
        if let problem = Credentials.passwordProblem(password) { throw UserCommandError.badInput(problem) }
        return password
    }

    static func requirePasswordStdin(_ given: Bool) throws {
        guard given else {
            throw ValidationError("give --password-stdin and the password on standard input (never as an argument)")
        }
    }
}

struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an account (the password is read from standard input).")

    @OptionGroup var common: CommonOptions

    @Option(help: "2 to 30 characters: letters, digits, _ and - (stored lower-case).")
    var username: String

    @Option(help: "The account's email address (unique without regard to case).")
    var email: String

    @Option(help: "The display name (default: the username).")
    var fullname: String?

    @Flag(help: "Read the password from standard input (required).")
    var passwordStdin = false

    @Flag(help: "Make the account an admin.")
    var admin = false

    @Flag(help: "Make the account a moderator.")
    var moderator = false

    func validate() throws {
        try UserCommand.requirePasswordStdin(passwordStdin)
        if admin && moderator { throw ValidationError("give at most one of --admin and --moderator") }
    }

    func run() async throws {
        try await Paperboy.guarded {
            let name: String
            switch Username.normalize(username) {
            case .success(let normalized): name = normalized
            case .failure(let problem): throw UserCommandError.badInput("bad username “\(username)”: \(problem)")
            }
            if let problem = Credentials.emailProblem(email) {
                throw UserCommandError.badInput("bad email “\(email)”: \(problem)")
            }
            let display = fullname ?? name
            if let problem = Credentials.fullnameProblem(display) {
                throw UserCommandError.badInput("bad display name: \(problem)")
            }
            let password = try UserCommand.readPassword()
            let logger = try common.logger("paperboy.user")
            let store = try await common.openStore(logger: logger)
            // Cheap checks first: a taken name costs no bcrypt.
            if try await store.account(username: name) != nil {
                throw UserCommandError.badInput("the username “\(name)” is taken")
            }
            // Only a verified holder blocks the address (an unverified sign-up cannot claim another's address).
            if try await store.account(email: email)?.emailVerifiedAt != nil {
                throw UserCommandError.badInput("the email “\(email)” belongs to another account")
            }
            let role: UserRole = admin ? .admin : moderator ? .moderator : .member
            let hash = try await Credentials.hashPassword(password)
            // An admin vouches for the address: the account is verified from the start.
            let now = Date()
            do {
                let account = try await store.createAccount(
                    NewAccount(
                        username: name, email: email, emailVerifiedAt: now, fullname: display, role: role,
                        passwordHash: hash, createdAt: now))
                print("created \(account.role.rawValue) \(account.username) (id \(account.id))")
            } catch AccountConflict.username {
                throw UserCommandError.badInput("the username “\(name)” is taken")
            } catch AccountConflict.email {
                throw UserCommandError.badInput("the email “\(email)” belongs to another account")
            }
        }
    }
}

struct SetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password",
        abstract: "Set a user's password (read from standard input); every session of the user ends.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The username.")
    var username: String

    @Flag(help: "Read the password from standard input (required).")
    var passwordStdin = false

    func validate() throws { try UserCommand.requirePasswordStdin(passwordStdin) }

    func run() async throws {
        try await Paperboy.guarded {
            let password = try UserCommand.readPassword()
            try await UserCommand.withAccount(username, common) { store, account in
                let hash = try await Credentials.hashPassword(password)
                guard try await store.updateAccount(id: account.id, .password(hash: hash, keepingSession: nil)) != nil
                else { throw UserCommandError.unknown("no user named “\(username)”") }
                print("set the password of \(account.username); its sessions have ended")
            }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke personal access tokens.",
        subcommands: [CreateToken.self, ListTokens.self, RevokeToken.self])
}

struct CreateToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a personal access token (printed once, as the last line).")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The username.")
    var username: String

    @Option(help: "A name to tell the token apart (default: cli).")
    var name: String = "cli"

    func run() async throws {
        try await Paperboy.guarded {
            let label = name.trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(label.count),
                !label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw UserCommandError.badInput("a token name is 1 to 100 characters, without control characters") }
            try await UserCommand.withAccount(username, common) { store, account in
                let token = Credentials.newAccessToken()
                let stored = try await store.createToken(
                    accountID: account.id, name: label, tokenHash: Credentials.storedHash(token), at: Date())
                print("created token \(stored.id) “\(stored.name)” for \(account.username); it is shown only once:")
                print(token)
            }
        }
    }
}

struct ListTokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a user's tokens: id, name, created, last used (never the token).")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The username.")
    var username: String

    func run() async throws {
        try await Paperboy.guarded {
            try await UserCommand.withAccount(username, common) { store, account in
                let tokens = try await store.tokens(accountID: account.id)
                guard !tokens.isEmpty else {
                    print("\(account.username) has no tokens")
                    return
                }
                print(["id", "name", "created", "last used"].joined(separator: "\t"))
                for token in tokens {
                    let used = token.lastUsedAt.map(Timestamp.rfc3339) ?? "never"
                    print(
                        ["\(token.id)", token.name, Timestamp.rfc3339(token.createdAt), used].joined(separator: "\t"))
                }
            }
        }
    }
}

struct RevokeToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The token's id (see `user token list`).")
    var id: Int64

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.user")
            let store = try await common.openStore(logger: logger)
            guard try await store.revokeToken(id: id, accountID: nil) else {
                throw UserCommandError.unknown("no token with id \(id)")
            }
            print("revoked token \(id)")
        }
    }
}

struct DisableUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Disable an account: it cannot sign in, its sessions end and its tokens fail.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The username.")
    var username: String

    func run() async throws {
        try await Paperboy.guarded {
            try await UserCommand.withAccount(username, common) { store, account in
                _ = try await store.updateAccount(id: account.id, .disabled(true))
                if !account.disabled { try await UserCommand.record("user.disable", account, detail: nil, in: store) }
                print("disabled \(account.username); its sessions have ended")
            }
        }
    }
}

struct EnableUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled account.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The username.")
    var username: String

    func run() async throws {
        try await Paperboy.guarded {
            try await UserCommand.withAccount(username, common) { store, account in
                _ = try await store.updateAccount(id: account.id, .disabled(false))
                if account.disabled { try await UserCommand.record("user.enable", account, detail: nil, in: store) }
                print("enabled \(account.username)")
            }
        }
    }
}

struct SetRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role", abstract: "Set an account's role: admin, moderator or member.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The username.")
    var username: String

    @Argument(help: "admin, moderator or member.")
    var role: String

    func run() async throws {
        try await Paperboy.guarded {
            guard let newRole = UserRole(rawValue: role.lowercased()) else {
                throw UserCommandError.badInput("unknown role “\(role)”: give admin, moderator or member")
            }
            try await UserCommand.withAccount(username, common) { store, account in
                _ = try await store.updateAccount(id: account.id, .role(newRole))
                if account.role != newRole {
                    try await UserCommand.record("user.role", account, detail: newRole.rawValue, in: store)
                }
                print("\(account.username) is now \(newRole == .admin ? "an" : "a") \(newRole.rawValue)")
            }
        }
    }
}
