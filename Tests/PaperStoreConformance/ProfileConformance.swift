import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Profile = PaperProfileStore & ModerationStore & CommunityStore & AccountStore & PaperCatalog
        & PaperWriter & KeyedPapers & StoreMaintenance

    static func claimed(_ outcome: ClaimOutcome) -> AuthorClaim? {
        switch outcome {
        case .filed(let claim), .alreadyClaimed(let claim): claim
        case .takenByAnother, .unknownAuthor: nil
        }
    }

    static func organizationPapers(
        _ store: some PaperProfileStore, _ name: String, days: ClosedRange<Day>? = nil,
        sort: ListingSort = .publishedAt,
        offset: Int = 0, limit: Int = 10
    ) async throws -> ResultPage<StoredPaper> {
        try await store.papers(ofOrganization: name, days: days, sort: sort, offset: offset, limit: limit)
    }

    // MARK: PaperProfileStore

    public static let profile: [RoleCheck<any Profile>] = [
        RoleCheck("organisations are unique and listed by name, with their members") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let bob = try await store.createAccount(newAccount("bob", fullname: "Bob B."))
            let meta = Organization(name: "meta", fullname: "AI at Meta")
            let deepmind = Organization(name: "deepmind", fullname: "Google DeepMind")
            #expect(try await store.createOrganization(meta, at: t0) == meta)
            #expect(try await store.createOrganization(deepmind, at: t0) == deepmind)
            await #expect(throws: OrganizationExists()) {
                try await store.createOrganization(Organization(name: "meta", fullname: "Other"), at: at(1))
            }
            #expect(try await store.organization(name: "meta") == meta)
            #expect(try await store.organization(name: "nope") == nil)
            #expect(try await store.organizations(limit: 10) == [deepmind, meta])
            #expect(try await store.organizations(limit: 1) == [deepmind])

            #expect(try await store.setMember(accountID: bob.id, of: "meta", member: true) == true)
            #expect(try await store.setMember(accountID: ada.id, of: "meta", member: true) == true)
            #expect(try await store.setMember(accountID: ada.id, of: "meta", member: true) == false)
            #expect(try await store.setMember(accountID: ada.id, of: "deepmind", member: true) == true)
            #expect(try await store.setMember(accountID: ada.id, of: "nope", member: true) == nil)
            #expect(try await store.setMember(accountID: ada.id + 1000, of: "meta", member: true) == nil)
            #expect(
                try await store.members(of: "meta") == [
                    Person(username: "ada", fullname: "Ada L."), Person(username: "bob", fullname: "Bob B."),
                ])
            #expect(try await store.members(of: "nope") == [])
            #expect(try await store.organizations(accountID: ada.id) == [deepmind, meta])
            #expect(try await store.organizations(accountID: bob.id) == [meta])

            #expect(try await store.setMember(accountID: ada.id, of: "meta", member: false) == true)
            #expect(try await store.setMember(accountID: ada.id, of: "meta", member: false) == false)
            #expect(try await store.members(of: "meta") == [Person(username: "bob", fullname: "Bob B.")])
            #expect(try await store.organizations(accountID: ada.id) == [deepmind])
            // A deleted account leaves its organisations.
            #expect(try await store.deleteAccount(id: bob.id))
            #expect(try await store.members(of: "meta") == [])
        },
        RoleCheck("a paper's organisation shows in every read and lists the paper on the organisation's page") {
            store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let meta = try await store.createOrganization(Organization(name: "meta", fullname: "AI at Meta"), at: t0)
            _ = try await store.createOrganization(Organization(name: "empty", fullname: "Nobody"), at: t0)
            for paper in ["2611.00001", "2611.00002", "2611.00003"] {
                let linked = try await store.updatePaperLinks(id(paper), PaperLinksChange(organization: "meta"))
                #expect(linked?.organization == meta)
            }
            #expect(try await everyRead(store, "2611.00001").allSatisfy { $0?.organization == meta })
            #expect(try await store.paper(id: id("2611.00004"), audience: .everyone)?.organization == nil)
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00003"), up: true, at: t0)

            let all = try await organizationPapers(store, "meta")
            #expect(ids(all.items) == ["2611.00002", "2611.00001", "2611.00003"] && all.total == 3)
            let voted = try await organizationPapers(store, "meta", sort: .upvotes)
            #expect(ids(voted.items) == ["2611.00003", "2611.00002", "2611.00001"])
            let nov20 = Day(iso: "2026-11-20")!
            let day = try await organizationPapers(store, "meta", days: nov20...nov20)
            #expect(ids(day.items) == ["2611.00002", "2611.00001"] && day.total == 2)
            let paged = try await organizationPapers(store, "meta", offset: 1, limit: 1)
            #expect(ids(paged.items) == ["2611.00001"] && paged.total == 3)
            #expect(try await organizationPapers(store, "empty").total == 0)
            #expect(try await organizationPapers(store, "nope").total == 0)
            _ = try await store.setPaperHidden(id("2611.00002"), hidden: true, by: nil, at: t0)
            let visible = try await organizationPapers(store, "meta")
            #expect(ids(visible.items) == ["2611.00001", "2611.00003"] && visible.total == 2)

            // Cleared with .some(nil); a missing organisation changes nothing.
            let cleared = try await store.updatePaperLinks(id("2611.00001"), PaperLinksChange(organization: .some(nil)))
            #expect(cleared != nil && cleared?.organization == nil)
            #expect(ids(try await organizationPapers(store, "meta").items) == ["2611.00003"])
            await #expect(throws: UnknownOrganization(name: "nope")) {
                try await store.updatePaperLinks(id("2611.00003"), PaperLinksChange(organization: "nope"))
            }
            #expect(try await store.paper(id: id("2611.00003"), audience: .everyone)?.organization == meta)
            #expect(try await store.updatePaperLinks(id("2611.09999"), PaperLinksChange(organization: "meta")) == nil)
        },
        RoleCheck("code and project links are set, kept when not named, and cleared") { store in
            try await load(store)
            let paper = id("hep-th/9901001")
            let repo = "https://github.com/witten/strings"
            let page = "https://strings.example.org/"
            let set = try #require(
                try await store.updatePaperLinks(paper, PaperLinksChange(githubRepo: repo, projectPage: page)))
            #expect(set.githubRepo == repo && set.projectPage == page)
            #expect(try await everyRead(store, "hep-th/9901001").allSatisfy { $0?.githubRepo == repo })
            let unchanged = try #require(try await store.updatePaperLinks(paper, PaperLinksChange()))
            #expect(unchanged == set)
            let other = "https://github.com/witten/light-cone"
            let moved = try #require(try await store.updatePaperLinks(paper, PaperLinksChange(githubRepo: other)))
            #expect(moved.githubRepo == other && moved.projectPage == page)
            let cleared = try #require(
                try await store.updatePaperLinks(
                    paper, PaperLinksChange(githubRepo: .some(nil), projectPage: .some(nil))))
            #expect(cleared.githubRepo == nil && cleared.projectPage == nil)
            #expect(cleared.paper.title == "Strings on the Light Cone")
            #expect(try await store.paper(id: id("2611.00001"), audience: .everyone)?.githubRepo == nil)
            #expect(try await store.updatePaperLinks(id("2611.09999"), PaperLinksChange(githubRepo: repo)) == nil)
        },
        RoleCheck("a claim is filed once per user and paper; a taken position is refused; a refused one is free") {
            store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let bob = try await store.createAccount(newAccount("bob", fullname: "Bob B."))
            let carol = try await store.createAccount(newAccount("carol"))
            let mod = try await store.createAccount(newAccount("mod", fullname: "Mo D.", role: .moderator))
            let paper = id("2611.00001")  // Ada Lovelace, Alan Turing
            let outcome = try await store.claimAuthorship(paper: paper, authorIndex: 0, accountID: ada.id, at: t0)
            let filed = try #require(claimed(outcome))
            #expect(outcome == .filed(filed))
            #expect(
                filed
                    == AuthorClaim(
                        id: filed.id, paper: paper, authorIndex: 0, authorName: "Ada Lovelace", accountID: ada.id,
                        claimant: Person(username: "ada", fullname: "Ada L."), status: .pending, createdAt: t0))
            // Again, at any position: the first claim, unchanged.
            #expect(
                try await store.claimAuthorship(paper: paper, authorIndex: 1, accountID: ada.id, at: at(1))
                    == .alreadyClaimed(filed))
            #expect(
                try await store.claimAuthorship(paper: paper, authorIndex: 0, accountID: bob.id, at: at(1))
                    == .takenByAnother)
            for index in [2, -1, Int.max] {
                #expect(
                    try await store.claimAuthorship(paper: paper, authorIndex: index, accountID: bob.id, at: at(1))
                        == .unknownAuthor)
            }
            #expect(
                try await store.claimAuthorship(paper: id("2611.09999"), authorIndex: 0, accountID: bob.id, at: at(1))
                    == .unknownAuthor)
            #expect(try await store.claim(id: filed.id) == filed)
            #expect(try await store.claim(id: filed.id + 1000) == nil)

            let refused = try #require(try await store.decideClaim(id: filed.id, accept: false, by: mod.id, at: at(2)))
            var expected = filed
            expected.status = .refused
            expected.decidedAt = at(2)
            expected.decidedBy = Person(username: "mod", fullname: "Mo D.")
            #expect(refused == expected)
            #expect(try await store.decideClaim(id: filed.id, accept: true, by: mod.id, at: at(3)) == nil)
            #expect(try await store.decideClaim(id: filed.id + 1000, accept: true, by: mod.id, at: at(3)) == nil)
            // The refused position is free for others; the refused user keeps their one claim.
            let bobs = try #require(
                claimed(try await store.claimAuthorship(paper: paper, authorIndex: 0, accountID: bob.id, at: at(4))))
            #expect(bobs.status == .pending && bobs.authorIndex == 0 && bobs.accountID == bob.id)
            #expect(
                try await store.claimAuthorship(paper: paper, authorIndex: 0, accountID: ada.id, at: at(4))
                    == .alreadyClaimed(refused))
            let accepted = try #require(try await store.decideClaim(id: bobs.id, accept: true, by: nil, at: at(5)))
            #expect(accepted.status == .accepted && accepted.decidedAt == at(5) && accepted.decidedBy == nil)
            #expect(
                try await store.claimAuthorship(paper: paper, authorIndex: 0, accountID: carol.id, at: at(6))
                    == .takenByAnother)
            let carols = try #require(
                claimed(try await store.claimAuthorship(paper: paper, authorIndex: 1, accountID: carol.id, at: at(6))))
            #expect(carols.authorName == "Alan Turing")

            #expect(try await store.claims(status: .pending, limit: 10) == [carols])
            #expect(try await store.claims(status: .accepted, limit: 10) == [accepted])
            #expect(try await store.claims(status: .refused, limit: 10) == [refused])
            #expect(try await store.claims(accountID: ada.id) == [refused])
            #expect(try await store.claims(accountID: mod.id) == [])
            #expect(
                try await logged(store) == [
                    ModerationAction(
                        id: 0, actor: nil, action: "claim.accept", target: "claim:\(bobs.id)", detail: "2611.00001",
                        at: at(5)),
                    ModerationAction(
                        id: 0, actor: Person(username: "mod", fullname: "Mo D."), action: "claim.refuse",
                        target: "claim:\(filed.id)", detail: "2611.00001", at: at(2)),
                ])
        },
        RoleCheck("pending claims are listed oldest first, a user's claims newest first") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            let a1 = claimed(
                try await store.claimAuthorship(paper: id("2611.00004"), authorIndex: 1, accountID: ada.id, at: at(2)))
            let b1 = claimed(
                try await store.claimAuthorship(paper: id("2611.00002"), authorIndex: 1, accountID: bob.id, at: at(1)))
            let a2 = claimed(
                try await store.claimAuthorship(paper: id("2611.00001"), authorIndex: 0, accountID: ada.id, at: at(3)))
            #expect(try await store.claims(status: .pending, limit: 10) == [b1, a1, a2].compactMap { $0 })
            #expect(try await store.claims(status: .pending, limit: 2) == [b1, a1].compactMap { $0 })
            #expect(try await store.claims(accountID: ada.id) == [a2, a1].compactMap { $0 })
            #expect(try await store.claims(status: .accepted, limit: 10) == [])
        },
        RoleCheck("an accepted claim shows on the paper in every read and lists it for the claimant") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let bob = try await store.createAccount(newAccount("bob", fullname: "Bob B."))
            var accept: [Int64] = []
            for (paper, index, account) in [
                ("2611.00001", 0, ada.id), ("2611.00004", 1, ada.id), ("2611.00001", 1, bob.id),
            ] {
                let claim = try #require(
                    claimed(
                        try await store.claimAuthorship(
                            paper: id(paper), authorIndex: index, accountID: account, at: t0)))
                accept.append(claim.id)
            }
            _ = try await store.claimAuthorship(paper: id("2611.00002"), authorIndex: 0, accountID: ada.id, at: t0)
            #expect(try await store.papers(claimedBy: ada.id, offset: 0, limit: 10).total == 0)
            #expect(try await everyRead(store, "2611.00001").allSatisfy { $0?.claimedAuthors == [] })
            for claim in accept { _ = try await store.decideClaim(id: claim, accept: true, by: nil, at: at(1)) }

            let adaPerson = Person(username: "ada", fullname: "Ada L.")
            let bobPerson = Person(username: "bob", fullname: "Bob B.")
            let both = [ClaimedAuthor(index: 0, person: adaPerson), ClaimedAuthor(index: 1, person: bobPerson)]
            #expect(try await everyRead(store, "2611.00001").allSatisfy { $0?.claimedAuthors == both })
            let paper = try #require(try await store.paper(id: id("2611.00001"), audience: .everyone))
            #expect(paper.claimant(ofAuthor: 0) == adaPerson && paper.claimant(ofAuthor: 1) == bobPerson)
            #expect(!paper.authorParticipating)
            // The pending claim on 2611.00002 shows nowhere.
            #expect(try await store.paper(id: id("2611.00002"), audience: .everyone)?.claimedAuthors == [])

            let claimedByAda = try await store.papers(claimedBy: ada.id, offset: 0, limit: 10)
            #expect(ids(claimedByAda.items) == ["2611.00001", "2611.00004"] && claimedByAda.total == 2)
            let paged = try await store.papers(claimedBy: ada.id, offset: 1, limit: 1)
            #expect(ids(paged.items) == ["2611.00004"] && paged.total == 2)
            #expect(ids(try await store.papers(claimedBy: bob.id, offset: 0, limit: 10).items) == ["2611.00001"])
            _ = try await store.setPaperHidden(id("2611.00004"), hidden: true, by: nil, at: t0)
            let visible = try await store.papers(claimedBy: ada.id, offset: 0, limit: 10)
            #expect(ids(visible.items) == ["2611.00001"] && visible.total == 1)

            // A deleted account's claims go; the claims it decided stay, without a decider.
            #expect(try await store.deleteAccount(id: ada.id))
            #expect(
                try await everyRead(store, "2611.00001").allSatisfy {
                    $0?.claimedAuthors == [ClaimedAuthor(index: 1, person: bobPerson)]
                })
            #expect(try await store.claims(accountID: ada.id) == [])
            #expect(try await store.papers(claimedBy: ada.id, offset: 0, limit: 10).total == 0)
            #expect(try await store.claims(status: .pending, limit: 10) == [])
        },
        RoleCheck("a decider's deleted account leaves the claims it decided and the log without a name") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let mod = try await store.createAccount(newAccount("mod", role: .moderator))
            let claim = try #require(
                claimed(
                    try await store.claimAuthorship(paper: id("2611.00001"), authorIndex: 0, accountID: ada.id, at: t0))
            )
            #expect(
                try await store.decideClaim(id: claim.id, accept: true, by: mod.id, at: at(1))?.decidedBy?.username
                    == "mod")
            #expect(try await store.deleteAccount(id: mod.id))
            let kept = try #require(try await store.claim(id: claim.id))
            #expect(kept.status == .accepted && kept.decidedAt == at(1) && kept.decidedBy == nil)
            #expect(try await logged(store).map(\.actor) == [nil])
            #expect(
                try await store.paper(id: id("2611.00001"), audience: .everyone)?.claimedAuthors.map(\.index) == [0])
        },
        RoleCheck(
            "a paper's key sentence is its abstract's first sentence until refined; summaries reset when it changes"
        ) {
            store in
            try await load(store)
            let two = Fixtures.paper(
                "2611.00020", title: "Two sentences", abstract: "First sentence here. Second one follows.",
                versions: [(1, "2026-11-21T10:00:00Z")])
            _ = try await store.upsert([two])
            let stored = try #require(try await store.paper(id: id("2611.00020"), audience: .everyone))
            #expect(stored.keySentence == "First sentence here.")
            #expect(stored.keywords == [])
            #expect(
                try await store.paper(id: id("2611.00001"), audience: .everyone)?.keySentence
                    == "We revisit the transformer architecture for language models.")

            // Every paper lacks keywords; the walk goes by key, `scan` at a time.
            var keys: [PaperKey] = []
            for paper in Fixtures.corpus + [two] { keys.append(try #require(try await store.key(of: paper.id))) }
            keys.sort()
            #expect(keys.count == 6)
            let walk = try await store.papersWithoutKeywords(after: 0, scan: 100)
            #expect(walk.papers.map(\.key) == keys && walk.last == nil)
            let firstPage = try await store.papersWithoutKeywords(after: 0, scan: 2)
            #expect(firstPage.papers.map(\.key) == Array(keys.prefix(2)) && firstPage.last == keys[1])
            let twoKey = try #require(try await store.key(of: two.id))
            #expect(walk.papers.first { $0.key == twoKey }?.paper == two)

            try await store.saveSummaries([
                PaperSummary(key: twoKey, sentence: "Second one follows.", keywords: ["second one", "sentence"])
            ])
            let summarised = try #require(try await store.paper(id: two.id, audience: .everyone))
            #expect(summarised.keySentence == "Second one follows.")
            #expect(summarised.keywords == ["second one", "sentence"])
            #expect(try await everyRead(store, "2611.00020").allSatisfy { $0?.keywords == ["second one", "sentence"] })
            #expect(
                try await store.papersWithoutKeywords(after: 0, scan: 100).papers.map(\.key)
                    == keys.filter { $0 != twoKey })
            try await store.saveSummaries([])

            // The same record, or a new version with the same abstract, keeps the summary.
            #expect(try await store.upsert([two]) == UpsertSummary(unchanged: 1))
            var retitled = two
            retitled.title = "Two sentences, retitled"
            retitled.versions.append(PaperVersion(number: 2, submitted: Fixtures.date("2026-11-22T10:00:00Z")))
            #expect(try await store.upsert([retitled]) == UpsertSummary(updated: 1))
            #expect(try await store.paper(id: two.id, audience: .everyone)?.keywords == ["second one", "sentence"])
            // A new abstract resets both.
            var rewritten = retitled
            rewritten.abstract = "Entirely new text! It replaces the old."
            rewritten.versions.append(PaperVersion(number: 3, submitted: Fixtures.date("2026-11-23T10:00:00Z")))
            #expect(try await store.upsert([rewritten]) == UpsertSummary(updated: 1))
            let reset = try #require(try await store.paper(id: two.id, audience: .everyone))
            #expect(reset.keySentence == "Entirely new text!")
            #expect(reset.keywords == [])
            #expect(try await store.papersWithoutKeywords(after: 0, scan: 100).papers.map(\.key) == keys)
        },
    ]
}
