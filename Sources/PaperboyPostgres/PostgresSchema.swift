/// The PostgreSQL store's numbered migrations. They only grow: a released migration is never edited, a change is a
/// new one. Each has the name and the meaning of the SQLite store's migration of the same name (one file's
/// `0001_papers` holds the same facts as the other's), written in PostgreSQL's types; SQLite-only steps (its FTS5
/// table, added and later dropped) have no counterpart.
///
/// A migration is a list of single statements: the extended query protocol runs one statement at a time.
enum PostgresSchema {
    struct Migration: Sendable {
        let name: String
        let statements: [String]
    }

    /// The advisory lock every node takes while it migrates, so that nodes starting at once migrate one at a time
    /// (the second finds the work done). Any constant unlikely to clash with another application's: "PAPERBOY".
    static let migrationLock: Int64 = 0x5041_5045_5242_4F59

    static let migrations: [Migration] = [
        Migration(
            name: "0001_papers",
            statements: [
                """
                CREATE TABLE papers (
                    key BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    title TEXT NOT NULL,
                    authors TEXT NOT NULL,
                    abstract TEXT NOT NULL,
                    categories TEXT NOT NULL,
                    versions TEXT NOT NULL,
                    submitter TEXT,
                    comments TEXT,
                    journal_ref TEXT,
                    doi TEXT,
                    report_no TEXT,
                    license TEXT,
                    updated_at BIGINT,
                    published_at BIGINT NOT NULL,
                    latest_version INTEGER NOT NULL,
                    featured_at BIGINT NOT NULL,
                    featured_day TEXT NOT NULL,
                    upvotes INTEGER NOT NULL DEFAULT 0,
                    num_comments INTEGER NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX papers_by_day ON papers (featured_day, upvotes DESC, featured_at DESC)",
                "CREATE INDEX papers_by_time ON papers (featured_at DESC, id DESC)",
                """
                CREATE TABLE paper_authors (
                    name TEXT NOT NULL,
                    featured_at BIGINT NOT NULL,
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    PRIMARY KEY (name, featured_at, paper_key)
                )
                """,
                """
                CREATE TABLE paper_categories (
                    category TEXT NOT NULL,
                    featured_at BIGINT NOT NULL,
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    PRIMARY KEY (category, featured_at, paper_key)
                )
                """,
                """
                CREATE TABLE harvest_state (
                    key TEXT PRIMARY KEY,
                    last_completed TEXT,
                    resumption_token TEXT,
                    from_day TEXT,
                    until_day TEXT
                )
                """,
                "CREATE TABLE paperboy_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            ])
    ]
}
