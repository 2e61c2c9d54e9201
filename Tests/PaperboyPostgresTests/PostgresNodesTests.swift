import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboyPostgres
import Testing

/// Several nodes on one database at once: what must happen once happens once, and counts stay exact.
@Suite("PostgreSQL nodes at once", .enabled(if: TestDatabase.available))
struct PostgresNodesTests {
    @Test func votesThroughThreeNodesAtOnceCountExactly() async throws {
        try await TestDatabase.withFresh { settings in
            let nodes = (0..<3).map { _ in PostgresStore(settings: settings, logger: TestDatabase.logger) }
            try await nodes[0].migrate()
            _ = try await nodes[0].upsert(Fixtures.corpus)
            let paper = Fixtures.corpus[0].id
            var accounts: [Account] = []
            for n in 0..<24 {
                accounts.append(
                    try await nodes[n % 3].createAccount(
                        NewAccount(
                            username: "voter\(n)", email: "voter\(n)@example.org", emailVerifiedAt: nil,
                            fullname: "Voter \(n)", role: .member, passwordHash: "$2b$10$notarealhash",
                            createdAt: Date())))
            }
            // Every account votes twice, through two nodes at once; a third of them then take the vote back.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, account) in accounts.enumerated() {
                    for node in [nodes[n % 3], nodes[(n + 1) % 3]] {
                        group.addTask {
                            _ = try await node.setVote(accountID: account.id, paper: paper, up: true, at: Date())
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await nodes[2].paper(id: paper, audience: .everyone)?.upvotes == 24)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, account) in accounts.enumerated() where n % 3 == 0 {
                    group.addTask {
                        _ = try await nodes[(n + 2) % 3].setVote(
                            accountID: account.id, paper: paper, up: false, at: Date())
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await nodes[1].paper(id: paper, audience: .everyone)?.upvotes == 16)
            for node in nodes { await node.shutDown() }
        }
    }

    @Test func confirmationsClaimsAndQuotasFromThreeNodesAtOnceHappenOnce() async throws {
        try await TestDatabase.withFresh { settings in
            let nodes = (0..<3).map { _ in PostgresStore(settings: settings, logger: TestDatabase.logger) }
            try await nodes[0].migrate()
            let made = try await nodes[0].requestSubscription(
                email: "a@example.org", settings: SubscriptionSettings(frequency: .daily), nonce: "n", at: Date())
            // Concurrent confirmations: exactly one wins.
            let confirms = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<12 {
                    group.addTask {
                        try await nodes[n % 3].confirmSubscription(id: made.id, nonce: "n", at: Date()) != nil
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(confirms == 1)
            // Concurrent requests for a new address: one row, no error.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<12 {
                    group.addTask {
                        _ = try await nodes[n % 3].requestSubscription(
                            email: "B@example.org", settings: SubscriptionSettings(frequency: .weekly),
                            nonce: "b\(n)", at: Date())
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await nodes[1].subscription(email: "b@example.org")?.settings.frequency == .weekly)
            let period = try #require(DigestPeriod(.daily, containing: Day(Date())))
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<30 {
                    group.addTask {
                        try await nodes[n % 3].claimDigest(
                            subscriptionID: made.id, period: period, messageID: "m\(n)", at: Date()) != nil
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<30 {
                    group.addTask {
                        try await nodes[n % 3].takeMailQuota(
                            address: "a@example.org", kind: "confirm", day: Day(Date()), limit: 5)
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(taken == 5)
            for node in nodes { await node.shutDown() }
        }
    }
}
