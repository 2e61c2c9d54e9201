import ArgumentParser
import Foundation
import Logging
import PaperboyCore
import PaperboyMail

/// The mail server and sender (`serve` and `digest`). Without `--smtp-host` there is no mail: `serve` hides the
/// subscribe box and answers 503 to subscriptions, and `digest send` refuses to run.
struct MailOptions: ParsableArguments {
    @Option(help: "SMTP server host; unset, no mail is sent (PAPERBOY_SMTP_HOST).")
    var smtpHost: String?

    @Option(help: "SMTP server port (PAPERBOY_SMTP_PORT; default 587 for starttls, 465 for tls, 25 for none).")
    var smtpPort: String?

    @Option(help: "none, starttls or tls: how the SMTP connection is encrypted (PAPERBOY_SMTP_TLS; default starttls).")
    var smtpTLS: String?

    @Option(help: "SMTP user name for AUTH PLAIN or LOGIN, only ever sent over TLS (PAPERBOY_SMTP_USERNAME).")
    var smtpUsername: String?

    @Option(
        help: ArgumentHelp(
            "File holding the SMTP password (PAPERBOY_SMTP_PASSWORD_FILE).",
            discussion: "Or the password itself in PAPERBOY_SMTP_PASSWORD (environment only, never a flag)."))
    var smtpPasswordFile: String?

    @Option(
        help: ArgumentHelp(
            "PEM file of a private CA to trust for the SMTP server's certificate, besides the system's "
                + "(PAPERBOY_SMTP_CA_FILE)."))
    var smtpCAFile: String?

    @Option(help: "The From address of every mail, e.g. papers@lab.example.org (PAPERBOY_MAIL_FROM).")
    var mailFrom: String?

    /// The checked mail settings, or nil when `--smtp-host` is not set (then no other SMTP setting may be).
    func resolve() throws -> MailSettings? {
        guard let host = Settings.string("smtp-host", smtpHost) else {
            for (flag, value) in [
                ("smtp-port", smtpPort), ("smtp-tls", smtpTLS), ("smtp-username", smtpUsername),
                ("smtp-ca-file", smtpCAFile),
            ] where Settings.string(flag, value) != nil {
                throw SettingError(
                    setting: "--smtp-host (PAPERBOY_SMTP_HOST)", problem: "not set, but --\(flag) is; set both")
            }
            return nil
        }
        guard !host.isEmpty, host.utf8.count <= 253,
            host.unicodeScalars.allSatisfy({ $0.isASCII && !$0.properties.isWhitespace && $0 != "/" })
        else { throw SettingError(flag: "smtp-host", value: host, expected: "a host name or address") }
        let tls = try CommunityOptions.choice(
            "smtp-tls", smtpTLS, default: SMTPTLSMode.starttls,
            ["none": .none, "starttls": .starttls, "tls": .tls])
        let defaultPort =
            switch tls {
            case .none: 25
            case .starttls: 587
            case .tls: 465
            }
        let port = try Settings.port("smtp-port", smtpPort, default: defaultPort)
        let username = Settings.string("smtp-username", smtpUsername)
        let passwordBytes = try SecretSetting.read(
            "smtp-password", file: smtpPasswordFile, minimumBytes: 1, what: "password")
        let password = passwordBytes.map { String(decoding: $0, as: UTF8.self) }
        if (username == nil) != (password == nil) {
            throw SettingError(
                setting: "--smtp-username (PAPERBOY_SMTP_USERNAME)",
                problem: "a user name and a password (--smtp-password-file or PAPERBOY_SMTP_PASSWORD) go together")
        }
        if username != nil, tls == .none {
            throw SettingError(
                setting: "--smtp-tls (PAPERBOY_SMTP_TLS)",
                problem: "“none” with a user name: credentials are only ever sent over TLS (use starttls or tls)")
        }
        let caFile = Settings.string("smtp-ca-file", smtpCAFile)
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw SettingError(
                setting: "--smtp-ca-file (PAPERBOY_SMTP_CA_FILE)", problem: "“\(caFile)” cannot be read")
        }
        let from = try Self.from(mailFrom, required: "--smtp-host is set")
        return MailSettings(
            smtp: SMTPSettings(
                host: host, port: port, tls: tls, username: username, password: password, caFile: caFile,
                maxConnections: MailSettings.connections),
            from: from)
    }

    /// The checked From address; `required` says why it must be set.
    static func from(_ given: String?, required: String) throws -> String {
        guard let raw = Settings.string("mail-from", given) else {
            throw SettingError(setting: "--mail-from (PAPERBOY_MAIL_FROM)", problem: "not set, and \(required)")
        }
        guard let address = MailAddress.checked(raw) else {
            throw SettingError(flag: "mail-from", value: raw, expected: "an email address such as papers@example.org")
        }
        return address
    }
}

/// Mail settings, checked.
struct MailSettings {
    var smtp: SMTPSettings
    var from: String

    /// SMTP connections a node keeps at most, and digests a send delivers at once.
    static let connections = 4

    func mailer(logger: Logger) throws -> SMTPMailer {
        do {
            return try SMTPMailer(settings: smtp, from: from, logger: logger)
        } catch let error as SMTPConfigurationError {
            throw SettingError(setting: "--smtp-host (PAPERBOY_SMTP_HOST)", problem: error.description)
        }
    }
}

/// What digests hold and when `serve` sends them.
struct DigestOptions: ParsableArguments {
    @Option(help: "Papers per digest, 1 to 100 (PAPERBOY_DIGEST_SIZE; default 10).")
    var digestSize: String?

    @Option(help: "Hour of the day (UTC, 0-23) serve sends digests at (PAPERBOY_DIGEST_HOUR; default 6).")
    var digestHour: String?

    @Option(help: "Day weekly digests go out: mon, tue, ... sun (PAPERBOY_DIGEST_WEEKDAY; default mon).")
    var digestWeekday: String?

    func size() throws -> Int { try Settings.integer("digest-size", digestSize, default: 10, in: 1...100) }

    func hour() throws -> Int { try Settings.integer("digest-hour", digestHour, default: 6, in: 0...23) }

    /// ISO weekday, 1 Monday ... 7 Sunday.
    func weekday() throws -> Int {
        try CommunityOptions.choice(
            "digest-weekday", digestWeekday, default: 1,
            ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7])
    }
}
