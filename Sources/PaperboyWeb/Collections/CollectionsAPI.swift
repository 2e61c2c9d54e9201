import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyCore

/// A collection as the API shows it; `items` (daily items, most recently added first) only in the answer of
/// `GET /api/collections/{id}`.
struct APICollection: Codable, Equatable {
    let id: String
    let name: String
    let description: String
    let isPublic: Bool
    let owner: APIUser
    let createdAt: String
    let updatedAt: String
    let numItems: Int
    /// The collection's page.
    let url: String
    let items: [APIDailyItem]?

    init(_ collection: PaperCollection, config: WebConfiguration, items: [APIDailyItem]? = nil) {
        id = collection.id
        name = collection.name
        description = collection.description
        isPublic = collection.isPublic
        owner = APIUser(collection.owner, config: config)
        createdAt = Timestamp.rfc3339(collection.createdAt)
        updatedAt = Timestamp.rfc3339(collection.updatedAt)
        numItems = collection.itemCount
        url = SiteURL.collection(collection.id).absolute(config)
        self.items = items
    }
}

/// The body of `POST /api/collections` and `PATCH /api/collections/{id}`.
struct APICollectionRequest: Decodable {
    let name: String?
    let description: String?
    let isPublic: Bool?
}

/// The body of `POST /api/collections/{id}/items`.
struct APICollectionItemRequest: Decodable {
    let paperId: String
}

/// What `/api/collections/**` names: a collection, its items, or one of its items (an old-style paper id keeps its
/// slash: `items/hep-th/9901001`).
enum APICollectionPath: Equatable {
    case collection(String)
    case items(String)
    case item(String, String)
    case unknown

    static let itemsSegment = "items"

    init(_ parameter: some StringProtocol) {
        let parts = parameter.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        switch parts.count {
        case 1: self = .collection(String(parts[0]))
        case 2 where parts[1] == APICollectionPath.itemsSegment: self = .items(String(parts[0]))
        case 3 where parts[1] == APICollectionPath.itemsSegment && !parts[2].isEmpty:
            self = .item(String(parts[0]), String(parts[2]))
        default: self = .unknown
        }
    }

    var methods: Set<HTTPRequest.Method> {
        switch self {
        case .collection: [.get, .patch, .delete]
        case .items: [.post]
        case .item: [.delete]
        case .unknown: [.get]
        }
    }

    /// The path below `/api/collections/` of a request path (which may carry the site's prefix).
    static func parameter(ofPath path: String) -> Substring {
        guard let range = path.range(of: SiteRoute.apiCollections.pattern + "/") else { return "" }
        return path[range.upperBound...]
    }
}

