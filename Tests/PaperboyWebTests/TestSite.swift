import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import PaperboyWeb
import Testing

/// A site over a fresh SQLite store holding the conformance fixtures, run in-process.
struct TestSite {
    let store: SQLiteStore
    let config: WebConfiguration

    static func make(
        papers: [Paper] = Fixtures.corpus, config: WebConfiguration = WebConfiguration(cacheTTL: .zero)
    ) async throws -> TestSite {
        let store = try SQLiteStore.temporary()
        try await store.migrate()
        _ = try await store.upsert(papers)
        return TestSite(store: store, config: config)
    }

    func run(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var logger = Logger(label: "paperboy.test")
        logger.logLevel = .warning
        let router = try await buildRouter(store: store, config: config, logger: logger)
        try await Application(router: router).test(.router, body)
    }
}

struct Fetched {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: String
    let bytes: ByteBuffer
}

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Fetched {
        try await execute(uri: uri, method: .get, headers: headers) { response in
            Fetched(
                status: response.status, headers: response.headers, body: String(buffer: response.body),
                bytes: response.body)
        }
    }

    func json(_ uri: String) async throws -> Any {
        let fetched = try await get(uri)
        #expect(fetched.headers[.contentType] == "application/json; charset=utf-8", "\(uri)")
        return try JSONSerialization.jsonObject(with: Data(fetched.body.utf8), options: [.fragmentsAllowed])
    }
}

/// RFC 3339 UTC with milliseconds and Z, which the Hugging Face client insists on.
func isAPITimestamp(_ value: Any?) -> Bool {
    guard let s = value as? String else { return false }
    return s.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil
}
