import GRDB

/// Numbered migrations. They only grow: a released migration is never edited, a change is a new one.
enum Schema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_papers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE papers (
                        rowid INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        title TEXT NOT NULL,
                        authors TEXT NOT NULL,          -- names separated by newlines, in order
                        abstract TEXT NOT NULL,
                        categories TEXT NOT NULL,       -- space separated, primary first
                        versions TEXT NOT NULL,         -- "number,milliseconds,size" lines
                        submitter TEXT,
                        comments TEXT,
                        journal_ref TEXT,
                        doi TEXT,
                        report_no TEXT,
                        license TEXT,
                        updated_at INTEGER,             -- milliseconds since 1970, UTC
                        published_at INTEGER NOT NULL,  -- v1 time
                        latest_version INTEGER NOT NULL,
                        featured_at INTEGER NOT NULL,
                        featured_day TEXT NOT NULL,     -- YYYY-MM-DD of featured_at
                        upvotes INTEGER NOT NULL DEFAULT 0,
                        num_comments INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX papers_by_day ON papers(featured_day, upvotes DESC, featured_at DESC);
                    CREATE INDEX papers_by_time ON papers(featured_at DESC, id DESC);

                    CREATE TABLE paper_authors (
                        name TEXT NOT NULL,
                        featured_at INTEGER NOT NULL,
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        PRIMARY KEY (name, featured_at, paper_rowid)
                    ) WITHOUT ROWID;

                    CREATE TABLE paper_categories (
                        category TEXT NOT NULL,
                        featured_at INTEGER NOT NULL,
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        PRIMARY KEY (category, featured_at, paper_rowid)
                    ) WITHOUT ROWID;

                    CREATE VIRTUAL TABLE papers_fts USING fts5(
                        title, authors, abstract,
                        content = 'papers', content_rowid = 'rowid',
                        tokenize = 'porter unicode61 remove_diacritics 2'
                    );

                    CREATE TABLE harvest_state (
                        key TEXT PRIMARY KEY,
                        last_completed TEXT,
                        resumption_token TEXT,
                        from_day TEXT,
                        until_day TEXT
                    );

                    CREATE TABLE paperboy_meta (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("0002_paper_vectors") { db in
            try db.execute(
                sql: """
                    CREATE TABLE paper_vectors (
                        model TEXT NOT NULL,            -- name@sha256 of the weights
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        text_hash INTEGER NOT NULL,     -- FNV-1a of the embedded text, to notice changed papers
                        dimension INTEGER NOT NULL,
                        vector BLOB NOT NULL,           -- little-endian Float32 × dimension
                        PRIMARY KEY (model, paper_rowid)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }
}
