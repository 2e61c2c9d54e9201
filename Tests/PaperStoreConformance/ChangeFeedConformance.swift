import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias ChangeFeed = PaperChangeFeed & PaperWriter & KeyedPapers & StoreMaintenance
    /// A change feed with the community's writes to papers: moderation, votes, comments and claims.
    public typealias CommunityChangeFeed = ChangeFeed & ModerationStore & CommunityStore & AccountStore
        & DiscussionStore & PaperProfileStore

    /// Ids of the papers changed after `sequence`, oldest change first, and the last number.
    static func changedIDs(_ store: some PaperChangeFeed, after sequence: Int64) async throws
        -> (ids: [String], last: Int64)
    {
        let changes = try await store.paperChanges(after: sequence, limit: 1000)
        return (changes.papers.map(\.id.rawValue), changes.last)
    }

    /// Twenty papers besides the corpus, over two days.
    static let moreChanges: [Paper] = (0..<20).map { n in
        Fixtures.paper(
            String(format: "2611.%05d", 600 + n), title: "Paper \(n)",
            versions: [(1, n < 10 ? "2026-11-22T10:00:00Z" : "2026-11-23T10:00:00Z")])
    }

    // MARK: PaperChangeFeed

    public static let changeFeed: [RoleCheck<any ChangeFeed>] = [
        RoleCheck("an empty store has no change, and an identity that migrating again keeps") { store in
            try await store.migrate()
            #expect(try await store.latestPaperChange() == 0)
            #expect(try await store.paperChanges(after: 0, limit: 10) == PaperChanges(papers: [], last: 0))
            let identity = try await store.storeIdentity()
            #expect(!identity.isEmpty)
            try await store.migrate()
            #expect(try await store.storeIdentity() == identity)
        },
        RoleCheck("a new paper is a change after the last one read, as an index reads it") { store in
            try await load(store)
            let before = try await store.paperChanges(after: 0, limit: 100)
            #expect(Set(before.papers.map(\.id.rawValue)) == Set(Fixtures.corpus.map(\.id.rawValue)))
            #expect(before.papers.count == Fixtures.corpus.count)
            #expect(before.last == (try await store.latestPaperChange()))
            #expect(try await store.paperChanges(after: before.last, limit: 100).papers.isEmpty)
            #expect(try await store.paperChanges(after: before.last, limit: 100).last == before.last)

            let new = Fixtures.paper(
                "2611.00500", title: "Fresh Results", abstract: "New words.", authors: ["Zoë Ünal", "Bo Li"],
                categories: ["math.CO", "cs.DM"], versions: [(1, "2026-11-21T10:00:00Z")])
            #expect(try await store.upsert([new]) == UpsertSummary(inserted: 1))
            let key = try #require(try await store.key(of: new.id))
            let after = try await store.paperChanges(after: before.last, limit: 100)
            #expect(
                after.papers == [
                    IndexablePaper(
                        key: key, id: new.id, title: "Fresh Results", authors: ["Zoë Ünal", "Bo Li"],
                        abstract: "New words.", categories: ["math.CO", "cs.DM"],
                        featuredAt: Fixtures.date("2026-11-21T10:00:00Z"), isHidden: false)
                ])
            #expect(after.last > before.last)
            #expect(after.last == (try await store.latestPaperChange()))
        },
        RoleCheck("an update is a change read once, at its latest state; an unchanged paper is none") { store in
            try await load(store)
            let start = try await store.latestPaperChange()
            #expect(try await store.upsert(Fixtures.corpus) == UpsertSummary(unchanged: Fixtures.corpus.count))
            #expect(try await store.latestPaperChange() == start)
            #expect(try await store.paperChanges(after: start, limit: 100).papers.isEmpty)

            var second = Fixtures.corpus[2]
            second.title = "Galaxy Spectra, Calibrated"
            second.versions.append(PaperVersion(number: 2, submitted: Fixtures.date("2026-11-22T00:00:00Z")))
            var third = second
            third.title = "Galaxy Spectra, Calibrated Twice"
            third.abstract = "The third abstract."
            third.versions.append(PaperVersion(number: 3, submitted: Fixtures.date("2026-11-23T00:00:00Z")))
            #expect(try await store.upsert([second]) == UpsertSummary(updated: 1))
            #expect(try await store.upsert([third]) == UpsertSummary(updated: 1))
            let changes = try await store.paperChanges(after: start, limit: 100)
            #expect(changes.papers.map(\.id.rawValue) == ["2611.00003"])
            #expect(changes.papers.map(\.title) == ["Galaxy Spectra, Calibrated Twice"])
            #expect(changes.papers.map(\.abstract) == ["The third abstract."])
            // Featured where it was first: a new version does not move the paper.
            #expect(changes.papers.map(\.featuredAt) == [Fixtures.date("2026-11-19T15:00:00Z")])
            #expect(changes.last > start)
            // An older record arriving late changes nothing.
            #expect(try await store.upsert([second]) == UpsertSummary(unchanged: 1))
            #expect(try await store.latestPaperChange() == changes.last)
        },
        RoleCheck("every paper of one batch is its own change") { store in
            try await store.migrate()
            _ = try await store.upsert(moreChanges)
            let all = try await store.paperChanges(after: 0, limit: 100)
            #expect(Set(all.papers.map(\.id)) == Set(moreChanges.map(\.id)))
            #expect(all.papers.count == moreChanges.count)
            // One by one: each read moves on by exactly one paper.
            var last: Int64 = 0
            var ones: [String] = []
            while true {
                let one = try await store.paperChanges(after: last, limit: 1)
                guard !one.papers.isEmpty else { break }
                #expect(one.papers.count == 1 && one.last > last)
                ones += one.papers.map(\.id.rawValue)
                last = one.last
            }
            #expect(ones == all.papers.map(\.id.rawValue))
        },
        RoleCheck("small pages read every change once, and a paper changed again once more") { store in
            try await load(store)
            _ = try await store.upsert(moreChanges)
            let everything = try await store.paperChanges(after: 0, limit: 100).papers.map(\.id.rawValue)
            #expect(everything.count == 25)
            var read: [String] = []
            var last: Int64 = 0
            for _ in 0..<3 {
                let page = try await store.paperChanges(after: last, limit: 3)
                read += page.papers.map(\.id.rawValue)
                last = page.last
            }
            #expect(read == Array(everything.prefix(9)))
            // Between pages: a paper read already and one not read yet change.
            let readAlready = everything[1]
            let notYet = everything[20]
            for id in [readAlready, notYet] {
                var changed = try #require(try await stored(store, id)).paper
                changed.title = "Changed \(id)"
                #expect(try await store.upsert([changed]) == UpsertSummary(updated: 1))
            }
            var pages = 0
            while true {
                let page = try await store.paperChanges(after: last, limit: 3)
                guard !page.papers.isEmpty else {
                    #expect(page.last == last)
                    break
                }
                #expect(page.papers.count <= 3 && page.last > last)
                read += page.papers.map(\.id.rawValue)
                last = page.last
                pages += 1
            }
            #expect(pages == 6)
            let expected = everything.filter { $0 != notYet } + [readAlready, notYet]
            #expect(read == expected)
            #expect(last == (try await store.latestPaperChange()))
            let latest = try await store.paperChanges(after: 0, limit: 100).papers
            #expect(latest.suffix(2).map(\.title) == ["Changed \(readAlready)", "Changed \(notYet)"])
        },
        RoleCheck("a limit below one reads one change") { store in
            try await load(store)
            #expect(try await store.paperChanges(after: 0, limit: 0).papers.count == 1)
            #expect(try await store.paperChanges(after: 0, limit: -5).papers.count == 1)
        },
    ]

    /// Opens stores of one backend by name: the same data under the same name (as a file opened again), a new store
    /// under a new one.
    public struct StoreOpener<Store>: Sendable {
        public let open: @Sendable (_ name: String) async throws -> Store

        public init(_ open: @escaping @Sendable (_ name: String) async throws -> Store) { self.open = open }
    }

    public static let changeFeedIdentity: [RoleCheck<StoreOpener<any ChangeFeed>>] = [
        RoleCheck("a store opened again keeps its identity and changes; another store has another identity") {
            stores in
            let first = try await stores.open("first")
            try await load(first)
            let identity = try await first.storeIdentity()
            let latest = try await first.latestPaperChange()
            let again = try await stores.open("first")
            try await again.migrate()
            #expect(try await again.storeIdentity() == identity)
            #expect(try await again.latestPaperChange() == latest)
            let other = try await stores.open("second")
            try await load(other)
            #expect(try await other.storeIdentity() != identity)
        }
    ]

    // MARK: The community's writes

    public static let changeFeedCommunity: [RoleCheck<any CommunityChangeFeed>] = [
        RoleCheck("hiding a paper is a change that marks it hidden; showing it again is another") { store in
            try await load(store)
            let start = try await store.latestPaperChange()
            let paper = id("2611.00002")
            #expect(try await store.setPaperHidden(paper, hidden: true, by: nil, at: t0) == true)
            let hidden = try await store.paperChanges(after: start, limit: 100)
            #expect(hidden.papers.map(\.id) == [paper])
            #expect(hidden.papers.map(\.isHidden) == [true])
            #expect(hidden.papers.map(\.title) == ["Quantum Error Correction at Scale"])
            // Hiding a hidden paper writes nothing.
            #expect(try await store.setPaperHidden(paper, hidden: true, by: nil, at: at(1)) == false)
            #expect(try await store.latestPaperChange() == hidden.last)
            #expect(try await store.setPaperHidden(paper, hidden: false, by: nil, at: at(2)) == true)
            let shown = try await store.paperChanges(after: hidden.last, limit: 100)
            #expect(shown.papers.map(\.id) == [paper])
            #expect(shown.papers.map(\.isHidden) == [false])
        },
        RoleCheck("a vote and its withdrawal are changes; a repeated vote is none") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let start = try await store.latestPaperChange()
            #expect(try await store.setVote(accountID: ada.id, paper: id("2611.00001"), up: true, at: t0)?.upvotes == 1)
            let voted = try await changedIDs(store, after: start)
            #expect(voted.ids == ["2611.00001"])
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00001"), up: true, at: at(1))
            #expect(try await store.latestPaperChange() == voted.last)
            #expect(
                try await store.setVote(accountID: ada.id, paper: id("2611.00001"), up: false, at: t0)?.upvotes == 0)
            #expect(try await changedIDs(store, after: voted.last).ids == ["2611.00001"])
        },
        RoleCheck("a deleted account's votes, submissions and claims are taken back, each paper a change") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            for paper in ["2611.00001", "2611.00002", "2611.00003"] {
                _ = try await store.setVote(accountID: ada.id, paper: id(paper), up: true, at: t0)
            }
            _ = try await store.submit(Submission(paper: id("2611.00004"), accountID: ada.id, at: t0))
            guard
                case .filed(let claim) = try await store.claimAuthorship(
                    paper: id("hep-th/9901001"), authorIndex: 0, accountID: ada.id, at: t0)
            else {
                Issue.record("the claim was not filed")
                return
            }
            _ = try await store.decideClaim(id: claim.id, accept: true, by: nil, at: t0)
            let start = try await store.latestPaperChange()
            #expect(try await store.deleteAccount(id: ada.id))
            let changes = try await store.paperChanges(after: start, limit: 100)
            #expect(Set(changes.papers.map(\.id)) == Set(Fixtures.corpus.map(\.id)))
            #expect(changes.papers.count == Fixtures.corpus.count)
            #expect(try await stored(store, "2611.00002")?.upvotes == 0)
        },
        RoleCheck("a comment and an accepted claim are changes of their paper") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada Lovelace"))
            let start = try await store.latestPaperChange()
            _ = try await store.addComment(paper: id("2611.00003"), accountID: ada.id, text: "Nice.", at: t0)
            let commented = try await changedIDs(store, after: start)
            #expect(commented.ids == ["2611.00003"])
            guard
                case .filed(let claim) = try await store.claimAuthorship(
                    paper: id("2611.00001"), authorIndex: 0, accountID: ada.id, at: t0)
            else {
                Issue.record("the claim was not filed")
                return
            }
            _ = try await store.decideClaim(id: claim.id, accept: true, by: nil, at: at(1))
            #expect(try await changedIDs(store, after: commented.last).ids == ["2611.00001"])
        },
    ]
}
