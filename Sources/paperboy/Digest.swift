import ArgumentParser
import Foundation
import Logging
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyWeb

/// `paperboy digest send|preview|ledger`.
struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Send, preview and inspect the email digests.",
        discussion: """
            Exit codes of `send`: 0 done, 64 bad settings, 69 the SMTP server cannot be reached, 75 some digests \
            met a temporary failure and are left for the next run.
            """,
        subcommands: [DigestSend.self, DigestPreview.self, DigestLedger.self])
}

/// What `send` and `preview` share: the store, the period, links and the searcher.
struct DigestCommonOptions: ParsableArguments {
    @Option(help: "daily or weekly.")
    var period: String

    @Option(
        help:
            "A day of the period (YYYY-MM-DD): its UTC day, or its ISO week (default: yesterday, or last week).")
    var date: String?

    @Option(help: "Public URL of the site, for the links in digests (PAPERBOY_BASE_URL; required).")
    var baseURL: String?

    @Option(
        help: ArgumentHelp(
            "File holding the site secret that signs the links, as `serve` has it (PAPERBOY_SECRET_FILE).",
            discussion: "Or PAPERBOY_SECRET (environment only). Neither: the one kept in the database."))
    var secretFile: String?

    @OptionGroup var digest: DigestOptions
    @OptionGroup var model: ModelOptions

    func frequency() throws -> DigestFrequency {
        guard let frequency = DigestFrequency(rawValue: period.lowercased()) else {
            throw SettingError(setting: "--period", problem: "“\(period)” is not daily or weekly")
        }
        return frequency
    }

    /// The period `--period` and `--date` name; by default the latest finished one.
    func resolvedPeriod(now: Date) throws -> DigestPeriod {
        let frequency = try frequency()
        let day: Day
        if let date {
            guard let parsed = Day(iso: date) else {
                throw SettingError(setting: "--date", problem: "“\(date)” is not a date (YYYY-MM-DD)")
            }
            day = parsed
        } else {
            day = Day(now).adding(days: frequency == .daily ? -1 : -7)
        }
        guard let period = DigestPeriod(frequency, containing: day) else {
            throw SettingError(setting: "--date", problem: "“\(day)” is outside the supported years")
        }
        return period
    }

    func baseURLSetting() throws -> URL {
        guard Settings.string("base-url", baseURL) != nil else {
            throw SettingError(
                setting: "--base-url (PAPERBOY_BASE_URL)",
                problem: "not set; digests link to the site, so give its public URL (e.g. https://papers.example.org)")
        }
        // The default is never used: the setting is there.
        return try Settings.url("base-url", baseURL, default: URL(fileURLWithPath: "/"))
    }

    /// Everything a digest is made with.
    func prepare(store: any PaperboyStore, database: String, indexDirectory: URL, logger: Logger) async throws
        -> DigestKit
    {
        let configured = try SecretSetting.read(
            "secret", file: secretFile, minimumBytes: CommunityOptions.minimumSecretBytes)
        let config = WebConfiguration(baseURL: try baseURLSetting(), community: CommunitySettings(secret: configured))
        let secret = try await resolveSiteSecret(store: store, config: config)
        let model = self.model
        let keyword = try await KeywordIndexOpening.open(
            directory: indexDirectory, store: store, logger: logger, mustWrite: false)
        return DigestKit(
            searcher: LazySearcher {
                let (engine, offReason) = await model.engine(store: store, database: database, logger: logger)
                return HybridSearcher(
                    keyword: keyword.index, papers: store, embeddings: store, engine: engine, offReason: offReason)
            },
            renderer: try await DigestRenderer(siteName: config.siteName),
            links: SubscriptionLinks(config: config, secret: secret), size: try digest.size())
    }
}

/// The searcher `serve` uses, made at its first search: a send whose subscribers have no search words never loads the
/// embedding model and its vector index.
actor LazySearcher: PaperSearcher {
    private let make: @Sendable () async -> any PaperSearcher
    /// Made once, also when the first searches come at once.
    private var made: Task<any PaperSearcher, Never>?

    init(_ make: @escaping @Sendable () async -> any PaperSearcher) { self.make = make }

    private func searcher() async -> any PaperSearcher {
        if let made { return await made.value }
        let task = Task { [make] in await make() }
        made = task
        return await task.value
    }

    nonisolated func search(_ query: SearchQuery, mode: SearchMode, offset: Int, limit: Int) async throws
        -> SearchOutcome
    {
        try await searcher().search(query, mode: mode, offset: offset, limit: limit)
    }

    nonisolated func similar(to id: PaperID, limit: Int) async throws -> [(paper: StoredPaper, similarity: Double)] {
        try await searcher().similar(to: id, limit: limit)
    }

    nonisolated func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws
        -> [Recommendation]
    {
        try await searcher().recommend(signals, window: window, limit: limit)
    }

    nonisolated func semanticStatus() async -> SemanticStatus { await searcher().semanticStatus() }
}

/// The parts of a digest run besides the store and the mailer.
struct DigestKit {
    var searcher: any PaperSearcher
    var renderer: DigestRenderer
    var links: any DigestLinks
    var size: Int
}

