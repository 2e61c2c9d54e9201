import Hummingbird
import PaperboyCore

/// A version of a paper on arXiv, with its date and size.
struct VersionView {
    let label: String
    let url: String
    let date: String
    let iso: String
    let size: String?
}

/// A paper's own page (`paper.mustache`): everything arXiv says about it, similar papers and a citation.
struct PaperPageModel {
    var site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let title: String
    let shortAbstract: String
    let abstract: String
    let authors: [NameLink]
    let categories: [NameLink]
    let published: String
    let isoPublished: String
    let featured: String?
    var vote: VoteView
    /// The community member who submitted the paper to the daily list.
    let submittedBy: SubmitterView?
    let absURL: String
    let pdfURL: String
    let markdownURL: String
    let comments: String?
    let journalRef: String?
    let doi: String?
    let doiURL: String?
    let reportNo: String?
    let license: String?
    /// The license as a link, only when it is an http(s) URL.
    let licenseURL: String?
    /// arXiv's own `submitter` field (who uploaded it to arXiv), not a Paperboy user.
    let arxivSubmitter: String?
    let versions: [VersionView]
    var similar: [CardView]
    let bibtex: String
    let hasSimilar: Bool
    /// Claims, links, the key sentence and keywords, the discussion and the viewer's forms.
    var community: PaperCommunityView
    /// The signed-in viewer's collections, to add the paper to or remove it from (`papercollections.mustache`).
    var collections: PaperCollectionsView? = nil
    /// Its upvotes over time, when it has any.
    var sparkline: Sparkline? = nil
}

extension PaperPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in similar.indices { body(&similar[index]) }
    }

    mutating func eachVote(_ body: (inout VoteView) -> Void) {
        body(&vote)
        eachCard { body(&$0.vote) }
    }
}

extension PaperPageModel {
    init(config: WebConfiguration, stored: StoredPaper, similar: [CardView], comments: [Comment]) {
        let paper = stored.paper
        let id = paper.id
        self.init(
            site: SiteChrome(config),
            feed: nil,
            canonical: SiteURL.paper(id).absolute(config),
            title: paper.title,
            shortAbstract: String(paper.abstract.prefix(200)),
            abstract: paper.abstract,
            authors: NameLink.authors(paper.authors, config: config),
            categories: NameLink.categories(paper.categories, config: config),
            published: Format.longDate(Day(paper.published)),
            isoPublished: Timestamp.rfc3339(paper.published),
            featured: paper.featuredDay == Day(paper.published) ? nil : Format.longDate(paper.featuredDay),
            vote: VoteView(stored, config: config),
            submittedBy: stored.submittedBy.map { SubmitterView($0, config: config) },
            absURL: SiteURL.arxivAbstract(id),
            pdfURL: SiteURL.arxivPDF(id),
            markdownURL: SiteURL.paperMarkdown(id).path(config),
            comments: paper.comments,
            journalRef: paper.journalRef,
            doi: paper.doi,
            doiURL: paper.doi.map { "https://doi.org/\($0)" },
            reportNo: paper.reportNo,
            license: paper.license,
            licenseURL: paper.license.flatMap(SiteURL.externalLink),
            arxivSubmitter: paper.submitter,
            versions: paper.versions.map { v in
                VersionView(
                    label: "v\(v.number)", url: SiteURL.arxivAbstract(id) + "v\(v.number)",
                    date: Format.longDate(Day(v.submitted)), iso: Timestamp.rfc3339(v.submitted), size: v.size)
            },
            similar: similar,
            bibtex: Citation.bibtex(paper),
            hasSimilar: !similar.isEmpty,
            community: PaperCommunityView(stored, comments: comments, config: config))
    }
}

extension PageRoutes {
    /// `/papers/{id}` (old ids hold a slash, and a version suffix is allowed), and `/papers/{id}.md`.
    func paper(_ parameter: String, _ visit: Visit) async throws -> Rendered {
        var raw = QueryString.segment(parameter)
        let wantsMarkdown = raw.hasSuffix(".md")
        if wantsMarkdown { raw.removeLast(3) }
        guard let (id, _) = PaperID.parse(raw) else { throw PageError.notFound("“\(raw)” is not an arXiv id.") }
        let actions = DiscussionActions(site: site)
        guard let stored = try await actions.visiblePaper(id, visit.viewer) else {
            throw PageError.notFound("Paper \(id) is not here (yet).")
        }
        if wantsMarkdown {
            return Rendered(contentType: Rendered.markdown, text: Citation.markdown(stored.paper))
        }
        // When searches are over their limit the page still answers, without similar papers (and uncached).
        let found: [(paper: StoredPaper, similarity: Double)]
        var headers = HTTPFields()
        do {
            found = try await site.searcher.similar(to: id, limit: 5)
        } catch let refused as any RefusedRequest {
            guard case .unavailable = refused.refusal else { throw refused }
            found = []
            headers[.cacheControl] = "no-store"
        }
        let similar = found.map { CardView($0.paper, config: config, similarity: $0.similarity) }
        // The paper was read with the viewer's audience above; its comments need no second check of it.
        let comments = try await site.store.comments(
            on: id, audience: actions.audience(visit.viewer), limit: DiscussionActions<Store>.maxListed)
        var model = PaperPageModel(config: config, stored: stored, similar: similar, comments: comments)
        if stored.upvotes > 0, let days = Sparkline.days(featured: stored.paper.featuredDay, today: Day(site.now())) {
            model.sparkline = Sparkline(try await site.store.votesPerDay(paper: id, days), over: days)
        }
        if let viewer = visit.viewer {
            let mayEditLinks = actions.mayEditLinks(viewer, stored)
            model.community.personalize(
                for: viewer, stored: stored, mayEditLinks: mayEditLinks,
                moderator: actions.audience(viewer) == .moderators,
                organizations: mayEditLinks ? try await site.store.organizations(accountID: viewer.account.id) : [],
                config: config)
        }
        var page = try await html(model, "paper", visit)
        page.headers = headers
        return page
    }
}
