import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A minimal element tree built with `XMLParser`, enough for OAI-PMH and Atom documents.
final class XNode {
    /// The local name (no namespace prefix).
    let name: String
    let namespace: String?
    let attributes: [String: String]
    var children: [XNode] = []
    var text = ""
    /// True once the element's end tag was read; an element cut off by an error is not used.
    var isComplete = false

    init(name: String, namespace: String?, attributes: [String: String]) {
        self.name = name
        self.namespace = namespace
        self.attributes = attributes
    }

    func child(_ name: String) -> XNode? { children.first { $0.name == name } }

    func all(_ name: String) -> [XNode] { children.filter { $0.name == name } }

    /// The text of a child element, nil when absent.
    func text(of name: String) -> String? { child(name)?.text }

    /// Collapsed text of a child element, nil when absent or blank.
    func optionalText(of name: String) -> String? { Normalize.optional(child(name)?.text) }
}

/// The result of parsing a document: the root (if any element was read) and the first error.
struct XMLDocument {
    var root: XNode?
    /// A description of the first well-formedness error, with its line, or of the reason the document was refused.
    var error: String?
    /// True when the document broke a rule of ``XMLTree/refusal(_:)`` or a limit: not a transient problem.
    var refused = false
}

/// The limits a document is read within (``IngestLimits`` unless a test asks for smaller ones).
struct XMLLimits {
    var documentBytes = IngestLimits.maxXMLDocumentBytes
    var depth = IngestLimits.maxXMLDepth
    var elements = IngestLimits.maxXMLElements
    var textBytes = IngestLimits.maxXMLTextBytes

    static let standard = XMLLimits()
}

enum XMLTree {
    /// Parses a document into a tree, within `limits`: documents that break a rule of ``refusal(_:limits:)`` are
    /// not given to `XMLParser` at all; depth, element count and text length are checked while it reads, and
    /// reading stops at the first excess.
    static func parse(_ data: Data, limits: XMLLimits = .standard) -> XMLDocument {
        if let refusal = refusal(data, limits: limits) {
            return XMLDocument(root: nil, error: "XML refused: \(refusal)", refused: true)
        }
        let parser = XMLParser(data: data)
        let builder = TreeBuilder(limits: limits)
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        let ok = parser.parse()
        var document = XMLDocument(root: builder.root)
        let line = builder.stoppedAtLine ?? parser.lineNumber
        if let excess = builder.excess {
            document.error = "XML refused at line \(line): \(excess)"
            document.refused = true
        } else if !ok || builder.failure != nil || parser.parserError != nil {
            // On Linux `parse()` can return true after an error; the delegate and `parserError` still tell.
            let message = builder.failure ?? parser.parserError.map { describe($0) } ?? "unknown error"
            document.error = "malformed XML at line \(line): \(message)"
        }
        return document
    }

