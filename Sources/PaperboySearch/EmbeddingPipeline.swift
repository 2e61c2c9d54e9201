import Foundation
import Logging
import PaperboyCore
import ServiceLifecycle

/// Embeds every paper that has no vector for the current model (or whose text changed), stores the vectors with the
/// paper's key sentence and keywords (``KeyPhraseExtractor``, from the same forward pass) and adds them to the index;
/// then gives key phrases to embedded papers that have none (embedded before key phrases existed, or whose abstract
/// changed). Resumable by construction: what is stored is never redone.
public struct EmbeddingPipeline: Sendable {
    public let store: any EmbeddingStore & PaperProfileStore
    public let engine: SemanticEngine
    public let logger: Logger
    public var batchSize = 64
    public var scanSize = 4_096

    public init(store: any EmbeddingStore & PaperProfileStore, engine: SemanticEngine, logger: Logger) {
        self.store = store
        self.engine = engine
        self.logger = logger
    }

    /// Runs until every paper has a current vector (or the task is cancelled). `progress` gets the number of
    /// papers embedded so far. Returns how many were embedded.
    @discardableResult
    public func run(progress: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        var after: PaperKey = 0
        var done = 0
        let dimension = engine.embedder.info.dimension
        while true {
            try Task.checkCancellation()
            let page = try await store.papersNeedingEmbedding(model: engine.modelID, after: after, scan: scanSize)
            for start in stride(from: 0, to: page.jobs.count, by: batchSize) {
                try Task.checkCancellation()
                let jobs = Array(page.jobs[start..<min(page.jobs.count, start + batchSize)])
                let embedded = try await embedWithKeyPhrases(jobs)
                let items = zip(jobs, embedded).map {
                    StoredEmbedding(key: $0.key, textHash: $0.textHash, vector: $1.embedding)
                }
                try await store.saveEmbeddings(model: engine.modelID, dimension: dimension, items)
                // After the vectors: storing the summaries is a change of each paper, which tells the other nodes'
                // indexes to load the vectors (VectorIndexFollower).
                try await store.saveSummaries(
                    zip(jobs, embedded).map {
                        PaperSummary(key: $0.key, sentence: $1.phrases.summary, keywords: $1.phrases.keywords)
                    })
                let rejected = engine.index.add(items.map { (id: $0.key, vector: $0.vector) })
                VectorIndexFile.logRejected(rejected, logger: logger)
                done += items.count
                progress?(done)
            }
            // A store that does not move forward would loop for ever.
            guard let last = page.last, last > after else { break }
            after = last
        }
        try await addMissingKeyPhrases()
        return done
    }

    /// The jobs' vectors and key phrases: in one forward pass with the sentence model, else (another embedder) from
    /// the vectors.
    func embedWithKeyPhrases(_ jobs: [EmbeddingJob]) async throws -> [(embedding: [Float], phrases: KeyPhrases)] {
        if let model = engine.embedder as? SentenceEmbedder {
            return try await KeyPhraseExtractor.embedWithKeyPhrases(
                jobs.map { ($0.title, $0.abstract) }, embedder: model
            )
            .map { ($0.embedding, $0.keyPhrases) }
        }
        let vectors = try await engine.embedder.embed(jobs.map(\.text))
        let phrases = try await KeyPhraseExtractor.keyPhrases(
            for: zip(jobs, vectors).map { .init(title: $0.title, abstract: $0.abstract, embedding: $1) },
            embedder: engine.embedder)
        return Array(zip(vectors, phrases))
    }

