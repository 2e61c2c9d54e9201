import Foundation
import Logging
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyIngest

/// Answers requests from a script, in order, and records what was asked.
actor ScriptedFetcher: OAIFetcher {
    enum Step {
        case ok(String)
        case status(Int, [(String, String)])
        case fail
    }

    var steps: [Step]
    var urls: [URL] = []

    init(_ steps: [Step]) { self.steps = steps }

    struct NetworkDown: Error {}

    func get(_ url: URL) async throws -> (status: Int, headers: [(String, String)], body: Data) {
        urls.append(url)
        guard !steps.isEmpty else { throw NetworkDown() }
        switch steps.removeFirst() {
        case .ok(let body): return (200, [("Content-Type", "text/xml")], Data(body.utf8))
        case .status(let code, let headers): return (code, headers, Data())
        case .fail: throw NetworkDown()
        }
    }

    var queries: [String] { urls.map { $0.query ?? "" } }
}

final class SleepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Duration] = []
    func add(_ d: Duration) { lock.withLock { items.append(d) } }
    var all: [Duration] { lock.withLock { items } }
}

@Suite struct HarvesterTests {
    let logger = Logger(label: "test")
    let base = URL(string: "http://oai.test/oai2")!

    func harvester(
        _ store: InMemoryStore, _ fetcher: ScriptedFetcher, sleeps: SleepLog, set: String? = nil,
        delay: Duration = .zero
    )
        -> Harvester
    {
        Harvester(
            store: store, baseURL: base, set: set, fetcher: fetcher, logger: logger, minimumDelay: delay, maxRetries: 2,
            sleep: { sleeps.add($0) }, now: { Date(timeIntervalSince1970: 1_800_000_000) })
    }

    static let page1 = Fixtures.oaiRawPage(
        records: Fixtures.rawRecord(id: "2511.00001") + Fixtures.rawRecord(id: "2511.00002", versions: 2),
        token: "tok|1", responseDate: "2026-11-20T10:00:00Z")
    static let page2 = Fixtures.oaiRawPage(
        records: Fixtures.rawRecord(id: "2511.00003") + """
            <record><header status="deleted"><identifier>oai:arXiv.org:2511.00009</identifier>\
            <datestamp>2026-11-19</datestamp></header></record>
            """, responseDate: "2026-11-21T10:00:00Z")

    @Test func pagesWithResumptionTokens() async throws {
        let store = InMemoryStore()
        let fetcher = ScriptedFetcher([.ok(Self.page1), .ok(Self.page2)])
        let sleeps = SleepLog()
        let report = try await harvester(store, fetcher, sleeps: sleeps, set: "cs", delay: .seconds(3))
            .run(from: Day(iso: "2026-11-18"), until: Day(iso: "2026-11-20"))
        #expect(
            await fetcher.queries == [
                "verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-18&until=2026-11-20&set=cs",
                "verb=ListRecords&resumptionToken=tok%7C1",
            ])
        #expect(report.pages == 2 && report.records == 3 && report.inserted == 3 && report.skipped == 1)
        #expect(report.lastCompleted == Day(iso: "2026-11-20"))
        // The minimum delay between the two requests (the clock does not move in this test).
        #expect(sleeps.all == [.seconds(3)])
        let state = try await store.harvestState(key: "oai:http://oai.test/oai2:cs")
        #expect(state == HarvestState(lastCompleted: Day(iso: "2026-11-20")))
        let p = try #require(await store.papers[PaperID("2511.00002")!])
        #expect(p.versions.map(\.number) == [1, 2])
        #expect(p.authors == ["Ann Lee", "Bob Ray"])
        #expect(p.abstract == "An abstract on two lines.")

