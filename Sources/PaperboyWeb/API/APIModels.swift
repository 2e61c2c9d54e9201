import Foundation
import PaperboyCore

/// JSON shapes of Hugging Face's paper API, so its official client works against Paperboy unchanged.
struct APIAuthor: Codable, Equatable {
    let name: String
    let hidden: Bool
    /// The user who claimed this authorship, once a moderator accepted the claim.
    let user: APIUser?

    init(name: String, hidden: Bool = false, user: APIUser? = nil) {
        self.name = name
        self.hidden = hidden
        self.user = user
    }

    static func list(_ stored: StoredPaper, config: WebConfiguration) -> [APIAuthor] {
        stored.paper.authors.enumerated().map { index, name in
            APIAuthor(name: name, user: stored.claimant(ofAuthor: index).map { APIUser($0, config: config) })
        }
    }
}

/// An organisation as Hugging Face's API shows one on a paper.
struct APIOrganization: Codable, Equatable {
    let name: String
    let fullname: String
    let avatarUrl: String

    init(_ organization: Organization, config: WebConfiguration) {
        name = organization.name
        fullname = organization.fullname
        avatarUrl = SiteURL.avatar(username: organization.name).absolute(config)
    }
}

/// What the community and the text add to a paper, by Hugging Face's names; every field is omitted when empty.
/// Hugging Face puts them in a daily item's `paper`; its official client reads them at the item's top level, so the
/// daily item carries them at both. The API types hold these fields flat (as the JSON has them), copied from here.
struct APIPaperExtras: Equatable {
    /// The key sentence of the abstract (made without a language model; see the README).
    let ai_summary: String?
    /// 3 to 6 phrases of the title and abstract.
    let ai_keywords: [String]?
    let githubRepo: String?
    /// True when nobody set `githubRepo`: it is the first GitHub link of the abstract or the arXiv comments.
    let githubRepoFoundAutomatically: Bool?
    let projectPage: String?
    let organization: APIOrganization?
    let withdrawnAt: String?

    init(
        ai_summary: String?, ai_keywords: [String]?, githubRepo: String?, githubRepoFoundAutomatically: Bool?,
        projectPage: String?, organization: APIOrganization?, withdrawnAt: String?
    ) {
        self.ai_summary = ai_summary
        self.ai_keywords = ai_keywords
        self.githubRepo = githubRepo
        self.githubRepoFoundAutomatically = githubRepoFoundAutomatically
        self.projectPage = projectPage
        self.organization = organization
        self.withdrawnAt = withdrawnAt
    }

    init(_ stored: StoredPaper, config: WebConfiguration) {
        ai_summary = stored.keySentence
        ai_keywords = stored.keywords.isEmpty ? nil : stored.keywords
        let code = stored.codeRepository
        githubRepo = code?.url
        githubRepoFoundAutomatically = code.map { $0.automatic }
        projectPage = stored.projectPage
        organization = stored.organization.map { APIOrganization($0, config: config) }
        withdrawnAt = stored.paper.withdrawnAt.map(Timestamp.rfc3339)
    }
}

extension StoredPaper {
    /// The code repository to show: the one set by hand, else the first GitHub link of the text (`automatic`).
    var codeRepository: (url: String, automatic: Bool)? {
        if let set = githubRepo { return (set, false) }
        return paper.foundGitHubRepository.map { ($0, true) }
    }
}

struct APIVersion: Codable, Equatable {
    let version: Int
    let publishedAt: String
    let size: String?
}