    /// Key phrases for embedded papers that have none, from their stored vectors. Returns how many were given some.
    @discardableResult
    public func addMissingKeyPhrases() async throws -> Int {
        var after: PaperKey = 0
        var done = 0
        while true {
            try Task.checkCancellation()
            let page = try await store.papersWithoutKeywords(after: after, scan: scanSize)
            for start in stride(from: 0, to: page.papers.count, by: batchSize) {
                try Task.checkCancellation()
                var batch: [(key: PaperKey, paper: KeyPhraseExtractor.Paper)] = []
                for (key, paper) in page.papers[start..<min(page.papers.count, start + batchSize)] {
                    // Papers not embedded yet get theirs with their embedding.
                    guard let vector = try await store.embedding(model: engine.modelID, key: key) else { continue }
                    batch.append(
                        (key, KeyPhraseExtractor.Paper(title: paper.title, abstract: paper.abstract, embedding: vector))
                    )
                }
                guard !batch.isEmpty else { continue }
                let phrases = try await KeyPhraseExtractor.keyPhrases(
                    for: batch.map(\.paper), embedder: engine.embedder)
                try await store.saveSummaries(
                    zip(batch, phrases).map {
                        PaperSummary(key: $0.key, sentence: $1.summary, keywords: $1.keywords)
                    })
                done += phrases.filter { !$0.keywords.isEmpty }.count
            }
            guard let last = page.last, last > after else { break }
            after = last
        }
        if done > 0 { logger.info("key phrases added", metadata: ["keyphrases.papers": .stringConvertible(done)]) }
        return done
    }
}

/// Where a model's vector index is kept: beside the database, named after the model.
public enum VectorIndexFile {
    public static func url(database: String, modelID: String) -> URL {
        let safe = String(modelID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        return URL(fileURLWithPath: database + "." + safe + ".vectors")
    }

    /// Opens the persisted index when it holds exactly the stored vectors of the model, and otherwise builds it
    /// from the store (and saves it), so a start-up reads one file instead of rebuilding.
    ///
    /// A file that is unreadable, truncated, corrupt, or of another model or dimension is rebuilt from the stored
    /// vectors (logged, never fatal); stored vectors that do not fit (another dimension, NaN) are left out and
    /// logged. Failing to save the rebuilt index is logged too: the index in memory is complete. Throws only
    /// what the store throws.
    public static func open(
        store: some EmbeddingStore, modelID: String, dimension: Int, database: String, logger: Logger
    ) async throws -> AdaptiveVectorIndex {
        let file = url(database: database, modelID: modelID)
        let stored = try await store.embeddingCount(model: modelID)
        if FileManager.default.fileExists(atPath: file.path) {
            do {
                let index = try AdaptiveVectorIndex.load(
                    from: file, expectedModelID: modelID, expectedDimension: dimension)
                if index.count == stored { return index }
                logger.notice(
                    "vector index file is behind the database; rebuilding",
                    metadata: [
                        "index.file": "\(file.path)", "index.count": "\(index.count)", "db.vectors": "\(stored)",
                    ])
            } catch {
                logger.warning(
                    "vector index file unreadable; rebuilding it from the stored vectors",
                    metadata: ["index.file": "\(file.path)", "error.message": "\(error)"])
            }
        }
        let index = AdaptiveVectorIndex(dimension: dimension)
        var after: PaperKey = 0
        var rejected: [VectorError] = []
        while true {
            let page = try await store.embeddings(model: modelID, after: after, limit: 10_000)
            // A store that does not move forward would loop for ever.
            guard let last = page.last, last.key > after else { break }
            rejected += index.add(page.map { (id: $0.key, vector: $0.vector) })
            after = last.key
        }
        logRejected(rejected, logger: logger)
        if index.count > 0 {
            do {
                try index.save(to: file, modelID: modelID)
            } catch {
                logger.warning(
                    "saving the rebuilt vector index failed; it will be rebuilt at the next start",
                    metadata: ["index.file": "\(file.path)", "error.message": "\(error)"])
            }
        }
        return index
    }

    /// Logs vectors an index refused (at most the first five by id), if any.
    static func logRejected(_ rejected: [VectorError], logger: Logger) {
        guard !rejected.isEmpty else { return }
        logger.warning(
            "stored vectors that do not fit the model were left out of the index",
            metadata: [
                "index.rejected": "\(rejected.count)",
                "error.message": "\(rejected.prefix(5).map(\.description).joined(separator: "; "))",
            ])
    }
}

/// Keeps vectors current while the server runs: embeds newly ingested or harvested papers every `interval`, and
/// with a `follower` loads every `followEvery` the vectors other processes stored. Saves the index file after changes
/// (at most every ten minutes) and at shutdown.
///
/// With a `lease` (several nodes on one database), only the node holding the embedding lease embeds (renewing it
/// meanwhile; a run whose lease is lost is cancelled, and the next holder resumes where the store stands); every node
/// follows, so that each node's index holds the vectors whichever node computed them.
public struct EmbeddingService: Service {
    public let pipeline: EmbeddingPipeline
    public let indexFile: URL
    public let interval: Duration
    public let lease: JobLeaseKeeper?
    public let follower: VectorIndexFollower?
    public let followEvery: Duration

