import Foundation
import MCP
import PaperboyCore

/// A tool's structured content, as the JSON object `value` (keys in snake_case, as the JSON API writes them).
protocol StructuredAnswer: Sendable {
    var value: Value { get }
}

extension Optional where Wrapped == String {
    var value: Value { map(Value.string) ?? .null }
}

/// A paper in a tool's structured content.
struct AgentPaper: StructuredAnswer, Equatable {
    var id: String
    var title: String
    /// The first ``PaperboyTools/maxAuthors`` authors; `authorCount` says how many there are.
    var authors: [String]
    var authorCount: Int
    var categories: [String]
    /// The day arXiv first published it, and the day it is listed on here (YYYY-MM-DD).
    var published: String
    var featuredDay: String
    var url: String
    var arxivURL: String
    var pdfURL: String
    var upvotes: Int
    var numComments: Int
    var score: Double?
    var matchedTerms: [String]?
    var similarity: Double?
    /// Where the search words stand in the abstract (search), or the paper's key sentence.
    var summary: String?

    init(
        _ stored: StoredPaper, url: String, score: Double? = nil, matchedTerms: [String]? = nil,
        similarity: Double? = nil, snippet: String? = nil
    ) {
        let paper = stored.paper
        id = paper.id.rawValue
        title = paper.title
        authors = Array(paper.authors.prefix(PaperboyTools.maxAuthors))
        authorCount = paper.authors.count
        categories = paper.categories
        published = Day(paper.published).description
        featuredDay = paper.featuredDay.description
        self.url = url
        arxivURL = paper.id.arxivAbstractURL
        pdfURL = paper.id.arxivPDFURL
        upvotes = stored.upvotes
        numComments = stored.numComments
        self.score = score
        self.matchedTerms = matchedTerms
        self.similarity = similarity
        let snippet = snippet?.trimmingASCIIWhitespace()
        summary = snippet?.isEmpty == false ? snippet : stored.keySentence
    }

    var value: Value {
        var object: [String: Value] = [
            "id": .string(id), "title": .string(title), "authors": .array(authors.map(Value.string)),
            "author_count": .int(authorCount), "categories": .array(categories.map(Value.string)),
            "published": .string(published), "featured_day": .string(featuredDay), "url": .string(url),
            "arxiv_url": .string(arxivURL), "pdf_url": .string(pdfURL), "upvotes": .int(upvotes),
            "num_comments": .int(numComments), "summary": summary.value,
        ]
        if let score { object["score"] = .double(score) }
        if let matchedTerms { object["matched_terms"] = .array(matchedTerms.map(Value.string)) }
        if let similarity { object["similarity"] = .double(similarity) }
        return .object(object)
    }
}

struct SearchAnswer: StructuredAnswer {
    var query: String
    var mode: String
    var total: Int
    var totalIsEstimated: Bool
    var note: String?
    var papers: [AgentPaper]

    var value: Value {
        .object([
            "query": .string(query), "mode": .string(mode), "total": .int(total),
            "total_is_estimated": .bool(totalIsEstimated), "note": note.value, "papers": .array(papers.map(\.value)),
        ])
    }
}

struct ListingAnswer: StructuredAnswer {
    var title: String
    var sort: String
    var total: Int
    var papers: [AgentPaper]

    var value: Value {
        .object([
            "title": .string(title), "sort": .string(sort), "total": .int(total),
            "papers": .array(papers.map(\.value)),
        ])
    }
}

struct SimilarAnswer: StructuredAnswer {
    var paper: AgentPaper
    var note: String?
    var papers: [AgentPaper]

    var value: Value {
        .object(["paper": paper.value, "note": note.value, "papers": .array(papers.map(\.value))])
    }
}

struct VoteAnswer: StructuredAnswer {
    var id: String
    var upvotes: Int
    var upvoted: Bool
    var user: String

    var value: Value {
        .object(["id": .string(id), "upvotes": .int(upvotes), "upvoted": .bool(upvoted), "user": .string(user)])
    }
}

/// The Markdown an assistant reads beside the structured content.
enum AgentMarkdown {
    static func search(_ answer: SearchAnswer) -> String {
        let count = "\(answer.totalIsEstimated ? "About " : "")\(answer.total) paper\(answer.total == 1 ? "" : "s")"
        var lines = ["\(count) match \"\(answer.query)\" (\(answer.mode) search)."]
        if let note = answer.note { lines.append("Note: \(note)") }
        lines.append("")
        lines += list(answer.papers)
        return lines.joined(separator: "\n")
    }

    static func listing(_ answer: ListingAnswer) -> String {
        var lines = ["\(answer.title): \(answer.total) paper\(answer.total == 1 ? "" : "s")"]
        if answer.papers.count < answer.total { lines[0] += ", the first \(answer.papers.count)" }
        lines[0] += answer.sort == DailySort.trending.rawValue ? ", trending first." : ", newest first."
        lines.append("")
        lines += list(answer.papers)
        return lines.joined(separator: "\n")
    }

    static func similar(_ answer: SimilarAnswer) -> String {
        var lines = ["Papers similar to \(answer.paper.id), \"\(answer.paper.title)\":"]
        if let note = answer.note { lines.append(note) }
        lines.append("")
        lines += list(answer.papers)
        return lines.joined(separator: "\n")
    }

    /// A numbered list, one entry per paper: title and id, authors, day, categories and votes, link, why it matched.
    static func list(_ papers: [AgentPaper]) -> [String] {
        guard !papers.isEmpty else { return ["No papers."] }
        var lines: [String] = []
        for (n, paper) in papers.enumerated() {
            lines.append("\(n + 1). **\(paper.title)** (arXiv:\(paper.id))")
            var authors = paper.authors.prefix(6).joined(separator: ", ")
            if paper.authorCount > 6 { authors += " et al." }
            var facts = [authors, paper.featuredDay]
            if !paper.categories.isEmpty { facts.append(paper.categories.prefix(3).joined(separator: ", ")) }
            facts.append("\(paper.upvotes) upvote\(paper.upvotes == 1 ? "" : "s")")
            lines.append("   " + facts.filter { !$0.isEmpty }.joined(separator: " · "))
            lines.append("   \(paper.url)")
            var why: [String] = []
            if let terms = paper.matchedTerms, !terms.isEmpty { why.append("matched " + terms.joined(separator: ", ")) }
            if let similarity = paper.similarity { why.append("similarity \(String(format: "%.2f", similarity))") }
            if let score = paper.score { why.append("score \(String(format: "%.4f", score))") }
            if !why.isEmpty { lines.append("   Why: " + why.joined(separator: "; ")) }
            if let summary = paper.summary { lines.append("   > " + summary.replacingOccurrences(of: "\n", with: " ")) }
        }
        return lines
    }
}
