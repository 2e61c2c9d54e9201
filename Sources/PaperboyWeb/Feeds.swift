import Foundation
import Hummingbird
import PaperboyCore

/// Escaping for XML text and attribute values.
enum XML {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Characters XML 1.0 does not allow are dropped.
                let v = scalar.value
                if v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD)
                    || v >= 0x10000
                {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// RSS 2.0 feeds: the daily list, a category, a search.
struct FeedRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>
    static var size: Int { 50 }

    var config: WebConfiguration { site.config }

    func register(on routes: RouteTable) {
        routes.get(.dailyFeed) { request, _ in
            try await site.cache.respond(to: request) { try await daily() }
        }
        routes.get(.categoryFeed) { request, context in
            try await site.cache.respond(to: request) {
                try await category(SiteRoute.categoryFeed.parameter(in: context))
            }
        }
        routes.get(.searchFeed) { request, _ in
            try await site.cache.respond(to: request) {
                do {
                    return try await search(try Parameters(request: request).searchText())
                } catch let problem as ParameterProblem {
                    return Rendered(status: .badRequest, contentType: Rendered.plain, text: problem.message)
                }
            }
        }
    }

    func daily() async throws -> Rendered {
        var papers: [StoredPaper] = []
        if let newest = try await site.store.newestDay() {
            papers = try await site.store.listing(days: newest...newest, sort: .upvotes, offset: 0, limit: 200).items
        }
        return rss(
            title: "\(config.siteName): daily papers", link: SiteURL.home.absolute(config),
            self: SiteURL.dailyFeed.absolute(config), description: "The papers of the newest day.", papers: papers)
    }

    func category(_ file: String) async throws -> Rendered {
        guard file.hasSuffix(".xml") else { return notFound("No such feed.") }
        let name = QueryString.segment(file.dropLast(4))
        let papers = try await site.store.papers(inCategory: name, offset: 0, limit: Self.size).items
        return rss(
            title: "\(config.siteName): \(name)", link: SiteURL.category(name).absolute(config),
            self: SiteURL.categoryFeed(name).absolute(config), description: "New papers in \(name).", papers: papers)
    }

    func search(_ text: String) async throws -> Rendered {
        let query = SearchQuery(parsing: text)
        let papers =
            query.isEmpty
            ? []
            : try await site.searcher.search(query, mode: .hybrid, offset: 0, limit: Self.size).page.items.map(\.paper)
        return rss(
            title: "\(config.siteName): search “\(text)”", link: SiteURL.search(text).absolute(config),
            self: SiteURL.searchFeed(text).absolute(config), description: "Papers matching \(text).", papers: papers)
    }

    func notFound(_ message: String) -> Rendered {
        Rendered(status: .notFound, contentType: Rendered.plain, text: message)
    }

    func rss(title: String, link: String, self selfURL: String, description: String, papers: [StoredPaper]) -> Rendered
    {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel>
            <title>\(XML.escape(title))</title>
            <link>\(XML.escape(link))</link>
            <atom:link href="\(XML.escape(selfURL))" rel="self" type="application/rss+xml"/>
            <description>\(XML.escape(description))</description>
            <generator>Paperboy</generator>

            """
        if let newest = papers.map(\.paper.featuredAt).max() {
            xml += "<lastBuildDate>\(Timestamp.rfc2822(newest))</lastBuildDate>\n"
        }
        for stored in papers {
            let p = stored.paper
            let url = SiteURL.paper(p.id).absolute(config)
            xml += "<item>\n"
            xml += "<title>\(XML.escape(p.title))</title>\n"
            xml += "<link>\(XML.escape(url))</link>\n"
            xml += "<guid isPermaLink=\"true\">\(XML.escape(url))</guid>\n"
            xml += "<description>\(XML.escape(p.abstract))</description>\n"
            xml += "<dc:creator>\(XML.escape(p.authors.joined(separator: ", ")))</dc:creator>\n"
            for category in p.categories { xml += "<category>\(XML.escape(category))</category>\n" }
            xml += "<pubDate>\(Timestamp.rfc2822(p.featuredAt))</pubDate>\n"
            xml += "</item>\n"
        }
        xml += "</channel>\n</rss>\n"
        return Rendered(contentType: Rendered.rss, text: xml)
    }
}
