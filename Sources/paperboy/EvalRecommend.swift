import ArgumentParser
import Foundation
import Logging
import PaperboyCore
import PaperboySearch

/// `paperboy eval-recommend`: ranks every stored paper for simulated people whose liked papers are given, with the
/// model the server uses and with its parts alone, for Benchmarks/recommend/eval.py to score against other methods.
struct EvalRecommend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-recommend",
        abstract: "Rank every stored paper for simulated people given their liked papers (offline evaluation).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "JSON {\"users\": [{\"name\", \"positives\": [arXiv ids]}]} (PAPERBOY_USERS).")
    var users: String?

    @Option(help: "Where to write the rankings as JSON (PAPERBOY_OUT).")
    var out: String?

    @Option(help: "Papers ranked per person and variant (PAPERBOY_LIMIT; 1-100, default 10).")
    var limit: String?

    /// The model the server uses, then its parts alone (names as the evaluation's table shows them).
    static let variants: [(name: String, weights: TasteWeights)] = [
        ("paperboy", .standard), ("embedding only", .embeddingOnly),
        ("categories and co-authors only", .categoriesAndCoauthors),
    ]

    struct UsersFile: Decodable {
        struct User: Decodable {
            let name: String
            let positives: [String]
        }
        let users: [User]
    }

    func run() async throws {
        try await Paperboy.guarded {
            guard let usersPath = Settings.string("users", users), let outPath = Settings.string("out", out) else {
                Paperboy.printError("eval-recommend needs --users FILE and --out FILE")
                throw Exit.usage
            }
            let limit = try Settings.integer(
                "limit", self.limit, default: 10, in: 1...RecommendationLimits.maxLimit)
            let file: UsersFile
            do {
                file = try JSONDecoder().decode(UsersFile.self, from: Data(contentsOf: URL(fileURLWithPath: usersPath)))
            } catch {
                Paperboy.printError("cannot read \(usersPath): \(error)")
                throw Exit.dataError
            }
            let logger = try common.logger("paperboy.eval-recommend")
            let store = try await common.openStore(logger: logger)
            let (engine, reason) = await model.engine(store: store, database: common.vectorIndexBase, logger: logger)
            if engine == nil { print("no embeddings (\(reason)): the embedding part ranks nothing") }
            let keyword = try await KeywordIndexOpening.open(
                directory: common.indexDirectory, store: store, logger: logger, mustWrite: false)
            let vectors = engine.map { IndexTasteVectors(index: $0.index) }
            var people: [(name: String, signals: TasteSignals)] = []
            for (n, user) in file.users.enumerated() {
                var keys: [(id: PaperID, key: PaperKey)] = []
                for text in user.positives {
                    guard let id = PaperID(text), let key = try await store.key(of: id) else {
                        Paperboy.printError("\(user.name): no stored paper has the id \(text)")
                        throw Exit.dataError
                    }
                    keys.append((id, key))
                }
                // The person's papers read in one call.
                let found = try await store.papers(keys: keys.map(\.key))
                var liked: [TastePaper] = []
                for (id, key) in keys {
                    guard let stored = found[key] else {
                        Paperboy.printError("\(user.name): no stored paper has the id \(id.rawValue)")
                        throw Exit.dataError
                    }
                    liked.append(
                        TastePaper(
                            key: key, id: id, title: stored.paper.title, categories: stored.paper.categories,
                            authors: stored.paper.authors, kind: .upvote))
                }
                people.append(
                    (user.name, TasteSignals(accountID: Int64(n), liked: liked, notInterested: [], categories: [])))
            }
            var rankings: [String: [String: [String]]] = [:]
            for variant in Self.variants {
                var recommender = Recommender(
                    keyword: keyword.index, papers: store, vectors: vectors, vectorsCount: engine?.index.count ?? 0,
                    tastes: TasteModelCache())
                recommender.weights = variant.weights
                let clock = ContinuousClock()
                let start = clock.now
                var ranked: [String: [String]] = [:]
                for person in people {
                    ranked[person.name] = try await recommender.recommend(person.signals, window: nil, limit: limit)
                        .map(\.paper.paper.id.rawValue)
                }
                let each = (clock.now - start) / max(people.count, 1)
                print("\(variant.name): \(people.count) people, \(each) each (training, ranking and reading papers)")
                rankings[variant.name] = ranked
            }
            let data = try JSONSerialization.data(
                withJSONObject: ["variants": rankings], options: [.prettyPrinted, .sortedKeys])
            do { try data.write(to: URL(fileURLWithPath: outPath)) } catch {
                Paperboy.printError("cannot write \(outPath): \(error.localizedDescription)")
                throw Exit.ioError
            }
        }
    }
}
