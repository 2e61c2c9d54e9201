import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Mustache
import NIOCore
import PaperboyCore
import PaperboyMCP
import Prometheus
import ServiceLifecycle

/// The request context: Hummingbird's core storage, the connected peer (for client addresses) and who is signed in.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The signed-in user, set by ``ViewerMiddleware``.
    public var viewer: Viewer?
    /// A bearer token was sent and refused (ignored on public routes; 401 where an account is needed).
    public var credentialsRejected = false

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Everything the routes share.
struct Site<Store: SiteStore>: Sendable {
    let store: Store
    let searcher: any PaperSearcher
    /// Where a submitted paper the store does not hold is fetched from (the arXiv API).
    let lookup: any PaperLookup
    let config: WebConfiguration
    let templates: Templates
    let cache: ResponseCache
    /// Rendered card bodies, shared by every page.
    let cards = CardFragments()
    let accounts: AccountService
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// What ids are drawn from (collections); tests pass a seeded source.
    var randomness: RandomSource = .system
    /// Where pages queue their mail; nil when no mail server is configured (subscribing, email verification and
    /// password resets are then unavailable).
    var mail: MailOutbox? = nil
    /// Signs and opens the tokens of mail links.
    var mailTokens: MailTokens { MailTokens(signer: accounts.signer) }
    /// When unconfirmed subscriptions were last purged.
    let purges = PurgeSchedule()

    /// The wall clock (sessions, votes, submissions, trending); tests pin it.
    var now: @Sendable () -> Date { accounts.now }
}

/// Builds the router without a server, so tests run it in-process and `serve` runs it for real.
/// `now` is the clock the response cache and rate limits run on, `clock` the wall clock of sessions, votes and
/// trending (tests move both), `randomness` what collection ids are drawn from, `mailer` what delivers the mail
/// pages send (nil: no mail server, and the pages that need one say so), `sharedLimits` where failed sign-ins are
/// counted for several nodes together (nil: in this process).
public func buildRouter(
    store: some SiteStore, searcher: any PaperSearcher, lookup: any PaperLookup, config: WebConfiguration,
    registry: PrometheusCollectorRegistry = .init(), logger: Logger = Logger(label: "paperboy.web"),
    now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
    clock: @escaping @Sendable () -> Date = { Date() }, randomness: RandomSource = .system,
    mailer: (any MailSender)? = nil, changesRead: ChangeBell? = nil, sharedLimits: (any FailureLimitStore)? = nil
) async throws -> Router<AppRequestContext> {
    try await buildSite(
        store: store, searcher: searcher, lookup: lookup, config: config, registry: registry, logger: logger,
        now: now, clock: clock, randomness: randomness,
        outbox: mailer.map { MailOutbox(sender: $0, registry: registry, logger: logger) }, changesRead: changesRead,
        sharedLimits: sharedLimits
    ).router
}

