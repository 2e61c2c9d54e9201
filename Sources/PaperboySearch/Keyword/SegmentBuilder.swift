import Foundation
import PaperboyCore

/// Where things are in a segment (little-endian; every section starts on an 8-byte boundary):
///
///     header (160 bytes): magic "PBKWSEG3" · docs u32 · terms u32 · tokens u64 · checksum u64 (of all after the
///         header) · 13 section offsets u64
///     keys i64×docs · featured ms i64×docs · lengths u32×docs · content hashes u64×docs · id offsets u32×(docs+1)
///     · id bytes
///     keys sorted i64×docs · their docs u32×docs · term offsets u32×(terms+1) · term bytes (sorted by UTF-8)
///     term infos (df u32 · blocks u32 · block table offset u64 · positions offset u64) · postings · positions
///
/// A term's postings: a table of blocks (last doc u32 · largest weighted frequency u32 · shortest length u32 ·
/// data offset u32 · positions offset u32 · docs u32), then the blocks' data. Each block's data opens with its
/// impacts: a varint count, then that many (weighted frequency, length) varint pairs, the block's documents that no
/// other document of the block beats on both (a higher weighted frequency and a shorter length); the best BM25 part
/// of the block is the best of these, whatever the corpus's average length. Then per doc a varint
/// (gap << 3 | shape), the shape saying how the term occurs in the title, authors and abstract (``PostingShape``),
/// followed by the counts the shape does not imply. Positions: per doc and field with a count, that many varints (the first
/// absolute, then gaps).
enum SegmentLayout {
    static let magic: UInt64 = 0x3347_4553_574B_4250  // "PBKWSEG3" little-endian
    static let headerSize = 160
    static let blockSize = 128
    static let termInfoSize = 24
    static let blockEntrySize = 24
    static let sectionCount = 13
    /// Category filters are terms of their own, out of reach of any typed word.
    static let categoryPrefix = "\u{1}"

    enum Section: Int {
        case keys, featured, lengths, hashes, idOffsets, idBytes, sortedKeys, sortedDocs, termOffsets, termBytes,
            termInfos,
            postings, positions
    }
}

/// How a term occurs in a document (title, authors, abstract counts), in the 3 low bits of its posting's first
/// varint, so that the common cases need no count bytes: three quarters of all postings are one word in the
/// abstract, and most others one word in the title or authors, or only abstract words.
enum PostingShape {
    static let abstractOnce: UInt64 = 0  // 0, 0, 1
    static let abstractOnly: UInt64 = 1  // 0, 0, n: n follows
    static let titleOnce: UInt64 = 2  // 1, 0, 0
    static let authorsOnce: UInt64 = 3  // 0, 1, 0
    static let none: UInt64 = 4  // 0, 0, 0: a category
    static let titleOnceAndAbstract: UInt64 = 5  // 1, 0, n: n follows
    static let titleAndAbstract: UInt64 = 6  // t, 0, n: t and n follow
    static let general: UInt64 = 7  // t, a, n: all three follow

    /// The shape and the counts to write after it.
    static func of(title: UInt32, authors: UInt32, abstract: UInt32) -> (shape: UInt64, counts: [UInt32]) {
        switch (title, authors, abstract) {
        case (0, 0, 1): (abstractOnce, [])
        case (0, 0, 0): (none, [])
        case (0, 0, _): (abstractOnly, [abstract])
        case (1, 0, 0): (titleOnce, [])
        case (0, 1, 0): (authorsOnce, [])
        case (1, 0, _): (titleOnceAndAbstract, [abstract])
        case (_, 0, _): (titleAndAbstract, [title, abstract])
        default: (general, [title, authors, abstract])
        }
    }
}

/// One occurrence list entry of a term in a document under construction.
struct PostingInput {
    var doc: UInt32
    var title: UInt32
    var authors: UInt32
    var abstract: UInt32
    var length: UInt32
    /// Positions in the title, then the authors, then the abstract (counts above).
    var positions: [UInt32]

    var weighted: UInt32 { KeywordScoring.weighted(title: title, authors: authors, abstract: abstract) }
}

/// A term's postings being written.
struct TermPostingsWriter {
    var data: [UInt8] = []
    var positions: [UInt8] = []
    var table: [UInt8] = []
    var df: UInt32 = 0
    var blocks: UInt32 = 0
    private var previous: Int64 = -1
    private var inBlock: UInt32 = 0
    private var blockData: UInt32 = 0
    private var blockPositions: UInt32 = 0
    private var maxWeighted: UInt32 = 0
    private var minLength: UInt32 = .max
    /// The block's postings, written after its impacts when it closes.
    private var pending: [UInt8] = []
    /// (weighted frequency, length) of the block's documents.
    private var impacts: [(weighted: UInt32, length: UInt32)] = []

