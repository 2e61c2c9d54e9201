import HTTPTypes
import Hummingbird

/// Registers the site's routes, which are ``SiteRoute`` values (the patterns links are written from), and remembers
/// each route's methods, so that any other method on a known path answers 405 with `Allow`, and `OPTIONS` answers
/// 204 with `Allow` (HEAD comes with every GET, from the router).
final class RouteTable {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    private let group: RouterGroup<AppRequestContext>
    private var methods: [SiteRoute: Set<HTTPRequest.Method>] = [:]
    private var routes: [SiteRoute] = []
    /// For a catch-all route whose methods depend on the path (`/api/papers/{id}` reads, `/api/papers/{id}/upvote`
    /// writes): the methods a given path takes.
    private var methodsByPath: [SiteRoute: @Sendable (String) -> Set<HTTPRequest.Method>] = [:]

    /// The methods Paperboy answers 405 for on a path that does not take them.
    static let refusable: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .trace, .connect]

    init(_ group: RouterGroup<AppRequestContext>) { self.group = group }

    func get(_ route: SiteRoute, _ handler: @escaping Handler) { on(route, method: .get, handler) }

    func on(_ route: SiteRoute, method: HTTPRequest.Method, _ handler: @escaping Handler) {
        group.on(RouterPath(route.pattern), method: method, use: handler)
        if methods[route] == nil { routes.append(route) }
        methods[route, default: []].insert(method)
    }

    /// Says which of a route's methods each of its paths takes, so that 405 answers name the right ones.
    func methods(of route: SiteRoute, byPath: @escaping @Sendable (String) -> Set<HTTPRequest.Method>) {
        methodsByPath[route] = byPath
    }

    /// A 405 answer naming the methods a path takes.
    static func notAllowed(_ methods: Set<HTTPRequest.Method>) -> Response {
        let allow = RouteTable.allow(methods)
        var headers = HTTPFields()
        headers[.allow] = allow
        headers[.contentType] = Rendered.plain
        return Response(
            status: .methodNotAllowed, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: "Method not allowed; this URL takes \(allow).\n")))
    }

    /// The routes as registered, in order, with their methods.
    var registered: [(route: SiteRoute, methods: Set<HTTPRequest.Method>)] { routes.map { ($0, methods[$0] ?? []) } }

    /// The `Allow` value of a set of methods: HEAD with GET, OPTIONS always.
    static func allow(_ methods: Set<HTTPRequest.Method>) -> String {
        var all = methods
        if all.contains(.get) { all.insert(.head) }
        all.insert(.options)
        let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
        return order.filter(all.contains).map(\.rawValue).joined(separator: ", ")
    }

    /// Adds the 405 and OPTIONS answers; call once, after every route.
    func finish() {
        for route in routes {
            let path = RouterPath(route.pattern)
            let taken = methods[route] ?? []
            let byPath = methodsByPath[route]
            for method in RouteTable.refusable where !taken.contains(method) {
                group.on(path, method: method) { request, _ in
                    RouteTable.notAllowed(byPath?(request.uri.path) ?? taken)
                }
            }
            if !taken.contains(.options) {
                group.on(path, method: .options) { request, _ in
                    var headers = HTTPFields()
                    headers[.allow] = RouteTable.allow(byPath?(request.uri.path) ?? taken)
                    return Response(status: .noContent, headers: headers)
                }
            }
        }
    }
}
