import Foundation
import Synchronization

// How recommendations are made (the README's "How recommendations are made" says the same in words).
//
// A person's model is linear and has three parts, each learned from their signals (``TasteSignals``):
// - a direction in the embedding space: the mean of the liked papers' unit vectors, less half the mean of the
//   "not interested" ones, normalised (Rocchio's relevance feedback); a paper scores its cosine with it;
// - category weights: the share of liked papers in each category (1 for categories picked in settings); a paper
//   scores the weight of its best category;
// - co-author weights: the share of liked papers each author wrote, for authors of two liked papers or more (of any
//   liked paper while fewer than three are liked); a paper scores the weight of its best author.
// The score is `embedding × cosine + category × category weight + coauthor × author weight` (``TasteWeights``).
// Without embeddings (a keyword-only installation) the category and co-author parts rank alone, newest first among
// equals. Training is a pass over the liked papers' vectors: it runs when the signals change (``TasteModelCache``),
// never on a page view that finds them unchanged.

/// Reads the stored paper vectors (the semantic engine's index).
public protocol TasteVectors: Sendable {
    func vector(of key: PaperKey) -> [Float]?
    /// The dot product of `direction` with the vector of each key, in order; NaN where a key has none.
    func dots(_ direction: [Float], keys: [PaperKey]) -> [Float]
}

/// The papers a recommendation ranks: parallel arrays of keys and of bit sets naming, for each paper, the model's
/// categories it is filed under and the model's authors who wrote it.
public struct TasteCandidates: Sendable, Equatable {
    public var keys: [PaperKey] = []
    public var categoryBits: [UInt32] = []
    public var authorBits: [UInt32] = []

    public init() {}

    public mutating func append(_ key: PaperKey, categories: UInt32, authors: UInt32) {
        keys.append(key)
        categoryBits.append(categories)
        authorBits.append(authors)
    }

    /// At most this many categories and authors are named (one bit each).
    public static let maxNamed = 32
}

extension KeywordIndex {
    /// From the filters, one query per category and author: for indexes that have no faster way.
    public func tasteCandidates(window: ClosedRange<Day>?, categories: [String], authors: [String]) async throws
        -> TasteCandidates
    {
        var filter = SearchQuery()
        filter.after = window?.lowerBound ?? Day(daysSinceEpoch: Int.min)
        filter.before = window.map { $0.upperBound.adding(days: 1) }
        let keys = (try await keys(passingFiltersOf: filter) ?? []).sorted()
        var position: [PaperKey: Int] = [:]
        for (i, key) in keys.enumerated() { position[key] = i }
        var categoryBits = [UInt32](repeating: 0, count: keys.count)
        var authorBits = [UInt32](repeating: 0, count: keys.count)
        for (bit, category) in categories.prefix(TasteCandidates.maxNamed).enumerated() {
            var query = filter
            query.categories = [category]
            for key in try await self.keys(passingFiltersOf: query) ?? [] {
                if let i = position[key] { categoryBits[i] |= 1 << UInt32(bit) }
            }
        }
        for (bit, author) in authors.prefix(TasteCandidates.maxNamed).enumerated() {
            var query = filter
            query.authors = [author]
            for key in try await self.keys(passingFiltersOf: query) ?? [] {
                if let i = position[key] { authorBits[i] |= 1 << UInt32(bit) }
            }
        }
        var candidates = TasteCandidates()
        candidates.keys = keys
        candidates.categoryBits = categoryBits
        candidates.authorBits = authorBits
        return candidates
    }
}

/// How much each part of the model counts. The evaluation (`paperboy eval-recommend`) runs the parts alone too.
public struct TasteWeights: Sendable, Hashable {
    public var embedding: Float
    public var category: Float
    public var coauthor: Float
    /// How far "not interested" papers push the embedding direction away.
    public var notInterested: Float

    public init(embedding: Float, category: Float, coauthor: Float, notInterested: Float) {
        self.embedding = embedding
        self.category = category
        self.coauthor = coauthor
        self.notInterested = notInterested
    }

    public static let standard = TasteWeights(embedding: 1, category: 0.5, coauthor: 0.25, notInterested: 0.5)
    public static let embeddingOnly = TasteWeights(embedding: 1, category: 0, coauthor: 0, notInterested: 0.5)
    public static let categoriesAndCoauthors = TasteWeights(
        embedding: 0, category: 0.5, coauthor: 0.25, notInterested: 0)
}

