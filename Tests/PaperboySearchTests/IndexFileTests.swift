import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

/// Builds index files field by field (with a valid checksum), so that tests can write exactly the damage they
/// want, and reads the field layout back for expected errors.
enum IndexFileBuilder {
    /// One field of a file: its name in the reader's messages and its bytes.
    struct Field {
        let name: String
        let bytes: [UInt8]

        static func int<T: FixedWidthInteger>(_ name: String, _ value: T) -> Field {
            Field(name: name, bytes: withUnsafeBytes(of: value.littleEndian) { Array($0) })
        }

        static func floats(_ name: String, _ values: [Float]) -> Field {
            Field(
                name: name, bytes: values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
        }
    }

    static func header(kind: UInt32, dimension: UInt32, modelID: String = "m") -> [Field] {
        [
            Field(name: "magic", bytes: IndexFileFormat.magic), .int("version", IndexFileFormat.version),
            .int("kind", kind), .int("dimension", dimension), .int("model id", UInt32(modelID.utf8.count)),
            Field(name: "model id", bytes: Array(modelID.utf8)),
        ]
    }

    /// An exact index of dimension 4 holding `ids`, vector i being the unit vector on axis i % 4.
    static func exact(ids: [Int64], count: UInt64? = nil, dimension: UInt32 = 4, vectors: [Float]? = nil) -> [Field] {
        let values = vectors ?? ids.indices.flatMap { i in (0..<4).map { Float($0 == i % 4 ? 1 : 0) } }
        return header(kind: IndexFileFormat.kindExact, dimension: dimension) + [
            .int("count", count ?? UInt64(ids.count)),
            Field(name: "ids", bytes: ids.flatMap { id in withUnsafeBytes(of: id.littleEndian) { Array($0) } }),
            .floats("vectors", values),
        ]
    }

    struct Node {
        var id: Int64
        var scale: Float = 1 / 127
        var level: UInt8 = 0
        var dead: UInt8 = 0
        var upperOffset: Int64 = -1
        /// Layer-0 links (at most 2m = 4 with m = 2).
        var links: [UInt32] = []
        var axis = 0
    }

    /// An HNSW index of dimension 4 with m = 2 (layer-0 lists of 1 + 4 UInt32, upper lists of 1 + 2).
    static func hnsw(
        nodes: [Node], upper: [UInt32] = [], entry: Int64 = 0, entryLevel: Int32 = 0, m: UInt32 = 2,
        efSearch: UInt32 = 16, count: UInt64? = nil, upperCount: UInt64? = nil
    ) -> [Field] {
        header(kind: IndexFileFormat.kindHNSW, dimension: 4) + [
            .int("m", m), .int("efConstruction", UInt32(8)), .int("efSearch", efSearch), .int("seed", UInt64(42)),
            .int("rng state", UInt64(7)), .int("entry point", entry), .int("entry level", entryLevel),
            .int("node count", count ?? UInt64(nodes.count)),
            .int("upper link count", upperCount ?? UInt64(upper.count)),
            Field(name: "ids", bytes: nodes.flatMap { n in withUnsafeBytes(of: n.id.littleEndian) { Array($0) } }),
            .floats("scales", nodes.map(\.scale)),
            Field(name: "levels", bytes: nodes.map(\.level)),
            Field(name: "dead flags", bytes: nodes.map(\.dead)),
            Field(
                name: "upper offsets",
                bytes: nodes.flatMap { n in withUnsafeBytes(of: n.upperOffset.littleEndian) { Array($0) } }),
            Field(
                name: "codes",
                bytes: nodes.flatMap { n in (0..<32).map { $0 == n.axis ? UInt8(127) : 0 } }),
            Field(
                name: "links",
                bytes: nodes.flatMap { n in
                    ([UInt32(n.links.count)] + n.links + Array(repeating: 0, count: 4 - n.links.count)).flatMap {
                        v in withUnsafeBytes(of: v.littleEndian) { Array($0) }
                    }
                }),
            Field(name: "upper links", bytes: upper.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }),
        ]
    }

