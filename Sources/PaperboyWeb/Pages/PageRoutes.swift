import Foundation
import Hummingbird
import PaperboyCore

struct PeriodTab {
    let label: String
    let url: String
    let current: Bool
}

struct ListingPageModel {
    let site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let heading: String
    let periods: [PeriodTab]
    let previousURL: String?
    let previousLabel: String?
    let nextURL: String?
    let nextLabel: String?
    let countText: String
    let cards: [CardView]
    let emptyText: String
    let pagination: PaginationView?
}

struct VersionView {
    let label: String
    let url: String
    let date: String
    let iso: String
    let size: String?
}

struct PaperPageModel {
    let site: SiteChrome
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
    let upvotes: Int
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
    let submitter: String?
    let versions: [VersionView]
    let similar: [CardView]
    let bibtex: String
    let hasSimilar: Bool
}

struct PeoplePageModel {
    let site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let name: String
    let countText: String
    let coauthors: [CoauthorView]
    let hasCoauthors: Bool
    let feedURL: String?
    let cards: [CardView]
    let pagination: PaginationView?
}

struct CoauthorView {
    let name: String
    let url: String
    let papers: Int
    let last: Bool
}

struct SearchPageModel {
    let site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let query: String?
    let problems: [String]
    let message: String?
    let countText: String
    let feedURL: String
    let modes: [PeriodTab]
    let mode: String
    let semanticNote: String?
    let cards: [CardView]
    let pagination: PaginationView?
}

struct ErrorPageModel {
    let site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let heading: String
    let message: String
}

/// A problem with what the visitor asked for, shown as an error page with its status.
struct PageError: Error {
    let status: HTTPResponse.Status
    let heading: String
    let message: String

    static func notFound(_ message: String) -> PageError {
        PageError(status: .notFound, heading: "Not found", message: message)
    }
    static func badRequest(_ message: String) -> PageError {
        PageError(status: .badRequest, heading: "Bad request", message: message)
    }
}

/// The HTML pages.
struct PageRoutes<Store: PaperStore>: Sendable {
    let site: Site<Store>
    static var perPage: Int { 50 }

    var config: WebConfiguration { site.config }

    func register(on routes: RouteTable) {
        routes.get(.home) { request, _ in try await page(request) { try await home() } }
        routes.get(.listing) { request, _ in try await page(request) { try await listing(request) } }
        routes.get(.paper) { request, context in
            try await page(request) { try await paper(SiteRoute.paper.parameter(in: context)) }
        }
        routes.get(.author) { request, context in
            try await page(request) { try await author(SiteRoute.author.parameter(in: context), request) }
        }
        routes.get(.category) { request, context in
            try await page(request) { try await category(SiteRoute.category.parameter(in: context), request) }
        }
        routes.get(.search) { request, _ in try await page(request) { try await search(request) } }
        routes.get(.stylesheet) { request, _ in
            try await site.cache.respond(to: request) {
                Rendered(contentType: "text/css; charset=utf-8", body: site.templates.stylesheet)
            }
        }
    }

    /// Runs a page producer, turning `PageError` into an error page with its status.
    func page(_ request: Request, _ produce: @escaping () async throws -> Rendered) async throws -> Response {
        try await site.cache.respond(to: request) {
            do {
                return try await produce()
            } catch let error as PageError {
                return try errorPage(error)
            } catch let problem as ParameterProblem {
                return try errorPage(PageError.badRequest(problem.message))
            } catch let refused as any RefusedRequest {
                guard case .badRequest(let message) = refused.refusal else { throw refused }
                return try errorPage(PageError.badRequest(message))
            }
        }
    }

    func errorPage(_ error: PageError) throws -> Rendered {
        let model = ErrorPageModel(
            site: SiteChrome(config), feed: nil, canonical: nil, heading: error.heading, message: error.message)
        return Rendered(
            status: error.status, contentType: Rendered.html, text: try site.templates.render(model, "error"))
    }

    func html(_ model: Any, _ template: String) throws -> Rendered {
        Rendered(contentType: Rendered.html, text: try site.templates.render(model, template))
    }

    // MARK: Listings

    func home() async throws -> Rendered {
        guard let newest = try await site.store.newestDay() else {
            return try html(
                listingModel(
                    period: nil, page: 1, result: ResultPage(items: [], total: 0, offset: 0, limit: Self.perPage),
                    previous: nil, next: nil,
                    empty: "No papers yet. Load some with `paperboy ingest FILE` or `paperboy harvest`."),
                "listing")
        }
        return try await listing(period: .day(newest), page: 1)
    }

    func listing(_ request: Request) async throws -> Rendered {
        let page = try pageNumber(request)
        guard let period = try Parameters(request: request).period() else { return try await home() }
        return try await listing(period: period, page: page)
    }

