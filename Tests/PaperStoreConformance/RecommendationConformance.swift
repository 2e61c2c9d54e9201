import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Recommendations = RecommendationStore & CommunityStore & CollectionStore & PaperProfileStore
        & ModerationStore & AccountStore & PaperCatalog & PaperWriter & KeyedPapers & StoreMaintenance

    static func liked(_ store: some Recommendations, _ account: Account) async throws -> [String] {
        try await store.tasteSignals(accountID: account.id).liked.map { "\($0.id.rawValue) \($0.kind.rawValue)" }
    }

    // MARK: RecommendationStore

    public static let recommendations: [RoleCheck<any Recommendations>] = [
        RoleCheck("every kind of signal is read, one per paper, newest first, one person's only") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            #expect(try await store.tasteSignals(accountID: ada.id).isEmpty)
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00001"), up: true, at: at(1))
            _ = try await store.createCollection(newCollection("abcdefghijkm", ada, isPublic: false))
            try await set(store, ["2611.00003"], in: "abcdefghijkm", from: 2)
            _ = try await store.submit(Submission(paper: id("hep-th/9901001"), accountID: ada.id, at: at(3)))
            _ = try await store.claimAuthorship(paper: id("2611.00002"), authorIndex: 0, accountID: ada.id, at: at(4))
            // A second signal on a voted paper moves it up rather than listing it twice.
            try await set(store, ["2611.00001"], in: "abcdefghijkm", from: 5)
            _ = try await store.setVote(accountID: bob.id, paper: id("2611.00004"), up: true, at: at(6))
            #expect(
                try await liked(store, ada) == [
                    "2611.00001 collection", "2611.00002 claim", "hep-th/9901001 submission", "2611.00003 collection",
                ])
            let signals = try await store.tasteSignals(accountID: ada.id)
            let first = try #require(signals.liked.first)
            #expect(first.title == "Attention Is All You Need Again")
            #expect(first.categories == ["cs.CL", "cs.LG"] && first.authors == ["Ada Lovelace", "Alan Turing"])
            #expect(try await first.key == store.key(of: id("2611.00001")))
            #expect(try await liked(store, bob) == ["2611.00004 upvote"])
            // A vote taken back is no longer a signal; a hidden paper is none for anybody.
            _ = try await store.setVote(accountID: bob.id, paper: id("2611.00004"), up: false, at: at(7))
            #expect(try await liked(store, bob).isEmpty)
            _ = try await store.setPaperHidden(id("2611.00003"), hidden: true, by: nil, at: at(8))
            #expect(!(try await liked(store, ada).contains("2611.00003 collection")))
        },
        RoleCheck("not interested is marked, listed newest first and undone, idempotently; unknown papers are nil") {
            store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            #expect(
                try await store.setNotInterested(accountID: ada.id, paper: id("2611.00002"), on: true, at: at(1))
                    == true)
            #expect(
                try await store.setNotInterested(accountID: ada.id, paper: id("2611.00003"), on: true, at: at(2))
                    == true)
            #expect(
                try await store.setNotInterested(accountID: ada.id, paper: id("2611.00002"), on: true, at: at(3))
                    == true)
            #expect(
                try await store.setNotInterested(accountID: ada.id, paper: id("9999.99999"), on: true, at: at(4)) == nil
            )
            #expect(
                ids(try await store.notInterestedPapers(accountID: ada.id, limit: 10)) == ["2611.00003", "2611.00002"])
            #expect(ids(try await store.notInterestedPapers(accountID: ada.id, limit: 1)) == ["2611.00003"])
            #expect(try await store.notInterestedPapers(accountID: bob.id, limit: 10).isEmpty)
            let signals = try await store.tasteSignals(accountID: ada.id)
            #expect(signals.notInterested.map(\.id.rawValue) == ["2611.00003", "2611.00002"])
            #expect(signals.liked.isEmpty && signals.isEmpty)
            #expect(
                try await store.setNotInterested(accountID: ada.id, paper: id("2611.00003"), on: false, at: at(5))
                    == false)
            #expect(
                try await store.setNotInterested(accountID: ada.id, paper: id("2611.00003"), on: false, at: at(6))
                    == false)
            #expect(ids(try await store.notInterestedPapers(accountID: ada.id, limit: 10)) == ["2611.00002"])
        },
        RoleCheck("settings keep their order; seed papers are liked; an unknown seed changes nothing") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            #expect(try await store.recommendationSettings(accountID: ada.id) == RecommendationSettings())
            let settings = RecommendationSettings(
                categories: ["quant-ph", "astro-ph.GA"], seedPapers: [id("2611.00003"), id("2611.00001")])
            try await store.setRecommendationSettings(accountID: ada.id, settings, at: at(1))
            #expect(try await store.recommendationSettings(accountID: ada.id) == settings)
            let signals = try await store.tasteSignals(accountID: ada.id)
            #expect(signals.categories == ["quant-ph", "astro-ph.GA"])
            #expect(Set(signals.liked.map(\.id.rawValue)) == ["2611.00003", "2611.00001"])
            #expect(signals.liked.allSatisfy { $0.kind == .seed })
            await #expect(throws: RecommendationSettingsProblem.unknownPapers([id("9999.99999")])) {
                try await store.setRecommendationSettings(
                    accountID: ada.id, RecommendationSettings(categories: ["cs.LG"], seedPapers: [id("9999.99999")]),
                    at: at(2))
            }
            #expect(try await store.recommendationSettings(accountID: ada.id) == settings)
            try await store.setRecommendationSettings(accountID: ada.id, RecommendationSettings(), at: at(3))
            #expect(try await store.tasteSignals(accountID: ada.id).isEmpty)
        },
        RoleCheck("deleting an account deletes its marks and settings") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            _ = try await store.setNotInterested(accountID: ada.id, paper: id("2611.00002"), on: true, at: at(1))
            try await store.setRecommendationSettings(
                accountID: ada.id, RecommendationSettings(categories: ["cs.LG"], seedPapers: [id("2611.00001")]),
                at: at(1))
            #expect(try await store.deleteAccount(id: ada.id))
            #expect(try await store.notInterestedPapers(accountID: ada.id, limit: 10).isEmpty)
            #expect(try await store.recommendationSettings(accountID: ada.id) == RecommendationSettings())
        },
    ]
}
