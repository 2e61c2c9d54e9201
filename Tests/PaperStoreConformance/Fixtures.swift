import Foundation
import PaperboyCore

/// Papers the conformance suite stores: ordinary, old-style ids, hostile text, several days.
public enum Fixtures {
    public static func date(_ iso: String) -> Date { Timestamp.parse(iso)! }

    public static func paper(
        _ id: String, title: String, abstract: String = "An abstract.", authors: [String] = ["Ada Lovelace"],
        categories: [String] = ["cs.LG"], versions: [(Int, String)] = [(1, "2026-11-20T10:00:00Z")],
        comments: String? = nil, doi: String? = nil, updated: String? = nil
    ) -> Paper {
        Paper(
            id: PaperID(id)!, title: title, abstract: abstract, authors: authors, categories: categories,
            versions: versions.map { PaperVersion(number: $0.0, submitted: date($0.1)) }, comments: comments, doi: doi,
            updated: updated.map(date))
    }

    /// A small corpus over three days (2026-11-18, -19, -20).
    public static let corpus: [Paper] = [
        paper(
            "2611.00001", title: "Attention Is All You Need Again",
            abstract: "We revisit the transformer architecture for language models.",
            authors: ["Ada Lovelace", "Alan Turing"], categories: ["cs.CL", "cs.LG"],
            versions: [(1, "2026-11-20T09:00:00Z")]),
        paper(
            "2611.00002", title: "Quantum Error Correction at Scale",
            abstract: "Surface codes and a neural network decoder for quantum hardware.",
            authors: ["Grace Hopper", "Alan Turing"], categories: ["quant-ph"],
            versions: [(1, "2026-11-20T11:30:00Z"), (2, "2026-11-21T08:00:00Z")]),
        paper(
            "2611.00003", title: "Galaxy Spectra Without Calibration",
            abstract: "A neural network learns galaxy spectra; language models are not involved.",
            authors: ["Vera Rubin"], categories: ["astro-ph.GA", "cs.LG"],
            versions: [(1, "2026-11-19T15:00:00Z")]),
        paper(
            "hep-th/9901001", title: "Strings on the Light Cone",
            abstract: "An old-style identifier from the nineteen-nineties.",
            authors: ["Edward Witten"], categories: ["hep-th"], versions: [(1, "1999-01-04T12:00:00Z")]),
        paper(
            "2611.00004", title: "<script>alert('x')</script> & \"Quotes\"",
            abstract: "Hostile <b>markup</b> & entities &amp; stay text; $\\alpha$ TeX math too.",
            authors: ["O'Brien <img src=x>", "Ada Lovelace"], categories: ["cs.CR"],
            versions: [(1, "2026-11-18T07:00:00Z")]),
    ]
}