/// The router and the table of its routes (paths and methods), which tests walk so that every route added
/// later is covered by the same checks. `probe`, for tests, runs outside every other middleware and sees which
/// route answered (`context.endpointPath`).
func buildSite(
    store: some SiteStore, searcher: any PaperSearcher, lookup: any PaperLookup, config: WebConfiguration,
    registry: PrometheusCollectorRegistry, logger: Logger, now: @escaping @Sendable () -> ContinuousClock.Instant,
    clock: @escaping @Sendable () -> Date, randomness: RandomSource = .system, outbox: MailOutbox? = nil,
    changesRead: ChangeBell? = nil, sharedLimits: (any FailureLimitStore)? = nil,
    probe: (any MiddlewareProtocol<Request, Response, AppRequestContext>)? = nil
) async throws -> (router: Router<AppRequestContext>, routes: [(route: SiteRoute, methods: Set<HTTPRequest.Method>)]) {
    let site = try await makeSite(
        store: store, searcher: searcher, lookup: lookup, config: config, registry: registry, logger: logger, now: now,
        clock: clock, randomness: randomness, outbox: outbox, changesRead: changesRead, sharedLimits: sharedLimits)
    let accounts = site.accounts
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    if let probe { router.add(middleware: probe) }
    // Outermost first: metrics and the access log see every answer, errors included.
    router.add(middleware: RequestMetricsMiddleware(registry: registry))
    router.add(middleware: AccessLogMiddleware(logger: logger, trustedProxies: config.trustedProxies))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorAnswerMiddleware(logger: logger))
    router.add(middleware: RequestLimitsMiddleware(limits: config.requestLimits))
    // Any origin may call the API, never with credentials (no cookies): a token in `Authorization` is the way in.
    // (`/mcp` then refuses pages of origins it does not know: MCPRoutes.)
    router.add(
        middleware: CORSMiddleware(
            allowOrigin: .all,
            allowHeaders: [.accept, .ifNoneMatch, .authorization, .contentType, .xCSRFToken, .mcpProtocolVersion],
            allowMethods: [.get, .head, .options, .post, .put, .patch, .delete], allowCredentials: false))
    router.add(middleware: ViewerMiddleware(accounts: accounts))
    let routes = RouteTable(config.pathPrefix.isEmpty ? router.group() : router.group(RouterPath(config.pathPrefix)))
    PageRoutes(site: site).register(on: routes)
    SignInRoutes(site: site).register(on: routes)
    CommunityRoutes(site: site).register(on: routes)
    DiscussionRoutes(site: site).register(on: routes)
    SettingsRoutes(site: site).register(on: routes)
    ModerationRoutes(site: site).register(on: routes)
    AdminRoutes(site: site).register(on: routes)
    AvatarRoutes(site: site).register(on: routes)
    APIRoutes(site: site).register(on: routes)
    ReportsAPIRoutes(site: site).register(on: routes)
    CollectionRoutes(site: site).register(on: routes)
    CollectionsAPI(site: site).register(on: routes)
    ForYouRoutes(site: site).register(on: routes)
    ProfileRoutes(site: site).register(on: routes)
    FeedRoutes(site: site).register(on: routes)
    MetaRoutes(site: site).register(on: routes)
    SubscribeRoutes(site: site).register(on: routes)
    SubscriptionsAPI(site: site).register(on: routes)
    SubscriptionLinkRoutes(site: site).register(on: routes)
    EmailVerificationRoutes(site: site).register(on: routes)
    PasswordResetRoutes(site: site).register(on: routes)
    MCPRoutes(site: site).register(on: routes)
    routes.finish()
    return (router, routes.registered)
}

/// What the routes share, over one store and search engine.
func makeSite<Store: SiteStore>(
    store: Store, searcher: any PaperSearcher, lookup: any PaperLookup, config: WebConfiguration,
    registry: PrometheusCollectorRegistry, logger: Logger, now: @escaping @Sendable () -> ContinuousClock.Instant,
    clock: @escaping @Sendable () -> Date, randomness: RandomSource = .system, outbox: MailOutbox? = nil,
    changesRead: ChangeBell? = nil, sharedLimits: (any FailureLimitStore)? = nil
) async throws -> Site<Store> {
    let gate = AdmissionGate(concurrency: config.searchConcurrency, queue: config.searchQueue)
    let secret = try await resolveSiteSecret(store: store, config: config)
    let accounts = AccountService(
        store: store, secret: secret, config: config, now: clock, monotonic: now, sharedLimits: sharedLimits,
        logger: logger)
    return Site(
        store: store, searcher: GatedSearcher(base: searcher, gate: gate), lookup: lookup,
        config: config, templates: try await Templates.load(),
        cache: ResponseCache(
            ttl: config.cacheTTL, registry: registry, capacityBytes: config.cacheBytes, changesRead: changesRead,
            now: now),
        accounts: accounts, registry: registry, logger: logger, randomness: randomness, mail: outbox)
}

/// The MCP tools over a store and search engine, as `paperboy mcp` serves them on standard input and output: the
/// same site as `serve` builds (rules, limits, links from `config.baseURL`). With `token`, a personal access token,
/// the tools act as its user; a token that is not valid throws ``AgentTokenRefused``.
public func agentTools(
    store: some SiteStore, searcher: any PaperSearcher, lookup: any PaperLookup, config: WebConfiguration,
    token: String?, logger: Logger
) async throws -> PaperboyTools {
    let site = try await makeSite(
        store: store, searcher: searcher, lookup: lookup, config: config, registry: .init(), logger: logger,
        now: { ContinuousClock.now }, clock: { Date() })
    var viewer: Viewer?
    if let token {
        guard let found = try await site.accounts.viewer(token: token) else { throw AgentTokenRefused() }
        viewer = found
    }
    return PaperboyTools(site: site.agentSite(actingFor: viewer), logger: logger)
}

