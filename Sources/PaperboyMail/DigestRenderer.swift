import Foundation
import Mustache
import PaperboyCore

/// Writes a digest as a message: a plain-text part and an HTML part (tables and inline styles, which common mail
/// clients render), absolute links from ``DigestLinks``, and the `List-Unsubscribe` headers of RFC 2369 and RFC 8058.
public struct DigestRenderer: Sendable {
    private let library: MustacheLibrary
    /// The site's name in the subject and the body.
    public let siteName: String

    public init(siteName: String = "Paperboy") async throws {
        guard let root = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw DigestRenderError.missingTemplates
        }
        library = try await MustacheLibrary(directory: root.path)
        self.siteName = siteName
    }

    /// The subject of a period's digest: "Paperboy daily digest: October 22, 2025", "Paperboy weekly digest: week of
    /// October 20, 2025".
    public func subject(_ period: DigestPeriod) -> String {
        switch period.frequency {
        case .daily: "\(siteName) daily digest: \(period.start.longDescription)"
        case .weekly: "\(siteName) weekly digest: week of \(period.start.longDescription)"
        }
    }

    /// The digest of `papers` for `subscription` (nil for a preview without one: then no unsubscribe links).
    public func message(
        papers: [StoredPaper], period: DigestPeriod, to address: String, subscription: Subscription?,
        links: any DigestLinks, messageID: String?
    ) throws -> MailMessage {
        let body = try body(
            papers: papers, period: period, topic: subscription?.settings.topic, personal: subscription != nil,
            links: links)
        return message(body, to: address, subscription: subscription, links: links, messageID: messageID)
    }

    /// The digest written once for every subscriber of the same papers and topic; ``message(_:to:subscription:links:messageID:)``
    /// puts each subscriber's own links in. `personal`: with the links to manage and end a subscription.
    /// `forYou`: the subscriber's own recommendations among the period's papers (the "For you" section), for a
    /// subscriber whose address is a verified account's.
    public func body(
        papers: [StoredPaper], period: DigestPeriod, topic: DigestTopic?, personal: Bool, links: any DigestLinks,
        forYou: [Recommendation] = []
    ) throws -> DigestBody {
        var model = DigestModel(
            siteName: siteName, subject: subject(period), period: period, papers: papers, topic: topic,
            personal: personal, links: links)
        model.forYou = forYou.enumerated().map { index, item in
            var entry = DigestModel.item(index, item.paper, links: links)
            entry.because = item.because.map { "Because you liked “\($0.title)”" }
            return entry
        }
        model.hasForYou = !forYou.isEmpty
        guard let html = library.render(model, withTemplate: "digest.html"),
            let text = library.render(model, withTemplate: "digest.txt")
        else { throw DigestRenderError.missingTemplates }
        return DigestBody(
            subject: model.subject, html: DigestBody.pieces(html), text: DigestBody.pieces(text),
            listID: "\(siteName) digest <digest.\(Self.listDomain(links.home))>")
    }

    /// A subscriber's message from a body ``body(papers:period:topic:personal:links:)`` wrote.
    public func message(
        _ body: DigestBody, to address: String, subscription: Subscription?, links: any DigestLinks, messageID: String?
    ) -> MailMessage {
        var headers = [MailHeader("List-Id", body.listID)]
        var manage = ""
        var unsubscribe = ""
        if let subscription {
            manage = links.manage(subscription)
            unsubscribe = links.unsubscribe(subscription)
            headers.append(MailHeader("List-Unsubscribe", "<\(unsubscribe)>"))
            headers.append(MailHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        }
        return MailMessage(
            to: address, subject: body.subject,
            text: DigestBody.assemble(body.text, manage: manage, unsubscribe: unsubscribe),
            html: DigestBody.assemble(
                body.html, manage: DigestBody.attribute(manage), unsubscribe: DigestBody.attribute(unsubscribe)),
            headers: headers, messageID: messageID)
    }

    /// The host of the site's URL, for the `List-Id` header.
    static func listDomain(_ home: String) -> String {
        URL(string: home)?.host ?? "localhost"
    }
}

public enum DigestRenderError: Error, CustomStringConvertible {
    case missingTemplates

    public var description: String { "the digest templates were not found next to the executable" }
}

