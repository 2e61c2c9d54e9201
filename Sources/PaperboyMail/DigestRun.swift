import Foundation
import Logging
import PaperboyCore

/// How a send of one period went.
public struct DigestRunReport: Sendable, Equatable {
    public var period: DigestPeriod
    /// Digests delivered by this run.
    public var sent = 0
    /// Subscribers for whom the period held nothing (recorded as empty, nothing sent).
    public var empty = 0
    /// Digests the server refused for good (5xx).
    public var failed = 0
    /// Digests left for the next run after a temporary failure (4xx after retries).
    public var temporary = 0
    /// Digests the ledger shows as sent, empty or failed already (an earlier or a concurrent run).
    public var done = 0
    /// `sending` rows found: another sender is sending them now, or one died during the SMTP transaction. Never
    /// resent; `paperboy digest ledger --stuck` lists them and `--release ID` lets the next run send one.
    public var inFlight: [Int64] = []
    /// The mail server could not be reached: the run stopped (nothing was lost; the next run goes on).
    public var unreachable: String?

    public init(period: DigestPeriod) { self.period = period }

    /// Every subscriber handled and nothing left for a later run.
    public var complete: Bool { temporary == 0 && unreachable == nil }
}

/// One send of a period's digests to every active subscriber of its frequency, through the send ledger: each digest is
/// claimed (`sending`) before its SMTP transaction and marked `sent` after it, so that a killed run, a second run and
/// concurrent senders never send a digest twice.
public struct DigestRun: Sendable {
    public typealias Store = SubscriptionStore & DigestLedgerStore & PaperCatalog & AccountStore & RecommendationStore

