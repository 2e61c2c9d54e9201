import Foundation

// Moderation: hiding papers and comments, the report queue, claim review, and the log of every moderation action.
// Each method that moderates writes its log entry in the same transaction as its change.

/// One recorded moderation action.
public struct ModerationAction: Sendable, Hashable {
    public var id: Int64
    /// Who acted; nil for the command line (`paperboy user ...`) or a deleted account.
    public var actor: Person?
    /// What was done, a dotted verb: `paper.hide`, `paper.unhide`, `comment.hide`, `comment.unhide`,
    /// `report.resolve`, `claim.accept`, `claim.refuse`, `user.disable`, `user.enable`, `user.role`, `org.create`,
    /// `org.add`, `org.remove`.
    public var action: String
    /// What it was done to: a paper id, `comment:ID`, `report:ID`, `claim:ID`, a username or an organisation name.
    public var target: String
    /// Extra detail (a new role, a report's target).
    public var detail: String?
    public var at: Date

    public init(id: Int64, actor: Person?, action: String, target: String, detail: String? = nil, at: Date) {
        self.id = id
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
        self.at = at
    }
}

/// The moderators' side of the store.
public protocol ModerationStore: Sendable {
    /// Hides a paper from listings, search, feeds, similar papers, the sitemap and digests, or shows it again; its
    /// page and API answer are then found only by moderators (``Audience``). Logged. Nil when no paper has this id;
    /// false when it already was in that state (nothing logged).
    func setPaperHidden(_ paper: PaperID, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool?

    /// Hides a comment (no longer counted on its paper) or shows it again. Logged. Nil when there is no such
    /// comment; false when it already was in that state.
    func setCommentHidden(id: Int64, hidden: Bool, by actorID: Int64?, at: Date) async throws -> Bool?

    /// Hidden papers, most recently hidden first.
    func hiddenPapers(limit: Int) async throws -> [StoredPaper]

    /// Reports, oldest first: the open ones, or the resolved ones most recently resolved first.
    func reports(open: Bool, limit: Int) async throws -> [Report]

    /// Resolves a report. Logged. False when there is no open report with this id.
    func resolveReport(id: Int64, by actorID: Int64?, at: Date) async throws -> Bool

    /// Records an action taken elsewhere (a role change, disabling a user, an organisation change).
    func recordModeration(action: String, target: String, detail: String?, by actorID: Int64?, at: Date)
        async throws

    /// The log, newest first.
    func moderationLog(limit: Int) async throws -> [ModerationAction]
}