    /// Why a document is refused before parsing, or nil. OAI-PMH and Atom documents are UTF-8 and declare no
    /// document type, so a DOCTYPE or ENTITY declaration (the stuff of entity expansion bombs and external
    /// entities; also inside a comment or CDATA section, where a byte scan cannot tell), another encoding, or a
    /// document over the size limit is refused.
    static func refusal(_ data: Data, limits: XMLLimits = .standard) -> String? {
        if data.count > limits.documentBytes {
            return "document larger than the limit of \(IngestLimits.describe(bytes: limits.documentBytes))"
        }
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> String? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 0
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
            while i < bytes.count, Normalize.isSpace(bytes[i]) { i += 1 }
            // Whatever else a document starts with (a byte order mark of UTF-16 or UTF-32, EBCDIC, text) is no
            // UTF-8 XML; the zero bytes of UTF-16 and UTF-32 are refused anywhere (XML allows no NUL character).
            if i < bytes.count, bytes[i] != UInt8(ascii: "<") {
                return "no '<' at the start (only UTF-8 XML documents are read)"
            }
            if let base = bytes.baseAddress, memchr(base, 0, bytes.count) != nil {
                return "a NUL byte (only UTF-8 XML documents are read, and XML allows no NUL character)"
            }
            if let refusal = encodingRefusal(bytes) { return refusal }
            if contains(bytes, "<!DOCTYPE") || contains(bytes, "<!doctype") {
                return "a DOCTYPE declaration (OAI-PMH and Atom documents have none)"
            }
            if contains(bytes, "<!ENTITY") {
                return "an ENTITY declaration (OAI-PMH and Atom documents have none)"
            }
            if let target = emptyProcessingInstruction(bytes) {
                return "a processing instruction without data (\(RecordCheck.quoted("<?" + target + "?>")))"
            }
            return nil
        }
    }

    /// The target of the first processing instruction without data (`<?name?>`), if there is one. libxml2 hands
    /// such an instruction to FoundationXML with no data at all, and FoundationXML on Linux then reads through a
    /// null pointer (found by the oai and atom fuzz targets). Conservative: `<?` in a comment or CDATA counts too.
    static func emptyProcessingInstruction(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        var start = 0
        while start < bytes.count, let found = memchr(base + start, Int32(UInt8(ascii: "<")), bytes.count - start) {
            let open = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
            start = open + 1
            guard open + 1 < bytes.count, bytes[open + 1] == UInt8(ascii: "?") else { continue }
            var end = open + 2
            while end < bytes.count, bytes[end] != UInt8(ascii: "?"), !Normalize.isSpace(bytes[end]) { end += 1 }
            if end > open + 2, end + 1 < bytes.count, bytes[end] == UInt8(ascii: "?"),
                bytes[end + 1] == UInt8(ascii: ">")
            {
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[(open + 2)..<end]), as: UTF8.self)
            }
        }
        return nil
    }

    /// Why the encoding an XML declaration names is refused, or nil. libxml2 switches to the encoding as soon as
    /// it has read its name, whatever follows; for some names (`UTF-7` in a declaration ended by `/>`, found by
    /// the oai fuzz target) it then reads through a null pointer. So every `<?xml` followed by whitespace is
    /// looked at up to its first `>`, and an `encoding` there must be one of UTF-8 and ASCII and be written
    /// plainly (`encoding="UTF-8"`, spaces around `=` allowed).
    static func encodingRefusal(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        let declaration = Array("<?xml".utf8)
        let key = Array("encoding".utf8)
        var start = 0
        while start < bytes.count, let found = memchr(base + start, Int32(UInt8(ascii: "<")), bytes.count - start) {
            let open = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
            start = open + 1
            let afterName = open + declaration.count
            guard afterName < bytes.count, Normalize.isSpace(bytes[afterName]),
                bytes[open..<afterName].elementsEqual(declaration)
            else { continue }
            var end = afterName
            while end < bytes.count, bytes[end] != UInt8(ascii: ">") { end += 1 }
            start = end  // each byte is looked at once, however many `<?xml` there are
            let inside = bytes[afterName..<end]
            guard let at = inside.indices.first(where: { inside[$0...].starts(with: key) }) else { continue }
            var k = at + key.count
            while k < end, Normalize.isSpace(bytes[k]) { k += 1 }
            guard k < end, bytes[k] == UInt8(ascii: "=") else {
                return "an XML declaration with an unreadable encoding"
            }
            k += 1
            while k < end, Normalize.isSpace(bytes[k]) { k += 1 }
            guard k < end, bytes[k] == UInt8(ascii: "\"") || bytes[k] == UInt8(ascii: "'") else {
                return "an XML declaration with an unreadable encoding"
            }
            let quote = bytes[k]
            var close = k + 1
            while close < end, bytes[close] != quote { close += 1 }
            guard close < end else { return "an XML declaration with an unreadable encoding" }
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(k + 1)..<close]), as: UTF8.self)
            if !["utf-8", "utf8", "us-ascii", "ascii"].contains(name.lowercased()) {
                return "encoding \(RecordCheck.quoted(name)) (only UTF-8 documents are read)"
            }
        }
        return nil
    }

    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard let base = bytes.baseAddress, count > 0, bytes.count >= count else { return false }
        var start = 0
        let first = Int32(needle.utf8Start.pointee)
        while start <= bytes.count - count, let found = memchr(base + start, first, bytes.count - count + 1 - start) {
            let at = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
            if memcmp(base + at, needle.utf8Start, count) == 0 { return true }
            start = at + 1
        }
        return false
    }

    static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if let known = messages[ns.code] { return known }
        if let reason = ns.userInfo[NSLocalizedDescriptionKey] as? String, !reason.isEmpty, reason != "(null)" {
            return RecordCheck.excerpt(reason, limit: 200)
        }
        return "XML parser error \(ns.code)"
    }

    /// Texts for the common `XMLParser.ErrorCode` values (Foundation on Linux gives none).
    static let messages: [Int: String] = [
        4: "the document is empty", 5: "the document ends too early", 9: "invalid character",
        23: "entity reference without ';'", 26: "undeclared entity", 38: "'<' in an attribute value",
        39: "attribute value not started", 41: "attribute value not finished", 64: "XML declaration not finished",
        68: "name expected", 73: "'>' expected", 76: "closing tag does not match the opening tag",
        85: "elements are not balanced", 111: "text after the root element",
    ]
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    let limits: XMLLimits
    var root: XNode?
    var stack: [XNode] = []
    var failure: String?
    /// The limit the document went over, when it did.
    var excess: String?
    /// Elements and attributes read so far.
    var nodes = 0

    init(limits: XMLLimits) { self.limits = limits }

    /// True after an error or an excess: `XMLParser` recovers from some errors and goes on reporting (with
    /// U+FFFD for invalid UTF-8, for example), but nothing after the first problem is used.
    var stopped: Bool { failure != nil || excess != nil }

    /// The line of the first problem (the parser reads on a little before it stops).
    var stoppedAtLine: Int?

    func stop(_ parser: XMLParser, _ reason: String) {
        excess = reason
        stoppedAtLine = parser.lineNumber
        parser.abortParsing()
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        guard !stopped else { return }
        guard stack.count < limits.depth else {
            return stop(parser, "elements nested deeper than \(limits.depth)")
        }
        nodes += 1 + attributeDict.count
        guard nodes <= limits.elements else {
            return stop(parser, "more than \(limits.elements) elements and attributes")
        }
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        var attributes: [String: String] = [:]
        for (key, value) in attributeDict {
            attributes[key.split(separator: ":").last.map(String.init) ?? key] = value
        }
        let node = XNode(name: local, namespace: namespaceURI, attributes: attributes)
        if let parent = stack.last {
            parent.children.append(node)
        } else if root == nil {
            root = node
        }
        stack.append(node)
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
    ) {
        guard !stopped else { return }
        stack.popLast()?.isComplete = true
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        append(parser, string)
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        append(parser, String(decoding: CDATABlock, as: UTF8.self))
    }

    func append(_ parser: XMLParser, _ string: String) {
        guard !stopped, let node = stack.last else { return }
        guard string.utf8.count <= limits.textBytes - node.text.utf8.count else {
            let limit = IngestLimits.describe(bytes: limits.textBytes)
            return stop(parser, "text of \(RecordCheck.quoted(node.name)) longer than the limit of \(limit)")
        }
        node.text += string
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        guard !stopped else { return }
        failure = XMLTree.describe(parseError)
        stoppedAtLine = parser.lineNumber
        parser.abortParsing()
    }
}
