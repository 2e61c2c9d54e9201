import Foundation

/// Retrieval quality over a set of queries with known relevant papers: MRR@k, Recall@k and nDCG@k
/// (binary relevance), averaged over queries.
public struct RetrievalScores: Sendable, Equatable {
    public var mrr: Double
    public var recall: Double
    public var ndcg: Double
    public var queries: Int

    public init(mrr: Double, recall: Double, ndcg: Double, queries: Int) {
        self.mrr = mrr
        self.recall = recall
        self.ndcg = ndcg
        self.queries = queries
    }

    /// Scores one query: `ranked` best first, `relevant` the ids that should be found.
    public static func score(ranked: [PaperID], relevant: Set<PaperID>, k: Int = 10) -> RetrievalScores {
        let top = Array(ranked.prefix(k))
        let firstHit = top.firstIndex(where: relevant.contains)
        let mrr = firstHit.map { 1 / Double($0 + 1) } ?? 0
        let found = Set(top).intersection(relevant).count
        let recall = relevant.isEmpty ? 0 : Double(found) / Double(relevant.count)
        var dcg = 0.0
        for (i, id) in top.enumerated() where relevant.contains(id) { dcg += 1 / log2(Double(i + 2)) }
        var ideal = 0.0
        for i in 0..<min(k, relevant.count) { ideal += 1 / log2(Double(i + 2)) }
        return RetrievalScores(mrr: mrr, recall: recall, ndcg: ideal > 0 ? dcg / ideal : 0, queries: 1)
    }

    /// The mean over queries.
    public static func mean(_ scores: [RetrievalScores]) -> RetrievalScores {
        let n = Double(max(1, scores.count))
        return RetrievalScores(
            mrr: scores.map(\.mrr).reduce(0, +) / n, recall: scores.map(\.recall).reduce(0, +) / n,
            ndcg: scores.map(\.ndcg).reduce(0, +) / n, queries: scores.count)
    }
}

/// An evaluation set: a JSON list of `[query, [relevant arXiv ids]]`.
public struct EvaluationSet: Sendable {
    public var items: [(query: String, relevant: Set<PaperID>)]

    public enum LoadError: Error, CustomStringConvertible, Equatable {
        case notAList(file: String)
        case badItem(file: String, index: Int)
        case badID(file: String, index: Int, id: String)

        public var description: String {
            switch self {
            case .notAList(let file): "\(file): expected a JSON list of [query, [arXiv ids]]"
            case .badItem(let file, let index): "\(file): item \(index + 1) is not [query, [arXiv ids]]"
            case .badID(let file, let index, let id): "\(file): item \(index + 1): “\(id)” is not an arXiv id"
            }
        }
    }

    public init(json: Data, file: String) throws {
        guard let list = try? JSONSerialization.jsonObject(with: json) as? [Any] else {
            throw LoadError.notAList(file: file)
        }
        items = try list.enumerated().map { index, element in
            guard let pair = element as? [Any], pair.count == 2, let query = pair[0] as? String,
                let ids = pair[1] as? [String], !ids.isEmpty
            else { throw LoadError.badItem(file: file, index: index) }
            let relevant = try ids.map { raw in
                guard let id = PaperID(raw) else { throw LoadError.badID(file: file, index: index, id: raw) }
                return id
            }
            return (query, Set(relevant))
        }
    }
}
