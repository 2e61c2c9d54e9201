import Crypto
import Foundation

/// Signs with the site secret (HMAC-SHA256): CSRF tokens, the half-finished sign-in of a two-factor login, secrets
/// carried through a form. Each use names its purpose, so that a signature made for one is worthless for another.
struct Signer: Sendable {
    private let secret: [UInt8]

    init(secret: [UInt8]) { self.secret = secret }

    private var key: SymmetricKey { SymmetricKey(data: secret) }

    /// The signature of `message` for `purpose`, base64url without padding.
    func sign(_ purpose: String, _ message: String) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Data(Signer.input(purpose, message)), using: key)))
    }

    /// Whether `signature` is `message`'s for `purpose` (compared in constant time).
    func verify(_ purpose: String, _ message: String, signature: String) -> Bool {
        guard signature.utf8.count <= 128, let mac = Base64URL.decode(signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            mac, authenticating: Data(Signer.input(purpose, message)), using: key)
    }

    /// A token that carries `payload` (no `.` in it) until `expires`: `payload.expiry.signature`.
    func seal(_ purpose: String, payload: String, expires: Date) -> String {
        let body = "\(payload).\(Int64(expires.timeIntervalSince1970.rounded(.down)))"
        return body + "." + sign(purpose, body)
    }

    /// The payload of a token ``seal(_:payload:expires:)`` made for `purpose`, while it has not expired.
    func open(_ purpose: String, token: String, now: Date) -> String? {
        guard token.utf8.count <= 1024 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[1]) else { return nil }
        let body = "\(parts[0]).\(parts[1])"
        guard verify(purpose, body, signature: String(parts[2])), Double(expiry) > now.timeIntervalSince1970 else {
            return nil
        }
        return String(parts[0])
    }

    private static func input(_ purpose: String, _ message: String) -> [UInt8] {
        Array(purpose.utf8) + [0] + Array(message.utf8)
    }
}

/// base64url without padding (RFC 4648 §5).
enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
