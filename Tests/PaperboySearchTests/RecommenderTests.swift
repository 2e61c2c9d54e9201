import Foundation
import PaperboyCore
import Testing

@testable import PaperboySearch

/// Papers with fixed categories and authors whose keyword filters a recommender reads (`cat:`, `author:`, days).
struct TasteCatalog: KeywordIndex, KeyedPapers {
    let byKey: [PaperKey: StoredPaper]

    init(_ papers: [(key: PaperKey, categories: [String], authors: [String])]) {
        var byKey: [PaperKey: StoredPaper] = [:]
        for item in papers {
            var stored = FakeStore.paper(item.key, title: "Paper \(item.key)")
            stored.paper.categories = item.categories
            stored.paper.authors = item.authors
            byKey[item.key] = stored
        }
        self.byKey = byKey
    }

    func rank(_ query: SearchQuery, offset: Int, limit: Int) async throws -> KeywordRanking {
        KeywordRanking(ranked: [], total: 0)
    }

    func keys(passingFiltersOf query: SearchQuery) async throws -> Set<PaperKey>? {
        Set(
            byKey.filter { _, stored in
                let day = Day(stored.paper.featuredAt)
                return query.categories.allSatisfy(stored.paper.categories.contains)
                    && query.authors.allSatisfy(stored.paper.authors.contains)
                    && query.after.map { day >= $0 } ?? true && query.before.map { day < $0 } ?? true
            }.keys)
    }

    func highlights(_ query: SearchQuery, keys: [PaperKey]) async throws -> [PaperKey: Highlights] { [:] }

    func key(of id: PaperID) async throws -> PaperKey? { byKey.first { $0.value.paper.id == id }?.key }

    func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] { byKey.filter { keys.contains($0.key) } }

    func taste(_ key: PaperKey, _ kind: TasteSignalKind = .upvote) -> TastePaper {
        let paper = byKey[key]?.paper
        return TastePaper(
            key: key, id: paper?.id ?? PaperID(storedValue: "x"), title: paper?.title ?? "",
            categories: paper?.categories ?? [], authors: paper?.authors ?? [], kind: kind)
    }
}

@Suite("Recommender: the taste model and its ranking")
struct RecommenderTests {
    /// Papers 1-6 in cs.LG, 7-8 in astro-ph.GA; paper 9 has no vector.
    static let catalog = TasteCatalog(
        (1...6).map { ($0, ["cs.LG"], ["Author \($0)"]) } + [
            (7, ["astro-ph.GA"], ["Author 7"]), (8, ["astro-ph.GA"], ["Author 1"]), (9, ["cs.LG"], ["Author 9"]),
        ])

    static func vectors() -> ExactVectorIndex {
        let index = ExactVectorIndex(dimension: 4)
        let raw: [PaperKey: [Float]] = [
            1: [1, 0, 0, 0], 2: [0, 1, 0, 0], 3: [0.9, 0.1, 0, 0], 4: [0.1, 0.9, 0, 0], 5: [0.6, 0, 0.8, 0],
            6: [0, 0, 0, 1], 7: [0.95, 0.05, 0, 0], 8: [0, 0, 1, 0],
        ]
        index.add(raw.map { (id: $0.key, vector: TasteModel.unit($0.value) ?? []) })
        return index
    }

    static func recommend(
        _ signals: TasteSignals, index: ExactVectorIndex? = nil, weights: TasteWeights = .standard,
        cache: TasteModelCache = TasteModelCache(), limit: Int = 10
    ) async throws -> [Recommendation] {
        var recommender = Recommender(
            keyword: catalog, papers: catalog, vectors: index.map { IndexTasteVectors(index: $0) },
            vectorsCount: index?.count ?? 0, tastes: cache)
        recommender.weights = weights
        return try await recommender.recommend(signals, window: nil, limit: limit)
    }

    static func keys(_ items: [Recommendation]) -> [PaperKey] {
        items.map { Int64($0.paper.paper.id.rawValue.suffix(5)) ?? 0 }
    }

    static func signals(liked: [PaperKey], notInterested: [PaperKey] = [], categories: [String] = []) -> TasteSignals {
        TasteSignals(
            accountID: 1, liked: liked.map { catalog.taste($0) },
            notInterested: notInterested.map { catalog.taste($0) },
            categories: categories)
    }

    @Test func theEmbeddingRanksWithinACategoryAndNamesTheClosestLikedPaper() async throws {
        let items = try await Self.recommend(Self.signals(liked: [1, 2]), index: Self.vectors())
        // Liked papers never come back; cs.LG before astro-ph.GA except where the embedding says more.
        let keys = Self.keys(items)
        #expect(!keys.contains(1) && !keys.contains(2))
        #expect(Set(keys.prefix(2)) == [3, 4])
        let byKey = Dictionary(uniqueKeysWithValues: zip(Self.keys(items), items))
        #expect(byKey[3]?.because?.key == 1)
        #expect(byKey[4]?.because?.key == 2)
        // Paper 6 is orthogonal to both liked papers: below the close ones; paper 9, no vector, still ranks by its
        // category.
        let six = keys.firstIndex(of: 6) ?? -1
        let four = keys.firstIndex(of: 4) ?? keys.count
        #expect(six > four)
        #expect(keys.contains(9))
    }

