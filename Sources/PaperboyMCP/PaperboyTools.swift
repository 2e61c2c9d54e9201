import Foundation
import Logging
import MCP
import Metrics
import PaperboyCore

/// Paperboy's MCP tools and resources over one ``AgentSite``: what an assistant may call, with a JSON Schema for each
/// input, and each answer as Markdown text plus structured content. Bad arguments, unknown papers and refused actions
/// are tool errors (`isError`) with a message the assistant can act on; nothing a caller sends fails the protocol.
public struct PaperboyTools: Sendable {
    public let site: AgentSite
    let logger: Logger
    /// Where tool calls are counted (``MetricNames/mcpToolCalls``); nil: the process's metrics system.
    let metrics: (any MetricsFactory)?

    /// The most papers one search, listing or similar-papers answer holds.
    public static let maxSearchResults = 50
    public static let maxListingResults = 100
    /// The most authors an answer names per paper (a collaboration paper may list thousands).
    static let maxAuthors = 10

    public init(site: AgentSite, logger: Logger, metrics: (any MetricsFactory)? = nil) {
        self.site = site
        self.logger = logger
        self.metrics = metrics
    }

    public enum Name: String, CaseIterable, Sendable {
        case searchPapers = "search_papers"
        case getPaper = "get_paper"
        case listPapers = "list_papers"
        case similarPapers = "similar_papers"
        case upvotePaper = "upvote_paper"
        case submitPaper = "submit_paper"

        /// Tools that act as the signed-in user, offered only with a token.
        var needsAccount: Bool { self == .upvotePaper || self == .submitPaper }
    }

    /// The tools this caller may use: the write tools only with a token.
    public var tools: [Tool] {
        site.actions == nil ? Self.readingTools : Self.allTools
    }

    /// The tools and their schemas, built once (every `tools/list` and every HTTP request's server reads them).
    static let allTools = Name.allCases.map(ToolCatalog.tool)
    static let readingTools = Name.allCases.filter { !$0.needsAccount }.map(ToolCatalog.tool)

    /// Runs a tool. Unknown tool names are a protocol error (as the specification asks); everything else answers.
    public func call(_ rawName: String, arguments: [String: Value]?) async throws -> CallTool.Result {
        guard let name = Name(rawValue: rawName) else {
            count("unknown", ok: false)
            throw MCPError.invalidParams("Unknown tool: \(rawName.prefix(100))")
        }
        let result = await run(name, arguments)
        count(name.rawValue, ok: result.isError != true)
        return result
    }

    func count(_ tool: String, ok: Bool) {
        let dimensions = [("tool", tool), ("result", ok ? "ok" : "error")]
        if let metrics {
            Counter(label: MetricNames.mcpToolCalls, dimensions: dimensions, factory: metrics).increment()
        } else {
            Counter(label: MetricNames.mcpToolCalls, dimensions: dimensions).increment()
        }
    }

    func run(_ name: Name, _ arguments: [String: Value]?) async -> CallTool.Result {
        do {
            switch name {
            case .searchPapers: return try await searchPapers(arguments)
            case .getPaper: return try await getPaper(arguments)
            case .listPapers: return try await listPapers(arguments)
            case .similarPapers: return try await similarPapers(arguments)
            case .upvotePaper: return try await upvotePaper(arguments)
            case .submitPaper: return try await submitPaper(arguments)
            }
        } catch let error as ToolInputError {
            return Self.failure(error.message)
        } catch let refused as ActionRefused {
            return Self.failure(refused.message)
        } catch {
            logger.error(
                "mcp tool failed",
                metadata: ["mcp.tool": "\(name.rawValue)", "error.message": "\(String(reflecting: error))"])
            return Self.failure(
                "Paperboy could not answer \(name.rawValue) because of an internal error; try again later.")
        }
    }

    static func failure(_ message: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }

    /// An answer: Markdown text and the same facts as structured content. The content is built as a `Value` directly:
    /// the SDK's `Value(Codable)` encodes and decodes JSON, and its decoder compiles a regular expression for every
    /// string (to spot data URLs), which made a search answer cost 5 times the API's (BENCHMARKS.md).
    static func answer(_ markdown: String, _ structured: some StructuredAnswer) -> CallTool.Result {
        CallTool.Result(
            content: [.text(text: markdown, annotations: nil, _meta: nil)],
            structuredContent: Optional.some(structured.value))
    }