    let store: any Store
    let searcher: any PaperSearcher
    let renderer: DigestRenderer
    let links: any DigestLinks
    let mailer: any MailSender
    let size: Int
    /// Digests in flight at once (each on its own SMTP transaction).
    let workers: Int
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any Store, searcher: any PaperSearcher, renderer: DigestRenderer, links: any DigestLinks,
        mailer: any MailSender, size: Int, workers: Int = 4, now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.store = store
        self.searcher = searcher
        self.renderer = renderer
        self.links = links
        self.mailer = mailer
        self.size = size
        self.workers = max(1, workers)
        self.now = now
        self.logger = logger
    }

    /// Subscribers read per page.
    static let page = 500
    /// Papers in a subscriber's "For you" section.
    static let forYouSize = 5

    /// Sends `period`'s digest to every active subscriber of its frequency who has none yet, and records a complete
    /// run in the ledger.
    public func send(_ period: DigestPeriod) async throws -> DigestRunReport {
        var report = DigestRunReport(period: period)
        let composer = DigestComposer(catalog: store, searcher: searcher, size: size)
        // Every subscriber of one topic gets the same body; only their links differ.
        var bodies: [DigestTopic: DigestBody] = [:]
        var after: Int64 = 0
        pages: while true {
            let subscribers = try await store.activeSubscriptions(
                frequency: period.frequency, after: after, limit: Self.page)
            guard let last = subscribers.last else { break }
            after = last.id
            var jobs: [(Subscription, DigestBody?)] = []
            for subscription in subscribers {
                let topic = subscription.settings.topic
                let papers = try await composer.papers(for: topic, in: period)
                let forYou = try await recommendations(for: subscription, in: period)
                if !forYou.isEmpty {
                    // A body of this subscriber's own, never shared.
                    let body = try renderer.body(
                        papers: papers, period: period, topic: topic, personal: true, links: links, forYou: forYou)
                    jobs.append((subscription, body))
                    continue
                }
                var body = bodies[topic]
                if body == nil, !papers.isEmpty {
                    body = try renderer.body(
                        papers: papers, period: period, topic: topic, personal: true, links: links)
                    if bodies.count >= DigestComposer.maxCached { bodies.removeAll(keepingCapacity: true) }
                    bodies[topic] = body
                }
                jobs.append((subscription, body))
            }
            let outcomes = try await deliver(jobs, period: period)
            for outcome in outcomes {
                switch outcome {
                case .sent: report.sent += 1
                case .empty: report.empty += 1
                case .failed: report.failed += 1
                case .temporary: report.temporary += 1
                case .done: report.done += 1
                case .inFlight(let id): report.inFlight.append(id)
                case .unreachable(let why): report.unreachable = why
                }
            }
            if report.unreachable != nil { break pages }
        }
        report.inFlight.sort()
        if report.complete { try await store.markDigestRunComplete(period: period, at: now()) }
        logger.notice(
            "digest run",
            metadata: [
                "digest.period": "\(period)", "digest.sent": "\(report.sent)", "digest.empty": "\(report.empty)",
                "digest.failed": "\(report.failed)", "digest.temporary": "\(report.temporary)",
                "digest.done": "\(report.done)", "digest.in_flight": "\(report.inFlight.count)",
                "smtp.unreachable": "\(report.unreachable ?? "no")",
            ])
        return report
    }

    /// The "For you" picks of a subscriber whose address is a verified account's (no account, an unverified or
    /// disabled one, or nothing liked: none), among the papers featured in the period.
    func recommendations(for subscription: Subscription, in period: DigestPeriod) async throws -> [Recommendation] {
        guard let account = try await store.account(email: subscription.email), account.emailVerifiedAt != nil,
            !account.disabled
        else { return [] }
        let signals = try await store.tasteSignals(accountID: account.id)
        guard !signals.isEmpty else { return [] }
        return try await searcher.recommend(signals, window: period.days, limit: Self.forYouSize)
    }

    enum Outcome: Sendable {
        case sent, empty, failed, temporary, done
        case inFlight(Int64)
        case unreachable(String)
    }

    /// Delivers a page of digests, at most ``workers`` at once; once the server is unreachable, the rest are not
    /// tried.
    private func deliver(_ jobs: [(Subscription, DigestBody?)], period: DigestPeriod) async throws -> [Outcome] {
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var outcomes: [Outcome] = []
            var next = jobs.makeIterator()
            var running = 0
            var stopped = false
            func start() -> Bool {
                guard !stopped, let (subscription, body) = next.next() else { return false }
                group.addTask { try await deliver(subscription, body, period: period) }
                return true
            }
            while running < workers, start() { running += 1 }
            while let outcome = try await group.next() {
                running -= 1
                outcomes.append(outcome)
                if case .unreachable = outcome { stopped = true }
                if start() { running += 1 }
            }
            return outcomes
        }
    }

    /// One subscriber's digest (nil: the period holds nothing for them): claim, send, record.
    private func deliver(_ subscription: Subscription, _ body: DigestBody?, period: DigestPeriod) async throws
        -> Outcome
    {
        let messageID = mailer.newMessageID()
        guard
            let claim = try await store.claimDigest(
                subscriptionID: subscription.id, period: period, messageID: messageID, at: now())
        else {
            let entry = try await store.digestEntry(subscriptionID: subscription.id, period: period)
            if let entry, entry.state == .sending { return .inFlight(entry.id) }
            return .done
        }
        guard let body else {
            try await store.finishDigest(
                id: claim.id, state: .empty, detail: nil, at: now(), pauseAfter: MailPolicy.pauseAfterFailures)
            return .empty
        }
        let message = renderer.message(
            body, to: subscription.email, subscription: subscription, links: links, messageID: messageID)
        var metadata: Logger.Metadata = [
            "subscription.id": "\(subscription.id)", "mail.message_id": "\(messageID)", "digest.period": "\(period)",
        ]
        do {
            _ = try await mailer.send(message)
        } catch let error as MailError {
            metadata["error.message"] = "\(error)"
            switch error {
            case .temporary:
                logger.warning("digest deferred", metadata: metadata)
                try await store.releaseDigest(id: claim.id)
                return .temporary
            case .permanent, .malformed:
                logger.warning("digest refused", metadata: metadata)
                try await store.finishDigest(
                    id: claim.id, state: .failed, detail: "\(error)", at: now(),
                    pauseAfter: MailPolicy.pauseAfterFailures)
                return .failed
            case .unreachable(let why):
                try await store.releaseDigest(id: claim.id)
                return .unreachable(why)
            case .uncertain:
                // It may have arrived: the row stays `sending`, listed as stuck, sent again only once released.
                logger.warning("digest may have been delivered", metadata: metadata)
                return .inFlight(claim.id)
            }
        } catch {
            // Whether the server took it is unknown (the row stays `sending`, listed as stuck, never resent).
            logger.error("digest send broke off", metadata: metadata.merging(["error.message": "\(error)"]) { $1 })
            throw error
        }
        try await store.finishDigest(
            id: claim.id, state: .sent, detail: nil, at: now(), pauseAfter: MailPolicy.pauseAfterFailures)
        logger.debug("digest sent", metadata: metadata)
        return .sent
    }
}