    /// A small well-formed graph: three nodes linked to each other, node 0 also on layer 1 (linked to node 2).
    static let threeNodes: [Node] = [
        Node(id: 10, level: 1, upperOffset: 0, links: [1, 2], axis: 0),
        Node(id: 11, links: [0, 2], axis: 1),
        Node(id: 12, level: 1, upperOffset: 3, links: [0, 1], axis: 2),
    ]
    static let threeNodesUpper: [UInt32] = [1, 2, 0, 1, 0, 0]

    /// Writes the fields, then the checksum and end marker, with the writer the indexes use.
    static func write(_ fields: [Field], to url: URL) throws {
        let writer = try IndexFileWriter(url: url)
        for field in fields { try field.bytes.withUnsafeBytes { try writer.write($0) } }
        try writer.finish()
    }
}

@Suite("Index files: truncated, corrupt and hostile files are errors naming the file")
struct IndexFileTests {
    static func truncatedError(_ path: String, _ what: String, _ bytes: Int, at offset: Int, fileSize: Int)
        -> VectorIndexError
    {
        .corrupt(
            path: path, reason: "truncated: \(what) needs \(bytes) bytes at offset \(offset), file has \(fileSize)")
    }

    /// The error a file cut to `length` bytes must give: the first field (in reading order) that does not fit
    /// with the 16-byte trailer, or the size check of the node/vector section.
    static func expectedTruncation(
        _ fields: [IndexFileBuilder.Field], sectionStart: Int, section: (what: String, bytes: Int), path: String,
        length: Int
    ) -> VectorIndexError {
        if length < 24 { return .corrupt(path: path, reason: "file is too short (\(length) bytes)") }
        var offset = 0
        for field in fields {
            if offset == sectionStart { break }
            if offset + field.bytes.count + 16 > length {
                return truncatedError(path, field.name, field.bytes.count, at: offset, fileSize: length)
            }
            offset += field.bytes.count
        }
        return truncatedError(path, section.what, section.bytes, at: sectionStart, fileSize: length)
    }

