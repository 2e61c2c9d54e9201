import Foundation
import Testing

@testable import PaperboySearch

/// Helpers shared by the vector index tests.
enum IndexFixtures {
    static func clustered(_ count: Int, dimension: Int, centres: Int = 50, stream: UInt64 = 0) -> [[Float]] {
        SyntheticClusteredVectors(dimension: dimension, centres: centres, noise: 0.5, seed: 11)
            .points(0..<count, stream: stream)
    }

    static func items(_ vectors: [[Float]], firstID: Int64 = 0) -> [(id: Int64, vector: [Float])] {
        vectors.enumerated().map { (id: firstID + Int64($0.offset), vector: $0.element) }
    }

    static func bruteForce(_ vectors: [[Float]], _ query: [Float], k: Int) -> [(id: Int64, score: Float)] {
        vectors.enumerated()
            .map { (id: Int64($0.offset), score: zip($0.element, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
            .sorted { $0.score > $1.score }
            .prefix(k)
            .map { $0 }
    }

    static func recall(_ index: any VectorIndex, _ exact: any VectorIndex, _ queries: [[Float]], k: Int) -> Double {
        var total = 0.0
        for query in queries {
            let truth = Set(exact.search(query, k: k).map(\.id))
            total += Double(index.search(query, k: k).filter { truth.contains($0.id) }.count) / Double(k)
        }
        return total / Double(queries.count)
    }

    static func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("paperboy-index-tests-\(UUID().uuidString)-\(name)")
    }
}

@Suite struct IndexExactTests {
    @Test func returnsTrueTopKWithExactScores() {
        let vectors = IndexFixtures.clustered(500, dimension: 40)
        let index = ExactVectorIndex(dimension: 40)
        index.add(IndexFixtures.items(vectors))
        #expect(index.count == 500)
        let query = IndexFixtures.clustered(1, dimension: 40, stream: 9)[0]
        let hits = index.search(query, k: 10)
        let truth = IndexFixtures.bruteForce(vectors, query, k: 10)
        #expect(hits.map(\.id) == truth.map(\.id))
        for (hit, expected) in zip(hits, truth) {
            #expect(abs(hit.score - expected.score) < 1e-5)
        }
    }

    @Test func filteredSearchReturnsOnlyAllowedAndStillK() {
        let vectors = IndexFixtures.clustered(300, dimension: 24)
        let index = ExactVectorIndex(dimension: 24)
        index.add(IndexFixtures.items(vectors))
        let query = vectors[7]
        let hits = index.search(query, k: 5) { $0 % 7 == 3 }
        #expect(hits.count == 5)
        #expect(hits.allSatisfy { $0.id % 7 == 3 })
        let truth = IndexFixtures.bruteForce(vectors, query, k: 300).filter { $0.id % 7 == 3 }.prefix(5)
        #expect(hits.map(\.id) == truth.map(\.id))
        #expect(index.search(query, k: 5) { _ in false }.isEmpty)
    }

    @Test func reAddingReplacesAndVectorRoundTrips() {
        let index = ExactVectorIndex(dimension: 3)
        index.add(id: 1, vector: [1, 0, 0])
        index.add(id: 2, vector: [0, 1, 0])
        index.add(id: 1, vector: [0, 0, 1])
        #expect(index.count == 2)
        #expect(index.vector(id: 1) == [0, 0, 1])
        #expect(index.vector(id: 3) == nil)
        #expect(index.search([0, 0, 1], k: 1).first == VectorHit(id: 1, score: 1))
        #expect(ExactVectorIndex(dimension: 3).search([1, 0, 0], k: 3).isEmpty)
    }

    @Test func saveLoadRoundTrip() throws {
        let vectors = IndexFixtures.clustered(200, dimension: 16)
        let index = ExactVectorIndex(dimension: 16)
        index.add(IndexFixtures.items(vectors, firstID: 1_000))
        let url = IndexFixtures.temporaryURL("exact.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try index.save(to: url, modelID: "m1")
        let loaded = try ExactVectorIndex.load(from: url, expectedModelID: "m1")
        #expect(loaded.count == 200)
        for query in vectors.prefix(5) {
            #expect(loaded.search(query, k: 7) == index.search(query, k: 7))
        }
    }
}

@Suite struct IndexHNSWTests {
    @Test func recallAtTenOnClusteredVectors() {
        let dimension = 64
        let vectors = IndexFixtures.clustered(5_000, dimension: dimension)
        let queries = IndexFixtures.clustered(100, dimension: dimension, stream: 5)
        let exact = ExactVectorIndex(dimension: dimension)
        exact.add(IndexFixtures.items(vectors))
        let hnsw = HNSWVectorIndex(dimension: dimension, m: 16, efConstruction: 100, efSearch: 64)
        hnsw.add(IndexFixtures.items(vectors))
        #expect(hnsw.count == 5_000)
        let recall = IndexFixtures.recall(hnsw, exact, queries, k: 10)
        #expect(recall >= 0.95, "recall@10 \(recall)")
    }

    @Test func recallAtDimension384() {
        let vectors = IndexFixtures.clustered(1_500, dimension: 384)
        let queries = IndexFixtures.clustered(30, dimension: 384, stream: 5)
        let exact = ExactVectorIndex(dimension: 384)
        exact.add(IndexFixtures.items(vectors))
        let hnsw = HNSWVectorIndex(dimension: 384, efConstruction: 64)
        for chunk in stride(from: 0, to: vectors.count, by: 500) {  // several batches, like a live collection
            hnsw.add(IndexFixtures.items(Array(vectors[chunk..<chunk + 500]), firstID: Int64(chunk)))
        }
        let recall = IndexFixtures.recall(hnsw, exact, queries, k: 10)
        #expect(recall >= 0.95, "recall@10 \(recall)")
        // Scores are cosine similarities close to the exact ones (int8 codes, fp32 query).
        let hit = hnsw.search(vectors[3], k: 1)[0]
        #expect(hit.id == 3)
        #expect(abs(hit.score - 1) < 0.01)
        let approx = try! #require(hnsw.vector(id: 3))
        #expect(zip(approx, vectors[3]).allSatisfy { abs($0 - $1) < 0.01 })
    }

    @Test func filteredSearchReturnsKAllowed() {
        let dimension = 32
        let vectors = IndexFixtures.clustered(3_000, dimension: dimension)
        let hnsw = HNSWVectorIndex(dimension: dimension, efConstruction: 64)
        hnsw.add(IndexFixtures.items(vectors))
        let exact = ExactVectorIndex(dimension: dimension)
        exact.add(IndexFixtures.items(vectors))
        for modulus: Int64 in [2, 10, 500] {  // broad, medium, very selective (6 allowed)
            let allowed: (Int64) -> Bool = { $0 % modulus == 1 }
            for query in vectors.prefix(5) {
                let hits = hnsw.search(query, k: 10, allowed: allowed)
                let expected = exact.search(query, k: 10, allowed: allowed)
                #expect(hits.count == expected.count)
                #expect(hits.allSatisfy { allowed($0.id) })
                let overlap = Set(hits.map(\.id)).intersection(expected.map(\.id)).count
                #expect(overlap >= expected.count - 1, "modulus \(modulus): overlap \(overlap)")
            }
        }
    }

    @Test func reAddingAnIDReplacesItsVector() {
        let dimension = 16
        let vectors = IndexFixtures.clustered(600, dimension: dimension)
        let hnsw = HNSWVectorIndex(dimension: dimension, efConstruction: 40)
        hnsw.add(IndexFixtures.items(vectors))
        hnsw.add(id: 5, vector: vectors[400])
        #expect(hnsw.count == 600)
        #expect(hnsw.nodeCount == 601)
        let hits = hnsw.search(vectors[400], k: 2)
        #expect(Set(hits.map(\.id)) == [5, 400])
        #expect(!hnsw.search(vectors[5], k: 10).contains { $0.id == 5 && $0.score > 0.999 })
    }

    @Test func emptyAndTinyIndexes() {
        let hnsw = HNSWVectorIndex(dimension: 8)
        #expect(hnsw.search([1, 0, 0, 0, 0, 0, 0, 0], k: 5).isEmpty)
        hnsw.add(id: 9, vector: [1, 0, 0, 0, 0, 0, 0, 0])
        hnsw.add(id: 10, vector: [0, 1, 0, 0, 0, 0, 0, 0])
        #expect(hnsw.search([1, 0, 0, 0, 0, 0, 0, 0], k: 5).map(\.id) == [9, 10])
    }
}

@Suite struct IndexPersistenceTests {
    @Test func saveLoadGivesIdenticalResultsAndKeepsAdding() throws {
        let dimension = 48
        let vectors = IndexFixtures.clustered(2_000, dimension: dimension)
        let hnsw = HNSWVectorIndex(dimension: dimension, efConstruction: 64, efSearch: 50)
        hnsw.add(IndexFixtures.items(Array(vectors.prefix(1_800))))
        hnsw.add(id: 3, vector: vectors[1_900])  // a dead node must survive the round trip
        let url = IndexFixtures.temporaryURL("hnsw.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try hnsw.save(to: url, modelID: "minilm-l6-v2")
        let loaded = try HNSWVectorIndex.load(from: url, expectedModelID: "minilm-l6-v2")
        #expect(loaded.count == hnsw.count)
        #expect(loaded.efSearch == 50)
        #expect(loaded.m == 16)
        for query in IndexFixtures.clustered(20, dimension: dimension, stream: 3) {
            #expect(loaded.search(query, k: 10) == hnsw.search(query, k: 10))
        }
        // Incremental adds keep working after a load.
        loaded.add(IndexFixtures.items(Array(vectors[1_800...]), firstID: 1_800))
        #expect(loaded.count == 2_000)
        #expect(loaded.search(vectors[1_950], k: 1).first?.id == 1_950)
        #expect(try HNSWVectorIndex.load(from: url, expectedModelID: nil).count == 1_800)
    }

    @Test func truncatedFileIsAClearErrorNamingTheFile() throws {
        let hnsw = HNSWVectorIndex(dimension: 16, efConstruction: 32)
        hnsw.add(IndexFixtures.items(IndexFixtures.clustered(300, dimension: 16)))
        let url = IndexFixtures.temporaryURL("truncated.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try hnsw.save(to: url, modelID: "m")
        let data = try Data(contentsOf: url)
        for length in [0, 10, 60, data.count / 2, data.count - 1] {
            try data.prefix(length).write(to: url)
            let error = #expect(throws: VectorIndexError.self) {
                _ = try HNSWVectorIndex.load(from: url, expectedModelID: "m")
            }
            #expect(error?.description.contains(url.path) == true)
            guard case .corrupt = error else {
                Issue.record("expected .corrupt for length \(length), got \(String(describing: error))")
                continue
            }
        }
    }

    @Test func flippedByteFailsTheChecksum() throws {
        let hnsw = HNSWVectorIndex(dimension: 16, efConstruction: 32)
        hnsw.add(IndexFixtures.items(IndexFixtures.clustered(300, dimension: 16)))
        let url = IndexFixtures.temporaryURL("flipped.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try hnsw.save(to: url, modelID: "m")
        var data = try Data(contentsOf: url)
        data[data.count / 2] ^= 0x40
        try data.write(to: url)
        #expect(throws: VectorIndexError.corrupt(path: url.path, reason: "checksum mismatch")) {
            _ = try HNSWVectorIndex.load(from: url, expectedModelID: "m")
        }
    }

    @Test func mismatchedModelAndMissingFileAreErrors() throws {
        let hnsw = HNSWVectorIndex(dimension: 8)
        hnsw.add(id: 1, vector: [1, 0, 0, 0, 0, 0, 0, 0])
        let url = IndexFixtures.temporaryURL("model.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try hnsw.save(to: url, modelID: "model-a")
        #expect(throws: VectorIndexError.modelMismatch(path: url.path, expected: "model-b", found: "model-a")) {
            _ = try HNSWVectorIndex.load(from: url, expectedModelID: "model-b")
        }
        #expect(throws: VectorIndexError.self) {
            _ = try ExactVectorIndex.load(from: url, expectedModelID: "model-a")
        }
        let missing = IndexFixtures.temporaryURL("missing.idx")
        let error = #expect(throws: VectorIndexError.self) {
            _ = try HNSWVectorIndex.load(from: missing, expectedModelID: nil)
        }
        #expect(error?.description.contains(missing.path) == true)
    }
}

@Suite struct IndexAdaptiveTests {
    @Test func switchesToHNSWPastTheThresholdAndKeepsTopOne() throws {
        let dimension = 32
        let vectors = IndexFixtures.clustered(1_200, dimension: dimension)
        let index = AdaptiveVectorIndex(dimension: dimension, exactThreshold: 500, efConstruction: 64)
        index.add(IndexFixtures.items(Array(vectors.prefix(400))))
        #expect(!index.isApproximate)
        #expect(index.search(vectors[17], k: 1).first?.id == 17)
        for i in 400..<1_200 { index.add(id: Int64(i), vector: vectors[i]) }
        #expect(index.isApproximate)
        #expect(index.count == 1_200)
        for id in [17, 450, 1_199] {
            #expect(index.search(vectors[id], k: 1).first?.id == Int64(id))
        }
        let url = IndexFixtures.temporaryURL("adaptive.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try index.save(to: url, modelID: "m")
        let loaded = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m", exactThreshold: 500)
        #expect(loaded.isApproximate)
        #expect(loaded.search(vectors[450], k: 5) == index.search(vectors[450], k: 5))
    }

    @Test func smallAdaptiveIndexSavesExact() throws {
        let index = AdaptiveVectorIndex(dimension: 4)
        index.add(id: 1, vector: [1, 0, 0, 0])
        let url = IndexFixtures.temporaryURL("small.idx")
        defer { try? FileManager.default.removeItem(at: url) }
        try index.save(to: url, modelID: "m")
        let loaded = try AdaptiveVectorIndex.load(from: url, expectedModelID: "m")
        #expect(!loaded.isApproximate)
        #expect(loaded.vector(id: 1) == [1, 0, 0, 0])
    }
}

@Suite struct IndexConcurrencyTests {
    @Test(arguments: ["exact", "hnsw", "adaptive"])
    func concurrentAddsAndSearches(kind: String) async {
        let dimension = 24
        let vectors = IndexFixtures.clustered(2_000, dimension: dimension)
        let index: any VectorIndex =
            switch kind {
            case "exact": ExactVectorIndex(dimension: dimension)
            case "hnsw": HNSWVectorIndex(dimension: dimension, efConstruction: 32)
            default: AdaptiveVectorIndex(dimension: dimension, exactThreshold: 700, efConstruction: 32)
            }
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for start in stride(from: writer * 500, to: (writer + 1) * 500, by: 50) {
                        if start % 100 == 0 {
                            index.add(IndexFixtures.items(Array(vectors[start..<start + 50]), firstID: Int64(start)))
                        } else {
                            for i in start..<start + 50 { index.add(id: Int64(i), vector: vectors[i]) }
                        }
                    }
                }
            }
            for reader in 0..<4 {
                group.addTask {
                    for i in 0..<150 {
                        let hits = index.search(vectors[(reader * 150 + i) % 2_000], k: 5)
                        #expect(hits.count <= 5)
                        _ = index.search(vectors[i], k: 3) { $0 % 2 == 0 }
                    }
                }
            }
        }
        #expect(index.count == 2_000)
        #expect(index.search(vectors[1_234], k: 1).first?.id == 1_234)
    }
}
