import Foundation
import Hummingbird
import PaperboyCore

extension Site {
    /// The trending list: papers featured in the last `--trending-days` before now, or before the end of the newest
    /// featured day when that is older (an archive still has a trending list), by votes weighed down by age.
    func trending(offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        let now = now()
        var reference = now
        if let newest = try await store.newestDay() {
            reference = min(now, newest.adding(days: 1).start)
        }
        return try await store.trending(
            reference: reference, window: .seconds(Int64(config.community.trendingDays) * 86_400),
            gravity: config.community.trendingGravity, offset: offset, limit: limit)
    }
}

extension PageRoutes {
    /// `/trending`: what the community is upvoting now.
    func trending(_ request: Request, _ visit: Visit) async throws -> Rendered {
        let window = try PageWindow(request)
        let result = try await site.trending(offset: window.offset, limit: window.limit)
        let days = config.community.trendingDays
        let model = ListingPageModel(
            site: SiteChrome(config),
            feed: FeedLink(title: "\(config.siteName): daily papers", url: SiteURL.dailyFeed.path(config)),
            canonical: SiteURL.trending(page: window.page).absolute(config),
            heading: "Trending", periods: [], previousURL: nil, previousLabel: nil, nextURL: nil, nextLabel: nil,
            countText: Format.count(result.total, "paper", "papers") + " featured in the last "
                + Format.count(days, "day", "days") + ", by upvotes weighed by age",
            cards: result.items.map { CardView($0, config: config) },
            emptyText: "Nothing was featured in the last \(Format.count(days, "day", "days")).",
            pagination: window.pagination(total: result.total) { SiteURL.trending(page: $0).path(config) },
            subscribe: site.subscribeBox)
        return try await html(model, "listing", visit)
    }
}