    @Test("every truncation of a small exact index file is .corrupt naming the field that does not fit")
    func everyTruncationOfAnExactFile() throws {
        let url = TemporaryFiles.url("exact.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        let fields = IndexFileBuilder.exact(ids: [7, 8, 9])
        try IndexFileBuilder.write(fields, to: url)
        let data = try Data(contentsOf: url)
        #expect(data.count == 121)
        #expect(try ExactVectorIndex.load(from: url, expectedModelID: "m").count == 3)
        for length in 0..<data.count {
            try data.prefix(length).write(to: url)
            let expected = Self.expectedTruncation(
                fields, sectionStart: 33, section: ("3 vectors", 72), path: url.path, length: length)
            #expect(throws: expected, "length \(length)") {
                _ = try ExactVectorIndex.load(from: url, expectedModelID: "m")
            }
            #expect(throws: expected, "length \(length)") {
                _ = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m")
            }
        }
    }

    @Test("every truncation of a small HNSW index file is .corrupt naming the field that does not fit")
    func everyTruncationOfAnHNSWFile() throws {
        let url = TemporaryFiles.url("hnsw.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        let fields = IndexFileBuilder.hnsw(nodes: IndexFileBuilder.threeNodes, upper: IndexFileBuilder.threeNodesUpper)
        try IndexFileBuilder.write(fields, to: url)
        let data = try Data(contentsOf: url)
        let loaded = try HNSWVectorIndex.load(from: url, expectedModelID: "m")
        #expect(loaded.count == 3)
        #expect(loaded.search([0, 1, 0, 0], k: 1).map(\.id) == [11])
        // Nodes: id 8 + scale 4 + level 1 + dead 1 + upper offset 8 + codes 32 + links 5 × 4 = 74 bytes each.
        let section = ("3 nodes", 3 * 74 + 6 * 4)
        #expect(data.count == 81 + section.1 + 16)
        for length in 0..<data.count {
            try data.prefix(length).write(to: url)
            let expected = Self.expectedTruncation(
                fields, sectionStart: 81, section: section, path: url.path, length: length)
            #expect(throws: expected, "length \(length)") {
                _ = try HNSWVectorIndex.load(from: url, expectedModelID: "m")
            }
            #expect(throws: expected, "length \(length)") {
                _ = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m")
            }
        }
    }

    @Test("a flipped bit anywhere is an error: bad magic, version, checksum or end marker where they are")
    func everyFlippedBit() throws {
        let url = TemporaryFiles.url("flipped.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try IndexFileBuilder.write(IndexFileBuilder.exact(ids: [7, 8, 9]), to: url)
        let original = try Data(contentsOf: url)
        let path = url.path
        for offset in 0..<original.count {
            for bit in [0, 6] {
                var data = original
                data[offset] ^= UInt8(1 << bit)
                try data.write(to: url)
                let error = #expect(throws: VectorIndexError.self, "byte \(offset) bit \(bit)") {
                    _ = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m")
                }
                let expected: VectorIndexError? =
                    switch offset {
                    case 0..<8: .corrupt(path: path, reason: "not a Paperboy vector index (bad magic)")
                    case 8: .unsupportedVersion(path: path, version: 1 ^ UInt32(1 << bit))
                    case 33..<113: .corrupt(path: path, reason: "checksum mismatch")
                    case 113..<121: .corrupt(path: path, reason: "bad end marker")
                    default: nil  // the other header fields: some error (another kind, dimension, size, model)
                    }
                if let expected { #expect(error == expected, "byte \(offset) bit \(bit)") }
                #expect(error?.description.contains(path) == true)
            }
        }
    }

    @Test("hostile exact files with a valid checksum: huge counts, sizes, dimensions, duplicates, NaN")
    func hostileExactFiles() throws {
        let url = TemporaryFiles.url("hostile-exact.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        let path = url.path
        func corrupt(_ reason: String) -> VectorIndexError { .corrupt(path: path, reason: reason) }
        var nan = (0..<12).map { Float($0 % 4 == $0 / 4 ? 1 : 0) }
        nan[4] = .nan
        var modelIDLength = IndexFileBuilder.exact(ids: [7, 8, 9])
        modelIDLength[4] = .int("model id", UInt32.max)
        let cases: [([IndexFileBuilder.Field], VectorIndexError)] = [
            (IndexFileBuilder.exact(ids: [7, 8, 9], count: .max), corrupt("count 18446744073709551615 is too large")),
            (
                IndexFileBuilder.exact(ids: [7, 8, 9], count: 1 << 62),
                corrupt("vectors: 4611686018427387904 items of 24 bytes is too large")
            ),
            (
                IndexFileBuilder.exact(ids: [7, 8, 9], count: 1_000_000),
                corrupt("truncated: 1000000 vectors needs 24000000 bytes at offset 33, file has 121")
            ),
            (
                IndexFileBuilder.exact(ids: [7, 8, 9], count: 2),
                corrupt("expected the trailer at offset 81 but the file has 121 bytes")
            ),
            (IndexFileBuilder.exact(ids: [7, 8, 9], dimension: 0), corrupt("implausible dimension 0")),
            (IndexFileBuilder.exact(ids: [7, 8, 9], dimension: 65_537), corrupt("implausible dimension 65537")),
            (IndexFileBuilder.exact(ids: [7, 8, 9], dimension: .max), corrupt("implausible dimension 4294967295")),
            (modelIDLength, corrupt("model id length 4294967295 is implausible")),
            (IndexFileBuilder.exact(ids: [7, 8, 7]), corrupt("duplicate id 7")),
            (IndexFileBuilder.exact(ids: [7, 8, 9], vectors: nan), corrupt("vector 8 holds NaN or infinite values")),
        ]
        for (fields, expected) in cases {
            try IndexFileBuilder.write(fields, to: url)
            #expect(throws: expected) { _ = try ExactVectorIndex.load(from: url, expectedModelID: "m") }
            #expect(throws: expected) { _ = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m") }
        }
        var version = IndexFileBuilder.exact(ids: [7])
        version[1] = .int("version", UInt32(2))
        try IndexFileBuilder.write(version, to: url)
        #expect(throws: VectorIndexError.unsupportedVersion(path: path, version: 2)) {
            _ = try ExactVectorIndex.load(from: url, expectedModelID: nil)
        }
        try IndexFileBuilder.write(IndexFileBuilder.exact(ids: [7]), to: url)
        #expect(throws: VectorIndexError.wrongDimension(path: path, expected: 384, found: 4)) {
            _ = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m", expectedDimension: 384)
        }
        #expect(throws: VectorIndexError.wrongKind(path: path, expected: "HNSW", found: "exact")) {
            _ = try HNSWVectorIndex.load(from: url, expectedModelID: "m")
        }
    }

    @Test("hostile HNSW files with a valid checksum: counts, parameters, entry point, links, levels, scales")
    func hostileHNSWFiles() throws {
        let url = TemporaryFiles.url("hostile-hnsw.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        let path = url.path
        func corrupt(_ reason: String) -> VectorIndexError { .corrupt(path: path, reason: reason) }
        let nodes = IndexFileBuilder.threeNodes
        let upper = IndexFileBuilder.threeNodesUpper
        func with(_ change: (inout [IndexFileBuilder.Node]) -> Void) -> [IndexFileBuilder.Node] {
            var copy = nodes
            change(&copy)
            return copy
        }
        let cases: [([IndexFileBuilder.Field], VectorIndexError)] = [
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, count: .max),
                corrupt("node count 18446744073709551615 is too large")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, count: 1 << 40),
                corrupt("node count 1099511627776 is too large")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, upperCount: 1 << 62),
                corrupt("upper links: 4611686018427387904 items of 4 bytes is too large")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, count: 100_000),
                corrupt("truncated: 100000 nodes needs 7400024 bytes at offset 81, file has 343")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, m: 1_000),
                corrupt("implausible parameters m=1000 efConstruction=8 efSearch=16")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, efSearch: 0),
                corrupt("implausible parameters m=2 efConstruction=8 efSearch=0")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, entry: 3),
                corrupt("entry point 3 at level 0 out of range")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, entry: -1),
                corrupt("entry point -1 at level 0 out of range")
            ),
            (
                IndexFileBuilder.hnsw(nodes: [], entry: 0, entryLevel: 0),
                corrupt("entry point 0 at level 0 out of range")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, entry: 1, entryLevel: 1),
                corrupt("entry level 1 is not a level of node 1")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: upper, entryLevel: -3),
                corrupt("entry level -3 is not a level of node 0")
            ),
            (
                IndexFileBuilder.hnsw(nodes: with { $0[1].links = [0, 99] }, upper: upper),
                corrupt("node 1 links to missing node 99")
            ),
            (
                IndexFileBuilder.hnsw(nodes: with { $0[1].level = 40 }, upper: upper),
                corrupt("node 1 has level 40")
            ),
            (
                IndexFileBuilder.hnsw(nodes: with { $0[1].level = 1 }, upper: upper),
                corrupt("node 1 has upper links out of range")
            ),
            (
                IndexFileBuilder.hnsw(nodes: with { $0[2].upperOffset = .max }, upper: upper),
                corrupt("node 2 has upper links out of range")
            ),
            (
                IndexFileBuilder.hnsw(nodes: with { $0[2].upperOffset = 4 }, upper: upper),
                corrupt("node 2 has upper links out of range")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: [3, 2, 1, 1, 0, 0]),
                corrupt("node 0 has 3 links")
            ),
            (
                IndexFileBuilder.hnsw(nodes: nodes, upper: [1, 1, 0, 1, 0, 0]),
                corrupt("node 0 links at layer 1 to node 1, which has none")
            ),
            (
                IndexFileBuilder.hnsw(nodes: with { $0[1].scale = .nan }, upper: upper),
                corrupt("node 1 has a scale that is not finite")
            ),
            (
                IndexFileBuilder.hnsw(nodes: with { $0[1].id = 10 }, upper: upper),
                corrupt("duplicate live id 10")
            ),
        ]
        for (fields, expected) in cases {
            try IndexFileBuilder.write(fields, to: url)
            #expect(throws: expected) { _ = try HNSWVectorIndex.load(from: url, expectedModelID: "m") }
            #expect(throws: expected) { _ = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m") }
        }
        // A dead node may share its id with a live one (a replaced vector); the dead one never appears.
        try IndexFileBuilder.write(
            IndexFileBuilder.hnsw(
                nodes: with {
                    $0[1].id = 10; $0[1].dead = 1
                }, upper: upper), to: url)
        let loaded = try HNSWVectorIndex.load(from: url, expectedModelID: "m")
        #expect(loaded.count == 2)
        #expect(loaded.search([0, 1, 0, 0], k: 3).map(\.id).sorted() == [10, 12])
        // An empty graph.
        try IndexFileBuilder.write(IndexFileBuilder.hnsw(nodes: [], entry: -1, entryLevel: -1), to: url)
        #expect(try HNSWVectorIndex.load(from: url, expectedModelID: "m").search([1, 0, 0, 0], k: 5).isEmpty)
    }

    @Test("the index file beside the database is rebuilt from the stored vectors when it is damaged")
    func openRebuildsDamagedFiles() async throws {
        let database = TemporaryFiles.url("paperboy.sqlite").path
        let file = VectorIndexFile.url(database: database, modelID: "model@1")
        defer { try? FileManager.default.removeItem(at: file) }
        let vectors: [PaperKey: [Float]] = [1: [1, 0, 0, 0], 2: [0, 1, 0, 0], 3: [0, 0, 1, 0]]
        let store = FakeStore(vectors: vectors)
        // A good file is used as it is.
        let first = try await VectorIndexFile.open(
            store: store, modelID: "model@1", dimension: 4, database: database, logger: LogCapture().logger)
        #expect(first.count == 3)
        let good = try Data(contentsOf: file)
        let damages: [(Data, String)] = [
            (good.prefix(good.count - 1), "truncated: 3 vectors needs 72 bytes at offset 39, file has 126"),
            (
                {
                    var d = good; d[60] ^= 1; return d
                }(), "checksum mismatch"
            ),
            (Data(), "file is too short (0 bytes)"),
        ]
        for (bytes, reason) in damages {
            try bytes.write(to: file)
            let capture = LogCapture()
            let index = try await VectorIndexFile.open(
                store: store, modelID: "model@1", dimension: 4, database: database, logger: capture.logger)
            #expect(index.count == 3)
            #expect(index.search([0, 1, 0, 0], k: 1).map(\.id) == [2])
            #expect(
                capture.entries == [
                    LogCapture.Entry(
                        level: .warning, message: "vector index file unreadable; rebuilding it from the stored vectors",
                        metadata: [
                            "index.file": file.path,
                            "error.message": "vector index file \(file.path) is corrupt: \(reason)",
                        ])
                ])
            // The rebuilt file was saved and is whole again.
            #expect(try Data(contentsOf: file) == good)
        }
        // A file of another dimension for the same model id is rebuilt too.
        try ExactVectorIndex(dimension: 8).save(to: file, modelID: "model@1")
        let capture = LogCapture()
        let rebuilt = try await VectorIndexFile.open(
            store: store, modelID: "model@1", dimension: 4, database: database, logger: capture.logger)
        #expect(rebuilt.dimension == 4 && rebuilt.count == 3)
        #expect(
            capture.entries.map(\.metadata["error.message"])
                == ["vector index file \(file.path) holds vectors of 8 dimensions, expected 4"])
    }

    @Test("stored vectors of the wrong dimension or with NaN are left out of the rebuilt index and logged")
    func openLeavesOutDamagedVectors() async throws {
        let database = TemporaryFiles.url("paperboy.sqlite").path
        let file = VectorIndexFile.url(database: database, modelID: "m")
        defer { try? FileManager.default.removeItem(at: file) }
        let store = FakeStore(vectors: [1: [1, 0, 0, 0], 2: [0, 1, 0], 3: [0, .nan, 1, 0], 4: [0, 0, 0, 1]])
        let capture = LogCapture()
        let index = try await VectorIndexFile.open(
            store: store, modelID: "m", dimension: 4, database: database, logger: capture.logger)
        #expect(index.count == 2)
        #expect(index.vector(id: 2) == nil && index.vector(id: 3) == nil)
        #expect(
            capture.entries == [
                LogCapture.Entry(
                    level: .warning, message: "stored vectors that do not fit the model were left out of the index",
                    metadata: [
                        "index.rejected": "2",
                        "error.message":
                            "vector 2 has 3 dimensions, the index holds 4; vector 3 holds NaN or infinite values",
                    ])
            ])
    }
}

