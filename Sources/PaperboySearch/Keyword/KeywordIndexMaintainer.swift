import Foundation
import Logging
import PaperboyCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps a ``KeywordSearchIndex`` current from the store's change sequence, and its segments in a directory:
///
/// - Changes (from any process: an ingest beside the server, a moderator hiding a paper) are read by polling
///   ``PaperChangeFeed``; each batch becomes a small segment in memory, and the older version of each changed paper
///   is deleted from the segment that held it (a bitset).
/// - ``flush()`` writes the segments that are only in memory as files (`seg-N.kws`, checksummed, mapped into
///   memory afterwards), the deletions (`del-N.bin`) and then `manifest.json`, which names them with the change
///   sequence they include; each file is written aside and renamed, so a process killed at any point leaves the
///   previous manifest whole. Files no manifest names are removed at the next start.
/// - A restart maps the files and reads only the changes after the manifest's sequence. A manifest of another store,
///   one ahead of the store, or a missing or damaged file makes the index rebuild from the store (logged), never a
///   crash.
/// - Small segments are merged into one when there are several, and a segment with many deleted documents is
///   rewritten without them.
///
/// One process writes a directory at a time: a writer holds `lock` (an advisory `flock`); a second one is refused
/// with ``KeywordIndexError/locked(directory:)``. A reader (`writable: false`) maps the files and keeps its later
/// changes in memory only.
public actor KeywordIndexMaintainer {
    public nonisolated let index: KeywordSearchIndex
    let feed: any PaperChangeFeed
    let directory: URL?
    let writable: Bool
    let logger: Logger
    private var entries: [Entry] = []
    private var sequence: Int64 = 0
    private var identity = ""
    private var unsaved = false
    private var lockDescriptor: Int32 = -1
    private var nextNumber = 1
    /// Papers read in one catch-up before a segment is sealed and searchable.
    var sealEvery = 250_000
    /// Small segments (all but the largest) that trigger a merge.
    var mergeAt = 6

    struct Entry {
        var segment: Segment
        var deleted: DocBitset
        var file: String?
    }

    /// Opens the index of `directory` (nil: memory only), checks it against the store and reads the changes since
    /// it was written.
    public init(
        directory: URL?, feed: any PaperChangeFeed, papers: any KeyedPapers, writable: Bool = true,
        logger: Logger = Logger(label: "paperboy.keyword")
    ) async throws {
        index = KeywordSearchIndex(papers: papers)
        self.feed = feed
        self.directory = directory
        self.writable = writable && directory != nil
        self.logger = logger
        identity = try await feed.storeIdentity()
        if let directory {
            if self.writable {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try lock(directory)
            }
            load(directory)
        }
        publish()
    }

    deinit {
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    public var changeSequence: Int64 { sequence }
    public var hasUnsavedChanges: Bool { unsaved }

    private func lock(_ directory: URL) throws {
        let path = directory.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw KeywordIndexError.io(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw KeywordIndexError.locked(directory: directory.path)
        }
        lockDescriptor = fd
    }

    /// Releases the directory (after a last ``flush()``).
    public func shutDown() throws {
        try flush()
        if lockDescriptor >= 0 {
            close(lockDescriptor)
            lockDescriptor = -1
        }
    }

    private func publish() {
        index.publish(
            KeywordSnapshot(segments: entries.map(\.segment), deleted: entries.map(\.deleted), sequence: sequence))
    }

    // MARK: Changes

    /// Reads every change after the index's sequence into a new segment, searchable when this returns; returns how
    /// many papers changed. With `seal` false (a bulk load followed while it runs), the papers wait in the open
    /// segment for the next call that seals.
    @discardableResult
    public func catchUp(seal: Bool = true) async throws -> Int {
        let latest = try await feed.latestPaperChange()
        if latest < sequence {
            // The store went back (a restored copy): what the index holds may not be in it.
            logger.warning(
                "the store's change sequence is behind the keyword index; rebuilding it",
                metadata: ["index.sequence": "\(sequence)", "store.sequence": "\(latest)"])
            entries = []
            unsealed = OpenSegment()
            sequence = 0
            unsaved = true
        }
        var changed = 0
        while true {
            let batch = try await feed.paperChanges(after: sequence, limit: 5_000)
            if batch.papers.isEmpty || batch.last <= sequence { break }
            for paper in batch.papers {
                // A change that leaves what the index holds as it was (a vote, a summary) costs nothing.
                if !paper.isHidden, isCurrent(paper) { continue }
                delete(paper.key)
                if let old = unsealed.pending.removeValue(forKey: paper.key) { unsealed.dropped.append(old) }
                if !paper.isHidden {
                    unsealed.pending[paper.key] = unsealed.builder.count
                    unsealed.builder.add(paper)
                }
            }
            changed += batch.papers.count
            sequence = batch.last
            unsaved = true
            if unsealed.builder.count >= sealEvery { sealOpenSegment() }
        }
        if seal {
            sealOpenSegment()
            if changed > 0 { publish() }
        }
        return changed
    }

    /// Papers read but not yet in a searchable segment.
    struct OpenSegment {
        var builder = SegmentBuilder()
        /// Document of each key in the builder.
        var pending: [PaperKey: Int] = [:]
        /// Documents of the builder replaced by a later change.
        var dropped: [Int] = []
    }

    private var unsealed = OpenSegment()

    private func sealOpenSegment() {
        guard unsealed.builder.count > 0 else { return }
        seal(unsealed.builder, dropped: unsealed.dropped)
        unsealed = OpenSegment()
        publish()
    }

    /// Whether the index holds this very version of the paper (searchable, or waiting in the open segment).
    private func isCurrent(_ paper: IndexablePaper) -> Bool {
        let hash = SegmentDoc.contentHash(paper)
        if let doc = unsealed.pending[paper.key] { return unsealed.builder.docs[doc].hash == hash }
        for e in entries.reversed() {
            if let doc = e.segment.doc(forKey: paper.key), !e.deleted.contains(doc) {
                return e.segment.hash(doc) == hash
            }
        }
        return false
    }

    /// Deletes the current version of a paper, wherever it is.
    private func delete(_ key: PaperKey) {
        for i in entries.indices {
            if let doc = entries[i].segment.doc(forKey: key), !entries[i].deleted.contains(doc) {
                entries[i].deleted.insert(doc)
            }
        }
    }

    private func seal(_ builder: SegmentBuilder, dropped: [Int]) {
        let bytes = SegmentBytes(copying: builder.build())
        do {
            let segment = try Segment(bytes: bytes, path: "memory")
            var deleted = DocBitset(documents: segment.docCount)
            for doc in dropped { deleted.insert(doc) }
            entries.append(Entry(segment: segment, deleted: deleted, file: nil))
        } catch {
            // A segment just built always reads back; if not, the bug must not take searches down.
            logger.error("a new keyword segment did not read back", metadata: ["error.message": "\(error)"])
        }
    }

    // MARK: Merging

    /// Merges small segments into one when there are ``mergeAt`` of them, and rewrites a segment whose deleted
    /// documents are a quarter or more of it. Returns whether anything was merged.
    @discardableResult
    public func mergeIfNeeded() -> Bool {
        guard entries.count > 1 else {
            if let only = entries.first, only.deleted.count > 0, only.deleted.count * 4 >= only.segment.docCount {
                merge([0])
                return true
            }
            return false
        }
        let largest = entries.indices.max { entries[$0].segment.docCount < entries[$1].segment.docCount } ?? 0
        let small = entries.indices.filter { $0 != largest }
        if small.count >= mergeAt - 1 {
            merge(small)
            return true
        }
        if let heavy = entries.indices.first(where: {
            entries[$0].deleted.count > 0 && entries[$0].deleted.count * 4 >= entries[$0].segment.docCount
        }) {
            merge([heavy])
            return true
        }
        return false
    }

    /// Replaces the segments at `indices` (in order) by one holding their live documents.
    func merge(_ indices: [Int]) {
        let chosen = indices.sorted()
        logger.info(
            "merging keyword segments",
            metadata: [
                "merge.segments": "\(chosen.count)",
                "merge.documents":
                    "\(chosen.reduce(0) { $0 + entries[$1].segment.docCount - entries[$1].deleted.count })",
            ])
        var builder = SegmentBuilder()
        var remap: [[UInt32]] = []
        for i in chosen {
            let e = entries[i]
            var map = [UInt32](repeating: .max, count: e.segment.docCount)
            for doc in 0..<e.segment.docCount where !e.deleted.contains(doc) {
                map[doc] = UInt32(builder.count)
                builder.addDocument(
                    SegmentDoc(
                        key: e.segment.key(doc), id: e.segment.id(doc), featuredMillis: e.segment.featured(doc),
                        length: e.segment.length(doc), hash: e.segment.hash(doc)))
            }
            remap.append(map)
        }
        for (n, i) in chosen.enumerated() {
            let segment = entries[i].segment
            for term in 0..<segment.termCount {
                let name = segment.term(term)
                var cursor = PostingCursor(segment: segment, term: term)
                while cursor.doc != PostingCursor.end {
                    let doc = Int(cursor.doc)
                    if doc < remap[n].count, remap[n][doc] != .max {
                        let places = cursor.positions()
                        builder.addPosting(
                            term: name,
                            PostingInput(
                                doc: remap[n][doc], title: cursor.title, authors: cursor.authors,
                                abstract: cursor.abstract, length: segment.length(doc),
                                positions: places.map(\.position)))
                    }
                    cursor.next()
                }
            }
        }
        let merged = SegmentBytes(copying: builder.build())
        do {
            let segment = try Segment(bytes: merged, path: "memory")
            let entry = Entry(segment: segment, deleted: DocBitset(documents: segment.docCount), file: nil)
            let first = chosen[0]
            for i in chosen.reversed() { entries.remove(at: i) }
            entries.insert(entry, at: min(first, entries.count))
            unsaved = true
            publish()
            logger.info(
                "merged keyword segments",
                metadata: ["merge.segments": "\(chosen.count)", "merge.documents": "\(segment.docCount)"])
        } catch {
            logger.error("a merged keyword segment did not read back", metadata: ["error.message": "\(error)"])
        }
    }

    // MARK: Files

    struct Manifest: Codable {
        var format: Int
        var identity: String
        var sequence: Int64
        var segments: [String]
        var deletions: String
        var next: Int
    }

    /// 2: postings carry their shape (``PostingShape``); 3: blocks carry their impacts. An older index is rebuilt.
    static let format = 3

    /// Writes what is only in memory, then the manifest that names it all. A reader or a memory-only index does
    /// nothing.
    public func flush() throws {
        guard writable, unsaved, let directory else { return }
        sealOpenSegment()
        for i in entries.indices where entries[i].file == nil {
            let name = "seg-\(nextNumber).kws"
            nextNumber += 1
            let url = directory.appendingPathComponent(name)
            let segment = entries[i].segment
            try Self.writeFile(
                UnsafeRawBufferPointer(start: segment.bytes.base, count: segment.bytes.count), to: url)
            entries[i].segment = try Segment(bytes: SegmentBytes(mapping: url.path), path: url.path)
            entries[i].file = name
        }
        let deletions = "del-\(nextNumber).bin"
        nextNumber += 1
        var w = ByteWriter()
        w.u32(UInt32(entries.count))
        for e in entries {
            w.u32(UInt32(e.deleted.words.count))
            for word in e.deleted.words { w.u64(word) }
        }
        var sum = IndexFileChecksum()
        w.bytes.withUnsafeBytes { sum.update($0) }
        w.u64(sum.value)
        try w.bytes.withUnsafeBytes { try Self.writeFile($0, to: directory.appendingPathComponent(deletions)) }
        let manifest = Manifest(
            format: Self.format, identity: identity, sequence: sequence, segments: entries.compactMap(\.file),
            deletions: deletions, next: nextNumber)
        let data = try JSONEncoder().encode(manifest)
        try data.withUnsafeBytes { try Self.writeFile($0, to: directory.appendingPathComponent("manifest.json")) }
        unsaved = false
        removeUnnamedFiles(directory, keeping: Set(manifest.segments + [deletions]))
        publish()
    }

    /// Writes bytes beside the target, syncs them and renames them into place.
    static func writeFile(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let temporary = url.path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw KeywordIndexError.io(path: temporary, reason: String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let n = write(fd, base + written, bytes.count - written)
            if n <= 0 {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw KeywordIndexError.io(path: temporary, reason: reason)
            }
            written += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw KeywordIndexError.io(path: url.path, reason: reason)
        }
    }

    private func removeUnnamedFiles(_ directory: URL, keeping: Set<String>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name != "manifest.json" && name != "lock" && !keeping.contains(name) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// Reads the manifest and its files; anything wrong leaves the index empty, to be rebuilt from the store.
    private func load(_ directory: URL) {
        let manifestURL = directory.appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: manifestURL.path) else {
            if writable { removeUnnamedFiles(directory, keeping: []) }
            return
        }
        do {
            let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: manifestURL))
            guard manifest.format == Self.format else {
                throw KeywordIndexError.otherFormat(
                    path: manifestURL.path, found: manifest.format, expected: Self.format)
            }
            guard manifest.identity == identity else {
                throw KeywordIndexError.otherStore(path: manifestURL.path)
            }
            var loaded: [Entry] = []
            for name in manifest.segments {
                let path = directory.appendingPathComponent(name).path
                let segment = try Segment(bytes: SegmentBytes(mapping: path), path: path)
                loaded.append(Entry(segment: segment, deleted: DocBitset(documents: segment.docCount), file: name))
            }
            let deletionsPath = directory.appendingPathComponent(manifest.deletions).path
            let data = try Data(contentsOf: URL(fileURLWithPath: deletionsPath))
            let bitsets = try Self.readDeletions(data, path: deletionsPath)
            guard bitsets.count == loaded.count else {
                throw KeywordIndexError.corrupt(
                    path: deletionsPath, reason: "\(bitsets.count) bitsets for \(loaded.count) segments")
            }
            for i in loaded.indices {
                guard bitsets[i].count <= (loaded[i].segment.docCount + 63) / 64 else {
                    throw KeywordIndexError.corrupt(path: deletionsPath, reason: "a bitset longer than its segment")
                }
                var words = bitsets[i]
                words += [UInt64](repeating: 0, count: (loaded[i].segment.docCount + 63) / 64 - words.count)
                loaded[i].deleted = DocBitset(words: words)
            }
            entries = loaded
            sequence = manifest.sequence
            nextNumber = max(manifest.next, 1)
            if writable { removeUnnamedFiles(directory, keeping: Set(manifest.segments + [manifest.deletions])) }
            logger.info(
                "opened the keyword index",
                metadata: [
                    "index.directory": "\(directory.path)", "index.sequence": "\(sequence)",
                    "index.segments": "\(entries.count)",
                ])
        } catch {
            logger.warning(
                "the keyword index cannot be used; rebuilding it from the store",
                metadata: ["index.directory": "\(directory.path)", "error.message": "\(error)"])
            entries = []
            sequence = 0
            unsaved = true
            if writable { removeUnnamedFiles(directory, keeping: []) }
        }
    }

    static func readDeletions(_ data: Data, path: String) throws -> [[UInt64]] {
        let bytes = [UInt8](data)
        func corrupt(_ reason: String) -> KeywordIndexError { .corrupt(path: path, reason: reason) }
        guard bytes.count >= 12 else { throw corrupt("too short") }
        let body = bytes.count - 8
        var sum = IndexFileChecksum()
        bytes.withUnsafeBytes { sum.update(UnsafeRawBufferPointer(rebasing: $0[0..<body])) }
        let stored = bytes.withUnsafeBytes {
            UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: body, as: UInt64.self))
        }
        guard stored == sum.value else { throw corrupt("checksum mismatch") }
        var offset = 0
        func u32() throws -> UInt32 {
            guard offset + 4 <= body else { throw corrupt("truncated") }
            defer { offset += 4 }
            return bytes.withUnsafeBytes {
                UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            }
        }
        var result: [[UInt64]] = []
        let segments = try u32()
        for _ in 0..<segments {
            let count = Int(try u32())
            guard count <= (body - offset) / 8 else { throw corrupt("truncated") }
            var words: [UInt64] = []
            words.reserveCapacity(count)
            for _ in 0..<count {
                words.append(
                    bytes.withUnsafeBytes {
                        UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    })
                offset += 8
            }
            result.append(words)
        }
        return result
    }
}
