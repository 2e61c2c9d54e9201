import Foundation
import MCP
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyMCP

/// The tools as an assistant sees them, over fake stores: what each answers, and the message of each bad input.
@Suite struct PaperboyToolsTests {
    /// The text of a result's first content.
    static func text(_ result: CallTool.Result) -> String {
        guard case .text(let text, _, _)? = result.content.first else { return "" }
        return text
    }

    static func papers(_ result: CallTool.Result) -> [[String: Value]] {
        result.structuredContent?.objectValue?["papers"]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    @Test func withoutATokenOnlyTheReadingToolsAreOffered() async throws {
        let anonymous = MCPTestSite.tools().tools.map(\.name)
        #expect(anonymous == ["search_papers", "get_paper", "list_papers", "similar_papers"])
        let signedIn = MCPTestSite.tools(actions: FakeActions(catalog: FakeCatalog())).tools.map(\.name)
        #expect(signedIn == anonymous + ["upvote_paper", "submit_paper"])
        for tool in MCPTestSite.tools(actions: FakeActions(catalog: FakeCatalog())).tools {
            let schema = try #require(tool.inputSchema.objectValue)
            #expect(schema["type"] == "object")
            #expect(schema["additionalProperties"] == false, "\(tool.name) refuses unknown arguments in its schema")
            #expect(tool.description?.isEmpty == false)
        }
    }

    @Test func searchPassesFiltersModeAndLimitToTheSearchEngine() async throws {
        let catalog = FakeCatalog()
        let searcher = FakeSearcher(catalog.papers)
        let tools = MCPTestSite.tools(catalog: catalog, searcher: searcher)
        let result = try await tools.call(
            "search_papers",
            arguments: [
                "query": "neural networks", "mode": "keyword", "limit": 2, "after": "2026-11-19",
                "before": "2026-11-21", "category": "cs.LG",
            ])
        #expect(result.isError != true)
        let asked = try #require(await searcher.asked.first)
        #expect(asked.mode == .keyword)
        #expect(asked.limit == 2)
        #expect(asked.query.after == Day(iso: "2026-11-19"))
        #expect(asked.query.before == Day(iso: "2026-11-21"))
        #expect(asked.query.categories == ["cs.LG"])
        #expect(asked.query.terms.map(\.words) == [["neural"], ["networks"]])
        let papers = Self.papers(result)
        #expect(papers.map { $0["id"] } == ["2611.00001", "2611.00002"])
        #expect(papers.first?["url"] == "https://papers.example.org/papers/2611.00001")
        #expect(papers.first?["matched_terms"] == ["neural"])
        #expect(result.structuredContent?.objectValue?["total"] == .int(catalog.papers.count))
        let text = Self.text(result)
        #expect(text.hasPrefix("\(catalog.papers.count) papers match \"neural networks\" (keyword search)."))
        #expect(text.contains("1. **Attention Is All You Need Again** (arXiv:2611.00001)"))
        #expect(text.contains("Why: matched neural; score 1.0000"))
    }

    @Test(
        arguments: [
            ("search_papers", [:], "query is required"),
            ("search_papers", ["query": "   "], "query is required"),
            ("search_papers", ["query": 5], "query must be a string"),
            (
                "search_papers", ["query": .string(String(repeating: "a", count: 1_001))],
                "query must be at most 1000 characters"
            ),
            ("search_papers", ["query": "x", "limit": 0], "limit must be an integer from 1 to 50"),
            ("search_papers", ["query": "x", "limit": 51], "limit must be an integer from 1 to 50"),
            ("search_papers", ["query": "x", "limit": 2.5], "limit must be an integer from 1 to 50"),
            ("search_papers", ["query": "x", "limit": "ten"], "limit must be an integer from 1 to 50"),
            ("search_papers", ["query": "x", "mode": "fuzzy"], "mode must be one of hybrid, keyword, semantic"),
            (
                "search_papers", ["query": "x", "after": "2026-13-01"],
                "after must be a day from 1000-01-01 to 9999-12-31, written YYYY-MM-DD"
            ),
            (
                "search_papers", ["query": "x", "colour": "red"],
                "search_papers has no argument colour; it takes query, mode, limit, after, before, category"
            ),
            ("search_papers", ["query": "!!!"], "query has no words to search for (only punctuation or common words)"),
            ("get_paper", [:], "id is required"),
            (
                "get_paper", ["id": "not-an-id"],
                "id must be an arXiv id such as 2511.01234 or hep-th/9901001, not not-an-id"
            ),
            (
                "get_paper", ["id": "2611.09999"],
                "paper 2611.09999 is not on this site (submit_paper adds a paper from arXiv)"
            ),
            ("list_papers", ["date": "2026-11-20", "week": "2026-W47"], "give at most one of date, week and month"),
            (
                "list_papers", ["week": "2026-W60"],
                "week must be an ISO week from 1000-W01 to 9999-W52, written YYYY-Www"
            ),
            ("list_papers", ["month": "2026-13"], "month must be a month from 1000-01 to 9999-12, written YYYY-MM"),
            ("list_papers", ["sort": "votes"], "sort must be one of publishedAt, trending"),
            ("list_papers", ["limit": 101], "limit must be an integer from 1 to 100"),
            ("similar_papers", ["id": "2611.00001", "limit": 51], "limit must be an integer from 1 to 50"),
            (
                "upvote_paper", ["id": "2611.00001"],
                "upvote_paper acts as a user: connect with a personal access token (Authorization: Bearer on HTTP, "
                    + "--token-file for paperboy mcp)"
            ),
            (
                "submit_paper", ["id": "2611.00001"],
                "submit_paper acts as a user: connect with a personal access token (Authorization: Bearer on HTTP, "
                    + "--token-file for paperboy mcp)"
            ),
        ] as [(String, [String: Value], String)])
    func badArgumentsAreToolErrorsThatSayWhatIsWrong(tool: String, arguments: [String: Value], message: String)
        async throws
    {
        let result = try await MCPTestSite.tools().call(tool, arguments: arguments)
        #expect(result.isError == true)
        #expect(Self.text(result) == message)
    }

    @Test func anUnknownToolIsAProtocolError() async throws {
        await #expect(throws: MCPError.invalidParams("Unknown tool: delete_everything")) {
            try await MCPTestSite.tools().call("delete_everything", arguments: nil)
        }
    }

