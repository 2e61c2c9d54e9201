import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PaperboyCore

/// What the server announced in its EHLO reply: keyword (upper-cased) to parameters.
struct SMTPExtensions: Sendable, Equatable {
    var keywords: [String: [String]] = [:]

    init(ehlo reply: SMTPReply? = nil) {
        guard let reply else { return }
        for line in reply.lines.dropFirst() {
            // "AUTH PLAIN LOGIN", and the old "AUTH=PLAIN LOGIN" some servers still send.
            var words = line.split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard !words.isEmpty else { continue }
            let keyword = words.removeFirst().uppercased()
            keywords[keyword, default: []] += words.map { $0.uppercased() }
        }
    }

    func offers(_ keyword: String) -> Bool { keywords[keyword] != nil }
}

/// A message's delivery stopped.
enum DeliveryFailure: Error {
    /// The server said no at `step`; the connection can go on after RSET.
    case refused(SMTPReply, step: String)
    /// The connection failed at `step`; when `afterData`, the server may have taken the message before it did.
    case connection(SMTPConnectionError, step: String, afterData: Bool)
}

/// An open, greeted (and, as configured, encrypted and authenticated) connection, ready for a mail transaction.
/// Used by one task at a time (the pool hands it out).
final class SMTPConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<SMTPClientHandler>
    let extensions: SMTPExtensions
    let isEncrypted: Bool
    let timeouts: SMTPTimeouts

    private init(
        channel: any Channel, handler: NIOLoopBound<SMTPClientHandler>, extensions: SMTPExtensions,
        isEncrypted: Bool, timeouts: SMTPTimeouts
    ) {
        self.channel = channel
        self.handler = handler
        self.extensions = extensions
        self.isEncrypted = isEncrypted
        self.timeouts = timeouts
    }

    var isActive: Bool { channel.isActive }

    /// Connects, reads the greeting, says EHLO (HELO when EHLO is refused), upgrades with STARTTLS when configured
    /// and authenticates when a username is set.
    ///
    /// - Throws: ``MailError/unreachable(_:)`` with the reason; the channel is closed then.
    static func open(
        settings: SMTPSettings, heloName: String, tlsContext: NIOSSLContext?, group: any EventLoopGroup,
        logger: Logger
    ) async throws -> SMTPConnection {
        let server = "\(settings.host):\(settings.port)"
        let sni = serverNameIndication(for: settings.host)
        let implicitTLS = settings.tls == .tls ? tlsContext : nil
        let channel: any Channel
        let handler: NIOLoopBound<SMTPClientHandler>
        do {
            // The handler comes out of the initializer of the channel that won (happy eyeballs may try several).
            (channel, handler) = try await ClientBootstrap(group: group)
                .connectTimeout(settings.timeouts.connect.timeAmount)
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let implicitTLS {
                            try pipeline.addHandler(NIOSSLClientHandler(context: implicitTLS, serverHostname: sni))
                        }
                        try pipeline.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        let handler = SMTPClientHandler()
                        try pipeline.addHandler(handler)
                        return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
        } catch {
            throw MailError.unreachable("cannot connect to \(server): \(describeChannelError(error))")
        }
        do {
            var conversation = Conversation(channel: channel, handler: handler)
            let greeting = try await conversation.exchange(nil, timeout: settings.timeouts.greeting, step: "greeting")
            guard greeting.code == 220 else {
                throw MailError.unreachable("\(server) refused the connection: \(greeting.code) \(greeting.message)")
            }
            var extensions = try await conversation.hello(heloName, timeout: settings.timeouts.command)
            var encrypted = settings.tls == .tls
            if settings.tls == .starttls {
                guard extensions.offers("STARTTLS") else {
                    throw MailError.unreachable(
                        "\(server) does not offer STARTTLS (the settings ask for it: tls starttls)")
                }
                guard let tlsContext else { throw MailError.unreachable("\(server): TLS is not set up") }
                let reply = try await conversation.startTLS(
                    tlsContext, serverHostname: sni, timeout: settings.timeouts.command)
                guard reply.code == 220 else {
                    throw MailError.unreachable("\(server) refused STARTTLS: \(reply.code) \(reply.message)")
                }
                encrypted = true
                // The handshake happens before the server sees the EHLO: its time counts as the greeting's.
                extensions = try await conversation.hello(heloName, timeout: settings.timeouts.greeting)
            }
            if let username = settings.username {
                try await conversation.authenticate(
                    username: username, password: settings.password ?? "", extensions: extensions,
                    encrypted: encrypted, timeout: settings.timeouts.command, server: server)
            }
            logger.debug(
                "SMTP connection open",
                metadata: [
                    "smtp.tls": "\(settings.tls.rawValue)", "smtp.extensions": "\(extensions.keywords.keys.sorted())",
                ])
            return SMTPConnection(
                channel: channel, handler: handler, extensions: extensions, isEncrypted: encrypted,
                timeouts: settings.timeouts)
        } catch let error as MailError {
            channel.close(promise: nil)
            throw error
        } catch {
            channel.close(promise: nil)
            throw MailError.unreachable("\(server): \(describeChannelError(error))")
        }
    }

    /// One mail transaction: MAIL FROM, RCPT TO, DATA and the message, dot-stuffed and ended with CRLF.CRLF.
    ///
    /// - Throws: ``DeliveryFailure``.
    func deliver(from: String, to: String, message: [UInt8]) async throws {
        var conversation = Conversation(channel: channel, handler: handler)
        func step(_ command: String, _ name: String, expect codes: Set<Int>) async throws {
            let reply: SMTPReply
            do {
                reply = try await conversation.exchange(command, timeout: timeouts.command, step: name)
            } catch let error as SMTPConnectionError {
                throw DeliveryFailure.connection(error, step: name, afterData: false)
            }
            guard codes.contains(reply.code) else { throw DeliveryFailure.refused(reply, step: name) }
        }
        let size = extensions.offers("SIZE") ? " SIZE=\(message.count)" : ""
        try await step("MAIL FROM:<\(from)>\(size)", "MAIL FROM", expect: [250])
        try await step("RCPT TO:<\(to)>", "RCPT TO", expect: [250, 251])
        try await step("DATA", "DATA", expect: [354])
        let reply: SMTPReply
        do {
            var buffer = channel.allocator.buffer(capacity: message.count + message.count / 64 + 8)
            buffer.writeBytes(dotStuffed(message))
            reply = try await conversation.exchange(
                bytes: buffer, timeout: timeouts.dataEnd, step: "the end of the data")
        } catch let error as SMTPConnectionError {
            throw DeliveryFailure.connection(error, step: "the end of the data", afterData: true)
        }
        guard reply.code == 250 else { throw DeliveryFailure.refused(reply, step: "the end of the data") }
    }

    /// RSET after a refused transaction; false when the connection cannot go on.
    func reset() async -> Bool {
        var conversation = Conversation(channel: channel, handler: handler)
        let reply = try? await conversation.exchange("RSET", timeout: timeouts.command, step: "RSET")
        return reply?.code == 250
    }

    /// QUIT (its reply waited for at most the command timeout), then the channel is closed.
    func quit() async {
        var conversation = Conversation(channel: channel, handler: handler)
        if channel.isActive {
            _ = try? await conversation.exchange("QUIT", timeout: timeouts.command, step: "QUIT")
        }
        close()
    }

    func close() {
        channel.close(promise: nil)
    }

    /// The host name to send in SNI and to check the certificate against; nil for an IP address (NIOSSL then
    /// checks the certificate against the address connected to).
    static func serverNameIndication(for host: String) -> String? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return (try? SocketAddress(ipAddress: bare, port: 0)) == nil ? host : nil
    }
}