/// The flat paper object of `/api/papers/{id}`; the daily item's `paper` carries a subset.
struct APIPaper: Codable, Equatable {
    let id: String
    let title: String
    let summary: String
    let authors: [APIAuthor]
    let publishedAt: String
    let submittedOnDailyAt: String
    let upvotes: Int
    let numComments: Int
    let categories: [String]
    let versions: [APIVersion]
    let doi: String?
    /// arXiv's comments field ("12 pages, 3 figures"); not `comments`, which Hugging Face's client reads as a count.
    let arxivComments: String?
    let journalRef: String?
    let reportNo: String?
    let license: String?
    let arxivUrl: String
    let pdfUrl: String
    /// Who submitted the paper to the daily list (omitted when nobody did).
    let submittedOnDailyBy: APIUser?
    /// Whether the signed-in caller voted for it (omitted for anonymous calls).
    let upvoted: Bool?
    // What the community and the text add (``APIPaperExtras``).
    let ai_summary: String?
    let ai_keywords: [String]?
    let githubRepo: String?
    let githubRepoFoundAutomatically: Bool?
    let projectPage: String?
    let organization: APIOrganization?
    let withdrawnAt: String?

    init(_ stored: StoredPaper, config: WebConfiguration, upvoted: Bool? = nil) {
        // The fields the daily item's paper carries too, written one way for both.
        let common = APIDailyPaper(stored, config: config)
        id = common.id
        title = common.title
        summary = common.summary
        authors = common.authors
        publishedAt = common.publishedAt
        upvotes = common.upvotes
        categories = common.categories
        let p = stored.paper
        submittedOnDailyAt = Timestamp.rfc3339(p.featuredAt)
        numComments = stored.numComments
        versions = p.versions.map {
            APIVersion(version: $0.number, publishedAt: Timestamp.rfc3339($0.submitted), size: $0.size)
        }
        doi = p.doi
        arxivComments = p.comments
        journalRef = p.journalRef
        reportNo = p.reportNo
        license = p.license
        arxivUrl = SiteURL.arxivAbstract(p.id)
        pdfUrl = SiteURL.arxivPDF(p.id)
        submittedOnDailyBy = stored.submittedBy.map { APIUser($0, config: config) }
        self.upvoted = upvoted
        let extras = common.extras
        ai_summary = extras.ai_summary
        ai_keywords = extras.ai_keywords
        githubRepo = extras.githubRepo
        githubRepoFoundAutomatically = extras.githubRepoFoundAutomatically
        projectPage = extras.projectPage
        organization = extras.organization
        withdrawnAt = extras.withdrawnAt
    }
}

/// A user as Hugging Face's API shows one (`submittedBy`): `user` and `name` are the username.
struct APIUser: Codable, Equatable {
    let user: String
    let name: String
    let fullname: String
    let avatarUrl: String
    let type: String

    init(_ person: Person, config: WebConfiguration) {
        user = person.username
        name = person.username
        fullname = person.fullname
        avatarUrl = SiteURL.avatar(username: person.username).absolute(config)
        type = "user"
    }
}

/// The answer of `POST` / `DELETE /api/papers/{id}/upvote`.
struct APIVote: Codable, Equatable {
    let upvotes: Int
    let upvoted: Bool
}

/// The body of `POST /api/papers/submit`.
struct APISubmitRequest: Decodable {
    let paper_id: String
    let comment: String?
}

/// 409 of a submission: the error and the daily item somebody submitted before.
struct APIConflict: Encodable {
    let error: String
    let item: APIDailyItem
}

/// The `paper` inside a daily item.
struct APIDailyPaper: Codable, Equatable {
    let id: String
    let title: String
    let summary: String
    let authors: [APIAuthor]
    let publishedAt: String
    let upvotes: Int
    let categories: [String]
    let ai_summary: String?
    let ai_keywords: [String]?
    let githubRepo: String?
    let githubRepoFoundAutomatically: Bool?
    let projectPage: String?
    let organization: APIOrganization?
    let withdrawnAt: String?

    init(_ stored: StoredPaper, config: WebConfiguration) {
        let p = stored.paper
        id = p.id.rawValue
        title = p.title
        summary = p.abstract
        authors = APIAuthor.list(stored, config: config)
        publishedAt = Timestamp.rfc3339(p.published)
        upvotes = stored.upvotes
        categories = p.categories
        let extras = APIPaperExtras(stored, config: config)
        ai_summary = extras.ai_summary
        ai_keywords = extras.ai_keywords
        githubRepo = extras.githubRepo
        githubRepoFoundAutomatically = extras.githubRepoFoundAutomatically
        projectPage = extras.projectPage
        organization = extras.organization
        withdrawnAt = extras.withdrawnAt
    }

