import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// Paper embeddings per model (EmbeddingStore, migration 0002): `paper_vectors`, each vector a `bytea` of little-endian
// Float32 (the bytes of SQLite's blob, so that a copy moves them unchanged) and its text hash a BIGINT holding the
// UInt64's bit pattern. `key(of:)` and `papers(keys:)` are in PostgresStore+Papers.swift.

extension PostgresStore: EmbeddingStore {
    /// Papers with no vector, a vector of another text, or a vector row whose bytes do not hold `dimension`
    /// floats (a damaged row is embedded again). A paper row that cannot be read is logged and passed over.
    public func papersNeedingEmbedding(model: String, after key: PaperKey, scan: Int) async throws
        -> (jobs: [EmbeddingJob], last: PaperKey?)
    {
        guard scan > 0 else { return ([], nil) }
        let rows = try await client.all(
            """
            SELECT p.key, p.id, p.title, p.abstract, v.text_hash, octet_length(v.vector) = 4 * v.dimension
            FROM papers p LEFT JOIN paper_vectors v ON v.model = \(model) AND v.paper_key = p.key
            WHERE p.key > \(key) ORDER BY p.key LIMIT \(scan)
            """, logger: logger
        ) { row -> (key: PaperKey, job: EmbeddingJob?, needed: Bool) in
            let r = row.makeRandomAccess()
            let key = try r[0].decode(PaperKey.self)
            guard let id = try? r[1].decode(String.self), let title = try? r[2].decode(String.self),
                let abstract = try? r[3].decode(String.self)
            else { return (key, nil, false) }
            let job = EmbeddingJob(key: key, id: PaperID(storedValue: id), title: title, abstract: abstract)
            let stored = (try? r[4].decode(Int64?.self)).flatMap { $0 }
            let intact = (try? r[5].decode(Bool?.self)).flatMap { $0 } ?? false
            return (key, job, !intact || stored.map { UInt64(bitPattern: $0) } != job.textHash)
        }
        let unreadable = rows.filter { $0.job == nil }.map(\.key)
        if !unreadable.isEmpty {
            logger.warning(
                "papers that cannot be read are left without embeddings",
                metadata: ["paper.keys": "\(unreadable.prefix(10).map(String.init).joined(separator: ", "))"])
        }
        let jobs = rows.compactMap { $0.needed ? $0.job : nil }
        return (jobs, rows.count < scan ? nil : rows.last?.key)
    }

    /// Throws ``VectorRowError`` (and stores nothing) when a vector has another dimension than `dimension` or
    /// holds NaN or infinite values. Of several items for one paper the last is stored, as SQLite's one replace after
    /// another stores it.
    public func saveEmbeddings(model: String, dimension: Int, _ items: [StoredEmbedding]) async throws {
        guard !items.isEmpty else { return }
        var latest: [PaperKey: StoredEmbedding] = [:]
        for item in items {
            guard item.vector.count == dimension else {
                throw VectorRowError.wrongDimension(
                    key: item.key, found: item.vector.count, expected: dimension)
            }
            guard item.vector.allSatisfy(\.isFinite) else { throw VectorRowError.notFinite(key: item.key) }
            latest[item.key] = item
        }
        // In key order, so that two saves of overlapping papers lock their rows in one order and never deadlock.
        let rows = latest.values.sorted { $0.key < $1.key }
        let logger = logger
        try await transaction { connection in
            // Chunks keep each array parameter of a bounded size.
            for start in stride(from: 0, to: rows.count, by: 1_000) {
                let chunk = rows[start..<min(rows.count, start + 1_000)]
                let keys = chunk.map(\.key)
                let hashes = chunk.map { Int64(bitPattern: $0.textHash) }
                let vectors = chunk.map { PostgresVectorBytes.encode($0.vector) }
                try await connection.execute(
                    """
                    INSERT INTO paper_vectors (model, paper_key, text_hash, dimension, vector)
                    SELECT \(model), i.key, i.hash, \(dimension)::integer, i.vector
                    FROM unnest(\(keys)::bigint[], \(hashes)::bigint[], \(vectors)::bytea[]) AS i(key, hash, vector)
                    ON CONFLICT (model, paper_key) DO UPDATE SET text_hash = excluded.text_hash,
                        dimension = excluded.dimension, vector = excluded.vector
                    """, logger: logger)
            }
        }
    }

