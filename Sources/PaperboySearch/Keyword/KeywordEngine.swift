import Foundation
import PaperboyCore

/// Runs queries over a ``KeywordSnapshot``: top-k by block-max WAND (relevance) or by date, counts exact up to
/// ``KeywordRanking/exactCountLimit`` and estimated past it, and the keys passing a query's filters.
enum KeywordEngine {
    /// One page of matches and their number.
    static func rank(_ query: SearchQuery, snapshot: KeywordSnapshot, offset: Int, limit: Int) -> KeywordRanking {
        let plan = KeywordPlan(query)
        guard snapshot.liveDocuments > 0, !plan.matchesNothing, offset >= 0, limit > 0 else {
            return KeywordRanking(ranked: [], total: 0)
        }
        let prepared = Prepared(plan: plan, snapshot: snapshot)
        let (reach, overflow) = offset.addingReportingOverflow(limit)
        let k = min(overflow ? Int.max : reach, snapshot.liveDocuments)
        guard k > 0 else { return KeywordRanking(ranked: [], total: 0) }
        if plan.sort == .newest || !plan.isScored {
            // Every match is visited: the count is exact and the k newest are kept (with score 0, as the contract
            // says of listings by date).
            var heap = TopK(capacity: k, before: newer(snapshot))
            var total = 0
            for s in snapshot.segments.indices {
                var search = prepared.search(s)
                let segment = snapshot.segments[s]
                search.run(threshold: nil) { doc, _ in
                    total += 1
                    heap.push(Hit(score: 0, featured: segment.featured(Int(doc)), segment: s, doc: doc))
                    return true
                }
            }
            return page(heap, snapshot: snapshot, offset: offset, limit: limit, total: total, estimated: false)
        }
        var heap = TopK(capacity: k, before: better(snapshot))
        for s in snapshot.segments.indices {
            var search = prepared.search(s)
            search.run(threshold: { heap.isFull ? heap.worst?.score ?? 0 : 0 }) { doc, score in
                heap.push(Hit(score: score, featured: 0, segment: s, doc: doc))
                return true
            }
        }
        let (total, estimated) = count(prepared, snapshot: snapshot)
        return page(heap, snapshot: snapshot, offset: offset, limit: limit, total: total, estimated: estimated)
    }

    /// The live documents featured in `window` with the categories and authors (bit `i` for the `i`th of each) they
    /// have, in one pass per segment: each category's and each author's postings mark an array of the segment's
    /// documents, then the documents are read in order. An author matches as `author:` does, every word of the name
    /// in the authors field.
    static func tasteCandidates(
        window: ClosedRange<Day>?, categories: [String], authors: [String], snapshot: KeywordSnapshot
    ) -> TasteCandidates {
        let from = window.map { Millis.of($0.lowerBound.start) } ?? Int64.min
        let until = window.map { Millis.of($0.upperBound.adding(days: 1).start) } ?? Int64.max
        let names = authors.prefix(TasteCandidates.maxNamed).map { name in
            SearchQuery.words(in: name).flatMap(KeywordTokenizer.queryTerms)
        }
        var candidates = TasteCandidates()
        candidates.keys.reserveCapacity(snapshot.liveDocuments)
        for (s, segment) in snapshot.segments.enumerated() {
            let deleted = snapshot.deleted[s]
            var categoryBits = [UInt32](repeating: 0, count: segment.docCount)
            for (bit, category) in categories.prefix(TasteCandidates.maxNamed).enumerated() {
                guard let term = segment.termIndex(SegmentLayout.categoryPrefix + category) else { continue }
                var cursor = PostingCursor(segment: segment, term: term)
                while cursor.doc != PostingCursor.end {
                    if Int(cursor.doc) < categoryBits.count { categoryBits[Int(cursor.doc)] |= 1 << UInt32(bit) }
                    cursor.next()
                }
            }
            var authorBits = [UInt32](repeating: 0, count: segment.docCount)
            for (bit, words) in names.enumerated() {
                var cursors = words.compactMap {
                    segment.termIndex($0).map { PostingCursor(segment: segment, term: $0) }
                }
                guard !cursors.isEmpty, cursors.count == words.count else { continue }
                while cursors[0].doc != PostingCursor.end {
                    let doc = cursors[0].doc
                    var all = cursors[0].authors > 0
                    var k = 1
                    while all, k < cursors.count {
                        cursors[k].advance(to: doc)
                        all = cursors[k].doc == doc && cursors[k].authors > 0
                        k += 1
                    }
                    if all, Int(doc) < authorBits.count { authorBits[Int(doc)] |= 1 << UInt32(bit) }
                    cursors[0].next()
                }
            }
            for doc in 0..<segment.docCount where !deleted.contains(doc) {
                let featured = segment.featured(doc)
                guard featured >= from, featured < until else { continue }
                candidates.append(segment.key(doc), categories: categoryBits[doc], authors: authorBits[doc])
            }
        }
        return candidates
    }

