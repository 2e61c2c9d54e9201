// Benchmarks for the measured paths: ingest (parse, rows, index), listings and keyword search.
// Build with `swift build -c release --product paperboy-bench`; BENCHMARKS.md records commands and figures.
import Foundation
import Logging
import PaperboyCore
import PaperboyIngest
import PaperboyPostgres
import PaperboySQLite
import PaperboySearch

/// The store a benchmark runs on: an SQLite file, or a PostgreSQL database named by a postgres:// URL (its password,
/// if any, from PGPASSWORD).
func openStore(_ location: String, logger: Logger = Logger(label: "bench")) throws -> any PaperboyStore {
    guard PostgresSettings.isURL(location) else { return try SQLiteStore(path: location, logger: logger) }
    let settings = try PostgresSettings.parse(location, environment: ProcessInfo.processInfo.environment)
    return PostgresStore(settings: settings, logger: logger)
}

/// Where a store's keyword index lives: beside an SQLite file, or in Benchmarks/data for PostgreSQL.
func indexPath(_ location: String) -> String {
    guard PostgresSettings.isURL(location), let settings = try? PostgresSettings.parse(location) else {
        return location + ".index"
    }
    return "Benchmarks/data/postgres-\(settings.database).index"
}

func seconds(_ d: Duration) -> Double { d.seconds }

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func ms(_ v: Double) -> String { String(format: "%.2f ms", v * 1000) }

/// Parses a snapshot file without storing anything: the parse part of ingest.
func parseOnly(_ path: String) throws -> (records: Int, elapsed: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    guard let file = fopen(path, "r") else { throw POSIXError(.ENOENT) }
    defer { fclose(file) }
    var records = 0
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    while true {
        let n = getline(&line, &capacity, file)
        if n <= 0 { break }
        let length = line![n - 1] == 10 ? n - 1 : n
        let result = line!.withMemoryRebound(to: UInt8.self, capacity: n) {
            SnapshotParser.parse(line: UnsafeBufferPointer(start: $0, count: length))
        }
        if case .paper = result { records += 1 }
    }
    free(line)
    return (records, clock.now - start)
}

