import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyCore

/// A client error in the JSON API: `{"error": "..."}` with its status (and headers such as `WWW-Authenticate`).
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String
    var headers: HTTPFields = [:]

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }

    /// 401 where an account is needed, saying how to authenticate.
    static func unauthorized(rejected: Bool) -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] =
            rejected ? "Bearer realm=\"paperboy\", error=\"invalid_token\"" : "Bearer realm=\"paperboy\""
        return APIError(
            status: .unauthorized,
            message: rejected
                ? AgentTokenRefused.message
                : "sign in or send a personal access token (Authorization: Bearer pb_...)",
            headers: headers)
    }
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

extension HTTPField.Name {
    /// The mode a search ran in (keyword when semantic search is off).
    static let xSearchMode = HTTPField.Name("X-Search-Mode")!
    static let xTotalCount = HTTPField.Name("X-Total-Count")!
    static let xTotalCountEstimated = HTTPField.Name("X-Total-Count-Estimated")!
}

/// The JSON API in Hugging Face's shapes.
struct APIRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    func register(on routes: RouteTable) {
        routes.get(.apiDailyPapers) { request, context in
            try await api(request) { try await dailyPapers(request, context.viewer) }
        }
        routes.get(.apiSearch) { request, context in
            try await api(request) { try await search(request, context.viewer) }
        }
        routes.get(.apiPapers) { request, context in
            try await api(request) { try await allPapers(request, context.viewer) }
        }
        routes.get(.apiStats) { request, _ in try await api(request) { try await stats(request) } }
        routes.get(.apiSuggest) { request, _ in try await api(request) { try await suggestions(request) } }
        routes.get(.apiRecommendations) { request, context in
            try await api(request, cacheable: false) { try await recommendations(request, context.viewer) }
        }
        routes.get(.apiPaper) { request, context in
            let (raw, sub) = PaperSubresource.split(try SiteRoute.apiPaper.parameter(in: context))
            guard sub.methods.contains(.get) else { return RouteTable.notAllowed(sub.methods) }
            return try await api(request) {
                let id = try paperID(raw)
                switch sub {
                case .similar: return try await similar(id, request)
                case .comments: return try await comments(id, context.viewer)
                default: return try await paper(id, context.viewer)
                }
            }
        }
        routes.methods(of: .apiPaper) { path in PaperSubresource.split(path).sub.methods }
        routes.methods(of: .apiComment) { path in CommentSubresource.split(path).sub.methods }
        for method in [HTTPRequest.Method.post, .delete, .patch] {
            routes.on(.apiPaper, method: method) { request, context in
                let parameter = try SiteRoute.apiPaper.parameter(in: context)
                let methods = PaperSubresource.split(parameter).sub.methods
                guard methods.contains(method) else { return RouteTable.notAllowed(methods) }
                return try await api(request, cacheable: false) {
                    try await paperWrite(parameter, method, request, try account(request, context))
                }
            }
            routes.on(.apiComment, method: method) { request, context in
                let parameter = try SiteRoute.apiComment.parameter(in: context)
                let methods = CommentSubresource.split(parameter).sub.methods
                guard methods.contains(method) else { return RouteTable.notAllowed(methods) }
                return try await api(request, cacheable: false) {
                    try await commentWrite(parameter, method, request, try account(request, context))
                }
            }
        }
        routes.on(.apiSubmit, method: .post) { request, context in
            try await api(request, cacheable: false) { try await submit(request, try account(request, context)) }
        }
    }

    func api(_ request: Request, cacheable: Bool = true, _ produce: @escaping () async throws -> Rendered)
        async throws -> Response
    {
        try await site.cache.respond(to: request, cacheable: cacheable) {
            do {
                return try await produce()
            } catch let error as APIError {
                return try JSON.rendered(
                    APIErrorBody(error: error.message), status: error.status, headers: error.headers)
            } catch let problem as ParameterProblem {
                return try JSON.rendered(APIErrorBody(error: problem.message), status: .badRequest)
            } catch let refusal as CommunityRefusal {
                var headers = HTTPFields()
                if let wait = refusal.retryAfter { headers[.retryAfter] = String(wait.retryAfterSeconds) }
                if let existing = refusal.existing {
                    let item = APIDailyItem(existing, config: site.config)
                    return try JSON.rendered(
                        APIConflict(error: refusal.message, item: item), status: refusal.status, headers: headers)
                }
                return try JSON.rendered(APIErrorBody(error: refusal.message), status: refusal.status, headers: headers)
            }
        }
    }

    /// The signed-in caller where an account is needed: 401 without one; a browser session must also send its
    /// CSRF token in `X-CSRF-Token` (a bearer token needs none).
    func account(_ request: Request, _ context: AppRequestContext) throws -> Viewer {
        guard let viewer = context.viewer else { throw APIError.unauthorized(rejected: context.credentialsRejected) }
        guard site.accounts.checkCSRF(viewer, token: request.headers[.xCSRFToken]) else {
            throw APIError(
                status: .forbidden, message: "a signed-in browser must send its CSRF token in X-CSRF-Token")
        }
        return viewer
    }

    /// Which of `papers` the viewer voted for; nil for anonymous calls (the field is then left out).
    func voted(_ viewer: Viewer?, _ papers: [StoredPaper]) async throws -> Set<PaperID>? {
        guard let viewer else { return nil }
        guard !papers.isEmpty else { return [] }
        return try await site.store.votedPapers(accountID: viewer.account.id, among: papers.map(\.paper.id))
    }

    func upvote(_ id: PaperID, up: Bool, _ viewer: Viewer) async throws -> Rendered {
        let state = try await CommunityActions(site: site).vote(viewer, paper: id, up: up)
        return try JSON.rendered(APIVote(upvotes: state.upvotes, upvoted: state.upvoted))
    }

    func submit(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 16 * 1024)
        } catch {
            throw APIError(status: .contentTooLarge, message: "the body may hold at most 16 KB")
        }
        let decoded: APISubmitRequest
        do {
            decoded = try JSONDecoder().decode(APISubmitRequest.self, from: Data(buffer: body))
        } catch {
            throw APIError.badRequest("send JSON: {\"paper_id\": \"2511.01234\", \"comment\": \"optional\"}")
        }
        let stored = try await CommunityActions(site: site).submit(
            viewer, rawID: decoded.paper_id, comment: decoded.comment)
        return try JSON.rendered(APIDailyItem(stored, config: site.config, upvoted: false), status: .created)
    }

    func dailyPapers(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...100, default: 50)
        let page = try Parameters(request: request).zeroBasedPage("p", perPage: limit)
        let sort = try Parameters(request: request).choice("sort", default: DailySort.publishedAt) { _ in
            APIError.badRequest("sort must be publishedAt or trending")
        }
        let period = try Parameters(request: request).period()
        let submitter = request.query("submitter").map { $0.lowercased() }
        if let submitter, case .failure = Username.normalize(submitter) {
            // No account can have this name (reserved names included: nobody submits as them).
            return try JSON.rendered([APIDailyItem]())
        }
        let result: ResultPage<StoredPaper>
        // With a period, "trending" orders by votes then newest; without one it is the trending list itself.
        let listingSort: ListingSort = sort == .trending ? .upvotes : .publishedAt
        let organization = request.query("organization").map { $0.lowercased() }
        if let organization, case .failure = Username.normalize(organization) {
            return try JSON.rendered([APIDailyItem]())
        }
        if let organization {
            result = try await site.store.papers(
                ofOrganization: organization, days: period?.days, sort: listingSort, offset: page * limit,
                limit: limit)
        } else if let submitter {
            result = try await site.store.papers(
                submittedBy: submitter, days: period?.days ?? ListingPeriod.everything, sort: listingSort,
                offset: page * limit, limit: limit)
        } else if let period {
            result = try await site.store.listing(
                days: period.days, sort: listingSort, offset: page * limit, limit: limit)
        } else if sort == .trending {
            result = try await site.trending(offset: page * limit, limit: limit)
        } else {
            result = try await site.store.listing(
                days: ListingPeriod.everything, sort: .publishedAt, offset: page * limit, limit: limit)
        }
        let voted = try await voted(viewer, result.items)
        return JSON.written(
            result.items.map { APIDailyItem($0, config: site.config, upvoted: voted?.contains($0.paper.id)) })
    }

    func search(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...120, default: 50)
        let mode = try Parameters(request: request).choice("mode", default: SearchMode.hybrid) { _ in
            APIError.badRequest("mode must be hybrid, keyword or semantic")
        }
        let sort = try Parameters(request: request).choice("sort", default: SearchSort.relevance) { _ in
            APIError.badRequest("sort must be relevance or newest")
        }
        var query = SearchQuery(parsing: try Parameters(request: request).searchText())
        query.sort = sort
        guard !query.isEmpty else { return try JSON.rendered([APIDailyItem](), headers: Self.totalHeaders(0)) }
        let outcome = try await site.searcher.search(query, mode: mode, offset: 0, limit: limit)
        var headers = Self.totalHeaders(outcome.page.total, estimated: outcome.totalIsEstimated)
        headers[.xSearchMode] = outcome.mode.rawValue
        let voted = try await voted(viewer, outcome.page.items.map(\.paper))
        return JSON.written(
            outcome.page.items.map { hit in
                APIDailyItem(
                    hit.paper, config: site.config, upvoted: voted?.contains(hit.paper.paper.id), score: hit.score,
                    why: APIWhy(mode: outcome.mode.rawValue, matchedTerms: hit.matchedTerms, similarity: hit.similarity)
                )
            }, headers: headers)
    }

    /// `X-Total-Count`: how many papers matched (of which the answer holds the first `limit`), and
    /// `X-Total-Count-Estimated: true` when that number is an estimate (both readable by scripts of other origins:
    /// ``SecurityHeadersMiddleware``).
    static func totalHeaders(_ total: Int, estimated: Bool = false) -> HTTPFields {
        var headers = HTTPFields()
        headers[.xTotalCount] = String(total)
        if estimated { headers[.xTotalCountEstimated] = "true" }
        return headers
    }

    func similar(_ id: PaperID, _ request: Request) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...50, default: 5)
        guard try await site.store.paper(id: id, audience: .everyone) != nil else {
            throw APIError.notFound("paper \(id) not found")
        }
        let similar = try await site.searcher.similar(to: id, limit: limit)
        return try JSON.rendered(
            similar.map { item in
                let p = item.paper.paper
                return APISimilar(
                    paper: APIDailyPaper(item.paper, config: site.config), title: p.title, summary: p.abstract,
                    publishedAt: Timestamp.rfc3339(p.featuredAt), numComments: item.paper.numComments,
                    similarity: item.similarity)
            })
    }

    func allPapers(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
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
        let voted = try await voted(viewer, page.papers)
        return JSON.written(
            page.papers.map { APIPaper($0, config: site.config, upvoted: voted?.contains($0.paper.id)) },
            headers: headers)
    }

    func paperID(_ parameter: some StringProtocol) throws -> PaperID {
        let raw = QueryString.segment(parameter)
        guard let (id, _) = PaperID.parse(raw) else { throw APIError.notFound("\(raw) is not an arXiv id") }
        return id
    }

    func paper(_ id: PaperID, _ viewer: Viewer?) async throws -> Rendered {
        guard let stored = try await site.store.paper(id: id, audience: discussion.audience(viewer)) else {
            throw APIError.notFound("paper \(id) not found")
        }
        let voted = try await voted(viewer, [stored])
        return JSON.written(APIPaper(stored, config: site.config, upvoted: voted?.contains(id)))
    }
}
