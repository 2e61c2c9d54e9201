import Hummingbird
import PaperboyCore

/// A link to the same papers by day, week or month, as a tab.
struct PeriodTab {
    let label: String
    let url: String
    let current: Bool
}

/// The daily list and its week and month views (`listing.mustache`): the front page and `/papers`.
struct ListingPageModel {
    var site: SiteChrome
    let feed: FeedLink?
    let canonical: String?
    let heading: String
    let periods: [PeriodTab]
    let previousURL: String?
    let previousLabel: String?
    let nextURL: String?
    let nextLabel: String?
    let countText: String
    var cards: [CardView]
    let emptyText: String
    let pagination: PaginationView?
    /// The subscribe box, when the site can send mail.
    var subscribe: SubscribeBoxView? = nil
}

extension ListingPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in cards.indices { body(&cards[index]) }
    }
}

extension ListingPageModel {
    /// The papers of `period` (nil only on the front page of an empty site), with links to the periods before and
    /// after it that are worth visiting.
    init(
        config: WebConfiguration, period: ListingPeriod?, window: PageWindow, result: ResultPage<StoredPaper>,
        previous: ListingPeriod?, next: ListingPeriod?, emptyText: String, subscribe: SubscribeBoxView? = nil
    ) {
        self.init(
            site: SiteChrome(config),
            feed: FeedLink(title: "\(config.siteName): daily papers", url: SiteURL.dailyFeed.path(config)),
            canonical: period.map { SiteURL.listing($0, page: window.page).absolute(config) },
            heading: period.map(Format.period) ?? "Daily papers",
            periods: period.map { ListingPageModel.tabs(around: $0, config: config) } ?? [],
            previousURL: previous.map { SiteURL.listing($0).path(config) },
            previousLabel: previous.map(ListingPageModel.shortLabel),
            nextURL: next.map { SiteURL.listing($0).path(config) },
            nextLabel: next.map(ListingPageModel.shortLabel),
            countText: Format.count(result.total, "paper", "papers"),
            cards: result.items.map { CardView($0, config: config) },
            emptyText: emptyText,
            pagination: period.flatMap { period in
                window.pagination(total: result.total) { SiteURL.listing(period, page: $0).path(config) }
            }, subscribe: subscribe)
    }

    /// The day, week and month that hold the start of `period`, the one of its kind marked current.
    static func tabs(around period: ListingPeriod, config: WebConfiguration) -> [PeriodTab] {
        let day = period.days.lowerBound
        let spans: [(String, ListingPeriod?)] = [
            ("Day", Day.supported.contains(day) ? .day(day) : nil),
            ("Week", ISOWeek(containing: day).map { .week($0) }),
            ("Month", Month(containing: day).map { .month($0) }),
        ]
        return spans.compactMap { label, span in
            span.map {
                PeriodTab(
                    label: label, url: SiteURL.listing($0).path(config), current: sameKind($0, period))
            }
        }
    }

    static func sameKind(_ a: ListingPeriod, _ b: ListingPeriod) -> Bool {
        switch (a, b) {
        case (.day, .day), (.week, .week), (.month, .month): true
        default: false
        }
    }

    /// How the previous and next links name a period.
    static func shortLabel(_ period: ListingPeriod) -> String {
        switch period {
        case .day(let d): Format.longDate(d)
        case .week(let w): "Week \(w.week)"
        case .month(let m): Format.month(m)
        }
    }
}

extension PageRoutes {
    /// The front page: the newest day with papers.
    func home(_ visit: Visit) async throws -> Rendered {
        guard let newest = try await site.store.newestDay() else {
            let window = PageWindow(page: 1)
            let model = ListingPageModel(
                config: config, period: nil, window: window,
                result: ResultPage(items: [], total: 0, offset: 0, limit: window.limit), previous: nil, next: nil,
                emptyText: "No papers yet. Load some with `paperboy ingest FILE` or `paperboy harvest`.",
                subscribe: site.subscribeBox)
            return try await html(model, "listing", visit)
        }
        return try await listing(period: .day(newest), window: PageWindow(page: 1), visit)
    }

    /// `/papers?date=|week=|month=`; without a period, the front page.
    func listing(_ request: Request, _ visit: Visit) async throws -> Rendered {
        let window = try PageWindow(request)
        guard let period = try Parameters(request: request).period() else { return try await home(visit) }
        return try await listing(period: period, window: window, visit)
    }

    func listing(period: ListingPeriod, window: PageWindow, _ visit: Visit) async throws -> Rendered {
        let result = try await site.store.listing(
            days: period.days, sort: .upvotes, offset: window.offset, limit: window.limit)
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
        let model = ListingPageModel(
            config: config, period: period, window: window, result: result, previous: previous, next: next,
            emptyText: "No papers were listed on \(Format.period(period)).", subscribe: site.subscribeBox)
        return try await html(model, "listing", visit)
    }
}
