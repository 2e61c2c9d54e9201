import Foundation

/// Citations and plain-text renderings of a paper.

public enum Citation {
    /// A BibTeX `@misc` entry in the form arXiv itself suggests.
    public static func bibtex(_ paper: Paper) -> String {
        let year = paper.featuredDayOfV1.year
        let lastName =
            paper.authors.first.map { name in
                name.split(separator: " ").last.map(String.init) ?? name
            } ?? "anonymous"
        let firstWord = SearchQuery.words(in: paper.title).first { $0.count > 3 } ?? "paper"
        let key = asciiLetters(lastName) + String(year) + asciiLetters(firstWord)
        var fields: [(String, String)] = [
            ("title", "{\(paper.title)}"),
            ("author", "{\(paper.authors.joined(separator: " and "))}"),
            ("year", "{\(year)}"),
            ("eprint", "{\(paper.id.rawValue)}"),
            ("archivePrefix", "{arXiv}"),
        ]
        if let primary = paper.primaryCategory { fields.append(("primaryClass", "{\(primary)}")) }
        if let doi = paper.doi { fields.append(("doi", "{\(doi)}")) }
        fields.append(("url", "{https://arxiv.org/abs/\(paper.id.rawValue)}"))
        let body = fields.map { "  \($0.0) = \($0.1)" }.joined(separator: ",\n")
        return "@misc{\(key),\n\(body)\n}"
    }

    /// Lowercase ASCII letters and digits of a word, accents folded (`Ünal` → `unal`), for citation keys.
    static func asciiLetters(_ s: String) -> String {
        let folded = s.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
        return String(
            folded.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }.map(
                Character.init))
    }

    /// The paper as Markdown: title, authors, links, abstract.
    public static func markdown(_ paper: Paper) -> String {
        var lines = ["# \(paper.title)", ""]
        lines.append("**Authors:** \(paper.authors.joined(separator: ", "))")
        lines.append("")
        lines.append(
            "**arXiv:** [\(paper.id.rawValue)](https://arxiv.org/abs/\(paper.id.rawValue))"
                + " · [PDF](https://arxiv.org/pdf/\(paper.id.rawValue))")
        if !paper.categories.isEmpty { lines.append("**Categories:** \(paper.categories.joined(separator: ", "))") }
        lines.append("**Published:** \(Day(paper.published))")
        if let comments = paper.comments { lines.append("**Comments:** \(comments)") }
        if let journal = paper.journalRef { lines.append("**Journal reference:** \(journal)") }
        if let doi = paper.doi { lines.append("**DOI:** [\(doi)](https://doi.org/\(doi))") }
        lines += ["", "## Abstract", "", paper.abstract, ""]
        return lines.joined(separator: "\n")
    }
}

extension Paper {
    var featuredDayOfV1: Day { Day(published) }
}
