import Foundation
import PaperboyCore

/// A simple in-memory `PaperStore` for ingest and harvest tests.
actor MemoryStore: PaperStore {
    var papers: [PaperID: Paper] = [:]
    var states: [String: HarvestState] = [:]
    var upsertCalls: [Int] = []
    var bulkLoads = 0
    var bulkLoadEnds = 0
    /// Pretend the store already holds this many papers (for the bulk-load threshold).
    var extraCount = 0

    init(extraCount: Int = 0) { self.extraCount = extraCount }

    func migrate() async throws {}

    func upsert(_ batch: [Paper]) async throws -> UpsertSummary {
        upsertCalls.append(batch.count)
        var summary = UpsertSummary()
        for paper in batch {
            if let stored = papers[paper.id] {
                let merged = stored.merged(with: paper)
                if merged == stored {
                    summary.unchanged += 1
                } else {
                    summary.updated += 1
                    papers[paper.id] = merged
                }
            } else {
                summary.inserted += 1
                papers[paper.id] = paper
            }
        }
        return summary
    }

    func beginBulkLoad() async throws { bulkLoads += 1 }
    func endBulkLoad() async throws { bulkLoadEnds += 1 }

    func paper(id: PaperID) async throws -> StoredPaper? { papers[id].map { StoredPaper(paper: $0) } }

    func listing(days: ClosedRange<Day>, sort: ListingSort, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>
    {
        ResultPage(items: [], total: 0, offset: offset, limit: limit)
    }

    func newestDay() async throws -> Day? { nil }
    func dayWithPapers(before day: Day) async throws -> Day? { nil }
    func dayWithPapers(after day: Day) async throws -> Day? { nil }

    func papers(byAuthor name: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        ResultPage(items: [], total: 0, offset: offset, limit: limit)
    }

    func coauthors(of name: String, limit: Int) async throws -> [(name: String, papers: Int)] { [] }

    func papers(inCategory category: String, offset: Int, limit: Int) async throws -> ResultPage<StoredPaper> {
        ResultPage(items: [], total: 0, offset: offset, limit: limit)
    }

    func search(_ query: SearchQuery, offset: Int, limit: Int) async throws -> ResultPage<SearchHit> {
        ResultPage(items: [], total: 0, offset: offset, limit: limit)
    }

    func allPapers(after cursor: PaperCursor?, limit: Int) async throws -> (papers: [StoredPaper], next: PaperCursor?) {
        ([], nil)
    }

    func stats() async throws -> StoreStats { StoreStats(papers: papers.count + extraCount, newestDay: nil) }

    func harvestState(key: String) async throws -> HarvestState { states[key] ?? HarvestState() }

    func setHarvestState(_ state: HarvestState, key: String) async throws { states[key] = state }

    func setState(_ state: HarvestState, key: String) { states[key] = state }
}