    /// Keys of the live documents that pass the query's filters; nil without filters.
    static func keys(passingFiltersOf query: SearchQuery, snapshot: KeywordSnapshot) -> Set<PaperKey>? {
        var plan = KeywordPlan(query)
        guard plan.hasFilters else { return nil }
        let authorClauses = plan.clauses.filter { if case .authorWord = $0 { true } else { false } }
        plan.clauses = authorClauses
        plan.required = Array(authorClauses.indices)
        plan.optional = []
        plan.sort = .newest
        var keys = Set<PaperKey>()
        let prepared = Prepared(plan: plan, snapshot: snapshot)
        for s in snapshot.segments.indices {
            var search = prepared.search(s)
            let segment = snapshot.segments[s]
            search.run(threshold: nil) { doc, _ in
                keys.insert(segment.key(Int(doc)))
                return true
            }
        }
        return keys
    }

    /// Counts matches up to the exact limit; past it, estimates from the share of documents scanned, rounded to a
    /// thousand.
    private static func count(_ prepared: Prepared, snapshot: KeywordSnapshot) -> (Int, Bool) {
        let plan = prepared.plan
        if plan.clauses.count == 1, plan.required == [0], !plan.hasFilters {
            // One word or phrase and nothing else: the matches are its live documents, counted when it was prepared.
            return (prepared.sources.reduce(0) { $0 + $1[0].df }, false)
        }
        let limit = KeywordRanking.exactCountLimit
        var counted = 0
        var scanned = 0
        for s in snapshot.segments.indices {
            var search = prepared.search(s)
            search.counting = true
            let stop = search.run(threshold: nil) { _, _ in
                counted += 1
                return counted <= limit
            }
            if counted > limit {
                scanned += Int(stop) + 1
                let share = Double(scanned) / Double(max(snapshot.slots, 1))
                let estimate = Double(counted) / max(share, 1e-9)
                let rounded = Int((estimate / 1000).rounded()) * 1000
                return (max(rounded, limit + 1), true)
            }
            scanned += snapshot.segments[s].docCount
        }
        return (counted, false)
    }

    private static func page(
        _ heap: TopK, snapshot: KeywordSnapshot, offset: Int, limit: Int, total: Int, estimated: Bool
    ) -> KeywordRanking {
        let ranked = heap.sorted().dropFirst(offset).prefix(limit).map { hit in
            ScoredKey(key: snapshot.segments[hit.segment].key(Int(hit.doc)), score: hit.score)
        }
        return KeywordRanking(ranked: Array(ranked), total: total, totalIsEstimated: estimated)
    }

    /// Best score first, equal scores by arXiv id.
    static func better(_ snapshot: KeywordSnapshot) -> (Hit, Hit) -> Bool {
        let segments = snapshot.segments
        return { a, b in
            if a.score != b.score { return a.score > b.score }
            return segments[a.segment].idBytes(Int(a.doc)).lexicographicallyPrecedes(
                segments[b.segment].idBytes(Int(b.doc)))
        }
    }

    /// Newest featured first, then arXiv id descending.
    static func newer(_ snapshot: KeywordSnapshot) -> (Hit, Hit) -> Bool {
        let segments = snapshot.segments
        return { a, b in
            if a.featured != b.featured { return a.featured > b.featured }
            return segments[b.segment].idBytes(Int(b.doc)).lexicographicallyPrecedes(
                segments[a.segment].idBytes(Int(a.doc)))
        }
    }

