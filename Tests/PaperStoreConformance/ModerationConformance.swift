import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Moderation = ModerationStore & CommunityStore & AccountStore & PaperCatalog & PaperWriter
        & KeyedPapers & StoreMaintenance

    /// The log without ids (the store gives them), newest first.
    static func logged(_ store: some ModerationStore, limit: Int = 100) async throws -> [ModerationAction] {
        try await store.moderationLog(limit: limit).map { entry in
            var entry = entry
            entry.id = 0
            return entry
        }
    }

    /// Ids of every paper each listing shows: the day 2026-11-25, every day, trending, an author, a category, the walk
    /// over all papers, papers submitted by `ada`.
    static func listed(_ store: some Moderation) async throws -> [String: [String]] {
        let day = Day(iso: "2026-11-25")!
        let reference = Fixtures.date("2026-11-26T00:00:00Z")
        return [
            "day": ids(try await store.listing(days: day...day, sort: .publishedAt, offset: 0, limit: 10).items),
            "everything": ids(
                try await store.listing(days: ListingPeriod.everything, sort: .upvotes, offset: 0, limit: 10).items),
            "trending": ids(
                try await store.trending(
                    reference: reference, window: .seconds(7 * 86_400), gravity: 1.5, offset: 0, limit: 10
                ).items),
            "author": ids(try await store.papers(byAuthor: "Ada Lovelace", offset: 0, limit: 10).items),
            "category": ids(try await store.papers(inCategory: "cs.LG", offset: 0, limit: 10).items),
            "all": ids(try await store.allPapers(after: nil, limit: 10).papers),
            "submitted": ids(
                try await store.papers(
                    submittedBy: "ada", days: ListingPeriod.everything, sort: .publishedAt, offset: 0, limit: 10
                ).items),
        ]
    }

    /// Totals of the same listings (but the walk, which has none).
    static func totals(_ store: some Moderation) async throws -> [String: Int] {
        let day = Day(iso: "2026-11-25")!
        let reference = Fixtures.date("2026-11-26T00:00:00Z")
        return [
            "day": try await store.listing(days: day...day, sort: .publishedAt, offset: 0, limit: 10).total,
            "everything": try await store.listing(
                days: ListingPeriod.everything, sort: .upvotes, offset: 0, limit: 10
            ).total,
            "trending": try await store.trending(
                reference: reference, window: .seconds(7 * 86_400), gravity: 1.5, offset: 0, limit: 10
            ).total,
            "author": try await store.papers(byAuthor: "Ada Lovelace", offset: 0, limit: 10).total,
            "category": try await store.papers(inCategory: "cs.LG", offset: 0, limit: 10).total,
            "submitted": try await store.papers(
                submittedBy: "ada", days: ListingPeriod.everything, sort: .publishedAt, offset: 0, limit: 10
            ).total,
        ]
    }

    // MARK: ModerationStore (papers and the log)

    /// Checks of hiding that search, on a store and the keyword index fed by it (``SearchedStore``): the index learns
    /// of hiding from the store's change feed.
    public static let moderationSearch: [RoleCheck<SearchedStore<any Moderation>>] = [
        RoleCheck("a hidden paper leaves every listing, search and keyed read, and comes back when shown") { searched in
            let store = searched.store
            let index = searched.index
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let mod = try await store.createAccount(newAccount("mod", role: .moderator))
            _ = try await store.submit(
                Submission(paper: id("2611.00001"), accountID: ada.id, at: Fixtures.date("2026-11-25T08:00:00Z")))
            _ = try await store.submit(
                Submission(paper: id("2611.00002"), accountID: ada.id, at: Fixtures.date("2026-11-25T09:00:00Z")))
            _ = try await store.setVote(accountID: mod.id, paper: id("2611.00001"), up: true, at: t0)
            let key1 = try #require(try await store.key(of: id("2611.00001")))
            let key3 = try #require(try await store.key(of: id("2611.00003")))
            let shown: [String: [String]] = [
                "day": ["2611.00002", "2611.00001"],
                "everything": ["2611.00001", "2611.00002", "2611.00003", "2611.00004", "hep-th/9901001"],
                "trending": ["2611.00001", "2611.00002", "2611.00003"],
                "author": ["2611.00001", "2611.00004"],
                "category": ["2611.00001", "2611.00003"],
                "all": ["2611.00002", "2611.00001", "2611.00003", "2611.00004", "hep-th/9901001"],
                "submitted": ["2611.00002", "2611.00001"],
            ]
            #expect(try await listed(store) == shown)
            // Searched before it is hidden: the index must learn of the hiding, not only never see the paper.
            #expect(try await index.rank(SearchQuery(parsing: "attention"), offset: 0, limit: 10).total == 1)

            #expect(try await store.setPaperHidden(id("2611.00001"), hidden: true, by: mod.id, at: t0) == true)
            #expect(
                try await listed(store) == [
                    "day": ["2611.00002"],
                    "everything": ["2611.00002", "2611.00003", "2611.00004", "hep-th/9901001"],
                    "trending": ["2611.00002", "2611.00003"],
                    "author": ["2611.00004"],
                    "category": ["2611.00003"],
                    "all": ["2611.00002", "2611.00003", "2611.00004", "hep-th/9901001"],
                    "submitted": ["2611.00002"],
                ])
            #expect(
                try await totals(store) == [
                    "day": 1, "everything": 4, "trending": 2, "author": 1, "category": 1, "submitted": 1,
                ])
            // Its page is found by moderators only.
            #expect(try await store.paper(id: id("2611.00001"), audience: .everyone) == nil)
            let hidden = try #require(try await store.paper(id: id("2611.00001"), audience: .moderators))
            #expect(hidden.hiddenAt == t0)
            #expect(hidden.upvotes == 1 && hidden.submittedBy?.username == "ada")
            #expect(try await store.paper(id: id("2611.00002"), audience: .everyone)?.hiddenAt == nil)
            // Search: the keyword index and papers by key leave it out, totals included; its key stays.
            #expect(try await store.key(of: id("2611.00001")) == key1)
            #expect(Set(try await store.papers(keys: [key1, key3]).keys) == [key3])
            #expect(try await index.rank(SearchQuery(parsing: "attention"), offset: 0, limit: 10).total == 0)
            #expect(
                try await index.rank(SearchQuery(parsing: "language"), offset: 0, limit: 10).ranked.map(\.key) == [
                    key3
                ])
            #expect(try await index.rank(SearchQuery(parsing: "language"), offset: 0, limit: 10).total == 1)
            #expect(
                try await index.rank(SearchQuery(parsing: "language cat:cs.LG"), offset: 0, limit: 10).total == 1)
            let filtersOnly = try await index.rank(SearchQuery(parsing: "cat:cs.LG"), offset: 0, limit: 10)
            #expect(filtersOnly.ranked == [ScoredKey(key: key3, score: 0)] && filtersOnly.total == 1)
            #expect(try await index.keys(passingFiltersOf: SearchQuery(parsing: "cat:cs.LG")) == [key3])
            #expect(ids(try await search(index, papers: store, "language").items.map(\.paper)) == ["2611.00003"])

            #expect(try await store.setPaperHidden(id("2611.00001"), hidden: false, by: mod.id, at: at(1)) == true)
            #expect(try await listed(store) == shown)
            #expect(
                try await totals(store) == [
                    "day": 2, "everything": 5, "trending": 3, "author": 2, "category": 2, "submitted": 2,
                ])
            #expect(try await store.paper(id: id("2611.00001"), audience: .everyone)?.hiddenAt == nil)
            #expect(try await index.rank(SearchQuery(parsing: "attention"), offset: 0, limit: 10).total == 1)
            #expect(try await index.rank(SearchQuery(parsing: "language"), offset: 0, limit: 10).total == 2)
            #expect(try await index.keys(passingFiltersOf: SearchQuery(parsing: "cat:cs.LG")) == [key1, key3])
            #expect(Set(try await store.papers(keys: [key1, key3]).keys) == [key1, key3])
        }
    ]

    public static let moderation: [RoleCheck<any Moderation>] = [
        RoleCheck("hiding twice changes nothing and is logged once; an unknown paper gives nil") { store in
            try await load(store)
            let mod = try await store.createAccount(newAccount("mod", fullname: "Mo D.", role: .moderator))
            let paper = id("hep-th/9901001")
            #expect(try await store.setPaperHidden(paper, hidden: false, by: mod.id, at: t0) == false)
            #expect(try await store.setPaperHidden(paper, hidden: true, by: mod.id, at: t0) == true)
            #expect(try await store.setPaperHidden(paper, hidden: true, by: mod.id, at: at(1)) == false)
            // The first hiding's time stays.
            #expect(try await store.paper(id: paper, audience: .moderators)?.hiddenAt == t0)
            #expect(try await store.setPaperHidden(paper, hidden: false, by: nil, at: at(2)) == true)
            #expect(try await store.setPaperHidden(paper, hidden: false, by: mod.id, at: at(3)) == false)
            #expect(try await store.setPaperHidden(id("2611.09999"), hidden: true, by: mod.id, at: t0) == nil)
            let moderator = Person(username: "mod", fullname: "Mo D.")
            #expect(
                try await logged(store) == [
                    ModerationAction(id: 0, actor: nil, action: "paper.unhide", target: "hep-th/9901001", at: at(2)),
                    ModerationAction(id: 0, actor: moderator, action: "paper.hide", target: "hep-th/9901001", at: t0),
                ])
        },
        RoleCheck("hidden papers are listed for moderators, most recently hidden first") { store in
            try await load(store)
            #expect(try await store.hiddenPapers(limit: 10).isEmpty)
            _ = try await store.setPaperHidden(id("2611.00003"), hidden: true, by: nil, at: t0)
            _ = try await store.setPaperHidden(id("2611.00001"), hidden: true, by: nil, at: at(1))
            _ = try await store.setPaperHidden(id("2611.00002"), hidden: true, by: nil, at: at(2))
            _ = try await store.setPaperHidden(id("2611.00002"), hidden: false, by: nil, at: at(3))
            let hidden = try await store.hiddenPapers(limit: 10)
            #expect(ids(hidden) == ["2611.00001", "2611.00003"])
            #expect(hidden.map(\.hiddenAt) == [at(1), t0])
            #expect(ids(try await store.hiddenPapers(limit: 1)) == ["2611.00001"])
        },
        RoleCheck("day navigation skips days whose papers are all hidden") { store in
            try await load(store)
            let nov18 = Day(iso: "2026-11-18")!
            let nov19 = Day(iso: "2026-11-19")!
            let nov20 = Day(iso: "2026-11-20")!
            #expect(try await store.newestDay() == nov20)
            #expect(try await store.dayWithPapers(before: nov19) == nov18)
            #expect(try await store.dayWithPapers(after: Day(iso: "2000-01-01")!) == nov18)
            // 2026-11-18 holds only 2611.00004; 2026-11-20 holds 2611.00001 and 2611.00002.
            _ = try await store.setPaperHidden(id("2611.00004"), hidden: true, by: nil, at: t0)
            _ = try await store.setPaperHidden(id("2611.00001"), hidden: true, by: nil, at: t0)
            #expect(try await store.newestDay() == nov20)
            _ = try await store.setPaperHidden(id("2611.00002"), hidden: true, by: nil, at: t0)
            #expect(try await store.newestDay() == nov19)
            #expect(try await store.dayWithPapers(after: nov19) == nil)
            #expect(try await store.dayWithPapers(before: nov19) == Day(iso: "1999-01-04"))
            #expect(try await store.dayWithPapers(after: Day(iso: "2000-01-01")!) == nov19)
            #expect(try await store.listing(days: nov20...nov20, sort: .upvotes, offset: 0, limit: 10).total == 0)
            _ = try await store.setPaperHidden(id("2611.00004"), hidden: false, by: nil, at: t0)
            #expect(try await store.dayWithPapers(before: nov19) == nov18)
        },
        RoleCheck("the log records who did what and when, newest first; a deleted actor leaves it nameless") { store in
            try await load(store)
            let admin = try await store.createAccount(newAccount("root", fullname: "Ad Min", role: .admin))
            let mod = try await store.createAccount(newAccount("mod", fullname: "Mo D.", role: .moderator))
            #expect(try await store.moderationLog(limit: 10).isEmpty)
            try await store.recordModeration(
                action: "user.role", target: "mod", detail: "moderator", by: admin.id, at: t0)
            try await store.recordModeration(action: "user.disable", target: "spam", detail: nil, by: nil, at: at(1))
            _ = try await store.setPaperHidden(id("2611.00002"), hidden: true, by: mod.id, at: at(2))
            let adminPerson = Person(username: "root", fullname: "Ad Min")
            let modPerson = Person(username: "mod", fullname: "Mo D.")
            let entries = [
                ModerationAction(id: 0, actor: modPerson, action: "paper.hide", target: "2611.00002", at: at(2)),
                ModerationAction(id: 0, actor: nil, action: "user.disable", target: "spam", at: at(1)),
                ModerationAction(
                    id: 0, actor: adminPerson, action: "user.role", target: "mod", detail: "moderator", at: t0),
            ]
            #expect(try await logged(store) == entries)
            #expect(try await logged(store, limit: 2) == Array(entries.prefix(2)))
            let ids = try await store.moderationLog(limit: 10).map(\.id)
            #expect(Set(ids).count == 3)
            #expect(try await store.deleteAccount(id: mod.id))
            var orphaned = entries
            orphaned[0].actor = nil
            #expect(try await logged(store) == orphaned)
            #expect(try await store.moderationLog(limit: 10).map(\.id) == ids)
        },
    ]
}
