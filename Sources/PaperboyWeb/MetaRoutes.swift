import Foundation
import Hummingbird
import Metrics
import NIOCore
import PaperboyCore
import Prometheus

/// Health, metrics, robots, sitemap and the OpenAPI document.
struct MetaRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>
    var config: WebConfiguration { site.config }

    func register(on routes: RouteTable) {
        routes.get(.health) { _, _ in try await health() }
        routes.get(.metrics) { request, _ in try await metrics(request) }
        routes.get(.robots) { request, _ in
            try await site.cache.respond(to: request) {
                Rendered(
                    contentType: Rendered.plain,
                    text: "User-agent: *\nDisallow: \(config.pathPrefix + SiteRoute.search.pattern)\n"
                        + "Disallow: \(config.pathPrefix + SiteRoute.searchFeed.pattern)\n"
                        + "Sitemap: \(SiteURL.sitemap.absolute(config))\n")
            }
        }
        routes.get(.sitemap) { request, _ in try await site.cache.respond(to: request) { try await sitemap() } }
        routes.get(.openAPI) { request, _ in
            try await site.cache.respond(to: request) {
                Rendered(
                    contentType: Rendered.json,
                    text: site.templates.openAPI.replacingOccurrences(of: "{{server}}", with: config.siteRoot))
            }
        }
    }

    func health() async throws -> Response {
        let body: APIHealth
        let status: HTTPResponse.Status
        let (semantic, detail) =
            switch await site.searcher.semanticStatus() {
            case .on(let model, let vectors): ("on", "\(model), \(vectors) vectors")
            case .off(let reason):
                ("off", "\(reason); install the model (scripts/install-model.sh) and pass --model DIR (PAPERBOY_MODEL)")
            }
        do {
            let stats = try await site.store.stats()
            body = APIHealth(
                status: "ok", database: "ok", papers: stats.papers, newestDay: stats.newestDay?.description, error: nil,
                semantic: semantic, semanticDetail: detail)
            status = .ok
        } catch {
            site.logger.error("health check failed", metadata: ["error.message": "\(error)"])
            body = APIHealth(
                status: "unavailable", database: "error", papers: nil, newestDay: nil,
                error: "the database is not answering (the server log says why)",
                semantic: semantic, semanticDetail: detail)
            status = .serviceUnavailable
        }
        var headers = HTTPFields()
        headers[.contentType] = Rendered.json
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSON.encoder.encode(body))))
    }

    func metrics(_ request: Request) async throws -> Response {
        if let token = config.metricsToken {
            // Compared in constant time, so that answer times do not tell how much of a guess was right.
            guard Credentials.constantTimeEqual(request.headers[.authorization] ?? "", "Bearer \(token)") else {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Bearer"
                return Response(status: .unauthorized, headers: headers)
            }
        }
        if let stats = try? await site.store.stats() {
            Gauge(label: MetricNames.papers, factory: PrometheusMetricsFactory(registry: site.registry))
                .record(stats.papers)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: site.registry.emitToBuffer())))
    }

    func sitemap() async throws -> Rendered {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>\(XML.escape(SiteURL.home.absolute(config)))</loc><changefreq>daily</changefreq></url>

            """
        // The newest papers, within the sitemap protocol's 50,000 URLs a file.
        var cursor: PaperCursor?
        var count = 0
        repeat {
            let page = try await site.store.allPapers(after: cursor, limit: 5_000)
            for stored in page.papers {
                let day = Day(stored.paper.updated ?? stored.paper.featuredAt)
                xml += "<url><loc>\(XML.escape(SiteURL.paper(stored.paper.id).absolute(config)))</loc>"
                xml += "<lastmod>\(day)</lastmod></url>\n"
            }
            count += page.papers.count
            cursor = page.next
        } while cursor != nil && count < 49_999
        xml += "</urlset>\n"
        return Rendered(contentType: Rendered.xml, text: xml)
    }
}