/// One person's trained model.
public struct TasteModel: Sendable {
    public let accountID: Int64
    /// The signals it was trained on (``TasteSignals/fingerprint``).
    public let fingerprint: UInt64
    public let weights: TasteWeights
    /// Unit vector, or nil when no liked paper has a vector.
    public let direction: [Float]?
    public let categoryWeights: [(category: String, weight: Float)]
    public let authorWeights: [(author: String, weight: Float)]
    /// The newest liked papers, among which "because you liked …" names the closest.
    public let recentLiked: [TastePaper]
    /// Papers never recommended, liked and "not interested" ones, in key order.
    public let excluded: [PaperKey]

    /// Categories and authors a model keeps (the heaviest): as many as a candidate's bit sets name.
    public static let maxCategories = TasteCandidates.maxNamed
    public static let maxAuthors = TasteCandidates.maxNamed
    /// Liked papers "because you liked …" chooses among. A model keeps no vectors: what it holds is bounded by
    /// these counts and by the signals' limits, whatever a person has done.
    public static let maxRecentLiked = 32

    public static func train(_ signals: TasteSignals, vectors: (any TasteVectors)?, weights: TasteWeights = .standard)
        -> TasteModel
    {
        var direction: [Float]?
        if let vectors, weights.embedding > 0 {
            let positives = signals.liked.compactMap { vectors.vector(of: $0.key).flatMap(unit) }
            let negatives = signals.notInterested.compactMap { vectors.vector(of: $0.key).flatMap(unit) }
            if let positive = mean(positives) {
                var sum = positive
                if let negative = mean(negatives), weights.notInterested > 0 {
                    for i in sum.indices where i < negative.count { sum[i] -= weights.notInterested * negative[i] }
                }
                direction = unit(sum)
            }
        }
        let likedCount = Float(signals.liked.count)
        var categoryCounts: [String: Float] = [:]
        var authorCounts: [String: Float] = [:]
        for paper in signals.liked {
            for category in Set(paper.categories) { categoryCounts[category, default: 0] += 1 }
            for author in Set(paper.authors) { authorCounts[author, default: 0] += 1 }
        }
        var categoryWeights = categoryCounts.mapValues { $0 / likedCount }
        for category in signals.categories { categoryWeights[category] = 1 }
        // An author counts once they wrote two liked papers; until three papers are liked, every author of one does.
        let authorWeights = authorCounts.filter { $0.value >= 2 || likedCount < 3 }.mapValues { $0 / likedCount }
        let excluded = Set(signals.liked.map(\.key)).union(signals.notInterested.map(\.key)).sorted()
        return TasteModel(
            accountID: signals.accountID, fingerprint: signals.fingerprint, weights: weights, direction: direction,
            categoryWeights: heaviest(categoryWeights, maxCategories).map { (category: $0.0, weight: $0.1) },
            authorWeights: heaviest(authorWeights, maxAuthors).map { (author: $0.0, weight: $0.1) },
            recentLiked: Array(signals.liked.prefix(maxRecentLiked)), excluded: excluded)
    }

    /// For each recommended paper, the recent liked paper it is closest to: by embedding when both have vectors,
    /// else the one sharing most categories and authors. The liked papers' vectors are read once for all.
    public func closestLiked(to papers: [StoredPaper], keys: [PaperKey], vectors: (any TasteVectors)?) -> [TastePaper?]
    {
        let likedVectors = recentLiked.compactMap { paper in
            vectors?.vector(of: paper.key).flatMap(Self.unit).map { (paper: paper, vector: $0) }
        }
        return zip(papers, keys).map { stored, key in
            closestLiked(
                vector: likedVectors.isEmpty ? nil : vectors?.vector(of: key), likedVectors: likedVectors,
                categories: stored.paper.categories, authors: stored.paper.authors)
        }
    }

