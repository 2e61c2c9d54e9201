import Foundation

// What the community adds to a paper beyond votes and comments: authors' claims, organisations, code and project
// links, and the key sentence and keywords computed from the text.

/// An organisation (a lab, a company) whose members link papers to it.
public struct Organization: Sendable, Hashable, Codable {
    /// Like a username: lower-case `[a-z0-9_-]{2,30}`, not reserved.
    public var name: String
    public var fullname: String

    public init(name: String, fullname: String) {
        self.name = name
        self.fullname = fullname
    }
}

/// An organisation name that exists already.
public struct OrganizationExists: Error, Equatable, Sendable {
    public init() {}
}

public enum ClaimStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case pending
    case accepted
    case refused
}

/// A user's claim to be one of a paper's authors.
public struct AuthorClaim: Sendable, Hashable {
    public var id: Int64
    public var paper: PaperID
    /// The position of the claimed name in the paper's author list (0-based) and the name itself.
    public var authorIndex: Int
    public var authorName: String
    public var accountID: Int64
    public var claimant: Person
    public var status: ClaimStatus
    public var createdAt: Date
    public var decidedAt: Date?
    public var decidedBy: Person?

    public init(
        id: Int64, paper: PaperID, authorIndex: Int, authorName: String, accountID: Int64, claimant: Person,
        status: ClaimStatus, createdAt: Date, decidedAt: Date? = nil, decidedBy: Person? = nil
    ) {
        self.id = id
        self.paper = paper
        self.authorIndex = authorIndex
        self.authorName = authorName
        self.accountID = accountID
        self.claimant = claimant
        self.status = status
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
    }
}

/// What filing a claim did.
public enum ClaimOutcome: Sendable, Hashable {
    /// A new pending claim.
    case filed(AuthorClaim)
    /// This user already claimed this paper (any author position): their claim, unchanged.
    case alreadyClaimed(AuthorClaim)
    /// Another user's claim on this author position is pending or accepted.
    case takenByAnother
    /// No stored paper has this id, or it has no author at this position.
    case unknownAuthor
}

/// An accepted claim, as papers carry it: the author position and the user.
public struct ClaimedAuthor: Sendable, Hashable {
    public var index: Int
    public var person: Person

    public init(index: Int, person: Person) {
        self.index = index
        self.person = person
    }
}

/// Changes to a paper's organisation and links; a nil field stays, `.some(nil)` clears it.
public struct PaperLinksChange: Sendable, Hashable {
    /// An organisation name (it must exist).
    public var organization: String??
    /// http(s) URLs.
    public var githubRepo: String??
    public var projectPage: String??

    public init(organization: String?? = nil, githubRepo: String?? = nil, projectPage: String?? = nil) {
        self.organization = organization
        self.githubRepo = githubRepo
        self.projectPage = projectPage
    }
}

/// A paper's key sentence and keywords, made without a language model (``KeyPhrases`` in PaperboySearch).
public struct PaperSummary: Sendable, Hashable {
    public var key: PaperKey
    public var sentence: String
    public var keywords: [String]

    public init(key: PaperKey, sentence: String, keywords: [String]) {
        self.key = key
        self.sentence = sentence
        self.keywords = keywords
    }
}

/// Organisations, claims, links and summaries.
public protocol PaperProfileStore: Sendable {
    // Organisations

    /// Throws ``OrganizationExists``.
    func createOrganization(_ organization: Organization, at: Date) async throws -> Organization
    func organization(name: String) async throws -> Organization?
    /// Every organisation, by name.
    func organizations(limit: Int) async throws -> [Organization]
    /// Adds or removes a member, idempotently. Nil when the organisation or account does not exist.
    func setMember(accountID: Int64, of organization: String, member: Bool) async throws -> Bool?
    /// Members by username.
    func members(of organization: String) async throws -> [Person]
    /// The organisations an account belongs to, by name.
    func organizations(accountID: Int64) async throws -> [Organization]
    /// Papers linked to the organisation on `days` (all days when nil), in `sort` order; hidden ones left out.
    func papers(ofOrganization name: String, days: ClosedRange<Day>?, sort: ListingSort, offset: Int, limit: Int)
        async throws -> ResultPage<StoredPaper>

    // Claims

    /// Files a claim to be the author at `authorIndex` of the paper.
    func claimAuthorship(paper: PaperID, authorIndex: Int, accountID: Int64, at: Date) async throws -> ClaimOutcome
    func claim(id: Int64) async throws -> AuthorClaim?
    /// Claims in this state, oldest first.
    func claims(status: ClaimStatus, limit: Int) async throws -> [AuthorClaim]
    /// A user's claims, newest first.
    func claims(accountID: Int64) async throws -> [AuthorClaim]
    /// Accepts or refuses a pending claim. Logged as `claim.accept` / `claim.refuse`. Nil when there is no pending
    /// claim with this id.
    func decideClaim(id: Int64, accept: Bool, by actorID: Int64?, at: Date) async throws -> AuthorClaim?
    /// Papers with an accepted claim by the user, newest featured first; hidden ones left out.
    func papers(claimedBy accountID: Int64, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper>

    // Links and summaries

    /// Applies `change` to the paper; nil when no paper has this id. Throws ``UnknownOrganization`` when the named
    /// organisation does not exist.
    func updatePaperLinks(_ paper: PaperID, _ change: PaperLinksChange) async throws -> StoredPaper?

    /// Stores refined key sentences and keywords (the embedding pipeline). Upserting a paper whose abstract
    /// changed resets its sentence to the first-sentence rule and clears its keywords.
    func saveSummaries(_ summaries: [PaperSummary]) async throws

    /// Papers after `key` (in key order) that have no keywords yet, scanning at most `scan` keys; returns them with
    /// the last key scanned (nil at the end).
    func papersWithoutKeywords(after key: PaperKey, scan: Int) async throws
        -> (papers: [(key: PaperKey, paper: Paper)], last: PaperKey?)
}

/// A paper's organisation that does not exist.
public struct UnknownOrganization: Error, Equatable, Sendable {
    public let name: String
    public init(name: String) { self.name = name }
}
