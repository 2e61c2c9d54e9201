import Foundation
import PaperboyCore

/// An OAI-PMH resumption token: where the next page of a list starts.
public struct OAIResumptionToken: Hashable, Sendable {
    public var token: String
    public var completeListSize: Int?
    public var cursor: Int?
    public var expirationDate: Date?

    public init(token: String, completeListSize: Int? = nil, cursor: Int? = nil, expirationDate: Date? = nil) {
        self.token = token
        self.completeListSize = completeListSize
        self.cursor = cursor
        self.expirationDate = expirationDate
    }
}

/// An OAI-PMH protocol error (`<error code="noRecordsMatch">…</error>`).
public struct OAIProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `badArgument`, `badResumptionToken`, `badVerb`, `cannotDisseminateFormat`, `idDoesNotExist`,
    /// `noRecordsMatch`, `noMetadataFormats`, `noSetHierarchy`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message.isEmpty ? "OAI-PMH error \(code)" : "OAI-PMH error \(code): \(message)" }
}

/// One OAI-PMH response (`ListRecords` or `GetRecord`) with `arXivRaw` or `arXiv` metadata.
public struct OAIResponse: Sendable {
    public var responseDate: Date?
    /// Every `<record>` in document order (deleted ones as ``ParsedRecord/deleted``).
    public var records: [ParsedRecord]
    /// The token for the next page; nil when the list is complete (no token, or an empty one).
    public var resumptionToken: OAIResumptionToken?
    /// Protocol errors the server reported.
    public var errors: [OAIProtocolError]
    /// Set when the document is not well-formed (records before the break are kept), or is no OAI-PMH response.
    public var malformed: String?
    /// True when the document was refused (a DOCTYPE, another encoding, a limit of ``IngestLimits`` exceeded):
    /// asking again will not help.
    public var refused = false

    public init(
        responseDate: Date? = nil, records: [ParsedRecord] = [], resumptionToken: OAIResumptionToken? = nil,
        errors: [OAIProtocolError] = [], malformed: String? = nil
    ) {
        self.responseDate = responseDate
        self.records = records
        self.resumptionToken = resumptionToken
        self.errors = errors
        self.malformed = malformed
    }

    public var papers: [Paper] {
        records.compactMap {
            if case .paper(let p) = $0 { return p }
            return nil
        }
    }
}

public enum OAIParser {
    /// Parses a response; record dates after the day after `now` are refused.
    public static func parse(_ data: Data, now: Date = Date()) -> OAIResponse {
        parse(data, now: now, limits: .standard)
    }

    static func parse(_ data: Data, now: Date, limits: XMLLimits) -> OAIResponse {
        let document = XMLTree.parse(data, limits: limits)
        var response = OAIResponse(malformed: document.error)
        response.refused = document.refused
        guard let root = document.root else {
            if response.malformed == nil { response.malformed = "empty document" }
            return response
        }
        guard root.name == "OAI-PMH" else {
            response.malformed =
                response.malformed ?? "not an OAI-PMH response (root element \(RecordCheck.quoted(root.name)))"
            return response
        }
        response.responseDate = root.text(of: "responseDate").flatMap { DateParsing.timestamp($0) }
        for error in root.all("error") where error.isComplete {
            response.errors.append(
                OAIProtocolError(
                    code: RecordCheck.excerpt(error.attributes["code"] ?? "unknown"),
                    message: RecordCheck.excerpt(Normalize.collapseWhitespace(error.text), limit: 1000)))
        }
        for container in root.children where container.name == "ListRecords" || container.name == "GetRecord" {
            // A record cut off by an error is left out; the error itself is reported.
            for child in container.children where child.isComplete {
                if child.name == "record" {
                    response.records.append(record(child, now: now))
                } else if child.name == "resumptionToken" {
                    let token = child.text.trimmingASCIIWhitespace()
                    if !token.isEmpty {
                        response.resumptionToken = OAIResumptionToken(
                            token: token, completeListSize: child.attributes["completeListSize"].flatMap { Int($0) },
                            cursor: child.attributes["cursor"].flatMap { Int($0) },
                            expirationDate: child.attributes["expirationDate"].flatMap { DateParsing.timestamp($0) })
                    }
                }
            }
        }
        return response
    }

    static func record(_ node: XNode, now: Date) -> ParsedRecord {
        let header = node.child("header")
        if header?.attributes["status"] == "deleted" { return .deleted }
        guard let metadata = node.child("metadata"), let body = metadata.children.first else {
            return .rejected("record without metadata")
        }
        let datestamp = header?.text(of: "datestamp").flatMap { DateParsing.timestamp($0) }
        var identifier = header?.text(of: "identifier")?.trimmingASCIIWhitespace()
        if let id = identifier, id.hasPrefix("oai:arXiv.org:") { identifier = String(id.dropFirst(14)) }
        switch body.name {
        case "arXivRaw": return arXivRaw(body, datestamp: datestamp, identifier: identifier, now: now)
        case "arXiv": return arXiv(body, datestamp: datestamp, identifier: identifier, now: now)
        default: return .rejected("unsupported metadata format \(RecordCheck.quoted(body.name))")
        }
    }

