import Foundation

/// How many of something a day had.
public struct DayCount: Sendable, Hashable {
    public var day: Day
    public var count: Int

    public init(day: Day, count: Int) {
        self.day = day
        self.count = count
    }
}

/// How many papers a category had.
public struct CategoryCount: Sendable, Hashable {
    public var category: String
    public var count: Int

    public init(category: String, count: Int) {
        self.category = category
        self.count = count
    }
}

/// The figures `/stats` and `/api/stats` show, counted by the store. Hidden papers (and votes on them) never count.
public protocol StatsStore: Sendable {
    /// Papers featured on each day of `days` that has any, oldest first.
    func papersPerDay(_ days: ClosedRange<Day>) async throws -> [DayCount]

    /// Upvotes cast on each UTC day of `days` that has any (votes since taken back do not count), oldest first.
    func votesPerDay(_ days: ClosedRange<Day>) async throws -> [DayCount]

    /// Papers featured in `days` by primary category, most first (equal counts by name), at most `limit`.
    func papersPerCategory(_ days: ClosedRange<Day>, limit: Int) async throws -> [CategoryCount]

    /// One paper's upvotes cast on each UTC day of `days` that has any (standing votes only), oldest first.
    func votesPerDay(paper: PaperID, _ days: ClosedRange<Day>) async throws -> [DayCount]
}

/// The site's figures over a span of days ending on `last`: papers and votes per day (every day, zeros included),
/// the categories of the whole span and of its last week.
public struct SiteStats: Sendable, Hashable {
    public var days: ClosedRange<Day>
    public var papersPerDay: [DayCount]
    public var votesPerDay: [DayCount]
    public var categories: [CategoryCount]
    public var categoriesOfWeek: [CategoryCount]

    /// The longest span asked for.
    public static let maxDays = 366
    /// Categories named in each list.
    public static let categoryLimit = 12

    /// Counts the figures of the `span` days ending on `last`.
    public static func count(in store: some StatsStore, last: Day, span: Int) async throws -> SiteStats {
        let span = min(max(span, 1), maxDays)
        let days = last.adding(days: -(span - 1))...last
        let week = max(days.lowerBound, last.adding(days: -6))...last
        return SiteStats(
            days: days, papersPerDay: filled(try await store.papersPerDay(days), over: days),
            votesPerDay: filled(try await store.votesPerDay(days), over: days),
            categories: try await store.papersPerCategory(days, limit: categoryLimit),
            categoriesOfWeek: try await store.papersPerCategory(week, limit: categoryLimit))
    }

    /// `counts` with a zero for every day of `days` that has none, oldest first.
    public static func filled(_ counts: [DayCount], over days: ClosedRange<Day>) -> [DayCount] {
        let given = Dictionary(counts.map { ($0.day, $0.count) }, uniquingKeysWith: +)
        var all: [DayCount] = []
        var day = days.lowerBound
        while day <= days.upperBound, all.count <= maxDays {
            all.append(DayCount(day: day, count: given[day] ?? 0))
            let next = day.adding(days: 1)
            if next == day { break }
            day = next
        }
        return all
    }
}
