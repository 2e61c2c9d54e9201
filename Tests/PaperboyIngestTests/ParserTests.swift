import Foundation
import PaperboyCore
import Testing

@testable import PaperboyIngest

@Suite struct SnapshotParserTests {
    static func sampleRecords() throws -> [String: Paper] {
        let text = try String(contentsOf: Fixtures.sample200, encoding: .utf8)
        var result: [String: Paper] = [:]
        for line in text.split(separator: "\n") {
            guard case .paper(let paper) = SnapshotParser.parse(line: String(line)) else {
                Issue.record("rejected: \(line.prefix(80))")
                continue
            }
            result[paper.id.rawValue] = paper
        }
        return result
    }

    @Test func realRecord0704_0001() throws {
        let papers = try Self.sampleRecords()
        #expect(papers.count == 200)
        let p = try #require(papers["0704.0001"])
        #expect(p.id == PaperID("0704.0001"))
        #expect(p.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies")
        #expect(p.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"])
        #expect(p.submitter == "Pavel Nadolsky")
        #expect(p.categories == ["hep-ph"])
        #expect(
            p.versions == [
                PaperVersion(number: 1, submitted: Fixtures.date("2007-04-02T19:18:42Z")),
                PaperVersion(number: 2, submitted: Fixtures.date("2007-07-24T20:10:27Z")),
            ])
        #expect(p.doi == "10.1103/PhysRevD.76.013009")
        #expect(p.journalRef == "Phys.Rev.D76:013009,2007")
        #expect(p.reportNo == "ANL-HEP-PR-07-12")
        #expect(p.comments == "37 pages, 15 figures; published version")
        #expect(p.license == nil)
        #expect(p.updated == Fixtures.date("2008-11-26"))
        #expect(p.featuredAt == Fixtures.date("2007-04-02T19:18:42Z"))
        #expect(
            p.abstract.hasPrefix("A fully differential calculation in perturbative quantum chromodynamics is presented")
        )
        #expect(p.abstract.hasSuffix("can be obtained with judicious selection of events."))
        #expect(!p.abstract.contains("\n") && !p.abstract.contains("  "))
    }

    @Test func realNamesComeOutRight() throws {
        let papers = try Self.sampleRecords()
        #expect(papers["0704.0002"]?.categories == ["math.CO", "cs.CG"])
        #expect(papers["0704.0002"]?.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/")
        #expect(
            papers["0704.0002"]?.abstract.hasPrefix(#"We describe a new algorithm, the $(k,\ell)$-pebble game"#) == true
        )
        #expect(papers["0704.0062"]?.authors == ["Rastislav Šrámek", "Broňa Brejová", "Tomáš Vinař"])
        #expect(papers["0704.0049"]?.authors == ["Mikkel Øbro"])
        #expect(papers["0704.0025"]?.authors == ["A. S. Mishchenko", "N. Nagaosa"])
        #expect(papers["0704.0199"]?.authors == ["Christian Krattenthaler", "Thomas Müller"])
        #expect(papers["0704.0024"]?.authors == ["A.A. Serga", "M. Kostylev", "B. Hillebrands"])
        #expect(papers["0704.0032"]?.authors == ["A. Esteban-Pretel", "R. Tomàs", "J. W. F. Valle"])
        #expect(papers["0704.0028"]?.authors == ["Péter E. Frenkel"])
        #expect(papers["0704.0187"]?.authors == ["G. Worseck", "C. Fechner", "L. Wisotzki", "A. Dall'Aglio"])
        // Every name is clean: no TeX, no affiliations, no "and".
        for paper in papers.values {
            for name in paper.authors {
                #expect(
                    !name.contains("\\") && !name.contains("{") && !name.contains("(") && !name.contains(" and "),
                    "\(paper.id): \(name)")
                #expect(name == name.trimmingASCIIWhitespace() && !name.contains("  ") && !name.isEmpty)
            }
        }
    }

    @Test func authorCountsAgreeWithAuthorsParsed() throws {
        let text = try String(contentsOf: Fixtures.sample200, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let parsed = json["authors_parsed"] as! [[String]]
            guard case .paper(let paper) = SnapshotParser.parse(line: String(line)) else { continue }
            #expect(paper.authors.count == parsed.count, "\(paper.id)")
        }
    }

    @Test func seedPapersParse() throws {
        let text = try String(contentsOf: Fixtures.seedPapers, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 86)
        for line in lines {
            guard case .paper = SnapshotParser.parse(line: String(line)) else {
                Issue.record("rejected \(line.prefix(60))")
                continue
            }
        }
    }

    @Test func escapesAndSpacing() throws {
        let line =
            #"{ "id" : "2511.01234", "title" : "Caf\u00e9 \ud83d\ude00 \"quoted\"\t\/x", "abstract": null, "#
            + #""categories": "cs.LG  cs.LG stat.ML", "versions": [ {"version": "v1", "created": "Mon, 3 Nov 2025 18:00:01 GMT"} ], "#
            + #""doi": "", "x_upvotes": 12, "x_flag": true, "x_nested": {"a": [1, 2.5e3, null]}, "update_date": "2025-11-04"}"#
        guard case .paper(let p) = SnapshotParser.parse(line: line) else {
            Issue.record("rejected: \(SnapshotParser.parse(line: line))")
            return
        }
        #expect(p.title == "Café 😀 \"quoted\" /x")
        #expect(p.abstract == "")
        #expect(p.doi == nil)
        #expect(p.categories == ["cs.LG", "stat.ML"])
        #expect(p.authors == [])
        #expect(p.versions == [PaperVersion(number: 1, submitted: Fixtures.date("2025-11-03T18:00:01Z"))])
    }

    @Test(arguments: [
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}"#,
            "invalid JSON: unexpected end of line at column 108"
        ),
        (#"{"id": "0704.0001", "versions": []}"#, #"missing field "title""#),
        (#"{"id": "0704.0001", "title": null}"#, #"missing field "title""#),
        (#"{"id": "0704.0001", "title": "  "}"#, #"empty field "title""#),
        (#"{"id": "abc", "title": "T"}"#, #"invalid arXiv id "abc""#),
        (#"{"title": "T"}"#, #"missing field "id""#),
        (#"{"id": "0704.0001", "title": "T", "versions": []}"#, "no versions and no date"),
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "v1", "created": "yesterday"}]}"#,
            #"invalid date "yesterday" of version v1"#
        ),
        (
            #"{"id": "0704.0001", "title": "T", "versions": [{"version": "vX", "created": "x"}]}"#,
            #"invalid version "vX""#
        ),
        (#"{"id": "0704.0001", "title": "T", "update_date": "2020-13-01"}"#, #"invalid update_date "2020-13-01""#),
        (#"[1, 2]"#, "invalid JSON: expected '{' but found '[' at column 1"),
        (#"{"id": "0704.0001" "title": "T"}"#, "invalid JSON: expected ',' or '}' but found '\"' at column 20"),
        (#"{"id": "0704.0001", "title": "T\x"}"#, #"invalid JSON: invalid escape '\x' at column 32"#),
        (#"{"id": "0704.0001", "title": "\ud800"}"#, #"invalid JSON: unpaired surrogate \uD800 at column 37"#),
        (#"{"id": "0704.0001", "title": "T"} x"#, "invalid JSON: unexpected 'x' after the object at column 35"),
    ])
    func rejectionReasons(line: String, reason: String) {
        #expect(SnapshotParser.parse(line: line) == .rejected(reason))
    }

    @Test func updateDateAloneGivesVersionOne() {
        guard
            case .paper(let p) = SnapshotParser.parse(
                line: #"{"id": "0704.0001v3", "title": "T", "update_date": "2020-01-02"}"#)
        else {
            Issue.record("rejected")
            return
        }
        #expect(p.versions == [PaperVersion(number: 3, submitted: Fixtures.date("2020-01-02"))])
        #expect(p.id.rawValue == "0704.0001")
    }
}

@Suite struct XMLParserTests {
    @Test func arXivRawListRecords() throws {
        let response = OAIParser.parse(Data(Fixtures.arXivRawListRecords.utf8))
        #expect(response.malformed == nil)
        #expect(response.errors.isEmpty)
        #expect(response.responseDate == Fixtures.date("2026-11-20T08:30:01Z"))
        #expect(
            response.resumptionToken == OAIResumptionToken(token: "7083478|1001", completeListSize: 2315, cursor: 0))
        #expect(response.records.count == 3)
        #expect(response.records[1] == .deleted)
        #expect(response.records[2] == .rejected(#"invalid arXiv id "abc""#))
        guard case .paper(let p) = response.records[0] else {
            Issue.record("not a paper: \(response.records[0])")
            return
        }
        #expect(p.id == PaperID("0704.0002"))
        #expect(p.title == "Sparsity-certifying Graph Decompositions")
        #expect(p.authors == ["Ileana Streinu", "Louis Theran"])
        #expect(p.submitter == "Louis Theran")
        #expect(p.categories == ["math.CO", "cs.CG"])
        #expect(p.comments == "To appear in Graphs and Combinatorics")
        #expect(p.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/")
        #expect(
            p.abstract
                == #"We describe a new algorithm, the $(k,\ell)$-pebble game with colors, and use it obtain a characterization & more."#
        )
        #expect(
            p.versions == [
                PaperVersion(number: 1, submitted: Fixtures.date("2007-03-31T02:26:18Z"), size: "20kb"),
                PaperVersion(number: 2, submitted: Fixtures.date("2008-12-13T17:26:00Z"), size: "25kb"),
            ])
        #expect(p.updated == Fixtures.date("2008-12-13"))
        #expect(p.featuredAt == Fixtures.date("2007-03-31T02:26:18Z"))
        #expect(p.doi == nil && p.journalRef == nil && p.reportNo == nil)
    }

    @Test func arXivGetRecord() throws {
        let response = OAIParser.parse(Data(Fixtures.arXivGetRecord.utf8))
        #expect(response.malformed == nil)
        #expect(response.resumptionToken == nil)
        guard case .paper(let p) = try #require(response.records.first) else {
            Issue.record("not a paper: \(response.records)")
            return
        }
        #expect(p.id == PaperID("0704.0001"))
        #expect(p.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies")
        #expect(p.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky Jr"])
        #expect(p.versions == [PaperVersion(number: 1, submitted: Fixtures.date("2007-04-02"))])
        #expect(p.updated == Fixtures.date("2007-07-24"))
        #expect(p.doi == "10.1103/PhysRevD.76.013009")
        #expect(p.journalRef == "Phys.Rev.D76:013009,2007")
        #expect(p.reportNo == "ANL-HEP-PR-07-12")
        #expect(p.categories == ["hep-ph"])
        #expect(p.abstract == "A fully differential calculation in perturbative quantum chromodynamics is presented.")
        #expect(p.submitter == nil)
    }

    @Test func oaiErrors() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-20T08:30:01Z</responseDate>
            <request verb="ListRecords">http://export.arxiv.org/oai2</request>
            <error code="noRecordsMatch">No records match.</error></OAI-PMH>
            """
        let response = OAIParser.parse(Data(xml.utf8))
        #expect(response.errors == [OAIProtocolError(code: "noRecordsMatch", message: "No records match.")])
        #expect(response.records.isEmpty)
        #expect(response.malformed == nil)
    }

    @Test func malformedXMLKeepsEarlierRecords() {
        let xml = """
            <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-20T10:00:00Z</responseDate>
            <ListRecords>\(Fixtures.rawRecord(id: "2511.00001"))
            <record><header><identifier>x</identifier></record>
            """
        let response = OAIParser.parse(Data(xml.utf8))
        #expect(response.papers.map(\.id.rawValue) == ["2511.00001"])
        #expect(
            response.malformed?.hasPrefix("malformed XML at line ") == true,
            "\(String(describing: response.malformed)) \(response.records)")
    }

    @Test func atomEntries() throws {
        let feed = AtomParser.parse(Data(Fixtures.atomFeed.utf8))
        #expect(feed.malformed == nil)
        #expect(feed.totalResults == 2)
        #expect(feed.records.count == 2)
        guard case .paper(let p) = feed.records[0], case .paper(let q) = feed.records[1] else {
            Issue.record("not papers: \(feed.records)")
            return
        }
        #expect(p.id == PaperID("2511.01234"))
        #expect(p.title == #"Sparse Attention for $\mathcal{O}(n)$ Transformers"#)
        #expect(p.abstract == "We propose a method. It works.")
        #expect(p.authors == ["Ann Lee", "Bob Ray"])
        #expect(p.categories == ["cs.LG", "cs.CL"])
        #expect(p.doi == "10.1000/xyz")
        #expect(p.comments == "12 pages")
        #expect(p.journalRef == "J. Test 1 (2025) 1")
        #expect(
            p.versions == [
                PaperVersion(number: 1, submitted: Fixtures.date("2025-11-03T18:00:01Z")),
                PaperVersion(number: 2, submitted: Fixtures.date("2025-11-12T09:30:00Z")),
            ])
        #expect(p.updated == Fixtures.date("2025-11-12T09:30:00Z"))
        #expect(q.versions == [PaperVersion(number: 1, submitted: Fixtures.date("2025-11-01T10:00:00Z"))])
        #expect(q.categories == ["math.PR"])
    }

    @Test func atomErrorEntry() {
        let feed = AtomParser.parse(Data(Fixtures.atomError.utf8))
        #expect(feed.records == [.rejected("arXiv API error: incorrect id format for 1234.123456")])
    }
}

@Suite struct FormatDetectionTests {
    @Test func detects() {
        #expect(IngestFormat.detect(Array("  \n{\"id\": 1}".utf8)) == .jsonLines)
        #expect(IngestFormat.detect(Array(Fixtures.arXivRawListRecords.utf8)) == .oaiPMH)
        #expect(IngestFormat.detect(Array(Fixtures.atomFeed.utf8)) == .atom)
        #expect(IngestFormat.detect(Array("\u{FEFF}<!-- c --><oai:OAI-PMH xmlns:oai=\"x\">".utf8)) == .oaiPMH)
        #expect(IngestFormat.detect([0x1F, 0x8B, 0x08, 0x00]) == .gzip)
        #expect(IngestFormat.detect([UInt8]()) == .jsonLines)
        #expect(IngestFormat.detect(Array("<html><body>".utf8)) == nil)
        #expect(IngestFormat.detect(Array("id,title\n".utf8)) == nil)
    }

    @Test func unknownFormatMessage() {
        #expect(
            IngestError.unknownFormat(file: "papers.csv").description
                == "unknown format: papers.csv does not look like arXiv JSON lines, OAI-PMH XML or an Atom feed")
        #expect(
            IngestError.unknownFormat(file: "-").description
                == "unknown format: standard input does not look like arXiv JSON lines, OAI-PMH XML or an Atom feed")
    }
}
