import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import PaperboyCore
import PaperboyIngest
import PaperboySearch
import ServiceLifecycle

/// OAI-PMH settings shared by `harvest` and `serve --harvest-every`.
struct HarvestOptions: ParsableArguments {
    @Option(help: "OAI-PMH endpoint (PAPERBOY_OAI_URL; default https://oaipmh.arxiv.org/oai).")
    var oaiURL: String?

    @Option(help: "OAI-PMH set to harvest, e.g. cs or physics:hep-th (PAPERBOY_SET; default all).")
    var set: String?

    static let defaultEndpoint = URL(string: "https://oaipmh.arxiv.org/oai")!

    struct Resolved {
        let url: URL
        let set: String?

        func harvester(store: some PaperWriter & HarvestStateStore, client: HTTPClient, logger: Logger) -> Harvester {
            Harvester(store: store, baseURL: url, set: set, httpClient: client, logger: logger)
        }

        /// The harvest as a service of `serve`; with `lease`, only the node holding it harvests.
        func service(
            store: some PaperWriter & HarvestStateStore, client: HTTPClient, every: Duration, logger: Logger,
            lease: JobLeaseKeeper? = nil
        ) -> HarvestService {
            HarvestService(
                harvester: harvester(store: store, client: client, logger: logger), interval: every, logger: logger,
                lease: lease
            ) { result in
                switch result {
                case .success(let report):
                    Counter(label: MetricNames.harvestRuns, dimensions: [("result", "success")]).increment()
                    Counter(label: MetricNames.harvestRecords).increment(by: report.records)
                case .failure:
                    Counter(label: MetricNames.harvestRuns, dimensions: [("result", "failure")]).increment()
                }
            }
        }
    }

    func resolve() throws -> Resolved {
        Resolved(
            url: try Settings.url("oai-url", oaiURL, default: Self.defaultEndpoint),
            set: Settings.string("set", set))
    }
}

/// An HTTP client that is shut down when the command ends.
final class HTTPClientHolder: Sendable {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    func shutdown() async throws { try await client.shutdown() }
}

struct Harvest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch new and changed papers from arXiv's OAI-PMH interface (arXivRaw), resuming where it stopped.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var options: HarvestOptions

    @Option(help: "First day to harvest, YYYY-MM-DD (PAPERBOY_FROM; default: the day the last harvest began).")
    var from: String?

    @Option(help: "Last day to harvest, YYYY-MM-DD (PAPERBOY_UNTIL; default: today).")
    var until: String?

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.harvest")
            let settings = try options.resolve()
            let from = try Settings.day("from", from)
            let until = try Settings.day("until", until)
            let store = try await common.openStore(logger: logger)
            let holder = HTTPClientHolder()
            do {
                let report = try await settings.harvester(store: store, client: holder.client, logger: logger)
                    .run(from: from, until: until)
                try await holder.shutdown()
                print(
                    "harvested \(report.records) records in \(report.pages) pages"
                        + (report.resumed ? " (resumed)" : "") + ": \(report.counts); "
                        + "next harvest from \(report.lastCompleted?.description ?? "-")")
                // Bring the keyword index up to date now, unless a running server keeps it.
                if let follower = try await KeywordIndexFollower.start(
                    directory: common.indexDirectory, store: store, logger: logger)
                {
                    _ = try await follower.finish()
                }
            } catch {
                try? await holder.shutdown()
                throw error
            }
        }
    }
}
