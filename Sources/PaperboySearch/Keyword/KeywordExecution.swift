import Foundation
import PaperboyCore

/// The segments a search reads, with the documents deleted from each: an immutable view, so searches run without
/// locks while the index changes.
struct KeywordSnapshot: Sendable {
    private(set) var segments: [Segment] = []
    private(set) var deleted: [DocBitset] = []
    /// The last change of the store the snapshot includes.
    var sequence: Int64 = 0
    /// The live documents and their tokens: BM25's statistics, as FTS5 keeps them (a deleted or replaced paper stops
    /// counting at once, not at the next merge), so that scores do not depend on how the index is split into
    /// segments.
    private(set) var liveDocuments = 0
    private(set) var liveTokens: UInt64 = 0
    /// Every document slot, deleted ones included (what a scan of the segments passes over).
    private(set) var slots = 0

    init() {}

    init(segments: [Segment], deleted: [DocBitset], sequence: Int64) {
        for (segment, bits) in zip(segments, deleted) { append(segment, deleted: bits) }
        self.sequence = sequence
    }

    mutating func append(_ segment: Segment, deleted bits: DocBitset) {
        segments.append(segment)
        deleted.append(bits)
        slots += segment.docCount
        liveDocuments += segment.docCount - bits.count
        var tokens = segment.tokens
        bits.forEach { doc in
            let length = doc < segment.docCount ? UInt64(segment.length(doc)) : 0
            tokens = tokens >= length ? tokens - length : 0
        }
        liveTokens += tokens
    }
}

/// One clause's postings in one segment: a term read in place, or a list made for the query (prefixes, phrases,
/// author words).
struct ClauseSource {
    var term: Int?
    var list: [UInt32] = []
    var weights: [UInt32] = []
    var maxWeighted: UInt32 = 0
    var minLength: UInt32 = .max
    var materialized = false

    var df: Int = 0
}

/// A cursor over a ``ClauseSource``.
struct ClauseCursor {
    private var postings: PostingCursor?
    private let source: ClauseSource
    private var index = 0
    private(set) var doc: UInt32
    let idf: Double
    /// The largest score part any document can get from this clause.
    let bound: Double

    init(segment: Segment, source: ClauseSource, idf: Double, avgdl: Double) {
        self.source = source
        self.idf = idf
        if let term = source.term, !source.materialized {
            let cursor = PostingCursor(segment: segment, term: term)
            var best = 0.0
            for b in 0..<cursor.info.blocks { best = max(best, cursor.blockMaxPart(b, avgdl: avgdl)) }
            postings = cursor
            doc = cursor.doc
            bound = idf * best
        } else {
            postings = nil
            doc = source.list.first ?? PostingCursor.end
            bound =
                idf
                * KeywordScoring.part(
                    source.maxWeighted, length: source.minLength == .max ? 0 : source.minLength, avgdl: avgdl)
        }
    }

    var weighted: UInt32 {
        if let postings {
            KeywordScoring.weighted(title: postings.title, authors: postings.authors, abstract: postings.abstract)
        } else {
            index < source.weights.count ? source.weights[index] : 0
        }
    }

    mutating func next() {
        if postings != nil {
            postings?.next()
            doc = postings?.doc ?? PostingCursor.end
        } else {
            index += 1
            doc = index < source.list.count ? source.list[index] : PostingCursor.end
        }
    }

    mutating func advance(to target: UInt32) {
        guard doc < target else { return }
        if postings != nil {
            postings?.advance(to: target)
            doc = postings?.doc ?? PostingCursor.end
        } else {
            // Gallop over the list.
            var low = index + 1
            var step = 1
            while low + step < source.list.count, source.list[low + step] < target {
                low += step
                step *= 2
            }
            var high = min(low + step + 1, source.list.count)
            while low < high {
                let mid = (low + high) / 2
                if source.list[mid] < target { low = mid + 1 } else { high = mid }
            }
            index = low
            doc = index < source.list.count ? source.list[index] : PostingCursor.end
        }
    }

