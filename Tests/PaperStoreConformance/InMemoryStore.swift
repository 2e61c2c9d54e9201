import Foundation
import PaperboyCore

/// An in-memory store of the roles jobs write through (papers, keys, their change sequence, harvest state, upkeep,
/// subscriptions and the digest send ledger), for tests of ingest, harvest and digests. It passes the same conformance
/// checks as every backend of those roles, and counts its calls.
public actor InMemoryStore: PaperWriter, KeyedPapers, PaperChangeFeed, HarvestStateStore, StoreMaintenance,
    SubscriptionStore, DigestLedgerStore
{
    private var papersByKey: [PaperKey: Paper] = [:]
    private var keysByID: [PaperID: PaperKey] = [:]
    private var nextKey: PaperKey = 1
    /// The number of each paper's latest change, and the latest number given.
    private var changeOf: [PaperKey: Int64] = [:]
    private var lastChange: Int64 = 0
    private let identity = UUID().uuidString.lowercased()
    private var states: [String: HarvestState] = [:]
    private var subscriptions: [Int64: Subscription] = [:]
    private var lastSubscriptionID: Int64 = 0
    private var quota: [QuotaKey: Int] = [:]
    private var ledger: [Int64: DigestLedgerEntry] = [:]
    private var lastLedgerID: Int64 = 0
    private var completedRuns: Set<DigestPeriod> = []

    private struct QuotaKey: Hashable {
        let address: String
        let kind: String
        let day: Day
    }
    /// The size of every `upsert` batch, in order.
    public private(set) var upsertCalls: [Int] = []
    public private(set) var bulkLoads = 0
    public private(set) var bulkLoadEnds = 0
    /// Papers the store pretends to hold besides its own (for the bulk-load threshold).
    public let extraCount: Int

    public init(extraCount: Int = 0) { self.extraCount = extraCount }

    /// Every stored paper by id.
    public var papers: [PaperID: Paper] {
        Dictionary(uniqueKeysWithValues: papersByKey.values.map { ($0.id, $0) })
    }

    public func migrate() async throws {}

    public func appliedMigrations() async throws -> [String] { [] }
    public func pendingMigrations() async throws -> [String] { [] }

    public func backup(to destination: String) async throws {
        throw StoreUnsupported(
            operation: "write a backup", store: "the in-memory store", advice: "its papers live only in memory")
    }

    public func upsert(_ batch: [Paper]) async throws -> UpsertSummary {
        upsertCalls.append(batch.count)
        var summary = UpsertSummary()
        for paper in batch {
            if let key = keysByID[paper.id], let stored = papersByKey[key] {
                let merged = stored.merged(with: paper)
                if merged == stored {
                    summary.unchanged += 1
                } else {
                    summary.updated += 1
                    papersByKey[key] = merged
                    recordChange(key)
                }
            } else {
                summary.inserted += 1
                keysByID[paper.id] = nextKey
                papersByKey[nextKey] = paper
                recordChange(nextKey)
                nextKey += 1
            }
        }
        return summary
    }

    private func recordChange(_ key: PaperKey) {
        lastChange += 1
        changeOf[key] = lastChange
    }

    public func beginBulkLoad() async throws { bulkLoads += 1 }
    public func endBulkLoad() async throws { bulkLoadEnds += 1 }
    public func paperCount() async throws -> Int { papersByKey.count + extraCount }

    public func key(of id: PaperID) async throws -> PaperKey? { keysByID[id] }

    public func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        var found: [PaperKey: StoredPaper] = [:]
        for key in keys { found[key] = papersByKey[key].map { StoredPaper(paper: $0) } }
        return found
    }

    public func harvestState(key: String) async throws -> HarvestState { states[key] ?? HarvestState() }
    public func setHarvestState(_ state: HarvestState, key: String) async throws { states[key] = state }
}

extension InMemoryStore {
    /// Reads at least one and at most 10 000 changes, as SQLite does. Its papers are never hidden.
    public func paperChanges(after sequence: Int64, limit: Int) async throws -> PaperChanges {
        let changed = changeOf.filter { $0.value > sequence }.sorted { $0.value < $1.value }
            .prefix(min(max(limit, 1), 10_000))
        let papers = changed.compactMap { key, _ in
            papersByKey[key].map {
                IndexablePaper(
                    key: key, id: $0.id, title: $0.title, authors: $0.authors, abstract: $0.abstract,
                    categories: $0.categories, featuredAt: $0.featuredAt, isHidden: false)
            }
        }
        return PaperChanges(papers: papers, last: changed.last?.value ?? sequence)
    }

    public func latestPaperChange() async throws -> Int64 { lastChange }

    public func storeIdentity() async throws -> String { identity }
}

extension InMemoryStore {
    public func requestSubscription(email: String, settings: SubscriptionSettings, nonce: String, at: Date)
        async throws -> Subscription
    {
        if var stored = storedSubscription(email: email) {
            if stored.confirmedAt != nil {
                stored.pending = settings
            } else {
                // As SQLite: the new request replaces the unconfirmed one, and its age starts again.
                stored.email = email
                stored.settings = settings
                stored.createdAt = at
            }
            stored.confirmNonce = nonce
            subscriptions[stored.id] = stored
            return stored
        }
        lastSubscriptionID += 1
        let made = Subscription(
            id: lastSubscriptionID, email: email, settings: settings, confirmNonce: nonce, createdAt: at)
        subscriptions[made.id] = made
        return made
    }