    /// The extras as computed for this paper (the daily item repeats them at its top level).
    var extras: APIPaperExtras {
        APIPaperExtras(
            ai_summary: ai_summary, ai_keywords: ai_keywords, githubRepo: githubRepo,
            githubRepoFoundAutomatically: githubRepoFoundAutomatically, projectPage: projectPage,
            organization: organization, withdrawnAt: withdrawnAt)
    }
}

/// Why a search result matched.
struct APIWhy: Codable, Equatable {
    let mode: String
    /// Query words found in the title or abstract.
    let matchedTerms: [String]
    /// Cosine similarity between the query and the paper, when semantic search took part.
    let similarity: Double?
}

/// An item of `/api/papers/{id}/similar`.
struct APISimilar: Codable, Equatable {
    let paper: APIDailyPaper
    let title: String
    let summary: String
    let publishedAt: String
    let numComments: Int
    let similarity: Double
}

/// An item of `/api/daily_papers` and `/api/papers/search`.
struct APIDailyItem: Codable, Equatable {
    let paper: APIDailyPaper
    let title: String
    let summary: String
    /// When the paper was featured on the daily list.
    let publishedAt: String
    let numComments: Int
    let score: Double?
    let why: APIWhy?
    /// Who submitted the paper to the daily list (omitted when nobody did).
    let submittedBy: APIUser?
    /// Whether the signed-in caller voted for it (omitted for anonymous calls).
    let upvoted: Bool?
    /// Whether a claimed author of the paper takes part in its discussion.
    let isAuthorParticipating: Bool
    // Repeated from `paper`, where Hugging Face's client does not read them.
    let ai_summary: String?
    let ai_keywords: [String]?
    let githubRepo: String?
    let githubRepoFoundAutomatically: Bool?
    let projectPage: String?
    let organization: APIOrganization?

    init(
        _ stored: StoredPaper, config: WebConfiguration, upvoted: Bool? = nil, score: Double? = nil, why: APIWhy? = nil
    ) {
        let p = stored.paper
        paper = APIDailyPaper(stored, config: config)
        isAuthorParticipating = stored.authorParticipating
        let extras = paper.extras
        ai_summary = extras.ai_summary
        ai_keywords = extras.ai_keywords
        githubRepo = extras.githubRepo
        githubRepoFoundAutomatically = extras.githubRepoFoundAutomatically
        projectPage = extras.projectPage
        organization = extras.organization

        title = p.title
        summary = p.abstract
        publishedAt = Timestamp.rfc3339(p.featuredAt)
        numComments = stored.numComments
        self.score = score
        self.why = why
        submittedBy = stored.submittedBy.map { APIUser($0, config: config) }
        self.upvoted = upvoted
    }
}

struct APIErrorBody: Codable {
    let error: String
}

struct APIHealth: Codable {
    let status: String
    let database: String
    let papers: Int?
    let newestDay: String?
    let error: String?
    /// "on" or "off".
    let semantic: String
    /// The model and vector count when on; why it is off, and how to turn it on, when off.
    let semanticDetail: String
}

// The busiest answers are written by JSONOutput, keys in sorted order as JSON.encoder writes them (a test compares
// the bytes of both).

extension APIAuthor: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.key("hidden")
            o.bool(hidden)
            o.key("name")
            o.string(name)
            o.optional("user", user) { $0.value($1) }
        }
    }
}

extension APIOrganization: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.key("avatarUrl")
            o.string(avatarUrl)
            o.key("fullname")
            o.string(fullname)
            o.key("name")
            o.string(name)
        }
    }
}

extension JSONOutput {
    /// The keys of ``APIPaperExtras`` that sort before `authors` / `arxivComments`.
    mutating func aiFields(summary: String?, keywords: [String]?) {
        optional("ai_keywords", keywords) { $0.array($1) { $0.string($1) } }
        optional("ai_summary", summary) { $0.string($1) }
    }

