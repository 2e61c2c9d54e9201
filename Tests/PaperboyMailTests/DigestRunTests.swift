import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PaperboySearch
import Synchronization
import Testing

@testable import PaperboyMail

/// A mail server stand-in for the digest logic (the SMTP client has its own tests against a real server): records
/// what it accepts and answers some addresses with a failure.
final class RecordingMailer: MailSender {
    private let state = Mutex<(sent: [MailMessage], counter: Int)>(([], 0))
    /// Failures by recipient.
    let failures: [String: MailError]

    init(failures: [String: MailError] = [:]) { self.failures = failures }

    func send(_ message: MailMessage) async throws -> String {
        if let failure = failures[message.to] { throw failure }
        await Task.yield()
        state.withLock { $0.sent.append(message) }
        return message.messageID ?? newMessageID()
    }

    func newMessageID() -> String {
        state.withLock { state in
            state.counter += 1
            return "m\(state.counter)@example.org"
        }
    }

    var sent: [MailMessage] { state.withLock { $0.sent } }
}

@Suite struct DigestRunTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()
    static let day = Day(iso: "2026-11-20")!
    static let period = DigestPeriod(.daily, containing: day)!
    static let now = Fixtures.date("2026-11-21T07:00:00Z")

    /// A store with the fixture corpus, a vote on 2611.00002 and the given subscribers, confirmed.
    static func store(_ subscribers: [(String, DigestTopic)]) async throws -> (SQLiteStore, [Subscription], String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString).sqlite")
            .path
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        _ = try await store.upsert(Fixtures.corpus)
        let voter = try await store.createAccount(
            NewAccount(
                username: "voter", email: "voter@example.org", fullname: "Voter", passwordHash: "x",
                createdAt: now))
        _ = try await store.setVote(accountID: voter.id, paper: PaperID("2611.00002")!, up: true, at: now)
        var made: [Subscription] = []
        for (email, topic) in subscribers {
            let asked = try await store.requestSubscription(
                email: email, settings: SubscriptionSettings(frequency: .daily, topic: topic), nonce: "n", at: now)
            made.append(try #require(try await store.confirmSubscription(id: asked.id, nonce: "n", at: now)))
        }
        return (store, made, path)
    }

    static func run(_ store: SQLiteStore, _ mailer: RecordingMailer, size: Int = 10) async throws -> DigestRun {
        DigestRun(
            store: store,
            searcher: KeywordOnlySearcher(index: FollowingKeywordIndex(feed: store, papers: store), papers: store),
            renderer: try await DigestRenderer(), links: FixedLinks(), mailer: mailer, size: size, workers: 3,
            now: { now }, logger: quiet)
    }

    @Test func everySubscriberGetsThePeriodsTopPapersOnce() async throws {
        let (store, subscribers, _) = try await Self.store([("a@example.org", .none), ("b@example.org", .none)])
        let mailer = RecordingMailer()
        let report = try await Self.run(store, mailer).send(Self.period)
        #expect(report.sent == 2)
        #expect(report.complete)
        #expect(Set(mailer.sent.map(\.to)) == ["a@example.org", "b@example.org"])
        // Most upvoted first: 2611.00002 has the vote; then newest.
        let text = try #require(mailer.sent.first?.text)
        let quantum = try #require(text.range(of: "Quantum Error Correction"))
        let attention = try #require(text.range(of: "Attention Is All You Need"))
        #expect(quantum.lowerBound < attention.lowerBound)
        #expect(!text.contains("Galaxy Spectra"))  // featured on the 19th
        #expect(try await store.digestRunComplete(period: Self.period))
        for subscription in subscribers {
            let entry = try await store.digestEntry(subscriptionID: subscription.id, period: Self.period)
            #expect(entry?.state == .sent)
        }

        let again = try await Self.run(store, mailer).send(Self.period)
        #expect(again.sent == 0)
        #expect(again.done == 2)
        #expect(mailer.sent.count == 2)
    }

    @Test func twoRunsAtOnceSendEachDigestOnce() async throws {
        let addresses = (0..<40).map { ("s\($0)@example.org", DigestTopic.none) }
        let (store, _, path) = try await Self.store(addresses)
        // A second store on the same file: another process would open its own.
        let other = try SQLiteStore(path: path)
        let mailer = RecordingMailer()
        async let first = Self.run(store, mailer).send(Self.period)
        async let second = Self.run(other, mailer).send(Self.period)
        let reports = try await [first, second]
        #expect(reports.map(\.sent).reduce(0, +) == 40)
        #expect(mailer.sent.count == 40)
        #expect(Set(mailer.sent.map(\.to)).count == 40)
    }

    @Test func aTopicGetsOnlyItsPapersAndAnEmptyPeriodSendsNothing() async throws {
        let quantum = try DigestTopic.make(query: nil, categories: ["quant-ph"]).get()
        let language = try DigestTopic.make(query: "transformer", categories: []).get()
        let nothing = try DigestTopic.make(query: "galaxy", categories: []).get()
        let (store, subscribers, _) = try await Self.store([
            ("q@example.org", quantum), ("l@example.org", language), ("g@example.org", nothing),
        ])
        let mailer = RecordingMailer()
        let report = try await Self.run(store, mailer).send(Self.period)
        #expect(report.sent == 2)
        #expect(report.empty == 1)
        let byAddress = Dictionary(uniqueKeysWithValues: mailer.sent.map { ($0.to, $0.text) })
        #expect(byAddress["q@example.org"]?.contains("Quantum Error Correction") == true)
        #expect(byAddress["q@example.org"]?.contains("Attention") == false)
        #expect(byAddress["l@example.org"]?.contains("Attention Is All You Need Again") == true)
        #expect(byAddress["l@example.org"]?.contains("Quantum") == false)
        #expect(byAddress["g@example.org"] == nil)
        let empty = try await store.digestEntry(subscriptionID: subscribers[2].id, period: Self.period)
        #expect(empty?.state == .empty)
    }

    @Test func aVerifiedAccountsDigestHasAForYouSectionOfItsOwn() async throws {
        let galaxy = try DigestTopic.make(query: "galaxy", categories: []).get()
        let (store, _, _) = try await Self.store([("ada@example.org", galaxy), ("bob@example.org", galaxy)])
        // Ada's address is verified; Bob's is not. Both liked the transformer paper, whose co-author Alan Turing
        // also wrote the quantum paper featured that day.
        let ada = try await store.createAccount(
            NewAccount(
                username: "ada", email: "ada@example.org", emailVerifiedAt: Self.now, fullname: "Ada",
                passwordHash: "x", createdAt: Self.now))
        let bob = try await store.createAccount(
            NewAccount(
                username: "bob", email: "bob@example.org", fullname: "Bob", passwordHash: "x", createdAt: Self.now))
        for account in [ada, bob] {
            _ = try await store.setVote(accountID: account.id, paper: PaperID("2611.00001")!, up: true, at: Self.now)
        }
        let mailer = RecordingMailer()
        let report = try await Self.run(store, mailer).send(Self.period)
        // Nothing matches the galaxy topic that day: Bob's digest is empty, Ada's holds her section alone.
        #expect(report.sent == 1 && report.empty == 1)
        let message = try #require(mailer.sent.first)
        #expect(message.to == "ada@example.org")
        #expect(
            message.text.contains(
                "For you:\n- Quantum Error Correction at Scale\n  https://papers.example.org/papers/2611.00002\n"
                    + "  Because you liked “Attention Is All You Need Again”\n"))
        #expect(message.html?.contains("<h2 style=\"font-size:16px;font-weight:600;margin:0;\">For you</h2>") == true)
        #expect(!message.text.contains("- Attention Is All You Need Again"), "a liked paper is never recommended")
    }

    @Test func hiddenPapersAreLeftOut() async throws {
        let (store, _, _) = try await Self.store([("a@example.org", .none)])
        _ = try await store.setPaperHidden(PaperID("2611.00002")!, hidden: true, by: nil, at: Self.now)
        let mailer = RecordingMailer()
        _ = try await Self.run(store, mailer).send(Self.period)
        let text = try #require(mailer.sent.first?.text)
        #expect(!text.contains("Quantum"))
        #expect(text.contains("Attention"))
    }

    @Test func temporaryFailuresAreLeftForTheNextRun() async throws {
        let (store, _, _) = try await Self.store([("a@example.org", .none), ("busy@example.org", .none)])
        let failing = RecordingMailer(failures: ["busy@example.org": .temporary(code: 451, message: "try later")])
        let report = try await Self.run(store, failing).send(Self.period)
        #expect(report.sent == 1)
        #expect(report.temporary == 1)
        #expect(!report.complete)
        #expect(try await !store.digestRunComplete(period: Self.period))

        let working = RecordingMailer()
        let next = try await Self.run(store, working).send(Self.period)
        #expect(next.sent == 1)
        #expect(working.sent.map(\.to) == ["busy@example.org"])
        #expect(try await store.digestRunComplete(period: Self.period))
    }

    @Test func threePermanentFailuresPauseAnAddress() async throws {
        let (store, subscribers, _) = try await Self.store([("gone@example.org", .none)])
        let mailer = RecordingMailer(failures: ["gone@example.org": .permanent(code: 550, message: "no such user")])
        for offset in 0..<3 {
            let period = try #require(DigestPeriod(.daily, containing: Self.day.adding(days: -offset)))
            _ = try await Self.run(store, mailer).send(period)
        }
        let subscription = try #require(try await store.subscription(id: subscribers[0].id))
        #expect(subscription.pausedAt != nil)
        #expect(!subscription.isActive)
        #expect(try await store.activeSubscriptions(frequency: .daily, after: 0, limit: 10).isEmpty)
    }

    @Test func anUnreachableServerStopsTheRunAndLosesNothing() async throws {
        let (store, _, _) = try await Self.store([("a@example.org", .none), ("b@example.org", .none)])
        let down = RecordingMailer(failures: [
            "a@example.org": .unreachable("connection refused"), "b@example.org": .unreachable("connection refused"),
        ])
        let report = try await Self.run(store, down).send(Self.period)
        #expect(report.unreachable == "connection refused")
        #expect(report.sent == 0)
        let up = RecordingMailer()
        #expect(try await Self.run(store, up).send(Self.period).sent == 2)
    }

    @Test func theSchedulerSendsTheLatestDuePeriodOnce() async throws {
        let (store, _, _) = try await Self.store([("a@example.org", .none)])
        let mailer = RecordingMailer()
        // 2026-11-21 07:00 UTC with the hour at 6: the 20th's daily digest is due.
        let scheduler = DigestScheduler(
            run: try await Self.run(store, mailer), store: store, hour: 6, weekday: 1, now: { Self.now },
            logger: Self.quiet)
        #expect(await scheduler.sendIfDue(.daily) == false)
        #expect(mailer.sent.map(\.to) == ["a@example.org"])
        #expect(mailer.sent.first?.subject == "Paperboy daily digest: November 20, 2026")
        #expect(await scheduler.sendIfDue(.daily) == nil)
        #expect(mailer.sent.count == 1)
    }

    @Test func aDigestThatMayHaveArrivedStaysSending() async throws {
        let (store, subscribers, _) = try await Self.store([("a@example.org", .none)])
        let mailer = RecordingMailer(failures: ["a@example.org": .uncertain("the server closed the connection")])
        let report = try await Self.run(store, mailer).send(Self.period)
        #expect(report.inFlight.count == 1)
        #expect(report.sent == 0)
        let entry = try await store.digestEntry(subscriptionID: subscribers[0].id, period: Self.period)
        #expect(entry?.state == .sending)
        #expect(try await Self.run(store, RecordingMailer()).send(Self.period).sent == 0)
    }

    @Test func aRowLeftSendingIsNeverResent() async throws {
        let (store, subscribers, _) = try await Self.store([("a@example.org", .none), ("b@example.org", .none)])
        // A sender died during a's SMTP transaction.
        let claim = try #require(
            try await store.claimDigest(
                subscriptionID: subscribers[0].id, period: Self.period, messageID: "x@example.org", at: Self.now))
        let mailer = RecordingMailer()
        let report = try await Self.run(store, mailer).send(Self.period)
        #expect(report.inFlight == [claim.id])
        #expect(mailer.sent.map(\.to) == ["b@example.org"])
        #expect(try await store.releaseDigest(id: claim.id))
        #expect(try await Self.run(store, mailer).send(Self.period).sent == 1)
        #expect(mailer.sent.map(\.to).sorted() == ["a@example.org", "b@example.org"])
    }
}