func ingest(corpus: String, database: String) async throws {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let parsed = try parseOnly(corpus)
    print(
        "parse only: \(parsed.records) records in \(String(format: "%.2f", seconds(parsed.elapsed))) s = "
            + "\(Int(Double(parsed.records) / seconds(parsed.elapsed))) records/s")
    let store = try openStore(database, logger: logger)
    try await store.migrate()
    let before = try await store.stats().papers
    let clock = ContinuousClock()
    let start = clock.now
    let follower = try await KeywordIndexFollower.start(
        directory: URL(fileURLWithPath: indexPath(database)), store: store, logger: logger)
    let report = try await Ingestor(store: store, logger: logger).ingest(files: [corpus])
    let rowsDone = clock.now - start
    let (indexed, _) = try await follower?.finish() ?? (0, 0)
    let total = clock.now - start
    print(
        "ingest into a store holding \(before): \(report.records) records (\(report.inserted) new) in "
            + "\(String(format: "%.2f", seconds(total))) s = \(Int(Double(report.records) / seconds(total))) papers/s, "
            + "keyword index included (rows done at \(String(format: "%.2f", seconds(rowsDone))) s = "
            + "\(Int(Double(report.records) / seconds(rowsDone))) papers/s; \(indexed) papers in the index)")
    print(
        "keyword index on disk: \(directorySize(indexPath(database)) / 1_000_000) MB; database \(fileSize(database) / 1_000_000) MB"
    )
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

func directorySize(_ path: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.reduce(0) { $0 + fileSize(path + "/" + $1) }
}

/// The keyword index of a benchmark database: its files when they are current, else built (and timed).
func keywordIndex(_ store: any PaperboyStore, database: String) async throws -> KeywordIndexMaintainer {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let start = ContinuousClock.now
    let maintainer = try await KeywordIndexMaintainer(
        directory: URL(fileURLWithPath: indexPath(database)), feed: store, papers: store, logger: logger)
    let changed = try await maintainer.catchUp()
    if changed > 0 {
        await maintainer.mergeIfNeeded()
        try await maintainer.flush()
        print(
            "built the keyword index of \(changed) papers from the store in "
                + "\(String(format: "%.1f", seconds(ContinuousClock.now - start))) s")
    } else {
        print("opened the keyword index in \(ms(seconds(ContinuousClock.now - start)))")
    }
    return maintainer
}

/// The row part of ingest alone: papers parsed beforehand, stored in batches of 1,000 with the index deferred.
func rows(corpus: String, database: String) async throws {
    var papers: [Paper] = []
    for line in try String(contentsOfFile: corpus, encoding: .utf8).split(separator: "\n") {
        if case .paper(let p) = SnapshotParser.parse(line: String(line)) { papers.append(p) }
    }
    let store = try SQLiteStore(path: database)
    try await store.migrate()
    try await store.beginBulkLoad()
    let start = ContinuousClock.now
    var index = 0
    while index < papers.count {
        _ = try await store.upsert(Array(papers[index..<min(papers.count, index + 1000)]))
        index += 1000
    }
    let elapsed = seconds(ContinuousClock.now - start)
    print(
        "rows only: \(papers.count) papers in \(String(format: "%.2f", elapsed)) s = \(Int(Double(papers.count) / elapsed)) papers/s"
    )
}

func listing(database: String, queries: Int) async throws {
    let store = try openStore(database)
    guard let newest = try await store.newestDay() else { return print("empty database") }
    var rng = SplitMix64(state: 7)
    var days: [Day] = []
    for _ in 0..<queries { days.append(newest.adding(days: -Int.random(in: 0..<365, using: &rng))) }
    for (name, sort) in [("day, by upvotes", ListingSort.upvotes), ("day, newest first", .publishedAt)] {
        var times: [Double] = []
        for day in days {
            let start = ContinuousClock.now
            _ = try await store.listing(days: day...day, sort: sort, offset: 0, limit: 50)
            times.append(seconds(ContinuousClock.now - start))
        }
        print(
            "listing \(name) (\(queries) random days in the newest year, 50 cards): p50 \(ms(percentile(times, 0.5))), "
                + "p95 \(ms(percentile(times, 0.95))), p99 \(ms(percentile(times, 0.99)))")
    }
    var times: [Double] = []
    for day in days.prefix(200) {
        guard let week = ISOWeek(containing: day) else { continue }
        let start = ContinuousClock.now
        _ = try await store.listing(days: week.days, sort: .upvotes, offset: 0, limit: 50)
        times.append(seconds(ContinuousClock.now - start))
    }
    print("listing week, by upvotes (200 weeks): p50 \(ms(percentile(times, 0.5))), p95 \(ms(percentile(times, 0.95)))")
}

let searchMix = [
    "model", "quantum", "language models", "\"neural network\"", "graph", "spectra", "reinforcement learning", "galaxy",
    "calibration", "transformer",
]

func search(database: String, rounds: Int) async throws {
    let store = try openStore(database)
    let index = try await keywordIndex(store, database: database).index
    let searcher = KeywordOnlySearcher(index: index, papers: store)
    print("segments: \(index.segmentSizes)")
    var all: [Double] = []
    var calls: [Double] = []
    for query in searchMix {
        var times: [Double] = []
        var queryCalls: [Double] = []
        var total = 0
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            let result = try await searcher.search(SearchQuery(parsing: query), mode: .keyword, offset: 0, limit: 10)
            times.append(seconds(ContinuousClock.now - start))
            total = result.page.total
            let call = ContinuousClock.now
            _ = try await index.rank(SearchQuery(parsing: query), offset: 0, limit: 10)
            queryCalls.append(seconds(ContinuousClock.now - call))
        }
        all += times
        calls += queryCalls
        print(
            "  \(query.padding(toLength: 24, withPad: " ", startingAt: 0)) matches \(String(total).padding(toLength: 8, withPad: " ", startingAt: 0)) "
                + "p50 \(ms(percentile(times, 0.5))), p95 \(ms(percentile(times, 0.95))); index call p50 "
                + "\(ms(percentile(queryCalls, 0.5))), p95 \(ms(percentile(queryCalls, 0.95)))")
    }
    print(
        "keyword search, top 10 by BM25, whole mix x\(rounds): p50 \(ms(percentile(all, 0.5))), p95 \(ms(percentile(all, 0.95)))"
    )
    print(
        "index call alone (rank + count, no papers read): p50 \(ms(percentile(calls, 0.5))), p95 \(ms(percentile(calls, 0.95)))"
    )
}

