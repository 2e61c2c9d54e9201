import Foundation
import PaperboyCore
import Testing

@testable import PaperboyIngest

/// Replays the saved corpus of every fuzz target (`Tests/Fixtures/fuzz/<target>/`, see `Fuzz/README.md`)
/// through the same entry the fuzz target uses: each input must come back (papers or typed rejections) with
/// none of the target's promises broken.
@Suite struct FuzzCorpusTests {
    static func corpus(_ target: FuzzEntry.Target) throws -> [URL] {
        let directory = Fixtures.sharedData.appendingPathComponent("fuzz").appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzEntry.Target.allCases)
    func savedCorpusReplays(target: FuzzEntry.Target) throws {
        let files = try Self.corpus(target)
        #expect(files.count >= 10, "the corpus of \(target.rawValue) is missing")
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            let problems = FuzzEntry.run(target, bytes)
            #expect(problems.isEmpty, "\(target.rawValue)/\(file.lastPathComponent): \(problems)")
        }
    }

    @Test func realRecordsPassTheChecks() throws {
        let sample = Array(try Data(contentsOf: Fixtures.sample200))
        #expect(FuzzEntry.run(.snapshot, sample).isEmpty)
        for xml in [Fixtures.arXivRawListRecords, Fixtures.arXivGetRecord] {
            #expect(FuzzEntry.run(.oai, Array(xml.utf8)).isEmpty)
        }
        #expect(FuzzEntry.run(.atom, Array(Fixtures.atomFeed.utf8)).isEmpty)
        #expect(FuzzEntry.run(.tex, Array(#"C. Bal\'azs and {\O}bro, J. Smith Jr."#.utf8)).isEmpty)
        #expect(FuzzEntry.run(.query, Array(#"author:"Ann Lee" -cat:cs.LG transformer* after:2020"#.utf8)).isEmpty)
        let comment = "**Nice** [code](https://github.com/a/b), `x`, $a*b$\n\n```\n<b>\n```"
        #expect(FuzzEntry.run(.markdown, Array(comment.utf8)).isEmpty)
    }

    /// The checks find what they look for (a test of the test).
    @Test func theChecksCatchBrokenPromises() {
        let paper = Paper(
            id: PaperID("0704.0001")!, title: " T ", abstract: "", authors: [""], categories: ["a", "a"],
            versions: [PaperVersion(number: 1, submitted: Date(timeIntervalSince1970: 0))], comments: "a\u{0}b")
        #expect(
            FuzzEntry.check(paper) == [
                "0704.0001: title empty or not collapsed", #"0704.0001: control character U+0000 in field "comments""#,
                "0704.0001: date 0.0 out of range", "0704.0001: authors 1, some empty",
                #"0704.0001: categories ["a", "a"]"#,
            ])
        #expect(FuzzEntry.checkReason("bad \u{1B}[31m") == [#"control character in reason "bad \u{1B}[31m""#])
    }

    /// The checks of a rendered comment find what they look for.
    @Test(arguments: [
        ("<p>ok</p>\n<pre><code>x</code></pre>", [String]()),
        (#"<p><a href="https://x.org/?a=1&amp;b" rel="nofollow ugc noopener">x</a></p>"#, []),
        ("<p><script>x</script></p>", ["tag not allowed: <script>", "unbalanced </script> after <p>"]),
        ("<p><em>x</p></em>", ["unbalanced </p> after <em>", "unclosed <p>"]),
        (
            #"<p><a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a></p>"#,
            [#"href not http(s): "javascript:alert(1)""#]
        ),
        (
            #"<p><a href="https://x.org/"x" rel="nofollow ugc noopener">x</a></p>"#,
            [#"raw " in href "https://x.org/\"x""#]
        ),
        (
            #"<p><a href="https://x.org" rel="nofollow">x</a></p>"#,
            [#"tag not allowed: <a href="https://x.org" rel="nofollow">"#, "unbalanced </a> after <p>"]
        ),
        (
            #"<p><a href="https://x.org" rel="nofollow ugc noopener"><a href="https://y.org" rel="nofollow ugc noopener">y</a></a></p>"#,
            ["a link inside a link"]
        ),
        (
            "<p>a > b & c \"d\" 'e'</p>",
            [
                "raw > in text at 5", "bare & at 9", "raw \" in text at 13", "raw \" in text at 15",
                "raw ' in text at 17",
            ]
        ),
        ("<p><code><em>x</em></code></p>", ["<em> outside a paragraph, or inside code or TeX"]),
        (
            "text<pre>x<p></p></pre>",
            ["text outside a block", "text directly inside <pre>", "<p> inside <pre>", "<p> directly inside <pre>"]
        ),
        ("<p>\u{1B}</p><p>", ["control character U+1B in text", "unclosed <p>"]),
        // Found by the fuzzer: an escape followed by a combining mark (one character with the ";") is an escape.
        (
            "<p>&amp;\u{07A6} <a href=\"https://x.org/&amp;\u{07A6}\" rel=\"nofollow ugc noopener\">x</a></p>",
            []
        ),
    ])
    func theCommentChecksCatchBrokenPromises(html: String, problems: [String]) {
        #expect(FuzzEntry.checkCommentHTML(html) == problems)
        #expect(FuzzEntry.run(.markdown, Array("  \n\u{0}".utf8)).isEmpty)
    }
}
