import Foundation
import PaperboyCore

extension Site {
    /// The days recommended from: the last `days` days up to today, or up to the newest featured day when that is
    /// older (an archive still recommends, as it still has a trending list).
    func recommendationWindow(days: Int) async throws -> ClosedRange<Day> {
        var end = Day(now())
        if let newest = try await store.newestDay(), newest < end { end = newest }
        return end.adding(days: 1 - min(max(days, 1), RecommendationLimits.maxDays))...end
    }

    /// The person's recommendations from the papers featured in the last `days` days: their signals read from the
    /// store, their model (retrained only when the signals changed) and the ranking.
    func recommendations(accountID: Int64, days: Int, limit: Int) async throws
        -> (items: [Recommendation], signals: TasteSignals, window: ClosedRange<Day>)
    {
        let signals = try await store.tasteSignals(accountID: accountID)
        let window = try await recommendationWindow(days: days)
        let items = try await searcher.recommend(signals, window: window, limit: limit)
        return (items, signals, window)
    }
}

/// What a card on `/for-you` adds: the liked paper it is closest to, and the "not interested" form.
struct ForYouCardView {
    let becauseTitle: String?
    let becauseURL: String?
    let action: String
    let paper: String
    let csrf: String
    let next: String
}

/// A paper marked "not interested", in the recommendation settings, with its undo form.
struct NotInterestedRow {
    let title: String
    let url: String
    let paper: String
}

/// `/for-you/settings`: the categories and seed papers that start recommendations, and the papers marked "not
/// interested" with a button that takes each mark back.
struct RecommendationSettingsPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading = "Recommendation settings"
    let csrf: String
    let action: String
    let notInterestedAction: String
    let forYouURL: String
    let problem: String?
    let success: String?
    let categories: String
    let seedPapers: String
    let maxCategories: Int
    let maxSeedPapers: Int
    let notInterested: [NotInterestedRow]
    let hasNotInterested: Bool
    let next: String
}
