import Foundation
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboySQLite
import Synchronization
import Testing

/// A local OAI-PMH endpoint that answers from a script: first a 503 with Retry-After, then two pages
/// joined by a resumption token; afterwards `noRecordsMatch`.
final class OAIStub: Sendable {
    let requests = Mutex<[String]>([])

    static func page(_ records: String, token: String?, date: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
        <responseDate>\(date)</responseDate>
        <request verb="ListRecords">http://127.0.0.1/oai</request>
        <ListRecords>\(records)\(token.map { "<resumptionToken cursor=\"0\" completeListSize=\"3\">\($0)</resumptionToken>" } ?? "<resumptionToken/>")</ListRecords>
        </OAI-PMH>
        """
    }

    static func record(_ id: String, _ title: String, day: Int) -> String {
        """
        <record><header><identifier>oai:arXiv.org:\(id)</identifier><datestamp>2026-11-\(day)</datestamp></header>
        <metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>\(id)</id><submitter>Ann Lee</submitter>
        <version version="v1"><date>Wed, \(day) Nov 2026 10:00:00 GMT</date><size>10kb</size></version>
        <title>\(title)</title><authors>Ann Lee and Bob Ray</authors><categories>cs.LG</categories>
        <abstract>An abstract.</abstract></arXivRaw></metadata></record>
        """
    }

    func answer(_ query: String) -> (HTTPResponse.Status, HTTPFields, String) {
        let n = requests.withLock { requests in
            requests.append(query)
            return requests.count
        }
        switch n {
        case 1: return (.serviceUnavailable, [.retryAfter: "1"], "busy")
        case 2:
            return (
                .ok, [.contentType: "text/xml"],
                Self.page(
                    Self.record("2611.00001", "Harvested one", day: 18)
                        + Self.record("2611.00002", "Harvested two", day: 19),
                    token: "t|1", date: "2026-11-20T08:00:00Z")
            )
        case 3:
            return (
                .ok, [.contentType: "text/xml"],
                Self.page(
                    Self.record("2611.00003", "Harvested three", day: 20), token: nil, date: "2026-11-20T08:00:04Z")
            )
        default:
            return (
                .ok, [.contentType: "text/xml"],
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-21T08:00:00Z</responseDate>
                <request verb="ListRecords">http://127.0.0.1/oai</request>
                <error code="noRecordsMatch">No records match</error></OAI-PMH>
                """
            )
        }
    }
}

@Suite("Harvesting over HTTP")
struct HarvestCLITests {
    @Test(.timeLimit(.minutes(5)))
    func harvestsPagesHonours503AndContinuesFromTheLastHarvest() async throws {
        let stub = OAIStub()
        let router = Router()
        router.get("/oai") { request, _ -> Response in
            let (status, headers, body) = stub.answer(request.uri.query ?? "")
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let db = try CLI.temporaryDirectory().appendingPathComponent("h.sqlite").path
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)/oai"
            let first = try await CLI.run(["harvest", "--database", db, "--oai-url", url, "--from", "2026-11-18"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(
                first.stdout
                    == "harvested 3 records in 2 pages: 3 new, 0 updated, 0 unchanged, 0 rejected, 0 deleted; "
                    + "next harvest from 2026-11-20\n")
            let second = try await CLI.run(["harvest", "--database", db], environment: ["PAPERBOY_OAI_URL": url])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("harvested 0 records"))
        }
        let requests = stub.requests.withLock { $0 }
        #expect(
            requests == [
                "verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-18",
                "verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-18",
                "verb=ListRecords&resumptionToken=t%7C1",
                "verb=ListRecords&metadataPrefix=arXivRaw&from=2026-11-20",
            ])
        let store = try SQLiteStore(path: db)
        #expect(try await store.stats() == StoreStats(papers: 3, newestDay: Day(iso: "2026-11-20")))
        #expect(try await store.paper(id: PaperID("2611.00002")!, audience: .everyone)?.paper.title == "Harvested two")
    }
}
