import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import PaperboyCore

/// Delivers messages over SMTP: at most ``SMTPSettings/maxConnections`` connections at once, kept open between
/// messages (a new MAIL FROM once the previous transaction ended) and opened anew when one broke or was idle longer
/// than ``SMTPTimeouts/idle``.
///
/// What ``send(_:)`` throws (it returns the Message-ID):
/// - ``MailError/temporary(code:message:)``: a 4xx reply, or a connection lost or timed out before the whole
///   message was sent, after a try following each of ``SMTPSettings/retryDelays``; also, at once and with code 421
///   (SMTP's "closing the channel"), a timeout or lost connection after the whole message was sent, since the
///   server may have taken it and trying again here could deliver it twice.
/// - ``MailError/permanent(code:message:)``: a 5xx reply to RCPT TO, DATA or the message, at once.
/// - ``MailError/unreachable(_:)``: a server that cannot be connected to, greeted, encrypted (certificate checks
///   included) or logged in to, or that refuses the sender (a 5xx to MAIL FROM): no message would go out.
/// - ``MailError/malformed(_:)``: from ``MIMEWriter``, before any connection.
public final class SMTPMailer: MailSender {
    public let settings: SMTPSettings
    public let from: String
    private let fromName: String?
    private let heloName: String
    private let domain: String
    private let tlsContext: NIOSSLContext?
    private let group: any EventLoopGroup
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let pool: SMTPConnectionPool

    /// - Parameters:
    ///   - from: the envelope sender and `From` address.
    ///   - fromName: a display name for `From`.
    ///   - now: the clock the `Date` header and Message-IDs read.
    /// - Throws: ``SMTPConfigurationError`` for settings that cannot work (a username without TLS, an unreadable CA
    ///   file, a sender address that is not one).
    public init(
        settings: SMTPSettings, from: String, fromName: String? = nil, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        guard let sender = MailAddress.checked(from), let domain = MailAddress.domain(sender) else {
            throw SMTPConfigurationError("the sender address \(String(reflecting: from)) is not a valid address")
        }
        let host = settings.host
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw SMTPConfigurationError("the SMTP host \(String(reflecting: host)) is not a host name")
        }
        guard (1...65_535).contains(settings.port) else {
            throw SMTPConfigurationError("the SMTP port \(settings.port) is not between 1 and 65535")
        }
        guard settings.maxConnections >= 1 else {
            throw SMTPConfigurationError("at least one SMTP connection is needed (maxConnections is 0)")
        }
        if settings.username != nil {
            guard settings.tls != .none else {
                throw SMTPConfigurationError(
                    "SMTP authentication needs TLS (tls starttls or tls): with tls none the password would cross "
                        + "the network unencrypted")
            }
            guard settings.password != nil else {
                throw SMTPConfigurationError("an SMTP username is set but no password")
            }
        }
        let heloName = settings.heloName ?? domain
        let heloBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.[]:".utf8)
        guard (1...255).contains(heloName.utf8.count), heloName.utf8.allSatisfy({ heloBytes.contains($0) }) else {
            throw SMTPConfigurationError("the EHLO name \(String(reflecting: heloName)) is not a host name")
        }
        self.settings = settings
        self.from = sender
        self.fromName = fromName
        self.heloName = heloName
        self.domain = domain
        self.tlsContext = settings.tls == .none ? nil : try Self.makeTLSContext(caFile: settings.caFile)
        self.group = eventLoopGroup
        var logger = logger
        logger[metadataKey: "smtp.host"] = "\(settings.host)"
        logger[metadataKey: "smtp.port"] = "\(settings.port)"
        self.logger = logger
        self.now = now
        self.pool = SMTPConnectionPool(maxConnections: settings.maxConnections, idleLimit: settings.timeouts.idle)
    }

    /// Certificates always verified, host name included; trusted: the system's roots and, with a CA file, its
    /// certificates besides.
    static func makeTLSContext(caFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw SMTPConfigurationError("the CA file \(caFile) cannot be read as PEM certificates: \(error)")
            }
            guard !certificates.isEmpty else {
                throw SMTPConfigurationError("the CA file \(caFile) holds no certificate")
            }
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SMTPConfigurationError("TLS cannot be set up: \(error)")
        }
    }

    public func newMessageID() -> String {
        let random = MIMEWriter.randomToken(count: 24, alphabet: Array("0123456789abcdefghijklmnopqrstuvwxyz"))
        return "\(random).\(Int64(now().timeIntervalSince1970.rounded(.down)))@\(domain)"
    }

    public func send(_ message: MailMessage) async throws -> String {
        let messageID = message.messageID ?? newMessageID()
        var logger = self.logger
        logger[metadataKey: "mail.message_id"] = "\(messageID)"
        let bytes: [UInt8]
        do {
            bytes = try MIMEWriter.render(message, from: from, fromName: fromName, date: now(), messageID: messageID)
        } catch {
            count("malformed")
            throw error
        }
        // render checked the address.
        let recipient = MailAddress.checked(message.to) ?? message.to
        var attempt = 0
        var reconnected = false
        while true {
            do {
                try await deliverOnce(bytes, to: recipient)
                logger.debug("mail sent", metadata: ["mail.bytes": "\(bytes.count)", "mail.tries": "\(attempt + 1)"])
                count("sent")
                return messageID
            } catch let retry as Retry {
                if retry.isStaleConnection, !reconnected {
                    // A kept connection the server had closed meanwhile: once more at once, on a new one.
                    reconnected = true
                    continue
                }
                guard attempt < settings.retryDelays.count else {
                    logger.warning(
                        "mail deferred",
                        metadata: ["smtp.code": "\(retry.code)", "smtp.reply": "\(retry.message)"])
                    count("temporary")
                    throw MailError.temporary(code: retry.code, message: retry.message)
                }
                logger.debug(
                    "mail deferred, trying again",
                    metadata: ["smtp.code": "\(retry.code)", "smtp.reply": "\(retry.message)"])
                try await Task.sleep(for: settings.retryDelays[attempt])
                attempt += 1
            } catch let error as MailError {
                switch error {
                case .permanent(let code, let reply):
                    logger.warning("mail refused", metadata: ["smtp.code": "\(code)", "smtp.reply": "\(reply)"])
                    count("permanent")
                case .temporary(let code, let reply):
                    logger.warning("mail deferred", metadata: ["smtp.code": "\(code)", "smtp.reply": "\(reply)"])
                    count("temporary")
                case .unreachable(let why):
                    logger.warning("mail server unreachable", metadata: ["smtp.error": "\(why)"])
                    count("unreachable")
                case .uncertain(let why):
                    logger.warning("mail may have been delivered", metadata: ["smtp.error": "\(why)"])
                    count("uncertain")
                case .malformed:
                    count("malformed")
                }
                throw error
            }
        }
    }

    /// Connects, greets, encrypts and authenticates as configured, then QUITs: whether the server is there.
    ///
    /// - Throws: ``MailError/unreachable(_:)``.
    public func checkConnection() async throws {
        let connection = try await open()
        await connection.quit()
    }

    /// Closes the kept connections (QUIT); sends after this throw ``MailError/unreachable(_:)``.
    public func shutdown() async {
        for connection in await pool.shutdown() {
            await connection.quit()
        }
    }

    private var serverName: String { "\(settings.host):\(settings.port)" }

    private func count(_ result: String) {
        Counter(label: MetricNames.mailDeliveries, dimensions: [("result", result)]).increment()
    }

    /// A failure worth trying again.
    private struct Retry: Error {
        var code: Int
        var message: String
        /// A kept connection that was found closed before anything of the message was sent.
        var isStaleConnection = false
    }

    private func open() async throws -> SMTPConnection {
        try await SMTPConnection.open(
            settings: settings, heloName: heloName, tlsContext: tlsContext, group: group, logger: logger)
    }

    private func deliverOnce(_ message: [UInt8], to recipient: String) async throws {
        let connection: SMTPConnection
        let reused: Bool
        switch try await pool.acquire() {
        case .kept(let kept):
            connection = kept
            reused = true
        case .open:
            do {
                connection = try await open()
            } catch {
                await pool.release(nil)
                throw error
            }
            reused = false
        }
        do {
            try await connection.deliver(from: from, to: recipient, message: message)
            await pool.release(connection)
        } catch DeliveryFailure.refused(let reply, let step) {
            var usable = false
            if reply.code != 421 { usable = await connection.reset() }
            if !usable { connection.close() }
            await pool.release(usable ? connection : nil)
            logger.debug("SMTP reply", metadata: ["smtp.code": "\(reply.code)", "smtp.step": "\(step)"])
            if reply.isTransient {
                // 421 to the first command on a kept connection: the server had given up on it meanwhile.
                let isStale = reused && reply.code == 421 && step == "MAIL FROM"
                throw Retry(code: reply.code, message: reply.message, isStaleConnection: isStale)
            }
            if step == "MAIL FROM" {
                // The sender is refused (not authenticated, not allowed to send as this address): no message
                // would go out, so it is the server's answer to the mailer, not to this recipient.
                throw MailError.unreachable("\(serverName) refuses the sender \(from): \(reply.code) \(reply.message)")
            }
            throw MailError.permanent(code: reply.code, message: reply.message)
        } catch DeliveryFailure.connection(let failure, let step, let afterData) {
            connection.close()
            await pool.release(nil)
            if afterData {
                throw MailError.uncertain(failure.description)
            }
            // A kept connection that fails at its first command: the server (or something between) dropped it.
            throw Retry(code: 421, message: failure.description, isStaleConnection: reused && step == "MAIL FROM")
        } catch {
            connection.close()
            await pool.release(nil)
            throw error
        }
    }
}