/// What the digest templates show.
struct DigestModel {
    struct Item {
        var number: Int
        var title: String
        /// The organisation, else the authors (the first five, then "et al.").
        var byline: String
        var upvotes: Int
        var votesLabel: String
        /// About two lines of the abstract.
        var summary: String
        var url: String
        var arxiv: String
        var pdf: String
        var categories: String
        /// In the "For you" section: the liked paper it is closest to.
        var because: String? = nil
    }

    var siteName: String
    var subject: String
    var heading: String
    var items: [Item]
    var home: String
    var manage: String?
    var unsubscribe: String?
    var topic: String?
    var forYou: [Item] = []
    var hasForYou = false

    init(
        siteName: String, subject: String, period: DigestPeriod, papers: [StoredPaper], topic: DigestTopic?,
        personal: Bool, links: any DigestLinks
    ) {
        self.siteName = siteName
        self.subject = subject
        heading =
            switch period.frequency {
            case .daily: "Papers of \(period.start.longDescription)"
            case .weekly:
                "Papers of the week of \(period.start.longDescription)"
            }
        items = papers.enumerated().map { index, stored in DigestModel.item(index, stored, links: links) }
        home = links.home
        manage = personal ? DigestBody.manageMark : nil
        unsubscribe = personal ? DigestBody.unsubscribeMark : nil
        self.topic = topic.flatMap { DigestModel.describe($0) }
    }

    static func item(_ index: Int, _ stored: StoredPaper, links: any DigestLinks) -> Item {
        let paper = stored.paper
        let authors =
            paper.authors.count > 5
            ? paper.authors.prefix(5).joined(separator: ", ") + " et al." : paper.authors.joined(separator: ", ")
        return Item(
            number: index + 1, title: paper.title, byline: stored.organization?.fullname ?? authors,
            upvotes: stored.upvotes, votesLabel: stored.upvotes == 1 ? "upvote" : "upvotes",
            summary: DigestModel.summary(stored.keySentence ?? paper.abstract, paper.abstract),
            url: links.paper(paper.id), arxiv: paper.id.arxivAbstractURL, pdf: paper.id.arxivPDFURL,
            categories: paper.categories.prefix(3).joined(separator: " · "))
    }

    /// At most about two lines (240 characters) of text, cut at a word, from the key sentence when it is short
    /// enough to leave room, else from the abstract.
    static func summary(_ preferred: String, _ abstract: String) -> String {
        let limit = 240
        let text = preferred.count <= limit ? preferred : abstract
        guard text.count > limit else { return text }
        let cut = text.prefix(limit)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]).trimmingCharacters(in: .whitespaces) + "…"
    }

    static func describe(_ topic: DigestTopic) -> String? {
        var parts: [String] = []
        if let query = topic.query { parts.append("“\(query)”") }
        if !topic.categories.isEmpty { parts.append("in " + topic.categories.joined(separator: " or ")) }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

/// A digest's text and HTML written once, with marks where each subscriber's own links go.
public struct DigestBody: Sendable {
    enum Piece: Sendable {
        case text(String)
        case manage
        case unsubscribe
    }

    let subject: String
    let html: [Piece]
    let text: [Piece]
    let listID: String

    /// Stand in for the links while the template renders: letters only, so no escaping changes them.
    static let manageMark = "PAPERBOYMANAGELINKMARK"
    static let unsubscribeMark = "PAPERBOYUNSUBSCRIBELINKMARK"

    /// The rendered text cut at the marks.
    static func pieces(_ rendered: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(rendered)
        while let mark = [manageMark, unsubscribeMark].compactMap({ m in rest.range(of: m).map { (m, $0) } })
            .min(by: { $0.1.lowerBound < $1.1.lowerBound })
        {
            pieces.append(.text(String(rest[..<mark.1.lowerBound])))
            pieces.append(mark.0 == manageMark ? .manage : .unsubscribe)
            rest = rest[mark.1.upperBound...]
        }
        pieces.append(.text(String(rest)))
        return pieces
    }

    static func assemble(_ pieces: [Piece], manage: String, unsubscribe: String) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .manage: out += manage
            case .unsubscribe: out += unsubscribe
            }
        }
        return out
    }

    /// A URL as an HTML attribute value holds it.
    static func attribute(_ url: String) -> String { CommentMarkdown.escaped(url) }
}