/// The commands and replies of one connection.
struct Conversation {
    let channel: any Channel
    let handler: NIOLoopBound<SMTPClientHandler>

    mutating func exchange(_ command: String?, timeout: Duration, step: String) async throws -> SMTPReply {
        try await exchange(bytes: command.map { ByteBuffer(string: $0 + "\r\n") }, timeout: timeout, step: step)
    }

    mutating func exchange(bytes: ByteBuffer?, timeout: Duration, step: String) async throws -> SMTPReply {
        let handler = self.handler
        let loop = channel.eventLoop
        return try await loop.flatSubmit {
            handler.value.exchange(bytes, timeout: timeout.timeAmount, step: step, on: loop)
        }.get()
    }

    /// STARTTLS; on its 220 the TLS handler goes first in the pipeline before any further byte is read. Bytes the
    /// server sent after that reply, still in plain text, end the connection (they could only be an injection).
    mutating func startTLS(
        _ tlsContext: NIOSSLContext, serverHostname: String?, timeout: Duration
    ) async throws -> SMTPReply {
        let handler = self.handler
        let channel = self.channel
        return try await channel.eventLoop.flatSubmit {
            handler.value.exchange(
                ByteBuffer(string: "STARTTLS\r\n"), timeout: timeout.timeAmount, step: "STARTTLS",
                on: channel.eventLoop
            ) { reply in
                guard reply.code == 220 else { return }
                guard !reply.followedByMore else {
                    throw SMTPConnectionError.protocolViolation("plain-text data after the reply to STARTTLS")
                }
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname), position: .first)
            }
        }.get()
    }

    /// EHLO, or HELO when the server refuses EHLO with a 5xx; the extensions it offers.
    mutating func hello(_ name: String, timeout: Duration) async throws -> SMTPExtensions {
        let reply = try await exchange("EHLO \(name)", timeout: timeout, step: "EHLO")
        if reply.code == 250 { return SMTPExtensions(ehlo: reply) }
        guard (500..<600).contains(reply.code) else {
            throw MailError.unreachable("EHLO refused: \(reply.code) \(reply.message)")
        }
        let helo = try await exchange("HELO \(name)", timeout: timeout, step: "HELO")
        guard helo.code == 250 else {
            throw MailError.unreachable("EHLO and HELO refused: \(helo.code) \(helo.message)")
        }
        return SMTPExtensions()
    }

    /// AUTH PLAIN, or LOGIN when the server offers only that. Never over a plain connection.
    mutating func authenticate(
        username: String, password: String, extensions: SMTPExtensions, encrypted: Bool, timeout: Duration,
        server: String
    ) async throws {
        guard encrypted else {
            throw MailError.unreachable("refusing to send the SMTP password to \(server) over a connection without TLS")
        }
        guard let mechanisms = extensions.keywords["AUTH"] else {
            throw MailError.unreachable("\(server) does not offer authentication (AUTH)")
        }
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        var reply: SMTPReply
        if mechanisms.contains("PLAIN") {
            reply = try await exchange(
                "AUTH PLAIN " + base64("\0\(username)\0\(password)"), timeout: timeout, step: "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            reply = try await exchange("AUTH LOGIN", timeout: timeout, step: "AUTH LOGIN")
            if reply.code == 334 {
                reply = try await exchange(base64(username), timeout: timeout, step: "AUTH LOGIN (username)")
            }
            if reply.code == 334 {
                reply = try await exchange(base64(password), timeout: timeout, step: "AUTH LOGIN (password)")
            }
        } else {
            throw MailError.unreachable(
                "\(server) offers neither AUTH PLAIN nor AUTH LOGIN (it offers \(mechanisms.joined(separator: " ")))")
        }
        guard reply.code == 235 else {
            throw MailError.unreachable("authentication as \(username) failed: \(reply.code) \(reply.message)")
        }
    }
}

