import Foundation
import Mustache
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// The models templates read by name (`MustacheParent`, faster than reflection) answer every property they have:
/// a property added to a model but not to its lookup would render as nothing.
@Suite("Template lookups")
struct TemplateLookupTests {
    /// The properties `child(named:)` does not answer as reflection sees them (nil for nil, a value for a value).
    static func unanswered(_ value: some MustacheParent) -> [String] {
        Mirror(reflecting: value).children.compactMap { child in
            guard let label = child.label else { return nil }
            let mirror = Mirror(reflecting: child.value)
            let isNil = mirror.displayStyle == .optional && mirror.children.isEmpty
            return (value.child(named: label) == nil) == isNil ? nil : label
        }
    }

    @Test func everyPropertyIsAnswered() throws {
        let config = WebConfiguration()
        let account = Account(
            id: 1, username: "ada", email: "ada@example.org", fullname: "Ada", role: .member, passwordHash: "x",
            createdAt: Date(timeIntervalSince1970: 0))
        let viewer = Viewer(account: account, sessionHash: "h", tokenID: nil, csrfToken: "t")
        var stored = StoredPaper(paper: Fixtures.corpus[1], upvotes: 3, submittedBy: account.person)
        stored.paper.doi = "10.1/x"
        var site = SiteChrome(config)
        site.account = AccountChrome(viewer, config: config)
        var card = CardView(stored, config: config, similarity: 0.5)
        var vote = VoteView(stored, config: config)
        vote.form = VoteForm(
            action: "/vote", paper: "2611.00002", csrf: "t", next: "/", upvoted: true, change: "remove", label: "x")
        card.vote = vote
        card.bodyHTML = "<div>"
        let day = try #require(Day(iso: "2026-11-20"))
        var listing = ListingPageModel(
            config: config, period: .day(day), window: PageWindow(page: 1),
            result: ResultPage(items: [stored], total: 120, offset: 0, limit: 50), previous: .day(day.adding(days: -1)),
            next: .day(day.adding(days: 1)), emptyText: "none")
        listing.site = site
        var paper = PaperPageModel(config: config, stored: stored, similar: [card])
        paper.site = site
        paper.vote = vote
        let parents: [(String, [String])] = [
            ("site", Self.unanswered(site)), ("account", Self.unanswered(AccountChrome(viewer, config: config))),
            ("card", Self.unanswered(card)), ("card body", Self.unanswered(card.body)), ("vote", Self.unanswered(vote)),
            ("form", Self.unanswered(try #require(vote.form))),
            ("submitter", Self.unanswered(SubmitterView(account.person, config: config))),
            ("listing", Self.unanswered(listing)), ("paper", Self.unanswered(paper)),
            ("feed", Self.unanswered(try #require(listing.feed))),
            ("tab", Self.unanswered(try #require(listing.periods.first))),
            ("pagination", Self.unanswered(try #require(listing.pagination))),
            ("version", Self.unanswered(try #require(paper.versions.first))),
            ("name", Self.unanswered(try #require(card.body.authors.first))),
            ("segment", Self.unanswered(try #require(card.body.titleSegments.first))),
        ]
        for (model, missing) in parents { #expect(missing.isEmpty, "\(model) does not answer \(missing)") }
    }
}
