import Foundation
import GRDB
import PaperboyCore

extension SQLiteStore {
    /// Papers with no vector, a vector of another text, or a vector row whose blob does not hold `dimension`
    /// floats (a damaged row is embedded again). A paper row that cannot be read is logged and passed over.
    public func papersNeedingEmbedding(model: String, after key: PaperKey, scan: Int) async throws
        -> (jobs: [EmbeddingJob], last: PaperKey?)
    {
        guard scan > 0 else { return ([], nil) }
        let (jobs, last, unreadable) = try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.rowid, p.id, p.title, p.abstract, v.text_hash,
                        typeof(v.vector) = 'blob' AND length(v.vector) = 4 * v.dimension FROM papers p
                    LEFT JOIN paper_vectors v ON v.model = ? AND v.paper_rowid = p.rowid
                    WHERE p.rowid > ? ORDER BY p.rowid LIMIT ?
                    """,
                arguments: [model, key, scan])
            var jobs: [EmbeddingJob] = []
            var unreadable: [PaperKey] = []
            for row in rows {
                let rowid: PaperKey = try row.decode(atIndex: 0)
                guard let id = try? row.decode(String.self, atIndex: 1),
                    let title = try? row.decode(String.self, atIndex: 2),
                    let abstract = try? row.decode(String.self, atIndex: 3)
                else {
                    unreadable.append(rowid)
                    continue
                }
                let job = EmbeddingJob(key: rowid, id: PaperID(storedValue: id), title: title, abstract: abstract)
                let stored = (try? row.decode(Int64?.self, atIndex: 4)).flatMap { $0 }
                let intact = (try? row.decode(Bool?.self, atIndex: 5)).flatMap { $0 } ?? false
                if !intact || stored.map({ UInt64(bitPattern: $0) }) != job.textHash { jobs.append(job) }
            }
            let last: PaperKey? = rows.count < scan ? nil : try rows.last.map { try $0.decode(atIndex: 0) }
            return (jobs, last, unreadable)
        }
        if !unreadable.isEmpty {
            logger.warning(
                "papers that cannot be read are left without embeddings",
                metadata: ["paper.rowids": "\(unreadable.prefix(10).map(String.init).joined(separator: ", "))"])
        }
        return (jobs, last)
    }

    /// Throws ``VectorRowError`` (and stores nothing) when a vector has another dimension than `dimension` or
    /// holds NaN or infinite values.
    public func saveEmbeddings(model: String, dimension: Int, _ items: [StoredEmbedding]) async throws {
        guard !items.isEmpty else { return }
        for item in items {
            guard item.vector.count == dimension else {
                throw VectorRowError.wrongDimension(key: item.key, found: item.vector.count, expected: dimension)
            }
            guard item.vector.allSatisfy(\.isFinite) else { throw VectorRowError.notFinite(key: item.key) }
        }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO paper_vectors (model, paper_rowid, text_hash, dimension, vector)
                    VALUES (?, ?, ?, ?, ?)
                    """)
            for item in items {
                try statement.execute(arguments: [
                    model, item.key, Int64(bitPattern: item.textHash), dimension, VectorBlob.encode(item.vector),
                ])
            }
        }
    }

    /// Stored vectors in key order. A row whose vector cannot be read (a blob that is not `dimension` floats,
    /// NaN or infinite values, values of the wrong type) is deleted, logged, and left out, so that the embedding
    /// pipeline embeds that paper again.
    public func embeddings(model: String, after key: PaperKey, limit: Int) async throws -> [StoredEmbedding] {
        guard limit > 0 else { return [] }
        while true {
            let (good, bad) = try await pool.read { db in
                var good: [StoredEmbedding] = []
                var bad: [(key: DatabaseValue, vector: DatabaseValue)] = []
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT paper_rowid, text_hash, dimension, vector FROM paper_vectors
                        WHERE model = ? AND paper_rowid > ? ORDER BY paper_rowid LIMIT ?
                        """,
                    arguments: [model, key, limit])
                for row in rows {
                    if let rowid = try? row.decode(PaperKey.self, atIndex: 0),
                        let hash = try? row.decode(Int64.self, atIndex: 1),
                        let dimension = try? row.decode(Int.self, atIndex: 2),
                        let vector = VectorBlob.decode(row[3] as DatabaseValue, dimension: dimension)
                    {
                        good.append(StoredEmbedding(key: rowid, textHash: UInt64(bitPattern: hash), vector: vector))
                    } else {
                        bad.append((key: row[0], vector: row[3]))
                    }
                }
                return (good, bad)
            }
            if bad.isEmpty { return good }
            let deleted = try await pool.write { db in
                var deleted = 0
                for row in bad {
                    // Only if unchanged: the pipeline may have stored a good vector since the read.
                    try db.execute(
                        sql: "DELETE FROM paper_vectors WHERE model = ? AND paper_rowid IS ? AND vector IS ?",
                        arguments: [model, row.key, row.vector])
                    deleted += db.changesCount
                }
                return deleted
            }
            logger.warning(
                "deleted stored vectors that cannot be read; their papers will be embedded again",
                metadata: [
                    "embed.model": "\(model)", "embed.unreadable": "\(bad.count)", "embed.deleted": "\(deleted)",
                    "paper.rowids": "\(bad.prefix(10).map { "\($0.key)" }.joined(separator: ", "))",
                ])
            // A page of only damaged rows: read on, so that an empty answer still means the end (unless nothing
            // could be deleted, when reading on would find the same rows again).
            if !good.isEmpty || deleted == 0 { return good }
        }
    }

    public func embeddingCount(model: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM paper_vectors WHERE model = ?", arguments: [model]) ?? 0
        }
    }

    /// The stored vector, or nil when there is none or it cannot be read (see ``embeddings(model:after:limit:)``).
    public func embedding(model: String, key: PaperKey) async throws -> [Float]? {
        try await pool.read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT dimension, vector FROM paper_vectors WHERE model = ? AND paper_rowid = ?",
                arguments: [model, key])
            guard let row, let dimension = try? row.decode(Int.self, atIndex: 0) else { return nil }
            return VectorBlob.decode(row[1] as DatabaseValue, dimension: dimension)
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
            for chunk in KeyList.chunks(keys) {
                for paper in try PaperRow.fetchAll(
                    db,
                    sql: """
                        SELECT \(PaperRow.columns) FROM papers
                        WHERE rowid IN (\(chunk.placeholders)) AND hidden_at IS NULL
                        """,
                    arguments: chunk.keys)
                {
                    result[paper.rowid] = paper.paper
                }
            }
            return result
        }
    }
}

/// Vectors as BLOBs of little-endian Float32.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// The vector in a stored value, or nil unless it is a blob of exactly `dimension` finite floats.
    static func decode(_ value: DatabaseValue, dimension: Int) -> [Float]? {
        guard case .blob(let data) = value.storage, dimension > 0, data.count % 4 == 0, data.count / 4 == dimension
        else { return nil }
        let vector = data.withUnsafeBytes { raw in
            (0..<dimension).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
        return vector.allSatisfy(\.isFinite) ? vector : nil
    }
}