    private func closestLiked(
        vector: [Float]?, likedVectors: [(paper: TastePaper, vector: [Float])], categories: [String],
        authors: [String]
    ) -> TastePaper? {
        if let vector {
            var best: (paper: TastePaper, score: Float)?
            for item in likedVectors {
                let score = zip(item.vector, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                if best == nil || score > (best?.score ?? 0) { best = (item.paper, score) }
            }
            if let best { return best.paper }
        }
        var best: (paper: TastePaper, shared: Int)?
        for paper in recentLiked {
            let shared =
                Set(paper.categories).intersection(categories).count * 2
                + Set(paper.authors).intersection(authors).count
            if shared > 0, shared > (best?.shared ?? 0) { best = (paper, shared) }
        }
        return best?.paper
    }

    /// The vector scaled to length 1; nil for a zero or non-finite one.
    public static func unit(_ vector: [Float]) -> [Float]? {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard norm.isFinite, norm > 0 else { return nil }
        return vector.map { $0 / norm }
    }

    static func mean(_ vectors: [[Float]]) -> [Float]? {
        guard let first = vectors.first else { return nil }
        var sum = [Float](repeating: 0, count: first.count)
        for vector in vectors where vector.count == sum.count {
            for i in sum.indices { sum[i] += vector[i] }
        }
        return sum.map { $0 / Float(vectors.count) }
    }

    /// The `count` heaviest entries, heaviest first, ties in name order.
    static func heaviest(_ weights: [String: Float], _ count: Int) -> [(String, Float)] {
        weights.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(count)
            .map { ($0.key, $0.value) }
    }
}

/// A recommended paper's key and its score.
public struct RankedTaste: Sendable, Hashable {
    public var key: PaperKey
    public var score: Float
}

/// Ranks a window of papers for one model.
public enum TasteRanking {
    /// The best `limit` papers featured in `window` (every stored paper when nil), best first, leaving out the model's
    /// excluded papers. The candidates with their categories and authors come from the keyword index in one pass
    /// (``KeywordIndex/tasteCandidates(window:categories:authors:)``) and the cosines from the vector index, so a
    /// ranking reads no paper rows; ties go to the newer key.
    public static func rank(
        _ model: TasteModel, keyword: any KeywordIndex, vectors: (any TasteVectors)?, window: ClosedRange<Day>?,
        limit: Int
    ) async throws -> [RankedTaste] {
        guard limit > 0 else { return [] }
        let categories = model.categoryWeights
        let authors = model.authorWeights
        let candidates = try await keyword.tasteCandidates(
            window: window, categories: categories.map(\.category), authors: authors.map(\.author))
        let keys = candidates.keys
        guard !keys.isEmpty else { return [] }
        var scores = [Float](repeating: 0, count: keys.count)
        if let direction = model.direction, let vectors, model.weights.embedding > 0 {
            let dots = vectors.dots(direction, keys: keys)
            for i in scores.indices where !dots[i].isNaN { scores[i] = model.weights.embedding * dots[i] }
        }
        let categoryWeights = categories.map { model.weights.category * $0.weight }
        let authorWeights = authors.map { model.weights.coauthor * $0.weight }
        for i in scores.indices {
            scores[i] +=
                best(candidates.categoryBits[i], categoryWeights) + best(candidates.authorBits[i], authorWeights)
        }
        if !model.excluded.isEmpty {
            // A search of a sorted array: no hashing of every candidate.
            let excluded = model.excluded
            for i in keys.indices {
                var low = 0
                var high = excluded.count
                while low < high {
                    let mid = (low + high) / 2
                    if excluded[mid] < keys[i] { low = mid + 1 } else { high = mid }
                }
                if low < excluded.count, excluded[low] == keys[i] { scores[i] = -.infinity }
            }
        }
        return top(limit, keys: keys, scores: scores).filter { $0.score > -.infinity }
    }

    /// The heaviest of `weights` whose bit is set.
    @inline(__always)
    private static func best(_ bits: UInt32, _ weights: [Float]) -> Float {
        var best: Float = 0
        var rest = bits
        while rest != 0 {
            let bit = rest.trailingZeroBitCount
            if bit < weights.count, weights[bit] > best { best = weights[bit] }
            rest &= rest &- 1
        }
        return best
    }

