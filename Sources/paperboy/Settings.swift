import ArgumentParser
import Foundation
import Logging
import PaperboyCore

/// sysexits codes the CLI exits with.
enum Exit {
    static let usage = ExitCode(64)
    static let dataError = ExitCode(65)
    static let unavailable = ExitCode(69)
    static let software = ExitCode(70)
    static let ioError = ExitCode(74)
}

/// A setting with a bad value: names the flag and its environment twin.
struct SettingError: Error, CustomStringConvertible {
    /// How the message names the setting: `--port (PAPERBOY_PORT)`.
    let setting: String
    /// What is wrong with it: `“http” is not a port number (1-65535)`.
    let problem: String

    init(flag: String, value: String, expected: String) {
        setting = "--\(flag) (\(Settings.environmentName(flag)))"
        problem = "“\(value)” is not \(expected)"
    }

    /// A message that does not repeat the value (a secret's).
    init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    var description: String { "bad setting \(setting): \(problem)" }
}

/// Resolves settings: the flag, then its `PAPERBOY_*` environment twin, then the default. Each setting has one name,
/// the flag's (`base-url` is `--base-url` and `PAPERBOY_BASE_URL`); a command reads each of its settings once, at
/// start, and a bad value throws ``SettingError`` naming both.
///
/// Hand-written, not swift-configuration's `ConfigReader`: its typed reads quietly fall back to the default on a value
/// they cannot convert, ArgumentParser already holds the flags, and the checks and messages are ours (issue 9).
enum Settings {
    /// The `PAPERBOY_*` variables, read once; an empty one counts as unset.
    private static let environment = ProcessInfo.processInfo.environment.filter {
        $0.key.hasPrefix("PAPERBOY_") && !$0.value.isEmpty
    }