/// Hybrid search over a benchmark database: the real model embeds the queries; the papers get synthetic clustered
/// vectors (embedding 100k real abstracts would take over an hour here), which costs the vector part the same.
func hybrid(database: String, model: String, rounds: Int) async throws {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let store = try SQLiteStore(path: database, logger: logger)
    let keywordIndex = try await keywordIndex(store, database: database).index
    let embedder = try SentenceEmbedder.load(directory: URL(fileURLWithPath: model), logger: logger)
    let papers = try await store.stats().papers
    let index = try syntheticVectors(database: database, papers: papers, dimension: embedder.info.dimension)
    var total: [Double] = []
    var keyword: [Double] = []
    var embedding: [Double] = []
    var vectors: [Double] = []
    for _ in 0..<rounds {
        // A new engine each round: the query cache starts empty, so every search embeds its query.
        let searcher = HybridSearcher(
            keyword: keywordIndex, papers: store, embeddings: store,
            engine: SemanticEngine(embedder: embedder, index: index), offReason: "")
        for text in searchMix {
            let query = SearchQuery(parsing: text)
            var start = ContinuousClock.now
            _ = try await searcher.search(query, mode: .hybrid, offset: 0, limit: 10)
            total.append(seconds(ContinuousClock.now - start))
            start = ContinuousClock.now
            _ = try await keywordIndex.rank(query.anyTerm, offset: 0, limit: 100)
            keyword.append(seconds(ContinuousClock.now - start))
            start = ContinuousClock.now
            let vector = try await embedder.embed(text)
            embedding.append(seconds(ContinuousClock.now - start))
            start = ContinuousClock.now
            _ = index.search(vector, k: 100)
            vectors.append(seconds(ContinuousClock.now - start))
        }
    }
    func line(_ name: String, _ v: [Double]) -> String {
        "\(name): p50 \(ms(percentile(v, 0.5))), p95 \(ms(percentile(v, 0.95)))"
    }
    print(
        "hybrid search over \(papers) papers, top 10, the keyword mix x\(rounds) (\(index.isApproximate ? "HNSW" : "exact") index)"
    )
    print("  " + line("whole search (keyword ∥ embed+vectors, fuse, read, highlight)", total))
    print("  " + line("keyword part (BM25, any term, 100 candidates)", keyword))
    print("  " + line("query embedding", embedding))
    print("  " + line("vector part (100 nearest)", vectors))
}

/// Synthetic clustered vectors for keys 1...papers (embedding 100k real abstracts would take over an hour here): read
/// from their file beside the database, else made and saved.
func syntheticVectors(database: String, papers: Int, dimension: Int) throws -> AdaptiveVectorIndex {
    let file = URL(fileURLWithPath: database + ".synthetic.vectors")
    if let loaded = try? AdaptiveVectorIndex.load(from: file, expectedModelID: "synthetic"), loaded.count == papers {
        return loaded
    }
    let start = ContinuousClock.now
    let index = AdaptiveVectorIndex(dimension: dimension)
    let generator = SyntheticClusteredVectors(dimension: dimension)
    for from in stride(from: 0, to: papers, by: 10_000) {
        let range = from..<min(papers, from + 10_000)
        let points = generator.points(range)
        index.add(zip(range, points).map { (id: Int64($0 + 1), vector: $1) })
    }
    try index.save(to: file, modelID: "synthetic")
    print(
        "built the vector index of \(papers) synthetic vectors in \(String(format: "%.1f", seconds(ContinuousClock.now - start))) s"
    )
    return index
}