    mutating func append(_ p: PostingInput) {
        if inBlock == 0 {
            blockPositions = UInt32(truncatingIfNeeded: positions.count)
            maxWeighted = 0
            minLength = .max
            pending.removeAll(keepingCapacity: true)
            impacts.removeAll(keepingCapacity: true)
        }
        let gap = UInt64(truncatingIfNeeded: Int64(p.doc) - previous) & 0xFFFF_FFFF
        previous = Int64(p.doc)
        let (shape, counts) = PostingShape.of(title: p.title, authors: p.authors, abstract: p.abstract)
        VarInt.append(gap << 3 | shape, to: &pending)
        for count in counts { VarInt.append(count, to: &pending) }
        impacts.append((p.weighted, p.length))
        var i = 0
        for count in [p.title, p.authors, p.abstract] {
            var last: UInt32 = 0
            for j in 0..<Int(count) {
                let position = i + j < p.positions.count ? p.positions[i + j] : 0
                VarInt.append(j == 0 ? position : position &- last, to: &positions)
                last = position
            }
            i += Int(count)
        }
        maxWeighted = max(maxWeighted, p.weighted)
        minLength = min(minLength, p.length)
        df += 1
        inBlock += 1
        if inBlock == UInt32(SegmentLayout.blockSize) { closeBlock() }
    }

    mutating func finish() {
        if inBlock > 0 { closeBlock() }
    }

    private mutating func closeBlock() {
        blockData = UInt32(truncatingIfNeeded: data.count)
        let frontier = Self.frontier(impacts)
        VarInt.append(UInt32(frontier.count), to: &data)
        for impact in frontier {
            VarInt.append(impact.weighted, to: &data)
            VarInt.append(impact.length, to: &data)
        }
        data.append(contentsOf: pending)
        var w = ByteWriter()
        w.u32(UInt32(truncatingIfNeeded: previous))
        w.u32(maxWeighted)
        w.u32(minLength)
        w.u32(blockData)
        w.u32(blockPositions)
        w.u32(inBlock)
        table.append(contentsOf: w.bytes)
        blocks += 1
        inBlock = 0
    }

    /// The impacts no other beats on both counts: by weighted frequency, highest first, each with a shorter length
    /// than all before it.
    static func frontier(_ impacts: [(weighted: UInt32, length: UInt32)]) -> [(weighted: UInt32, length: UInt32)] {
        let sorted = impacts.sorted { $0.weighted != $1.weighted ? $0.weighted > $1.weighted : $0.length < $1.length }
        var kept: [(weighted: UInt32, length: UInt32)] = []
        for impact in sorted where impact.length < (kept.last?.length ?? .max) { kept.append(impact) }
        return kept
    }
}

/// What a segment knows of one document.
struct SegmentDoc {
    var key: PaperKey
    var id: String
    var featuredMillis: Int64
    var length: UInt32
    /// What was indexed of the paper (``SegmentDoc/contentHash(_:)``): a change that leaves it equal (a vote) needs
    /// no re-indexing.
    var hash: UInt64

    /// A hash of every field the index reads of a paper.
    static func contentHash(_ paper: IndexablePaper) -> UInt64 {
        var sum = IndexFileChecksum()
        for field in [paper.id.rawValue, paper.title, paper.authors.joined(separator: "\n"), paper.abstract]
            + paper.categories
        {
            var text = field
            text.withUTF8 { sum.update(UnsafeRawBufferPointer($0)) }
            withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { sum.update($0) }
        }
        withUnsafeBytes(of: Millis.of(paper.featuredAt).littleEndian) { sum.update($0) }
        return sum.value
    }
}

/// Builds a segment from papers (tokenised here) or from other segments' postings (a merge).
struct SegmentBuilder {
    private(set) var docs: [SegmentDoc] = []
    private var termIDs: [String: Int32] = [:]
    private var terms: [String] = []
    private var postings: [TermPostingsWriter] = []
    private var tokens: UInt64 = 0

    var count: Int { docs.count }

    init() {}