    public func confirmSubscription(id: Int64, nonce: String, at: Date) async throws -> Subscription? {
        guard var stored = subscriptions[id], stored.confirmNonce == nonce else { return nil }
        if stored.confirmedAt == nil { stored.confirmedAt = at }
        if let pending = stored.pending { stored.settings = pending }
        stored.pending = nil
        stored.confirmNonce = nil
        stored.failures = 0
        stored.pausedAt = nil
        subscriptions[id] = stored
        return stored
    }

    public func subscription(id: Int64) async throws -> Subscription? { subscriptions[id] }

    public func subscription(email: String) async throws -> Subscription? { storedSubscription(email: email) }

    private func storedSubscription(email: String) -> Subscription? {
        let key = MailAddress.key(email)
        return subscriptions.values.first { MailAddress.key($0.email) == key }
    }

    public func updateSubscription(id: Int64, settings: SubscriptionSettings) async throws -> Subscription? {
        guard var stored = subscriptions[id], stored.confirmedAt != nil else { return nil }
        stored.settings = settings
        stored.pending = nil
        stored.confirmNonce = nil
        subscriptions[id] = stored
        return stored
    }

    public func deleteSubscription(id: Int64) async throws -> Bool {
        guard subscriptions.removeValue(forKey: id) != nil else { return false }
        ledger = ledger.filter { $0.value.subscriptionID != id }
        return true
    }

    public func activeSubscriptions(frequency: DigestFrequency, after id: Int64, limit: Int) async throws
        -> [Subscription]
    {
        Array(
            subscriptions.values.filter { $0.isActive && $0.settings.frequency == frequency && $0.id > id }
                .sorted { $0.id < $1.id }.prefix(max(limit, 0)))
    }

    @discardableResult
    public func purgeUnconfirmedSubscriptions(createdBefore before: Date) async throws -> Int {
        let gone = subscriptions.values.filter { $0.confirmedAt == nil && $0.createdAt < before }.map(\.id)
        for id in gone { _ = try await deleteSubscription(id: id) }
        return gone.count
    }

    public func takeMailQuota(address: String, kind: String, day: Day, limit: Int) async throws -> Bool {
        quota = quota.filter { $0.key.day >= day.adding(days: -1) }
        let key = QuotaKey(address: MailAddress.key(address), kind: kind, day: day)
        let taken = quota[key, default: 0]
        guard taken < limit else { return false }
        quota[key] = taken + 1
        return true
    }
}

extension InMemoryStore {
    public func claimDigest(subscriptionID: Int64, period: DigestPeriod, messageID: String, at: Date) async throws
        -> DigestLedgerEntry?
    {
        guard let subscription = subscriptions[subscriptionID],
            !ledger.values.contains(where: { $0.subscriptionID == subscriptionID && $0.period == period })
        else { return nil }
        lastLedgerID += 1
        let entry = DigestLedgerEntry(
            id: lastLedgerID, subscriptionID: subscriptionID, email: subscription.email, period: period,
            state: .sending, messageID: messageID, startedAt: at)
        ledger[entry.id] = entry
        return entry
    }

    @discardableResult
    public func finishDigest(id: Int64, state: DigestState, detail: String?, at: Date, pauseAfter: Int) async throws
        -> Bool
    {
        guard state != .sending, var entry = ledger[id], entry.state == .sending else { return false }
        entry.state = state
        entry.detail = detail
        entry.finishedAt = at
        ledger[id] = entry
        guard var subscription = subscriptions[entry.subscriptionID] else { return true }
        switch state {
        case .sent: subscription.failures = 0
        case .failed:
            subscription.failures += 1
            if subscription.pausedAt == nil, subscription.failures >= pauseAfter { subscription.pausedAt = at }
        case .empty, .sending: break
        }
        subscriptions[subscription.id] = subscription
        return true
    }

    @discardableResult
    public func releaseDigest(id: Int64) async throws -> Bool {
        guard ledger[id]?.state == .sending else { return false }
        ledger[id] = nil
        return true
    }

    public func stuckDigests(claimedBefore before: Date, limit: Int) async throws -> [DigestLedgerEntry] {
        Array(
            ledger.values.filter { $0.state == .sending && $0.startedAt < before }
                .sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }.prefix(max(limit, 0)))
    }

    public func digestEntry(subscriptionID: Int64, period: DigestPeriod) async throws -> DigestLedgerEntry? {
        ledger.values.first { $0.subscriptionID == subscriptionID && $0.period == period }
    }

    public func digestCounts(period: DigestPeriod) async throws -> [DigestState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: DigestState.allCases.map { ($0, 0) })
        for entry in ledger.values where entry.period == period { counts[entry.state, default: 0] += 1 }
        return counts
    }

    public func markDigestRunComplete(period: DigestPeriod, at: Date) async throws { completedRuns.insert(period) }

    public func digestRunComplete(period: DigestPeriod) async throws -> Bool { completedRuns.contains(period) }
}
