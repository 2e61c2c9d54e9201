import Foundation
import PaperboyCore

/// A mail a page sends (`mail.mustache` renders its HTML part; the plain-text part says the same): a heading,
/// paragraphs, one button with its link, paragraphs after it.
struct MailView {
    let siteName: String
    let home: String
    let heading: String
    let paragraphs: [String]
    let buttonLabel: String
    let link: String
    let after: [String]

    /// The plain-text part: the same words, the link on a line of its own.
    var text: String {
        var parts = [heading] + paragraphs
        parts.append("\(buttonLabel):\n\(link)")
        parts += after
        parts.append("-- \n\(siteName)\n\(home)")
        return parts.joined(separator: "\n\n") + "\n"
    }
}

/// The mails pages send, composed: what each says and where its link goes.
struct SiteMail<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }

    func message(to address: String, subject: String, _ view: MailView) throws -> MailMessage {
        MailMessage(
            to: address, subject: subject, text: view.text, html: try site.templates.render(view, "mail"),
            headers: [MailHeader("Auto-Submitted", "auto-generated")])
    }

    /// The confirmation of a subscription request: of a new subscription, or of a change to a confirmed one.
    func confirmation(_ subscription: Subscription, settings: SubscriptionSettings, token: String) throws
        -> MailMessage
    {
        let change = subscription.confirmedAt != nil
        let name = config.siteName
        let what = SubscriptionSummary(settings).sentence
        let view = MailView(
            siteName: name, home: SiteURL.home.absolute(config),
            heading: change ? "Confirm the changes to your \(name) subscription" : "Confirm your \(name) subscription",
            paragraphs: [
                change
                    ? "Someone, hopefully you, asked to change the \(name) digest this address gets to \(what)."
                    : "Someone, hopefully you, asked for \(what) from \(name) at this address.",
                "Nothing changes until you confirm. The link works for 7 days.",
            ],
            buttonLabel: change ? "Confirm the changes" : "Confirm your subscription",
            link: SiteURL.subscriptionConfirm(token: token).absolute(config),
            after: ["If you did not ask for this, ignore this mail: nothing will be sent to you."])
        let subject = change ? "Confirm changes to your \(name) subscription" : "Confirm your \(name) subscription"
        return try message(to: subscription.email, subject: subject, view)
    }

    /// The verification of an account's address.
    func verification(_ account: Account, token: String) throws -> MailMessage {
        let name = config.siteName
        let view = MailView(
            siteName: name, home: SiteURL.home.absolute(config), heading: "Verify your email address",
            paragraphs: [
                "Someone, hopefully you, gave this address to the \(name) account \(account.username).",
                "Verifying it lets you manage your digest subscription in your settings. The link works for 7 days.",
            ],
            buttonLabel: "Verify your address", link: SiteURL.verifyEmail(token: token).absolute(config),
            after: ["If this is not your account, ignore this mail."])
        return try message(to: account.email, subject: "Verify your \(name) email address", view)
    }

    /// A password-reset link.
    func passwordReset(_ account: Account, token: String) throws -> MailMessage {
        let name = config.siteName
        let view = MailView(
            siteName: name, home: SiteURL.home.absolute(config), heading: "Reset your password",
            paragraphs: [
                "Someone, hopefully you, asked to reset the password of the \(name) account \(account.username).",
                "The link works for an hour and only once. Setting a new password signs out every browser.",
            ],
            buttonLabel: "Choose a new password", link: SiteURL.passwordResetConfirm(token: token).absolute(config),
            after: ["If you did not ask for this, ignore this mail: your password stays as it is."])
        return try message(to: account.email, subject: "Reset your \(name) password", view)
    }

    /// Queues the verification mail of `account`'s address, within the address's daily quota. False when no mail
    /// server is configured, the quota is spent, or the outbox is full.
    @discardableResult
    func sendVerification(_ account: Account) async throws -> Bool {
        guard let outbox = site.mail else { return false }
        let now = site.now()
        guard
            try await site.store.takeMailQuota(
                address: account.email, kind: "verify", day: Day(now), limit: MailPolicy.mailsPerAddressPerDay)
        else { return false }
        let token = site.mailTokens.verifyEmail(accountID: account.id, email: account.email, now: now)
        return outbox.enqueue(try verification(account, token: token), kind: "verify")
    }

    /// ``sendVerification(_:)`` after a change that already happened (a sign-up, a new address): a failure to queue
    /// the mail is logged, and the change stands (settings can send the mail again).
    @discardableResult
    func sendVerificationAfterChange(_ account: Account) async -> Bool {
        do {
            return try await sendVerification(account)
        } catch {
            site.logger.error(
                "verification mail not queued",
                metadata: ["account.username": .string(account.username), "mail.error": .string("\(error)")])
            return false
        }
    }
}

/// A subscription's settings in words, for pages and mails.
struct SubscriptionSummary {
    let settings: SubscriptionSettings

    init(_ settings: SubscriptionSettings) { self.settings = settings }

    /// `daily` or `weekly`.
    var frequency: String { settings.frequency.rawValue }

    /// What the digest holds: "the most upvoted papers", or the topic.
    var topic: String {
        let query = settings.topic.query.map { "papers matching “\($0)”" }
        let categories =
            settings.topic.categories.isEmpty
            ? nil : "papers in " + settings.topic.categories.joined(separator: " or ")
        switch (query, categories) {
        case (let query?, _?): return query + " in " + settings.topic.categories.joined(separator: " or ")
        case (let query?, nil): return query
        case (nil, let categories?): return categories
        case (nil, nil): return "the most upvoted papers"
        }
    }

    /// "a daily digest of the most upvoted papers".
    var sentence: String { "a \(frequency) digest of \(topic)" }
}
