import Foundation
import PaperboyCore

/// The entry points of the fuzz targets in `Fuzz/`, shared with the test that replays their saved corpora
/// (`Tests/Fixtures/fuzz/<target>/`), so the two cannot drift apart. Each feeds arbitrary bytes through a
/// parser the way a file or a response reaches it and returns the broken promises it finds in the result
/// (empty when all is well); a fuzz target stops on any.
public enum FuzzEntry {
    public enum Target: String, CaseIterable, Sendable {
        /// A JSON lines file (or a gzip of one) through the line splitter and ``SnapshotParser``.
        case snapshot
        /// An OAI-PMH response (`arXivRaw` or `arXiv` records) through ``OAIParser``.
        case oai
        /// An arXiv API Atom feed through ``AtomParser``.
        case atom
        /// A search box's text through `SearchQuery(parsing:)` of PaperboyCore.
        case query
        /// A name or author list through ``Normalize/decodeTeX(_:)`` and ``Normalize/splitAuthors(_:)``.
        case tex
        /// A comment's text through `CommentMarkdown.html(_:)` of PaperboyCore.
        case markdown
    }

    /// The moment dates are checked against while fuzzing: 2026-11-20T12:00:00Z.
    public static let now = Date(timeIntervalSince1970: 1_795_176_000)

    /// The line limit while fuzzing: small, so that over-long lines are reached.
    static let lineLimit = 512
    /// At most this much decompressed data is read from a gzip input while fuzzing.
    static let gzipLimit = 1 << 20

    /// Runs one input through a target's parser; returns what is wrong with the result.
    public static func run(_ target: Target, _ bytes: UnsafeRawBufferPointer) -> [String] {
        run(target, Array(bytes))
    }

    /// Runs one input through a target's parser; returns what is wrong with the result.
    public static func run(_ target: Target, _ bytes: [UInt8]) -> [String] {
        switch target {
        case .snapshot: return snapshot(bytes)
        case .oai:
            let response = OAIParser.parse(Data(bytes), now: now)
            var problems = response.records.flatMap(check)
            if let malformed = response.malformed { problems += checkReason(malformed) }
            for error in response.errors {
                problems += checkReason(error.description)
            }
            if let token = response.resumptionToken, token.token.isEmpty { problems.append("empty resumption token") }
            return problems
        case .atom:
            let feed = AtomParser.parse(Data(bytes), now: now)
            var problems = feed.records.flatMap(check)
            if let malformed = feed.malformed { problems += checkReason(malformed) }
            return problems
        case .query:
            let query = SearchQuery(parsing: String(decoding: bytes, as: UTF8.self))
            var problems: [String] = []
            if query.terms.contains(where: { $0.words.isEmpty }) || query.excluded.contains(where: { $0.words.isEmpty })
            {
                problems.append("a term without words")
            }
            _ = query.anyTerm
            _ = query.highlightWords
            return problems
        case .tex:
            let text = String(decoding: bytes, as: UTF8.self)
            var problems: [String] = []
            let decoded = Normalize.decodeTeX(text)
            if decoded != Normalize.collapseWhitespace(decoded) { problems.append("decoded name not collapsed") }
            if !decoded.unicodeScalars.elementsEqual(decoded.precomposedStringWithCanonicalMapping.unicodeScalars) {
                problems.append("decoded name not NFC")
            }
            for name in Normalize.splitAuthors(text) where name.isEmpty || name != Normalize.collapseWhitespace(name) {
                problems.append("author name \(RecordCheck.quoted(name)) empty or not collapsed")
            }
            return problems
        case .markdown:
            return markdown(bytes)
        }
    }

    static func snapshot(_ bytes: [UInt8]) -> [String] {
        var source: any ByteSource = MemorySource(bytes, chunkSize: 61)
        var problems: [String] = []
        do {
            if IngestFormat.detect(bytes.prefix(IngestFormat.prefixLength)) == .gzip {
                source = try GzipSource(source, file: "fuzz", chunkSize: 67)
            }
            var splitter = LineSplitter(limit: lineLimit)
            var total = 0
            while true {
                let chunk = try source.read()
                total += chunk.count
                splitter.feed(chunk) { _, line in
                    switch line {
                    case .tooLong: break
                    case .text(let text): problems += check(SnapshotParser.parse(line: text, now: now))
                    }
                    return true
                }
                if chunk.isEmpty || total > gzipLimit { break }
            }
            if splitter.peakBuffered > lineLimit + 1 + 67 {
                problems.append("line splitter held \(splitter.peakBuffered) bytes")
            }
        } catch {
            problems += checkReason(error.description)
        }
        return problems
    }

    /// The promises of a parsed record: a paper is normalised and within the limits; a reason is short and
    /// prints safely.
    static func check(_ record: ParsedRecord) -> [String] {
        switch record {
        case .deleted: return []
        case .rejected(let reason): return checkReason(reason)
        case .paper(let paper): return check(paper)
        }
    }

    static func checkReason(_ reason: String) -> [String] {
        var problems: [String] = []
        if reason.isEmpty { problems.append("empty reason") }
        if reason.unicodeScalars.count > 1200 { problems.append("reason of \(reason.unicodeScalars.count) characters") }
        if RecordCheck.firstControl(reason) != nil {
            problems.append("control character in reason \(reason.debugDescription)")
        }
        return problems
    }

    static func check(_ paper: Paper) -> [String] {
        var problems: [String] = []
        let id = paper.id.rawValue
        if PaperID(id) == nil { problems.append("id \(id.debugDescription) does not parse again") }
        if paper.title.isEmpty || paper.title != Normalize.collapseWhitespace(paper.title) {
            problems.append("\(id): title empty or not collapsed")
        }
        if paper.abstract != Normalize.collapseWhitespace(paper.abstract) {
            problems.append("\(id): abstract not collapsed")
        }
        if let reason = RecordCheck.controlCharacter(in: paper) { problems.append("\(id): \(reason)") }
        if paper.versions.isEmpty || paper.versions.count > IngestLimits.maxVersions {
            problems.append("\(id): \(paper.versions.count) versions")
        }
        let numbers = paper.versions.map(\.number)
        if numbers != numbers.sorted() || Set(numbers).count != numbers.count || numbers.contains(where: { $0 < 1 }) {
            problems.append("\(id): version numbers \(numbers)")
        }
        let earliest = IngestLimits.firstDay.start
        let latest = IngestLimits.firstTooLate(now: now)
        for date in paper.versions.map(\.submitted) + (paper.updated.map { [$0] } ?? [])
        where date < earliest || date >= latest {
            problems.append("\(id): date \(date.timeIntervalSince1970) out of range")
        }
        if paper.authors.count > IngestLimits.maxAuthors || paper.authors.contains(where: \.isEmpty) {
            problems.append("\(id): authors \(paper.authors.count), some empty")
        }
        if paper.categories.contains(where: \.isEmpty) || Set(paper.categories).count != paper.categories.count {
            problems.append("\(id): categories \(paper.categories)")
        }
        return problems
    }
}
