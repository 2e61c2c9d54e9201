import NIOCore
import NIOHTTPTypes
import Synchronization

/// Open connections per client address: a connection beyond `perAddress` from one address is closed at once.
/// Addresses of trusted proxies are not limited (every client behind them shares their address).
public final class ConnectionLimiter: Sendable {
    public let perAddress: Int
    let exempt: Set<String>
    private let open = Mutex<[String: Int]>([:])

    public init(perAddress: Int, exempt: Set<String> = []) {
        self.perAddress = perAddress
        self.exempt = exempt
    }

    /// Counts a new connection from `address`; false when that address already holds `perAddress`.
    func opened(_ address: String) -> Bool {
        guard perAddress > 0, !exempt.contains(address) else { return true }
        return open.withLock { counts in
            let now = counts[address, default: 0]
            guard now < perAddress else { return false }
            counts[address] = now + 1
            return true
        }
    }

    func closed(_ address: String) {
        open.withLock { counts in
            guard let now = counts[address] else { return }
            counts[address] = now > 1 ? now - 1 : nil
        }
    }

    /// Connections open now from one address.
    public func count(_ address: String) -> Int { open.withLock { $0[address] ?? 0 } }

    /// A handler for one connection's pipeline.
    func handler() -> ConnectionLimitHandler { ConnectionLimitHandler(limiter: self) }
}

/// Counts its connection with a ``ConnectionLimiter`` while the connection lives.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let limiter: ConnectionLimiter
    private var counted: String?

    init(limiter: ConnectionLimiter) { self.limiter = limiter }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func admit(_ context: ChannelHandlerContext) {
        guard counted == nil, let address = context.channel.remoteAddress?.ipAddress else { return }
        if limiter.opened(address) {
            counted = address
        } else {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func release() {
        if let address = counted { limiter.closed(address) }
        counted = nil
    }
}
