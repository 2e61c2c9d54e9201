import Foundation
import FoundationXML
import HTTPTypes
import PaperStoreConformance
import PaperboyCore
import PaperboyWeb
import Testing

/// Parses XML and reports whether it is well-formed.
final class XMLCheck: NSObject, XMLParserDelegate {
    var items = 0
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if name == "item" || name == "url" { items += 1 }
    }

    static func count(_ text: String) -> Int? {
        let parser = XMLParser(data: Data(text.utf8))
        let check = XMLCheck()
        parser.delegate = check
        return parser.parse() ? check.items : nil
    }
}

@Suite("Feeds, health, metrics, sitemap, OpenAPI")
struct MetaTests {
    @Test func feedsAreWellFormedRSS() async throws {
        try await TestSite.make().run { client in
            let daily = try await client.get("/feeds/daily.xml")
            #expect(daily.status == .ok)
            #expect(daily.headers[.contentType] == "application/rss+xml; charset=utf-8")
            #expect(XMLCheck.count(daily.body) == 2)
            #expect(daily.body.contains("<pubDate>Fri, 20 Nov 2026 11:30:00 GMT</pubDate>"))
            let category = try await client.get("/feeds/categories/cs.LG.xml")
            #expect(XMLCheck.count(category.body) == 2)
            let search = try await client.get("/feeds/search.xml?q=script")
            #expect(XMLCheck.count(search.body) == 1)
            #expect(
                search.body.contains(
                    "<title>&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;Quotes&quot;</title>"))
            #expect(try await client.get("/feeds/categories/cs.LG").status == .notFound)
        }
    }

    @Test func healthReportsTheDatabase() async throws {
        try await TestSite.make().run { client in
            let health = try #require(try await client.json("/health") as? [String: Any])
            #expect(health["status"] as? String == "ok")
            #expect(health["database"] as? String == "ok")
            #expect(health["papers"] as? Int == 5)
            #expect(health["newestDay"] as? String == "2026-11-20")
            #expect(health["semantic"] as? String == "off")
            #expect(
                health["semanticDetail"] as? String
                    == "no embedding model is loaded; install the model (scripts/install-model.sh) and pass --model DIR (PAPERBOY_MODEL)"
            )
        }
    }

    @Test func metricsArePrometheusTextWithOurPrefix() async throws {
        try await TestSite.make().run { client in
            _ = try await client.get("/")
            let metrics = try await client.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.body.contains("# TYPE paperboy_http_requests_total counter"))
            #expect(metrics.body.contains(#"paperboy_http_requests_total{route="/",method="GET",status="200"} 1"#))
            #expect(metrics.body.contains("paperboy_papers 5"))
        }
    }

    @Test func metricsCanRequireAToken() async throws {
        let config = WebConfiguration(metricsToken: "s3cret", cacheTTL: .zero)
        try await TestSite.make(config: config).run { client in
            let anonymous = try await client.get("/metrics")
            let wrong = try await client.get("/metrics", headers: [.authorization: "Bearer wrong"])
            let right = try await client.get("/metrics", headers: [.authorization: "Bearer s3cret"])
            #expect(anonymous.status == .unauthorized)
            #expect(wrong.status == .unauthorized)
            #expect(right.status == .ok)
        }
    }

    @Test func robotsAndSitemap() async throws {
        try await TestSite.make().run { client in
            let robots = try await client.get("/robots.txt")
            #expect(robots.body.contains("Sitemap: http://127.0.0.1:8080/sitemap.xml"))
            let sitemap = try await client.get("/sitemap.xml")
            #expect(XMLCheck.count(sitemap.body) == 6)
            #expect(sitemap.body.contains("<loc>http://127.0.0.1:8080/papers/hep-th/9901001</loc>"))
        }
    }

    @Test func clientAddressBelievesOnlyTrustedProxies() {
        let trusted: Set<String> = ["10.0.0.1", "10.0.0.2"]
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: "203.0.113.9", trusted: trusted) == "203.0.113.9")
        #expect(
            ClientAddress.resolve(
                peer: "10.0.0.1", forwardedFor: "198.51.100.1, 203.0.113.9, 10.0.0.2", trusted: trusted)
                == "203.0.113.9")
        #expect(
            ClientAddress.resolve(peer: "198.51.100.7", forwardedFor: "1.2.3.4", trusted: trusted) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: nil, trusted: trusted) == "10.0.0.1")
    }

    /// Every documented path answers, and every JSON answer has exactly the documented properties.
    @Test func openAPIDocumentMatchesTheImplementation() async throws {
        let site = try await TestSite.make()
        // A submitted paper, so that answers carry the submitter's object too.
        let submitter = try await site.member("metauser").account
        _ = try await site.store.submit(
            Submission(
                paper: PaperID("2611.00002")!, accountID: submitter.id, at: Date(timeIntervalSince1970: 1_795_262_400)))
        _ = try await site.store.addComment(
            paper: PaperID("2611.00002")!, accountID: submitter.id, text: "Nice *result*",
            at: Date(timeIntervalSince1970: 1_795_262_500))
        // A public collection holding it, for the collection answers.
        let collection = try await site.store.createCollection(
            NewCollection(
                id: "metaCoLLect2", ownerID: submitter.id, name: "Meta", description: "", isPublic: true,
                at: Date(timeIntervalSince1970: 1_795_262_400)))
        _ = try await site.store.setPaper(
            PaperID("2611.00002")!, inCollection: collection.id, add: true,
            at: Date(timeIntervalSince1970: 1_795_262_400))
        try await site.run { client in
            let doc = try #require(try await client.json("/openapi.json") as? [String: Any])
            #expect(doc["openapi"] as? String == "3.1.0")
            #expect((doc["servers"] as? [[String: String]])?.first?["url"] == "http://127.0.0.1:8080")
            let paths = try #require(doc["paths"] as? [String: Any])
            #expect(
                Set(paths.keys) == [
                    "/api/daily_papers", "/api/papers/search", "/api/papers", "/api/papers/{id}", "/api/stats",
                    "/api/suggest",
                    "/api/papers/{id}/similar", "/api/papers/{id}/upvote", "/api/papers/submit",
                    "/api/papers/{id}/comments", "/api/papers/{id}/report", "/api/papers/{id}/hide",
                    "/api/papers/{id}/unhide", "/api/comments/{id}", "/api/comments/{id}/report",
                    "/api/comments/{id}/hide", "/api/comments/{id}/unhide", "/api/moderation/reports",
                    "/health", "/api/collections", "/api/collections/{id}", "/api/collections/{id}/items",
                    "/api/collections/{id}/items/{paperId}", "/api/subscriptions", "/api/recommendations",
                    "/api/papers/{id}/not-interested",
                ])
            let schemes = (doc["components"] as? [String: Any])?["securitySchemes"] as? [String: [String: String]]
            #expect(schemes?["bearer"]?["scheme"] == "bearer")
            let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
            let samples: [(String, String)] = [
                ("/api/daily_papers?date=2026-11-20", "DailyItem"),
                ("/api/papers/search?q=network", "DailyItem"),
                ("/api/papers?limit=3", "Paper"),
                ("/api/papers/2611.00002", "Paper"),
                ("/api/papers/2611.00002/comments", "Comment"),
                ("/health", "Health"),
                ("/api/daily_papers?limit=0", "Error"),
                ("/api/collections/\(collection.id)", "Collection"),
                ("/api/collections?user=metauser", "Collection"),
                ("/api/collections/zzzzzzzzzzzz", "Error"),
            ]
            for (uri, schemaName) in samples {
                let value = try await client.json(uri)
                let objects = (value as? [[String: Any]]) ?? [value as? [String: Any]].compactMap { $0 }
                #expect(!objects.isEmpty, "\(uri)")
                for object in objects { try conform(object, schemaName, schemas, uri) }
            }
            // Without a model, similar papers are an empty list (checked with a model in PaperboyCLITests).
            #expect(try await client.json("/api/papers/2611.00002/similar") as? [Any] != nil)
        }
    }

    func conform(_ object: [String: Any], _ name: String, _ schemas: [String: [String: Any]], _ uri: String) throws {
        let schema = try #require(schemas[name])
        let properties = try #require(schema["properties"] as? [String: [String: Any]])
        let required = Set(schema["required"] as? [String] ?? [])
        #expect(required.isSubset(of: Set(object.keys)), "\(uri): missing \(required.subtracting(object.keys))")
        #expect(
            Set(object.keys).isSubset(of: Set(properties.keys)),
            "\(uri): undocumented \(Set(object.keys).subtracting(properties.keys))")
        for (key, value) in object {
            guard let property = properties[key] else { continue }
            if let ref = property["$ref"] as? String, let nested = value as? [String: Any] {
                try conform(nested, String(ref.split(separator: "/").last!), schemas, uri)
            }
            if let items = property["items"] as? [String: Any], let ref = items["$ref"] as? String,
                let array = value as? [[String: Any]]
            {
                for element in array { try conform(element, String(ref.split(separator: "/").last!), schemas, uri) }
            }
            if property["format"] as? String == "date-time" { #expect(isAPITimestamp(value), "\(uri): \(key)") }
        }
    }
}
