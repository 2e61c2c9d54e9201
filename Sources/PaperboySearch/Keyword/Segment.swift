import Foundation
import PaperboyCore

/// An immutable keyword segment read in place (see ``SegmentLayout``): documents, their terms' postings with
/// block maxima, and positions.
final class Segment: Sendable {
    let bytes: SegmentBytes
    let docCount: Int
    let termCount: Int
    let tokens: UInt64
    let checksum: UInt64
    private let sections: [Int]

    /// Reads and checks a segment: the header, the section bounds and the checksum of everything after the header.
    init(bytes: SegmentBytes, path: String) throws {
        func corrupt(_ reason: String) -> KeywordIndexError { .corrupt(path: path, reason: reason) }
        guard bytes.count >= SegmentLayout.headerSize, bytes.u64(0) == SegmentLayout.magic else {
            throw corrupt("not a keyword segment (bad magic)")
        }
        self.bytes = bytes
        docCount = Int(bytes.u32(8))
        termCount = Int(bytes.u32(12))
        tokens = bytes.u64(16)
        checksum = bytes.u64(24)
        var sections: [Int] = []
        for i in 0..<SegmentLayout.sectionCount {
            let offset = bytes.u64(32 + 8 * i)
            guard offset <= UInt64(bytes.count), offset >= UInt64(SegmentLayout.headerSize),
                offset >= UInt64(sections.last ?? 0)
            else { throw corrupt("section \(i) at \(offset) is out of order or past the end (\(bytes.count) bytes)") }
            sections.append(Int(offset))
        }
        self.sections = sections
        // The fixed-size sections must hold what the header says.
        let n = docCount
        let t = termCount
        let expected: [(SegmentLayout.Section, Int)] = [
            (.keys, 8 * n), (.featured, 8 * n), (.lengths, 4 * n), (.hashes, 8 * n), (.idOffsets, 4 * (n + 1)),
            (.sortedKeys, 8 * n),
            (.sortedDocs, 4 * n), (.termOffsets, 4 * (t + 1)), (.termInfos, SegmentLayout.termInfoSize * t),
        ]
        for (section, size) in expected {
            let start = sections[section.rawValue]
            let end = section.rawValue + 1 < sections.count ? sections[section.rawValue + 1] : bytes.count
            guard end - start >= size else { throw corrupt("section \(section) is shorter than its \(size) bytes") }
        }
        guard bytes.checksum() == checksum else { throw corrupt("checksum mismatch") }
    }

    @inline(__always) func offset(_ section: SegmentLayout.Section) -> Int { sections[section.rawValue] }

    @inline(__always) func key(_ doc: Int) -> PaperKey { bytes.i64(offset(.keys) + 8 * doc) }
    @inline(__always) func featured(_ doc: Int) -> Int64 { bytes.i64(offset(.featured) + 8 * doc) }
    @inline(__always) func length(_ doc: Int) -> UInt32 { bytes.u32(offset(.lengths) + 4 * doc) }
    @inline(__always) func hash(_ doc: Int) -> UInt64 { bytes.u64(offset(.hashes) + 8 * doc) }

    /// The arXiv id of a document, as bytes.
    func idBytes(_ doc: Int) -> UnsafeRawBufferPointer {
        let table = offset(.idOffsets)
        let start = Int(bytes.u32(table + 4 * doc))
        let end = Int(bytes.u32(table + 4 * (doc + 1)))
        let base = offset(.idBytes)
        let limit = offset(.sortedKeys) - base
        let s = min(start, limit)
        let e = max(s, min(end, limit))
        return UnsafeRawBufferPointer(start: bytes.base + base + s, count: e - s)
    }

    func id(_ doc: Int) -> String { String(decoding: idBytes(doc), as: UTF8.self) }

    /// The document of a key, if this segment has it.
    func doc(forKey key: PaperKey) -> Int? {
        let keys = offset(.sortedKeys)
        var low = 0
        var high = docCount
        while low < high {
            let mid = (low + high) / 2
            if bytes.i64(keys + 8 * mid) < key { low = mid + 1 } else { high = mid }
        }
        guard low < docCount, bytes.i64(keys + 8 * low) == key else { return nil }
        let doc = Int(bytes.u32(offset(.sortedDocs) + 4 * low))
        return doc < docCount ? doc : nil
    }

    func termBytes(_ index: Int) -> UnsafeRawBufferPointer {
        let table = offset(.termOffsets)
        let base = offset(.termBytes)
        let limit = offset(.termInfos) - base
        let start = min(Int(bytes.u32(table + 4 * index)), limit)
        let end = max(start, min(Int(bytes.u32(table + 4 * (index + 1))), limit))
        return UnsafeRawBufferPointer(start: bytes.base + base + start, count: end - start)
    }

