import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Leases = JobLeaseStore & StoreMaintenance
    public typealias FailureLimits = FailureLimitStore & StoreMaintenance

    static let leaseStart = Date(timeIntervalSince1970: 1_795_262_400)

    static func moment(_ seconds: TimeInterval) -> Date { leaseStart.addingTimeInterval(seconds) }

    // MARK: JobLeaseStore

    public static let jobLeases: [RoleCheck<any Leases>] = [
        RoleCheck("a free lease is taken; another holder is refused until it expires, then takes it over") { store in
            try await store.migrate()
            #expect(try await store.lease(job: "harvest", at: moment(0)) == nil)
            #expect(try await store.takeLease(job: "harvest", holder: "a", at: moment(0), until: moment(90)))
            #expect(
                try await store.lease(job: "harvest", at: moment(10))
                    == JobLease(job: "harvest", holder: "a", takenAt: moment(0), expiresAt: moment(90)))
            #expect(try await !store.takeLease(job: "harvest", holder: "b", at: moment(10), until: moment(100)))
            #expect(try await !store.takeLease(job: "harvest", holder: "b", at: moment(89.999), until: moment(100)))
            // The holder died: at its expiry exactly the lease is free, and another node takes it.
            #expect(try await store.lease(job: "harvest", at: moment(90)) == nil)
            #expect(try await store.takeLease(job: "harvest", holder: "b", at: moment(90), until: moment(180)))
            #expect(try await store.lease(job: "harvest", at: moment(91))?.holder == "b")
            #expect(try await store.lease(job: "harvest", at: moment(91))?.takenAt == moment(90))
            #expect(try await !store.takeLease(job: "harvest", holder: "a", at: moment(100), until: moment(190)))
        },
        RoleCheck("the holder renews its lease, which keeps the time it was taken") { store in
            try await store.migrate()
            #expect(try await store.takeLease(job: "digests", holder: "a", at: moment(0), until: moment(90)))
            #expect(try await store.takeLease(job: "digests", holder: "a", at: moment(30), until: moment(120)))
            #expect(try await store.takeLease(job: "digests", holder: "a", at: moment(60), until: moment(150)))
            #expect(
                try await store.lease(job: "digests", at: moment(100))
                    == JobLease(job: "digests", holder: "a", takenAt: moment(0), expiresAt: moment(150)))
            #expect(try await !store.takeLease(job: "digests", holder: "b", at: moment(120), until: moment(210)))
            // A holder whose lease ran out with nobody taking it takes it again, anew.
            #expect(try await store.takeLease(job: "digests", holder: "a", at: moment(200), until: moment(290)))
            #expect(try await store.lease(job: "digests", at: moment(200))?.takenAt == moment(200))
        },
        RoleCheck("a released lease is free at once; only its holder releases it") { store in
            try await store.migrate()
            #expect(try await store.takeLease(job: "harvest", holder: "a", at: moment(0), until: moment(90)))
            #expect(try await !store.releaseLease(job: "harvest", holder: "b"))
            #expect(try await store.lease(job: "harvest", at: moment(1))?.holder == "a")
            #expect(try await store.releaseLease(job: "harvest", holder: "a"))
            #expect(try await !store.releaseLease(job: "harvest", holder: "a"))
            #expect(try await store.lease(job: "harvest", at: moment(1)) == nil)
            #expect(try await store.takeLease(job: "harvest", holder: "b", at: moment(2), until: moment(92)))
            #expect(try await !store.releaseLease(job: "never-taken", holder: "b"))
        },
        RoleCheck("leases of different jobs are held apart") { store in
            try await store.migrate()
            #expect(try await store.takeLease(job: "harvest", holder: "a", at: moment(0), until: moment(90)))
            #expect(try await store.takeLease(job: "digests", holder: "b", at: moment(0), until: moment(90)))
            #expect(try await !store.takeLease(job: "harvest", holder: "b", at: moment(1), until: moment(91)))
            #expect(try await !store.takeLease(job: "digests", holder: "a", at: moment(1), until: moment(91)))
            #expect(try await store.releaseLease(job: "harvest", holder: "a"))
            #expect(try await store.lease(job: "digests", at: moment(1))?.holder == "b")
        },
        RoleCheck("of twenty concurrent takers of a free lease exactly one holds it") { store in
            try await store.migrate()
            for round in 0..<3 {
                // Each round starts after the last round's lease expired.
                let start = TimeInterval(round * 100)
                let winners = try await withThrowingTaskGroup(of: String?.self) { group in
                    for n in 0..<20 {
                        group.addTask {
                            let holder = "node\(n)"
                            let took = try await store.takeLease(
                                job: "harvest", holder: holder, at: moment(start), until: moment(start + 90))
                            return took ? holder : nil
                        }
                    }
                    var won: [String] = []
                    for try await winner in group { if let winner { won.append(winner) } }
                    return won
                }
                #expect(winners.count == 1, "round \(round)")
                #expect(try await store.lease(job: "harvest", at: moment(start + 1))?.holder == winners.first)
            }
        },
        RoleCheck("job and holder names that look like SQL are stored literally") { store in
            try await store.migrate()
            let job = "x'); DROP TABLE job_leases; --"
            let holder = "node ' OR 1=1 --"
            #expect(try await store.takeLease(job: job, holder: holder, at: moment(0), until: moment(90)))
            #expect(try await store.lease(job: job, at: moment(1))?.holder == holder)
            #expect(try await store.lease(job: "harvest", at: moment(1)) == nil)
            #expect(try await store.releaseLease(job: job, holder: holder))
        },
    ]

    // MARK: FailureLimitStore

    static let perAccount = FailureLimit(limit: 5, window: .seconds(15 * 60))

    static func block(_ store: some FailureLimitStore, _ subject: String, _ seconds: TimeInterval) async throws
        -> TimeInterval?
    {
        try await store.failureBlock(bucket: "login.account", subject: subject, at: moment(seconds))
            .map { $0.timeIntervalSince(moment(seconds)) }
    }

    @discardableResult
    static func fail(_ store: some FailureLimitStore, _ subject: String, _ seconds: TimeInterval) async throws
        -> TimeInterval?
    {
        try await store.recordFailure(bucket: "login.account", subject: subject, at: moment(seconds), limit: perAccount)
            .map { $0.timeIntervalSince(moment(seconds)) }
    }

    public static let failureLimits: [RoleCheck<any FailureLimits>] = [
        RoleCheck("four failures do not block; the fifth blocks for a minute") { store in
            try await store.migrate()
            for n in 0..<4 { #expect(try await fail(store, "ada", Double(n)) == nil) }
            #expect(try await block(store, "ada", 4) == nil)
            #expect(try await fail(store, "ada", 4) == 60)
            #expect(try await block(store, "ada", 4) == 60)
            #expect(try await block(store, "ada", 34) == 30)
            #expect(try await block(store, "ada", 64) == nil, "the block ends a minute after it began")
            #expect(try await block(store, "bob", 5) == nil)
        },
        RoleCheck("blocks double from a minute up to an hour while failures go on") { store in
            try await store.migrate()
            var now: TimeInterval = 0
            var blocks: [TimeInterval] = []
            for _ in 0..<8 {
                var wait: TimeInterval?
                var tries = 0
                while wait == nil, tries < 5 {
                    wait = try await fail(store, "ada", now)
                    tries += 1
                }
                #expect(try await block(store, "ada", now) == wait)
                blocks.append(wait ?? 0)
                now += wait ?? 0
            }
            #expect(blocks == [60, 120, 240, 480, 960, 1920, 3600, 3600])
        },
        RoleCheck("failures leave the window; strikes are forgotten a day after the last failure") { store in
            try await store.migrate()
            // Four failures, then one sixteen minutes later: the first four left the window.
            for n in 0..<4 { try await fail(store, "ada", Double(n)) }
            #expect(try await fail(store, "ada", 16 * 60) == nil)
            for n in 1..<4 { #expect(try await fail(store, "ada", 16 * 60 + Double(n)) == nil) }
            #expect(try await fail(store, "ada", 16 * 60 + 4) == 60)
            // The second block of the day is twice the first.
            let later: TimeInterval = 2 * 3600
            for n in 0..<4 { try await fail(store, "ada", later + Double(n)) }
            #expect(try await fail(store, "ada", later + 4) == 120)
            // A day without failures: blocks start at a minute again.
            let nextDay = later + 4 + 86_400
            for n in 0..<4 { try await fail(store, "ada", nextDay + Double(n)) }
            #expect(try await fail(store, "ada", nextDay + 4) == 60)
        },
        RoleCheck("a cleared subject starts afresh; buckets and subjects count apart") { store in
            try await store.migrate()
            for n in 0..<5 { try await fail(store, "ada", Double(n)) }
            #expect(try await block(store, "ada", 5) == 59)
            let address = try await store.recordFailure(
                bucket: "login.address", subject: "ada", at: moment(5), limit: perAccount)
            #expect(address == nil, "another bucket counts for itself")
            #expect(try await block(store, "Ada", 5) == nil, "subjects are compared as given")
            try await store.clearFailures(bucket: "login.account", subject: "ada")
            #expect(try await block(store, "ada", 5) == nil)
            for n in 0..<4 { #expect(try await fail(store, "ada", 10 + Double(n)) == nil) }
            #expect(try await fail(store, "ada", 14) == 60, "the strikes went with the clearing")
            try await store.clearFailures(bucket: "login.account", subject: "nobody")
        },
        RoleCheck("failures counted at once are all counted") { store in
            try await store.migrate()
            let limit = FailureLimit(limit: 20, window: .seconds(900))
            let blocks = try await withThrowingTaskGroup(of: Date?.self) { group in
                for n in 0..<19 {
                    group.addTask {
                        try await store.recordFailure(
                            bucket: "login.address", subject: "10.0.0.1", at: moment(Double(n) / 100), limit: limit)
                    }
                }
                var blocks: [Date] = []
                for try await block in group { if let block { blocks.append(block) } }
                return blocks
            }
            #expect(blocks.isEmpty, "nineteen failures of twenty allowed block nothing")
            let twentieth = try await store.recordFailure(
                bucket: "login.address", subject: "10.0.0.1", at: moment(1), limit: limit)
            #expect(twentieth == moment(61))
        },
        RoleCheck("records that mean nothing any more are forgotten, blocked ones are kept") { store in
            try await store.migrate()
            for n in 0..<5 { try await fail(store, "ada", Double(n)) }
            try await fail(store, "bob", 0)
            let long = FailureLimit(
                limit: 1, window: .seconds(900), firstBlock: .seconds(3 * 86_400), longestBlock: .seconds(3 * 86_400))
            _ = try await store.recordFailure(bucket: "login.account", subject: "mal", at: moment(0), limit: long)
            // Two days later a failure of another subject may delete bob's and ada's records (ada's strikes are
            // forgotten anyway), not mal's, which is blocked for another day.
            let later: TimeInterval = 2 * 86_400
            try await fail(store, "eve", later)
            #expect(try await block(store, "mal", later) == 86_400)
            for n in 0..<4 { #expect(try await fail(store, "bob", later + Double(n)) == nil) }
            #expect(try await fail(store, "bob", later + 4) == 60)
            for n in 0..<4 { #expect(try await fail(store, "ada", later + Double(n)) == nil) }
            #expect(try await fail(store, "ada", later + 4) == 60)
        },
        RoleCheck("buckets and subjects that look like SQL are stored literally") { store in
            try await store.migrate()
            let subject = "x'); DELETE FROM failure_limits; --"
            for n in 0..<5 { try await fail(store, subject, Double(n)) }
            #expect(try await block(store, subject, 5) == 59)
            #expect(try await block(store, "x", 5) == nil)
        },
    ]
}