    func listing(period: ListingPeriod, page: Int) async throws -> Rendered {
        let result = try await site.store.listing(
            days: period.days, sort: .trending, offset: (page - 1) * Self.perPage, limit: Self.perPage)
        var previous: ListingPeriod?
        var next: ListingPeriod?
        switch period {
        case .day(let day):
            previous = try await site.store.dayWithPapers(before: day).map { .day($0) }
            next = try await site.store.dayWithPapers(after: day).map { .day($0) }
        case .week, .month:
            previous = period.previous
            if let newest = try await site.store.newestDay(), let after = period.next, after.days.lowerBound <= newest {
                next = after
            }
        }
        let empty = "No papers were listed on \(Format.period(period))."
        return try html(
            listingModel(period: period, page: page, result: result, previous: previous, next: next, empty: empty),
            "listing")
    }

    func listingModel(
        period: ListingPeriod?, page: Int, result: ResultPage<StoredPaper>, previous: ListingPeriod?,
        next: ListingPeriod?, empty: String
    ) -> ListingPageModel {
        let anchor = period?.days.lowerBound
        let tabs: [PeriodTab] =
            anchor.map { day in
                let spans: [(String, ListingPeriod?, Bool)] = [
                    ("Day", Day.supported.contains(day) ? .day(day) : nil, isDay(period)),
                    ("Week", ISOWeek(containing: day).map { .week($0) }, isWeek(period)),
                    ("Month", Month(containing: day).map { .month($0) }, isMonth(period)),
                ]
                return spans.compactMap { label, span, current in
                    span.map { PeriodTab(label: label, url: SiteURL.listing($0).path(config), current: current) }
                }
            } ?? []
        return ListingPageModel(
            site: SiteChrome(config),
            feed: FeedLink(title: "\(config.siteName): daily papers", url: SiteURL.dailyFeed.path(config)),
            canonical: period.map { SiteURL.listing($0, page: page).absolute(config) },
            heading: period.map(Format.period) ?? "Daily papers",
            periods: tabs,
            previousURL: previous.map { SiteURL.listing($0).path(config) },
            previousLabel: previous.map(shortLabel),
            nextURL: next.map { SiteURL.listing($0).path(config) },
            nextLabel: next.map(shortLabel),
            countText: Format.count(result.total, "paper", "papers"),
            cards: result.items.map { CardView($0, config: config) },
            emptyText: empty,
            pagination: period.flatMap { period in
                PaginationView.make(page: page, total: result.total, perPage: Self.perPage) {
                    SiteURL.listing(period, page: $0).path(config)
                }
            })
    }

    func isDay(_ p: ListingPeriod?) -> Bool { if case .day = p { true } else { false } }
    func isWeek(_ p: ListingPeriod?) -> Bool { if case .week = p { true } else { false } }
    func isMonth(_ p: ListingPeriod?) -> Bool { if case .month = p { true } else { false } }

    func shortLabel(_ period: ListingPeriod) -> String {
        switch period {
        case .day(let d): Format.longDate(d)
        case .week(let w): "Week \(w.week)"
        case .month(let m): Format.month(m)
        }
    }

    func pageNumber(_ request: Request) throws -> Int {
        try Parameters(request: request).page(perPage: Self.perPage)
    }

    // MARK: Paper

