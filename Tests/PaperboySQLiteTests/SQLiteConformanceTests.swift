import PaperStoreConformance
import PaperboyCore
import PaperboySQLite
import Testing

@Suite("SQLite store conformance")
struct SQLiteConformanceTests {
    @Test(arguments: PaperStoreConformance.checks)
    func conforms(_ check: ConformanceCheck) async throws {
        try await check.run(try SQLiteStore.temporary())
    }
}

@Suite("SQLite vector store conformance")
struct SQLiteVectorConformanceTests {
    @Test(arguments: PaperStoreConformance.vectorChecks)
    func conforms(_ check: VectorConformanceCheck) async throws {
        try await check.run(try SQLiteStore.temporary())
    }
}