    @Test func notInterestedPushesSimilarPapersDownAndIsNeverRecommended() async throws {
        let index = Self.vectors()
        let before = Self.keys(try await Self.recommend(Self.signals(liked: [1, 2]), index: index))
        let after = Self.keys(try await Self.recommend(Self.signals(liked: [1, 2], notInterested: [4]), index: index))
        #expect(before.contains(4) && !after.contains(4))
        #expect(after.first == 3)
        let three = after.firstIndex(of: 3) ?? after.count
        let five = after.firstIndex(of: 5) ?? -1
        #expect(three < five)
    }

    @Test func withoutVectorsCategoriesAndCoauthorsRank() async throws {
        // Liked paper 7 (astro-ph.GA): paper 8, the other astro-ph.GA paper, first; no vectors at all.
        let items = try await Self.recommend(Self.signals(liked: [7]))
        #expect(Self.keys(items).first == 8)
        #expect(items.first?.because?.key == 7)
        let picked = try await Self.recommend(Self.signals(liked: [], categories: ["astro-ph.GA"]))
        #expect(Set(Self.keys(picked).prefix(2)) == [7, 8])
        #expect(try await Self.recommend(Self.signals(liked: [])).isEmpty)
    }

    @Test func aModelIsTrainedOnceForUnchangedSignals() async throws {
        let cache = TasteModelCache()
        let index = Self.vectors()
        _ = try await Self.recommend(Self.signals(liked: [1]), index: index, cache: cache)
        _ = try await Self.recommend(Self.signals(liked: [1]), index: index, cache: cache)
        #expect(cache.trainings == 1)
        _ = try await Self.recommend(Self.signals(liked: [1, 2]), index: index, cache: cache)
        #expect(cache.trainings == 2)
        index.add(id: 10, vector: [0, 0, 0.6, 0.8])
        _ = try await Self.recommend(Self.signals(liked: [1, 2]), index: index, cache: cache)
        #expect(cache.trainings == 3, "new vectors retrain the model")
    }

    @Test func theModelWeighsCategoriesByShareAndPickedOnesFully() {
        let signals = TasteSignals(
            accountID: 1, liked: [Self.catalog.taste(1), Self.catalog.taste(2), Self.catalog.taste(7)],
            notInterested: [], categories: ["hep-th"])
        let model = TasteModel.train(signals, vectors: nil)
        #expect(model.direction == nil)
        #expect(model.categoryWeights.map(\.category) == ["hep-th", "cs.LG", "astro-ph.GA"])
        let expected: [Float] = [1, 2.0 / 3, 1.0 / 3]
        #expect(model.categoryWeights.map { $0.weight } == expected)
        #expect(model.excluded == [1, 2, 7])
    }

    @Test func dotsAreNaNForMissingIdsAndForAQueryThatDoesNotFit() {
        let exact = Self.vectors()
        let hnsw = HNSWVectorIndex(dimension: 4)
        hnsw.add(exact.allItems())
        for index in [exact as any VectorIndex, hnsw] {
            let dots = index.dots([1, 0, 0, 0], ids: [1, 99, 2])
            #expect(abs(dots[0] - 1) < 0.02 && dots[1].isNaN && abs(dots[2]) < 0.02)
            let misfit = index.dots([1, 0, 0], ids: [1, 2])
            #expect(misfit.count == 2 && misfit.allSatisfy { $0.isNaN })
        }
    }

    @Test func theTopKeepsTheBestScoresThenTheNewerKey() {
        let top = TasteRanking.top(3, keys: [1, 2, 3, 4, 5], scores: [0.5, 0.9, 0.5, .nan, 0.7])
        #expect(top.map { $0.key } == [2, 5, 3])
    }
}

@Suite("Keyword index: the candidates a recommendation ranks")
struct TasteCandidatesTests {
    /// The one-pass reading of categories and authors gives, for every live paper in the window, exactly the
    /// categories it is filed under and the authors who wrote it, across segments and deletions.
    @Test(arguments: [1, 3])
    func everyLivePaperInTheWindowWithItsCategoriesAndAuthors(parts: Int) throws {
        let papers = RandomCorpus.papers(900, seed: 21)
        let deleted: Set<PaperKey> = [3, 50, 51, 400, 899]
        let snapshot = try KeywordSnapshot.of(papers, parts: parts, deleting: deleted)
        let categories = ["quant-ph", "cs.LG", "no-such.cat", "astro-ph.GA"]
        let authors = ["Alan Turing", "Vera Rubin", "Nobody Here", "Ada Lovelace"]
        let start = Day(Date(timeIntervalSince1970: 1_735_689_600 + 10 * 86_400))
        for window in [nil, start...start.adding(days: 19)] as [ClosedRange<Day>?] {
            let found = KeywordEngine.tasteCandidates(
                window: window, categories: categories, authors: authors, snapshot: snapshot)
            var expected: [PaperKey: (UInt32, UInt32)] = [:]
            for paper in papers where !deleted.contains(paper.key) {
                if let window, !window.contains(Day(paper.featuredAt)) { continue }
                var c: UInt32 = 0
                for (bit, category) in categories.enumerated() where paper.categories.contains(category) {
                    c |= 1 << UInt32(bit)
                }
                var a: UInt32 = 0
                for (bit, author) in authors.enumerated() where paper.authors.contains(author) { a |= 1 << UInt32(bit) }
                expected[paper.key] = (c, a)
            }
            #expect(found.keys.count == expected.count)
            #expect(Set(found.keys) == Set(expected.keys))
            for (i, key) in found.keys.enumerated() {
                #expect(found.categoryBits[i] == expected[key]?.0, "categories of \(key)")
                #expect(found.authorBits[i] == expected[key]?.1, "authors of \(key)")
            }
        }
    }
}