    /// The clauses of a plan made ready for every segment: sources, document frequencies and IDFs over the
    /// snapshot.
    struct Prepared {
        let plan: KeywordPlan
        let snapshot: KeywordSnapshot
        let sources: [[ClauseSource]]
        let excluded: [[ClauseSource]]
        let idfs: [Double]
        let avgdl: Double

        init(plan: KeywordPlan, snapshot: KeywordSnapshot) {
            self.plan = plan
            self.snapshot = snapshot
            let sources = zip(snapshot.segments, snapshot.deleted).map { segment, deleted in
                plan.clauses.map { ClauseSource.make($0, in: segment, deleted: deleted) }
            }
            self.sources = sources
            excluded = zip(snapshot.segments, snapshot.deleted).map { segment, deleted in
                plan.excluded.map { ClauseSource.make($0, in: segment, deleted: deleted) }
            }
            let documents = snapshot.liveDocuments
            idfs = plan.clauses.indices.map { c in
                KeywordScoring.idf(documents: documents, matching: sources.reduce(0) { $0 + $1[c].df })
            }
            avgdl = documents > 0 ? Double(snapshot.liveTokens) / Double(documents) : 1
        }

        func search(_ s: Int) -> SegmentSearch {
            SegmentSearch(
                segment: snapshot.segments[s], deleted: snapshot.deleted[s], plan: plan, sources: sources[s],
                excludedSources: excluded[s], idfs: idfs, avgdl: avgdl)
        }
    }
}

/// A match in a snapshot.
struct Hit {
    var score: Double
    var featured: Int64
    var segment: Int
    var doc: UInt32
}

/// The best `capacity` hits seen, by an order given as "ranks before".
struct TopK {
    let capacity: Int
    let before: (Hit, Hit) -> Bool
    /// A heap with the worst kept hit on top.
    private var items: [Hit] = []

    init(capacity: Int, before: @escaping (Hit, Hit) -> Bool) {
        self.capacity = capacity
        self.before = before
        items.reserveCapacity(min(capacity, 1024))
    }

    var isFull: Bool { items.count >= capacity }
    var worst: Hit? { items.first }

    mutating func push(_ hit: Hit) {
        if items.count < capacity {
            items.append(hit)
            siftUp(items.count - 1)
        } else if let top = items.first, before(hit, top) {
            items[0] = hit
            siftDown(0)
        }
    }

    func sorted() -> [Hit] { items.sorted(by: before) }

    // The heap's order: a parent ranks after its children (the worst on top).
    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(items[parent], items[i]) else { return }
            items.swapAt(parent, i)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var worst = i
            if l < items.count, before(items[worst], items[l]) { worst = l }
            if r < items.count, before(items[worst], items[r]) { worst = r }
            if worst == i { return }
            items.swapAt(i, worst)
            i = worst
        }
    }
}

extension ClauseSource {
    /// The postings of a clause in a segment; its document frequency counts live documents only (`deleted` are
    /// left out of made lists, and subtracted from a term's stored count).
    static func make(_ clause: KeywordPlan.Clause, in segment: Segment, deleted: DocBitset) -> ClauseSource {
        switch clause {
        case .term(let term):
            guard let index = segment.termIndex(term) else { return ClauseSource(materialized: true) }
            return termSource(index, in: segment, deleted: deleted)
        case .prefix(let prefix):
            return prefixSource(prefix, in: segment, deleted: deleted)
        case .phrase(let terms):
            return phraseSource(terms, in: segment, deleted: deleted)
        case .authorWord(let term):
            guard let index = segment.termIndex(term) else { return ClauseSource(materialized: true) }
            var source = ClauseSource(materialized: true)
            var cursor = PostingCursor(segment: segment, term: index)
            while cursor.doc != PostingCursor.end {
                if cursor.authors > 0, !deleted.contains(Int(cursor.doc)) {
                    source.add(cursor.doc, weighted: 4 &* cursor.authors, segment: segment)
                }
                cursor.next()
            }
            return source
        }
    }

