import Foundation
import PaperboyCore

/// JSON shapes of Hugging Face's paper API, so its official client works against Paperboy unchanged.
struct APIAuthor: Codable, Equatable {
    let name: String
    let hidden: Bool
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

    init(_ stored: StoredPaper, config: WebConfiguration, upvoted: Bool? = nil) {
        // The fields the daily item's paper carries too, written one way for both.
        let common = APIDailyPaper(stored)
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

    init(_ stored: StoredPaper) {
        let p = stored.paper
        id = p.id.rawValue
        title = p.title
        summary = p.abstract
        authors = p.authors.map { APIAuthor(name: $0, hidden: false) }
        publishedAt = Timestamp.rfc3339(p.published)
        upvotes = stored.upvotes
        categories = p.categories
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

    init(
        _ stored: StoredPaper, config: WebConfiguration, upvoted: Bool? = nil, score: Double? = nil, why: APIWhy? = nil
    ) {
        let p = stored.paper
        paper = APIDailyPaper(stored)
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
        }
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
            o.key("authors")
            o.value(authors)
            o.key("categories")
            o.array(categories) { $0.string($1) }
            o.key("id")
            o.string(id)
            o.key("publishedAt")
            o.string(publishedAt)
            o.key("summary")
            o.string(summary)
            o.key("title")
            o.string(title)
            o.key("upvotes")
            o.int(upvotes)
        }
    }
}

extension APIDailyItem: JSONWritable {
    func write(to out: inout JSONOutput) {
        out.object { o in
            o.key("numComments")
            o.int(numComments)
            o.key("paper")
            o.value(paper)
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
            o.optional("arxivComments", arxivComments) { $0.string($1) }
            o.key("arxivUrl")
            o.string(arxivUrl)
            o.key("authors")
            o.value(authors)
            o.key("categories")
            o.array(categories) { $0.string($1) }
            o.optional("doi", doi) { $0.string($1) }
            o.key("id")
            o.string(id)
            o.optional("journalRef", journalRef) { $0.string($1) }
            o.optional("license", license) { $0.string($1) }
            o.key("numComments")
            o.int(numComments)
            o.key("pdfUrl")
            o.string(pdfUrl)
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
        }
    }
}
