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
        var stored = StoredPaper(
            paper: Fixtures.corpus[1], upvotes: 3, submittedBy: account.person,
            organization: Organization(name: "lab", fullname: "The Lab"))
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
        var paper = PaperPageModel(config: config, stored: stored, similar: [card], comments: [])
        paper.site = site
        paper.vote = vote
        paper.sparkline = Sparkline([DayCount(day: day, count: 2)], over: day...day.adding(days: 1))
        let parents: [(String, [String])] = [
            ("site", Self.unanswered(site)), ("account", Self.unanswered(AccountChrome(viewer, config: config))),
            ("card", Self.unanswered(card)), ("card body", Self.unanswered(card.source.body(config: config))),
            ("vote", Self.unanswered(vote)),
            ("form", Self.unanswered(try #require(vote.form))),
            ("submitter", Self.unanswered(SubmitterView(account.person, config: config))),
            ("listing", Self.unanswered(listing)), ("paper", Self.unanswered(paper)),
            ("feed", Self.unanswered(try #require(listing.feed))),
            ("tab", Self.unanswered(try #require(listing.periods.first))),
            ("pagination", Self.unanswered(try #require(listing.pagination))),
            ("version", Self.unanswered(try #require(paper.versions.first))),
            ("name", Self.unanswered(try #require(card.source.body(config: config).authors.first))),
            ("segment", Self.unanswered(try #require(card.source.body(config: config).titleSegments.first))),
            ("organization", Self.unanswered(try #require(card.source.body(config: config).organization))),
            (
                "collect",
                Self.unanswered(
                    CollectView.save(
                        paper: stored.paper.id, options: [CollectionOption(id: "aaaaaaaaaaaa", name: "Later")],
                        viewer: viewer, next: "/", config: config))
            ),
            ("option", Self.unanswered(CollectionOption(id: "aaaaaaaaaaaa", name: "Later"))),
        ]
        for (model, missing) in parents { #expect(missing.isEmpty, "\(model) does not answer \(missing)") }
    }
}

/// Rendered card bodies are kept by what they show, within a byte budget.
@Suite("Card fragments")
struct CardFragmentTests {
    static func source(_ index: Int) -> CardSource {
        CardSource(
            paper: Fixtures.corpus[index % Fixtures.corpus.count], submittedBy: nil, organization: nil, title: nil,
            abstract: nil,
            similarity: Double(index))
    }

    @Test func aBodyIsRenderedOnceThenKept() {
        let fragments = CardFragments()
        var renders = 0
        for _ in 0..<3 {
            let html = fragments.html(Self.source(1)) { _ in
                renders += 1
                return "<div>one</div>"
            }
            #expect(html == "<div>one</div>")
        }
        #expect(renders == 1)
        _ = fragments.html(Self.source(2)) { _ in
            renders += 1
            return "<div>two</div>"
        }
        #expect(renders == 2, "another card is another body")
    }

    @Test func theBudgetIsKept() {
        let fragments = CardFragments(capacityBytes: 10_000)
        for index in 0..<1_000 { _ = fragments.html(Self.source(index)) { _ in String(repeating: "x", count: 900) } }
        #expect(fragments.keptBytes <= 10_000)
        #expect(fragments.html(Self.source(0)) { _ in String(repeating: "y", count: 20_000) }.count == 20_000)
        #expect(fragments.keptBytes <= 10_000, "a body larger than the budget is not kept")
    }
}