    /// A term's postings read in place. Its live document frequency is the stored one less the deleted documents
    /// that hold it, found by skipping through its postings to each deleted document (nothing to do in a segment
    /// without deletions).
    private static func termSource(_ term: Int, in segment: Segment, deleted: DocBitset) -> ClauseSource {
        var df = segment.info(term).df
        if deleted.count > 0 {
            var cursor = PostingCursor(segment: segment, term: term)
            deleted.forEach { doc in
                guard cursor.doc != PostingCursor.end else { return }
                cursor.advance(to: UInt32(doc))
                if cursor.doc == UInt32(doc) { df -= 1 }
            }
        }
        return ClauseSource(term: term, df: max(df, 0))
    }

    private mutating func add(_ doc: UInt32, weighted: UInt32, segment: Segment) {
        list.append(doc)
        weights.append(weighted)
        maxWeighted = max(maxWeighted, weighted)
        minLength = min(minLength, segment.length(Int(doc)))
        df += 1
    }

    /// Every term with the prefix, summed per document (FTS5 counts each matching token).
    private static func prefixSource(_ prefix: String, in segment: Segment, deleted: DocBitset) -> ClauseSource {
        var source = ClauseSource(materialized: true)
        let range = segment.terms(withPrefix: prefix)
        guard !range.isEmpty else { return source }
        if range.count == 1, let only = range.first { return termSource(only, in: segment, deleted: deleted) }
        var sums = [UInt32](repeating: 0, count: segment.docCount)
        for term in range {
            var cursor = PostingCursor(segment: segment, term: term)
            while cursor.doc != PostingCursor.end {
                let d = Int(cursor.doc)
                if d < sums.count {
                    sums[d] &+= KeywordScoring.weighted(
                        title: cursor.title, authors: cursor.authors, abstract: cursor.abstract)
                }
                cursor.next()
            }
        }
        for (doc, sum) in sums.enumerated() where sum > 0 && !deleted.contains(doc) {
            source.add(UInt32(doc), weighted: sum, segment: segment)
        }
        return source
    }

    /// Documents where the terms stand at consecutive positions of one field, with the weighted count of such
    /// places.
    private static func phraseSource(_ terms: [String], in segment: Segment, deleted: DocBitset) -> ClauseSource {
        var source = ClauseSource(materialized: true)
        var cursors: [PostingCursor] = []
        for term in terms {
            guard let index = segment.termIndex(term) else { return source }
            cursors.append(PostingCursor(segment: segment, term: index))
        }
        let lead = cursors.indices.min { cursors[$0].info.df < cursors[$1].info.df } ?? 0
        var places = [[UInt32]](repeating: [], count: cursors.count)
        var next = [Int](repeating: 0, count: cursors.count)
        outer: while cursors[lead].doc != PostingCursor.end {
            let doc = cursors[lead].doc
            for i in cursors.indices where i != lead {
                cursors[i].advance(to: doc)
                if cursors[i].doc != doc {
                    cursors[lead].advance(to: cursors[i].doc)
                    continue outer
                }
            }
            // Each term's places in sorted buffers (field in the high bits), walked once per document: a place of
            // the first term starts the phrase when every next term stands one further in the same field.
            if deleted.contains(Int(doc)) {
                cursors[lead].next()
                continue outer
            }
            for i in cursors.indices { cursors[i].positions(into: &places[i]) }
            var title: UInt32 = 0
            var authors: UInt32 = 0
            var abstract: UInt32 = 0
            for i in next.indices { next[i] = 0 }
            for start in places[0] {
                var all = true
                for i in 1..<places.count {
                    let want = start &+ UInt32(i)
                    while next[i] < places[i].count, places[i][next[i]] < want { next[i] += 1 }
                    if next[i] == places[i].count || places[i][next[i]] != want {
                        all = false
                        break
                    }
                }
                if all {
                    switch start >> 28 {
                    case 0: title += 1
                    case 1: authors += 1
                    default: abstract += 1
                    }
                }
            }
            let weighted = KeywordScoring.weighted(title: title, authors: authors, abstract: abstract)
            if weighted > 0 { source.add(doc, weighted: weighted, segment: segment) }
            cursors[lead].next()
        }
        return source
    }
}
