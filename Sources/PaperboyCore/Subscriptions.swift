import Foundation

// Email digests: subscriptions (double opt-in, no account needed), the daily quota of mails per address, and the send
// ledger that makes sure no subscriber ever gets the same digest twice. The web layer and the `digest` command decide
// policy (tokens, limits, what a digest holds); the store keeps the records and applies each change atomically.

/// How often a subscriber gets a digest.
public enum DigestFrequency: String, Sendable, Hashable, CaseIterable, Codable {
    case daily
    case weekly
}

/// What a subscription asks for beyond the period's top papers: words to search for and/or categories (any of them).
/// An empty topic gets the period's most upvoted papers.
public struct DigestTopic: Sendable, Hashable {
    /// Search words as a person types them (the search box's syntax), trimmed; nil when there are none.
    public private(set) var query: String?
    /// arXiv categories, sorted, without repeats.
    public private(set) var categories: [String]

    /// The longest query a subscription keeps, in characters.
    public static let maxQueryCharacters = 300
    /// The most categories a subscription names.
    public static let maxCategories = 10

    public static let none = DigestTopic(checkedQuery: nil, categories: [])

    private init(checkedQuery: String?, categories: [String]) {
        self.query = checkedQuery
        self.categories = categories
    }

    /// A topic from what a person gave, or why it cannot be one. A blank query counts as none.
    public static func make(query: String?, categories: [String]) -> Result<DigestTopic, SubscriptionProblem> {
        let trimmed = query?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard trimmed.count <= maxQueryCharacters else { return .failure(.queryTooLong) }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return .failure(.queryTooLong)
        }
        guard categories.count <= maxCategories else { return .failure(.tooManyCategories) }
        var kept: Set<String> = []
        for category in categories {
            let name = category.trimmingCharacters(in: .whitespaces)
            guard DigestTopic.isCategoryName(name) else { return .failure(.badCategory(category)) }
            kept.insert(name)
        }
        return .success(DigestTopic(checkedQuery: trimmed.isEmpty ? nil : trimmed, categories: kept.sorted()))
    }

    /// An arXiv category name as subscriptions take it: 1 to 32 of letters, digits, `.` and `-` (`cs.CL`, `hep-th`).
    public static func isCategoryName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count)
            && name.utf8.allSatisfy { b in
                (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2E
                    || b == 0x2D
            }
    }

    public var isEmpty: Bool { query == nil && categories.isEmpty }
}

/// What a subscriber asked for.
public struct SubscriptionSettings: Sendable, Hashable {
    public var frequency: DigestFrequency
    public var topic: DigestTopic

    public init(frequency: DigestFrequency, topic: DigestTopic = .none) {
        self.frequency = frequency
        self.topic = topic
    }
}

/// Why a subscription request is refused (the API answers 400 with the description).
public enum SubscriptionProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedEmail
    case badFrequency
    case queryTooLong
    case tooManyCategories
    case badCategory(String)

    public var description: String {
        switch self {
        case .malformedEmail:
            "an email address is name@domain: ASCII, at most 254 characters, without spaces or line breaks"
        case .badFrequency: "frequency is daily or weekly"
        case .queryTooLong:
            "a topic query is at most \(DigestTopic.maxQueryCharacters) characters, without control characters"
        case .tooManyCategories: "a subscription names at most \(DigestTopic.maxCategories) categories"
        case .badCategory(let name):
            "“\(name.prefix(40))” is not a category name (letters, digits, . and -, at most 32 characters)"
        }
    }
}

/// Email addresses as subscriptions and mail take them.
public enum MailAddress {
    /// The address trimmed of surrounding blanks, or nil when it is not one Paperboy mails: ASCII only, at most 254
    /// characters, no CR, LF or other control characters, no spaces, one `@` between a local part of at most 64
    /// characters and a domain with a dot, none of `<>()[],;:"\`.
    public static func checked(_ raw: String) -> String? {
        let address = raw.trimmingCharacters(in: .whitespaces)
        let bytes = Array(address.utf8)
        let forbidden = Set("<>()[],;:\"\\ ".utf8)
        guard (3...254).contains(bytes.count),
            bytes.allSatisfy({ (0x21...0x7E).contains($0) && !forbidden.contains($0) })
        else { return nil }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].utf8.count) else { return nil }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        return address
    }

    /// The form addresses are compared in (lower-cased).
    public static func key(_ address: String) -> String { address.lowercased() }

    /// The domain part (`example.org` of `ada@example.org`), for Message-IDs.
    public static func domain(_ address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }
}

