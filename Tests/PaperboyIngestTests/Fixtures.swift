import Foundation
import PaperboyCore

enum Fixtures {
    /// `Tests/Fixtures` in the repository.
    static let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static var sample200: URL { sharedData.appendingPathComponent("arxiv-sample-200.jsonl") }
    static var seedPapers: URL { sharedData.appendingPathComponent("seed-papers.jsonl") }

    static func date(_ text: String) -> Date { Timestamp.parse(text)! }

    static func oaiRawPage(records: String, token: String? = nil, responseDate: String = "2026-11-20T10:00:00Z")
        -> String
    {
        let tokenElement =
            token.map {
                #"<resumptionToken cursor="0" completeListSize="3">\#($0)</resumptionToken>"#
            } ?? "<resumptionToken cursor=\"2\" completeListSize=\"3\"/>"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" \
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
            <responseDate>\(responseDate)</responseDate>
            <request verb="ListRecords" metadataPrefix="arXivRaw">http://export.arxiv.org/oai2</request>
            <ListRecords>
            \(records)
            \(tokenElement)
            </ListRecords>
            </OAI-PMH>
            """
    }

    static func rawRecord(id: String, title: String = "A title", versions: Int = 1, datestamp: String = "2026-11-19")
        -> String
    {
        let versionElements = (1...versions).map { n in
            "<version version=\"v\(n)\"><date>Mon, \(n + 1) Nov 2026 10:00:00 GMT</date><size>\(n * 10)kb</size>"
                + "<source_type>D</source_type></version>"
        }.joined()
        return """
            <record><header><identifier>oai:arXiv.org:\(id)</identifier><datestamp>\(datestamp)</datestamp>\
            <setSpec>cs</setSpec></header><metadata>\
            <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>\(id)</id><submitter>Ann Lee</submitter>\
            \(versionElements)<title>\(title)</title><authors>Ann Lee and Bob Ray</authors>\
            <categories>cs.LG stat.ML</categories><license>http://creativecommons.org/licenses/by/4.0/</license>\
            <abstract>  An abstract\n  on two lines.\n</abstract></arXivRaw></metadata></record>
            """
    }

    static let arXivRawListRecords = """
        <?xml version="1.0" encoding="UTF-8"?>
        <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
        xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
        <responseDate>2026-11-20T08:30:01Z</responseDate>
        <request verb="ListRecords" metadataPrefix="arXivRaw" from="2026-11-18">http://export.arxiv.org/oai2</request>
        <ListRecords>
        <record>
        <header>
         <identifier>oai:arXiv.org:0704.0002</identifier>
         <datestamp>2008-12-13</datestamp>
         <setSpec>cs</setSpec>
         <setSpec>math</setSpec>
        </header>
        <metadata>
         <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" \
        xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd">
         <id>0704.0002</id>
         <submitter>Louis Theran</submitter>
         <version version="v1">
          <date>Sat, 31 Mar 2007 02:26:18 GMT</date>
          <size>20kb</size>
          <source_type>D</source_type>
         </version>
         <version version="v2">
          <date>Sat, 13 Dec 2008 17:26:00 GMT</date>
          <size>25kb</size>
          <source_type>D</source_type>
         </version>
         <title>Sparsity-certifying Graph Decompositions</title>
         <authors>Ileana Streinu and Louis Theran</authors>
         <categories>math.CO cs.CG</categories>
         <comments>To appear in Graphs and Combinatorics</comments>
         <proxy>ccsd hal-00001234</proxy>
         <license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
         <abstract>  We describe a new algorithm, the $(k,\\ell)$-pebble game with colors, and use
        it obtain a characterization &amp; more.
        </abstract>
         </arXivRaw>
        </metadata>
        </record>
        <record>
        <header status="deleted">
         <identifier>oai:arXiv.org:0704.0003</identifier>
         <datestamp>2009-01-01</datestamp>
        </header>
        </record>
        <record>
        <header><identifier>oai:arXiv.org:abc</identifier><datestamp>2009-01-01</datestamp></header>
        <metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>abc</id><title>T</title></arXivRaw></metadata>
        </record>
        <resumptionToken cursor="0" completeListSize="2315">7083478|1001</resumptionToken>
        </ListRecords>
        </OAI-PMH>
        """

    static let arXivGetRecord = """
        <?xml version="1.0" encoding="UTF-8"?>
        <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
        <responseDate>2026-11-20T08:30:01Z</responseDate>
        <request verb="GetRecord" identifier="oai:arXiv.org:0704.0001" metadataPrefix="arXiv">\
        http://export.arxiv.org/oai2</request>
        <GetRecord>
        <record>
        <header><identifier>oai:arXiv.org:0704.0001</identifier><datestamp>2008-11-26</datestamp>\
        <setSpec>physics:hep-ph</setSpec></header>
        <metadata>
        <arXiv xmlns="http://arxiv.org/OAI/arXiv/">
        <id>0704.0001</id><created>2007-04-02</created><updated>2007-07-24</updated>
        <authors><author><keyname>Bal\\'azs</keyname><forenames>C.</forenames></author>\
        <author><keyname>Berger</keyname><forenames>E. L.</forenames></author>\
        <author><keyname>Nadolsky</keyname><forenames>P. M.</forenames><suffix>Jr</suffix></author></authors>
        <title>Calculation of prompt diphoton production cross sections at Tevatron and
          LHC energies</title>
        <categories>hep-ph</categories>
        <comments>37 pages, 15 figures; published version</comments>
        <report-no>ANL-HEP-PR-07-12</report-no>
        <journal-ref>Phys.Rev.D76:013009,2007</journal-ref>
        <doi>10.1103/PhysRevD.76.013009</doi>
        <abstract>  A fully differential calculation in perturbative quantum chromodynamics is
        presented.
        </abstract>
        </arXiv>
        </metadata>
        </record>
        </GetRecord>
        </OAI-PMH>
        """

    static let atomFeed = """
        <?xml version="1.0" encoding="UTF-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
        xmlns:arxiv="http://arxiv.org/schemas/atom">
          <id>https://arxiv.org/api/x</id>
          <title>arXiv Query</title>
          <updated>2025-11-20T00:00:00Z</updated>
          <opensearch:totalResults>2</opensearch:totalResults>
          <entry>
            <id>http://arxiv.org/abs/2511.01234v2</id>
            <updated>2025-11-12T09:30:00Z</updated>
            <published>2025-11-03T18:00:01Z</published>
            <title>Sparse Attention
              for $\\mathcal{O}(n)$ Transformers</title>
            <summary>  We propose a method.
        It works.
            </summary>
            <author><name>Ann Lee</name><arxiv:affiliation>MIT</arxiv:affiliation></author>
            <author><name>Bob Ray</name></author>
            <arxiv:doi>10.1000/xyz</arxiv:doi>
            <link href="http://arxiv.org/abs/2511.01234v2" rel="alternate" type="text/html"/>
            <link title="pdf" href="http://arxiv.org/pdf/2511.01234v2" rel="related" type="application/pdf"/>
            <arxiv:comment>12 pages</arxiv:comment>
            <arxiv:journal_ref>J. Test 1 (2025) 1</arxiv:journal_ref>
            <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
            <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
            <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
          </entry>
          <entry>
            <id>http://arxiv.org/abs/2511.00007v1</id>
            <updated>2025-11-01T10:00:00Z</updated>
            <published>2025-11-01T10:00:00Z</published>
            <title>One version</title>
            <summary>Short.</summary>
            <author><name>Carl Diaz</name></author>
            <arxiv:primary_category term="math.PR" scheme="http://arxiv.org/schemas/atom"/>
          </entry>
        </feed>
        """

    static let atomError = """
        <?xml version="1.0" encoding="UTF-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom">
          <entry>
            <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.123456</id>
            <title>Error</title>
            <summary>incorrect id format for 1234.123456</summary>
            <updated>2025-11-20T00:00:00-05:00</updated>
          </entry>
        </feed>
        """
}