/// The connections of one mailer: at most `maxConnections` open or opening at once, idle ones kept for reuse.
actor SMTPConnectionPool {
    enum Lease {
        case kept(SMTPConnection)
        /// A slot to open a new connection in (given back with `release`).
        case open
    }

    private let maxConnections: Int
    private let idleLimit: Duration
    private var idle: [(connection: SMTPConnection, since: ContinuousClock.Instant)] = []
    /// Connections open, opening or in use, idle ones included.
    private var count = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var isShutDown = false

    init(maxConnections: Int, idleLimit: Duration) {
        self.maxConnections = maxConnections
        self.idleLimit = idleLimit
    }

    func acquire() async throws -> Lease {
        while true {
            guard !isShutDown else { throw MailError.unreachable("the mailer was shut down") }
            let now = ContinuousClock.now
            while let entry = idle.popLast() {
                if entry.connection.isActive, entry.since.duration(to: now) <= idleLimit {
                    return .kept(entry.connection)
                }
                count -= 1
                let stale = entry.connection
                Task { await stale.quit() }
            }
            if count < maxConnections {
                count += 1
                return .open
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Gives a connection back for reuse, or (nil) its slot.
    func release(_ connection: SMTPConnection?) {
        if let connection, connection.isActive, !isShutDown {
            idle.append((connection, ContinuousClock.now))
        } else {
            count -= 1
            connection?.close()
        }
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Stops handing out connections; the idle ones, to close.
    func shutdown() -> [SMTPConnection] {
        isShutDown = true
        let closing = idle.map(\.connection)
        count -= idle.count
        idle = []
        for waiter in waiters { waiter.resume() }
        waiters = []
        return closing
    }
}