    static func environmentName(_ flag: String) -> String {
        "PAPERBOY_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The flag as given, else its environment twin, else nil.
    static func string(_ flag: String, _ given: String?) -> String? {
        given ?? environment[environmentName(flag)]
    }

    static func string(_ flag: String, _ given: String?, default fallback: String) -> String {
        string(flag, given) ?? fallback
    }

    /// A comma-separated list; blanks around and between items are dropped.
    static func list(_ flag: String, _ given: String?) -> [String] {
        (string(flag, given) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The value `parse` makes of the setting, `fallback` when it is not set; `expected` says what a good value is.
    static func parsed<T>(
        _ flag: String, _ given: String?, default fallback: T, expected: String, _ parse: (String) -> T?
    ) throws -> T {
        guard let value = string(flag, given) else { return fallback }
        guard let result = parse(value) else { throw SettingError(flag: flag, value: value, expected: expected) }
        return result
    }

    /// An on/off flag: given on the command line it is on, else the environment says `true` or `false`.
    static func bool(_ flag: String, _ given: Bool) throws -> Bool {
        if given { return true }
        return try parsed(flag, nil, default: false, expected: "true or false") { value in
            switch value.lowercased() {
            case "1", "true", "yes", "on": true
            case "0", "false", "no", "off": false
            default: nil
            }
        }
    }

    static func port(_ flag: String, _ given: String?, default fallback: Int) throws -> Int {
        try parsed(flag, given, default: fallback, expected: "a port number (1-65535)") { value in
            Int(value).flatMap { (1...65535).contains($0) ? $0 : nil }
        }
    }

    static func url(_ flag: String, _ given: String?, default fallback: URL) throws -> URL {
        try parsed(flag, given, default: fallback, expected: "an http(s) URL") { value in
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https",
                url.host != nil
            else { return nil }
            return url
        }
    }

    /// A duration (see ``parseDuration(_:)``) of at least `minimum`.
    static func duration(
        _ flag: String, _ given: String?, default fallback: Duration, atLeast minimum: Duration = .zero
    )
        throws -> Duration
    {
        try duration(flag, given, atLeast: minimum) ?? fallback
    }

    /// A duration (see ``parseDuration(_:)``) of at least `minimum`, or nil when the setting is not set.
    static func duration(_ flag: String, _ given: String?, atLeast minimum: Duration = .zero) throws -> Duration? {
        let value = try parsed(
            flag, given, default: nil as Duration?, expected: "a duration such as 90s, 30m, 6h or 1d", parseDuration)
        if let value, value < minimum, let raw = string(flag, given) {
            throw SettingError(flag: flag, value: raw, expected: "at least \(minimum.components.seconds)s")
        }
        return value
    }

    /// `90s`, `30m`, `6h`, `1d` or plain seconds, at most 366 days.
    static func parseDuration(_ value: String) -> Duration? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(value)
        var unit: Int64 = 1
        if let last = value.last, let u = units[last] {
            unit = u
            digits = digits.dropLast()
        }
        guard digits.count <= 12, let n = Int64(digits), n >= 0, n * unit <= 366 * 86_400 else { return nil }
        return .seconds(n * unit)
    }

    /// A whole number within `range`.
    static func integer(_ flag: String, _ given: String?, default fallback: Int, in range: ClosedRange<Int>)
        throws -> Int
    {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        return try parsed(flag, given, default: fallback, expected: expected) { value in
            Int(value).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// A size in bytes: `64MB`, `512KB`, `1GB` or plain bytes (binary units), at most 64 GB.
    static func bytes(_ flag: String, _ given: String?, default fallback: Int) throws -> Int {
        try parsed(flag, given, default: fallback, expected: "a size such as 64MB, 512KB or 1GB (at most 64GB)") {
            value in
            let units: [(suffix: String, size: Int)] = [("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)]
            let upper = value.uppercased()
            let unit = units.first { upper.hasSuffix($0.suffix) }
            let digits = upper.dropLast(unit?.suffix.count ?? 0)
            guard digits.count <= 12, let n = Int(digits), n >= 0 else { return nil }
            let (total, overflow) = n.multipliedReportingOverflow(by: unit?.size ?? 1)
            return overflow || total > 64 << 30 ? nil : total
        }
    }

    /// A day, `YYYY-MM-DD`, or nil when the setting is not set.
    static func day(_ flag: String, _ given: String?) throws -> Day? {
        try parsed(flag, given, default: nil, expected: "a date (YYYY-MM-DD)") { Day(iso: $0) }
    }

    /// Sets up logging to standard error at `--log-level` and returns a logger.
    static func logger(_ label: String, level given: String?) throws -> Logger {
        let level = try logLevel(given)
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }

    static func logLevel(_ given: String?) throws -> Logger.Level {
        try parsed(
            "log-level", given, default: .info, expected: "one of trace, debug, info, notice, warning, error, critical"
        ) {
            Logger.Level(rawValue: $0.lowercased())
        }
    }
}

/// Options every command shares.
struct CommonOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "SQLite database file, or postgres://user@host:port/db?sslmode=... for PostgreSQL (PAPERBOY_DATABASE; "
                + "default ./paperboy.sqlite)."))
    var database: String?

    @Option(
        help: ArgumentHelp(
            "File whose first line is the PostgreSQL password (PAPERBOY_DATABASE_PASSWORD_FILE; else the URL in "
                + "PAPERBOY_DATABASE, or PGPASSWORD)."))
    var databasePasswordFile: String?

    @Option(
        help: ArgumentHelp(
            "Most connections to PostgreSQL this process opens (PAPERBOY_DATABASE_POOL_SIZE; default 20, 1-1000): "
                + "nodes times this must stay below the server's max_connections."))
    var databasePoolSize: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (PAPERBOY_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(
        help: ArgumentHelp(
            "Directory of the keyword and vector indexes; one process writes it at a time (PAPERBOY_INDEX_DIR; "
                + "default DATABASE.index beside an SQLite file, ./paperboy-index for PostgreSQL)."))
    var indexDir: String?

    var databasePath: String { Settings.string("database", database, default: "./paperboy.sqlite") }

    /// The database setting, checked; its password file read.
    func storeLocation() throws -> StoreLocation {
        let passwordFile = try SecretSetting.read("database-password", file: databasePasswordFile, minimumBytes: 1)
            .map { String(decoding: $0, as: UTF8.self) }
        var location = try StoreLocation(
            databasePath, fromFlag: database != nil, passwordFile: passwordFile,
            environment: ProcessInfo.processInfo.environment)
        let poolSize = try Settings.integer("database-pool-size", databasePoolSize, default: 20, in: 1...1000)
        if case .postgres(var settings) = location.backend {
            settings.maximumConnections = poolSize
            location.backend = .postgres(settings)
        }
        return location
    }

    /// Opens the store `--database` names (see ``StoreLocation``).
    func openStore(logger: Logger, migrate: Bool = true) async throws -> any PaperboyStore {
        try await storeLocation().open(logger: logger, migrate: migrate)
    }

    /// Sets up logging to standard error and returns the command's logger.
    func logger(_ label: String) throws -> Logger {
        try Settings.logger(label, level: logLevel)
    }
}
