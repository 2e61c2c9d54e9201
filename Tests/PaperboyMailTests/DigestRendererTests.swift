import Foundation
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyMail

/// Links as the web layer makes them, with a fixed site and an unsigned token (the renderer only writes them).
struct FixedLinks: DigestLinks {
    var home: String { "https://papers.example.org/" }
    func paper(_ id: PaperID) -> String { "https://papers.example.org/papers/\(id.rawValue)" }
    func manage(_ subscription: Subscription) -> String {
        "https://papers.example.org/subscriptions/manage?token=\(subscription.id).sig"
    }
    func unsubscribe(_ subscription: Subscription) -> String {
        "https://papers.example.org/subscriptions/unsubscribe?token=\(subscription.id).sig"
    }
}

@Suite struct DigestRendererTests {
    static let period = DigestPeriod(.daily, containing: Day(iso: "2025-10-22")!)!
    static let subscription = Subscription(
        id: 7, email: "ada@example.org", settings: SubscriptionSettings(frequency: .daily),
        confirmedAt: Fixtures.date("2025-10-01T00:00:00Z"), createdAt: Fixtures.date("2025-10-01T00:00:00Z"))

    static func papers() -> [StoredPaper] {
        Fixtures.corpus.enumerated().map { index, paper in StoredPaper(paper: paper, upvotes: 5 - index) }
    }

    @Test func subjectsNameThePeriodInEnglish() async throws {
        let renderer = try await DigestRenderer()
        #expect(renderer.subject(Self.period) == "Paperboy daily digest: October 22, 2025")
        let day = try #require(Day(iso: "2025-10-22"))
        let week = try #require(DigestPeriod(.weekly, containing: day))
        #expect(renderer.subject(week) == "Paperboy weekly digest: week of October 20, 2025")
    }

    @Test func aDigestCarriesOneClickUnsubscribeAndAbsoluteLinks() async throws {
        let renderer = try await DigestRenderer()
        let message = try renderer.message(
            papers: Self.papers(), period: Self.period, to: "ada@example.org", subscription: Self.subscription,
            links: FixedLinks(), messageID: "abc@example.org")
        #expect(message.to == "ada@example.org")
        #expect(message.messageID == "abc@example.org")
        #expect(
            message.headers.contains(
                MailHeader("List-Unsubscribe", "<https://papers.example.org/subscriptions/unsubscribe?token=7.sig>")))
        #expect(message.headers.contains(MailHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")))
        let html = try #require(message.html)
        #expect(html.contains("href=\"https://papers.example.org/papers/2611.00001\""))
        #expect(html.contains("https://papers.example.org/subscriptions/manage?token=7.sig"))
        #expect(message.text.contains("1. Attention Is All You Need Again"))
        #expect(message.text.contains("   Ada Lovelace, Alan Turing"))
        #expect(message.text.contains("https://papers.example.org/papers/2611.00001"))
        #expect(
            message.text.contains("Change or end your subscription: https://papers.example.org/subscriptions/manage"))
    }

    @Test func htmlIsEscapedAndTextIsNot() async throws {
        let renderer = try await DigestRenderer()
        let message = try renderer.message(
            papers: Self.papers(), period: Self.period, to: "ada@example.org", subscription: Self.subscription,
            links: FixedLinks(), messageID: nil)
        let html = try #require(message.html)
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("&lt;script&gt;alert"))
        #expect(message.text.contains("<script>alert('x')</script> & \"Quotes\""))
    }

    @Test func aPreviewWithoutSubscriptionHasNoUnsubscribeLinks() async throws {
        let renderer = try await DigestRenderer()
        let message = try renderer.message(
            papers: Self.papers(), period: Self.period, to: "ada@example.org", subscription: nil, links: FixedLinks(),
            messageID: nil)
        #expect(!message.headers.contains { $0.name == "List-Unsubscribe" })
        #expect(!message.text.contains("manage?token"))
    }

    @Test func oneBodyServesEverySubscriberWithTheirOwnLinks() async throws {
        struct AmpersandLinks: DigestLinks {
            var home: String { "https://papers.example.org/" }
            func paper(_ id: PaperID) -> String { "https://papers.example.org/papers/\(id.rawValue)" }
            func manage(_ subscription: Subscription) -> String { "https://p.example.org/m?id=\(subscription.id)&t=x" }
            func unsubscribe(_ subscription: Subscription) -> String { "https://p.example.org/u?id=\(subscription.id)" }
        }
        let renderer = try await DigestRenderer()
        let body = try renderer.body(
            papers: Self.papers(), period: Self.period, topic: nil, personal: true, links: AmpersandLinks())
        var other = Self.subscription
        other.id = 8
        let first = renderer.message(
            body, to: "ada@example.org", subscription: Self.subscription, links: AmpersandLinks(), messageID: nil)
        let second = renderer.message(
            body, to: "bob@example.org", subscription: other, links: AmpersandLinks(), messageID: nil)
        #expect(first.html?.contains("href=\"https://p.example.org/m?id=7&amp;t=x\"") == true)
        #expect(first.text.contains("https://p.example.org/m?id=7&t=x"))
        #expect(second.html?.contains("href=\"https://p.example.org/u?id=8\"") == true)
        #expect(second.headers.contains(MailHeader("List-Unsubscribe", "<https://p.example.org/u?id=8>")))
        #expect(!(second.html ?? "").contains("PAPERBOY"))
        #expect(!second.text.contains("PAPERBOY"))
    }

    @Test func summariesStopAtAboutTwoLines() {
        let long = String(repeating: "word ", count: 100)
        let summary = DigestModel.summary(long, long)
        #expect(summary.count <= 241)
        #expect(summary.hasSuffix("word…"))
        #expect(DigestModel.summary("Short key sentence.", long) == "Short key sentence.")
    }

    @Test func anOrganisationStandsForTheAuthors() async throws {
        let renderer = try await DigestRenderer()
        var paper = Self.papers()[0]
        paper.organization = Organization(name: "acme", fullname: "Acme Research")
        let message = try renderer.message(
            papers: [paper], period: Self.period, to: "ada@example.org", subscription: nil, links: FixedLinks(),
            messageID: nil)
        #expect(message.text.contains("   Acme Research\n"))
    }
}
