import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import PaperboyCore
import Synchronization

/// Passwords, random tokens and their hashes: what the site and the `paperboy user` commands share.
public enum Credentials {
    /// The bcrypt cost used unless told otherwise (tests may use the minimum, 10).
    public static let defaultCost = 12
    public static let minimumCost = 10

    /// Passwords are 10 to 72 bytes of UTF-8 (bcrypt reads no more than 72).
    public static let passwordBytes = 10...72

    /// Why a password cannot be used, or nil when it can.
    public static func passwordProblem(_ password: String) -> String? {
        passwordBytes.contains(password.utf8.count) ? nil : "a password is 10 to 72 bytes long"
    }

    /// Why `email` cannot be an account's address, or nil when it can: one `@` between a local part (at most 64 bytes)
    /// and a domain with a dot, at most 254 bytes, no spaces, control characters or `<>()[],;:"\`.
    public static func emailProblem(_ email: String) -> String? {
        let forbidden = Set("<>()[],;:\"\\".unicodeScalars)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64,
            !email.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control || forbidden.contains($0)
            })
        else { return "an email address is name@domain, without spaces" }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else {
            return "an email address is name@domain, with a domain such as example.org"
        }
        return nil
    }

    /// A display name is 1 to 50 characters, not only spaces, without control characters (newlines included).
    public static func fullnameProblem(_ name: String) -> String? {
        guard (1...50).contains(name.count), !name.trimmingCharacters(in: .whitespaces).isEmpty,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return "a display name is 1 to 50 characters, not only spaces, without control characters" }
        return nil
    }

    /// bcrypt of the password, computed on NIO's thread pool, off the event loop.
    public static func hashPassword(_ password: String, cost: Int = defaultCost) async throws -> String {
        let cost = UInt8(clamping: max(minimumCost, min(cost, 31)))
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`, off the event loop. With no hash (an unknown user) the password is checked
    /// against a dummy hash of the same cost, so that the time taken does not tell which usernames exist.
    public static func verifyPassword(_ password: String, hash: String?, cost: Int = defaultCost) async throws -> Bool {
        let matches = try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.verify(password, hash: hash ?? DummyHash.forCost(cost))
        }
        return hash != nil && matches
    }

    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `count` random base62 characters from the system's secure generator.
    public static func randomBase62(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        for _ in 0..<count {
            bytes.append(base62[Int(generator.next(upperBound: UInt64(base62.count)))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A new personal access token: `pb_` and 40 random base62 characters.
    public static func newAccessToken() -> String { "pb_" + randomBase62(40) }

    /// Whether `text` has the shape of a personal access token.
    public static func looksLikeAccessToken(_ text: String) -> Bool {
        text.utf8.count == 43 && text.hasPrefix("pb_") && text.utf8.dropFirst(3).allSatisfy { base62.contains($0) }
    }

    /// A new session id: 43 random base62 characters (over 256 bits).
    public static func newSessionID() -> String { randomBase62(43) }

    /// How a session id, token or recovery code is stored: hex SHA-256 of its text.
    public static func storedHash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `count` random bytes (a new site secret).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Compares two strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

/// bcrypt hashes of a random password, one per cost, each made on first use (verifying an unknown user's password
/// against one costs what verifying a real one does).
enum DummyHash {
    private static let hashes = Mutex<[Int: String]>([:])

    static func forCost(_ cost: Int) -> String {
        let cost = max(Credentials.minimumCost, min(cost, 31))
        if let hash = hashes.withLock({ $0[cost] }) { return hash }
        let hash = Bcrypt.hash(Credentials.randomBase62(20), cost: UInt8(cost))
        hashes.withLock { $0[cost] = $0[cost] ?? hash }
        return hash
    }
}
