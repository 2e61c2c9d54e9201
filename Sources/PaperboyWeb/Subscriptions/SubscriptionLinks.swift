import Crypto
import Foundation
import PaperboyCore

/// The signed tokens of mail links. The token is the authority of the page it opens, so each kind is signed for its
/// own purpose:
/// - confirming a subscription: `seal("subscription-confirm", "<id>-<nonce>")`, for ``MailPolicy/confirmationLifetime``;
///   the nonce is the subscription's outstanding one, so the link dies once used or replaced;
/// - managing and unsubscribing: `<id>.<sign("subscription-manage", "<id>:<lowercased email>")>`, without expiry (an
///   old digest must still unsubscribe), checked against the subscription's stored address;
/// - verifying an account's email: `seal("email-verify", "<account id>-<base64url of the lowercased email>")`;
/// - resetting a password: `seal("password-reset", "<account id>-<16 hex of SHA-256 of the password hash>")`, so that
///   a used link dies with the password it replaced.
struct MailTokens: Sendable {
    let signer: Signer

    init(signer: Signer) { self.signer = signer }

    init(secret: [UInt8]) { signer = Signer(secret: secret) }

    // MARK: Subscriptions

    func confirm(id: Int64, nonce: String, now: Date) -> String {
        signer.seal(
            "subscription-confirm", payload: "\(id)-\(nonce)",
            expires: now.addingTimeInterval(MailPolicy.confirmationLifetime))
    }

    /// The subscription id and nonce of a confirmation token, while it is valid.
    func openConfirm(_ token: String, now: Date) -> (id: Int64, nonce: String)? {
        guard let payload = signer.open("subscription-confirm", token: token, now: now),
            let dash = payload.firstIndex(of: "-"), let id = Int64(payload[..<dash]), id > 0
        else { return nil }
        let nonce = String(payload[payload.index(after: dash)...])
        return nonce.isEmpty ? nil : (id, nonce)
    }

    func manage(_ subscription: Subscription) -> String {
        "\(subscription.id)." + signer.sign("subscription-manage", MailTokens.manageMessage(subscription))
    }

    /// A manage token as it reads before the subscription is loaded: its id and signature, or nil when it cannot be
    /// one (then the link was mangled or forged).
    static func parseManage(_ token: String) -> (id: Int64, signature: String)? {
        guard token.utf8.count <= 200, let dot = token.firstIndex(of: "."), let id = Int64(token[..<dot]), id > 0
        else { return nil }
        let signature = String(token[token.index(after: dot)...])
        // Only the canonical spelling: base64url's last character carries two bits decoding ignores.
        guard let mac = Base64URL.decode(signature), mac.count == SHA256.byteCount, Base64URL.encode(mac) == signature
        else { return nil }
        return (id, signature)
    }

    /// Whether `signature` is the manage signature of `subscription`.
    func verifyManage(_ subscription: Subscription, signature: String) -> Bool {
        signer.verify("subscription-manage", MailTokens.manageMessage(subscription), signature: signature)
    }

    static func manageMessage(_ subscription: Subscription) -> String {
        "\(subscription.id):\(MailAddress.key(subscription.email))"
    }

    // MARK: Accounts

    func verifyEmail(accountID: Int64, email: String, now: Date) -> String {
        let encoded = Base64URL.encode(Data(MailAddress.key(email).utf8))
        return signer.seal(
            "email-verify", payload: "\(accountID)-\(encoded)",
            expires: now.addingTimeInterval(MailPolicy.verificationLifetime))
    }

    /// The account id and (lowercased) address of a verification token, while it is valid.
    func openVerifyEmail(_ token: String, now: Date) -> (accountID: Int64, email: String)? {
        guard let payload = signer.open("email-verify", token: token, now: now),
            let dash = payload.firstIndex(of: "-"), let id = Int64(payload[..<dash]),
            let data = Base64URL.decode(String(payload[payload.index(after: dash)...])),
            let email = String(data: data, encoding: .utf8), !email.isEmpty
        else { return nil }
        return (id, email)
    }

    func passwordReset(_ account: Account, now: Date) -> String {
        signer.seal(
            "password-reset", payload: "\(account.id)-\(MailTokens.passwordFingerprint(account.passwordHash))",
            expires: now.addingTimeInterval(MailPolicy.resetLifetime))
    }

    /// The account id and password fingerprint of a reset token, while it is valid.
    func openPasswordReset(_ token: String, now: Date) -> (accountID: Int64, fingerprint: String)? {
        guard let payload = signer.open("password-reset", token: token, now: now),
            let dash = payload.firstIndex(of: "-"), let id = Int64(payload[..<dash])
        else { return nil }
        return (id, String(payload[payload.index(after: dash)...]))
    }

    /// The first 16 hex digits of SHA-256 of a password hash: names the password a reset link replaces.
    static func passwordFingerprint(_ passwordHash: String) -> String {
        String(Credentials.storedHash(passwordHash).prefix(16))
    }
}

/// The absolute links a digest carries, signed with the site secret: the `digest` command and the scheduler build
/// them the way the site checks them.
public struct SubscriptionLinks: DigestLinks {
    let config: WebConfiguration
    let tokens: MailTokens

    public init(config: WebConfiguration, secret: [UInt8]) {
        self.config = config
        tokens = MailTokens(secret: secret)
    }

    public var home: String { SiteURL.home.absolute(config) }

    public func paper(_ id: PaperID) -> String { SiteURL.paper(id).absolute(config) }

    public func manage(_ subscription: Subscription) -> String {
        SiteURL.subscriptionManage(token: tokens.manage(subscription)).absolute(config)
    }

    public func unsubscribe(_ subscription: Subscription) -> String {
        SiteURL.unsubscribe(token: tokens.manage(subscription)).absolute(config)
    }
}

/// The secret that signs sessions, CSRF tokens and mail links: the configured one, else the one kept in the store
/// (made once, here if nobody made it yet, and shared by every node). Never a built-in one.
public func resolveSiteSecret(store: some SecretStore, config: WebConfiguration) async throws -> [UInt8] {
    if let configured = config.community.secret { return configured }
    return try await store.siteSecret(storingIfAbsent: Credentials.randomBytes(32))
}
