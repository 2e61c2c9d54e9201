import Foundation
import PaperboyCore

@testable import PaperboySearch

/// A store's change feed and papers in memory: every `put` takes the next change number.
actor FakeChangeFeed: PaperChangeFeed, KeyedPapers {
    private var rows: [PaperKey: (paper: IndexablePaper, sequence: Int64)] = [:]
    private var sequence: Int64 = 0
    let identity: String
    /// Sequence numbers skipped by `rewind` (a restored copy).
    var failing = false

    init(identity: String = "store-1") { self.identity = identity }

    func put(_ papers: [IndexablePaper]) {
        for paper in papers {
            sequence += 1
            rows[paper.key] = (paper, sequence)
        }
    }

    /// Forgets every paper and starts the sequence again (as a store replaced by an older copy).
    func reset(to papers: [IndexablePaper]) {
        rows = [:]
        sequence = 0
        put(papers)
    }

    func paperChanges(after sequence: Int64, limit: Int) async throws -> PaperChanges {
        let changed = rows.values.filter { $0.sequence > sequence }.sorted { $0.sequence < $1.sequence }.prefix(limit)
        return PaperChanges(papers: changed.map(\.paper), last: changed.last?.sequence ?? sequence)
    }

    func latestPaperChange() async throws -> Int64 { sequence }
    func storeIdentity() async throws -> String { identity }

    func key(of id: PaperID) async throws -> PaperKey? { rows.values.first { $0.paper.id == id }?.paper.key }

    func papers(keys: [PaperKey]) async throws -> [PaperKey: StoredPaper] {
        var found: [PaperKey: StoredPaper] = [:]
        for key in keys {
            guard let p = rows[key]?.paper, !p.isHidden else { continue }
            found[key] = StoredPaper(
                paper: Paper(
                    id: p.id, title: p.title, abstract: p.abstract, authors: p.authors, categories: p.categories,
                    versions: [PaperVersion(number: 1, submitted: p.featuredAt)]))
        }
        return found
    }
}

/// Random papers over a small vocabulary with skewed word frequencies, so that some words are in most papers.
enum RandomCorpus {
    static let vocabulary = [
        "model", "quantum", "graph", "network", "neural", "galaxy", "spectra", "learning", "transformer", "language",
        "calibration", "field", "energy", "matrix", "random", "optimal", "robust", "sparse", "kernel", "flow",
        "theory", "data", "noise", "signal", "dynamics", "lattice", "phase", "boundary", "entropy", "cluster",
    ]
    static let names = [
        "Ada Lovelace", "Alan Turing", "Grace Hopper", "Emmy Noether", "Kurt Godel", "Lise Meitner", "Paul Dirac",
        "Marie Curie", "John Neumann", "Vera Rubin",
    ]
    static let categories = ["cs.LG", "cs.CL", "astro-ph.GA", "quant-ph", "math.PR"]

    static func word(_ rng: inout SplitMix64) -> String {
        // Zipf-like: low indexes much more often.
        let u = Double(rng.next() % 1_000_000) / 1_000_000
        let index = Int(Double(vocabulary.count) * u * u * u)
        return vocabulary[min(index, vocabulary.count - 1)]
    }

    static func text(_ rng: inout SplitMix64, words: ClosedRange<Int>) -> String {
        let n = Int.random(in: words, using: &rng)
        return (0..<n).map { _ in word(&rng) }.joined(separator: " ")
    }

    static func papers(_ count: Int, seed: UInt64, firstKey: PaperKey = 1) -> [IndexablePaper] {
        var rng = SplitMix64(state: seed)
        return (0..<count).map { i in
            let key = firstKey + PaperKey(i)
            let authors = (0..<Int.random(in: 1...3, using: &rng)).map { _ in names.randomElement(using: &rng)! }
            let cats = Array(
                Set(
                    (0..<Int.random(in: 1...2, using: &rng)).map { _ in
                        categories.randomElement(using: &rng)!
                    })
            ).sorted()
            return IndexablePaper(
                key: key, id: PaperID(storedValue: String(format: "2501.%05d", Int(key))),
                title: text(&rng, words: 2...6), authors: authors, abstract: text(&rng, words: 10...60),
                categories: cats,
                featuredAt: Date(
                    timeIntervalSince1970: 1_735_689_600 + Double(Int.random(in: 0..<60, using: &rng)) * 86_400),
                isHidden: false)
        }
    }
}

/// BM25 computed the slow way, paper by paper, over the live papers only (as FTS5 counts them: deleted papers leave
/// the statistics at once).
struct ExhaustiveScorer {
    struct Doc {
        var paper: IndexablePaper
        var title: [String]
        var authors: [String]
        var abstract: [String]
        var live: Bool
        var length: Int { title.count + authors.count + abstract.count }
    }

    var docs: [Doc]

    init(_ papers: [(IndexablePaper, live: Bool)]) {
        docs = papers.map { p, live in
            Doc(
                paper: p, title: KeywordTokenizer.terms(in: p.title),
                authors: KeywordTokenizer.terms(in: p.authors.joined(separator: "\n")),
                abstract: KeywordTokenizer.terms(in: p.abstract), live: live)
        }
    }

    func weighted(_ doc: Doc, _ term: String) -> UInt32 {
        KeywordScoring.weighted(
            title: UInt32(doc.title.filter { $0 == term }.count),
            authors: UInt32(doc.authors.filter { $0 == term }.count),
            abstract: UInt32(doc.abstract.filter { $0 == term }.count))
    }

    /// Top `k` keys and scores for single-word terms, all of them (`any` false) or any.
    func top(_ words: [String], any: Bool, k: Int) -> [ScoredKey] {
        let terms = words.flatMap(KeywordTokenizer.queryTerms)
        let live = docs.filter(\.live)
        let n = live.count
        let avgdl = Double(live.reduce(0) { $0 + $1.length }) / Double(n)
        let idfs = terms.map { t in
            KeywordScoring.idf(documents: n, matching: live.filter { weighted($0, t) > 0 }.count)
        }
        var hits: [(ScoredKey, String)] = []
        for doc in docs where doc.live {
            let fs = terms.map { weighted(doc, $0) }
            let matches = any ? fs.contains { $0 > 0 } : fs.allSatisfy { $0 > 0 }
            guard matches else { continue }
            var score = 0.0
            for (f, idf) in zip(fs, idfs) {
                score += idf * KeywordScoring.part(f, length: UInt32(doc.length), avgdl: avgdl)
            }
            hits.append((ScoredKey(key: doc.paper.key, score: score), doc.paper.id.rawValue))
        }
        hits.sort { a, b in a.0.score != b.0.score ? a.0.score > b.0.score : a.1 < b.1 }
        return hits.prefix(k).map(\.0)
    }
}

extension KeywordSnapshot {
    /// A snapshot of the papers split into `parts` segments, with the given keys deleted.
    static func of(_ papers: [IndexablePaper], parts: Int, deleting deleted: Set<PaperKey> = []) throws
        -> KeywordSnapshot
    {
        var snapshot = KeywordSnapshot()
        let size = max(1, (papers.count + parts - 1) / parts)
        for start in stride(from: 0, to: papers.count, by: size) {
            var builder = SegmentBuilder()
            for paper in papers[start..<min(papers.count, start + size)] { builder.add(paper) }
            let segment = try Segment(bytes: SegmentBytes(copying: builder.build()), path: "test")
            var bits = DocBitset(documents: segment.docCount)
            for doc in 0..<segment.docCount where deleted.contains(segment.key(doc)) { bits.insert(doc) }
            snapshot.append(segment, deleted: bits)
        }
        return snapshot
    }
}