    func paper(_ parameter: String) async throws -> Rendered {
        var raw = QueryString.segment(parameter)
        let wantsMarkdown = raw.hasSuffix(".md")
        if wantsMarkdown { raw.removeLast(3) }
        guard let (id, _) = PaperID.parse(raw) else { throw PageError.notFound("“\(raw)” is not an arXiv id.") }
        guard let stored = try await site.store.paper(id: id) else {
            throw PageError.notFound("Paper \(id) is not here (yet).")
        }
        let paper = stored.paper
        if wantsMarkdown {
            return Rendered(contentType: Rendered.markdown, text: Citation.markdown(paper))
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
        let model = PaperPageModel(
            site: SiteChrome(config),
            feed: nil,
            canonical: SiteURL.paper(id).absolute(config),
            title: paper.title,
            shortAbstract: String(paper.abstract.prefix(200)),
            abstract: paper.abstract,
            authors: paper.authors.enumerated().map { i, name in
                NameLink(name: name, url: SiteURL.author(name).path(config), last: i == paper.authors.count - 1)
            },
            categories: paper.categories.map {
                NameLink(name: $0, url: SiteURL.category($0).path(config), last: false)
            },
            published: Format.longDate(Day(paper.published)),
            isoPublished: Timestamp.rfc3339(paper.published),
            featured: paper.featuredDay == Day(paper.published) ? nil : Format.longDate(paper.featuredDay),
            upvotes: stored.upvotes,
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
            submitter: paper.submitter,
            versions: paper.versions.map { v in
                VersionView(
                    label: "v\(v.number)", url: "https://arxiv.org/abs/\(id.rawValue)v\(v.number)",
                    date: Format.longDate(Day(v.submitted)), iso: Timestamp.rfc3339(v.submitted), size: v.size)
            },
            similar: similar,
            bibtex: Citation.bibtex(paper),
            hasSimilar: !similar.isEmpty)
        var page = try html(model, "paper")
        page.headers = headers
        return page
    }

    // MARK: Authors and categories

    func author(_ parameter: String, _ request: Request) async throws -> Rendered {
        let name = QueryString.segment(parameter)
        let page = try pageNumber(request)
        let result = try await site.store.papers(byAuthor: name, offset: (page - 1) * Self.perPage, limit: Self.perPage)
        guard result.total > 0 else { throw PageError.notFound("No papers by “\(name)” are here.") }
        let coauthors = try await site.store.coauthors(of: name, limit: 20)
        let model = PeoplePageModel(
            site: SiteChrome(config), feed: nil, canonical: SiteURL.author(name, page: page).absolute(config),
            name: name, countText: Format.count(result.total, "paper", "papers"),
            coauthors: coauthors.enumerated().map { i, c in
                CoauthorView(
                    name: c.name, url: SiteURL.author(c.name).path(config), papers: c.papers,
                    last: i == coauthors.count - 1)
            },
            hasCoauthors: !coauthors.isEmpty,
            feedURL: nil,
            cards: result.items.map { CardView($0, config: config) },
            pagination: PaginationView.make(page: page, total: result.total, perPage: Self.perPage) {
                SiteURL.author(name, page: $0).path(config)
            })
        return try html(model, "author")
    }

    func category(_ raw: String, _ request: Request) async throws -> Rendered {
        let name = QueryString.segment(raw)
        let page = try pageNumber(request)
        let result = try await site.store.papers(
            inCategory: name, offset: (page - 1) * Self.perPage, limit: Self.perPage)
        guard result.total > 0 else { throw PageError.notFound("No papers in category “\(name)” are here.") }
        let feed = FeedLink(title: "\(config.siteName): \(name)", url: SiteURL.categoryFeed(name).path(config))
        let model = PeoplePageModel(
            site: SiteChrome(config), feed: feed, canonical: SiteURL.category(name, page: page).absolute(config),
            name: name, countText: Format.count(result.total, "paper", "papers"), coauthors: [], hasCoauthors: false,
            feedURL: feed.url,
            cards: result.items.map { CardView($0, config: config) },
            pagination: PaginationView.make(page: page, total: result.total, perPage: Self.perPage) {
                SiteURL.category(name, page: $0).path(config)
            })
        return try html(model, "category")
    }

    // MARK: Search

    func search(_ request: Request) async throws -> Rendered {
        let text = try Parameters(request: request).searchText()
        let page = try pageNumber(request)
        let requested = request.query("mode")
        guard let mode = requested.map({ SearchMode(rawValue: $0) }) ?? .hybrid else {
            throw PageError.badRequest("“\(requested ?? "")” is not a search mode (hybrid, keyword or semantic).")
        }
        let query = SearchQuery(parsing: text)
        var cards: [CardView] = []
        var total = 0
        var message: String?
        var notes: [String] = query.problems
        if text.isEmpty {
            message = "Type words to search titles, authors and abstracts, or describe an idea in your own words."
        } else if query.isEmpty {
            message = "Nothing to search for in “\(text)”: try words from a title or an abstract."
        } else {
            let outcome = try await site.searcher.search(
                query, mode: mode, offset: (page - 1) * Self.perPage, limit: Self.perPage)
            total = outcome.page.total
            if let note = outcome.note { notes.append(note) }
            cards = outcome.page.items.map {
                CardView(
                    $0.paper, config: config, title: $0.titleHighlight, abstract: $0.abstractSnippet,
                    similarity: $0.similarity)
            }
            if total == 0 { message = "No papers match “\(text)”." }
        }
        let status = await site.searcher.semanticStatus()
        let modes = SearchMode.allCases.map { m in
            PeriodTab(
                label: m.rawValue.capitalized, url: SiteURL.search(text, mode: m).path(config), current: m == mode)
        }
        var semanticNote: String?
        if case .off(let reason) = status {
            semanticNote =
                "Semantic search is off: \(reason). Install the model with scripts/install-model.sh and start the server "
                + "with --model models/all-MiniLM-L6-v2 to search by meaning."
        }
        let model = SearchPageModel(
            site: SiteChrome(config, query: text),
            feed: text.isEmpty ? nil : FeedLink(title: "Search: \(text)", url: SiteURL.searchFeed(text).path(config)),
            canonical: nil, query: text.isEmpty ? nil : text, problems: notes, message: message,
            countText: Format.count(total, "result", "results"), feedURL: SiteURL.searchFeed(text).path(config),
            modes: modes, mode: mode.rawValue, semanticNote: semanticNote,
            cards: cards,
            pagination: PaginationView.make(page: page, total: total, perPage: Self.perPage) {
                SiteURL.search(text, mode: mode, page: $0).path(config)
            })
        return try html(model, "search")
    }
}
