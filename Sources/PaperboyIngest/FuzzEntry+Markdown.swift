import Foundation
import PaperboyCore

extension FuzzEntry {
    /// A comment through `CommentMarkdown.html(_:)`: the HTML must keep ``checkCommentHTML(_:)``'s promises, and
    /// be empty exactly when the comment is blank.
    static func markdown(_ bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        let html = CommentMarkdown.html(text)
        var problems = checkCommentHTML(html)
        let blank = text.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isWhitespace || scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
        }
        if blank != html.isEmpty {
            problems.append(blank ? "a blank comment gave HTML" : "a comment with text gave no HTML")
        }
        return problems
    }

    /// The tags a rendered comment may hold, exactly as written (links are checked apart).
    static let commentTags: Set<String> = [
        "p", "/p", "br", "em", "/em", "strong", "/strong", "code", "/code", "pre", "/pre", #"span class="tex""#,
        #"span class="tex tex-display""#, "/span", "/a",
    ]
    static let linkTagPrefix = #"a href=""#
    static let linkTagSuffix = #"" rel="\#(CommentMarkdown.linkRel)""#
    static let entities: [String: Unicode.Scalar] = ["amp;": "&", "lt;": "<", "gt;": ">", "quot;": "\"", "#39;": "'"]

    /// The promises of a rendered comment: every tag is one of ``commentTags`` or a link, tags are balanced and
    /// nested as the renderer nests them (blocks at the top only, nothing inside code or TeX but text, no link in a
    /// link), every `href` is an http(s) URL (so never `javascript:` or any other scheme), text holds no raw `<`,
    /// `>`, `"` or `'` and no `&` but the five escapes, and no control character but newline and tab.
    /// Returns at most the first five broken promises, each once.
    static func checkCommentHTML(_ html: String) -> [String] {
        let scalars = Array(html.unicodeScalars)
        var problems: [String] = []
        var open: [String] = []
        var index = 0
        func problem(_ text: String) {
            if problems.count < 5, !problems.contains(text) { problems.append(text) }
        }
        /// Where markup may go: inside a paragraph, outside code and TeX.
        func inlineContext() -> Bool {
            open.contains("p") && !open.contains("code") && !open.contains(where: { $0.hasPrefix("span") })
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<" {
                guard let end = scalars[index...].firstIndex(of: ">") else {
                    problem("unterminated tag at \(index)")
                    break
                }
                let tag = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
                index = end + 1
                if tag.hasPrefix("/") {
                    let name = String(tag.dropFirst())
                    guard let last = open.last, last == name || (last.hasPrefix(name + " ") && name == "span"),
                        commentTags.contains(tag)
                    else {
                        problem("unbalanced <\(tag)> after <\(open.last ?? "nothing")>")
                        continue
                    }
                    open.removeLast()
                    continue
                }
                var name = tag
                if tag.hasPrefix(linkTagPrefix), tag.hasSuffix(linkTagSuffix),
                    tag.count >= linkTagPrefix.count + linkTagSuffix.count
                {
                    let value = String(tag.dropFirst(linkTagPrefix.count).dropLast(linkTagSuffix.count))
                    problems += checkHref(value).prefix(5 - problems.count)
                    if open.contains("a") { problem("a link inside a link") }
                    name = "a"
                } else if !commentTags.contains(tag) {
                    problem("tag not allowed: <\(tag)>")
                    continue
                }
                switch name {
                case "p", "pre":
                    if !open.isEmpty { problem("<\(name)> inside <\(open.joined(separator: "> <"))>") }
                case "code":
                    if open.last != "pre", !inlineContext() { problem("<code> outside a paragraph or <pre>") }
                default:
                    if !inlineContext() { problem("<\(name)> outside a paragraph, or inside code or TeX") }
                }
                if open.last == "pre", name != "code" { problem("<\(name)> directly inside <pre>") }
                if name != "br" { open.append(name) }
                continue
            }
            if scalar == "&" {
                // Scalars, not characters: a combining mark after ";" makes one character with it.
                let rest = scalars[(index + 1)..<min(scalars.count, index + 6)]
                guard let entity = entities.keys.first(where: { rest.starts(with: $0.unicodeScalars) }) else {
                    problem("bare & at \(index)")
                    index += 1
                    continue
                }
                index += 1 + entity.unicodeScalars.count
            } else if [">", "\"", "'"].contains(scalar) {
                problem("raw \(scalar) in text at \(index)")
                index += 1
                continue
            } else if (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
            {
                problem("control character U+\(String(scalar.value, radix: 16, uppercase: true)) in text")
                index += 1
                continue
            } else {
                index += 1
                // Blocks are separated by newlines.
                if scalar == "\n", open.isEmpty { continue }
            }
            if open.isEmpty {
                problem("text outside a block")
            } else if open.last == "pre" {
                problem("text directly inside <pre>")
            }
        }
        if !open.isEmpty { problem("unclosed <\(open.joined(separator: "> <"))>") }
        return problems
    }

    /// An `href` as written in the HTML: only the five escapes, and once unescaped an http(s) URL without
    /// whitespace or control characters.
    static func checkHref(_ value: String) -> [String] {
        var decoded = ""
        var scalars = value.unicodeScalars[...]
        while let scalar = scalars.first {
            scalars.removeFirst()
            if ["<", ">", "\"", "'"].contains(scalar) { return ["raw \(scalar) in href \(value.debugDescription)"] }
            guard scalar == "&" else {
                decoded.unicodeScalars.append(scalar)
                continue
            }
            let rest = scalars.prefix(5)
            guard let (entity, character) = entities.first(where: { rest.starts(with: $0.key.unicodeScalars) }) else {
                return ["bare & in href \(value.debugDescription)"]
            }
            decoded.unicodeScalars.append(character)
            scalars.removeFirst(entity.unicodeScalars.count)
        }
        let lowercased = decoded.lowercased()
        guard lowercased.hasPrefix("http://") || lowercased.hasPrefix("https://") else {
            return ["href not http(s): \(decoded.debugDescription)"]
        }
        if decoded.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        {
            return ["whitespace or control character in href \(decoded.debugDescription)"]
        }
        return []
    }
}
