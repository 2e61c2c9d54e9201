import Foundation
import Hummingbird
import PaperboyCore
import Synchronization

// What the pages share: the layout's data (site chrome, feed link), paper cards, paging and text formats.

/// What every page's layout shows: the site's name and links, the search box's value and who is signed in.
struct SiteChrome {
    let name: String
    let home: String
    let search: String
    let trending: String
    let submit: String
    let login: String
    let signup: String?
    let stylesheet: String
    let icon: String
    /// The site's script (keys, suggestions, math), the folder of static files it loads KaTeX from, and where it
    /// asks for suggestions.
    let script: String
    let staticRoot: String
    let suggest: String
    let dailyFeed: String
    let api: String
    let query: String
    /// The signed-in user's links (set by ``PageRoutes/html(_:_:_:)``; anonymous pages have none).
    var account: AccountChrome?

    init(_ config: WebConfiguration, query: String = "") {
        name = config.siteName
        home = SiteURL.home.path(config)
        search = config.pathPrefix + SiteRoute.search.pattern
        trending = SiteURL.trending().path(config)
        submit = SiteURL.submit.path(config)
        login = SiteURL.login(next: nil).path(config)
        signup = config.community.signupOpen ? SiteURL.signup(next: nil).path(config) : nil
        // Static files are cached for a day: the version in their links makes an upgrade load the new ones at once.
        let version = "?v=" + PaperboyVersion.current
        stylesheet = SiteURL.staticFile("paperboy.css").path(config) + version
        script = SiteURL.staticFile("paperboy.js").path(config) + version
        icon = SiteURL.staticFile("favicon.svg").path(config) + version
        staticRoot = SiteURL.staticFile("").path(config)
        suggest = SiteURL.apiSuggest.path(config)
        dailyFeed = SiteURL.dailyFeed.path(config)
        api = SiteURL.openAPI.path(config)
        self.query = query
    }
}

/// The header's links for a signed-in user, with the sign-out form.
struct AccountChrome {
    let username: String
    let fullname: String
    let avatar: String
    let settings: String
    let logout: String
    let csrf: String
    /// The user's collections and profile.
    let collections: String
    let profile: String
    /// The user's recommendations.
    let forYou: String
    /// For moderators and admins.
    let moderation: String?
    let admin: String?

    init(_ viewer: Viewer, config: WebConfiguration) {
        collections = SiteURL.collections.path(config)
        forYou = SiteURL.forYou.path(config)
        profile = SiteURL.user(viewer.account.username).path(config)
        moderation = viewer.account.role.isStaff ? SiteURL.moderation.path(config) : nil
        admin = viewer.account.role == .admin ? SiteURL.admin.path(config) : nil
        username = viewer.account.username
        fullname = viewer.account.fullname
        avatar = SiteURL.avatar(username: viewer.account.username).path(config)
        settings = SiteURL.settings.path(config)
        logout = SiteURL.logout.path(config)
        csrf = viewer.csrfToken
    }
}

/// A paper's upvote control: for anonymous visitors a link to sign in (pages keep no per-visitor state), for a
/// signed-in user a form that casts or removes their vote (`POST /vote`, with the CSRF token).
struct VoteView {
    let paperID: PaperID
    let upvotes: Int
    let login: String
    var form: VoteForm?

    init(_ stored: StoredPaper, config: WebConfiguration) {
        paperID = stored.paper.id
        upvotes = stored.upvotes
        login = SiteURL.login(next: SiteURL.paper(stored.paper.id).path(config)).path(config)
    }
}

struct VoteForm {
    let action: String
    let paper: String
    let csrf: String
    let next: String
    let upvoted: Bool
    /// What pressing the button does: `up` or `remove`.
    let change: String
    let label: String
}

/// A request as a page sees it: who is signed in (browser sessions only: a page shows no forms to a token) and the
/// path it came to (where a vote form returns).
struct Visit {
    let viewer: Viewer?
    let path: String

    init(_ request: Request, _ context: AppRequestContext) {
        viewer = context.viewer.flatMap { $0.viaToken ? nil : $0 }
        path = request.uri.description
    }

    init(viewer: Viewer?, path: String) {
        self.viewer = viewer
        self.path = path
    }
}

/// A page model whose layout and vote controls show the signed-in user.
protocol PersonalPage {
    var site: SiteChrome { get set }
    /// Calls `body` with every paper card on the page.
    mutating func eachCard(_ body: (inout CardView) -> Void)
    /// Calls `body` with every vote control on the page (by default, the cards').
    mutating func eachVote(_ body: (inout VoteView) -> Void)
    /// The paper whose place in the viewer's collections the page shows (the paper page); nil elsewhere.
    var collectionsPaper: PaperID? { get }
    /// Shows the viewer's collections for ``collectionsPaper`` (``CollectionControls``).
    mutating func showCollections(_ view: PaperCollectionsView)
}

