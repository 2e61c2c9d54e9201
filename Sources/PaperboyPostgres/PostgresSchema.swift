/// The PostgreSQL store's numbered migrations. They only grow: a released migration is never edited, a change is a
/// new one. Each has the name and the meaning of the SQLite store's migration of the same name (one file's
/// `0001_papers` holds the same facts as the other's), written in PostgreSQL's types; SQLite-only steps (its FTS5
/// table, added and later dropped) have no counterpart.
///
/// Text that is ordered or compared by range (ids, names, categories) is in the "C" collation, byte order, as SQLite
/// compares it: the same order on every server, whatever the database's locale.
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
                    id TEXT COLLATE "C" NOT NULL UNIQUE,
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
                    name TEXT COLLATE "C" NOT NULL,
                    featured_at BIGINT NOT NULL,
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    PRIMARY KEY (name, featured_at, paper_key)
                )
                """,
                """
                CREATE TABLE paper_categories (
                    category TEXT COLLATE "C" NOT NULL,
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
            ]),
        Migration(
            name: "0002_paper_vectors",
            statements: [
                """
                CREATE TABLE paper_vectors (
                    model TEXT NOT NULL,
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    text_hash BIGINT NOT NULL,
                    dimension INTEGER NOT NULL,
                    vector BYTEA NOT NULL,
                    PRIMARY KEY (model, paper_key)
                )
                """
            ]),
        Migration(
            name: "0003_community",
            statements: [
                """
                CREATE TABLE users (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    username TEXT COLLATE "C" NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL CONSTRAINT users_email_key UNIQUE,
                    fullname TEXT NOT NULL,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    totp_secret TEXT,
                    disabled BOOLEAN NOT NULL DEFAULT false,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    user_agent TEXT
                )
                """,
                "CREATE INDEX sessions_by_user ON sessions (user_id)",
                "CREATE INDEX sessions_by_created ON sessions (created_at)",
                "CREATE INDEX sessions_by_seen ON sessions (last_seen_at)",
                """
                CREATE TABLE access_tokens (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT
                )
                """,
                "CREATE INDEX access_tokens_by_user ON access_tokens (user_id)",
                """
                CREATE TABLE recovery_codes (
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    code_hash TEXT NOT NULL,
                    PRIMARY KEY (user_id, code_hash)
                )
                """,
                """
                CREATE TABLE votes (
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (user_id, paper_key)
                )
                """,
                "CREATE INDEX votes_by_paper ON votes (paper_key)",
                """
                CREATE TABLE submissions (
                    paper_key BIGINT PRIMARY KEY REFERENCES papers (key),
                    user_id BIGINT REFERENCES users (id),
                    submitted_at BIGINT NOT NULL,
                    comment TEXT
                )
                """,
                "CREATE INDEX submissions_by_user ON submissions (user_id, submitted_at)",
                "ALTER TABLE papers ADD COLUMN submitted_by BIGINT REFERENCES users (id)",
                """
                CREATE INDEX papers_by_submitter ON papers (submitted_by, featured_day) WHERE submitted_by IS NOT NULL
                """,
            ]),
        Migration(
            name: "0004_discussion",
            statements: [
                """
                CREATE TABLE organizations (
                    name TEXT COLLATE "C" PRIMARY KEY,
                    fullname TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE organization_members (
                    organization TEXT NOT NULL REFERENCES organizations (name),
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    PRIMARY KEY (organization, user_id)
                )
                """,
                "CREATE INDEX organization_members_by_user ON organization_members (user_id)",
                "ALTER TABLE papers ADD COLUMN hidden_at BIGINT",
                "ALTER TABLE papers ADD COLUMN organization TEXT REFERENCES organizations (name)",
                "ALTER TABLE papers ADD COLUMN github_repo TEXT",
                "ALTER TABLE papers ADD COLUMN project_page TEXT",
                "ALTER TABLE papers ADD COLUMN key_sentence TEXT",
                "ALTER TABLE papers ADD COLUMN keywords TEXT NOT NULL DEFAULT ''",
                """
                CREATE INDEX papers_by_organization ON papers (organization, featured_day) WHERE organization IS NOT NULL
                """,
                "CREATE INDEX papers_hidden ON papers (hidden_at) WHERE hidden_at IS NOT NULL",
                """
                CREATE TABLE claims (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    author_index INTEGER NOT NULL,
                    author_name TEXT NOT NULL,
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    decided_at BIGINT,
                    decided_by BIGINT REFERENCES users (id),
                    UNIQUE (paper_key, user_id)
                )
                """,
                "CREATE INDEX claims_by_status ON claims (status, created_at)",
                "CREATE INDEX claims_by_user ON claims (user_id, created_at)",
                """
                CREATE TABLE comments (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    user_id BIGINT REFERENCES users (id),
                    text TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    edited_at BIGINT,
                    hidden_at BIGINT
                )
                """,
                "CREATE INDEX comments_by_paper ON comments (paper_key, created_at, id)",
                "CREATE INDEX comments_by_user ON comments (user_id, created_at)",
                """
                CREATE TABLE reports (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    paper_key BIGINT REFERENCES papers (key),
                    comment_id BIGINT REFERENCES comments (id),
                    user_id BIGINT REFERENCES users (id),
                    reason TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    resolved_at BIGINT,
                    resolved_by BIGINT REFERENCES users (id)
                )
                """,
                "CREATE INDEX reports_open ON reports (created_at) WHERE resolved_at IS NULL",
                "CREATE INDEX reports_resolved ON reports (resolved_at) WHERE resolved_at IS NOT NULL",
                """
                CREATE TABLE collections (
                    id TEXT PRIMARY KEY,
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    is_public BOOLEAN NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    item_count INTEGER NOT NULL DEFAULT 0
                )
                """,
                "CREATE INDEX collections_by_user ON collections (user_id, updated_at)",
                """
                CREATE TABLE collection_items (
                    collection_id TEXT NOT NULL REFERENCES collections (id),
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    added_at BIGINT NOT NULL,
                    PRIMARY KEY (collection_id, paper_key)
                )
                """,
                "CREATE INDEX collection_items_by_time ON collection_items (collection_id, added_at)",
                "CREATE INDEX collection_items_by_paper ON collection_items (paper_key)",
                """
                CREATE TABLE moderation_log (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    actor_id BIGINT REFERENCES users (id),
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    detail TEXT,
                    at BIGINT NOT NULL
                )
                """,
                // The comment given with a submission is the paper's first comment (as SQLite's 0004 does).
                """
                INSERT INTO comments (paper_key, user_id, text, created_at)
                SELECT paper_key, user_id, comment, submitted_at FROM submissions
                WHERE comment IS NOT NULL AND comment <> ''
                """,
                """
                UPDATE papers SET num_comments = c.n
                FROM (SELECT paper_key, count(*) AS n FROM comments GROUP BY paper_key) c WHERE c.paper_key = papers.key
                """,
                // SQLite's 0004 also gives papers stored before it their first sentence; no PostgreSQL store held a
                // paper before this migration existed (the store wrote none), so there is nothing to fill.
            ]),
        Migration(
            name: "0005_mail",
            statements: [
                // Emails are unique only among verified addresses; accounts made before count as verified.
                "ALTER TABLE users DROP CONSTRAINT users_email_key",
                "ALTER TABLE users ADD COLUMN email_verified_at BIGINT",
                "UPDATE users SET email_verified_at = created_at",
                "CREATE INDEX users_by_email ON users (email_key, created_at)",
                "CREATE UNIQUE INDEX users_verified_email ON users (email_key) WHERE email_verified_at IS NOT NULL",
                // Identities are never reused, so that a link made for an ended subscription never reaches a new one.
                """
                CREATE TABLE subscriptions (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL UNIQUE,
                    frequency TEXT NOT NULL,
                    query TEXT,
                    categories TEXT NOT NULL,
                    pending_frequency TEXT,
                    pending_query TEXT,
                    pending_categories TEXT,
                    confirm_nonce TEXT,
                    confirmed_at BIGINT,
                    created_at BIGINT NOT NULL,
                    failures INTEGER NOT NULL DEFAULT 0,
                    paused_at BIGINT
                )
                """,
                """
                CREATE INDEX subscriptions_active ON subscriptions (frequency, id)
                WHERE confirmed_at IS NOT NULL AND paused_at IS NULL
                """,
                "CREATE INDEX subscriptions_unconfirmed ON subscriptions (created_at) WHERE confirmed_at IS NULL",
                """
                CREATE TABLE mail_quota (
                    address_key TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    day TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (address_key, kind, day)
                )
                """,
                "CREATE INDEX mail_quota_by_day ON mail_quota (day)",
                """
                CREATE TABLE digest_ledger (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
                    email TEXT NOT NULL,
                    frequency TEXT NOT NULL,
                    period_start TEXT NOT NULL,
                    state TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    started_at BIGINT NOT NULL,
                    finished_at BIGINT,
                    detail TEXT,
                    UNIQUE (subscription_id, frequency, period_start)
                )
                """,
                "CREATE INDEX digest_ledger_by_period ON digest_ledger (frequency, period_start, state)",
                "CREATE INDEX digest_ledger_sending ON digest_ledger (started_at) WHERE state = 'sending'",
                """
                CREATE TABLE digest_runs (
                    frequency TEXT NOT NULL,
                    period_start TEXT NOT NULL,
                    completed_at BIGINT NOT NULL,
                    PRIMARY KEY (frequency, period_start)
                )
                """,
            ]),
        Migration(
            name: "0006_change_sequence",
            statements: [
                // Every write to a paper gives it the next number of `paper_changes`, taken while holding the
                // transaction lock `PostgresSchema.changeLock` (see ChangeSequence), so numbers commit in order.
                "ALTER TABLE papers ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0",
                "UPDATE papers SET change_seq = key",
                "CREATE UNIQUE INDEX papers_by_change ON papers (change_seq)",
                "CREATE SEQUENCE paper_changes AS BIGINT",
                "SELECT setval('paper_changes', coalesce((SELECT max(change_seq) FROM papers), 0) + 1, false)",
                // A paper written by COPY takes its number from the default.
                "ALTER TABLE papers ALTER COLUMN change_seq SET DEFAULT nextval('paper_changes')",
                // The store's identity: made once, with the store, and copied with its data.
                """
                INSERT INTO paperboy_meta (key, value) VALUES ('store_identity', gen_random_uuid()::text)
                ON CONFLICT (key) DO NOTHING
                """,
            ]),
        Migration(
            name: "0007_drop_fts",
            statements: [
                // SQLite dropped its FTS5 table here; PostgreSQL never had one. Kept so that both stores' migrations
                // have the same names, one for one.
                "DELETE FROM paperboy_meta WHERE key = 'fts_stale'"
            ]),
        Migration(
            name: "0008_votes_by_time",
            statements: [
                "CREATE INDEX votes_by_time ON votes (created_at)"
            ]),
        Migration(
            name: "0009_leases_and_limits",
            statements: [
                // The leases of background jobs: a job runs on the node that holds its lease (JobLeaseStore).
                """
                CREATE TABLE job_leases (
                    job TEXT COLLATE "C" PRIMARY KEY,
                    holder TEXT COLLATE "C" NOT NULL,
                    taken_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                // Failed sign-ins, counted for every node alike (FailureLimitStore): the latest failures in the
                // window, the block and the strikes.
                """
                CREATE TABLE failure_limits (
                    bucket TEXT COLLATE "C" NOT NULL,
                    subject TEXT COLLATE "C" NOT NULL,
                    failures BIGINT[] NOT NULL,
                    blocked_until BIGINT,
                    strikes INTEGER NOT NULL,
                    last_failure BIGINT NOT NULL,
                    PRIMARY KEY (bucket, subject)
                )
                """,
                "CREATE INDEX failure_limits_by_last ON failure_limits (last_failure)",
            ]),
        Migration(
            name: "0010_recommendations",
            statements: [
                // Papers a person marked "not interested", and the categories and seed papers picked in settings.
                """
                CREATE TABLE not_interested (
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    paper_key BIGINT NOT NULL REFERENCES papers (key),
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (user_id, paper_key)
                )
                """,
                "CREATE INDEX not_interested_by_time ON not_interested (user_id, created_at)",
                """
                CREATE TABLE taste_seeds (
                    user_id BIGINT NOT NULL REFERENCES users (id),
                    kind TEXT COLLATE "C" NOT NULL,
                    value TEXT COLLATE "C" NOT NULL,
                    position INTEGER NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (user_id, kind, value)
                )
                """,
            ]),
    ]

    /// The transaction-level advisory lock a transaction holds from taking its first change number to its commit, so
    /// that changes commit in the order of their numbers: a node that has read up to a number never finds a smaller
    /// one committed later. ("PBCHANGE")
    static let changeLock: Int64 = 0x5042_4348_414E_4745
}
