import Foundation

// What assistants (the MCP server) ask of the site beyond the store: the trending list as the site ranks it, and the
// actions of a signed-in user under the site's own rules. The web layer implements both, so an agent's vote or
// submission obeys the same rate limits, checks and caches as one made on a page or through the API.

/// The trending list as the site shows it (its window, gravity and clock).
public protocol TrendingSource: Sendable {
    func trending(offset: Int, limit: Int) async throws -> ResultPage<StoredPaper>
}

/// What one signed-in user may do through an agent, with the site's rules (rate limits, submission checks).
public protocol AgentActions: Sendable {
    /// The user acting.
    var username: String { get }

    /// Upvotes a paper (again is a no-op); the paper's new count.
    func upvote(_ id: PaperID) async throws -> VoteState

    /// Submits a paper by its arXiv id, as the submit form does (fetched from arXiv when the store lacks it).
    func submit(_ rawID: String) async throws -> StoredPaper
}

/// An action the site refused, with the message a user reads (unknown paper, rate limit, submitted already, too
/// many searches waiting).
public struct ActionRefused: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
