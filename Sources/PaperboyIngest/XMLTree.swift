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
    /// A description of the first well-formedness error, with its line.
    var error: String?
}

enum XMLTree {
    static func parse(_ data: Data) -> XMLDocument {
        let parser = XMLParser(data: data)
        let builder = TreeBuilder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        let ok = parser.parse()
        var document = XMLDocument(root: builder.root)
        // On Linux `parse()` can return true after an error; the delegate and `parserError` still tell.
        if !ok || builder.failure != nil || parser.parserError != nil {
            let message = builder.failure ?? parser.parserError.map { describe($0) } ?? "unknown error"
            document.error = "malformed XML at line \(parser.lineNumber): \(message)"
        }
        return document
    }

    static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if let known = messages[ns.code] { return known }
        if let reason = ns.userInfo[NSLocalizedDescriptionKey] as? String, !reason.isEmpty, reason != "(null)" {
            return reason
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
    var root: XNode?
    var stack: [XNode] = []
    var failure: String?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
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
        _ = stack.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        stack.last?.text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        if failure == nil { failure = XMLTree.describe(parseError) }
    }
}
