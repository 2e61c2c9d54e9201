import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Subscriptions = SubscriptionStore & DigestLedgerStore & StoreMaintenance

    static func settings(_ frequency: DigestFrequency, query: String? = nil, categories: [String] = []) throws
        -> SubscriptionSettings
    {
        SubscriptionSettings(
            frequency: frequency, topic: try DigestTopic.make(query: query, categories: categories).get())
    }

    /// A confirmed subscription of `email`.
    static func subscriber(
        _ store: some SubscriptionStore, _ email: String, _ frequency: DigestFrequency = .daily, at: Date = t0
    ) async throws -> Subscription {
        let requested = try await store.requestSubscription(
            email: email, settings: try settings(frequency), nonce: "n-\(email)", at: at)
        return try #require(try await store.confirmSubscription(id: requested.id, nonce: "n-\(email)", at: at))
    }

    static func period(_ frequency: DigestFrequency, _ day: String) throws -> DigestPeriod {
        let start = try #require(Day(iso: day))
        return try #require(DigestPeriod(frequency, containing: start))
    }

    static func activeIDs(_ store: some SubscriptionStore, _ frequency: DigestFrequency) async throws -> [Int64] {
        try await store.activeSubscriptions(frequency: frequency, after: 0, limit: 1000).map(\.id)
    }

    // MARK: SubscriptionStore

    public static let subscriptions: [RoleCheck<any Subscriptions>] = [
        RoleCheck("a request is unconfirmed and gets no digests until its nonce confirms it, once") { store in
            try await store.migrate()
            let wanted = try settings(.weekly, query: "graph neural networks", categories: ["cs.LG", "stat.ML"])
            let made = try await store.requestSubscription(
                email: "Ada.Lovelace@Example.org", settings: wanted, nonce: "n1", at: t0)
            #expect(made.email == "Ada.Lovelace@Example.org")
            #expect(made.settings == wanted)
            #expect(made.pending == nil)
            #expect(made.confirmNonce == "n1")
            #expect(made.confirmedAt == nil && made.pausedAt == nil && made.failures == 0)
            #expect(made.createdAt == t0)
            #expect(!made.isActive)
            #expect(try await store.subscription(id: made.id) == made)
            #expect(try await store.subscription(email: "ada.lovelace@EXAMPLE.org") == made)
            #expect(try await store.subscription(email: "bob@example.org") == nil)
            #expect(try await activeIDs(store, .weekly).isEmpty)

            #expect(try await store.confirmSubscription(id: made.id, nonce: "n2", at: at(1)) == nil)
            #expect(try await store.confirmSubscription(id: made.id + 1000, nonce: "n1", at: at(1)) == nil)
            #expect(try await store.subscription(id: made.id) == made)

            let confirmed = try #require(try await store.confirmSubscription(id: made.id, nonce: "n1", at: at(1)))
            #expect(confirmed.confirmedAt == at(1))
            #expect(confirmed.confirmNonce == nil)
            #expect(confirmed.settings == wanted)
            #expect(confirmed.isActive)
            #expect(try await store.subscription(id: made.id) == confirmed)
            #expect(try await store.activeSubscriptions(frequency: .weekly, after: 0, limit: 10) == [confirmed])
            #expect(try await activeIDs(store, .daily).isEmpty)
            // The same link followed again finds nothing and changes nothing.
            #expect(try await store.confirmSubscription(id: made.id, nonce: "n1", at: at(2)) == nil)
            #expect(try await store.subscription(id: made.id) == confirmed)
        },
        RoleCheck("a newer request replaces the unconfirmed one: the older link fails") { store in
            try await store.migrate()
            let first = try await store.requestSubscription(
                email: "ada@example.org", settings: try settings(.daily), nonce: "n1", at: t0)
            let wanted = try settings(.weekly, categories: ["hep-th"])
            let second = try await store.requestSubscription(
                email: "ADA@example.org", settings: wanted, nonce: "n2", at: at(2))
            #expect(second.id == first.id)
            #expect(second.email == "ADA@example.org")
            #expect(second.settings == wanted)
            #expect(second.confirmNonce == "n2")
            #expect(second.pending == nil && second.confirmedAt == nil)
            #expect(try await store.confirmSubscription(id: first.id, nonce: "n1", at: at(3)) == nil)
            let confirmed = try #require(try await store.confirmSubscription(id: first.id, nonce: "n2", at: at(3)))
            #expect(confirmed.settings == wanted)
            #expect(try await activeIDs(store, .weekly) == [first.id])
            #expect(try await activeIDs(store, .daily).isEmpty)
        },
        RoleCheck("a request for a confirmed address keeps its settings in force until the change is confirmed") {
            store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org", .daily)
            let change = try settings(.weekly, query: "transformers")
            let asked = try await store.requestSubscription(
                email: "Ada@Example.org", settings: change, nonce: "n2", at: at(5))
            #expect(asked.id == ada.id)
            #expect(asked.email == "ada@example.org")
            #expect(asked.settings == ada.settings)
            #expect(asked.pending == change)
            #expect(asked.confirmNonce == "n2")
            #expect(asked.confirmedAt == t0 && asked.createdAt == t0)
            #expect(try await activeIDs(store, .daily) == [ada.id])
            #expect(try await activeIDs(store, .weekly).isEmpty)
            #expect(try await store.confirmSubscription(id: ada.id, nonce: "n-ada@example.org", at: at(6)) == nil)

            let changed = try #require(try await store.confirmSubscription(id: ada.id, nonce: "n2", at: at(6)))
            #expect(changed.settings == change)
            #expect(changed.pending == nil && changed.confirmNonce == nil)
            #expect(changed.confirmedAt == t0)
            #expect(try await activeIDs(store, .daily).isEmpty)
            #expect(try await activeIDs(store, .weekly) == [ada.id])
        },
        RoleCheck("an update puts settings in force on a confirmed subscription only, dropping a pending change") {
            store in
            try await store.migrate()
            let waiting = try await store.requestSubscription(
                email: "bob@example.org", settings: try settings(.daily), nonce: "b1", at: t0)
            #expect(try await store.updateSubscription(id: waiting.id, settings: try settings(.weekly)) == nil)
            #expect(try await store.subscription(id: waiting.id) == waiting)
            #expect(try await store.updateSubscription(id: waiting.id + 1000, settings: try settings(.weekly)) == nil)

            let ada = try await subscriber(store, "ada@example.org", .daily)
            _ = try await store.requestSubscription(
                email: "ada@example.org", settings: try settings(.weekly), nonce: "a2", at: at(1))
            let wanted = try settings(.daily, query: "optimal transport", categories: ["math.OC"])
            let updated = try #require(try await store.updateSubscription(id: ada.id, settings: wanted))
            #expect(updated.settings == wanted)
            #expect(updated.pending == nil)
            #expect(updated.confirmedAt == t0)
            #expect(try await store.subscription(id: ada.id) == updated)
            // The dropped change's link puts nothing in force.
            #expect(try await store.confirmSubscription(id: ada.id, nonce: "a2", at: at(2)) == nil)
            #expect(try await store.subscription(id: ada.id)?.settings == wanted)
        },
        RoleCheck("a deleted subscription is gone, and a new one for the address gets a new id") { store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org")
            let bob = try await subscriber(store, "bob@example.org")
            #expect(try await store.deleteSubscription(id: bob.id))
            #expect(!(try await store.deleteSubscription(id: bob.id)))
            #expect(try await store.subscription(id: bob.id) == nil)
            #expect(try await store.subscription(email: "bob@example.org") == nil)
            #expect(try await activeIDs(store, .daily) == [ada.id])
            // Even the highest id is never given again, so that an old link never reaches a new subscription.
            let again = try await store.requestSubscription(
                email: "bob@example.org", settings: try settings(.daily), nonce: "b2", at: at(1))
            #expect(again.id > bob.id)
            #expect(again.confirmedAt == nil)
        },
        RoleCheck("active subscriptions are walked by id in pages, without unconfirmed or paused ones") { store in
            try await store.migrate()
            var daily: [Int64] = []
            for n in 0..<5 { daily.append(try await subscriber(store, "d\(n)@example.org", .daily).id) }
            let weekly = try await subscriber(store, "w@example.org", .weekly)
            _ = try await store.requestSubscription(
                email: "u@example.org", settings: try settings(.daily), nonce: "u", at: t0)
            // The third daily subscriber's mail bounces for good three times: paused.
            for day in ["2026-11-20", "2026-11-21", "2026-11-22"] {
                let claim = try #require(
                    try await store.claimDigest(
                        subscriptionID: daily[2], period: try period(.daily, day), messageID: "m-\(day)", at: t0))
                try await store.finishDigest(id: claim.id, state: .failed, detail: "550", at: t0, pauseAfter: 3)
            }
            var walked: [Int64] = []
            var after: Int64 = 0
            while true {
                let page = try await store.activeSubscriptions(frequency: .daily, after: after, limit: 2)
                #expect(page.count <= 2)
                guard let last = page.last else { break }
                walked += page.map(\.id)
                after = last.id
            }
            #expect(walked == [daily[0], daily[1], daily[3], daily[4]])
            #expect(try await activeIDs(store, .weekly) == [weekly.id])
            #expect(try await store.activeSubscriptions(frequency: .daily, after: daily[4], limit: 10).isEmpty)
            #expect(try await store.activeSubscriptions(frequency: .daily, after: 0, limit: 0).isEmpty)
        },
        RoleCheck("a confirmation resumes a paused subscription with no failures") { store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org")
            for day in ["2026-11-20", "2026-11-21", "2026-11-22"] {
                let claim = try #require(
                    try await store.claimDigest(
                        subscriptionID: ada.id, period: try period(.daily, day), messageID: "m-\(day)", at: t0))
                try await store.finishDigest(id: claim.id, state: .failed, detail: "550", at: at(1), pauseAfter: 3)
            }
            let paused = try #require(try await store.subscription(id: ada.id))
            #expect(paused.pausedAt == at(1) && paused.failures == 3 && !paused.isActive)
            _ = try await store.requestSubscription(
                email: "ada@example.org", settings: ada.settings, nonce: "again", at: at(2))
            #expect(try await store.subscription(id: ada.id)?.pausedAt == at(1))
            let resumed = try #require(try await store.confirmSubscription(id: ada.id, nonce: "again", at: at(3)))
            #expect(resumed.pausedAt == nil && resumed.failures == 0 && resumed.isActive)
            #expect(resumed.confirmedAt == t0)
            #expect(try await activeIDs(store, .daily) == [ada.id])
        },
        RoleCheck("the purge deletes only unconfirmed subscriptions created before the cutoff") { store in
            try await store.migrate()
            let old = try await store.requestSubscription(
                email: "old@example.org", settings: try settings(.daily), nonce: "o", at: at(-200))
            let asked = try await store.requestSubscription(
                email: "again@example.org", settings: try settings(.daily), nonce: "a1", at: at(-200))
            let fresh = try await store.requestSubscription(
                email: "fresh@example.org", settings: try settings(.daily), nonce: "f", at: at(-10))
            let confirmed = try await subscriber(store, "kept@example.org", at: at(-300))
            // Asking again starts the wait again: the newest link works for its whole lifetime.
            let renewed = try await store.requestSubscription(
                email: "again@example.org", settings: try settings(.weekly), nonce: "a2", at: at(-20))
            #expect(renewed.createdAt == at(-20))
            #expect(try await store.purgeUnconfirmedSubscriptions(createdBefore: at(-100)) == 1)
            #expect(try await store.subscription(id: old.id) == nil)
            #expect(try await store.subscription(id: asked.id) != nil)
            #expect(try await store.subscription(id: fresh.id) != nil)
            #expect(try await store.subscription(id: confirmed.id) == confirmed)
            #expect(try await store.purgeUnconfirmedSubscriptions(createdBefore: at(-100)) == 0)
            #expect(try await store.purgeUnconfirmedSubscriptions(createdBefore: t0) == 2)
            #expect(try await store.subscription(id: confirmed.id) == confirmed)
        },
        RoleCheck("addresses and topics that look like SQL are stored literally") { store in
            try await store.migrate()
            let email = "o'brien+x@example.org"
            let wanted = try settings(.daily, query: "'; DROP TABLE subscriptions; --", categories: ["cs.DB"])
            let made = try await store.requestSubscription(email: email, settings: wanted, nonce: "' OR 1=1 --", at: t0)
            #expect(try await store.subscription(email: "O'Brien+X@example.org") == made)
            #expect(try await store.subscription(email: "' OR '1'='1") == nil)
            #expect(try await store.confirmSubscription(id: made.id, nonce: "' OR '1'='1", at: t0) == nil)
            let confirmed = try #require(try await store.confirmSubscription(id: made.id, nonce: "' OR 1=1 --", at: t0))
            #expect(confirmed.settings == wanted)
            #expect(try await store.takeMailQuota(address: email, kind: "confirm'--", day: Day(t0), limit: 1))
            #expect(!(try await store.takeMailQuota(address: email, kind: "confirm'--", day: Day(t0), limit: 1)))
        },
        RoleCheck("three mails per address, kind and day; addresses without regard to case; the next day is fresh") {
            store in
            try await store.migrate()
            let day = Day(t0)
            for address in ["ada@example.org", "Ada@Example.org", "ADA@EXAMPLE.ORG"] {
                #expect(try await store.takeMailQuota(address: address, kind: "confirm", day: day, limit: 3))
            }
            #expect(!(try await store.takeMailQuota(address: "ada@example.org", kind: "confirm", day: day, limit: 3)))
            #expect(!(try await store.takeMailQuota(address: "ada@example.org", kind: "confirm", day: day, limit: 3)))
            #expect(try await store.takeMailQuota(address: "ada@example.org", kind: "reset", day: day, limit: 3))
            #expect(try await store.takeMailQuota(address: "bob@example.org", kind: "confirm", day: day, limit: 3))
            let next = day.adding(days: 1)
            for _ in 0..<3 {
                #expect(try await store.takeMailQuota(address: "ada@example.org", kind: "confirm", day: next, limit: 3))
            }
            #expect(!(try await store.takeMailQuota(address: "ada@example.org", kind: "confirm", day: next, limit: 3)))
            #expect(!(try await store.takeMailQuota(address: "bob@example.org", kind: "verify", day: next, limit: 0)))
        },
        RoleCheck("concurrent takes never exceed the quota") { store in
            try await store.migrate()
            let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await store.takeMailQuota(
                            address: "ada@example.org", kind: "confirm", day: Day(t0), limit: 3)
                    }
                }
                var count = 0
                for try await took in group where took { count += 1 }
                return count
            }
            #expect(taken == 3)
        },
    ]

    // MARK: DigestLedgerStore

    public static let digestLedger: [RoleCheck<any Subscriptions>] = [
        RoleCheck("a digest is claimed once: a sending row, then nothing for the same period") { store in
            try await store.migrate()
            let ada = try await subscriber(store, "Ada@Example.org")
            let day = try period(.daily, "2026-11-24")
            let claim = try #require(
                try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "m1@example.org", at: t0))
            #expect(claim.subscriptionID == ada.id)
            #expect(claim.email == "Ada@Example.org")
            #expect(claim.period == day)
            #expect(claim.state == .sending)
            #expect(claim.messageID == "m1@example.org")
            #expect(claim.startedAt == t0)
            #expect(claim.finishedAt == nil && claim.detail == nil)
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day) == claim)
            #expect(try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "m2", at: at(1)) == nil)
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day) == claim)
            // Another period, or the week holding the day, is another digest.
            let next = try #require(
                try await store.claimDigest(
                    subscriptionID: ada.id, period: try period(.daily, "2026-11-25"), messageID: "m3", at: t0))
            #expect(next.id != claim.id)
            #expect(
                try await store.claimDigest(
                    subscriptionID: ada.id, period: try period(.weekly, "2026-11-24"), messageID: "m4", at: t0) != nil)
            #expect(
                try await store.claimDigest(subscriptionID: ada.id + 1000, period: day, messageID: "m5", at: t0) == nil)
            #expect(try await store.digestEntry(subscriptionID: ada.id + 1000, period: day) == nil)
        },
        RoleCheck("of twenty concurrent claims of one digest exactly one wins") { store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org")
            let day = try period(.daily, "2026-11-24")
            let winners = try await withThrowingTaskGroup(of: DigestLedgerEntry?.self) { group in
                for n in 0..<20 {
                    group.addTask {
                        try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "m\(n)", at: t0)
                    }
                }
                var won: [DigestLedgerEntry] = []
                for try await claim in group { if let claim { won.append(claim) } }
                return won
            }
            #expect(winners.count == 1)
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day) == winners.first)
            #expect(try await store.digestCounts(period: day)[.sending] == 1)
        },
        RoleCheck("a claim ends sent, empty or failed, once; only a sending row ends") { store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org")
            let bob = try await subscriber(store, "bob@example.org")
            let cyd = try await subscriber(store, "cyd@example.org")
            let day = try period(.daily, "2026-11-24")
            let sent = try #require(
                try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "a", at: t0))
            let empty = try #require(
                try await store.claimDigest(subscriptionID: bob.id, period: day, messageID: "b", at: t0))
            let failed = try #require(
                try await store.claimDigest(subscriptionID: cyd.id, period: day, messageID: "c", at: t0))
            #expect(try await store.finishDigest(id: sent.id, state: .sent, detail: nil, at: at(1), pauseAfter: 3))
            #expect(try await store.finishDigest(id: empty.id, state: .empty, detail: nil, at: at(1), pauseAfter: 3))
            #expect(
                try await store.finishDigest(
                    id: failed.id, state: .failed, detail: "550 5.1.1 no such user", at: at(2), pauseAfter: 3))
            var expected = sent
            expected.state = .sent
            expected.finishedAt = at(1)
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day) == expected)
            #expect(try await store.digestEntry(subscriptionID: bob.id, period: day)?.state == .empty)
            let bounced = try #require(try await store.digestEntry(subscriptionID: cyd.id, period: day))
            #expect(bounced.state == .failed && bounced.detail == "550 5.1.1 no such user")
            #expect(bounced.finishedAt == at(2))
            #expect(try await store.subscription(id: cyd.id)?.failures == 1)
            // An ended row ends no second time, whatever the state asked for.
            #expect(!(try await store.finishDigest(id: sent.id, state: .failed, detail: "x", at: at(3), pauseAfter: 3)))
            #expect(
                !(try await store.finishDigest(id: sent.id + 1000, state: .sent, detail: nil, at: at(3), pauseAfter: 3))
            )
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day) == expected)
            #expect(try await store.subscription(id: ada.id)?.failures == 0)
            // `sending` is no end.
            let open = try #require(
                try await store.claimDigest(
                    subscriptionID: ada.id, period: try period(.daily, "2026-11-25"), messageID: "d", at: t0))
            #expect(!(try await store.finishDigest(id: open.id, state: .sending, detail: nil, at: t0, pauseAfter: 3)))
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: open.period) == open)
        },
        RoleCheck("permanent failures in a row pause a subscription at the limit; a sent digest resets them") {
            store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org")
            func send(_ day: String, _ state: DigestState, at time: Date) async throws {
                let claimed = try await store.claimDigest(
                    subscriptionID: ada.id, period: try period(.daily, day), messageID: day, at: time)
                // Not #require: in a local function the macro draws a spurious "no calls to throwing functions" warning.
                guard let claim = claimed else { throw NoClaim(period: day) }
                #expect(try await store.finishDigest(id: claim.id, state: state, detail: nil, at: time, pauseAfter: 3))
            }
            try await send("2026-11-01", .failed, at: at(1))
            try await send("2026-11-02", .failed, at: at(2))
            #expect(try await store.subscription(id: ada.id)?.failures == 2)
            #expect(try await store.subscription(id: ada.id)?.isActive == true)
            try await send("2026-11-03", .sent, at: at(3))
            #expect(try await store.subscription(id: ada.id)?.failures == 0)
            try await send("2026-11-04", .failed, at: at(4))
            try await send("2026-11-05", .empty, at: at(5))
            #expect(try await store.subscription(id: ada.id)?.failures == 1)
            try await send("2026-11-06", .failed, at: at(6))
            try await send("2026-11-07", .failed, at: at(7))
            let paused = try #require(try await store.subscription(id: ada.id))
            #expect(paused.failures == 3)
            #expect(paused.pausedAt == at(7))
            #expect(!paused.isActive)
            #expect(try await activeIDs(store, .daily).isEmpty)
            // A later failure keeps the time it paused.
            try await send("2026-11-08", .failed, at: at(8))
            #expect(try await store.subscription(id: ada.id)?.pausedAt == at(7))
        },
        RoleCheck("a released claim can be claimed again; only sending rows are released") { store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org")
            let day = try period(.weekly, "2026-11-18")
            let first = try #require(
                try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "m1", at: t0))
            #expect(try await store.releaseDigest(id: first.id))
            #expect(!(try await store.releaseDigest(id: first.id)))
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day) == nil)
            #expect(!(try await store.finishDigest(id: first.id, state: .sent, detail: nil, at: t0, pauseAfter: 3)))
            let second = try #require(
                try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "m2", at: at(1)))
            #expect(second.id != first.id)
            #expect(second.messageID == "m2" && second.startedAt == at(1))
            #expect(try await store.finishDigest(id: second.id, state: .sent, detail: nil, at: at(1), pauseAfter: 3))
            #expect(!(try await store.releaseDigest(id: second.id)))
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day)?.state == .sent)
            #expect(!(try await store.releaseDigest(id: second.id + 1000)))
        },
        RoleCheck("stuck claims are the sending rows claimed before a time, oldest first") { store in
            try await store.migrate()
            var subscribers: [Subscription] = []
            for n in 0..<5 { subscribers.append(try await subscriber(store, "s\(n)@example.org")) }
            let day = try period(.daily, "2026-11-24")
            func claim(_ n: Int, _ time: Date) async throws -> DigestLedgerEntry {
                let claimed = try await store.claimDigest(
                    subscriptionID: subscribers[n].id, period: day, messageID: "m\(n)", at: time)
                guard let claimed else { throw NoClaim(period: "m\(n)") }
                return claimed
            }
            let late = try await claim(0, at(2))
            let middle = try await claim(1, at(1))
            let oldest = try await claim(2, at(-1))
            let done = try await claim(3, at(-2))
            let recent = try await claim(4, at(5))
            try await store.finishDigest(id: done.id, state: .sent, detail: nil, at: at(-2), pauseAfter: 3)
            #expect(try await store.stuckDigests(claimedBefore: at(3), limit: 10) == [oldest, middle, late])
            #expect(try await store.stuckDigests(claimedBefore: at(3), limit: 2) == [oldest, middle])
            #expect(try await store.stuckDigests(claimedBefore: at(1), limit: 10) == [oldest])
            #expect(try await store.stuckDigests(claimedBefore: at(-1), limit: 10).isEmpty)
            #expect(try await store.stuckDigests(claimedBefore: at(6), limit: 10).last == recent)
        },
        RoleCheck("the ledger counts a period's rows by state") { store in
            try await store.migrate()
            var subscribers: [Subscription] = []
            for n in 0..<6 { subscribers.append(try await subscriber(store, "s\(n)@example.org")) }
            let day = try period(.daily, "2026-11-24")
            let other = try period(.daily, "2026-11-23")
            #expect(try await store.digestCounts(period: day) == [.sending: 0, .sent: 0, .empty: 0, .failed: 0])
            let ends: [DigestState?] = [.sent, .sent, .empty, .failed, nil, nil]
            for (subscription, end) in zip(subscribers, ends) {
                let claim = try #require(
                    try await store.claimDigest(subscriptionID: subscription.id, period: day, messageID: "m", at: t0))
                if let end {
                    try await store.finishDigest(id: claim.id, state: end, detail: nil, at: t0, pauseAfter: 3)
                }
            }
            _ = try await store.claimDigest(subscriptionID: subscribers[0].id, period: other, messageID: "o", at: t0)
            #expect(try await store.digestCounts(period: day) == [.sending: 2, .sent: 2, .empty: 1, .failed: 1])
            #expect(try await store.digestCounts(period: other) == [.sending: 1, .sent: 0, .empty: 0, .failed: 0])
            #expect(
                try await store.digestCounts(period: try period(.weekly, "2026-11-24"))
                    == [.sending: 0, .sent: 0, .empty: 0, .failed: 0])
        },
        RoleCheck("a send of a period is marked complete, that period only") { store in
            try await store.migrate()
            let day = try period(.daily, "2026-11-24")
            #expect(!(try await store.digestRunComplete(period: day)))
            try await store.markDigestRunComplete(period: day, at: t0)
            try await store.markDigestRunComplete(period: day, at: at(1))
            #expect(try await store.digestRunComplete(period: day))
            #expect(!(try await store.digestRunComplete(period: try period(.daily, "2026-11-25"))))
            #expect(!(try await store.digestRunComplete(period: try period(.weekly, "2026-11-24"))))
        },
        RoleCheck("an ended subscription takes its ledger rows") { store in
            try await store.migrate()
            let ada = try await subscriber(store, "ada@example.org")
            let bob = try await subscriber(store, "bob@example.org")
            let day = try period(.daily, "2026-11-24")
            let claim = try #require(
                try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "a", at: t0))
            try await store.finishDigest(id: claim.id, state: .sent, detail: nil, at: t0, pauseAfter: 3)
            _ = try await store.claimDigest(
                subscriptionID: ada.id, period: try period(.daily, "2026-11-25"), messageID: "a2", at: t0)
            let kept = try #require(
                try await store.claimDigest(subscriptionID: bob.id, period: day, messageID: "b", at: t0))
            #expect(try await store.deleteSubscription(id: ada.id))
            #expect(try await store.digestEntry(subscriptionID: ada.id, period: day) == nil)
            #expect(try await store.digestCounts(period: day) == [.sending: 1, .sent: 0, .empty: 0, .failed: 0])
            #expect(try await store.stuckDigests(claimedBefore: at(1), limit: 10) == [kept])
            #expect(try await store.claimDigest(subscriptionID: ada.id, period: day, messageID: "a3", at: t0) == nil)
        },
    ]
}

/// A claim a test expected was refused.
private struct NoClaim: Error, CustomStringConvertible {
    let period: String
    var description: String { "the store refused to claim the digest of \(period)" }
}