/// Recommendations at scale: ranking every paper of the database for one person (p50/p95 over `rounds` people of
/// 20 liked papers each, the model already trained, reading the 30 papers shown), and retraining `users` people's
/// models after a day of votes (each person has 10 votes; the store's signals read and the model trained per
/// person). The people and their votes are made once and kept in the database.
func recommend(database: String, users: Int, rounds: Int) async throws {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let store = try openStore(database, logger: logger)
    try await store.migrate()
    let keyword = try await keywordIndex(store, database: database)
    let papers = try await store.stats().papers
    let index = try syntheticVectors(database: database, papers: papers, dimension: 384)
    let vectors = IndexTasteVectors(index: index)
    var rng = SplitMix64(state: 17)
    func randomKeys(_ n: Int) -> [PaperKey] { (0..<n).map { _ in Int64(rng.next() % UInt64(papers)) + 1 } }
    func taste(_ keys: [PaperKey]) async throws -> [TastePaper] {
        let found = try await store.papers(keys: keys)
        return keys.compactMap { key in
            found[key].map {
                TastePaper(
                    key: key, id: $0.paper.id, title: $0.paper.title, categories: $0.paper.categories,
                    authors: $0.paper.authors, kind: .upvote)
            }
        }
    }
    // Ranking: every stored paper is a candidate (the window covers them all).
    let cache = TasteModelCache()
    let recommender = Recommender(
        keyword: keyword.index, papers: store, vectors: vectors, vectorsCount: index.count, tastes: cache)
    var ranking: [Double] = []
    var training: [Double] = []
    var candidates: [Double] = []
    var cosines: [Double] = []
    for round in 0..<rounds {
        let signals = TasteSignals(
            accountID: Int64(round), liked: try await taste(randomKeys(20)), notInterested: [], categories: [])
        var start = ContinuousClock.now
        _ = TasteModel.train(signals, vectors: vectors)
        training.append(seconds(ContinuousClock.now - start))
        let model = cache.model(for: signals, vectors: vectors, vectorsCount: index.count)
        start = ContinuousClock.now
        _ = try await recommender.recommend(signals, window: nil, limit: 30)
        ranking.append(seconds(ContinuousClock.now - start))
        // Its two main parts again, alone: the candidates with their categories' and authors' bits, the cosines.
        start = ContinuousClock.now
        let found = try await keyword.index.tasteCandidates(
            window: nil, categories: model.categoryWeights.map(\.category),
            authors: model.authorWeights.map(\.author))
        candidates.append(seconds(ContinuousClock.now - start))
        start = ContinuousClock.now
        _ = vectors.dots(model.direction ?? [], keys: found.keys)
        cosines.append(seconds(ContinuousClock.now - start))
    }
    print(
        "  its parts alone: candidates with their categories' and authors' bits p50 "
            + "\(ms(percentile(candidates, 0.5))), cosines p50 \(ms(percentile(cosines, 0.5)))")
    print(
        "ranking \(papers) papers for one person (\(index.isApproximate ? "HNSW" : "exact") index, 30 shown), "
            + "\(rounds) people: p50 \(ms(percentile(ranking, 0.5))), p95 \(ms(percentile(ranking, 0.95))); "
            + "training one model from 20 liked papers: p50 \(ms(percentile(training, 0.5)))")
    // People and their votes, made once.
    let first = try await store.account(username: "bench00000")
    var accounts: [Int64] = []
    if first == nil {
        let start = ContinuousClock.now
        let at = Date(timeIntervalSince1970: 1_795_000_000)
        for n in 0..<users {
            let account = try await store.createAccount(
                NewAccount(
                    username: String(format: "bench%05d", n), email: "bench\(n)@example.org", fullname: "Bench \(n)",
                    passwordHash: "x", createdAt: at))
            accounts.append(account.id)
            for key in randomKeys(10) {
                guard let id = try await store.papers(keys: [key])[key]?.paper.id else { continue }
                _ = try await store.setVote(accountID: account.id, paper: id, up: true, at: at)
            }
        }
        print(
            "made \(users) people with 10 votes each in \(String(format: "%.1f", seconds(ContinuousClock.now - start))) s"
        )
    } else {
        for n in 0..<users {
            if let account = try await store.account(username: String(format: "bench%05d", n)) {
                accounts.append(account.id)
            }
        }
    }
    let retrained = TasteModelCache(capacity: users)
    let start = ContinuousClock.now
    for id in accounts {
        let signals = try await store.tasteSignals(accountID: id)
        _ = retrained.model(for: signals, vectors: vectors, vectorsCount: index.count)
    }
    let elapsed = seconds(ContinuousClock.now - start)
    print(
        "retraining \(accounts.count) people's models (signals read from the store, model trained): "
            + "\(String(format: "%.1f", elapsed)) s = \(Int(Double(accounts.count) / elapsed)) people/s")
}

