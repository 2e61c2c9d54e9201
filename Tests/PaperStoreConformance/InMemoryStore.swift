import Foundation
import PaperboyCore

/// An in-memory store of the roles jobs write through (papers, keys, harvest state, upkeep), for tests of ingest
/// and harvest. It passes the same conformance checks as every backend of those roles, and counts its calls.
public actor InMemoryStore: PaperWriter, KeyedPapers, HarvestStateStore, StoreMaintenance {
    private var papersByKey: [PaperKey: Paper] = [:]
    private var keysByID: [PaperID: PaperKey] = [:]
    private var nextKey: PaperKey = 1
    private var states: [String: HarvestState] = [:]
    /// The size of every `upsert` batch, in order.
    public private(set) var upsertCalls: [Int] = []
    public private(set) var bulkLoads = 0
    public private(set) var bulkLoadEnds = 0
    /// Papers the store pretends to hold besides its own (for the bulk-load threshold).
    public let extraCount: Int

    public init(extraCount: Int = 0) { self.extraCount = extraCount }

    /// Every stored paper by id.
    public var papers: [PaperID: Paper] {
        Dictionary(uniqueKeysWithValues: papersByKey.values.map { ($0.id, $0) })
    }

    public func migrate() async throws {}

    public func appliedMigrations() async throws -> [String] { [] }

    public func backup(to destination: String) async throws {
        throw StoreUnsupported(
            operation: "write a backup", store: "the in-memory store", advice: "its papers live only in memory")
    }

    public func upsert(_ batch: [Paper]) async throws -> UpsertSummary {
        upsertCalls.append(batch.count)
        var summary = UpsertSummary()
        for paper in batch {
            if let key = keysByID[paper.id], let stored = papersByKey[key] {
                let merged = stored.merged(with: paper)
                if merged == stored {
                    summary.unchanged += 1
                } else {
                    summary.updated += 1
                    papersByKey[key] = merged
                }
            } else {
                summary.inserted += 1
                keysByID[paper.id] = nextKey
                papersByKey[nextKey] = paper
                nextKey += 1
            }
        }
        return summary
    }

    public func beginBulkLoad() async throws { bulkLoads += 1 }
    public func endBulkLoad() async throws { bulkLoadEnds += 1 }
    public func paperCount() async throws -> Int { papersByKey.count + extraCount }

    public func key(of id: PaperID) async throws -> PaperKey? { keysByID[id] }

    public func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        var found: [PaperKey: StoredPaper] = [:]
        for key in keys { found[key] = papersByKey[key].map { StoredPaper(paper: $0) } }
        return found
    }

    public func harvestState(key: String) async throws -> HarvestState { states[key] ?? HarvestState() }
    public func setHarvestState(_ state: HarvestState, key: String) async throws { states[key] = state }
}
