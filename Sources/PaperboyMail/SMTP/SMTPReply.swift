import NIOCore

/// One SMTP reply: its code and the text of each of its lines (after the code and the `-` or blank).
struct SMTPReply: Sendable, Equatable {
    var code: Int
    var lines: [String]
    /// Bytes had come after the reply when it was read (never right after a reply to STARTTLS).
    var followedByMore = false

    /// The text of all lines, for errors and logs (at most 300 characters).
    var message: String {
        let text = lines.joined(separator: " ")
        return text.count > 300 ? String(text.prefix(300)) + "..." : text
    }

    /// 2xx or 3xx.
    var isPositive: Bool { (200..<400).contains(code) }
    var isTransient: Bool { (400..<500).contains(code) }
}

/// Why a conversation with the server stopped. Internal: the mailer turns these into ``MailError``s.
enum SMTPConnectionError: Error, CustomStringConvertible {
    /// No reply within the step's time; the connection is closed.
    case timeout(step: String, seconds: Double)
    /// The server closed the connection (or it broke) before replying.
    case closed
    /// A reply that is not SMTP, a line longer than allowed, a reply of too many lines, a reply nobody asked for.
    case protocolViolation(String)
    /// An error from the channel (TLS, I/O).
    case channel(any Error)

    var description: String {
        switch self {
        case .timeout(let step, let seconds): "no reply to \(step) within \(formatSeconds(seconds))"
        case .closed: "the server closed the connection"
        case .protocolViolation(let what): "the server broke the SMTP protocol: \(what)"
        case .channel(let error): describeChannelError(error)
        }
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}

/// Cuts the bytes from the server into replies. Bounded: a line longer than ``maxLineLength`` bytes or a reply of
/// more than ``maxLines`` lines is a protocol violation (the connection is closed), never a growing buffer.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    /// RFC 5321 allows 512 octets for a reply line; servers write longer ones now and then.
    static let maxLineLength = 2048
    static let maxLines = 100

    private var code: Int?
    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLineLength {
                throw SMTPConnectionError.protocolViolation(
                    "a reply line longer than \(Self.maxLineLength) bytes")
            }
            return .needMoreData
        }
        let length = newline - view.startIndex + 1
        guard length <= Self.maxLineLength + 2, var bytes = buffer.readBytes(length: length) else {
            throw SMTPConnectionError.protocolViolation("a reply line longer than \(Self.maxLineLength) bytes")
        }
        bytes.removeLast()
        if bytes.last == 13 { bytes.removeLast() }
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ (0x30...0x39).contains($0) }),
            (0x32...0x35).contains(bytes[0]), bytes.count == 3 || bytes[3] == 0x20 || bytes[3] == 0x2D
        else {
            throw SMTPConnectionError.protocolViolation(
                "not a reply line: \(String(decoding: bytes.prefix(80), as: UTF8.self).debugDescription)")
        }
        let code = bytes[0...2].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        if let previous = self.code, previous != code {
            throw SMTPConnectionError.protocolViolation("a reply whose lines have the codes \(previous) and \(code)")
        }
        self.code = code
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        if lines.count > Self.maxLines {
            throw SMTPConnectionError.protocolViolation("a reply of more than \(Self.maxLines) lines")
        }
        if bytes.count > 3, bytes[3] == 0x2D { return .continue }
        let reply = SMTPReply(code: code, lines: lines, followedByMore: buffer.readableBytes > 0)
        self.code = nil
        lines = []
        context.fireChannelRead(wrapInboundOut(reply))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// The last handler of a connection's pipeline: hands each reply to whoever waits for one, with a deadline.
///
/// One exchange at a time (no pipelining): ``exchange(_:timeout:step:)`` writes a command and returns the next
/// reply. Only the greeting may arrive before it is asked for. Every method runs on the channel's event loop.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = SMTPReply
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var waiter: EventLoopPromise<SMTPReply>?
    /// Runs on the awaited reply before it is handed out, in the same turn of the event loop (STARTTLS adds the TLS
    /// handler there, so no byte can come in between).
    private var onReply: ((SMTPReply) throws -> Void)?
    private var deadline: Scheduled<Void>?
    /// Replies that came before anybody asked (the greeting); more than one is a protocol violation.
    private var early: [SMTPReply] = []
    /// Once set, the connection is unusable and every exchange fails with it.
    private var failure: SMTPConnectionError?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(.closed)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        if let waiter {
            self.waiter = nil
            deadline?.cancel()
            deadline = nil
            if let onReply {
                self.onReply = nil
                do {
                    try onReply(reply)
                } catch {
                    fail(error as? SMTPConnectionError ?? .channel(error))
                    waiter.fail(failure ?? .closed)
                    context.close(promise: nil)
                    return
                }
            }
            waiter.succeed(reply)
        } else if early.isEmpty {
            early.append(reply)
        } else {
            fail(.protocolViolation("replies nobody asked for"))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? SMTPConnectionError {
            fail(error)
        } else {
            fail(.channel(error))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.closed)
        context.fireChannelInactive()
    }

    /// Writes `command` (when given) and waits for the next reply, at most `timeout`; on timeout the connection is
    /// closed.
    func exchange(
        _ command: ByteBuffer?, timeout: TimeAmount, step: String, on eventLoop: any EventLoop,
        onReply: ((SMTPReply) throws -> Void)? = nil
    ) -> EventLoopFuture<SMTPReply> {
        // A reply that came first (the greeting) is handed out even when the server closed the connection after it.
        if command == nil, !early.isEmpty {
            return eventLoop.makeSucceededFuture(early.removeFirst())
        }
        guard let context else {
            return eventLoop.makeFailedFuture(failure ?? .closed)
        }
        if let failure {
            return context.eventLoop.makeFailedFuture(failure)
        }
        guard waiter == nil else {
            return context.eventLoop.makeFailedFuture(
                SMTPConnectionError.protocolViolation("two exchanges at once (a bug in Paperboy)"))
        }
        guard early.isEmpty else {
            fail(.protocolViolation("a reply before the command"))
            context.close(promise: nil)
            return context.eventLoop.makeFailedFuture(failure ?? .closed)
        }
        if let command {
            context.writeAndFlush(wrapOutboundOut(command), promise: nil)
        }
        let promise = context.eventLoop.makePromise(of: SMTPReply.self)
        waiter = promise
        self.onReply = onReply
        let seconds = Double(timeout.nanoseconds) / 1e9
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self else { return }
            self.fail(.timeout(step: step, seconds: seconds))
            self.context?.close(promise: nil)
        }
        return promise.futureResult
    }

    private func fail(_ error: SMTPConnectionError) {
        if failure == nil { failure = error }
        deadline?.cancel()
        deadline = nil
        onReply = nil
        if let waiter {
            self.waiter = nil
            waiter.fail(failure ?? error)
        }
    }
}