/// Stores synthetic clustered vectors as the model's embeddings of every paper (with the real texts' hashes, so
/// the server treats them as current), for measuring the server with 100k vectors loaded.
func storeVectors(database: String, model: String) async throws {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let store = try SQLiteStore(path: database, logger: logger)
    try await store.migrate()
    let embedder = try SentenceEmbedder.load(directory: URL(fileURLWithPath: model), logger: logger)
    let modelID = SemanticEngine.modelID(embedder.info)
    let generator = SyntheticClusteredVectors(dimension: embedder.info.dimension)
    var after: PaperKey = 0
    var stored = 0
    while true {
        let page = try await store.papersNeedingEmbedding(model: modelID, after: after, scan: 10_000)
        try await store.saveEmbeddings(
            model: modelID, dimension: embedder.info.dimension,
            page.jobs.map { StoredEmbedding(key: $0.key, textHash: $0.textHash, vector: generator.point(Int($0.key))) })
        stored += page.jobs.count
        guard let last = page.last else { break }
        after = last
    }
    print("stored \(stored) synthetic vectors as \(modelID)")
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print(
        """
        usage: paperboy-bench ingest CORPUS.jsonl DATABASE
               paperboy-bench listing DATABASE [QUERIES]
               paperboy-bench search DATABASE [ROUNDS]
               paperboy-bench hybrid DATABASE MODEL_DIR [ROUNDS]
               paperboy-bench recommend DATABASE [USERS] [ROUNDS]
        """)
    exit(64)
}
switch arguments[1] {
case "ingest": try await ingest(corpus: arguments[2], database: arguments[3])
case "rows": try await rows(corpus: arguments[2], database: arguments[3])
case "store-vectors": try await storeVectors(database: arguments[2], model: arguments[3])
case "hybrid":
    try await hybrid(database: arguments[2], model: arguments[3], rounds: arguments.count > 4 ? Int(arguments[4])! : 10)
case "recommend":
    try await recommend(
        database: arguments[2], users: arguments.count > 3 ? Int(arguments[3]) ?? 10_000 : 10_000,
        rounds: arguments.count > 4 ? Int(arguments[4]) ?? 50 : 50)
case "listing": try await listing(database: arguments[2], queries: arguments.count > 3 ? Int(arguments[3])! : 1000)
case "search": try await search(database: arguments[2], rounds: arguments.count > 3 ? Int(arguments[3])! : 20)
default:
    print("unknown benchmark \(arguments[1])")
    exit(64)
}
