import Foundation
import PaperStoreConformance
import PaperboyCore
import PaperboyPostgres
import Testing

/// Job leases and failed sign-ins: the same checks the SQLite store passes.
extension PostgresConformanceTests {
    @Test(arguments: PaperStoreConformance.jobLeases)
    func jobLeases(_ check: RoleCheck<any PaperStoreConformance.Leases>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }

    @Test(arguments: PaperStoreConformance.failureLimits)
    func failureLimits(_ check: RoleCheck<any PaperStoreConformance.FailureLimits>) async throws {
        try await TestDatabase.withStore { try await check.run($0) }
    }
}

/// Three nodes (each a store with its own connections) on one database: a job's lease has one holder at a time, and
/// failed sign-ins through every node count together.
@Suite("PostgreSQL leases and limits across nodes", .enabled(if: TestDatabase.available))
struct PostgresSharedStateTests {
    @Test func threeNodesRacingForALeaseLeaveExactlyOneHolder() async throws {
        try await TestDatabase.withFresh { settings in
            let nodes = (0..<3).map { _ in PostgresStore(settings: settings, logger: TestDatabase.logger) }
            try await nodes[0].migrate()
            let start = Date(timeIntervalSince1970: 1_795_262_400)
            var holders: [(node: Int, holder: String)] = []
            // Each round the last round's lease has expired; every node asks four times at once.
            for round in 0..<10 {
                let at = start.addingTimeInterval(Double(round) * 100)
                let winners = try await withThrowingTaskGroup(of: (node: Int, holder: String)?.self) { group in
                    for (n, node) in nodes.enumerated() {
                        for attempt in 0..<4 {
                            group.addTask {
                                let holder = "node\(n)/\(attempt)"
                                let took = try await node.takeLease(
                                    job: LeasedJob.harvest, holder: holder, at: at, until: at.addingTimeInterval(90))
                                return took ? (n, holder) : nil
                            }
                        }
                    }
                    var won: [(node: Int, holder: String)] = []
                    for try await winner in group { if let winner { won.append(winner) } }
                    return won
                }
                #expect(winners.count == 1, "round \(round): \(winners.map(\.holder))")
                let winner = try #require(winners.first)
                holders.append(winner)
                for node in nodes {
                    let lease = try await node.lease(job: LeasedJob.harvest, at: at.addingTimeInterval(1))
                    #expect(lease?.holder == winner.holder)
                }
            }
            // The holder renews through its node; the others still cannot take it.
            let last = try #require(holders.last)
            let at = start.addingTimeInterval(950)
            let renewed = try await nodes[last.node].takeLease(
                job: LeasedJob.harvest, holder: last.holder, at: at, until: at + 90)
            #expect(renewed)
            for other in nodes {
                #expect(try await !other.takeLease(job: LeasedJob.harvest, holder: "other", at: at, until: at + 90))
            }
            for node in nodes { await node.shutDown() }
        }
    }

    @Test func failedSignInsThroughThreeNodesCountTogether() async throws {
        try await TestDatabase.withFresh { settings in
            let nodes = (0..<3).map { _ in PostgresStore(settings: settings, logger: TestDatabase.logger) }
            try await nodes[0].migrate()
            let at = Date(timeIntervalSince1970: 1_795_262_400)
            let limit = FailureLimit(limit: 5, window: .seconds(900))
            // Four failures at once, spread over the nodes, then a fifth: blocked on every node.
            let blocks = try await withThrowingTaskGroup(of: Date?.self) { group in
                for n in 0..<4 {
                    group.addTask {
                        try await nodes[n % 3].recordFailure(
                            bucket: "login.account", subject: "ada", at: at, limit: limit)
                    }
                }
                var blocks: [Date] = []
                for try await block in group { if let block { blocks.append(block) } }
                return blocks
            }
            #expect(blocks.isEmpty)
            #expect(
                try await nodes[1].recordFailure(bucket: "login.account", subject: "ada", at: at + 1, limit: limit)
                    == at + 61)
            for node in nodes {
                #expect(try await node.failureBlock(bucket: "login.account", subject: "ada", at: at + 2) == at + 61)
            }
            try await nodes[2].clearFailures(bucket: "login.account", subject: "ada")
            #expect(try await nodes[0].failureBlock(bucket: "login.account", subject: "ada", at: at + 2) == nil)
            for node in nodes { await node.shutDown() }
        }
    }
}
