import Foundation

// Comments on papers and reports of comments and papers (community part 2). The web layer renders a comment's
// Markdown (``CommentMarkdown``) and decides who may do what; the store keeps the records, the visible-comment count
// on each paper (`StoredPaper.numComments`) and the rule that hidden comments are shown to moderators only.

/// Who is reading. Hidden papers and comments are shown to moderators (and admins) only; every read method of the
/// store that could return one takes the audience, so every path (pages, API, feeds, search, digests) obeys it.
public enum Audience: Sendable, Hashable {
    case everyone
    case moderators

    /// The audience a user of this role belongs to (nil: a visitor who is not signed in).
    public init(role: UserRole?) {
        self = (role?.isStaff ?? false) ? .moderators : .everyone
    }
}

/// A comment on a paper.
public struct Comment: Sendable, Hashable {
    public var id: Int64
    public var paper: PaperID
    /// The author; nil once their account is deleted ("deleted user").
    public var author: Person?
    public var authorID: Int64?
    /// The Markdown source as written.
    public var text: String
    public var createdAt: Date
    public var editedAt: Date?
    /// When a moderator hid it (hidden comments are shown to moderators only and not counted).
    public var hiddenAt: Date?
    /// Whether the author is an accepted claimed author of the paper.
    public var byClaimedAuthor: Bool

    public init(
        id: Int64, paper: PaperID, author: Person?, authorID: Int64?, text: String, createdAt: Date,
        editedAt: Date? = nil, hiddenAt: Date? = nil, byClaimedAuthor: Bool = false
    ) {
        self.id = id
        self.paper = paper
        self.author = author
        self.authorID = authorID
        self.text = text
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.hiddenAt = hiddenAt
        self.byClaimedAuthor = byClaimedAuthor
    }
}

/// What a report is about.
public enum ReportTarget: Sendable, Hashable {
    case paper(PaperID)
    case comment(Int64)

    /// The target as the moderation log names it: `paper:ID` or `comment:ID`.
    public var logName: String {
        switch self {
        case .paper(let paper): "paper:\(paper.rawValue)"
        case .comment(let id): "comment:\(id)"
        }
    }
}

/// A reader's report of a comment or paper, waiting in the moderators' queue until resolved.
public struct Report: Sendable, Hashable {
    public var id: Int64
    public var target: ReportTarget
    /// Nil once the reporter's account is deleted.
    public var reporter: Person?
    /// What the reporter wrote (may be empty).
    public var reason: String
    public var createdAt: Date
    public var resolvedAt: Date?
    public var resolvedBy: Person?

    public init(
        id: Int64, target: ReportTarget, reporter: Person?, reason: String, createdAt: Date, resolvedAt: Date? = nil,
        resolvedBy: Person? = nil
    ) {
        self.id = id
        self.target = target
        self.reporter = reporter
        self.reason = reason
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
    }
}

/// Comments and reports.
public protocol DiscussionStore: Sendable {
    /// A paper's comments, oldest first (equal times by id), at most `limit`; hidden ones only for moderators.
    /// The comment given with a submission is stored as the paper's first comment, by the submitter.
    func comments(on paper: PaperID, audience: Audience, limit: Int) async throws -> [Comment]

    /// One comment, hidden or not, or nil (the caller applies the audience).
    func comment(id: Int64) async throws -> Comment?

    /// Adds a comment (counted on the paper at once); nil when no paper has this id.
    func addComment(paper: PaperID, accountID: Int64, text: String, at: Date) async throws -> Comment?

    /// Replaces a comment's text and sets its edit time; nil when there is no such comment.
    func editComment(id: Int64, text: String, at: Date) async throws -> Comment?

    /// Deletes a comment (the paper's count drops when it was visible); false when there was none.
    func deleteComment(id: Int64) async throws -> Bool

    /// The user's comments, oldest first (for the export of their data).
    func comments(accountID: Int64) async throws -> [Comment]

    /// Files a report; one open report per reporter and target (a repeat returns the open one). Nil when the target
    /// does not exist.
    func fileReport(target: ReportTarget, accountID: Int64, reason: String, at: Date) async throws -> Report?
}