    /// Adds a paper as the next document.
    mutating func add(_ paper: IndexablePaper) {
        let doc = UInt32(docs.count)
        // (term, field, position) of every token, then grouped by term.
        var occurrences: [(term: Int32, field: UInt8, position: UInt32)] = []
        occurrences.reserveCapacity(256)
        var length: UInt32 = 0
        func collect(_ text: String, field: UInt8) {
            var position: UInt32 = 0
            KeywordTokenizer.forEachTerm(in: text) { term, _ in
                occurrences.append((termID(term), field, position))
                position &+= 1
            }
            length &+= position
        }
        collect(paper.title, field: 0)
        collect(paper.authors.joined(separator: "\n"), field: 1)
        collect(paper.abstract, field: 2)
        occurrences.sort { a, b in
            a.term != b.term ? a.term < b.term : a.field != b.field ? a.field < b.field : a.position < b.position
        }
        var i = 0
        while i < occurrences.count {
            let term = occurrences[i].term
            var input = PostingInput(doc: doc, title: 0, authors: 0, abstract: 0, length: length, positions: [])
            while i < occurrences.count, occurrences[i].term == term {
                switch occurrences[i].field {
                case 0: input.title += 1
                case 1: input.authors += 1
                default: input.abstract += 1
                }
                input.positions.append(occurrences[i].position)
                i += 1
            }
            postings[Int(term)].append(input)
        }
        for category in Set(paper.categories) {
            let id = termID(SegmentLayout.categoryPrefix + category)
            postings[Int(id)].append(
                PostingInput(doc: doc, title: 0, authors: 0, abstract: 0, length: length, positions: []))
        }
        tokens += UInt64(length)
        docs.append(
            SegmentDoc(
                key: paper.key, id: paper.id.rawValue, featuredMillis: Millis.of(paper.featuredAt), length: length,
                hash: SegmentDoc.contentHash(paper)))
    }

    private mutating func termID(_ term: String) -> Int32 {
        if let id = termIDs[term] { return id }
        let id = Int32(terms.count)
        termIDs[term] = id
        terms.append(term)
        postings.append(TermPostingsWriter())
        return id
    }

    /// Adds a document read from another segment (a merge); its postings follow through ``addPosting(term:_:)``.
    mutating func addDocument(_ doc: SegmentDoc) {
        docs.append(doc)
        tokens += UInt64(doc.length)
    }

    /// Adds a posting for a term; documents of one term must come in increasing order.
    mutating func addPosting(term: String, _ posting: PostingInput) {
        postings[Int(termID(term))].append(posting)
    }

    /// The segment's bytes.
    func build() -> [UInt8] {
        var w = ByteWriter()
        w.u64(SegmentLayout.magic)
        w.u32(UInt32(docs.count))
        w.u32(UInt32(terms.count))
        w.u64(tokens)
        w.u64(0)  // checksum, patched below
        let sectionTable = w.bytes.count
        for _ in 0..<SegmentLayout.sectionCount { w.u64(0) }
        while w.bytes.count < SegmentLayout.headerSize { w.bytes.append(0) }
        var sections: [UInt64] = []
        func section() {
            w.align(8)
            sections.append(UInt64(w.bytes.count))
        }
        section()
        for d in docs { w.i64(d.key) }
        section()
        for d in docs { w.i64(d.featuredMillis) }
        section()
        for d in docs { w.u32(d.length) }
        section()
        for d in docs { w.u64(d.hash) }
        section()
        var idBytes: [UInt8] = []
        for d in docs {
            w.u32(UInt32(idBytes.count))
            idBytes.append(contentsOf: d.id.utf8)
        }
        w.u32(UInt32(idBytes.count))
        section()
        w.bytes.append(contentsOf: idBytes)
        let byKey = docs.indices.sorted { docs[$0].key < docs[$1].key }
        section()
        for i in byKey { w.i64(docs[i].key) }
        section()
        for i in byKey { w.u32(UInt32(i)) }
        let utf8Terms = terms.map { Array($0.utf8) }
        let order = terms.indices.sorted { utf8Terms[$0].lexicographicallyPrecedes(utf8Terms[$1]) }
        section()
        var termBytes: [UInt8] = []
        for i in order {
            w.u32(UInt32(termBytes.count))
            termBytes.append(contentsOf: utf8Terms[i])
        }
        w.u32(UInt32(termBytes.count))
        section()
        w.bytes.append(contentsOf: termBytes)
        // Postings and positions are laid out in term order; infos point into them.
        var postingsBytes: [UInt8] = []
        var positionBytes: [UInt8] = []
        section()
        for i in order {
            var p = postings[i]
            p.finish()
            w.u32(p.df)
            w.u32(p.blocks)
            w.u64(UInt64(postingsBytes.count))
            w.u64(UInt64(positionBytes.count))
            postingsBytes.append(contentsOf: p.table)
            postingsBytes.append(contentsOf: p.data)
            positionBytes.append(contentsOf: p.positions)
        }
        section()
        w.bytes.append(contentsOf: postingsBytes)
        section()
        w.bytes.append(contentsOf: positionBytes)
        w.align(8)
        for (i, offset) in sections.enumerated() { w.patchU64(at: sectionTable + 8 * i, offset) }
        let sum = w.bytes.withUnsafeBytes { raw -> UInt64 in
            var checksum = IndexFileChecksum()
            checksum.update(UnsafeRawBufferPointer(rebasing: raw[SegmentLayout.headerSize...]))
            return checksum.value
        }
        w.patchU64(at: 24, sum)
        return w.bytes
    }
}