    // MARK: Reading

    func searchPapers(_ raw: [String: Value]?) async throws -> CallTool.Result {
        let args = try ToolArguments(
            raw, tool: Name.searchPapers.rawValue, allowed: ["query", "mode", "limit", "after", "before", "category"])
        let text = try args.requiredString("query", maxLength: SearchLimits.maxQueryLength)
        let mode = try args.choice("mode", default: SearchMode.hybrid)
        let limit = try args.integer("limit", in: 1...Self.maxSearchResults, default: 10)
        var query = SearchQuery(parsing: text)
        if let after = try args.day("after") { query.after = after }
        if let before = try args.day("before") { query.before = before }
        if let category = try args.string("category", maxLength: 64) { query.categories.append(category) }
        guard !query.isEmpty else {
            throw ToolInputError("query has no words to search for (only punctuation or common words)")
        }
        let outcome = try await site.searcher.search(query, mode: mode, offset: 0, limit: limit)
        let papers = outcome.page.items.map { hit in
            AgentPaper(
                hit.paper, url: site.paperURL(hit.paper.paper.id), score: hit.score, matchedTerms: hit.matchedTerms,
                similarity: hit.similarity, snippet: hit.abstractSnippet.plainText)
        }
        let result = SearchAnswer(
            query: text, mode: outcome.mode.rawValue, total: outcome.page.total,
            totalIsEstimated: outcome.totalIsEstimated, note: outcome.note ?? query.problems.first, papers: papers)
        return Self.answer(AgentMarkdown.search(result), result)
    }

    func getPaper(_ raw: [String: Value]?) async throws -> CallTool.Result {
        let args = try ToolArguments(raw, tool: Name.getPaper.rawValue, allowed: ["id"])
        let stored = try await paper(try args.paperID("id"))
        let item = AgentPaper(stored, url: site.paperURL(stored.paper.id))
        return Self.answer(markdown(of: stored), item)
    }

    func listPapers(_ raw: [String: Value]?) async throws -> CallTool.Result {
        let forms = ListingPeriod.queryForms
        let args = try ToolArguments(
            raw, tool: Name.listPapers.rawValue, allowed: forms.map(\.name) + ["sort", "limit"])
        let limit = try args.integer("limit", in: 1...Self.maxListingResults, default: 20)
        let sort = try args.choice("sort", default: DailySort.publishedAt)
        var periods: [ListingPeriod] = []
        for form in forms {
            guard let value = try args.string(form.name, maxLength: 32) else { continue }
            guard let period = form.parse(value) else { throw ToolInputError("\(form.name) must be \(form.expected)") }
            periods.append(period)
        }
        guard periods.count <= 1 else { throw ToolInputError("give at most one of date, week and month") }
        let title: String
        let page: ResultPage<StoredPaper>
        if let period = periods.first {
            title = "Papers of \(period)"
            page = try await site.catalog.listing(
                days: period.days, sort: sort == .trending ? .upvotes : .publishedAt, offset: 0, limit: limit)
        } else if sort == .trending {
            title = "Trending papers"
            page = try await site.trending.trending(offset: 0, limit: limit)
        } else if let newest = try await site.catalog.newestDay() {
            title = "Papers of \(newest), the newest day"
            page = try await site.catalog.listing(days: newest...newest, sort: .publishedAt, offset: 0, limit: limit)
        } else {
            title = "No papers yet"
            page = ResultPage(items: [], total: 0, offset: 0, limit: limit)
        }
        let result = ListingAnswer(
            title: title, sort: sort.rawValue, total: page.total,
            papers: page.items.map { AgentPaper($0, url: site.paperURL($0.paper.id)) })
        return Self.answer(AgentMarkdown.listing(result), result)
    }

    func similarPapers(_ raw: [String: Value]?) async throws -> CallTool.Result {
        let args = try ToolArguments(raw, tool: Name.similarPapers.rawValue, allowed: ["id", "limit"])
        let id = try args.paperID("id")
        let limit = try args.integer("limit", in: 1...Self.maxSearchResults, default: 5)
        let stored = try await paper(id)
        let similar = try await site.searcher.similar(to: id, limit: limit)
        var note: String?
        if similar.isEmpty, case .off(let reason) = await site.searcher.semanticStatus() {
            note = "Similar papers need semantic search, which is off on this site (\(reason))."
        }
        let result = SimilarAnswer(
            paper: AgentPaper(stored, url: site.paperURL(id)), note: note,
            papers: similar.map {
                AgentPaper($0.paper, url: site.paperURL($0.paper.paper.id), similarity: $0.similarity)
            }
        )
        return Self.answer(AgentMarkdown.similar(result), result)
    }