extension PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {}

    mutating func eachVote(_ body: (inout VoteView) -> Void) {
        eachCard { body(&$0.vote) }
    }

    var collectionsPaper: PaperID? { nil }

    mutating func showCollections(_ view: PaperCollectionsView) {}
}

/// Who submitted a paper to the daily list, with their avatar and a link to their profile.
struct SubmitterView {
    let username: String
    let fullname: String
    let avatar: String
    let url: String

    init(_ person: Person, config: WebConfiguration) {
        username = person.username
        fullname = person.fullname
        avatar = SiteURL.avatar(username: person.username).path(config)
        url = SiteURL.user(person.username).path(config)
    }
}

/// A paper's organisation as cards show it: its name, then its full name ("facebook AI at Meta"), linking to its
/// page.
struct OrganizationView {
    let name: String
    let fullname: String
    let url: String
    let avatar: String

    init(_ organization: Organization, config: WebConfiguration) {
        name = organization.name
        fullname = organization.fullname
        url = SiteURL.organization(organization.name).path(config)
        avatar = SiteURL.avatar(username: organization.name).path(config)
    }
}

struct FeedLink {
    let title: String
    let url: String
}

/// A name linking to its page (an author, a category); `last` ends a comma-separated list.
struct NameLink {
    let name: String
    let url: String
    let last: Bool

    static func authors(_ names: some Collection<String>, config: WebConfiguration) -> [NameLink] {
        names.enumerated().map { index, name in
            NameLink(name: name, url: SiteURL.author(name).path(config), last: index == names.count - 1)
        }
    }

    static func categories(_ names: [String], config: WebConfiguration) -> [NameLink] {
        names.map { NameLink(name: $0, url: SiteURL.category($0).path(config), last: false) }
    }
}

struct SegmentView {
    let text: String
    let isMatch: Bool
}

/// A paper card as on Hugging Face's Daily Papers: its vote control, which depends on the viewer, and its body,
/// which is the same for everybody and so is rendered once and kept (``CardFragments``).
struct CardView {
    var vote: VoteView
    /// The signed-in viewer's "Save to…" form, or on their own collection's page its "Remove" button
    /// (``CollectionControls``); nil for anonymous visitors.
    var collect: CollectView?
    /// On `/for-you`: the liked paper it is closest to, and the "not interested" form.
    var forYou: ForYouCardView?
    /// What the body shows; the body itself is built only when it is not in the cache.
    let source: CardSource
    /// The body rendered by `cardbody.mustache` (set by ``Templates/render(page:_:cards:)``, from its cache when it
    /// can).
    var bodyHTML = ""

    static let shownAuthors = 4

    init(
        _ stored: StoredPaper, config: WebConfiguration, title: Highlighted? = nil, abstract: Highlighted? = nil,
        similarity: Double? = nil
    ) {
        vote = VoteView(stored, config: config)
        source = CardSource(
            paper: stored.paper, submittedBy: stored.submittedBy, organization: stored.organization, title: title,
            abstract: abstract, similarity: similarity, numComments: stored.numComments,
            authorParticipating: stored.authorParticipating, githubRepo: stored.githubRepo,
            projectPage: stored.projectPage)
    }

    /// A search result, its matches marked.
    init(hit: RankedHit, config: WebConfiguration) {
        self.init(
            hit.paper, config: config, title: hit.titleHighlight, abstract: hit.abstractSnippet,
            similarity: hit.similarity)
    }
}

/// What a card's body is made from: the paper (not its counts), its submitter, marked matches and similarity. The
/// cache of rendered bodies is keyed by it.
struct CardSource: Hashable, Sendable {
    let paper: Paper
    let submittedBy: Person?
    let organization: Organization?
    let title: Highlighted?
    let abstract: Highlighted?
    let similarity: Double?
    var numComments = 0
    var authorParticipating = false
    var githubRepo: String? = nil
    var projectPage: String? = nil

    func body(config: WebConfiguration) -> CardBody {
        CardBody(
            StoredPaper(
                paper: paper, numComments: numComments, submittedBy: submittedBy, organization: organization,
                githubRepo: githubRepo, projectPage: projectPage, authorParticipating: authorParticipating),
            config: config, title: title, abstract: abstract, similarity: similarity)
    }
}

/// What a card shows besides its vote control: title (matches marked), authors, date, categories, submitter,
/// abstract and links.
struct CardBody {
    let url: String
    let titleSegments: [SegmentView]
    let authors: [NameLink]
    let moreAuthors: Int?
    let categories: [NameLink]
    let date: String
    let isoDate: String
    let submittedBy: SubmitterView?
    let organization: OrganizationView?
    let abstractSegments: [SegmentView]
    let absURL: String
    let pdfURL: String
    let similarity: String?
    /// Visible comments, with a link to the discussion.
    let comments: Int
    let commentsURL: String
    /// A claimed author takes part in the discussion.
    let authorParticipating: Bool
    let code: CodeLinkView?
    let projectPage: String?
    /// The day arXiv's latest version says the paper was withdrawn.
    let withdrawn: String?

