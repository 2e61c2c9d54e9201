import Foundation

// Mail as the rest of Paperboy sees it: a message (plain text and HTML), a sender that delivers it, and the links a
// digest carries. PaperboyMail implements the sender over SMTP; the web layer makes the signed links.

/// A header a message carries beyond the ones the sender writes (`From`, `To`, `Subject`, `Date`, `Message-ID`,
/// `MIME-Version`, `Content-Type`): `List-Unsubscribe`, `List-Unsubscribe-Post`, `List-Id`, ...
public struct MailHeader: Sendable, Hashable {
    public var name: String
    /// ASCII, without CR or LF (the sender refuses others).
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One message to one recipient.
public struct MailMessage: Sendable, Hashable {
    public var to: String
    /// Any Unicode (the sender encodes it).
    public var subject: String
    /// The plain-text part.
    public var text: String
    /// The HTML part; with it the message is multipart/alternative.
    public var html: String?
    public var headers: [MailHeader]
    /// The Message-ID without angle brackets (`local@domain`); nil: the sender makes one in the `From` domain.
    public var messageID: String?

    public init(
        to: String, subject: String, text: String, html: String? = nil, headers: [MailHeader] = [],
        messageID: String? = nil
    ) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.headers = headers
        self.messageID = messageID
    }
}

/// Why a message was not delivered.
public enum MailError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection to the mail server (refused, timed out, TLS failed): nothing was sent to anybody.
    case unreachable(String)
    /// A 4xx answer (after the sender's own retries): try again later.
    case temporary(code: Int, message: String)
    /// The whole message was sent but its answer never came (a timeout, a dropped connection): the server may have
    /// accepted it. Never sent again by itself, so that nobody gets it twice.
    case uncertain(String)
    /// A 5xx answer: this message will never be accepted.
    case permanent(code: Int, message: String)
    /// The message itself cannot be sent (a header with a line break, a non-ASCII address).
    case malformed(String)

    public var description: String {
        switch self {
        case .unreachable(let why): "the mail server cannot be reached: \(why)"
        case .temporary(let code, let message): "temporary failure \(code): \(message)"
        case .permanent(let code, let message): "permanent failure \(code): \(message)"
        case .uncertain(let why): "\(why); the server may have accepted the message"
        case .malformed(let why): "the message cannot be sent: \(why)"
        }
    }
}

/// Delivers messages (over SMTP in PaperboyMail; tests record them).
public protocol MailSender: Sendable {
    /// Delivers one message; returns its Message-ID (without angle brackets). Throws ``MailError``.
    func send(_ message: MailMessage) async throws -> String

    /// The Message-ID the sender gives a message that has none (`<random>@<domain of From>`, no brackets).
    func newMessageID() -> String
}

/// Rules about mail the web layer and the `digest` command share.
public enum MailPolicy {
    /// Permanent failures in a row after which a subscription is paused.
    public static let pauseAfterFailures = 3
    /// Confirmation (and verification, reset) mails per address per UTC day.
    public static let mailsPerAddressPerDay = 3
    /// How long a confirmation link works.
    public static let confirmationLifetime: TimeInterval = 7 * 86_400
    /// How long an email-verification link works.
    public static let verificationLifetime: TimeInterval = 7 * 86_400
    /// How long a password-reset link works.
    public static let resetLifetime: TimeInterval = 3_600
    /// Unconfirmed subscriptions older than this are deleted.
    public static let unconfirmedLifetime: TimeInterval = 8 * 86_400
}

/// The absolute links a digest carries, signed where they act without a login. The web layer makes them (it owns
/// the routes and the site secret); the digest is written with them.
public protocol DigestLinks: Sendable {
    /// The site's home page.
    var home: String { get }
    /// A paper's page on this site.
    func paper(_ id: PaperID) -> String
    /// The page that changes or ends the subscription (`/subscriptions/manage?token=...`).
    func manage(_ subscription: Subscription) -> String
    /// The one-click unsubscribe URL for `List-Unsubscribe` (RFC 8058: a POST to it unsubscribes).
    func unsubscribe(_ subscription: Subscription) -> String
}
