import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Stats = StatsStore & CommunityStore & AccountStore & ModerationStore & PaperWriter
        & StoreMaintenance

    static func day(_ iso: String) -> Day { Day(iso: iso)! }

    // MARK: StatsStore

    public static let stats: [RoleCheck<any Stats>] = [
        RoleCheck("papers per featured day, hidden papers left out") { store in
            try await load(store)
            let days = day("2026-11-17")...day("2026-11-20")
            #expect(
                try await store.papersPerDay(days) == [
                    DayCount(day: day("2026-11-18"), count: 1), DayCount(day: day("2026-11-19"), count: 1),
                    DayCount(day: day("2026-11-20"), count: 2),
                ])
            _ = try await store.setPaperHidden(PaperID("2611.00002")!, hidden: true, by: nil, at: t0)
            #expect(try await store.papersPerDay(day("2026-11-20")...day("2026-11-20")).map(\.count) == [1])
            #expect(try await store.papersPerDay(day("2026-12-01")...day("2026-12-31")).isEmpty)
        },
        RoleCheck("votes per UTC day of the vote; taken back or on hidden papers they do not count") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            // t0 is 2026-11-25 12:00 UTC; 13 hours later is the next day.
            _ = try await store.setVote(accountID: ada.id, paper: PaperID("2611.00001")!, up: true, at: t0)
            _ = try await store.setVote(accountID: bob.id, paper: PaperID("2611.00001")!, up: true, at: at(13))
            _ = try await store.setVote(accountID: ada.id, paper: PaperID("2611.00002")!, up: true, at: at(13))
            let days = day("2026-11-24")...day("2026-11-26")
            #expect(
                try await store.votesPerDay(days) == [
                    DayCount(day: day("2026-11-25"), count: 1), DayCount(day: day("2026-11-26"), count: 2),
                ])
            _ = try await store.setVote(accountID: bob.id, paper: PaperID("2611.00001")!, up: false, at: at(14))
            _ = try await store.setPaperHidden(PaperID("2611.00002")!, hidden: true, by: nil, at: at(15))
            #expect(try await store.votesPerDay(days) == [DayCount(day: day("2026-11-25"), count: 1)])
            #expect(
                try await store.votesPerDay(paper: PaperID("2611.00001")!, days) == [
                    DayCount(day: day("2026-11-25"), count: 1)
                ])
            #expect(try await store.votesPerDay(paper: PaperID("2611.00003")!, days).isEmpty)
            #expect(try await store.votesPerDay(day("2026-11-26")...day("2026-11-26")).isEmpty)
        },
        RoleCheck("papers per primary category, most first, equal counts by name, at most the limit") { store in
            try await load(store)
            let days = day("2026-11-18")...day("2026-11-20")
            #expect(
                try await store.papersPerCategory(days, limit: 10) == [
                    CategoryCount(category: "astro-ph.GA", count: 1), CategoryCount(category: "cs.CL", count: 1),
                    CategoryCount(category: "cs.CR", count: 1), CategoryCount(category: "quant-ph", count: 1),
                ])
            _ = try await store.upsert([
                Fixtures.paper(
                    "2611.00009", title: "Another Language Paper", categories: ["cs.CL"],
                    versions: [(1, "2026-11-19T10:00:00Z")])
            ])
            #expect(
                try await store.papersPerCategory(days, limit: 2) == [
                    CategoryCount(category: "cs.CL", count: 2), CategoryCount(category: "astro-ph.GA", count: 1),
                ])
            _ = try await store.setPaperHidden(PaperID("2611.00009")!, hidden: true, by: nil, at: t0)
            #expect(try await store.papersPerCategory(day("2026-11-19")...day("2026-11-19"), limit: 10).count == 1)
        },
    ]
}
