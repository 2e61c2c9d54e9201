import ArgumentParser
import Foundation
import Logging
import PaperboyCore
import PaperboySearch

/// `--model DIR`: where the sentence-embedding model is installed.
struct ModelOptions: ParsableArguments {
    @Option(
        help:
            "Folder of the embedding model (PAPERBOY_MODEL; default models/all-MiniLM-L6-v2; install it with scripts/install-model.sh)."
    )
    var model: String?

    static let defaultDirectory = "models/all-MiniLM-L6-v2"

    var directory: String { Settings.string("model", model, default: Self.defaultDirectory) }

    /// Loads the model and its vector index (read from its file beside the database, or rebuilt from the store), and
    /// says which BLAS runs the model.
    func loadEngine(store: any EmbeddingStore, database: String, logger: Logger) async throws
        -> (engine: SemanticEngine, blas: String)
    {
        let embedder = try SentenceEmbedder.load(directory: URL(fileURLWithPath: directory), logger: logger)
        let modelID = SemanticEngine.modelID(embedder.info)
        let index = try await VectorIndexFile.open(
            store: store, modelID: modelID, dimension: embedder.info.dimension, database: database, logger: logger)
        logger.notice(
            "semantic search on",
            metadata: [
                "model.id": "\(modelID)", "model.blas": "\(embedder.blasDescription)", "index.count": "\(index.count)",
            ])
        return (SemanticEngine(embedder: embedder, index: index), embedder.blasDescription)
    }

    /// Loads the model and its vector index, or says why semantic search is off.
    func engine(store: any EmbeddingStore, database: String, logger: Logger) async -> (SemanticEngine?, String) {
        let directory = URL(fileURLWithPath: self.directory)
        do {
            return (try await loadEngine(store: store, database: database, logger: logger).engine, "")
        } catch {
            // The log has the details (paths, the error); visitors see why in words that reveal nothing.
            logger.warning("semantic search off", metadata: ["error.message": "\(error)"])
            let installed = FileManager.default.fileExists(
                atPath: directory.appendingPathComponent("model.safetensors").path)
            return (
                nil,
                installed
                    ? "the embedding model could not be loaded (the server log says why)"
                    : "no embedding model is installed"
            )
        }
    }
}

struct Embed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute embeddings for every paper without a current one (resumable, incremental).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var model: ModelOptions

    func run() async throws {
        try await Paperboy.guarded {
            let logger = try common.logger("paperboy.embed")
            let store = try await common.openStore(logger: logger)
            let (engine, blas): (SemanticEngine, String)
            do {
                (engine, blas) = try await model.loadEngine(
                    store: store, database: common.vectorIndexBase, logger: logger)
            } catch {
                Paperboy.printError("\(error)")
                throw error is EmbeddingModelError ? Exit.dataError : Exit.ioError
            }
            let modelID = engine.modelID
            let index = engine.index
            let papers = try await store.stats().papers
            let todo = max(0, papers - (try await store.embeddingCount(model: modelID)))
            print("model \(modelID) (\(blas)); about \(todo) of \(papers) papers to embed")
            let meter = EmbedMeter(total: todo, enabled: isatty(STDERR_FILENO) == 1)
            let start = ContinuousClock.now
            let done = try await EmbeddingPipeline(store: store, engine: engine, logger: logger).run {
                meter.update($0)
            }
            meter.finish()
            if done > 0 {
                try index.save(
                    to: VectorIndexFile.url(database: common.vectorIndexBase, modelID: modelID), modelID: modelID)
            }
            let seconds = max(0.001, (ContinuousClock.now - start).seconds)
            print(
                "embedded \(done) papers in \(String(format: "%.1f", seconds)) s (\(Ingest.whole(Double(done) / seconds))/s); "
                    + "\(index.count) vectors in the index")
        }
    }
}

/// Embedding progress on a terminal: count, rate, time left.
final class EmbedMeter: Sendable {
    let total: Int
    let meter: ProgressMeter

    init(total: Int, enabled: Bool) {
        self.total = total
        meter = ProgressMeter(enabled: enabled)
    }

    func update(_ done: Int) {
        meter.line(done: done, total: total, unit: "papers")
    }

    func finish() { meter.finish() }
}

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure search quality: MRR@10, Recall@10 and nDCG@10 per mode over [query, [arXiv ids]] pairs.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "JSON list of [query, [relevant arXiv ids]] (PAPERBOY_QUERIES).")
    var queries: String?

    @Option(help: "hybrid, keyword, semantic or all (PAPERBOY_MODE; default all).")
    var mode: String?

    func run() async throws {
        try await Paperboy.guarded {
            guard let file = Settings.string("queries", queries) else {
                Paperboy.printError("eval needs --queries FILE")
                throw Exit.usage
            }
            let modes: [SearchMode] = try Settings.parsed(
                "mode", mode, default: SearchMode.allCases, expected: "hybrid, keyword, semantic or all"
            ) { $0 == "all" ? SearchMode.allCases : SearchMode(rawValue: $0).map { [$0] } }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                Paperboy.printError("cannot read \(file): \(error.localizedDescription)")
                throw Exit.ioError
            }
            let set: EvaluationSet
            do { set = try EvaluationSet(json: data, file: file) } catch {
                Paperboy.printError("\(error)")
                throw Exit.dataError
            }
            let logger = try common.logger("paperboy.eval")
            let store = try await common.openStore(logger: logger)
            let (engine, reason) = await model.engine(store: store, database: common.vectorIndexBase, logger: logger)
            if engine == nil, modes.contains(where: { $0 != .keyword }) {
                Paperboy.printError("semantic search is off: \(reason)")
                throw Exit.ioError
            }
            let keyword = try await KeywordIndexOpening.open(
                directory: common.indexDirectory, store: store, logger: logger, mustWrite: false)
            let searcher = HybridSearcher(
                keyword: keyword.index, papers: store, embeddings: store, engine: engine, offReason: reason)
            print("\(set.items.count) queries from \(file)")
            print("mode        MRR@10  Recall@10  nDCG@10")
            for mode in modes {
                var scores: [RetrievalScores] = []
                for item in set.items {
                    let outcome = try await searcher.search(
                        SearchQuery(parsing: item.query), mode: mode, offset: 0, limit: 10)
                    scores.append(
                        RetrievalScores.score(ranked: outcome.page.items.map(\.paper.paper.id), relevant: item.relevant)
                    )
                }
                let mean = RetrievalScores.mean(scores)
                print(
                    mode.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + String(format: "  %.3f   %.3f      %.3f", mean.mrr, mean.recall, mean.ndcg))
            }
        }
    }
}