struct DigestSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a period's digest to every confirmed subscriber who has not had it.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var options: DigestCommonOptions
    @OptionGroup var mail: MailOptions

    static let temporaryFailure = ExitCode(75)

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.digest")
            let period = try options.resolvedPeriod(now: Date())
            guard let settings = try mail.resolve() else {
                throw SettingError(
                    setting: "--smtp-host (PAPERBOY_SMTP_HOST)", problem: "not set; digests need an SMTP server")
            }
            _ = try options.baseURLSetting()
            let store = try await common.openStore(logger: logger)
            let kit = try await options.prepare(
                store: store, database: common.vectorIndexBase, indexDirectory: common.indexDirectory, logger: logger)
            let mailer = try settings.mailer(logger: logger)
            let report: DigestRunReport
            do {
                try await mailer.checkConnection()
                report = try await DigestRun(
                    store: store, searcher: kit.searcher, renderer: kit.renderer, links: kit.links, mailer: mailer,
                    size: kit.size, workers: MailSettings.connections, logger: logger
                ).send(period)
            } catch let error as MailError {
                await mailer.shutdown()
                Paperboy.printError("\(error)")
                throw Exit.unavailable
            } catch {
                await mailer.shutdown()
                throw error
            }
            await mailer.shutdown()
            print(Self.summary(report))
            if !report.inFlight.isEmpty {
                Paperboy.printError(
                    "\(report.inFlight.count) digest(s) of \(period) are marked sending (another sender, or one that "
                        + "died mid-send); not resent. See `paperboy digest ledger --stuck`.")
            }
            if let why = report.unreachable {
                Paperboy.printError("the SMTP server cannot be reached: \(why)")
                throw Exit.unavailable
            }
            if report.temporary > 0 { throw Self.temporaryFailure }
        }
    }

    static func summary(_ report: DigestRunReport) -> String {
        "\(report.period): \(report.sent) sent, \(report.empty) empty, \(report.failed) failed, "
            + "\(report.temporary) left for the next run, \(report.done) handled before, "
            + "\(report.inFlight.count) in flight"
    }
}

struct DigestPreview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Print a period's digest as the MIME message it would be, without sending it.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var options: DigestCommonOptions

    @Option(help: "The digest of this subscriber (with their topic and links); default: the period's top papers.")
    var email: String?

    @Option(help: "The From address (PAPERBOY_MAIL_FROM).")
    var mailFrom: String?

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.digest")
            let period = try options.resolvedPeriod(now: Date())
            let from = try MailOptions.from(mailFrom, required: "a digest needs a From address")
            _ = try options.baseURLSetting()
            let store = try await common.openStore(logger: logger)
            var subscription: Subscription?
            if let email {
                guard let found = try await store.subscription(email: email) else {
                    Paperboy.printError("no subscription for \(email)")
                    throw Exit.dataError
                }
                subscription = found
            }
            let kit = try await options.prepare(
                store: store, database: common.vectorIndexBase, indexDirectory: common.indexDirectory, logger: logger)
            let composer = DigestComposer(catalog: store, searcher: kit.searcher, size: kit.size)
            let papers = try await composer.papers(for: subscription?.settings.topic ?? .none, in: period)
            let message = try kit.renderer.message(
                papers: papers, period: period, to: subscription?.email ?? from, subscription: subscription,
                links: kit.links, messageID: nil)
            let now = Date()
            let messageID = "preview.\(Int(now.timeIntervalSince1970))@\(MailAddress.domain(from) ?? "localhost")"
            let bytes = try MIMEWriter.render(message, from: from, date: now, messageID: messageID)
            FileHandle.standardOutput.write(Data(bytes))
            if papers.isEmpty {
                Paperboy.printError("\(period) holds no papers for this digest: a send would record it as empty")
            }
        }
    }
}

struct DigestLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Digests marked sending: left by a sender that died mid-send (or sending now).")

    @OptionGroup var common: CommonOptions

    @Flag(help: "List the digests marked sending, oldest first.")
    var stuck = false

    @Option(help: "Let the next send deliver this digest (an id from --stuck), once you checked it did not arrive.")
    var release: Int64?

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.digest")
            guard stuck != (release != nil) else {
                throw SettingError(setting: "digest ledger", problem: "give either --stuck or --release ID")
            }
            let store = try await common.openStore(logger: logger)
            if let release {
                guard try await store.releaseDigest(id: release) else {
                    Paperboy.printError("no digest \(release) is marked sending")
                    throw Exit.dataError
                }
                print("released digest \(release): the next send of its period delivers it")
                return
            }
            let rows = try await store.stuckDigests(claimedBefore: Date(), limit: 10_000)
            if rows.isEmpty {
                print("no digest is marked sending")
                return
            }
            print("id\tclaimed at\tperiod\taddress\tmessage id")
            for row in rows {
                print(
                    "\(row.id)\t\(Timestamp.rfc3339(row.startedAt))\t\(row.period)\t\(row.email)\t<\(row.messageID)>")
            }
        }
    }
}
