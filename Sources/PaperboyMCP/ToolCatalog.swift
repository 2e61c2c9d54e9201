import MCP
import PaperboyCore

/// Each tool's description (what an assistant chooses by) and the JSON Schema of its input.
enum ToolCatalog {
    static func tool(_ name: PaperboyTools.Name) -> Tool {
        switch name {
        case .searchPapers:
            Tool(
                name: name.rawValue, title: "Search papers",
                description: """
                    Search the arXiv papers on this Paperboy by meaning and by keywords. Hybrid mode (the default) \
                    finds papers described in your own words as well as exact terms; keyword mode matches words \
                    (with "exact phrases", prefix*, -excluded, author:Name and cat:cs.LG); semantic mode ranks by \
                    meaning only. Returns ranked papers with id, title, authors, date, URL, score and why each matched.
                    """,
                inputSchema: object(
                    [
                        "query": .object([
                            "type": "string", "minLength": 1, "maxLength": .int(SearchLimits.maxQueryLength),
                            "description": "What to look for, e.g. speculative decoding for LLM inference",
                        ]),
                        "mode": .object([
                            "type": "string", "enum": .array(SearchMode.allCases.map { .string($0.rawValue) }),
                            "default": "hybrid", "description": "hybrid, keyword or semantic",
                        ]),
                        "limit": limit(max: PaperboyTools.maxSearchResults, default: 10),
                        "after": day("Only papers featured on or after this day"),
                        "before": day("Only papers featured before this day"),
                        "category": .object([
                            "type": "string", "maxLength": 64,
                            "description": "Only papers in this arXiv category (primary or cross-listed), e.g. cs.CL",
                        ]),
                    ], required: ["query"]),
                annotations: .init(readOnlyHint: true, openWorldHint: false))
        case .getPaper:
            Tool(
                name: name.rawValue, title: "Get a paper",
                description: """
                    A paper's title, authors, categories, dates, links (arXiv, PDF, DOI) and full abstract as \
                    Markdown, by arXiv id (2511.01234, hep-th/9901001, with or without version).
                    """,
                inputSchema: object(["id": paperID], required: ["id"]),
                annotations: .init(readOnlyHint: true, openWorldHint: false))
        case .listPapers:
            Tool(
                name: name.rawValue, title: "List papers of a day, week or month",
                description: """
                    The daily papers listing: the papers of one day, ISO week or month (give at most one), newest \
                    first or trending (most upvoted). Without a period: the newest day, or with sort trending, what \
                    the community is upvoting now.
                    """,
                inputSchema: object(
                    [
                        "date": day("A day"),
                        "week": .object([
                            "type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$",
                            "description": "An ISO week, written YYYY-Www, e.g. 2026-W48",
                        ]),
                        "month": .object([
                            "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$",
                            "description": "A month, written YYYY-MM",
                        ]),
                        "sort": .object([
                            "type": "string", "enum": .array(DailySort.allCases.map { .string($0.rawValue) }),
                            "default": "publishedAt", "description": "publishedAt (newest first) or trending",
                        ]),
                        "limit": limit(max: PaperboyTools.maxListingResults, default: 20),
                    ], required: []),
                annotations: .init(readOnlyHint: true, openWorldHint: false))
        case .similarPapers:
            Tool(
                name: name.rawValue, title: "Find similar papers",
                description: "Papers most similar in meaning to a given paper (by its arXiv id), most similar first.",
                inputSchema: object(
                    ["id": paperID, "limit": limit(max: PaperboyTools.maxSearchResults, default: 5)],
                    required: ["id"]),
                annotations: .init(readOnlyHint: true, openWorldHint: false))
        case .upvotePaper:
            Tool(
                name: name.rawValue, title: "Upvote a paper",
                description: "Upvote a paper on this Paperboy as the signed-in user (once per user; again is a no-op).",
                inputSchema: object(["id": paperID], required: ["id"]),
                annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true))
        case .submitPaper:
            Tool(
                name: name.rawValue, title: "Submit a paper",
                description: """
                    Submit an arXiv paper to today's daily list as the signed-in user, as the site's submit form does \
                    (fetched from arXiv when this site does not have it yet).
                    """,
                inputSchema: object(["id": paperID], required: ["id"]),
                annotations: .init(readOnlyHint: false, destructiveHint: false, openWorldHint: true))
        }
    }

    static func object(_ properties: [String: Value], required: [String]) -> Value {
        .object([
            "type": "object", "properties": .object(properties),
            "required": .array(required.map { .string($0) }), "additionalProperties": false,
        ])
    }

    static let paperID: Value = .object([
        "type": "string", "maxLength": 200, "description": "An arXiv id, e.g. 2511.01234 or hep-th/9901001",
    ])

    static func limit(max: Int, default value: Int) -> Value {
        .object([
            "type": "integer", "minimum": 1, "maximum": .int(max), "default": .int(value),
            "description": "How many papers to return",
        ])
    }

    static func day(_ description: String) -> Value {
        .object([
            "type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "description": .string(description + ", written YYYY-MM-DD"),
        ])
    }
}
