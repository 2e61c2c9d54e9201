import Foundation

// The community's part of the store: upvotes, submissions and the trending list.

/// A paper's vote count and whether one user has voted for it.
public struct VoteState: Sendable, Hashable, Codable {
    public var upvotes: Int
    public var upvoted: Bool

    public init(upvotes: Int, upvoted: Bool) {
        self.upvotes = upvotes
        self.upvoted = upvoted
    }
}

/// A user's submission of a paper to the daily list.
public struct Submission: Sendable, Hashable {
    public var paper: PaperID
    public var accountID: Int64
    public var at: Date
    /// Shown as the first comment on the paper's page.
    public var comment: String?

    public init(paper: PaperID, accountID: Int64, at: Date, comment: String? = nil) {
        self.paper = paper
        self.accountID = accountID
        self.at = at
        self.comment = comment
    }
}

/// What storing a submission did.
public enum SubmissionOutcome: Sendable, Hashable {
    /// The paper is now featured at the submission time, with its submitter.
    case submitted(StoredPaper)
    /// Somebody submitted it before; nothing changed.
    case alreadySubmitted(StoredPaper)
    /// No stored paper has this id (fetch it and store it first).
    case unknownPaper
}

/// One of a user's votes or submissions, for the export of their data.
public struct UserPaperEvent: Sendable, Hashable, Codable {
    public var paper: PaperID
    public var at: Date
    public var comment: String?

    public init(paper: PaperID, at: Date, comment: String? = nil) {
        self.paper = paper
        self.at = at
        self.comment = comment
    }
}

/// Upvotes and submissions.
public protocol CommunityStore: Sendable {
    /// Casts (`up`) or removes a user's vote, idempotently, keeping the paper's count in the same transaction as the
    /// vote rows. Nil when no paper has this id.
    func setVote(accountID: Int64, paper: PaperID, up: Bool, at: Date) async throws -> VoteState?

    /// Which of `papers` the user has voted for.
    func votedPapers(accountID: Int64, among papers: [PaperID]) async throws -> Set<PaperID>

    /// Features a stored paper at the submission time (its featured time and listing day move there, in one
    /// transaction; later upserts keep them), with its submitter, unless somebody submitted it before. A comment
    /// given with the submission becomes the paper's first comment (``DiscussionStore``), by the submitter.
    func submit(_ submission: Submission) async throws -> SubmissionOutcome

    /// How many papers the user submitted at or after `since`.
    func submissionCount(accountID: Int64, since: Date) async throws -> Int

    /// Papers featured in `(reference - window, reference]`, by `upvotes / (hours since featured + 2)^gravity`
    /// (hours counted to `reference`), best first; equal scores newest first, then by id descending.
    func trending(reference: Date, window: Duration, gravity: Double, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>

    /// Papers submitted by `username` and featured on `days`, in `sort` order.
    func papers(submittedBy username: String, days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int)
        async throws -> ResultPage<StoredPaper>

    /// The user's votes and submissions, oldest first (for the export of their data).
    func votes(accountID: Int64) async throws -> [UserPaperEvent]
    func submissions(accountID: Int64) async throws -> [UserPaperEvent]
}

/// Finds a paper arXiv lists that the store may not hold yet (the arXiv API in `serve`, a stub in tests).
public protocol PaperLookup: Sendable {
    /// The paper as arXiv lists it now, or nil when arXiv knows no such id. Throws ``PaperLookupUnavailable`` when
    /// arXiv cannot be reached or answers with an error.
    func lookUp(_ id: PaperID) async throws -> Paper?
}

/// arXiv could not be asked (network, timeout, an error status or an answer that is not a feed).
public struct PaperLookupUnavailable: Error, Sendable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { "arXiv is unavailable: \(reason)" }
}

extension Paper {
    /// Whether the paper was withdrawn: its latest version's comment or its abstract says so ("This paper has been
    /// withdrawn", "withdrawn by the author", "Withdrawn.").
    public var isWithdrawn: Bool {
        // Every sign below holds the word: most papers are passed by one scan of their bytes (300 characters are at
        // most 1,200 bytes).
        guard Self.mentionsWithdrawn(comments ?? "") || Self.mentionsWithdrawn(abstract.utf8.prefix(1_200)) else {
            return false
        }
        let phrases = ["has been withdrawn", "withdrawn by the author", "paper is withdrawn"]
        let comment = (comments ?? "").lowercased()
        if comment.hasPrefix("withdrawn") || phrases.contains(where: comment.contains) { return true }
        let opening = abstract.prefix(300).lowercased()
        return opening.hasPrefix("withdrawn") || opening.hasPrefix("this paper has been withdrawn")
            || phrases.contains(where: opening.contains)
    }

    /// Whether the bytes hold "withdrawn" in any ASCII case.
    static func mentionsWithdrawn(_ text: some Collection<UInt8>) -> Bool {
        let word = Array("withdrawn".utf8)
        let bytes = Array(text)
        guard bytes.count >= word.count else { return false }
        for start in 0...(bytes.count - word.count) {
            var offset = 0
            while offset < word.count {
                let byte = bytes[start + offset]
                let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
                if lower != word[offset] { break }
                offset += 1
            }
            if offset == word.count { return true }
        }
        return false
    }

    static func mentionsWithdrawn(_ text: String) -> Bool { mentionsWithdrawn(text.utf8) }
}
