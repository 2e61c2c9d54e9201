import PaperboyCore

/// A store searched through a keyword index made over it: what the keyword checks run on, since no store is its own
/// keyword index. Each implementation's test target gives Paperboy's own index fed by the store's change feed,
/// `SearchedStore(store, index: FollowingKeywordIndex(feed: store, papers: store))`, so that every backend is searched
/// by the same index. It plays the store's roles by asking the store, and ``KeywordIndex`` by asking the index.
public struct SearchedStore<Store: Sendable>: KeywordIndex {
    public let store: Store
    public let index: any KeywordIndex

    public init(_ store: Store, index: any KeywordIndex) {
        self.store = store
        self.index = index
    }

    public func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking {
        try await index.rank(query, offset: offset, limit: limit)
    }

    public func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
        try await index.keys(passingFiltersOf: query)
    }

    public func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights] {
        try await index.highlights(query, keys: keys)
    }
}

extension SearchedStore: KeyedPapers where Store: KeyedPapers {
    public func key(of id: PaperID) async throws -> PaperKey? { try await store.key(of: id) }

    public func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        try await store.papers(keys: keys)
    }
}

extension SearchedStore: PaperWriter where Store: PaperWriter {
    public func upsert(_ papers: [Paper]) async throws -> UpsertSummary { try await store.upsert(papers) }
    public func beginBulkLoad() async throws { try await store.beginBulkLoad() }
    public func endBulkLoad() async throws { try await store.endBulkLoad() }
    public func paperCount() async throws -> Int { try await store.paperCount() }
}

extension SearchedStore: StoreMaintenance where Store: StoreMaintenance {
    public func migrate() async throws { try await store.migrate() }
    public func appliedMigrations() async throws -> [String] { try await store.appliedMigrations() }
    public func pendingMigrations() async throws -> [String] { try await store.pendingMigrations() }
    public func backup(to destination: String) async throws { try await store.backup(to: destination) }
}