/// A subscription to digests: one per address.
public struct Subscription: Sendable, Hashable {
    /// Never reused, so that a link made for an ended subscription never reaches a new one.
    public var id: Int64
    /// As the subscriber wrote it.
    public var email: String
    /// In force once confirmed; before, what the first confirmation will put in force.
    public var settings: SubscriptionSettings
    /// A change asked for after the subscription was confirmed, waiting for its own confirmation.
    public var pending: SubscriptionSettings?
    /// The nonce of the outstanding confirmation link (nil once it is used).
    public var confirmNonce: String?
    public var confirmedAt: Date?
    public var createdAt: Date
    /// Permanent delivery failures in a row (a sent digest resets it).
    public var failures: Int
    /// Set after ``MailPolicy/pauseAfterFailures`` permanent failures in a row; a new confirmation clears it.
    public var pausedAt: Date?

    public init(
        id: Int64, email: String, settings: SubscriptionSettings, pending: SubscriptionSettings? = nil,
        confirmNonce: String? = nil, confirmedAt: Date? = nil, createdAt: Date, failures: Int = 0,
        pausedAt: Date? = nil
    ) {
        self.id = id
        self.email = email
        self.settings = settings
        self.pending = pending
        self.confirmNonce = confirmNonce
        self.confirmedAt = confirmedAt
        self.createdAt = createdAt
        self.failures = failures
        self.pausedAt = pausedAt
    }

    /// Confirmed and not paused: gets digests.
    public var isActive: Bool { confirmedAt != nil && pausedAt == nil }
}

/// Subscriptions and the quota of mails per address.
public protocol SubscriptionStore: Sendable {
    /// Records a request to subscribe `email` (compared without regard to case) with `settings`, whose confirmation
    /// link will carry `nonce`: a new address gets an unconfirmed subscription; an unconfirmed one has its settings
    /// replaced; a confirmed one keeps its settings and holds these as ``Subscription/pending``. Either way `nonce`
    /// replaces any earlier outstanding one (whose link then fails). Returns the subscription.
    func requestSubscription(email: String, settings: SubscriptionSettings, nonce: String, at: Date) async throws
        -> Subscription

    /// Confirms the request whose link carried `nonce`: the first confirmation sets `confirmedAt`; a pending change
    /// takes effect; the nonce is used up; a paused subscription resumes with no failures. Nil when there is no such
    /// subscription or the nonce is not its outstanding one (used already, or replaced by a newer request).
    func confirmSubscription(id: Int64, nonce: String, at: Date) async throws -> Subscription?

    func subscription(id: Int64) async throws -> Subscription?

    /// The subscription of an address, without regard to case.
    func subscription(email: String) async throws -> Subscription?

    /// Puts `settings` in force on a confirmed subscription (the manage page, whose signed link is the authority),
    /// dropping any pending change. Nil when there is no such subscription or it is not confirmed.
    func updateSubscription(id: Int64, settings: SubscriptionSettings) async throws -> Subscription?

    /// Ends a subscription with its ledger rows. False when there was none.
    func deleteSubscription(id: Int64) async throws -> Bool

    /// Active subscriptions (confirmed, not paused) of `frequency` with an id above `id`, by id: the subscribers of a
    /// send, walked in pages.
    func activeSubscriptions(frequency: DigestFrequency, after id: Int64, limit: Int) async throws -> [Subscription]

    /// Deletes subscriptions never confirmed and created before `before`; returns how many.
    @discardableResult
    func purgeUnconfirmedSubscriptions(createdBefore before: Date) async throws -> Int

    /// Takes one mail of `kind` (`confirm`, `verify`, `reset`) to `address` (without regard to case) from `day`'s
    /// quota of `limit`: true when fewer than `limit` were taken that day, atomically (two nodes never both take the
    /// last one). Older days' counts may be forgotten.
    func takeMailQuota(address: String, kind: String, day: Day, limit: Int) async throws -> Bool
}

/// The period a digest covers: a UTC day, or an ISO week (Monday to Sunday).
public struct DigestPeriod: Sendable, Hashable, CustomStringConvertible {
    public let frequency: DigestFrequency
    /// The day, or the week's Monday.
    public let start: Day

    /// The period of `frequency` holding `day` (its ISO week for weekly); nil outside ``Day/supportedYears``.
    public init?(_ frequency: DigestFrequency, containing day: Day) {
        switch frequency {
        case .daily: start = day
        case .weekly:
            guard let week = ISOWeek(containing: day) else { return nil }
            start = week.monday
        }
        self.frequency = frequency
    }

    /// The days the period covers.
    public var days: ClosedRange<Day> {
        switch frequency {
        case .daily: start...start
        case .weekly: start...start.adding(days: 6)
        }
    }