/// Collections in the JSON API: `GET` / `POST /api/collections`, `GET` / `PATCH` / `DELETE /api/collections/{id}`,
/// `POST /api/collections/{id}/items` and `DELETE /api/collections/{id}/items/{paperId}`. Reads are public for
/// public collections; writes need the owner's account (a token, or a browser session with its CSRF token) and
/// count against the write rate limit.
struct CollectionsAPI<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var api: APIRoutes<Store> { APIRoutes(site: site) }
    var actions: CollectionActions<Store> { CollectionActions(site: site) }
    var config: WebConfiguration { site.config }

    /// The most a request body may hold.
    static var maxBody: Int { 16 * 1024 }

    func register(on routes: RouteTable) {
        routes.get(.apiCollections) { request, context in
            try await api.api(request) { try await list(request, context) }
        }
        routes.on(.apiCollections, method: .post) { request, context in
            try await api.api(request, cacheable: false) {
                try await create(request, try api.account(request, context))
            }
        }
        routes.methods(of: .apiCollection) { path in
            APICollectionPath(APICollectionPath.parameter(ofPath: path)).methods
        }
        for method in [HTTPRequest.Method.get, .post, .patch, .delete] {
            routes.on(.apiCollection, method: method) { request, context in
                let path = APICollectionPath(try SiteRoute.apiCollection.parameter(in: context))
                if path != .unknown, !path.methods.contains(method) { return RouteTable.notAllowed(path.methods) }
                return try await api.api(request, cacheable: method == .get) {
                    switch (path, method) {
                    case (.collection(let id), .get): return try await get(id, request, context.viewer)
                    case (.collection(let id), .patch):
                        return try await patch(id, request, try api.account(request, context))
                    case (.collection(let id), .delete): return try await delete(id, try api.account(request, context))
                    case (.items(let id), .post): return try await add(id, request, try api.account(request, context))
                    case (.item(let id, let paper), .delete):
                        return try await remove(paper, from: id, try api.account(request, context))
                    default: throw APIError.notFound("no such collection route")
                    }
                }
            }
        }
    }

    // MARK: Reading

    /// The caller's own collections, or with `?user=name` that user's public ones (all of them when the caller is
    /// that user).
    func list(_ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        let viewer = context.viewer
        let owner: Account
        if let name = request.query("user") {
            guard case .success(let username) = Username.normalize(name),
                let account = try await site.store.account(username: username), !account.disabled
            else { throw APIError.notFound("user \(name) not found") }
            owner = account
        } else {
            guard let viewer else { throw APIError.unauthorized(rejected: context.credentialsRejected) }
            owner = viewer.account
        }
        let collections = try await site.store.collections(
            ownerID: owner.id, includePrivate: owner.id == viewer?.account.id,
            limit: CollectionRules.maxPerUser)
        return try JSON.rendered(collections.map { APICollection($0, config: config) })
    }

    /// A collection with a page of its papers (`limit`, 1 to 1000, default 100; `p`, from 0).
    func get(_ id: String, _ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        let limit = try Parameters(request: request).integer("limit", in: 1...CollectionRules.maxItems, default: 100)
        let page = try Parameters(request: request).zeroBasedPage("p", perPage: limit)
        let collection = try await actions.visible(id, to: viewer)
        let papers = try await site.store.papers(
            inCollection: collection.id, audience: Audience(role: viewer?.account.role), offset: page * limit,
            limit: limit)
        let voted = try await api.voted(viewer, papers.items)
        let items = papers.items.map { APIDailyItem($0, config: config, upvoted: voted?.contains($0.paper.id)) }
        return try JSON.rendered(APICollection(collection, config: config, items: items))
    }

    // MARK: Writing

    func create(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        try actions.limitWrites(viewer)
        let body: APICollectionRequest = try await CollectionsAPI.decode(
            request, example: #"{"name": "Reading list", "description": "optional", "isPublic": false}"#)
        let created = try await actions.create(
            viewer, name: body.name, description: body.description, isPublic: body.isPublic ?? false)
        return try JSON.rendered(APICollection(created, config: config), status: .created)
    }

    func patch(_ id: String, _ request: Request, _ viewer: Viewer) async throws -> Rendered {
        try actions.limitWrites(viewer)
        let collection = try await actions.owned(id, by: viewer)
        let body: APICollectionRequest = try await CollectionsAPI.decode(
            request, example: #"{"name": "New name", "description": "New description", "isPublic": true}"#)
        guard body.name != nil || body.description != nil || body.isPublic != nil else {
            throw APIError.badRequest("send at least one of name, description and isPublic")
        }
        let updated = try await actions.update(
            collection, name: body.name, description: body.description, isPublic: body.isPublic)
        return try JSON.rendered(APICollection(updated, config: config))
    }

    func delete(_ id: String, _ viewer: Viewer) async throws -> Rendered {
        try actions.limitWrites(viewer)
        let collection = try await actions.owned(id, by: viewer)
        try await actions.delete(collection)
        return Rendered(status: .noContent, contentType: Rendered.json, body: ByteBuffer())
    }

    func add(_ id: String, _ request: Request, _ viewer: Viewer) async throws -> Rendered {
        try actions.limitWrites(viewer)
        let collection = try await actions.owned(id, by: viewer)
        let body: APICollectionItemRequest = try await CollectionsAPI.decode(
            request, example: #"{"paperId": "2511.01234"}"#)
        let paper = try CollectionActions<Store>.paperID(body.paperId)
        let updated = try await actions.setPaper(paper, in: collection, add: true, viewer: viewer)
        return try JSON.rendered(APICollection(updated, config: config))
    }

    func remove(_ rawPaper: String, from id: String, _ viewer: Viewer) async throws -> Rendered {
        try actions.limitWrites(viewer)
        let collection = try await actions.owned(id, by: viewer)
        let paper = try api.paperID(rawPaper)
        let updated = try await actions.setPaper(paper, in: collection, add: false, viewer: viewer)
        return try JSON.rendered(APICollection(updated, config: config))
    }

    /// The request's JSON body as `T`: 413 past ``maxBody``, 400 naming an example of what to send otherwise.
    static func decode<T: Decodable>(_ request: Request, example: String) async throws -> T {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch {
            throw APIError(status: .contentTooLarge, message: "the body may hold at most \(maxBody / 1024) KB")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw APIError.badRequest("send JSON: \(example)")
        }
    }
}