    public init(
        pipeline: EmbeddingPipeline, indexFile: URL, interval: Duration = .seconds(30), lease: JobLeaseKeeper? = nil,
        follower: VectorIndexFollower? = nil, followEvery: Duration = .seconds(1)
    ) {
        self.pipeline = pipeline
        self.indexFile = indexFile
        self.interval = interval
        self.lease = lease
        self.follower = follower
        self.followEvery = followEvery
    }

    /// When the service does what next.
    struct Schedule {
        var embed = ContinuousClock.now
        var renew = ContinuousClock.now
        /// Whether this node may embed (it holds the lease, or there is none).
        var held: Bool
        var unsaved = false
    }

    public func run() async throws {
        let engine = pipeline.engine
        let logger = pipeline.logger
        let indexFile = self.indexFile
        // The index file is rewritten at most every `saveEvery` (at 1M vectors it is about 540 MB), and at shutdown
        // when vectors were added since the last save.
        let saveEvery = Duration.seconds(600)
        @Sendable func save() -> Bool {
            do {
                try engine.index.save(to: indexFile, modelID: engine.modelID)
                return true
            } catch {
                logger.error(
                    "saving the vector index failed",
                    metadata: ["error.message": "\(error)", "index.file": "\(indexFile.path)"])
                return false
            }
        }
        let unsaved = await cancelWhenGracefulShutdown { () async -> Bool in
            var lastSave = ContinuousClock.now
            var schedule = Schedule(held: lease == nil)
            while !Task.isCancelled {
                await tick(&schedule)
                if schedule.unsaved, ContinuousClock.now - lastSave >= saveEvery, save() {
                    schedule.unsaved = false
                    lastSave = ContinuousClock.now
                }
                try? await Task.sleep(for: wait(schedule))
            }
            return schedule.unsaved
        }
        await lease?.release()
        if unsaved { _ = save() }
    }

    /// One turn: renews the lease when due, embeds when due and allowed, then follows the other processes' vectors.
    func tick(_ schedule: inout Schedule) async {
        let logger = pipeline.logger
        let pipeline = self.pipeline
        if let lease, ContinuousClock.now >= schedule.renew {
            let held = await lease.refresh { error in
                logger.warning("taking the embedding lease failed", metadata: ["error.message": "\(error)"])
            }
            if held != schedule.held {
                logger.info(
                    held ? "this node holds the embedding lease" : "another node holds the embedding lease",
                    metadata: ["lease.holder": "\(lease.holder)"])
            }
            schedule.held = held
            schedule.renew = ContinuousClock.now + lease.renewEvery
        }
        if schedule.held, ContinuousClock.now >= schedule.embed {
            do {
                let embedded: Int
                if let lease {
                    embedded = try await lease.whileHeld(
                        failed: { error in
                            logger.warning(
                                "renewing the embedding lease failed", metadata: ["error.message": "\(error)"])
                        }, { try await pipeline.run() })
                } else {
                    embedded = try await pipeline.run()
                }
                if embedded > 0 {
                    logger.info("embedded new papers", metadata: ["embed.count": "\(embedded)"])
                    schedule.unsaved = true
                }
            } catch let lost as JobLeaseKeeper.Lost {
                logger.warning("embedding stopped: \(lost)")
                schedule.held = false
            } catch is CancellationError {
                return
            } catch {
                logger.error("embedding failed", metadata: ["error.message": "\(error)"])
            }
            schedule.embed = ContinuousClock.now + interval
        }
        if let follower {
            do {
                if try await follower.catchUp() > 0 { schedule.unsaved = true }
            } catch {
                logger.error("loading the vectors of other nodes failed", metadata: ["error.message": "\(error)"])
            }
        }
    }

    /// How long to wait for the next turn.
    func wait(_ schedule: Schedule) -> Duration {
        let now = ContinuousClock.now
        var next = schedule.held ? schedule.embed : now + interval
        if lease != nil { next = min(next, schedule.renew) }
        if follower != nil { next = min(next, now + followEvery) }
        return max(.zero, next - now)
    }
}
