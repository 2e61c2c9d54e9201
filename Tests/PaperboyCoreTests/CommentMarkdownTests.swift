import Foundation
import PaperboyCore
import Testing

@Suite("Comment Markdown")
struct CommentMarkdownTests {
    static let rel = #"rel="nofollow ugc noopener""#

    static func link(_ url: String, _ text: String? = nil) -> String {
        #"<a href="\#(url)" \#(rel)>\#(text ?? url)</a>"#
    }

    @Test(arguments: [
        ("plain text", "<p>plain text</p>"),
        ("", ""),
        ("  \n \n\t", ""),
        ("one\ntwo", "<p>one<br>\ntwo</p>"),
        ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
        ("  one  \r\n \r\n\r\n  two\rthree  ", "<p>one</p>\n<p>two<br>\nthree</p>"),
        ("a *b* c", "<p>a <em>b</em> c</p>"),
        ("a _b_ c", "<p>a <em>b</em> c</p>"),
        ("a **b** c", "<p>a <strong>b</strong> c</p>"),
        ("a __b__ c", "<p>a <strong>b</strong> c</p>"),
        ("**a *b* c**", "<p><strong>a <em>b</em> c</strong></p>"),
        ("*a **b** c*", "<p><em>a <strong>b</strong> c</em></p>"),
        ("in*side*word", "<p>in<em>side</em>word</p>"),
        ("snake_case_name and __init__", "<p>snake_case_name and <strong>init</strong></p>"),
        ("2 * 3 * 4", "<p>2 * 3 * 4</p>"),
        ("*not closed", "<p>*not closed</p>"),
        ("***three***", "<p>***three***</p>"),
        ("*a **b* c**", "<p><em>a **b</em> c**</p>"),
        ("*one\ntwo*", "<p><em>one<br>\ntwo</em></p>"),
        (#"\*not\* \_em\_ \$5 \` \\ \x"#, #"<p>*not* _em_ $5 ` \\ \x</p>"#),
    ])
    func paragraphsBreaksAndEmphasis(input: String, html: String) {
        #expect(CommentMarkdown.html(input) == html)
    }

    @Test(arguments: [
        ("use `x*y*z` here", "<p>use <code>x*y*z</code> here</p>"),
        ("``a ` b``", "<p><code>a ` b</code></p>"),
        ("` `` `", "<p><code>``</code></p>"),
        ("`a\nb`", "<p><code>a b</code></p>"),
        ("`<b>&`", "<p><code>&lt;b&gt;&amp;</code></p>"),
        ("`https://x.org [a](https://b.org) $x$`", "<p><code>https://x.org [a](https://b.org) $x$</code></p>"),
        ("`unclosed", "<p>`unclosed</p>"),
        (
            "```\nlet x = *y*;\n<b>\n\n  indented\n```\nafter",
            "<pre><code>let x = *y*;\n&lt;b&gt;\n\n  indented</code></pre>\n<p>after</p>"
        ),
        ("text\n```swift\ncode\n````\nmore", "<p>text</p>\n<pre><code>code</code></pre>\n<p>more</p>"),
        ("```\nno end\n\nstill code", "<pre><code>no end\n\nstill code</code></pre>"),
        ("```\n```", "<pre><code></code></pre>"),
        ("```inline```", "<p><code>inline</code></p>"),
    ])
    func code(input: String, html: String) {
        #expect(CommentMarkdown.html(input) == html)
    }

    @Test(arguments: [
        ("see https://arxiv.org/abs/1706.03762.", "<p>see \(link("https://arxiv.org/abs/1706.03762")).</p>"),
        ("(at http://x.org/a_(b)_c), ok", "<p>(at \(link("http://x.org/a_(b)_c"))), ok</p>"),
        ("https://x.org/p?a=1&b='2'!?", "<p>\(link("https://x.org/p?a=1&amp;b=&#39;2"))&#39;!?</p>"),
        (#"\url{https://github.com/foo/bar}"#, #"<p>\url{\#(link("https://github.com/foo/bar"))}</p>"#),
        ("[x](https://github.com/a/b)]", "<p>\(link("https://github.com/a/b", "x"))]</p>"),
        ("**https://x.org/a**", "<p><strong>\(link("https://x.org/a"))</strong></p>"),
        ("HTTPS://X.ORG/a_b*c*", "<p>\(link("HTTPS://X.ORG/a_b*c"))*</p>"),
        ("<https://x.org>", "<p>&lt;\(link("https://x.org"))&gt;</p>"),
        ("nohttps://x.org", "<p>nohttps://x.org</p>"),
        ("https:// and http://", "<p>https:// and http://</p>"),
        (
            "[the *paper*](https://arxiv.org/abs/2501.00001v2)",
            "<p>\(link("https://arxiv.org/abs/2501.00001v2", "the <em>paper</em>"))</p>"
        ),
        (
            "[wiki](https://en.wikipedia.org/wiki/Set_(mathematics)).",
            "<p>\(link("https://en.wikipedia.org/wiki/Set_(mathematics)", "wiki")).</p>"
        ),
        ("[](https://x.org)", "<p>\(link("https://x.org"))</p>"),
        ("[see https://a.org](https://b.org)", "<p>\(link("https://b.org", "see https://a.org"))</p>"),
        ("[a [b](https://x.org)", "<p>[a \(link("https://x.org", "b"))</p>"),
        (
            "[relative](/papers/1) [mail](mailto:a@b.c) [ftp](ftp://x.org)",
            "<p>[relative](/papers/1) [mail](mailto:a@b.c) [ftp](ftp://x.org)</p>"
        ),
        ("[spaced](https://x.org \"title\")", "<p>[spaced](\(link("https://x.org")) &quot;title&quot;)</p>"),
    ])
    func links(input: String, html: String) {
        #expect(CommentMarkdown.html(input) == html)
    }

    @Test(arguments: [
        ("$a*b*c$", #"<p><span class="tex">$a*b*c$</span></p>"#),
        (
            "so $x_1 + y_1$ and $f(x) = [a](https://x.org)$.",
            #"<p>so <span class="tex">$x_1 + y_1$</span> and <span class="tex">$f(x) = [a](https://x.org)$</span>.</p>"#
        ),
        ("$$\\sum_{i<n} a_i$$", #"<p><span class="tex tex-display">$$\sum_{i&lt;n} a_i$$</span></p>"#),
        ("$$\na\n*b*\n$$", "<p><span class=\"tex tex-display\">$$\na\n*b*\n$$</span></p>"),
        ("costs $5 and $10, *really*", "<p>costs $5 and $10, <em>really</em></p>"),
        ("$ x$ and $x $", "<p>$ x$ and $x $</p>"),
        (#"$\$$ and $a\$b$"#, #"<p><span class="tex">$\$$</span> and <span class="tex">$a\$b$</span></p>"#),
        ("$$ $$ and $$$x$$$", "<p>$$ $$ and $$$x$$$</p>"),
        ("`$x$` $`y`$", #"<p><code>$x$</code> <span class="tex">$`y`$</span></p>"#),
    ])
    func tex(input: String, html: String) {
        #expect(CommentMarkdown.html(input) == html)
    }

    @Test(arguments: [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        (
            "[x](JaVaScRiPt:alert(1)) [y](data:text/html;base64,PHNjcmlwdD4=) [z](vbscript:x)",
            "<p>[x](JaVaScRiPt:alert(1)) [y](data:text/html;base64,PHNjcmlwdD4=) [z](vbscript:x)</p>"
        ),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        (#""><svg onload=alert(1)>"#, "<p>&quot;&gt;&lt;svg onload=alert(1)&gt;</p>"),
        (
            #"[x](https://x.org/"onmouseover="alert(1))"#,
            #"<p>\#(link("https://x.org/&quot;onmouseover=&quot;alert(1)", "x"))</p>"#
        ),
        (
            #"https://x.org/"onmouseover="alert(1)"#,
            #"<p>\#(link("https://x.org/"))&quot;onmouseover=&quot;alert(1)</p>"#
        ),
        ("[<b>](https://x.org/<b>)", "<p>\(link("https://x.org/&lt;b&gt;", "&lt;b&gt;"))</p>"),
        ("'single' & \"double\" &amp;", "<p>&#39;single&#39; &amp; &quot;double&quot; &amp;amp;</p>"),
        ("a\u{0}b\u{1B}[31m\u{7F}\u{85}c\td", "<p>ab[31mc\td</p>"),
        ("$<script>$", #"<p><span class="tex">$&lt;script&gt;$</span></p>"#),
        ("```<script>\n</script>\n```", "<pre><code>&lt;/script&gt;</code></pre>"),
    ])
    func hostileInputIsText(input: String, html: String) {
        #expect(CommentMarkdown.html(input) == html)
    }

    /// Inputs that would make a backtracking parser quadratic or worse: each must finish (the web layer's limit is
    /// 5,000 characters; these are 5,000 or more) with the whole input as text.
    @Test func pathologicalInputsComeBackAsText() {
        for character in ["*", "_", "[", "]", "$", "(", ")", "\\", "h"] {
            let input = String(repeating: character, count: 5_000)
            #expect(CommentMarkdown.html(input) == "<p>\(input)</p>", "\(character)")
        }
        #expect(
            CommentMarkdown.html(String(repeating: "<", count: 5_000))
                == "<p>\(String(repeating: "&lt;", count: 5_000))</p>")
        #expect(CommentMarkdown.html(String(repeating: "`", count: 5_000)) == "<pre><code></code></pre>", "a fence")
        let backticks = "a" + String(repeating: "`", count: 5_000)
        #expect(CommentMarkdown.html(backticks) == "<p>\(backticks)</p>")
        let patterns = [
            "*a ", "**a ", "a* ", "_a_", "[a](", "[](", "](", "[a](https://x.org/(", "$a ", "a$ ", "$$a ", "`a ",
            "``a ", "http://x.org/(", "https://a.org.https://", "\\$", "[`", "*[a](https://x.org)",
        ]
        for pattern in patterns {
            let input = String(repeating: pattern, count: 5_000 / pattern.count + 1)
            #expect(!CommentMarkdown.html(input).isEmpty, "\(pattern)")
        }
        let nested = String(repeating: "[", count: 2_500) + String(repeating: "](https://x.org)", count: 200)
        #expect(CommentMarkdown.html(nested).contains(Self.link("https://x.org")))
        let emphasis = String(repeating: "*a ", count: 1_700) + String(repeating: "b* ", count: 1_700)
        #expect(CommentMarkdown.html(emphasis).components(separatedBy: "<em>").count == 1_701)
    }
}