    @Test func aFailingStoreIsAToolErrorThatHidesTheCause() async throws {
        let tools = MCPTestSite.tools(catalog: FakeCatalog(failure: StoreDown()))
        let result = try await tools.call("get_paper", arguments: ["id": "2611.00001"])
        #expect(result.isError == true)
        #expect(
            Self.text(result) == "Paperboy could not answer get_paper because of an internal error; try again later.")
    }

    @Test(arguments: ["2611.00001", "2611.00001v2", "arXiv:2611.00001", "https://arxiv.org/abs/2611.00001"])
    func getPaperIsThePapersMarkdown(id: String) async throws {
        let catalog = FakeCatalog(upvotes: ["2611.00001": 3])
        let result = try await MCPTestSite.tools(catalog: catalog).call("get_paper", arguments: ["id": .string(id)])
        let paper = try #require(Fixtures.corpus.first)
        #expect(
            Self.text(result)
                == Citation.markdown(paper) + "\n**On Paperboy:** https://papers.example.org/papers/2611.00001 · "
                + "3 upvotes\n")
        #expect(result.structuredContent?.objectValue?["upvotes"] == 3)
        #expect(result.structuredContent?.objectValue?["pdf_url"] == "https://arxiv.org/pdf/2611.00001")
    }

    @Test func oldStyleIdsWork() async throws {
        let result = try await MCPTestSite.tools().call("get_paper", arguments: ["id": "hep-th/9901001"])
        #expect(Self.text(result).hasPrefix("# Strings on the Light Cone"))
    }

    @Test func listingWithoutAPeriodIsTheNewestDay() async throws {
        let result = try await MCPTestSite.tools().call("list_papers", arguments: nil)
        let newest = Fixtures.corpus.map(\.featuredDay).max()
        let expected = Fixtures.corpus.filter { $0.featuredDay == newest }.sorted { $0.featuredAt > $1.featuredAt }
        #expect(Self.papers(result).map { $0["id"] } == expected.map { .string($0.id.rawValue) })
        #expect(Self.text(result).hasPrefix("Papers of \(newest!), the newest day: \(expected.count) papers"))
    }

    @Test func aWeekSortedByTrendingIsMostUpvotedFirst() async throws {
        let catalog = FakeCatalog(upvotes: ["2611.00003": 5, "2611.00002": 2])
        let result = try await MCPTestSite.tools(catalog: catalog).call(
            "list_papers", arguments: ["week": "2026-W47", "sort": "trending", "limit": 2])
        #expect(Self.papers(result).map { $0["id"] } == ["2611.00003", "2611.00002"])
        #expect(result.structuredContent?.objectValue?["title"] == "Papers of 2026-W47")
        #expect(Self.text(result).contains(", the first 2, trending first."))
    }

    @Test func trendingWithoutAPeriodIsTheSitesTrendingList() async throws {
        let catalog = FakeCatalog()
        let trending = FakeTrending(papers: Array(catalog.papers.suffix(2)))
        let result = try await MCPTestSite.tools(catalog: catalog, trending: trending).call(
            "list_papers", arguments: ["sort": "trending"])
        #expect(Self.papers(result).map { $0["id"] } == trending.papers.map { .string($0.paper.id.rawValue) })
        #expect(Self.text(result).hasPrefix("Trending papers: 2 papers, trending first."))
    }

    @Test func similarPapersSayWhenSemanticSearchIsOff() async throws {
        let catalog = FakeCatalog()
        let on = try await MCPTestSite.tools(catalog: catalog).call(
            "similar_papers", arguments: ["id": "2611.00001", "limit": 2])
        #expect(Self.papers(on).map { $0["similarity"] } == [0.9, 0.9])
        let off = try await MCPTestSite.tools(
            catalog: catalog, searcher: FakeSearcher(catalog.papers, semantic: .off(reason: "no model"))
        ).call("similar_papers", arguments: ["id": "2611.00001"])
        #expect(off.isError != true)
        #expect(Self.papers(off).isEmpty)
        #expect(Self.text(off).contains("Similar papers need semantic search, which is off on this site (no model)."))
    }

    @Test func aCollaborationPaperNamesItsFirstTenAuthors() async throws {
        let authors = (1...5_000).map { "Author \($0)" }
        let paper = Fixtures.paper("2611.00042", title: "Big Science", authors: authors)
        let result = try await MCPTestSite.tools(catalog: FakeCatalog([paper])).call(
            "search_papers", arguments: ["query": "science"])
        let first = try #require(Self.papers(result).first)
        #expect(first["authors"]?.arrayValue?.count == 10)
        #expect(first["author_count"] == 5_000)
        #expect(Self.text(result).contains("Author 1, Author 2, Author 3, Author 4, Author 5, Author 6 et al."))
    }

    @Test func upvoteAndSubmitActAsTheTokensUser() async throws {
        let catalog = FakeCatalog()
        let actions = FakeActions(catalog: catalog, refusing: ["2611.00002"])
        let tools = MCPTestSite.tools(catalog: catalog, actions: actions)
        let vote = try await tools.call("upvote_paper", arguments: ["id": "arXiv:2611.00001"])
        #expect(Self.text(vote) == "Upvoted 2611.00001 as ada; it has 1 upvote now.")
        #expect(vote.structuredContent == ["id": "2611.00001", "upvotes": 1, "upvoted": true, "user": "ada"])
        #expect(await actions.votes == [PaperID("2611.00001")!: 1])
        let refused = try await tools.call("upvote_paper", arguments: ["id": "2611.00002"])
        #expect(refused.isError == true)
        #expect(Self.text(refused) == "paper 2611.00002 not found")
        let submitted = try await tools.call("submit_paper", arguments: ["id": "2611.00003v1"])
        #expect(
            Self.text(submitted)
                == "Submitted 2611.00003 as ada: \"Galaxy Spectra Without Calibration\" is on the daily list of "
                + "2026-11-19 at https://papers.example.org/papers/2611.00003.")
        #expect(await actions.submitted == ["2611.00003"])
        let again = try await tools.call("submit_paper", arguments: ["id": "2611.00002"])
        #expect(Self.text(again) == "paper 2611.00002 was submitted already")
    }

    @Test func papersAreResources() async throws {
        let tools = MCPTestSite.tools()
        let read = try await tools.read("paper://hep-th/9901001")
        let markdown = try #require(read.contents.first?.text)
        #expect(markdown.hasPrefix("# Strings on the Light Cone"))
        #expect(read.contents.first?.mimeType == "text/markdown")
        await #expect(throws: MCPError.invalidParams("Resource not found: paper 2611.09999 is not on this site")) {
            try await tools.read("paper://2611.09999")
        }
        await #expect(
            throws: MCPError.invalidParams("Unknown resource file:///etc/passwd: resources are paper://{arXiv id}")
        ) {
            try await tools.read("file:///etc/passwd")
        }
        let listed = try await tools.resources().map(\.uri)
        let newest = Fixtures.corpus.map(\.featuredDay).max()
        #expect(Set(listed) == Set(Fixtures.corpus.filter { $0.featuredDay == newest }.map { "paper://\($0.id)" }))
    }
}
