import Foundation
import Logging
import PaperboyCore

/// Keeps a node's vector index in step with vectors other processes store (another node holding the embedding lease,
/// a `paperboy embed` run), through the store's change sequence: the embedding pipeline stores a paper's key phrases
/// right after its vector, which gives the paper a new change number (``PaperChangeFeed``); the follower reads the
/// changes after its position and loads the stored vector of each changed paper into the index when it differs from
/// the one there. A change that is not a new vector (a vote, an edit not embedded yet) costs one read of a vector.
public actor VectorIndexFollower {
    let feed: any PaperChangeFeed
    let store: any EmbeddingStore
    let index: AdaptiveVectorIndex
    let modelID: String
    let logger: Logger
    /// The last change read; nil: not started (the first ``catchUp()`` starts from the latest change).
    public private(set) var sequence: Int64?

    /// Follows from change `after`: the store's latest change read before the index was opened or built, so that no
    /// vector stored meanwhile is missed (nil: from the latest change at the first ``catchUp()``).
    public init(
        feed: any PaperChangeFeed, store: any EmbeddingStore, index: AdaptiveVectorIndex, modelID: String,
        after: Int64? = nil, logger: Logger
    ) {
        self.feed = feed
        self.store = store
        self.index = index
        self.modelID = modelID
        self.sequence = after
        self.logger = logger
    }

    /// Reads the changes after the position and puts the changed papers' stored vectors in the index; returns how
    /// many vectors were added or replaced.
    @discardableResult
    public func catchUp() async throws -> Int {
        let latest = try await feed.latestPaperChange()
        guard let start = sequence, start <= latest else {
            // Not started, or the store went back (a restored copy): follow from where it is.
            sequence = latest
            return 0
        }
        var position = start
        var added = 0
        while true {
            let batch = try await feed.paperChanges(after: position, limit: 1_000)
            if batch.papers.isEmpty || batch.last <= position { break }
            var items: [(id: Int64, vector: [Float])] = []
            for paper in batch.papers {
                guard let stored = try await store.embedding(model: modelID, key: paper.key) else { continue }
                if let held = index.vector(id: paper.key), Self.same(held, stored) { continue }
                items.append((paper.key, stored))
            }
            if !items.isEmpty {
                let rejected = index.add(items)
                VectorIndexFile.logRejected(rejected, logger: logger)
                added += items.count - rejected.count
            }
            position = batch.last
            sequence = position
        }
        return added
    }

    /// Whether the index's vector is the stored one: equal, or within what the index's 8-bit codes (HNSW) lose.
    static func same(_ held: [Float], _ stored: [Float]) -> Bool {
        guard held.count == stored.count else { return false }
        let largest = stored.reduce(Float(0)) { max($0, abs($1)) }
        let tolerance = max(1e-6, largest / 127 * 0.6)
        return zip(held, stored).allSatisfy { abs($0 - $1) <= tolerance }
    }
}