    /// The best `limit` (score, then newer key), best first, keeping a small sorted list rather than sorting all.
    public static func top(_ limit: Int, keys: [PaperKey], scores: [Float]) -> [RankedTaste] {
        var kept: [RankedTaste] = []
        kept.reserveCapacity(limit + 1)
        func better(_ a: RankedTaste, _ b: RankedTaste) -> Bool {
            a.score != b.score ? a.score > b.score : a.key > b.key
        }
        for i in keys.indices {
            let item = RankedTaste(key: keys[i], score: scores[i].isNaN ? 0 : scores[i])
            if kept.count == limit, let last = kept.last, !better(item, last) { continue }
            let at = kept.firstIndex { better(item, $0) } ?? kept.count
            kept.insert(item, at: at)
            if kept.count > limit { kept.removeLast() }
        }
        return kept
    }
}

/// Trained models by person, retrained only when their signals change. Bounded: the least recently used go first.
public final class TasteModelCache: Sendable {
    private struct Entry {
        var model: TasteModel
        var vectorsCount: Int
        var used: UInt64
    }
    private struct State {
        var entries: [Int64: Entry] = [:]
        var clock: UInt64 = 0
        var trainings = 0
    }
    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int = 2_000) { self.capacity = max(capacity, 1) }

    /// The model for `signals`: the cached one when the signals, the weights and the number of stored vectors are as
    /// they were, else a newly trained one.
    public func model(
        for signals: TasteSignals, vectors: (any TasteVectors)?, vectorsCount: Int, weights: TasteWeights = .standard
    ) -> TasteModel {
        let fingerprint = signals.fingerprint
        let cached: TasteModel? = state.withLock { state in
            state.clock += 1
            guard var entry = state.entries[signals.accountID], entry.model.fingerprint == fingerprint,
                entry.model.weights == weights, entry.vectorsCount == vectorsCount
            else { return nil }
            entry.used = state.clock
            state.entries[signals.accountID] = entry
            return entry.model
        }
        if let cached { return cached }
        let model = TasteModel.train(signals, vectors: vectors, weights: weights)
        state.withLock { state in
            state.clock += 1
            state.trainings += 1
            state.entries[signals.accountID] = Entry(model: model, vectorsCount: vectorsCount, used: state.clock)
            if state.entries.count > capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used }) {
                state.entries[oldest.key] = nil
            }
        }
        return model
    }

    /// How many models were trained since start (a page view with unchanged signals trains none).
    public var trainings: Int { state.withLock { $0.trainings } }
}

/// A recommended paper, with the liked paper it is closest to ("because you liked …").
public struct Recommendation: Sendable {
    public var paper: StoredPaper
    public var score: Double
    public var because: TastePaper?

    public init(paper: StoredPaper, score: Double, because: TastePaper?) {
        self.paper = paper
        self.score = score
        self.because = because
    }
}

/// Recommendations as searchers make them: the model from the cache, the ranking, then the papers.
public struct Recommender: Sendable {
    public let keyword: any KeywordIndex
    public let papers: any KeyedPapers
    public let vectors: (any TasteVectors)?
    public let vectorsCount: Int
    public let tastes: TasteModelCache
    public var weights = TasteWeights.standard

    public init(
        keyword: any KeywordIndex, papers: any KeyedPapers, vectors: (any TasteVectors)?, vectorsCount: Int,
        tastes: TasteModelCache
    ) {
        self.keyword = keyword
        self.papers = papers
        self.vectors = vectors
        self.vectorsCount = vectorsCount
        self.tastes = tastes
    }

    public func recommend(_ signals: TasteSignals, window: ClosedRange<Day>?, limit: Int) async throws
        -> [Recommendation]
    {
        let limit = min(max(limit, 0), RecommendationLimits.maxLimit)
        guard !signals.isEmpty, limit > 0 else { return [] }
        let model = tastes.model(for: signals, vectors: vectors, vectorsCount: vectorsCount, weights: weights)
        let ranked = try await TasteRanking.rank(
            model, keyword: keyword, vectors: vectors, window: window, limit: limit)
        let found = try await papers.papers(keys: ranked.map(\.key))
        let shown = ranked.compactMap { item in found[item.key].map { (item: item, paper: $0) } }
        let because = model.closestLiked(to: shown.map(\.paper), keys: shown.map(\.item.key), vectors: vectors)
        return zip(shown, because).map { entry, because in
            Recommendation(paper: entry.paper, score: Double(entry.item.score), because: because)
        }
    }
}
