/// How the connection to the mail server is protected.
public enum SMTPTLSMode: String, Sendable, CaseIterable {
    /// Plain text throughout: only sensible for a server on this machine. No authentication.
    case none
    /// Plain connection upgraded with STARTTLS (port 587 style); a server that does not offer it is refused.
    case starttls
    /// TLS from the first byte (port 465 style).
    case tls
}

/// How long each step of a conversation with the mail server may take.
public struct SMTPTimeouts: Sendable, Hashable {
    /// Opening the TCP connection.
    public var connect: Duration
    /// The server's greeting, and the TLS handshake.
    public var greeting: Duration
    /// The reply to each command (EHLO, AUTH, MAIL, RCPT, DATA, RSET, QUIT).
    public var command: Duration
    /// The reply to the end of the message data.
    public var dataEnd: Duration
    /// An open connection unused for longer is closed and a new one opened.
    public var idle: Duration

    public init(
        connect: Duration = .seconds(10), greeting: Duration = .seconds(30), command: Duration = .seconds(30),
        dataEnd: Duration = .seconds(120), idle: Duration = .seconds(30)
    ) {
        self.connect = connect
        self.greeting = greeting
        self.command = command
        self.dataEnd = dataEnd
        self.idle = idle
    }
}

/// Where and how ``SMTPMailer`` delivers.
public struct SMTPSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var tls: SMTPTLSMode
    /// With a username the mailer authenticates (AUTH PLAIN, or LOGIN when the server offers only that), and only
    /// over TLS: a username with ``SMTPTLSMode/none`` is refused.
    public var username: String?
    public var password: String?
    /// A PEM file of CA certificates trusted besides the system's (for a server with a private CA or a self-signed
    /// certificate). Certificates are always verified, host name included.
    public var caFile: String?
    /// The name given in EHLO; the sender's domain when nil.
    public var heloName: String?
    public var timeouts: SMTPTimeouts
    /// Connections open at once at most; sends beyond wait for one.
    public var maxConnections: Int
    /// The waits before each retry of a message answered with a 4xx reply (so `[1 s, 4 s]` makes three tries).
    public var retryDelays: [Duration]

    public init(
        host: String, port: Int, tls: SMTPTLSMode, username: String? = nil, password: String? = nil,
        caFile: String? = nil, heloName: String? = nil, timeouts: SMTPTimeouts = SMTPTimeouts(),
        maxConnections: Int = 2, retryDelays: [Duration] = [.seconds(1), .seconds(4)]
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.caFile = caFile
        self.heloName = heloName
        self.timeouts = timeouts
        self.maxConnections = maxConnections
        self.retryDelays = retryDelays
    }

    /// The usual port of each mode: 25 plain, 587 STARTTLS, 465 TLS.
    public static func defaultPort(for mode: SMTPTLSMode) -> Int {
        switch mode {
        case .none: 25
        case .starttls: 587
        case .tls: 465
        }
    }
}

/// Settings the mailer refuses when it is made (before any connection).
public struct SMTPConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension SMTPSettings: CustomStringConvertible, CustomDebugStringConvertible {
    /// The settings without the password, so that logging them never shows it.
    public var description: String {
        let user = username.map { ", username: \($0), password: \(password == nil ? "none" : "<redacted>")" } ?? ""
        return "SMTPSettings(\(host):\(port), tls: \(tls.rawValue)\(user), caFile: \(caFile ?? "none"))"
    }

    public var debugDescription: String { description }
}
