import Foundation

/// One version of a paper as arXiv lists it.
public struct PaperVersion: Hashable, Sendable, Codable {
    public var number: Int
    public var submitted: Date
    /// The size arXiv shows for this version (`"37kb"`), when known.
    public var size: String?

    public init(number: Int, submitted: Date, size: String? = nil) {
        self.number = number
        self.submitted = submitted
        self.size = size
    }
}

/// A paper's metadata, normalised: whitespace collapsed, TeX accents in names decoded,
/// categories with the primary first, versions in order.
public struct Paper: Hashable, Sendable {
    public var id: PaperID
    public var title: String
    public var abstract: String
    public var authors: [String]
    /// Primary category first.
    public var categories: [String]
    /// Sorted by number; merged across records, never truncated.
    public var versions: [PaperVersion]
    public var submitter: String?
    public var comments: String?
    public var journalRef: String?
    public var doi: String?
    public var reportNo: String?
    public var license: String?
    /// The last time arXiv changed the metadata or added a version, when the source says so.
    public var updated: Date?
    /// When the paper entered the daily list. For ingested and harvested papers this is the v1 time.
    public var featuredAt: Date

    public init(
        id: PaperID, title: String, abstract: String, authors: [String], categories: [String],
        versions: [PaperVersion], submitter: String? = nil, comments: String? = nil, journalRef: String? = nil,
        doi: String? = nil, reportNo: String? = nil, license: String? = nil, updated: Date? = nil,
        featuredAt: Date? = nil
    ) {
        self.id = id
        self.title = title
        self.abstract = abstract
        self.authors = authors
        self.categories = categories
        self.versions = versions.sorted { $0.number < $1.number }
        self.submitter = submitter
        self.comments = comments
        self.journalRef = journalRef
        self.doi = doi
        self.reportNo = reportNo
        self.license = license
        self.updated = updated
        self.featuredAt = featuredAt ?? self.versions.first?.submitted ?? updated ?? Date(timeIntervalSince1970: 0)
    }

    /// When v1 was submitted (arXiv's "published").
    public var published: Date {
        versions.first(where: { $0.number == 1 })?.submitted ?? versions.first?.submitted ?? featuredAt
    }

    public var latestVersion: Int { versions.last?.number ?? 1 }

    public var primaryCategory: String? { categories.first }

    /// The listing ("featured") day.
    public var featuredDay: Day { Day(featuredAt) }

    /// Combines what the store holds with what a newer record says. Versions are the union of both
    /// (a record may show only some of them); metadata comes from whichever record knows the later version
    /// (on a tie, the incoming one, so corrections land). The featured time never moves.
    public func merged(with incoming: Paper) -> Paper {
        var byNumber: [Int: PaperVersion] = [:]
        for v in versions { byNumber[v.number] = v }
        for v in incoming.versions {
            if let existing = byNumber[v.number] {
                byNumber[v.number] = PaperVersion(
                    number: v.number, submitted: existing.submitted, size: existing.size ?? v.size)
            } else {
                byNumber[v.number] = v
            }
        }
        var result = incoming.latestVersion >= latestVersion ? incoming : self
        result.versions = byNumber.values.sorted { $0.number < $1.number }
        result.featuredAt = featuredAt
        switch (updated, incoming.updated) {
        case (let a?, let b?): result.updated = max(a, b)
        case (let a, let b): result.updated = a ?? b
        }
        return result
    }
}

/// A paper as the store serves it: metadata plus what the community added (counts, the submitter, claims, links).
public struct StoredPaper: Hashable, Sendable {
    public var paper: Paper
    public var upvotes: Int
    /// Visible comments.
    public var numComments: Int
    /// The user who submitted the paper to the daily list, if anybody did (never arXiv's own `submitter`).
    public var submittedBy: Person?
    /// When a moderator hid it (only moderators are ever given a hidden paper).
    public var hiddenAt: Date?
    public var organization: Organization?
    /// Set by the submitter, a claimed author or a moderator (see ``codeRepository`` for the one shown).
    public var githubRepo: String?
    public var projectPage: String?
    /// The key sentence of the abstract (the first sentence until the paper is embedded).
    public var keySentence: String?
    /// 3 to 6 phrases of the title and abstract, once the paper is embedded.
    public var keywords: [String]
    /// Accepted claims, by author position.
    public var claimedAuthors: [ClaimedAuthor]
    /// Whether a claimed author has a visible comment on the paper.
    public var authorParticipating: Bool

    public init(
        paper: Paper, upvotes: Int = 0, numComments: Int = 0, submittedBy: Person? = nil, hiddenAt: Date? = nil,
        organization: Organization? = nil, githubRepo: String? = nil, projectPage: String? = nil,
        keySentence: String? = nil, keywords: [String] = [], claimedAuthors: [ClaimedAuthor] = [],
        authorParticipating: Bool = false
    ) {
        self.paper = paper
        self.upvotes = upvotes
        self.numComments = numComments
        self.submittedBy = submittedBy
        self.hiddenAt = hiddenAt
        self.organization = organization
        self.githubRepo = githubRepo
        self.projectPage = projectPage
        self.keySentence = keySentence
        self.keywords = keywords
        self.claimedAuthors = claimedAuthors
        self.authorParticipating = authorParticipating
    }

    /// The user who claimed the author at `index`, if a claim was accepted.
    public func claimant(ofAuthor index: Int) -> Person? {
        claimedAuthors.first { $0.index == index }?.person
    }
}
