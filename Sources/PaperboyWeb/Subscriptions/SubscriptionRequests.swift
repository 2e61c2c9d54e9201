import Foundation
import HTTPTypes
import PaperboyCore
import Synchronization

/// A subscription request as a form or the API sends it, checked: the address and what the subscriber asks for.
struct SubscriptionRequest: Sendable {
    let email: String
    let settings: SubscriptionSettings

    /// What every accepted request answers, known address or not.
    static let pendingMessage = "If the address can receive mail, a confirmation is on its way."

    /// Requests per client address per hour (the form and the API together).
    static let perAddress = RateRule(limit: 20, window: .seconds(3_600))

    /// Checks, in order, the address (``MailAddress/checked(_:)``), the frequency and the topic.
    static func check(email: String, frequency: String, query: String?, categories: [String]) -> Result<
        SubscriptionRequest, SubscriptionProblem
    > {
        guard let address = MailAddress.checked(email) else { return .failure(.malformedEmail) }
        guard let frequency = DigestFrequency(rawValue: frequency.trimmingCharacters(in: .whitespaces)) else {
            return .failure(.badFrequency)
        }
        switch DigestTopic.make(query: query, categories: categories) {
        case .failure(let problem): return .failure(problem)
        case .success(let topic):
            return .success(
                SubscriptionRequest(email: address, settings: SubscriptionSettings(frequency: frequency, topic: topic)))
        }
    }

    /// The categories of a form's text field: names separated by commas or blanks.
    static func categories(_ field: String?) -> [String] {
        (field ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }
}

/// When unconfirmed subscriptions were last purged: at most once an hour, on a request.
final class PurgeSchedule: Sendable {
    static let every: TimeInterval = 3_600
    private let last = Mutex<Date?>(nil)

    /// Whether a purge is due at `now` (and if so, marks it done).
    func due(_ now: Date) -> Bool {
        last.withLock { last in
            if let previous = last, now.timeIntervalSince(previous) < PurgeSchedule.every, now >= previous {
                return false
            }
            last = now
            return true
        }
    }
}

/// Subscribing, as the subscribe form and the API share it.
struct SubscriptionActions<Store: SiteStore>: Sendable {
    let site: Site<Store>

    /// How long the visitor at `client` must wait before another request, or nil (and the request is counted).
    func limited(client: String) -> Duration? {
        site.accounts.limiter.take(
            RateLimiter.Key(bucket: "subscribe", subject: client), SubscriptionRequest.perAddress)
    }

    /// Records the request and queues its confirmation mail, within the address's daily quota. Does the same work
    /// whether the address is new or known, and never waits for the mail server, so that nothing in the answer
    /// tells them apart.
    func request(_ request: SubscriptionRequest, outbox: MailOutbox) async throws {
        let now = site.now()
        if site.purges.due(now) {
            let purged = try await site.store.purgeUnconfirmedSubscriptions(
                createdBefore: now.addingTimeInterval(-MailPolicy.unconfirmedLifetime))
            if purged > 0 {
                site.logger.info("unconfirmed subscriptions purged", metadata: ["subscriptions.purged": "\(purged)"])
            }
        }
        // Past the day's quota nothing changes: a new nonce without a mail would break the link sent before, so
        // that anybody could spoil a subscriber's confirmation by asking again.
        guard
            try await site.store.takeMailQuota(
                address: request.email, kind: "confirm", day: Day(now), limit: MailPolicy.mailsPerAddressPerDay)
        else { return }
        let nonce = Credentials.randomBase62(22)
        let subscription = try await site.store.requestSubscription(
            email: request.email, settings: request.settings, nonce: nonce, at: now)
        let token = site.mailTokens.confirm(id: subscription.id, nonce: nonce, now: now)
        let mail = try SiteMail(site: site).confirmation(subscription, settings: request.settings, token: token)
        outbox.enqueue(mail, kind: "confirm")
    }
}
