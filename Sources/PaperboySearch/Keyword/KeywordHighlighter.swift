import Foundation
import PaperboyCore

/// Marks a query's words in a title and picks the abstract's best snippet, as FTS5's `highlight()` and `snippet()`
/// did: the same tokens the index matched (folded and stemmed), a window of 40 tokens with the most distinct
/// matches, "…" where text was cut. Words inside TeX (``TeXSpans``) are never marked and a snippet never cuts a
/// formula in two, so the browser's math renderer still sees every formula whole.
enum KeywordHighlighter {
    static let snippetTokens = 40

    /// Highlights of a paper for the plan's words; nil when neither field has a match.
    static func highlights(_ plan: KeywordPlan, title: String, abstract: String) -> Highlights? {
        let matcher = Matcher(plan)
        let titleTokens = tokens(title, matcher)
        let abstractTokens = tokens(abstract, matcher)
        guard titleTokens.contains(where: \.match) || abstractTokens.contains(where: \.match) else { return nil }
        return Highlights(
            title: marked(title, titleTokens, from: 0, to: titleTokens.count, whole: true),
            abstract: snippet(abstract, abstractTokens))
    }

    struct Token {
        var range: Range<Int>
        var term: String
        var match: Bool
    }

    /// Which terms count as matches: the words, prefixes and phrase words of the query.
    struct Matcher {
        var terms: Set<String> = []
        var prefixes: [String] = []

        init(_ plan: KeywordPlan) {
            for clause in plan.clauses {
                switch clause {
                case .term(let t): terms.insert(t)
                case .prefix(let p): prefixes.append(p)
                case .phrase(let words): terms.formUnion(words)
                case .authorWord: break
                }
            }
        }

        func matches(_ term: String) -> Bool {
            terms.contains(term) || prefixes.contains { term.hasPrefix($0) }
        }
    }

    static func tokens(_ text: String, _ matcher: Matcher) -> [Token] {
        var tokens: [Token] = []
        let tex = TeXSpans.ranges(in: text)
        KeywordTokenizer.forEachTerm(in: text) { term, range in
            let match = matcher.matches(term) && !TeXSpans.overlaps(tex, range)
            tokens.append(Token(range: range, term: term, match: match))
        }
        return tokens
    }

    /// The abstract's window of ``snippetTokens`` tokens with the most distinct matched terms (then the most
    /// matches, then the earliest).
    static func snippet(_ text: String, _ tokens: [Token]) -> Highlighted {
        guard tokens.count > snippetTokens else { return marked(text, tokens, from: 0, to: tokens.count, whole: true) }
        var best = 0
        var bestScore = (-1, -1)
        for start in 0...(tokens.count - snippetTokens) {
            let window = tokens[start..<(start + snippetTokens)].filter(\.match)
            let score = (Set(window.map(\.term)).count, window.count)
            if score > bestScore {
                bestScore = score
                best = start
            }
        }
        // Begin at the window's first match's sentence when it is near: a few tokens of context before it.
        return marked(text, tokens, from: best, to: best + snippetTokens, whole: false)
    }

    /// Text from token `from` to token `to` (exclusive), with matched tokens marked; "…" where the text goes on.
    static func marked(_ text: String, _ tokens: [Token], from: Int, to: Int, whole: Bool) -> Highlighted {
        let utf8 = Array(text.utf8)
        func slice(_ a: Int, _ b: Int) -> String {
            let lo = max(0, min(a, utf8.count))
            let hi = max(lo, min(b, utf8.count))
            return String(decoding: utf8[lo..<hi], as: UTF8.self)
        }
        var segments: [Highlighted.Segment] = []
        func append(_ s: String, _ match: Bool) {
            guard !s.isEmpty else { return }
            if let last = segments.last, last.isMatch == match {
                segments[segments.count - 1].text += s
            } else {
                segments.append(Highlighted.Segment(text: s, isMatch: match))
            }
        }
        var startByte = whole || from == 0 ? 0 : tokens[from].range.lowerBound
        var endByte = whole || to >= tokens.count ? utf8.count : tokens[to - 1].range.upperBound
        // A cut inside a formula moves out to the formula's edge.
        for span in TeXSpans.ranges(in: text) {
            if span.contains(startByte) { startByte = span.lowerBound }
            if span.contains(endByte - 1) && span.upperBound > endByte { endByte = span.upperBound }
        }
        if !whole && from > 0 { append("…", false) }
        var cursor = startByte
        for token in tokens[from..<min(to, tokens.count)] where token.match {
            append(slice(cursor, token.range.lowerBound), false)
            append(slice(token.range.lowerBound, token.range.upperBound), true)
            cursor = token.range.upperBound
        }
        append(slice(cursor, endByte), false)
        if !whole && to < tokens.count { append("…", false) }
        return Highlighted(segments: segments)
    }
}