    /// Moves a term's cursor past its current block and every later block whose best score part is below `theta`,
    /// to the first document of the next block that can reach it, decoding only that one. False for a made list
    /// (the caller advances it instead).
    mutating func skipBlocks(below theta: Double, avgdl: Double) -> Bool {
        guard let current = postings?.block, let blocks = postings?.info.blocks else { return false }
        var b = current + 1
        while b < blocks, idf * (postings?.blockMaxPart(b, avgdl: avgdl) ?? 0) < theta { b += 1 }
        // Mutated in place (through the optional), so the cursor's block buffers are not copied.
        postings?.jump(toBlock: b)
        doc = postings?.doc ?? PostingCursor.end
        return true
    }

    /// The best score part in the block holding `target`, and the last document of that block.
    func blockBound(at target: UInt32, avgdl: Double) -> (bound: Double, last: UInt32) {
        guard let postings else { return (bound, PostingCursor.end - 1) }
        let b = postings.blockHolding(target)
        guard b < postings.info.blocks else { return (0, PostingCursor.end - 1) }
        return (idf * postings.blockMaxPart(b, avgdl: avgdl), postings.blockLast(b))
    }
}

/// A search over one segment: the clause cursors, the filters and the visit of matches in document order.
struct SegmentSearch {
    let segment: Segment
    let deleted: DocBitset
    let plan: KeywordPlan
    let avgdl: Double
    var cursors: [ClauseCursor]
    private var categories: [PostingCursor?]
    private var excluded: [ClauseCursor]
    /// Required clauses, rarest first (the intersection's lead).
    private let leadOrder: [Int]

    init(
        segment: Segment, deleted: DocBitset, plan: KeywordPlan, sources: [ClauseSource],
        excludedSources: [ClauseSource],
        idfs: [Double], avgdl: Double
    ) {
        self.segment = segment
        self.deleted = deleted
        self.plan = plan
        self.avgdl = avgdl
        cursors = zip(sources, idfs).map { ClauseCursor(segment: segment, source: $0, idf: $1, avgdl: avgdl) }
        excluded = excludedSources.map { ClauseCursor(segment: segment, source: $0, idf: 0, avgdl: avgdl) }
        categories = plan.categories.map { category in
            segment.termIndex(SegmentLayout.categoryPrefix + category).map {
                PostingCursor(segment: segment, term: $0)
            }
        }
        leadOrder = plan.required.sorted { sources[$0].df < sources[$1].df }
    }

    /// Whether a candidate passes deletion and the filters (cursors only move forward: candidates must increase).
    private mutating func passes(_ doc: UInt32) -> Bool {
        if deleted.contains(Int(doc)) { return false }
        if plan.fromMillis != nil || plan.untilMillis != nil {
            let at = segment.featured(Int(doc))
            if let from = plan.fromMillis, at < from { return false }
            if let until = plan.untilMillis, at >= until { return false }
        }
        for i in categories.indices {
            guard categories[i] != nil else { return false }
            categories[i]?.advance(to: doc)
            if categories[i]?.doc != doc { return false }
        }
        for i in excluded.indices {
            excluded[i].advance(to: doc)
            if excluded[i].doc == doc { return false }
        }
        return true
    }

    /// Set for a pass that only counts: matches are visited with score 0, nothing is scored.
    var counting = false

    /// The BM25 of a document every cursor at or past it has been moved to, summed in clause order.
    private func score(_ doc: UInt32) -> Double {
        if counting { return 0 }
        let length = segment.length(Int(doc))
        var total = 0.0
        for c in cursors where c.doc == doc {
            total += c.idf * KeywordScoring.part(c.weighted, length: length, avgdl: avgdl)
        }
        return total
    }

    /// Visits matches in document order with their scores until `visit` returns false. With `threshold` (the score
    /// a match must reach to matter), blocks that cannot reach it are skipped: then only some matches are visited.
    /// Returns the document the visit stopped at (`end` when it ran out).
    @discardableResult
    mutating func run(threshold: (() -> Double)?, visit: (UInt32, Double) -> Bool) -> UInt32 {
        if plan.clauses.isEmpty { return runFiltersOnly(visit: visit) }
        if plan.optional.isEmpty { return runConjunction(threshold: threshold, visit: visit) }
        if plan.required.isEmpty { return runDisjunction(threshold: threshold, visit: visit) }
        return runMixed(visit: visit)
    }

    private mutating func runFiltersOnly(visit: (UInt32, Double) -> Bool) -> UInt32 {
        var doc: UInt32 = 0
        while Int(doc) < segment.docCount {
            if !categories.isEmpty {
                guard categories[0] != nil else { return PostingCursor.end }
                categories[0]?.advance(to: doc)
                doc = categories[0]?.doc ?? PostingCursor.end
                if doc == PostingCursor.end { return doc }
            }
            if passes(doc), !visit(doc, 0) { return doc }
            doc += 1
        }
        return PostingCursor.end
    }

