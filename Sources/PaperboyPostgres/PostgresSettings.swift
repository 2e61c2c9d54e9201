import Foundation

/// Where a PostgreSQL store is and how to reach it, read from a `postgres://` (or `postgresql://`) URL as libpq reads
/// one: `postgres://user@host:port/database?sslmode=...`. The password comes, in this order, from the URL (when the
/// URL itself came from the environment, `PAPERBOY_DATABASE`), from a password file (`--database-password-file`), or
/// from libpq's `PGPASSWORD`; it is never needed on a command line that `ps` shows.
public struct PostgresSettings: Sendable, Equatable {
    /// libpq's `sslmode` values, as this store honours them.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's `allow` and `prefer`).
        case prefer
        /// TLS always, without checking the certificate (libpq's `require` without a root certificate).
        case require
        /// TLS always, the certificate checked against the system's roots but not the host name.
        case verifyCA = "verify-ca"
        /// TLS always, certificate and host name checked.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var database: String
    public var password: String?
    public var tls: TLSMode
    /// The most connections the store's pool opens (each node's share of the server's `max_connections`).
    public var maximumConnections = 20

    public init(
        host: String, port: Int = 5432, username: String, database: String, password: String? = nil,
        tls: TLSMode = .prefer
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.database = database
        self.password = password
        self.tls = tls
    }

    /// Whether `value` names a PostgreSQL database (a `postgres://` or `postgresql://` URL) rather than a file.
    public static func isURL(_ value: String) -> Bool {
        let lowered = value.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Reads the URL. `passwordFile` is the contents of `--database-password-file` (its first line is the password);
    /// `environment` supplies `PGPASSWORD` and, as libpq does, `PGUSER` when the URL names no user.
    public static func parse(_ url: String, passwordFile: String? = nil, environment: [String: String] = [:])
        throws(PostgresSettingsError) -> PostgresSettings
    {
        guard isURL(url), let components = URLComponents(string: url) else {
            throw PostgresSettingsError("is not a URL of the form postgres://user@host:port/database")
        }
        guard let host = components.host.map({ $0.removingPercentEncoding ?? $0 }), !host.isEmpty else {
            throw PostgresSettingsError("names no host (postgres://user@host:port/database)")
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw PostgresSettingsError("has port \(port), not 1-65535") }
        let username = components.user?.removingPercentEncoding ?? environment["PGUSER"] ?? ""
        guard !username.isEmpty else {
            throw PostgresSettingsError("names no user (postgres://user@host:port/database, or PGUSER)")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = path.removingPercentEncoding ?? path
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresSettingsError("names no database (postgres://user@host:port/database)")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require": tls = .require
                case "verify-ca": tls = .verifyCA
                case "verify-full": tls = .verifyFull
                case let other:
                    throw PostgresSettingsError(
                        "has sslmode=\(other), not disable, allow, prefer, require, verify-ca or verify-full")
                }
            case "application_name", "connect_timeout":
                break
            default:
                throw PostgresSettingsError("has the parameter \(item.name), which Paperboy does not know (sslmode)")
            }
        }
        let fromFile = passwordFile.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).first }
            .map(String.init)
        let password = components.password?.removingPercentEncoding ?? fromFile ?? environment["PGPASSWORD"]
        return PostgresSettings(
            host: host, port: port, username: username, database: database, password: password, tls: tls)
    }

    /// The URL without its password, for logs and messages.
    public var redacted: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}

/// What is wrong with a PostgreSQL URL, said after the setting's name ("--database ...").
public struct PostgresSettingsError: Error, Equatable, CustomStringConvertible {
    public let problem: String

    public init(_ problem: String) { self.problem = problem }

    public var description: String { problem }
}