/// The message as DATA sends it: a `.` doubled at the start of each line, a final CRLF ensured, then `.` CRLF.
func dotStuffed(_ message: [UInt8]) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(message.count + message.count / 64 + 8)
    var atLineStart = true
    for byte in message {
        if atLineStart, byte == UInt8(ascii: ".") { output.append(byte) }
        output.append(byte)
        atLineStart = byte == 10
    }
    if !output.isEmpty, !(output.count >= 2 && output[output.count - 2] == 13 && output[output.count - 1] == 10) {
        output += [13, 10]
    }
    return output + [UInt8(ascii: "."), 13, 10]
}

/// A connection, TLS or I/O error in words a person running Paperboy can act on.
func describeChannelError(_ error: any Error) -> String {
    switch error {
    case let error as SMTPConnectionError:
        if case .channel(let inner) = error { return describeChannelError(inner) }
        return error.description
    case let error as NIOConnectionError:
        if let dns = error.dnsAError ?? error.dnsAAAAError, error.connectionErrors.isEmpty {
            return "cannot resolve \(error.host): \(dns)"
        }
        let reasons = error.connectionErrors.map { describeChannelError($0.error) }
        return reasons.isEmpty ? "\(error)" : Array(Set(reasons)).sorted().joined(separator: "; ")
    case ChannelError.connectTimeout(let amount):
        return "no connection within \(formatSeconds(Double(amount.nanoseconds) / 1e9))"
    case let error as IOError:
        return error.description
    case let error as NIOSSLError:
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS certificate verification failed (\(text))"
        }
        return "TLS failed (\(text))"
    case let error as NIOSSLExtraError:
        if error == .failedToValidateHostname {
            return "TLS certificate verification failed: the certificate is not for this host (\(error))"
        }
        return "TLS failed (\(error))"
    default:
        return "\(error)"
    }
}

extension Duration {
    /// As NIO's `TimeAmount` (clamped to what it holds).
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds > 0 ? .nanoseconds(.max) : .nanoseconds(0) }
        return .nanoseconds(max(0, nanos &+ attoseconds / 1_000_000_000))
    }
}