    private mutating func runConjunction(threshold: (() -> Double)?, visit: (UInt32, Double) -> Bool) -> UInt32 {
        guard let lead = leadOrder.first else { return PostingCursor.end }
        outer: while true {
            let doc = cursors[lead].doc
            if doc == PostingCursor.end { return doc }
            if let threshold {
                let theta = threshold()
                if theta > 0 {
                    var bound = 0.0
                    var last = PostingCursor.end - 1
                    for i in plan.required {
                        let b = cursors[i].blockBound(at: doc, avgdl: avgdl)
                        bound += b.bound
                        last = min(last, b.last)
                    }
                    if bound < theta {
                        if plan.required.count == 1, cursors[lead].skipBlocks(below: theta, avgdl: avgdl) {
                            // One word: blocks that cannot reach the threshold are passed by their impacts alone,
                            // without decoding them.
                            continue outer
                        }
                        cursors[lead].advance(to: max(last, doc) + 1)
                        continue outer
                    }
                }
            }
            for i in leadOrder.dropFirst() {
                cursors[i].advance(to: doc)
                if cursors[i].doc != doc {
                    cursors[lead].advance(to: cursors[i].doc)
                    continue outer
                }
            }
            if passes(doc), !visit(doc, score(doc)) { return doc }
            cursors[lead].next()
        }
    }

    private mutating func runDisjunction(threshold: (() -> Double)?, visit: (UInt32, Double) -> Bool) -> UInt32 {
        var order = plan.optional
        while true {
            order.sort { cursors[$0].doc < cursors[$1].doc }
            let first = cursors[order[0]].doc
            if first == PostingCursor.end { return first }
            let theta = threshold?() ?? 0
            var pivot = 0
            if theta > 0 {
                // The first cursor whose bounds, with those before it, can reach the threshold.
                var total = 0.0
                var found = -1
                for (rank, i) in order.enumerated() {
                    if cursors[i].doc == PostingCursor.end { break }
                    total += cursors[i].bound
                    if total >= theta {
                        found = rank
                        break
                    }
                }
                if found < 0 { return PostingCursor.end }
                pivot = found
            }
            let pivotDoc = cursors[order[pivot]].doc
            while pivot + 1 < order.count, cursors[order[pivot + 1]].doc == pivotDoc { pivot += 1 }
            if theta > 0 {
                var bound = 0.0
                var last = PostingCursor.end - 1
                for rank in 0...pivot {
                    let b = cursors[order[rank]].blockBound(at: pivotDoc, avgdl: avgdl)
                    bound += b.bound
                    last = min(last, b.last)
                }
                if bound < theta {
                    var next = max(last, pivotDoc) + 1
                    if pivot + 1 < order.count { next = min(next, cursors[order[pivot + 1]].doc) }
                    next = max(next, pivotDoc + 1)
                    for rank in 0...pivot { cursors[order[rank]].advance(to: next) }
                    continue
                }
            }
            if first == pivotDoc {
                if passes(pivotDoc), !visit(pivotDoc, score(pivotDoc)) { return pivotDoc }
                for i in order where cursors[i].doc == pivotDoc { cursors[i].next() }
            } else {
                for rank in 0..<pivot where cursors[order[rank]].doc < pivotDoc {
                    cursors[order[rank]].advance(to: pivotDoc)
                }
            }
        }
    }

    private mutating func runMixed(visit: (UInt32, Double) -> Bool) -> UInt32 {
        guard let lead = leadOrder.first else { return PostingCursor.end }
        outer: while true {
            let doc = cursors[lead].doc
            if doc == PostingCursor.end { return doc }
            for i in leadOrder.dropFirst() {
                cursors[i].advance(to: doc)
                if cursors[i].doc != doc {
                    cursors[lead].advance(to: cursors[i].doc)
                    continue outer
                }
            }
            var any = false
            for i in plan.optional {
                cursors[i].advance(to: doc)
                if cursors[i].doc == doc { any = true }
            }
            if any, passes(doc), !visit(doc, score(doc)) { return doc }
            cursors[lead].next()
        }
    }
}