/// A personal access token for the MCP tools that is not valid (revoked, mistyped, or its account disabled).
public struct AgentTokenRefused: Error, CustomStringConvertible {
    public var description: String { AgentTokenRefused.message }

    /// What every refusal of a personal access token says (the API, `/mcp`, `paperboy mcp`).
    static let message = "the token is not valid (revoked, mistyped or its account disabled)"
}

/// The whole server: router, address and the services that live with it (stopped together on SIGTERM). With a
/// `mailer`, the ``MailOutbox`` that delivers the pages' mail runs among the services: it is stopped after the
/// server, delivering what the last requests queued. `changesRead` rings when the server has read changes of papers
/// (``KeywordIndexService``): the response cache then forgets its answers. With `sharedLimits` (several nodes on one
/// database), failed sign-ins are counted there, for every node together (``SignInFailures``).
public func buildApplication(
    store: some SiteStore, searcher: any PaperSearcher, lookup: any PaperLookup, config: WebConfiguration,
    host: String, port: Int, registry: PrometheusCollectorRegistry = .init(), services: [any Service] = [],
    logger: Logger = Logger(label: "paperboy.web"), mailer: (any MailSender)? = nil, changesRead: ChangeBell? = nil,
    sharedLimits: (any FailureLimitStore)? = nil
) async throws -> some ApplicationProtocol {
    let outbox = mailer.map { MailOutbox(sender: $0, registry: registry, logger: logger) }
    let router = try await buildSite(
        store: store, searcher: searcher, lookup: lookup, config: config, registry: registry, logger: logger,
        now: { ContinuousClock.now }, clock: { Date() }, outbox: outbox, changesRead: changesRead,
        sharedLimits: sharedLimits
    ).router
    let limiter = ConnectionLimiter(perAddress: config.connectionsPerAddress, exempt: config.trustedProxies)
    var http = HTTP1Channel.Configuration(
        additionalChannelHandlers: [limiter.handler()], idleTimeout: TimeAmount(config.idleTimeout))
    http.httpDecoder = .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100)
    return Application(
        router: router,
        server: .http1(configuration: http),
        configuration: .init(address: .hostname(host, port: port), serverName: "Paperboy"),
        // The server stops first (services stop in the reverse of this order), then the outbox delivers what is queued.
        services: (outbox.map { [$0] } ?? []) + services,
        logger: logger)
}

/// The Mustache templates and static files shipped in the module's resources.
struct Templates: Sendable {
    let library: MustacheLibrary
    let files: StaticFiles
    let openAPI: String

    static func load() async throws -> Templates {
        MustacheContentTypes.register(FastHTMLContentType(), named: FastHTMLContentType.name)
        guard let root = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            throw TemplateError.missingResources
        }
        let library = try await MustacheLibrary(directory: root.appendingPathComponent("Templates").path)
        let files = try StaticFiles.load(from: root.appendingPathComponent("Static"))
        let openAPI = try String(contentsOf: root.appendingPathComponent("openapi.json"), encoding: .utf8)
        return Templates(library: library, files: files, openAPI: openAPI)
    }

    /// A page: its cards' bodies from `cards` (rendered there when new), then the page around them.
    func render(page model: some PersonalPage, _ name: String, cards: CardFragments, config: WebConfiguration) throws
        -> String
    {
        var model = model
        var failure: (any Error)?
        model.eachCard { card in
            do {
                card.bodyHTML = try cards.html(card.source) { try render($0.body(config: config), "cardbody") }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return try render(model, name)
    }

    func render(_ model: Any, _ name: String) throws -> String {
        guard let html = library.render(model, withTemplate: name) else { throw TemplateError.missing(name) }
        return html
    }
}

enum TemplateError: Error, CustomStringConvertible {
    case missingResources
    case missing(String)

    var description: String {
        switch self {
        case .missingResources: "the web templates were not found next to the executable"
        case .missing(let name): "template \(name) is missing"
        }
    }
}
