import Foundation
import Hummingbird
import PaperboyCore

/// A bar chart drawn by the template as SVG on the server (no chart library in the browser): bars with their place
/// and size in a `width` × `height` box, each with a title a screen reader and a mouse-over read.
struct BarChart {
    struct Bar {
        let x: Int
        let y: Int
        let width: Int
        let height: Int
        /// What the bar shows, in words (`2026-11-20: 12 papers`).
        let title: String
        /// The name written beside a horizontal bar, and its count.
        let name: String
        let count: String
        let textY: Int
        /// Whether the name and count are written (horizontal bars). Stored: templates see stored properties only.
        let labeled: Bool
    }

    let id: String
    let title: String
    /// The chart in one sentence, for screen readers (the figures are also in the JSON at `/api/stats`).
    let summary: String
    let width: Int
    let height: Int
    let bars: [Bar]
    /// Labels under the first and last bar of a day chart.
    let firstLabel: String
    let lastLabel: String
    let lastLabelX: Int
    let labelY: Int
    let isEmpty: Bool
    /// Whether the first and last day are written under the bars (day charts).
    let hasAxis: Bool

    static let width = 720
    static let height = 160

    /// One vertical bar a day, oldest left.
    static func days(id: String, title: String, _ counts: [DayCount], noun: (String, String)) -> BarChart {
        let top = max(counts.map(\.count).max() ?? 0, 1)
        let slot = max(1, width / max(counts.count, 1))
        let bars = counts.enumerated().map { n, entry in
            let height = entry.count == 0 ? 0 : max(1, entry.count * (Self.height - 4) / top)
            return Bar(
                x: n * slot, y: Self.height - height, width: max(1, slot - 1), height: height,
                title: "\(entry.day): \(Format.count(entry.count, noun.0, noun.1))", name: "", count: "", textY: 0,
                labeled: false)
        }
        let total = counts.reduce(0) { $0 + $1.count }
        let peak = counts.max { $0.count < $1.count }
        var summary = "\(Format.count(total, noun.0, noun.1)) in \(Format.count(counts.count, "day", "days"))"
        if let peak, peak.count > 0 { summary += ", most on \(peak.day) (\(peak.count))" }
        return BarChart(
            id: id, title: title, summary: summary + ".", width: width, height: Self.height + 18, bars: bars,
            firstLabel: counts.first.map { $0.day.description } ?? "",
            lastLabel: counts.last.map { $0.day.description } ?? "", lastLabelX: width, labelY: Self.height + 14,
            isEmpty: total == 0, hasAxis: !counts.isEmpty)
    }

    /// One horizontal bar a category, most first, its name and count written beside it.
    static func categories(id: String, title: String, _ counts: [CategoryCount]) -> BarChart {
        let top = max(counts.map(\.count).max() ?? 0, 1)
        let row = 22
        let nameWidth = 150
        let barSpace = width - nameWidth - 60
        let bars = counts.enumerated().map { n, entry in
            Bar(
                x: nameWidth, y: n * row + 3, width: max(1, entry.count * barSpace / top), height: row - 6,
                title: "\(entry.category): \(Format.count(entry.count, "paper", "papers"))", name: entry.category,
                count: String(entry.count), textY: n * row + row - 7, labeled: true)
        }
        let summary =
            counts.isEmpty
            ? "No papers."
            : counts.prefix(3).map { "\($0.category) \($0.count)" }.joined(separator: ", ")
                + (counts.count > 3
                    ? ", and \(counts.count - 3) more." : ".")
        return BarChart(
            id: id, title: title, summary: summary, width: width, height: max(row, counts.count * row), bars: bars,
            firstLabel: "", lastLabel: "", lastLabelX: 0, labelY: 0, isEmpty: counts.isEmpty, hasAxis: false)
    }
}

/// A paper's upvotes over time, as a small line of the running total drawn on its page (`paper.mustache`).
struct Sparkline {
    /// The polyline's points, `x,y` pairs in a `width` × `height` box (numbers only).
    let points: String
    let width: Int
    let height: Int
    /// The line in words, beside it and for screen readers.
    let label: String

    static let width = 120
    static let height = 24
    /// The longest span drawn, ending today.
    static let maxDays = 60