    func term(_ index: Int) -> String { String(decoding: termBytes(index), as: UTF8.self) }

    /// The first term index whose bytes are not less than `key`.
    private func lowerBound(_ key: [UInt8]) -> Int {
        var low = 0
        var high = termCount
        while low < high {
            let mid = (low + high) / 2
            if termBytes(mid).lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func termIndex(_ term: String) -> Int? {
        let key = Array(term.utf8)
        let i = lowerBound(key)
        guard i < termCount, termBytes(i).elementsEqual(key) else { return nil }
        return i
    }

    /// Indexes of the terms that start with `prefix`.
    func terms(withPrefix prefix: String) -> Range<Int> {
        let key = Array(prefix.utf8)
        let start = lowerBound(key)
        var end = start
        while end < termCount, termBytes(end).starts(with: key) { end += 1 }
        return start..<end
    }

    struct TermInfo {
        var df: Int
        var blocks: Int
        var table: Int
        var data: Int
        var dataEnd: Int
        var positions: Int
        var positionsEnd: Int
    }

    func info(_ index: Int) -> TermInfo {
        let at = offset(.termInfos) + SegmentLayout.termInfoSize * index
        let postings = offset(.postings)
        let positions = offset(.positions)
        let postingsEnd = positions
        let positionsEnd = bytes.count
        let table = min(postings + Int(truncatingIfNeeded: bytes.u64(at + 8)), postingsEnd)
        let blocks = min(Int(bytes.u32(at + 4)), (postingsEnd - table) / SegmentLayout.blockEntrySize)
        let data = table + blocks * SegmentLayout.blockEntrySize
        var dataEnd = postingsEnd
        var positionsEndOfTerm = positionsEnd
        if index + 1 < termCount {
            let next = offset(.termInfos) + SegmentLayout.termInfoSize * (index + 1)
            dataEnd = max(data, min(postings + Int(truncatingIfNeeded: bytes.u64(next + 8)), postingsEnd))
            positionsEndOfTerm = min(positions + Int(truncatingIfNeeded: bytes.u64(next + 16)), positionsEnd)
        }
        let positionsStart = min(positions + Int(truncatingIfNeeded: bytes.u64(at + 16)), positionsEnd)
        return TermInfo(
            df: Int(bytes.u32(at)), blocks: blocks, table: table, data: data, dataEnd: dataEnd,
            positions: positionsStart, positionsEnd: max(positionsStart, positionsEndOfTerm))
    }
}

/// Walks one term's postings in a segment, a block (128 documents) at a time, skipping whole blocks by their
/// last document.
struct PostingCursor {
    static let end = UInt32.max

    let segment: Segment
    let info: Segment.TermInfo
    private(set) var block = -1
    private(set) var doc: UInt32 = 0
    private var index = 0
    private var count = 0
    private var docs: [UInt32]
    private var counts: [UInt32]  // title, authors, abstract per document
    // Positions of the current block: where the next undecoded document's positions start.
    private var positionsOffset = 0
    private var positionsIndex = 0

    init(segment: Segment, term: Int) {
        self.segment = segment
        info = segment.info(term)
        docs = [UInt32](repeating: 0, count: SegmentLayout.blockSize)
        counts = [UInt32](repeating: 0, count: 3 * SegmentLayout.blockSize)
        load(0)
    }

    @inline(__always) func blockLast(_ b: Int) -> UInt32 {
        segment.bytes.u32(info.table + SegmentLayout.blockEntrySize * b)
    }

    @inline(__always) func blockMaxWeighted(_ b: Int) -> UInt32 {
        segment.bytes.u32(info.table + SegmentLayout.blockEntrySize * b + 4)
    }

    @inline(__always) func blockMinLength(_ b: Int) -> UInt32 {
        segment.bytes.u32(info.table + SegmentLayout.blockEntrySize * b + 8)
    }

    /// The best BM25 part (before IDF) any document of block `b` gets, from the block's impacts.
    func blockMaxPart(_ b: Int, avgdl: Double) -> Double {
        let base = segment.bytes.base
        var offset = info.data + Int(segment.bytes.u32(info.table + SegmentLayout.blockEntrySize * b + 12))
        let end = info.dataEnd
        let count = min(Int(VarInt.read(base, &offset, end: end)), SegmentLayout.blockSize)
        var best = 0.0
        for _ in 0..<count {
            let weighted = VarInt.read(base, &offset, end: end)
            let length = VarInt.read(base, &offset, end: end)
            best = max(best, KeywordScoring.part(weighted, length: length, avgdl: avgdl))
        }
        return best
    }

    var title: UInt32 { counts[3 * index] }
    var authors: UInt32 { counts[3 * index + 1] }
    var abstract: UInt32 { counts[3 * index + 2] }

    private mutating func load(_ b: Int) {
        block = b
        index = 0
        guard b < info.blocks else {
            doc = Self.end
            count = 0
            return
        }
        let entry = info.table + SegmentLayout.blockEntrySize * b
        let bytes = segment.bytes
        var offset = info.data + Int(bytes.u32(entry + 12))
        let end = info.dataEnd
        count = min(Int(bytes.u32(entry + 20)), SegmentLayout.blockSize)
        positionsOffset = min(info.positions + Int(bytes.u32(entry + 16)), info.positionsEnd)
        positionsIndex = 0
        var previous: Int64 = b == 0 ? -1 : Int64(blockLast(b - 1))
        let base = bytes.base
        // Past the block's impacts.
        let impacts = min(Int(VarInt.read(base, &offset, end: end)), SegmentLayout.blockSize)
        for _ in 0..<(2 * impacts) { _ = VarInt.read(base, &offset, end: end) }
        for i in 0..<count {
            let code = VarInt.read64(base, &offset, end: end)
            previous += Int64(truncatingIfNeeded: code >> 3 & 0xFFFF_FFFF)
            docs[i] = UInt32(truncatingIfNeeded: previous)
            var title: UInt32 = 0
            var authors: UInt32 = 0
            var abstract: UInt32 = 0
            switch code & 7 {
            case PostingShape.abstractOnce: abstract = 1
            case PostingShape.abstractOnly: abstract = VarInt.read(base, &offset, end: end)
            case PostingShape.titleOnce: title = 1
            case PostingShape.authorsOnce: authors = 1
            case PostingShape.none: break
            case PostingShape.titleOnceAndAbstract:
                title = 1
                abstract = VarInt.read(base, &offset, end: end)
            case PostingShape.titleAndAbstract:
                title = VarInt.read(base, &offset, end: end)
                abstract = VarInt.read(base, &offset, end: end)
            default:
                title = VarInt.read(base, &offset, end: end)
                authors = VarInt.read(base, &offset, end: end)
                abstract = VarInt.read(base, &offset, end: end)
            }
            counts[3 * i] = title
            counts[3 * i + 1] = authors
            counts[3 * i + 2] = abstract
        }
        doc = count > 0 ? docs[0] : Self.end
        if count == 0 { block = info.blocks }
    }

    mutating func next() {
        index += 1
        if index < count { doc = docs[index] } else { load(block + 1) }
    }

    /// Moves to the first document of block `b` (past the end when `b` is), decoding only that block.
    mutating func jump(toBlock b: Int) {
        guard b > block else { return }
        load(min(b, info.blocks))
    }

    /// Moves to the first document at or after `target`.
    mutating func advance(to target: UInt32) {
        guard doc < target else { return }
        if blockLast(block) < target {
            var b = block + 1
            // Gallop, then search, over the block table.
            var step = 1
            while b + step < info.blocks, blockLast(b + step) < target {
                b += step
                step *= 2
            }
            var high = min(b + step, info.blocks)
            while b < high {
                let mid = (b + high) / 2
                if blockLast(mid) < target { b = mid + 1 } else { high = mid }
            }
            load(b)
        }
        while doc < target {
            index += 1
            if index < count { doc = docs[index] } else { load(block + 1) }
        }
    }

    /// The block that would hold `target` (without decoding it), from the current block on; `info.blocks` past the
    /// end.
    func blockHolding(_ target: UInt32) -> Int {
        var b = max(block, 0)
        while b < info.blocks, blockLast(b) < target { b += 1 }
        return b
    }

    /// Positions of the current document as `field << 28 | position`, in increasing order, written into `buffer`
    /// (emptied first, its storage kept): no allocation per document once the buffer has grown.
    mutating func positions(into buffer: inout [UInt32]) {
        buffer.removeAll(keepingCapacity: true)
        let base = segment.bytes.base
        let end = info.positionsEnd
        while positionsIndex < index {
            let skip = counts[3 * positionsIndex] + counts[3 * positionsIndex + 1] + counts[3 * positionsIndex + 2]
            for _ in 0..<skip { _ = VarInt.read(base, &positionsOffset, end: end) }
            positionsIndex += 1
        }
        for field in 0..<3 {
            var last: UInt32 = 0
            for j in 0..<counts[3 * index + field] {
                let v = VarInt.read(base, &positionsOffset, end: end)
                last = j == 0 ? v : last &+ v
                buffer.append(UInt32(field) << 28 | (last & 0x0FFF_FFFF))
            }
        }
        positionsIndex += 1
    }

    /// Positions of the current document: (field, position) in order.
    mutating func positions() -> [(field: UInt8, position: UInt32)] {
        var places: [UInt32] = []
        positions(into: &places)
        return places.map { (UInt8($0 >> 28), $0 & 0x0FFF_FFFF) }
    }
}