    init(
        _ stored: StoredPaper, config: WebConfiguration, title: Highlighted? = nil, abstract: Highlighted? = nil,
        similarity: Double? = nil
    ) {
        let paper = stored.paper
        url = SiteURL.paper(paper.id).path(config)
        titleSegments = CardBody.segments(title ?? Highlighted(plain: paper.title))
        let shown = paper.authors.prefix(CardView.shownAuthors)
        authors = NameLink.authors(shown, config: config)
        moreAuthors = paper.authors.count > shown.count ? paper.authors.count - shown.count : nil
        categories = NameLink.categories(paper.categories, config: config)
        date = Format.longDate(paper.featuredDay)
        isoDate = paper.featuredDay.description
        submittedBy = stored.submittedBy.map { SubmitterView($0, config: config) }
        organization = stored.organization.map { OrganizationView($0, config: config) }
        abstractSegments = CardBody.segments(abstract ?? Highlighted(plain: paper.abstract))
        absURL = SiteURL.arxivAbstract(paper.id)
        pdfURL = SiteURL.arxivPDF(paper.id)
        self.similarity = similarity.map { String(format: "%.2f", $0) }
        comments = stored.numComments
        commentsURL = url + "#comments"
        authorParticipating = stored.authorParticipating
        code = stored.codeRepository.map { CodeLinkView(url: $0.url, automatic: $0.automatic) }
        projectPage = stored.projectPage.flatMap(SiteURL.externalLink)
        withdrawn = paper.withdrawnAt.map { Format.longDate(Day($0)) }
    }

    static func segments(_ h: Highlighted) -> [SegmentView] {
        h.segments.map { SegmentView(text: $0.text, isMatch: $0.isMatch) }
    }
}

/// Rendered card bodies by what they show, so that a page renders only the cards it has not rendered before (signed-in
/// pages are never cached whole, but their cards are the same for everybody). At most `capacityBytes` of HTML is
/// kept; past that the store starts over.
final class CardFragments: Sendable {
    private let rendered = Mutex<(bodies: [CardSource: String], bytes: Int)>(([:], 0))
    let capacityBytes: Int

    init(capacityBytes: Int = 8 << 20) { self.capacityBytes = capacityBytes }

    /// Bytes kept now (tests check the budget).
    var keptBytes: Int { rendered.withLock { $0.bytes } }

    func html(_ source: CardSource, render: (CardSource) throws -> String) rethrows -> String {
        if let html = rendered.withLock({ $0.bodies[source] }) { return html }
        let html = try render(source)
        let cost = html.utf8.count + 512
        rendered.withLock { kept in
            if kept.bytes + cost > capacityBytes { kept = ([:], 0) }
            guard cost <= capacityBytes else { return }
            kept.bodies[source] = html
            kept.bytes += cost
        }
        return html
    }
}

/// Which page of a list a request asks for (`page`, from 1), and the rows that page covers.
struct PageWindow {
    static let perPage = 50

    let page: Int
    var offset: Int { (page - 1) * PageWindow.perPage }
    var limit: Int { PageWindow.perPage }

    init(page: Int) { self.page = page }

    init(_ request: Request) throws { page = try Parameters(request: request).page(perPage: PageWindow.perPage) }

    /// Links to the pages around this one, nil when `total` fits on one page.
    func pagination(total: Int, url: (Int) -> String) -> PaginationView? {
        PaginationView.make(page: page, total: total, perPage: PageWindow.perPage, url: url)
    }
}

/// Page n of m with links.
struct PaginationView {
    let current: Int
    let count: Int
    let previous: String?
    let next: String?

    /// Nil when everything fits on one page. Pages stop where paging does (10,000 results), so no link leads to
    /// a page that would be refused.
    static func make(page: Int, total: Int, perPage: Int, url: (Int) -> String) -> PaginationView? {
        let count = min(max(1, (total + perPage - 1) / perPage), Parameters.pages(perPage: perPage))
        guard count > 1 else { return nil }
        return PaginationView(
            current: page, count: count, previous: page > 1 ? url(page - 1) : nil,
            next: page < count ? url(page + 1) : nil)
    }
}

enum Format {
    static func longDate(_ day: Day) -> String { day.longDescription }

    static func month(_ month: Month) -> String { "\(Day.monthNames[month.month - 1]) \(month.year)" }

    static func period(_ period: ListingPeriod) -> String {
        switch period {
        case .day(let d): longDate(d)
        case .week(let w): "Week \(w.week), \(w.year) (\(longDate(w.days.lowerBound)) – \(longDate(w.days.upperBound)))"
        case .month(let m): month(m)
        }
    }

    static func count(_ n: Int, _ singular: String, _ plural: String) -> String {
        "\(grouped(n)) \(n == 1 ? singular : plural)"
    }
}

extension Format {
    /// 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}