    // MARK: Acting

    func upvotePaper(_ raw: [String: Value]?) async throws -> CallTool.Result {
        let args = try ToolArguments(raw, tool: Name.upvotePaper.rawValue, allowed: ["id"])
        let actions = try signedIn(.upvotePaper)
        let id = try args.paperID("id")
        let state = try await actions.upvote(id)
        let result = VoteAnswer(id: id.rawValue, upvotes: state.upvotes, upvoted: state.upvoted, user: actions.username)
        return Self.answer(
            "Upvoted \(id) as \(actions.username); it has \(state.upvotes) upvote\(state.upvotes == 1 ? "" : "s") now.",
            result)
    }

    func submitPaper(_ raw: [String: Value]?) async throws -> CallTool.Result {
        let args = try ToolArguments(raw, tool: Name.submitPaper.rawValue, allowed: ["id"])
        let actions = try signedIn(.submitPaper)
        let id = try args.paperID("id")
        let stored = try await actions.submit(id.rawValue)
        let item = AgentPaper(stored, url: site.paperURL(stored.paper.id))
        return Self.answer(
            "Submitted \(stored.paper.id) as \(actions.username): \"\(stored.paper.title)\" is on the daily list of "
                + "\(item.featuredDay) at \(item.url).", item)
    }

    func signedIn(_ tool: Name) throws -> any AgentActions {
        guard let actions = site.actions else {
            throw ToolInputError(
                "\(tool.rawValue) acts as a user: connect with a personal access token (Authorization: Bearer on HTTP, "
                    + "--token-file for paperboy mcp)")
        }
        return actions
    }

    // MARK: Resources

    /// `paper://{id}`: a paper's Markdown, as `/papers/{id}.md` serves it.
    public static let resourceTemplate = Resource.Template(
        uriTemplate: "paper://{id}", name: "paper", title: "An arXiv paper on this Paperboy",
        description: "A paper's title, authors, links and abstract as Markdown, by arXiv id (2511.01234 or "
            + "hep-th/9901001).", mimeType: "text/markdown")

    /// The newest day's papers as resources, for clients that list them.
    public func resources() async throws -> [Resource] {
        guard let newest = try await site.catalog.newestDay() else { return [] }
        let page = try await site.catalog.listing(
            days: newest...newest, sort: .publishedAt, offset: 0, limit: Self.maxSearchResults)
        return page.items.map { stored in
            Resource(
                name: stored.paper.id.rawValue, uri: "paper://\(stored.paper.id)", title: stored.paper.title,
                mimeType: "text/markdown")
        }
    }

    /// Reads `paper://{id}`; another scheme or an unknown paper is an invalid-params error naming the URI.
    public func read(_ uri: String) async throws -> ReadResource.Result {
        let prefix = "paper://"
        guard uri.utf8.count <= 256, uri.hasPrefix(prefix), let (id, _) = PaperID.parse(String(uri.dropFirst(8)))
        else {
            throw MCPError.invalidParams("Unknown resource \(uri.prefix(256)): resources are paper://{arXiv id}")
        }
        guard let stored = try await site.catalog.paper(id: id, audience: .everyone) else {
            throw MCPError.invalidParams("Resource not found: paper \(id) is not on this site")
        }
        return ReadResource.Result(contents: [.text(markdown(of: stored), uri: uri, mimeType: "text/markdown")])
    }

    // MARK: Shared

    func paper(_ id: PaperID) async throws -> StoredPaper {
        guard let stored = try await site.catalog.paper(id: id, audience: .everyone) else {
            throw ToolInputError("paper \(id) is not on this site (submit_paper adds a paper from arXiv)")
        }
        return stored
    }

    /// The paper's Markdown, the same as `/papers/{id}.md`, followed by its page on this site.
    func markdown(of stored: StoredPaper) -> String {
        Citation.markdown(stored.paper) + "\n**On Paperboy:** \(site.paperURL(stored.paper.id)) · "
            + "\(stored.upvotes) upvote\(stored.upvotes == 1 ? "" : "s")\n"
    }
}
