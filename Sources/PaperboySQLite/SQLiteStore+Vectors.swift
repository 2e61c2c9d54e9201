import Foundation
import GRDB
import PaperboyCore

extension SQLiteStore: VectorStore {
    public func papersNeedingEmbedding(model: String, after key: PaperKey, scan: Int) async throws
        -> (jobs: [EmbeddingJob], last: PaperKey?)
    {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.rowid, p.id, p.title, p.abstract, v.text_hash FROM papers p
                    LEFT JOIN paper_vectors v ON v.model = ? AND v.paper_rowid = p.rowid
                    WHERE p.rowid > ? ORDER BY p.rowid LIMIT ?
                    """,
                arguments: [model, key, scan])
            let jobs = rows.compactMap { row -> EmbeddingJob? in
                let job = EmbeddingJob(
                    key: row[0], id: PaperID(storedValue: row[1]),
                    text: EmbeddingJob.text(title: row[2], abstract: row[3]))
                let stored: Int64? = row[4]
                return stored.map { UInt64(bitPattern: $0) } == job.textHash ? nil : job
            }
            return (jobs, rows.count < scan ? nil : rows.last.map { $0[0] })
        }
    }

    public func saveEmbeddings(model: String, dimension: Int, _ items: [StoredEmbedding]) async throws {
        guard !items.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO paper_vectors (model, paper_rowid, text_hash, dimension, vector)
                    VALUES (?, ?, ?, ?, ?)
                    """)
            for item in items {
                precondition(item.vector.count == dimension, "embedding of the wrong dimension")
                try statement.execute(arguments: [
                    model, item.key, Int64(bitPattern: item.textHash), dimension, VectorBlob.encode(item.vector),
                ])
            }
        }
    }

    public func embeddings(model: String, after key: PaperKey, limit: Int) async throws -> [StoredEmbedding] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT paper_rowid, text_hash, vector FROM paper_vectors WHERE model = ? AND paper_rowid > ?
                    ORDER BY paper_rowid LIMIT ?
                    """,
                arguments: [model, key, limit]
            ).map { row in
                let hash: Int64 = row[1]
                return StoredEmbedding(
                    key: row[0], textHash: UInt64(bitPattern: hash), vector: VectorBlob.decode(row[2]))
            }
        }
    }

    public func embeddingCount(model: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM paper_vectors WHERE model = ?", arguments: [model]) ?? 0
        }
    }

    public func embedding(model: String, key: PaperKey) async throws -> [Float]? {
        try await pool.read { db in
            try Data.fetchOne(
                db, sql: "SELECT vector FROM paper_vectors WHERE model = ? AND paper_rowid = ?",
                arguments: [model, key]
            ).map(VectorBlob.decode)
        }
    }

    public func key(of id: PaperID) async throws -> PaperKey? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT rowid FROM papers WHERE id = ?", arguments: [id.rawValue])
        }
    }

    public func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        guard !keys.isEmpty else { return [:] }
        return try await pool.read { db in
            var result: [PaperKey: StoredPaper] = [:]
            for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min(keys.count, $0 + 500)]) }) {
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                for row in try Row.fetchAll(
                    db, sql: "SELECT \(PaperRow.columns) FROM papers WHERE rowid IN (\(placeholders))",
                    arguments: StatementArguments(chunk))
                {
                    let paper = try PaperRow(row: row)
                    result[paper.rowid] = paper.paper
                }
            }
            return result
        }
    }

    public func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
        var filters: [String] = []
        var arguments: StatementArguments = []
        for category in query.categories {
            filters.append("rowid IN (SELECT paper_rowid FROM paper_categories WHERE category = ?)")
            arguments += [category]
        }
        if let after = query.after {
            filters.append("featured_day >= ?")
            arguments += [after.description]
        }
        if let before = query.before {
            filters.append("featured_day < ?")
            arguments += [before.description]
        }
        let match = FTSExpression(authorsOnly: query)
        if !match.isEmpty {
            filters.append("rowid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
            arguments += [match.text]
        }
        let excluded = FTSExpression(excludedOnly: query)
        if !excluded.isEmpty {
            filters.append("rowid NOT IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
            arguments += [excluded.text]
        }
        guard !filters.isEmpty else { return nil }
        let sql = "SELECT rowid FROM papers WHERE " + filters.joined(separator: " AND ")
        let finalArguments = arguments
        return try await pool.read { db in Set(try Int64.fetchAll(db, sql: sql, arguments: finalArguments)) }
    }

    public func keywordKeys(_ query: SearchQuery, limit: Int) async throws
        -> (ranked: [(key: PaperKey, score: Double)], total: Int)
    {
        try await rankedKeys(query, offset: 0, limit: limit)
    }
}

/// Vectors as BLOBs of little-endian Float32.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func decode(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
    }
}