    /// `githubRepo` and whether it was found automatically.
    mutating func githubFields(repo: String?, automatic: Bool?) {
        optional("githubRepo", repo) { $0.string($1) }
        optional("githubRepoFoundAutomatically", automatic) { $0.bool($1) }
    }
}

extension APIVersion: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.key("publishedAt")
            o.string(publishedAt)
            o.optional("size", size) { $0.string($1) }
            o.key("version")
            o.int(version)
        }
    }
}

extension APIUser: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.key("avatarUrl")
            o.string(avatarUrl)
            o.key("fullname")
            o.string(fullname)
            o.key("name")
            o.string(name)
            o.key("type")
            o.string(type)
            o.key("user")
            o.string(user)
        }
    }
}

extension APIWhy: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.key("matchedTerms")
            o.array(matchedTerms) { $0.string($1) }
            o.key("mode")
            o.string(mode)
            o.optional("similarity", similarity) { $0.double($1) }
        }
    }
}

extension APIDailyPaper: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.aiFields(summary: ai_summary, keywords: ai_keywords)
            o.key("authors")
            o.value(authors)
            o.key("categories")
            o.array(categories) { $0.string($1) }
            o.githubFields(repo: githubRepo, automatic: githubRepoFoundAutomatically)
            o.key("id")
            o.string(id)
            o.optional("organization", organization) { $0.value($1) }
            o.optional("projectPage", projectPage) { $0.string($1) }
            o.key("publishedAt")
            o.string(publishedAt)
            o.key("summary")
            o.string(summary)
            o.key("title")
            o.string(title)
            o.key("upvotes")
            o.int(upvotes)
            o.optional("withdrawnAt", withdrawnAt) { $0.string($1) }
        }
    }
}

extension APIDailyItem: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.aiFields(summary: ai_summary, keywords: ai_keywords)
            o.githubFields(repo: githubRepo, automatic: githubRepoFoundAutomatically)
            o.key("isAuthorParticipating")
            o.bool(isAuthorParticipating)
            o.key("numComments")
            o.int(numComments)
            o.optional("organization", organization) { $0.value($1) }
            o.key("paper")
            o.value(paper)
            o.optional("projectPage", projectPage) { $0.string($1) }
            o.key("publishedAt")
            o.string(publishedAt)
            o.optional("score", score) { $0.double($1) }
            o.optional("submittedBy", submittedBy) { $0.value($1) }
            o.key("summary")
            o.string(summary)
            o.key("title")
            o.string(title)
            o.optional("upvoted", upvoted) { $0.bool($1) }
            o.optional("why", why) { $0.value($1) }
        }
    }
}

extension APIPaper: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.aiFields(summary: ai_summary, keywords: ai_keywords)
            o.optional("arxivComments", arxivComments) { $0.string($1) }
            o.key("arxivUrl")
            o.string(arxivUrl)
            o.key("authors")
            o.value(authors)
            o.key("categories")
            o.array(categories) { $0.string($1) }
            o.optional("doi", doi) { $0.string($1) }
            o.githubFields(repo: githubRepo, automatic: githubRepoFoundAutomatically)
            o.key("id")
            o.string(id)
            o.optional("journalRef", journalRef) { $0.string($1) }
            o.optional("license", license) { $0.string($1) }
            o.key("numComments")
            o.int(numComments)
            o.optional("organization", organization) { $0.value($1) }
            o.key("pdfUrl")
            o.string(pdfUrl)
            o.optional("projectPage", projectPage) { $0.string($1) }
            o.key("publishedAt")
            o.string(publishedAt)
            o.optional("reportNo", reportNo) { $0.string($1) }
            o.key("submittedOnDailyAt")
            o.string(submittedOnDailyAt)
            o.optional("submittedOnDailyBy", submittedOnDailyBy) { $0.value($1) }
            o.key("summary")
            o.string(summary)
            o.key("title")
            o.string(title)
            o.optional("upvoted", upvoted) { $0.bool($1) }
            o.key("upvotes")
            o.int(upvotes)
            o.key("versions")
            o.value(versions)
            o.optional("withdrawnAt", withdrawnAt) { $0.string($1) }
        }
    }
}
