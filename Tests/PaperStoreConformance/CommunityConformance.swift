import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Community = CommunityStore & AccountStore & PaperCatalog & PaperWriter & KeyedPapers
        & StoreMaintenance

    static func id(_ text: String) -> PaperID { PaperID(storedValue: text) }

    /// Every read of a paper a page may use, by id: the paper, its day, its authors, its categories, the walk over
    /// all papers and the search by keys.
    static func everyRead(_ store: some Community, _ paper: String) async throws -> [StoredPaper?] {
        let one = try #require(try await store.paper(id: id(paper), audience: .everyone))
        let day = one.paper.featuredDay
        let listing = try await store.listing(days: day...day, sort: .publishedAt, offset: 0, limit: 100).items
        let author = try await store.papers(byAuthor: one.paper.authors[0], offset: 0, limit: 100).items
        let category = try await store.papers(inCategory: one.paper.categories[0], offset: 0, limit: 100).items
        let all = try await store.allPapers(after: nil, limit: 100).papers
        let key = try #require(try await store.key(of: id(paper)))
        let keyed = try await store.papers(keys: [key])[key]
        let find: ([StoredPaper]) -> StoredPaper? = { $0.first { $0.paper.id.rawValue == paper } }
        return [one, find(listing), find(author), find(category), find(all), keyed]
    }

    /// Trending papers: the corpus (2026-11-18 to -20) and a few more around the window's ends.
    static let trendingCorpus: [Paper] =
        Fixtures.corpus + [
            Fixtures.paper("2611.00010", title: "Ten", versions: [(1, "2026-11-16T00:00:00Z")]),
            Fixtures.paper("2611.00011", title: "Eleven", versions: [(1, "2026-11-16T00:00:00Z")]),
            // Exactly a window (7 days) before the reference: outside.
            Fixtures.paper("2611.00012", title: "Twelve", versions: [(1, "2026-11-14T00:00:00Z")]),
            // Exactly at the reference: inside.
            Fixtures.paper("2611.00013", title: "Thirteen", versions: [(1, "2026-11-21T00:00:00Z")]),
            // After the reference: outside.
            Fixtures.paper("2611.00014", title: "Fourteen", versions: [(1, "2026-11-21T00:00:01Z")]),
        ]

    /// Accounts `prefix0`, `prefix1`, ... made one after another.
    static func accounts(_ store: some AccountStore, _ count: Int, prefix: String = "user") async throws -> [Account] {
        var made: [Account] = []
        for n in 0..<count { made.append(try await store.createAccount(newAccount("\(prefix)\(n)"))) }
        return made
    }

    // MARK: CommunityStore

    public static let community: [RoleCheck<any Community>] = [
        RoleCheck("a vote counts once: voting twice or removing a vote never cast changes nothing") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            let paper = id("2611.00001")
            #expect(
                try await store.setVote(accountID: ada.id, paper: paper, up: false, at: t0)
                    == VoteState(upvotes: 0, upvoted: false))
            #expect(
                try await store.setVote(accountID: ada.id, paper: paper, up: true, at: t0)
                    == VoteState(upvotes: 1, upvoted: true))
            #expect(
                try await store.setVote(accountID: ada.id, paper: paper, up: true, at: at(1))
                    == VoteState(upvotes: 1, upvoted: true))
            #expect(
                try await store.setVote(accountID: bob.id, paper: paper, up: false, at: t0)
                    == VoteState(upvotes: 1, upvoted: false))
            #expect(
                try await store.setVote(accountID: bob.id, paper: paper, up: true, at: t0)
                    == VoteState(upvotes: 2, upvoted: true))
            #expect(try await store.paper(id: paper, audience: .everyone)?.upvotes == 2)
            #expect(
                try await store.setVote(accountID: ada.id, paper: paper, up: false, at: t0)
                    == VoteState(upvotes: 1, upvoted: false))
            #expect(
                try await store.setVote(accountID: ada.id, paper: paper, up: false, at: t0)
                    == VoteState(upvotes: 1, upvoted: false))
            #expect(try await store.paper(id: paper, audience: .everyone)?.upvotes == 1)
            #expect(try await store.paper(id: id("2611.00002"), audience: .everyone)?.upvotes == 0)
            // The vote keeps the time it was cast (the second vote changed nothing).
            #expect(try await store.votes(accountID: bob.id) == [UserPaperEvent(paper: paper, at: t0)])
            #expect(try await store.votes(accountID: ada.id).isEmpty)
        },
        RoleCheck("a vote on an unknown paper gives nil and counts nowhere") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            #expect(try await store.setVote(accountID: ada.id, paper: id("2611.09999"), up: true, at: t0) == nil)
            #expect(try await store.setVote(accountID: ada.id, paper: id("2611.09999"), up: false, at: t0) == nil)
            #expect(try await store.votes(accountID: ada.id).isEmpty)
            #expect(
                try await store.listing(days: ListingPeriod.everything, sort: .upvotes, offset: 0, limit: 10)
                    .items.allSatisfy { $0.upvotes == 0 })
        },
        RoleCheck("100 users voting at once give exactly 100, and 50 taking theirs back at once leave 50") { store in
            try await load(store)
            let voters = try await accounts(store, 100)
            let paper = id("2611.00002")
            let states = try await withThrowingTaskGroup(of: VoteState?.self) { group in
                for voter in voters {
                    group.addTask { try await store.setVote(accountID: voter.id, paper: paper, up: true, at: t0) }
                }
                var all: [VoteState?] = []
                for try await state in group { all.append(state) }
                return all
            }
            #expect(states.count == 100)
            #expect(states.allSatisfy { $0?.upvoted == true })
            #expect(Set(states.compactMap { $0?.upvotes }) == Set(1...100))
            #expect(try await store.paper(id: paper, audience: .everyone)?.upvotes == 100)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for voter in voters.prefix(50) {
                    group.addTask {
                        _ = try await store.setVote(accountID: voter.id, paper: paper, up: false, at: t0)
                        _ = try await store.setVote(accountID: voter.id, paper: paper, up: false, at: t0)
                    }
                }
                for voter in voters.suffix(50) {
                    group.addTask { _ = try await store.setVote(accountID: voter.id, paper: paper, up: true, at: t0) }
                }
                try await group.waitForAll()
            }
            #expect(try await store.paper(id: paper, audience: .everyone)?.upvotes == 50)
        },
        RoleCheck("a user's votes are found among a page of papers") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00001"), up: true, at: t0)
            _ = try await store.setVote(accountID: ada.id, paper: id("hep-th/9901001"), up: true, at: t0)
            _ = try await store.setVote(accountID: bob.id, paper: id("2611.00003"), up: true, at: t0)
            let page = ["2611.00001", "2611.00002", "2611.00003", "hep-th/9901001", "2611.09999"].map(id)
            #expect(
                try await store.votedPapers(accountID: ada.id, among: page) == [id("2611.00001"), id("hep-th/9901001")])
            #expect(try await store.votedPapers(accountID: bob.id, among: page) == [id("2611.00003")])
            #expect(try await store.votedPapers(accountID: ada.id, among: []) == [])
            #expect(try await store.votedPapers(accountID: ada.id + 1000, among: page) == [])
        },
        RoleCheck("a submission features the paper at its time, with its submitter, in every read") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let paper = id("2611.00003")
            #expect(try await everyRead(store, "2611.00003").allSatisfy { $0 != nil && $0?.submittedBy == nil })
            let at = Fixtures.date("2026-11-25T08:30:00Z")
            let outcome = try await store.submit(Submission(paper: paper, accountID: ada.id, at: at, comment: "Neat"))
            guard case .submitted(let submitted) = outcome else {
                Issue.record("expected .submitted, got \(outcome)")
                return
            }
            #expect(submitted.paper.featuredAt == at)
            #expect(submitted.paper.featuredDay == Day(iso: "2026-11-25"))
            #expect(submitted.submittedBy == Person(username: "ada", fullname: "Ada L."))
            let reads = try await everyRead(store, "2611.00003")
            #expect(reads.count == 6)
            #expect(reads.allSatisfy { $0 == submitted })
            // The listing day moved: the paper left 2026-11-19 for 2026-11-25.
            let old = Day(iso: "2026-11-19")!
            #expect(try await store.listing(days: old...old, sort: .publishedAt, offset: 0, limit: 10).total == 0)
            let new = Day(iso: "2026-11-25")!
            #expect(
                ids(try await store.listing(days: new...new, sort: .upvotes, offset: 0, limit: 10).items) == [
                    "2611.00003"
                ])
            #expect(try await store.newestDay() == new)
            // Category pages list newest featured first: the submitted paper is now ahead of 2611.00001.
            #expect(
                ids(try await store.papers(inCategory: "cs.LG", offset: 0, limit: 10).items) == [
                    "2611.00003", "2611.00001",
                ])
            #expect(try await store.papers(inCategory: "cs.LG", offset: 0, limit: 10).total == 2)
            #expect(try await store.papers(byAuthor: "Vera Rubin", offset: 0, limit: 10).total == 1)
            #expect(
                try await store.submissions(accountID: ada.id) == [
                    UserPaperEvent(paper: paper, at: at, comment: "Neat")
                ])
            // Unsubmitted papers still carry no submitter.
            #expect(try await store.paper(id: id("2611.00001"), audience: .everyone)?.submittedBy == nil)
        },
        RoleCheck("a harvest of a submitted paper keeps its featured time, submitter and votes") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let at = Fixtures.date("2026-11-25T08:30:00Z")
            _ = try await store.submit(Submission(paper: id("2611.00003"), accountID: ada.id, at: at))
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00003"), up: true, at: at)
            // The same record again changes nothing; a new version updates the metadata only.
            #expect(try await store.upsert(Fixtures.corpus) == UpsertSummary(unchanged: Fixtures.corpus.count))
            let v2 = Fixtures.paper(
                "2611.00003", title: "Galaxy Spectra, Revised", authors: ["Vera Rubin"],
                categories: ["astro-ph.GA", "cs.LG"],
                versions: [(1, "2026-11-19T15:00:00Z"), (2, "2026-11-26T09:00:00Z")])
            #expect(try await store.upsert([v2]) == UpsertSummary(updated: 1))
            let stored = try #require(try await store.paper(id: id("2611.00003"), audience: .everyone))
            #expect(stored.paper.title == "Galaxy Spectra, Revised")
            #expect(stored.paper.featuredAt == at)
            #expect(stored.paper.versions.map(\.number) == [1, 2])
            #expect(stored.submittedBy?.username == "ada")
            #expect(stored.upvotes == 1)
            let day = Day(iso: "2026-11-25")!
            #expect(
                ids(try await store.listing(days: day...day, sort: .publishedAt, offset: 0, limit: 10).items) == [
                    "2611.00003"
                ])
            #expect(
                ids(try await store.papers(inCategory: "cs.LG", offset: 0, limit: 10).items) == [
                    "2611.00003", "2611.00001",
                ])
        },
        RoleCheck("a paper is submitted once; an unknown paper cannot be") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            let first = try await store.submit(Submission(paper: id("2611.00001"), accountID: ada.id, at: t0))
            guard case .submitted(let paper) = first else {
                Issue.record("expected .submitted, got \(first)")
                return
            }
            let again = try await store.submit(
                Submission(paper: id("2611.00001"), accountID: bob.id, at: at(5), comment: "me too"))
            #expect(again == .alreadySubmitted(paper))
            #expect(try await store.paper(id: id("2611.00001"), audience: .everyone)?.paper.featuredAt == t0)
            #expect(try await store.submissions(accountID: bob.id).isEmpty)
            #expect(
                try await store.submit(Submission(paper: id("2611.09999"), accountID: ada.id, at: t0)) == .unknownPaper)
        },
        RoleCheck("submissions are counted per user since a time") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            _ = try await store.submit(Submission(paper: id("2611.00001"), accountID: ada.id, at: at(-30)))
            _ = try await store.submit(Submission(paper: id("2611.00002"), accountID: ada.id, at: at(-2)))
            _ = try await store.submit(Submission(paper: id("2611.00003"), accountID: ada.id, at: t0))
            _ = try await store.submit(Submission(paper: id("2611.00004"), accountID: bob.id, at: t0))
            #expect(try await store.submissionCount(accountID: ada.id, since: at(-24)) == 2)
            #expect(try await store.submissionCount(accountID: ada.id, since: t0) == 1)
            #expect(try await store.submissionCount(accountID: ada.id, since: at(-100)) == 3)
            #expect(try await store.submissionCount(accountID: bob.id, since: at(-24)) == 1)
            #expect(try await store.submissionCount(accountID: bob.id, since: at(1)) == 0)
        },
        RoleCheck("a user's submitted papers are listed by day and order") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            _ = try await store.submit(
                Submission(paper: id("2611.00001"), accountID: ada.id, at: Fixtures.date("2026-11-24T10:00:00Z")))
            _ = try await store.submit(
                Submission(paper: id("2611.00002"), accountID: ada.id, at: Fixtures.date("2026-11-25T10:00:00Z")))
            _ = try await store.submit(
                Submission(paper: id("2611.00003"), accountID: ada.id, at: Fixtures.date("2026-11-25T11:00:00Z")))
            _ = try await store.submit(
                Submission(paper: id("2611.00004"), accountID: bob.id, at: Fixtures.date("2026-11-25T12:00:00Z")))
            _ = try await store.setVote(accountID: bob.id, paper: id("2611.00002"), up: true, at: t0)
            let all = try await store.papers(
                submittedBy: "ada", days: ListingPeriod.everything, sort: .publishedAt, offset: 0, limit: 10)
            #expect(ids(all.items) == ["2611.00003", "2611.00002", "2611.00001"])
            #expect(all.total == 3)
            #expect(all.items.allSatisfy { $0.submittedBy?.username == "ada" })
            let day = Day(iso: "2026-11-25")!
            let voted = try await store.papers(
                submittedBy: "ada", days: day...day, sort: .upvotes, offset: 0, limit: 10)
            #expect(ids(voted.items) == ["2611.00002", "2611.00003"])
            let paged = try await store.papers(submittedBy: "ada", days: day...day, sort: .upvotes, offset: 1, limit: 1)
            #expect(ids(paged.items) == ["2611.00003"] && paged.total == 2)
            #expect(
                try await store.papers(
                    submittedBy: "nobody", days: ListingPeriod.everything, sort: .publishedAt, offset: 0, limit: 10
                ).total == 0)
            #expect(
                try await store.papers(
                    submittedBy: "' OR 1=1 --", days: ListingPeriod.everything, sort: .publishedAt, offset: 0, limit: 10
                ).total == 0)
        },
        RoleCheck("trending ranks by votes and age within the window, then newest, then by id") { store in
            try await load(store, trendingCorpus)
            let voters = try await accounts(store, 3)
            for voter in voters {
                _ = try await store.setVote(accountID: voter.id, paper: id("2611.00003"), up: true, at: t0)
            }
            _ = try await store.setVote(accountID: voters[0].id, paper: id("2611.00001"), up: true, at: t0)
            _ = try await store.setVote(accountID: voters[0].id, paper: id("2611.00002"), up: true, at: t0)
            _ = try await store.setVote(accountID: voters[0].id, paper: id("2611.00012"), up: true, at: t0)
            _ = try await store.setVote(accountID: voters[0].id, paper: id("2611.00014"), up: true, at: t0)
            let reference = Fixtures.date("2026-11-21T00:00:00Z")
            let week = Duration.seconds(7 * 86_400)
            // 1.5: 00002 1/14.5^1.5 = 0.0181, 00003 3/35^1.5 = 0.0145, 00001 1/17^1.5 = 0.0143, then 0 newest first.
            let ranked = try await store.trending(
                reference: reference, window: week, gravity: 1.5, offset: 0, limit: 20)
            #expect(
                ids(ranked.items) == [
                    "2611.00002", "2611.00003", "2611.00001", "2611.00013", "2611.00004", "2611.00011", "2611.00010",
                ])
            #expect(ranked.total == 7)
            let page = try await store.trending(reference: reference, window: week, gravity: 1.5, offset: 2, limit: 2)
            #expect(ids(page.items) == ["2611.00001", "2611.00013"])
            #expect(page.total == 7 && page.hasMore)
            // Without gravity the score is the count: ties go to the newer paper.
            let byVotes = try await store.trending(reference: reference, window: week, gravity: 0, offset: 0, limit: 3)
            #expect(ids(byVotes.items) == ["2611.00003", "2611.00002", "2611.00001"])
            // A day's window holds only the papers of the last 24 hours.
            let day = try await store.trending(
                reference: reference, window: .seconds(86_400), gravity: 1.5, offset: 0, limit: 20)
            #expect(ids(day.items) == ["2611.00002", "2611.00001", "2611.00013"])
            #expect(day.total == 3)
            #expect(
                try await store.trending(reference: t0, window: .seconds(3600), gravity: 1.5, offset: 0, limit: 5).total
                    == 0)
        },
        RoleCheck("trending with an absurd gravity or window answers without failing") { store in
            try await load(store, trendingCorpus)
            let ada = try await store.createAccount(newAccount("ada"))
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00003"), up: true, at: t0)
            let reference = Fixtures.date("2026-11-21T00:00:00Z")
            let week = Duration.seconds(7 * 86_400)
            for gravity in [Double.nan, .infinity, -.infinity, -1e300, 1e300] {
                let page = try await store.trending(
                    reference: reference, window: week, gravity: gravity, offset: 0, limit: 20)
                #expect(page.total == 7)
                #expect(Set(ids(page.items)).count == 7)
            }
            let forever = try await store.trending(
                reference: reference, window: .seconds(Int64.max), gravity: 1.5, offset: 0, limit: 20)
            #expect(forever.total == 9)
            #expect(
                try await store.trending(reference: reference, window: .seconds(-5), gravity: 1.5, offset: 0, limit: 20)
                    .total == 0)
        },
        RoleCheck("a deleted account's votes leave the counts; its submissions stay without a submitter") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            for paper in ["2611.00001", "2611.00002"] {
                _ = try await store.setVote(accountID: ada.id, paper: id(paper), up: true, at: t0)
            }
            _ = try await store.setVote(accountID: bob.id, paper: id("2611.00001"), up: true, at: t0)
            let at = Fixtures.date("2026-11-25T08:30:00Z")
            _ = try await store.submit(Submission(paper: id("2611.00003"), accountID: ada.id, at: at, comment: "c"))
            #expect(try await store.deleteAccount(id: ada.id))
            #expect(try await store.paper(id: id("2611.00001"), audience: .everyone)?.upvotes == 1)
            #expect(try await store.paper(id: id("2611.00002"), audience: .everyone)?.upvotes == 0)
            #expect(try await store.votes(accountID: ada.id).isEmpty)
            #expect(try await store.votes(accountID: bob.id).map(\.paper) == [id("2611.00001")])
            #expect(try await store.votedPapers(accountID: ada.id, among: [id("2611.00001"), id("2611.00002")]) == [])
            let submitted = try #require(try await store.paper(id: id("2611.00003"), audience: .everyone))
            #expect(submitted.paper.featuredAt == at)
            #expect(submitted.submittedBy == nil)
            #expect(try await everyRead(store, "2611.00003").allSatisfy { $0 == submitted })
            #expect(try await store.submissions(accountID: ada.id).isEmpty)
            // The submission stays: nobody can submit the paper again.
            guard
                case .alreadySubmitted = try await store.submit(
                    Submission(paper: id("2611.00003"), accountID: bob.id, at: t0))
            else {
                Issue.record("a deleted account's submission should still count")
                return
            }
            // A new account of the same name is somebody else: it has no votes and no submissions.
            let again = try await store.createAccount(newAccount("ada"))
            #expect(try await store.votes(accountID: again.id).isEmpty)
            #expect(
                try await store.papers(
                    submittedBy: "ada", days: ListingPeriod.everything, sort: .publishedAt, offset: 0, limit: 10
                ).total == 0)
        },
        RoleCheck("a user's votes and submissions are exported oldest first, comments stored literally") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00002"), up: true, at: at(2))
            _ = try await store.setVote(accountID: ada.id, paper: id("hep-th/9901001"), up: true, at: at(1))
            let comment = "'); DROP TABLE submissions; -- <script>alert(1)</script>"
            _ = try await store.submit(
                Submission(paper: id("2611.00004"), accountID: ada.id, at: at(3), comment: comment))
            _ = try await store.submit(Submission(paper: id("2611.00001"), accountID: ada.id, at: at(0)))
            #expect(
                try await store.votes(accountID: ada.id) == [
                    UserPaperEvent(paper: id("hep-th/9901001"), at: at(1)),
                    UserPaperEvent(paper: id("2611.00002"), at: at(2)),
                ])
            #expect(
                try await store.submissions(accountID: ada.id) == [
                    UserPaperEvent(paper: id("2611.00001"), at: at(0)),
                    UserPaperEvent(paper: id("2611.00004"), at: at(3), comment: comment),
                ])
        },
    ]
}
