import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyCore

/// A client error in the JSON API: `{"error": "..."}` with its status.
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }
}

enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func rendered(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws
        -> Rendered
    {
        Rendered(
            status: status, contentType: Rendered.json, body: ByteBuffer(bytes: try encoder.encode(value)),
            headers: headers)
    }
}

/// The `sort` of `/api/daily_papers`, by Hugging Face's names.
enum APISort: String, CaseIterable {
    case publishedAt
    case trending
}

/// The JSON API in Hugging Face's shapes.
struct APIRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    func register(on routes: RouteTable) {
        routes.get(.apiDailyPapers) { request, _ in try await api(request) { try await dailyPapers(request) } }
        routes.get(.apiSearch) { request, _ in try await api(request) { try await search(request) } }
        routes.get(.apiPapers) { request, _ in try await api(request) { try await allPapers(request) } }
        routes.get(.apiPaper) { request, context in
            try await api(request) {
                let parameter = try SiteRoute.apiPaper.parameter(in: context)
                let similarSuffix = "/similar"
                if parameter.hasSuffix(similarSuffix), parameter.count > similarSuffix.count {
                    return try await similar(try paperID(parameter.dropLast(similarSuffix.count)), request)
                }
                return try await paper(try paperID(parameter))
            }
        }
    }

    func api(_ request: Request, _ produce: @escaping () async throws -> Rendered) async throws -> Response {
        try await site.cache.respond(to: request) {
            do {
                return try await produce()
            } catch let error as APIError {
                return try JSON.rendered(APIErrorBody(error: error.message), status: error.status)
            } catch let problem as ParameterProblem {
                return try JSON.rendered(APIErrorBody(error: problem.message), status: .badRequest)
            }
        }
    }

    func dailyPapers(_ request: Request) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...100, default: 50)
        let page = try Parameters(request: request).zeroBasedPage("p", perPage: limit)
        let sort = try Parameters(request: request).choice("sort", default: APISort.publishedAt) { _ in
            APIError.badRequest("sort must be publishedAt or trending")
        }
        let days: ClosedRange<Day>
        if let period = try Parameters(request: request).period() {
            days = period.days
        } else if sort == .trending {
            // Trending without a period means the last 30 days that lead up to the newest paper.
            guard let newest = try await site.store.newestDay() else { return try JSON.rendered([APIDailyItem]()) }
            days = newest.adding(days: -29)...newest
        } else {
            days = ListingPeriod.everything
        }
        // Community submissions arrive with accounts; until then no paper has a submitter on this site.
        if request.query("submitter") != nil { return try JSON.rendered([APIDailyItem]()) }
        let result = try await site.store.listing(
            days: days, sort: sort == .trending ? .upvotes : .publishedAt, offset: page * limit, limit: limit)
        return try JSON.rendered(result.items.map { APIDailyItem($0) })
    }

    func search(_ request: Request) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...120, default: 50)
        let mode = try Parameters(request: request).choice("mode", default: SearchMode.hybrid) { _ in
            APIError.badRequest("mode must be hybrid, keyword or semantic")
        }
        let query = SearchQuery(parsing: try Parameters(request: request).searchText())
        guard !query.isEmpty else { return try JSON.rendered([APIDailyItem]()) }
        let outcome = try await site.searcher.search(query, mode: mode, offset: 0, limit: limit)
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Search-Mode")!] = outcome.mode.rawValue
        return try JSON.rendered(
            outcome.page.items.map { hit in
                APIDailyItem(
                    hit.paper, score: hit.score,
                    why: APIWhy(mode: outcome.mode.rawValue, matchedTerms: hit.matchedTerms, similarity: hit.similarity)
                )
            }, headers: headers)
    }

    func similar(_ id: PaperID, _ request: Request) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...50, default: 5)
        guard try await site.store.paper(id: id) != nil else { throw APIError.notFound("paper \(id) not found") }
        let similar = try await site.searcher.similar(to: id, limit: limit)
        return try JSON.rendered(
            similar.map { item in
                let p = item.paper.paper
                return APISimilar(
                    paper: APIDailyPaper(item.paper), title: p.title, summary: p.abstract,
                    publishedAt: Timestamp.rfc3339(p.featuredAt), numComments: item.paper.numComments,
                    similarity: item.similarity)
            })
    }

    func allPapers(_ request: Request) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...1000, default: 100)
        var cursor: PaperCursor?
        if let raw = request.query("cursor") {
            guard let c = PaperCursor(token: raw) else {
                throw APIError.badRequest("cursor is not valid: use the one given in the Link header")
            }
            cursor = c
        }
        let page = try await site.store.allPapers(after: cursor, limit: limit)
        var headers = HTTPFields()
        if let next = page.next {
            let link = SiteURL.apiPapers(after: next, limit: limit).absolute(site.config)
            headers[HTTPField.Name("Link")!] = "<\(link)>; rel=\"next\""
        }
        return try JSON.rendered(page.papers.map(APIPaper.init), headers: headers)
    }

    func paperID(_ parameter: some StringProtocol) throws -> PaperID {
        let raw = QueryString.segment(parameter)
        guard let (id, _) = PaperID.parse(raw) else { throw APIError.notFound("\(raw) is not an arXiv id") }
        return id
    }

    func paper(_ id: PaperID) async throws -> Rendered {
        guard let stored = try await site.store.paper(id: id) else { throw APIError.notFound("paper \(id) not found") }
        return try JSON.rendered(APIPaper(stored))
    }
}
