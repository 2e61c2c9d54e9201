import PaperboyCore

/// What the MCP tools reach: the store's papers, the search engine, the site's trending list and links, and, for a
/// user who sent a personal access token, what that user may do. The web layer builds it from the same store,
/// search engine and caches as the pages, so a tool answers what the site shows.
public struct AgentSite: Sendable {
    public var catalog: any PaperCatalog
    public var searcher: any PaperSearcher
    public var trending: any TrendingSource
    /// The absolute URL of a paper's page on this site.
    public var paperURL: @Sendable (PaperID) -> String
    /// The signed-in user's actions; nil without a token (the write tools are then not offered).
    public var actions: (any AgentActions)?

    public init(
        catalog: any PaperCatalog, searcher: any PaperSearcher, trending: any TrendingSource,
        paperURL: @escaping @Sendable (PaperID) -> String, actions: (any AgentActions)? = nil
    ) {
        self.catalog = catalog
        self.searcher = searcher
        self.trending = trending
        self.paperURL = paperURL
        self.actions = actions
    }
}