    /// The latest period of `frequency` that a digest is due for at `now`: with `hour` (UTC) and, for weekly, the
    /// ISO `weekday` (1 Monday ... 7 Sunday) of the send. A daily digest for day D is due from D+1 at `hour`; a
    /// weekly digest for a week is due from the following `weekday` at `hour`. After downtime this is still only
    /// the latest period, so a scheduler that missed several sends only that one.
    public static func latestDue(_ frequency: DigestFrequency, at now: Date, hour: Int, weekday: Int) -> DigestPeriod? {
        let today = Day(now)
        let secondsIntoDay = now.timeIntervalSince(today.start)
        let beforeHour = secondsIntoDay < Double(hour) * 3600
        switch frequency {
        case .daily:
            return DigestPeriod(.daily, containing: today.adding(days: beforeHour ? -2 : -1))
        case .weekly:
            // The most recent send moment at or before now: the latest `weekday` at `hour`.
            var back = (today.isoWeekday - weekday + 7) % 7
            if back == 0, beforeHour { back = 7 }
            let sendDay = today.adding(days: -back)
            // The week that ended before the send day.
            return DigestPeriod(.weekly, containing: sendDay.adding(days: -sendDay.isoWeekday))
        }
    }

    /// `daily 2025-10-22` or `weekly 2025-10-20`.
    public var description: String { "\(frequency.rawValue) \(start)" }
}

/// Where one subscriber's digest of one period stands.
public enum DigestState: String, Sendable, Hashable, CaseIterable {
    /// Claimed before the SMTP transaction; a row left in this state means a sender died during it.
    case sending
    case sent
    /// The period held nothing for this subscriber: nothing was sent.
    case empty
    /// The server refused it for good (5xx).
    case failed
}

/// A row of the send ledger.
public struct DigestLedgerEntry: Sendable, Hashable {
    public var id: Int64
    public var subscriptionID: Int64
    /// The address it went (or goes) to.
    public var email: String
    public var period: DigestPeriod
    public var state: DigestState
    /// The Message-ID of the digest (kept so that a stuck one can be looked for in the mail server's log).
    public var messageID: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// The server's answer to a failed digest.
    public var detail: String?

    public init(
        id: Int64, subscriptionID: Int64, email: String, period: DigestPeriod, state: DigestState, messageID: String,
        startedAt: Date, finishedAt: Date? = nil, detail: String? = nil
    ) {
        self.id = id
        self.subscriptionID = subscriptionID
        self.email = email
        self.period = period
        self.state = state
        self.messageID = messageID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.detail = detail
    }
}

/// The send ledger: one row per subscription and period, so that no digest is sent twice, whoever sends it.
public protocol DigestLedgerStore: Sendable {
    /// Claims the subscription's digest of `period`: writes a `sending` row unless the ledger has one for them
    /// already, atomically (of two senders at once, one gets the claim). The row when this caller claimed it, nil
    /// otherwise (sent, empty, failed, or being sent by another sender, or a stuck `sending` row).
    func claimDigest(subscriptionID: Int64, period: DigestPeriod, messageID: String, at: Date) async throws
        -> DigestLedgerEntry?

    /// Ends a claim in `state` (`sent`, `empty` or `failed`, never `sending`). `sent` resets the subscription's
    /// failures; `failed` adds one and pauses the subscription when it reaches `pauseAfter`. False when the row is
    /// not a `sending` one (released meanwhile).
    @discardableResult
    func finishDigest(id: Int64, state: DigestState, detail: String?, at: Date, pauseAfter: Int) async throws -> Bool

    /// Drops a `sending` row so that a later run sends that digest again: after a temporary failure, or
    /// `paperboy digest ledger --release ID` once a stuck one is checked. False when there is no such `sending` row.
    @discardableResult
    func releaseDigest(id: Int64) async throws -> Bool

    /// `sending` rows claimed before `before`, oldest first: digests whose sender died during the SMTP transaction.
    func stuckDigests(claimedBefore before: Date, limit: Int) async throws -> [DigestLedgerEntry]

    /// The ledger row of a subscription's digest of a period.
    func digestEntry(subscriptionID: Int64, period: DigestPeriod) async throws -> DigestLedgerEntry?

    /// How many ledger rows of `period` are in each state.
    func digestCounts(period: DigestPeriod) async throws -> [DigestState: Int]

    /// Records that a send of `period` ran to the end (every subscriber handled, no temporary failure left), so
    /// that the scheduler does not run it again.
    func markDigestRunComplete(period: DigestPeriod, at: Date) async throws

    func digestRunComplete(period: DigestPeriod) async throws -> Bool
}

extension SubscriptionSettings {
    /// Settings as a store keeps them (the frequency's name, the query, space-separated categories); throws
    /// ``StoredRowError`` for values no subscription can have (a database edited by hand).
    public static func stored(id: Int64, frequency: String, query: String?, categories: String) throws
        -> SubscriptionSettings
    {
        guard let frequency = DigestFrequency(rawValue: frequency) else {
            throw StoredRowError(description: "unknown frequency “\(frequency)” in subscription \(id)")
        }
        let names = categories.split(separator: " ").map(String.init)
        switch DigestTopic.make(query: query, categories: names) {
        case .success(let topic): return SubscriptionSettings(frequency: frequency, topic: topic)
        case .failure(let problem):
            throw StoredRowError(description: "the topic of subscription \(id) is not one: \(problem)")
        }
    }
}
