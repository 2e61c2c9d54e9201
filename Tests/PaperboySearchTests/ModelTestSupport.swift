import Foundation
import Logging
import Testing

@testable import PaperboySearch

/// Paths and shared state of the embedding model tests.
enum ModelTestSupport {
    /// repoRoot, from this file's path (Tests/PaperboySearchTests/…).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `PAPERBOY_MODEL` or repoRoot/models/all-MiniLM-L6-v2.
    static let modelDirectory: URL = {
        if let path = ProcessInfo.processInfo.environment["PAPERBOY_MODEL"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repositoryRoot.appendingPathComponent("models/all-MiniLM-L6-v2")
    }()

    static let referenceFile = repositoryRoot.appendingPathComponent("Tests/Fixtures/all-MiniLM-L6-v2-reference.json")

    struct Reference: Decodable, Sendable {
        let text: String
        let tokens: [String]
        let ids: [Int32]
        let embedding_meanpool_raw: [Float]
        let embedding_normalized: [Float]
    }

    static let missingModelMessage =
        "the embedding model is not installed in \(modelDirectory.path): run scripts/install-model.sh "
        + "(or set PAPERBOY_MODEL to its directory)"

    /// The model, loaded once for all tests; fails (never skips) when it is not installed.
    static func embedder() throws -> SentenceEmbedder {
        switch sharedEmbedder {
        case .success(let embedder): return embedder
        case .failure(let error):
            Issue.record("\(missingModelMessage): \(error)")
            throw error
        }
    }

    private static let sharedEmbedder: Result<SentenceEmbedder, any Error> = Result {
        var logger = Logger(label: "paperboy.tests.model")
        logger.logLevel = .warning
        return try SentenceEmbedder.load(directory: modelDirectory, logger: logger)
    }

    static func references() throws -> [Reference] {
        guard FileManager.default.fileExists(atPath: referenceFile.path) else {
            Issue.record("reference outputs missing: \(referenceFile.path)")
            throw EmbeddingModelError.missingFile(path: referenceFile.path)
        }
        return try JSONDecoder().decode([Reference].self, from: Data(contentsOf: referenceFile))
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("paperboy-model-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
