import Foundation
import HTTPTypes
import PaperStoreConformance
import PaperboyCore
import PaperboyWeb
import Testing

@Suite("HTML pages")
struct PageTests {
    @Test func homeShowsTheNewestDayAsCards() async throws {
        try await TestSite.make().run { client in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.body.contains("<h1>November 20, 2026</h1>"))
            #expect(page.body.contains("2 papers"))
            #expect(page.body.contains(#"<a href="/papers/2611.00002">Quantum Error Correction at Scale</a>"#))
            #expect(page.body.contains(#"<a href="/authors/Alan%20Turing">Alan Turing</a>"#))
            #expect(page.body.contains(#"<a class="cat" href="/categories/quant-ph">quant-ph</a>"#))
            #expect(page.body.contains(#"href="https://arxiv.org/pdf/2611.00002""#))
            #expect(!page.body.contains("Galaxy Spectra"), "only the newest day")
            // Navigation to the previous day that has papers; none after the newest.
            #expect(page.body.contains(#"<a rel="prev" href="/papers?date=2026-11-19">← November 19, 2026</a>"#))
            #expect(!page.body.contains(#"rel="next""#))
        }
    }

    @Test func manyAuthorsAreCutWithACount() async throws {
        let authors = (1...9).map { "Author \($0)" }
        let paper = Fixtures.paper("2611.00050", title: "Big Team", authors: authors)
        try await TestSite.make(papers: [paper]).run { client in
            let page = try await client.get("/")
            #expect(page.body.contains("Author 4</a>"))
            #expect(!page.body.contains("Author 5</a>"))
            #expect(page.body.contains(#"<span class="more">+ 5</span>"#))
        }
    }

    @Test func weeksMonthsAndEmptyDays() async throws {
        try await TestSite.make().run { client in
            let week = try await client.get("/papers?week=2026-W47")
            #expect(week.status == .ok)
            #expect(week.body.contains("Week 47, 2026 (November 16, 2026 – November 22, 2026)"))
            #expect(week.body.contains("4 papers"))
            #expect(week.body.contains(#"<a rel="prev" href="/papers?week=2026-W46">← Week 46</a>"#))
            let month = try await client.get("/papers?month=2026-11")
            #expect(month.body.contains("<h1>November 2026</h1>") && month.body.contains("4 papers"))
            let empty = try await client.get("/papers?date=2026-11-21")
            #expect(empty.status == .ok)
            #expect(empty.body.contains("No papers were listed on November 21, 2026."))
            let day = try await client.get("/papers?date=2026-11-19")
            #expect(day.body.contains("Galaxy Spectra Without Calibration"))
            #expect(day.body.contains(#"<a rel="next" href="/papers?date=2026-11-20">November 20, 2026 →</a>"#))
        }
    }

    @Test(arguments: [
        ("/papers?date=2026-13-01", "date must be a day from 1000-01-01 to 9999-12-31, written YYYY-MM-DD"),
        ("/papers?week=2026-W60", "week must be an ISO week from 1000-W01 to 9999-W52, written YYYY-Www"),
        ("/papers?month=Nov", "month must be a month from 1000-01 to 9999-12, written YYYY-MM"),
        ("/papers?date=2026-11-20&page=0", "page must be an integer from 1 to 200"),
    ])
    func badListingParametersGetA400Page(uri: String, message: String) async throws {
        try await TestSite.make().run { client in
            let page = try await client.get(uri)
            #expect(page.status == .badRequest)
            #expect(page.body.contains("<p>\(message)</p>"))
        }
    }

    @Test func anEmptySiteSaysHowToLoadPapers() async throws {
        try await TestSite.make(papers: []).run { client in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.body.contains("No papers yet. Load some with `paperboy ingest FILE` or `paperboy harvest`."))
        }
    }

    @Test func paperPageShowsEverything() async throws {
        var paper = Fixtures.paper(
            "2611.01234", title: "A Full Paper", abstract: "Line one with $\\alpha$.", authors: ["Zoë Ünal", "Bo Li"],
            categories: ["math.CO", "cs.DM"], versions: [(1, "2026-11-01T01:02:03Z"), (2, "2026-11-05T00:00:00Z")],
            comments: "12 pages, 3 figures", doi: "10.1000/xyz")
        paper.journalRef = "J. Test 1 (2026)"
        paper.license = "http://creativecommons.org/licenses/by/4.0/"
        try await TestSite.make(papers: [paper]).run { client in
            let page = try await client.get("/papers/2611.01234")
            #expect(page.status == .ok)
            let body = page.body
            #expect(body.contains("<h1 class=\"tex\">A Full Paper</h1>"))
            #expect(
                body.contains(
                    #"<a href="/authors/Zo%C3%AB%20%C3%9Cnal">Zoë Ünal</a>, <a href="/authors/Bo%20Li">Bo Li</a>"#))
            #expect(body.contains(#"<a class="cat" href="/categories/math.CO">math.CO</a>"#))
            #expect(body.contains("Line one with $\\alpha$."))
            #expect(body.contains("<dd>12 pages, 3 figures</dd>"))
            #expect(body.contains("<dd>J. Test 1 (2026)</dd>"))
            #expect(body.contains(#"<a href="https://doi.org/10.1000/xyz">10.1000/xyz</a>"#))
            #expect(
                body.contains(
                    #"<a href="https://arxiv.org/abs/2611.01234v2">v2</a> <time datetime="2026-11-05T00:00:00.000Z">November 5, 2026</time>"#
                ))
            #expect(body.contains("@misc{unal2026full,"))
            #expect(body.contains("  eprint = {2611.01234},"))
            #expect(body.contains(#"href="/papers/2611.01234.md""#))
        }
    }

    @Test func oldStyleAndVersionedIdsServeThePaper() async throws {
        try await TestSite.make().run { client in
            for uri in ["/papers/hep-th/9901001", "/papers/hep-th%2F9901001", "/papers/hep-th/9901001v2"] {
                let page = try await client.get(uri)
                #expect(page.status == .ok, "\(uri)")
                #expect(page.body.contains(#"<h1 class="tex">Strings on the Light Cone</h1>"#), "\(uri)")
            }
            let versioned = try await client.get("/papers/2611.00002v1")
            #expect(versioned.body.contains(#"<link rel="canonical" href="http://127.0.0.1:8080/papers/2611.00002">"#))
        }
    }

    @Test func markdownOfAPaper() async throws {
        try await TestSite.make().run { client in
            let md = try await client.get("/papers/hep-th/9901001.md")
            #expect(md.status == .ok)
            #expect(md.headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(md.body.hasPrefix("# Strings on the Light Cone\n\n**Authors:** Edward Witten\n"))
            #expect(md.body.contains("## Abstract\n\nAn old-style identifier from the nineteen-nineties.\n"))
        }
    }

    @Test func unknownPapersGetA404Page() async throws {
        try await TestSite.make().run { client in
            let missing = try await client.get("/papers/2611.09999")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("<p>Paper 2611.09999 is not here (yet).</p>"))
            let nonsense = try await client.get("/papers/not-an-id")
            #expect(nonsense.status == .notFound)
            #expect(nonsense.body.contains("<p>“not-an-id” is not an arXiv id.</p>"))
        }
    }

    @Test func hostileTextIsEscapedEverywhere() async throws {
        try await TestSite.make().run { client in
            for uri in ["/papers?date=2026-11-18", "/papers/2611.00004", "/search?q=script", "/authors/Ada%20Lovelace"]
            {
                let page = try await client.get(uri)
                #expect(page.status == .ok, "\(uri)")
                #expect(!page.body.contains("<script>"), "\(uri)")
                #expect(!page.body.contains("<img src=x>"), "\(uri)")
                #expect(!page.body.contains("<b>markup</b>"), "\(uri)")
            }
            let paper = try await client.get("/papers/2611.00004")
            #expect(
                paper.body.contains(
                    #"<h1 class="tex">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Quotes&quot;</h1>"#)
            )
            #expect(paper.body.contains("Hostile &lt;b&gt;markup&lt;/b&gt; &amp; entities &amp;amp; stay text"))
            let search = try await client.get("/search?q=%3Cscript%3E")
            #expect(search.body.contains(#"value="&lt;script&gt;""#))
        }
    }

    @Test func authorPagesListPapersAndCoauthors() async throws {
        try await TestSite.make().run { client in
            let page = try await client.get("/authors/Alan%20Turing")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1>Alan Turing</h1>"))
            #expect(page.body.contains("2 papers"))
            #expect(
                page.body.contains(
                    #"Co-authors: <a href="/authors/Ada%20Lovelace">Ada Lovelace</a> (1), <a href="/authors/Grace%20Hopper">Grace Hopper</a> (1)"#
                ))
            let quantum = try #require(page.body.range(of: "Quantum Error Correction"))
            let attention = try #require(page.body.range(of: "Attention Is All You Need Again"))
            #expect(quantum.lowerBound < attention.lowerBound, "newest first")
            #expect(try await client.get("/authors/Nobody").status == .notFound)
        }
    }

    @Test func categoryPagesListNewestFirstWithAFeed() async throws {
        try await TestSite.make().run { client in
            let page = try await client.get("/categories/cs.LG")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1>cs.LG</h1>"))
            #expect(page.body.contains(#"<a href="/feeds/categories/cs.LG.xml">RSS</a>"#))
            let first = try #require(page.body.range(of: "Attention Is All You Need Again"))
            let second = try #require(page.body.range(of: "Galaxy Spectra"))
            #expect(first.lowerBound < second.lowerBound)
            #expect(try await client.get("/categories/xx.YY").status == .notFound)
        }
    }

    @Test func pagesPaginateFiftyAtATime() async throws {
        let papers = (1...120).map { i in
            Fixtures.paper(
                String(format: "2611.%05d", 100 + i), title: "Paper \(i)", versions: [(1, "2026-11-20T10:00:00Z")])
        }
        try await TestSite.make(papers: papers).run { client in
            let first = try await client.get("/papers?date=2026-11-20")
            #expect(first.body.components(separatedBy: #"<article class="card">"#).count - 1 == 50)
            #expect(first.body.contains("Page 1 of 3"))
            #expect(first.body.contains(#"<a rel="next" href="/papers?date=2026-11-20&amp;page=2">Next →</a>"#))
            let last = try await client.get("/papers?date=2026-11-20&page=3")
            #expect(last.body.components(separatedBy: #"<article class="card">"#).count - 1 == 20)
        }
    }

    @Test func searchHighlightsMatchesAndExplainsProblems() async throws {
        try await TestSite.make().run { client in
            let page = try await client.get("/search?q=galaxy")
            #expect(page.status == .ok)
            #expect(page.body.contains("1 result"))
            #expect(page.body.contains("<mark>Galaxy</mark> Spectra Without Calibration"))
            let bad = try await client.get("/search?q=network%20after:yesterday")
            #expect(bad.body.contains("Ignored after:yesterday: dates are written YYYY-MM-DD."))
            let empty = try await client.get("/search")
            #expect(
                empty.body.contains(
                    "Type words to search titles, authors and abstracts, or describe an idea in your own words."))
            #expect(empty.body.contains("Semantic search is off: no embedding model is loaded."))
            let fallback = try await client.get("/search?q=galaxy")
            #expect(
                fallback.body.contains(
                    "Semantic search is off (no embedding model is loaded); these are keyword results."))
            let keyword = try await client.get("/search?q=galaxy&mode=keyword")
            #expect(!keyword.body.contains("these are keyword results"))
            #expect(
                keyword.body.contains(#"<a href="/search?q=galaxy&amp;mode=keyword" aria-current="page">Keyword</a>"#))
            let badMode = try await client.get("/search?q=galaxy&mode=fuzzy")
            #expect(badMode.status == .badRequest)
            #expect(badMode.body.contains("“fuzzy” is not a search mode (hybrid, keyword or semantic)."))
            let none = try await client.get("/search?q=zzzzqqq")
            #expect(none.body.contains("No papers match “zzzzqqq”."))
        }
    }

    @Test(arguments: [
        "%22unbalanced", "*", "NEAR(", "%27;%20DROP%20TABLE%20papers;--", "%F0%9F%A4%96", "a%20OR%20NOT", "(((", "-",
        "author:",
    ])
    func anySearchInputGetsAPage(q: String) async throws {
        try await TestSite.make().run { client in
            let page = try await client.get("/search?q=\(q)")
            #expect(page.status == .ok)
        }
    }

    @Test func pathPrefixIsUsedByRoutesAndLinks() async throws {
        let config = WebConfiguration(baseURL: URL(string: "https://example.org/pb/")!, cacheTTL: .zero)
        try await TestSite.make(config: config).run { client in
            let page = try await client.get("/pb/")
            #expect(page.status == .ok)
            #expect(page.body.contains(#"<a href="/pb/papers/2611.00002">"#))
            #expect(page.body.contains(#"href="/pb/static/paperboy.css?v=\#(PaperboyVersion.current)""#))
            let feed = try await client.get("/pb/feeds/daily.xml")
            #expect(feed.body.contains("<link>https://example.org/pb/papers/2611.00002</link>"))
        }
    }

    @Test func staticFilesAreServedToEverybodyWithTheirTypes() async throws {
        try await TestSite.make().run { client in
            let css = try await client.get("/static/paperboy.css")
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.body.contains("prefers-color-scheme: dark"))
            #expect(css.body.contains("@media print"))
            let script = try await client.get("/static/paperboy.js")
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.body.contains("renderMathInElement"))
            let katex = try await client.get("/static/katex/katex.min.js")
            #expect(katex.status == .ok && katex.body.contains("0.16.4"))
            #expect(try await client.get("/static/katex/katex.min.css").status == .ok)
            #expect(try await client.get("/static/katex/auto-render.min.js").status == .ok)
            #expect(try await client.get("/static/katex/LICENSE.txt").body.contains("Khan Academy"))
            let font = try await client.get("/static/katex/fonts/KaTeX_Main-Regular.woff2")
            #expect(font.status == .ok && font.headers[.contentType] == "font/woff2")
            #expect(font.headers[.cacheControl] == "public, max-age=86400")
            // A signed-in visitor's cookie does not make them personal: the browser keeps them.
            let signedIn = try await client.get("/static/paperboy.js", headers: [.cookie: "paperboy_session=x"])
            #expect(signedIn.headers[.cacheControl] == "public, max-age=86400")
            #expect(try await client.get("/static/paperboy.js?v=0.1.0").body == script.body)
            let etag = try #require(script.headers[.eTag])
            #expect(try await client.get("/static/paperboy.js", headers: [.ifNoneMatch: etag]).status == .notModified)
            for missing in [
                "/static/nothing.css", "/static/katex/fonts/KaTeX_Main-Regular.ttf", "/static/../openapi.json",
                "/static/%2e%2e/openapi.json", "/static/",
            ] {
                #expect(try await client.get(missing).status == .notFound, "\(missing)")
            }
        }
    }

    @Test func pagesLoadTheScriptAndMarkTheirTeX() async throws {
        try await TestSite.make().run { client in
            let home = try await client.get("/")
            #expect(
                home.body.contains(
                    #"<script src="/static/paperboy.js?v=\#(PaperboyVersion.current)" defer data-static="/static/" "#
                        + #"data-suggest="/api/suggest"></script>"#))
            #expect(!home.body.contains("<script>"))
            #expect(home.body.contains(#"<h2 class="tex">"#) && home.body.contains(#"<p class="abstract tex">"#))
            let paper = try await client.get("/papers/2611.00001")
            #expect(paper.body.contains(#"<h1 class="tex">"#) && paper.body.contains(#"<p class="abstract full tex">"#))
        }
    }
}