    /// The days from the paper's featured day (at most ``maxDays`` back) to `today`, with the votes cast on each.
    static func days(featured: Day, today: Day) -> ClosedRange<Day>? {
        guard featured <= today else { return nil }
        return max(featured, today.adding(days: -(maxDays - 1)))...today
    }

    /// Nil without votes in the span.
    init?(_ votes: [DayCount], over days: ClosedRange<Day>) {
        let daily = SiteStats.filled(votes, over: days)
        var running = 0
        let totals = daily.map { entry -> Int in
            running += entry.count
            return running
        }
        guard running > 0, let first = daily.first, let last = daily.last else { return nil }
        let step = daily.count > 1 ? Double(Self.width) / Double(daily.count - 1) : 0
        points = totals.enumerated().map { n, total in
            let x = Int((Double(n) * step).rounded())
            let y = Self.height - 1 - (total * (Self.height - 2) / running)
            return "\(x),\(y)"
        }.joined(separator: " ")
        width = Self.width
        height = Self.height
        label = "\(Format.count(running, "upvote", "upvotes")) from \(first.day) to \(last.day)"
    }
}

/// `/stats`: papers and votes per day, and the top categories, as server-drawn SVG charts (`stats.mustache`).
struct StatsPageModel: PersonalPage {
    var site: SiteChrome
    let canonical: String
    let heading: String
    let apiURL: String
    let spans: [SpanLink]
    let charts: [BarChart]

    struct SpanLink {
        let label: String
        let url: String
        let current: Bool
    }
}

/// `GET /api/stats`: the figures of `/stats`.
struct APIStats: Encodable {
    struct DayFigure: Encodable {
        let date: String
        let count: Int
    }

    struct CategoryFigure: Encodable {
        let category: String
        let count: Int
    }

    let from: String
    let to: String
    let papersPerDay: [DayFigure]
    let votesPerDay: [DayFigure]
    let topCategories: [CategoryFigure]
    let topCategoriesOfWeek: [CategoryFigure]

    init(_ stats: SiteStats) {
        from = stats.days.lowerBound.description
        to = stats.days.upperBound.description
        papersPerDay = stats.papersPerDay.map { DayFigure(date: $0.day.description, count: $0.count) }
        votesPerDay = stats.votesPerDay.map { DayFigure(date: $0.day.description, count: $0.count) }
        topCategories = stats.categories.map { CategoryFigure(category: $0.category, count: $0.count) }
        topCategoriesOfWeek = stats.categoriesOfWeek.map { CategoryFigure(category: $0.category, count: $0.count) }
    }
}

extension Site {
    /// The figures of the `days` days ending on the newest day that has papers (today when there are none).
    func stats(_ request: Request) async throws -> SiteStats {
        let span = try Parameters(request: request).integer("days", in: 1...SiteStats.maxDays, default: 30)
        let last = try await store.newestDay() ?? Day(now())
        return try await SiteStats.count(in: store, last: last, span: span)
    }
}

extension PageRoutes {
    /// `/stats?days=N`.
    func stats(_ request: Request, _ visit: Visit) async throws -> Rendered {
        let stats = try await site.stats(request)
        let span = stats.papersPerDay.count
        let model = StatsPageModel(
            site: SiteChrome(config), canonical: SiteURL.stats(days: span).absolute(config),
            heading: "Statistics, \(stats.days.lowerBound) to \(stats.days.upperBound)",
            apiURL: SiteURL.apiStats(days: span).path(config),
            spans: [7, 30, 90, 365].map {
                StatsPageModel.SpanLink(
                    label: "\($0) days", url: SiteURL.stats(days: $0).path(config), current: $0 == span)
            },
            charts: [
                .days(id: "papers", title: "Papers per day", stats.papersPerDay, noun: ("paper", "papers")),
                .days(id: "votes", title: "Upvotes per day", stats.votesPerDay, noun: ("upvote", "upvotes")),
                .categories(id: "week", title: "Top categories of the last week", stats.categoriesOfWeek),
                .categories(id: "categories", title: "Top categories of the \(span) days", stats.categories),
            ])
        return try await html(model, "stats", visit)
    }
}

extension APIRoutes {
    func stats(_ request: Request) async throws -> Rendered {
        try JSON.rendered(APIStats(try await site.stats(request)))
    }
}