    static func arXivRaw(_ m: XNode, datestamp: Date?, identifier: String?, now: Date) -> ParsedRecord {
        var versions: [PaperVersion] = []
        let versionNodes = m.all("version")
        guard versionNodes.count <= IngestLimits.maxVersions else {
            return .rejected("more than \(IngestLimits.maxVersions) versions")
        }
        for v in versionNodes {
            let label = v.attributes["version"] ?? "v\(versions.count + 1)"
            guard let number = SnapshotParser.versionNumber(label) else {
                return .rejected("invalid version \(RecordCheck.quoted(label))")
            }
            guard let dateText = v.text(of: "date")?.trimmingASCIIWhitespace(), !dateText.isEmpty else {
                return .rejected("missing date of version v\(number)")
            }
            guard let date = DateParsing.rfc2822(dateText) else {
                return .rejected("invalid date \(RecordCheck.quoted(dateText)) of version v\(number)")
            }
            versions.append(PaperVersion(number: number, submitted: date, size: v.optionalText(of: "size")))
        }
        let authors = m.text(of: "authors").map { Normalize.splitAuthors($0, limit: IngestLimits.maxAuthors) } ?? []
        return RecordBuilder.make(
            rawID: m.text(of: "id") ?? identifier, title: m.text(of: "title"), abstract: m.text(of: "abstract"),
            authors: authors, categories: m.text(of: "categories"),
            versions: versions, submitter: m.text(of: "submitter"), comments: m.text(of: "comments"),
            journalRef: m.text(of: "journal-ref"), doi: m.text(of: "doi"), reportNo: m.text(of: "report-no"),
            license: m.text(of: "license"), updated: datestamp, now: now)
    }

    static func arXiv(_ m: XNode, datestamp: Date?, identifier: String?, now: Date) -> ParsedRecord {
        var versions: [PaperVersion] = []
        if let createdText = m.optionalText(of: "created") {
            guard let created = DateParsing.timestamp(createdText) else {
                return .rejected("invalid date \(RecordCheck.quoted(createdText))")
            }
            versions.append(PaperVersion(number: 1, submitted: created))
        }
        var updated = datestamp
        if let updatedText = m.optionalText(of: "updated") {
            guard let date = DateParsing.timestamp(updatedText) else {
                return .rejected("invalid date \(RecordCheck.quoted(updatedText))")
            }
            updated = date
        }
        let authors = (m.child("authors")?.all("author") ?? []).map { author in
            Normalize.name(fromParsed: [
                author.text(of: "keyname") ?? "", author.text(of: "forenames") ?? "", author.text(of: "suffix") ?? "",
            ])
        }.filter { !$0.isEmpty }
        return RecordBuilder.make(
            rawID: m.text(of: "id") ?? identifier, title: m.text(of: "title"), abstract: m.text(of: "abstract"),
            authors: authors, categories: m.text(of: "categories"), versions: versions, submitter: nil,
            comments: m.text(of: "comments"), journalRef: m.text(of: "journal-ref"), doi: m.text(of: "doi"),
            reportNo: m.text(of: "report-no"), license: m.text(of: "license"), updated: updated, now: now)
    }
}

/// Checks and normalises the fields of a record from any XML source, with the same reasons as the JSON parser.
enum RecordBuilder {
    static func make(
        rawID: String?, title: String?, abstract: String?, authors: [String], categories: String?,
        versions: [PaperVersion], submitter: String?, comments: String?, journalRef: String?, doi: String?,
        reportNo: String?, license: String?, updated: Date?, now: Date
    ) -> ParsedRecord {
        guard let rawID = rawID?.trimmingASCIIWhitespace(), !rawID.isEmpty else {
            return .rejected("missing field \"id\"")
        }
        guard let parsed = PaperID.parse(rawID) else {
            return .rejected("invalid arXiv id \(RecordCheck.quoted(rawID))")
        }
        guard let title else { return .rejected("missing field \"title\"") }
        guard authors.count <= IngestLimits.maxAuthors else {
            return .rejected("more than \(IngestLimits.maxAuthors) authors")
        }
        let cleanTitle = Normalize.collapseWhitespace(title)
        guard !cleanTitle.isEmpty else { return .rejected("empty field \"title\"") }
        var versions = versions
        if versions.isEmpty {
            guard let updated else { return .rejected("no versions and no date") }
            versions = [PaperVersion(number: parsed.version ?? 1, submitted: updated)]
        }
        var unique: [PaperVersion] = []
        var numbers = Set<Int>()
        for v in versions where numbers.insert(v.number).inserted { unique.append(v) }
        let cleanSubmitter = submitter.map(Normalize.decodeTeX)
        return RecordCheck.finish(
            Paper(
                id: parsed.id, title: cleanTitle, abstract: Normalize.collapseWhitespace(abstract ?? ""),
                authors: authors,
                categories: Normalize.categories(categories ?? ""), versions: unique,
                submitter: cleanSubmitter?.isEmpty == false ? cleanSubmitter : nil,
                comments: Normalize.optional(comments),
                journalRef: Normalize.optional(journalRef), doi: Normalize.optional(doi),
                reportNo: Normalize.optional(reportNo), license: Normalize.optional(license), updated: updated),
            now: now)
    }
}