    /// Stored vectors in key order. A row whose vector cannot be read (bytes that are not `dimension` floats, NaN or
    /// infinite values) is deleted, logged, and left out, so that the embedding pipeline embeds that paper again.
    public func embeddings(model: String, after key: PaperKey, limit: Int) async throws -> [StoredEmbedding] {
        guard limit > 0 else { return [] }
        while true {
            var good: [StoredEmbedding] = []
            var bad: [(key: PaperKey, vector: ByteBuffer)] = []
            let rows = try await client.all(
                """
                SELECT paper_key, text_hash, dimension, vector FROM paper_vectors
                WHERE model = \(model) AND paper_key > \(key) ORDER BY paper_key LIMIT \(limit)
                """, logger: logger
            ) { try $0.decode((PaperKey, Int64, Int, ByteBuffer).self) }
            for (rowKey, hash, dimension, bytes) in rows {
                if let vector = PostgresVectorBytes.decode(bytes, dimension: dimension) {
                    good.append(StoredEmbedding(key: rowKey, textHash: UInt64(bitPattern: hash), vector: vector))
                } else {
                    bad.append((rowKey, bytes))
                }
            }
            if bad.isEmpty { return good }
            // Only if unchanged: the pipeline may have stored a good vector since the read.
            let deleted = try await client.count(
                """
                WITH gone AS (
                    DELETE FROM paper_vectors v USING unnest(\(bad.map(\.key))::bigint[], \(bad.map(\.vector))::bytea[])
                        AS b(key, vector)
                    WHERE v.model = \(model) AND v.paper_key = b.key AND v.vector = b.vector
                    RETURNING 1
                )
                SELECT count(*) FROM gone
                """, logger: logger)
            logger.warning(
                "deleted stored vectors that cannot be read; their papers will be embedded again",
                metadata: [
                    "embed.model": "\(model)", "embed.unreadable": "\(bad.count)", "embed.deleted": "\(deleted)",
                    "paper.keys": "\(bad.prefix(10).map { "\($0.key)" }.joined(separator: ", "))",
                ])
            // A page of only damaged rows: read on, so that an empty answer still means the end (unless nothing
            // could be deleted, when reading on would find the same rows again).
            if !good.isEmpty || deleted == 0 { return good }
        }
    }

    public func embeddingCount(model: String) async throws -> Int {
        try await client.count("SELECT count(*) FROM paper_vectors WHERE model = \(model)", logger: logger)
    }

    /// The stored vector, or nil when there is none or it cannot be read (see ``embeddings(model:after:limit:)``).
    public func embedding(model: String, key: PaperKey) async throws -> [Float]? {
        let row = try await client.first(
            "SELECT dimension, vector FROM paper_vectors WHERE model = \(model) AND paper_key = \(key)",
            logger: logger
        ) { try $0.decode((Int, ByteBuffer).self) }
        guard let row else { return nil }
        return PostgresVectorBytes.decode(row.1, dimension: row.0)
    }
}

/// Vectors as `bytea` of little-endian Float32: the bytes SQLite's store keeps in its blobs.
enum PostgresVectorBytes {
    static func encode(_ vector: [Float]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(vector.count * 4)
        for value in vector { buffer.writeInteger(value.bitPattern, endianness: .little) }
        return buffer
    }

    /// The vector in stored bytes, or nil unless they are exactly `dimension` finite floats.
    static func decode(_ bytes: ByteBuffer, dimension: Int) -> [Float]? {
        guard dimension > 0, bytes.readableBytes % 4 == 0, bytes.readableBytes / 4 == dimension else { return nil }
        var reader = bytes
        var vector: [Float] = []
        vector.reserveCapacity(dimension)
        while let bits = reader.readInteger(endianness: .little, as: UInt32.self) {
            vector.append(Float(bitPattern: bits))
        }
        return vector.allSatisfy(\.isFinite) ? vector : nil
    }
}
