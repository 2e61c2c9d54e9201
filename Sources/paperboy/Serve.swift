import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyWeb
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web server (HTML, JSON API, feeds, metrics).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (PAPERBOY_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (PAPERBOY_PORT; default 8080).")
    var port: String?

    @Option(help: "Public URL of the site, may carry a path prefix (PAPERBOY_BASE_URL; default http://HOST:PORT).")
    var baseURL: String?

    @Option(help: "Comma-separated proxy addresses whose X-Forwarded-For is believed (PAPERBOY_TRUSTED_PROXIES).")
    var trustedProxies: String?

    @Option(
        help: ArgumentHelp(
            "File holding the bearer token /metrics then requires (PAPERBOY_METRICS_TOKEN_FILE; default: open).",
            discussion: "Or the token itself in PAPERBOY_METRICS_TOKEN (environment only)."))
    var metricsTokenFile: String?

    @Option(
        help: "How long anonymous pages are cached, e.g. 30s; 0 turns caching off (PAPERBOY_CACHE_TTL; default 30s).")
    var cacheTTL: String?

    @Option(help: "Most bytes of answers the response cache keeps, e.g. 64MB (PAPERBOY_CACHE_SIZE; default 64MB).")
    var cacheSize: String?

    @Option(
        help: "Searches and similar-paper lookups that run at once (PAPERBOY_SEARCH_CONCURRENCY; default 4).")
    var searchConcurrency: String?

    @Option(
        help:
            "Searches that may wait for a turn; beyond that, 503 with Retry-After (PAPERBOY_SEARCH_QUEUE; default 32).")
    var searchQueue: String?

    @Option(
        help:
            "Open connections allowed per client address, 0 for no limit (PAPERBOY_CONNECTIONS_PER_ADDRESS; default 256)."
    )
    var connectionsPerAddress: String?

    @Option(
        help: "Close a connection idle this long, also one sending its headers slowly (PAPERBOY_IDLE_TIMEOUT; 30s).")
    var idleTimeout: String?

    @Flag(help: "Do not migrate the database at start, for fleets that migrate once (PAPERBOY_NO_MIGRATE).")
    var noMigrate = false

    @OptionGroup var community: CommunityOptions
    @OptionGroup var harvest: HarvestOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var mail: MailOptions
    @OptionGroup var digest: DigestOptions
    @OptionGroup var mcp: MCPOptions

    @Option(help: "Harvest OAI-PMH on this schedule, e.g. 6h (PAPERBOY_HARVEST_EVERY; default off).")
    var harvestEvery: String?

    /// The shortest `/metrics` token accepted.
    static let minimumMetricsTokenBytes = 16

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy")
            let host = Settings.string("host", host, default: "127.0.0.1")
            let port = try Settings.port("port", port, default: 8080)
            guard let defaultBase = URL(string: "http://\(host):\(port)") else {
                throw SettingError(flag: "host", value: host, expected: "a host name or address")
            }
            let baseURL = try Settings.url("base-url", baseURL, default: defaultBase)
            let proxies = Set(Settings.list("trusted-proxies", trustedProxies))
            let metricsToken = try SecretSetting.token(
                "metrics-token", file: metricsTokenFile, minimumBytes: Self.minimumMetricsTokenBytes)
            let ttl = try Settings.duration("cache-ttl", cacheTTL, default: .seconds(30))
            let cacheBytes = try Settings.bytes("cache-size", cacheSize, default: 64 << 20)
            let concurrency = try Settings.integer(
                "search-concurrency", searchConcurrency, default: 4, in: 1...1024)
            let queue = try Settings.integer("search-queue", searchQueue, default: 32, in: 0...100_000)
            let perAddress = try Settings.integer(
                "connections-per-address", connectionsPerAddress, default: 256, in: 0...1_000_000)
            let idle = try Settings.duration("idle-timeout", idleTimeout, default: .seconds(30), atLeast: .seconds(1))
            let noMigrate = try Settings.bool("no-migrate", noMigrate)
            let every = try Settings.duration("harvest-every", harvestEvery, atLeast: .seconds(60))
            let harvestSettings = try harvest.resolve()
            let communitySettings = try community.resolve()
            let arxivAPI = try community.arxivAPI()
            let mailSettings = try mail.resolve()
            if mailSettings != nil, Settings.string("base-url", self.baseURL) == nil {
                throw SettingError(
                    setting: "--base-url (PAPERBOY_BASE_URL)",
                    problem: "not set, and --smtp-host is: mails link to the site, so give its public URL")
            }
            let mcpEnabled = try mcp.enabled()
            let mcpOrigins = try mcp.allowedOrigins()
            let mcpTimeout = try mcp.timeout()
            let digestSize = try digest.size()
            let digestHour = try digest.hour()
            let digestWeekday = try digest.weekday()

            let location = try common.storeLocation()
            let store = try await location.open(logger: logger, migrate: !noMigrate)
            if noMigrate {
                // A node of a fleet that migrates once: an older schema would fail at its first use of what it lacks.
                let pending = try await store.pendingMigrations()
                if let first = pending.first, let last = pending.last {
                    throw SettingError(
                        setting: "--no-migrate (PAPERBOY_NO_MIGRATE)",
                        problem: "the schema lacks \(pending.count) migration\(pending.count == 1 ? "" : "s") "
                            + "(\(first == last ? first : "\(first) ... \(last)")): run `paperboy migrate` first")
                }
            }

            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

            // Before the HTTP client, which must be shut down once made: a refused index directory ends the start.
            let keyword = try await KeywordIndexOpening.open(
                directory: common.indexDirectory, store: store, logger: logger, mustWrite: true)
            var services: [any Service] = []
            // Jobs that must run on one node at a time (harvest, embedding, digests) hold a lease in the store, taken
            // by whichever node is free first and taken over when its holder dies.
            let node = NodeIdentity.current
            // For harvests and for looking submitted papers up in the arXiv API.
            let client = HTTPClientHolder()
            if let every {
                services.append(
                    harvestSettings.service(
                        store: store, client: client.client, every: every, logger: logger,
                        lease: JobLeaseKeeper(store: store, job: LeasedJob.harvest, holder: node)))
            }
            // Caches forget their answers when the keyword index has read changes; a store that notifies of commits
            // (PostgreSQL) wakes the index at once, instead of at its next poll.
            let changesRead = ChangeBell()
            var wake: ChangeBell?
            if let notifier = store as? any PaperChangeNotifier {
                let bell = ChangeBell()
                wake = bell
                services.append(ChangeNotificationService(notifier: notifier, bell: bell))
            }
            services.append(
                KeywordIndexService(maintainer: keyword, wake: wake, changesRead: changesRead, logger: logger))
            // Vectors stored after this point (by whichever node embeds) are read into this node's index as they come.
            let vectorsFrom = try await store.latestPaperChange()
            let (engine, offReason) = await model.engine(store: store, database: common.vectorIndexBase, logger: logger)
            let searcher = HybridSearcher(
                keyword: keyword.index, papers: store, embeddings: store, engine: engine, offReason: offReason)
            if let engine {
                services.append(
                    EmbeddingService(
                        pipeline: EmbeddingPipeline(store: store, engine: engine, logger: logger),
                        indexFile: VectorIndexFile.url(database: common.vectorIndexBase, modelID: engine.modelID),
                        lease: JobLeaseKeeper(store: store, job: LeasedJob.embed, holder: node),
                        follower: VectorIndexFollower(
                            feed: store, store: store, index: engine.index, modelID: engine.modelID, after: vectorsFrom,
                            logger: logger)))
            }
            let config = WebConfiguration(
                baseURL: baseURL, trustedProxies: proxies,
                metricsToken: metricsToken,
                cacheTTL: ttl, cacheBytes: cacheBytes, searchConcurrency: concurrency, searchQueue: queue,
                connectionsPerAddress: perAddress, idleTimeout: idle, community: communitySettings, mcp: mcpEnabled,
                mcpAllowedOrigins: mcpOrigins, mcpTimeout: mcpTimeout)
            let mailer = try mailSettings?.mailer(logger: logger)
            if let mailer {
                let secret = try await resolveSiteSecret(store: store, config: config)
                let run = DigestRun(
                    store: store, searcher: searcher, renderer: try await DigestRenderer(siteName: config.siteName),
                    links: SubscriptionLinks(config: config, secret: secret), mailer: mailer, size: digestSize,
                    workers: MailSettings.connections, logger: logger)
                services.append(
                    DigestScheduler(
                        run: run, store: store, hour: digestHour, weekday: digestWeekday, logger: logger,
                        lease: JobLeaseKeeper(store: store, job: LeasedJob.digests, holder: node, term: .seconds(180))))
            }
            do {
                let app = try await buildApplication(
                    store: store, searcher: searcher,
                    lookup: CommunityOptions.paperLookup(url: arxivAPI, client: client.client), config: config,
                    host: host, port: port, registry: registry, services: services, logger: logger, mailer: mailer,
                    changesRead: changesRead, sharedLimits: store)
                logger.notice(
                    "serving",
                    metadata: [
                        "http.address": "\(host):\(port)", "site.base_url": "\(baseURL)",
                        "db.location": "\(location.description)", "arxiv.api_url": "\(arxivAPI)",
                        "smtp.host": "\(mailSettings.map { "\($0.smtp.host):\($0.smtp.port)" } ?? "off")",
                        "mcp.url": "\(mcpEnabled ? SiteURL.mcp.absolute(config) : "off")",
                    ])
                try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
            } catch {
                await mailer?.shutdown()
                try? await client.shutdown()
                throw error
            }
            await mailer?.shutdown()
            try await client.shutdown()
        }
    }
}

/// Rings a bell whenever the store reports a commit that changed papers (``PaperChangeNotifier``), until shutdown.
struct ChangeNotificationService: Service {
    let notifier: any PaperChangeNotifier
    let bell: ChangeBell

    func run() async throws {
        await cancelWhenGracefulShutdown { await notifier.ringOnChanges(bell) }
    }
}