@Suite("Vector indexes refuse vectors that do not fit, and any k is safe")
struct IndexInputTests {
    static func indexes(dimension: Int) -> [(String, any VectorIndex)] {
        [
            ("exact", ExactVectorIndex(dimension: dimension)),
            ("hnsw", HNSWVectorIndex(dimension: dimension, efConstruction: 16)),
            ("adaptive", AdaptiveVectorIndex(dimension: dimension, exactThreshold: 2)),
        ]
    }

    @Test func wrongDimensionAndNonFiniteVectorsAreRefusedNotStored() {
        for (name, index) in Self.indexes(dimension: 3) {
            let rejected = index.add([
                (id: 1, vector: [1, 0, 0]), (id: 2, vector: [1, 0]), (id: 3, vector: [.nan, 0, 0]),
                (id: 4, vector: [0, .infinity, 0]), (id: 5, vector: [0, 1, 0]), (id: 6, vector: []),
            ])
            #expect(
                rejected == [
                    .wrongDimension(id: 2, found: 2, expected: 3), .notFinite(id: 3), .notFinite(id: 4),
                    .wrongDimension(id: 6, found: 0, expected: 3),
                ], "\(name)")
            #expect(index.count == 2, "\(name)")
            #expect(index.add(id: 7, vector: [1, 2, 3, 4]) == .wrongDimension(id: 7, found: 4, expected: 3))
            #expect(index.add(id: 8, vector: [0, 0, 1]) == nil)
            // A query that does not fit finds nothing; `check` says why.
            #expect(index.search([1, 0], k: 3).isEmpty, "\(name)")
            #expect(index.search([.nan, 0, 0], k: 3, allowed: { _ in true }).isEmpty, "\(name)")
            #expect(throws: VectorError.wrongDimension(id: nil, found: 2, expected: 3)) { try index.check([1, 0]) }
            #expect(throws: VectorError.notFinite(id: 9)) { try index.check([1, .nan, 0], id: 9) }
            #expect(index.accepts([0, 1, 0]))
        }
        #expect(
            VectorError.wrongDimension(id: 2, found: 2, expected: 3).description
                == "vector 2 has 2 dimensions, the index holds 3")
        #expect(VectorError.notFinite(id: nil).description == "the vector holds NaN or infinite values")
    }

    @Test func anyKIsCappedAtTheNumberOfVectors() {
        for (name, index) in Self.indexes(dimension: 4) {
            index.add([(id: 1, vector: [1, 0, 0, 0]), (id: 2, vector: [0, 1, 0, 0]), (id: 3, vector: [0, 0, 1, 0])])
            for k in [Int.max, Int.max - 1, 5_000_000, 3] {
                #expect(index.search([1, 0, 0, 0], k: k).count == 3, "\(name) k=\(k)")
                #expect(index.search([1, 0, 0, 0], k: k, allowed: { $0 != 2 }).map(\.id) == [1, 3], "\(name) k=\(k)")
            }
            #expect(index.search([1, 0, 0, 0], k: 0).isEmpty)
            #expect(index.search([1, 0, 0, 0], k: .min).isEmpty)
        }
        let hnsw = HNSWVectorIndex(dimension: 4, efSearch: .max)
        hnsw.add(id: 1, vector: [1, 0, 0, 0])
        #expect(hnsw.search([1, 0, 0, 0], k: .max).map(\.id) == [1])
    }

    @Test func parametersAreBroughtIntoRange() {
        #expect(ExactVectorIndex(dimension: 0).dimension == 1)
        #expect(ExactVectorIndex(dimension: .max).dimension == VectorIndexLimits.maxDimension)
        let hnsw = HNSWVectorIndex(dimension: -5, m: 1_000, efConstruction: .min, efSearch: -1)
        #expect(hnsw.dimension == 1 && hnsw.m == 128 && hnsw.efConstruction == 128 && hnsw.efSearch == 1)
        #expect(HNSWVectorIndex(dimension: 8, m: 0).m == 2)
        #expect(AdaptiveVectorIndex(dimension: 0).dimension == 1)
    }
}