        // The next run starts from lastCompleted.
        let next = ScriptedFetcher([.ok(Self.page2)])
        _ = try await harvester(store, next, sleeps: sleeps, set: "cs").run()
        #expect(await next.queries == ["verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-20&set=cs"])
    }

    @Test func retryAfterIsHonouredWithoutCountingAsFailure() async throws {
        let store = InMemoryStore()
        let busy = ScriptedFetcher.Step.status(503, [("Retry-After", "7")])
        let fetcher = ScriptedFetcher([busy, busy, busy, .ok(Self.page2)])
        let sleeps = SleepLog()
        let report = try await harvester(store, fetcher, sleeps: sleeps).run(from: nil, until: nil)
        #expect(sleeps.all == [.seconds(7), .seconds(7), .seconds(7)])
        #expect(report.records == 1)
        #expect(await fetcher.queries.count == 4)
    }

    @Test func retryAfterIsCapped() async throws {
        let fetcher = ScriptedFetcher([.status(503, [("retry-after", "86400")]), .ok(Self.page2)])
        let sleeps = SleepLog()
        _ = try await harvester(InMemoryStore(), fetcher, sleeps: sleeps).run()
        #expect(sleeps.all == [.seconds(600)])
    }

    @Test func failuresBackOffThenGiveUp() async throws {
        let fetcher = ScriptedFetcher([.fail, .status(500, []), .fail, .ok(Self.page2)])
        let sleeps = SleepLog()
        await #expect(throws: HarvestError.self) {
            try await harvester(InMemoryStore(), fetcher, sleeps: sleeps).run()
        }
        #expect(sleeps.all == [.seconds(5), .seconds(10)])
        do {
            _ = try await harvester(InMemoryStore(), ScriptedFetcher([.fail, .fail, .fail]), sleeps: SleepLog()).run()
        } catch let error as HarvestError {
            #expect(error.exitCode == 69)
            #expect(error.description.hasPrefix("OAI-PMH server unavailable (http://oai.test/oai2?verb=ListRecords"))
        }
        // Recovers within the bound.
        let recovering = ScriptedFetcher([.fail, .status(502, []), .ok(Self.page2)])
        let report = try await harvester(InMemoryStore(), recovering, sleeps: SleepLog()).run()
        #expect(report.records == 1)
    }

    @Test func noRecordsMatchIsSuccess() async throws {
        let store = InMemoryStore()
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-22T01:00:00Z</responseDate>
            <request verb="ListRecords">http://export.arxiv.org/oai2</request>
            <error code="noRecordsMatch">No records match.</error></OAI-PMH>
            """
        let report = try await harvester(store, ScriptedFetcher([.ok(xml)]), sleeps: SleepLog()).run(
            from: Day(iso: "2026-11-21"), until: nil)
        #expect(report.records == 0 && report.pages == 0)
        #expect(report.lastCompleted == Day(iso: "2026-11-22"))
        let badArgument = xml.replacingOccurrences(of: "noRecordsMatch", with: "badArgument")
        await #expect(
            throws: HarvestError.protocolError(OAIProtocolError(code: "badArgument", message: "No records match."))
        ) {
            try await harvester(store, ScriptedFetcher([.ok(badArgument)]), sleeps: SleepLog()).run()
        }
    }

    @Test func killedHarvestResumesFromStoredToken() async throws {
        let store = InMemoryStore()
        let from = Day(iso: "2026-11-18")
        // The first run dies after page 1.
        let dying = ScriptedFetcher([.ok(Self.page1), .fail, .fail, .fail])
        await #expect(throws: HarvestError.self) {
            try await harvester(store, dying, sleeps: SleepLog()).run(from: from, until: nil)
        }
        let key = "oai:http://oai.test/oai2"
        #expect(try await store.harvestState(key: key) == HarvestState(resumptionToken: "tok|1", from: from))
        #expect(await store.papers.count == 2)

        let resumed = ScriptedFetcher([.ok(Self.page2)])
        let report = try await harvester(store, resumed, sleeps: SleepLog()).run(from: from, until: nil)
        #expect(await resumed.queries == ["verb=ListRecords&resumptionToken=tok%7C1"])
        #expect(report.resumed && !report.restarted)
        #expect(await store.papers.keys.map(\.rawValue).sorted() == ["2511.00001", "2511.00002", "2511.00003"])
        #expect(try await store.harvestState(key: key) == HarvestState(lastCompleted: from))
    }

    @Test func badResumptionTokenRestartsFromFrom() async throws {
        let store = InMemoryStore()
        let from = Day(iso: "2026-11-18")
        let key = "oai:http://oai.test/oai2"
        try await store.setHarvestState(HarvestState(resumptionToken: "expired", from: from), key: key)
        let bad = """
            <?xml version="1.0" encoding="UTF-8"?>
            <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-22T01:00:00Z</responseDate>
            <request verb="ListRecords">http://export.arxiv.org/oai2</request>
            <error code="badResumptionToken">The value of the resumptionToken argument is invalid or expired.</error>
            </OAI-PMH>
            """
        let fetcher = ScriptedFetcher([.ok(bad), .ok(Self.page1), .ok(Self.page2)])
        let report = try await harvester(store, fetcher, sleeps: SleepLog()).run(from: from, until: nil)
        #expect(
            await fetcher.queries == [
                "verb=ListRecords&resumptionToken=expired",
                "verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-18",
                "verb=ListRecords&resumptionToken=tok%7C1",
            ])
        #expect(report.restarted && report.records == 3)
        #expect(await store.papers.count == 3)
        #expect(try await store.harvestState(key: key) == HarvestState(lastCompleted: Day(iso: "2026-11-20")))
        // A stored token for a different range is not used.
        try await store.setHarvestState(
            HarvestState(lastCompleted: from, resumptionToken: "old", from: Day(iso: "2026-01-01")), key: key)
        let other = ScriptedFetcher([.ok(Self.page2)])
        _ = try await harvester(store, other, sleeps: SleepLog()).run()
        #expect(await other.queries == ["verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-18"])
    }

    @Test func serviceRunsUntilCancelled() async throws {
        let store = InMemoryStore()
        let fetcher = ScriptedFetcher([.ok(Self.page2), .fail, .fail, .fail, .ok(Self.page2)])
        let runs = SleepLog()
        let service = HarvestService(
            harvester: harvester(store, fetcher, sleeps: SleepLog()), interval: .milliseconds(10), logger: logger,
            onRun: { result in runs.add(result.isSuccess ? .seconds(1) : .seconds(0)) })
        let task = Task { try await service.run() }
        while runs.all.count < 3 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        try await task.value
        #expect(Array(runs.all.prefix(3)) == [.seconds(1), .seconds(0), .seconds(1)])
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

extension HarvestError: Equatable {
    public static func == (a: HarvestError, b: HarvestError) -> Bool { a.description == b.description }
}
