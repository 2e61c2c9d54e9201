import Foundation
import GRDB
import PaperboyCore

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
        migrator.registerMigration("0003_community") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY,
                        username TEXT NOT NULL UNIQUE,  -- lower-case
                        email TEXT NOT NULL,            -- as written
                        email_key TEXT NOT NULL UNIQUE, -- lower-cased email: unique without regard to case
                        fullname TEXT NOT NULL,
                        role TEXT NOT NULL,             -- member, moderator or admin
                        password_hash TEXT NOT NULL,    -- bcrypt
                        totp_secret TEXT,               -- base32, when two-factor sign-in is on
                        disabled INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL     -- milliseconds since 1970, UTC
                    );

                    CREATE TABLE sessions (
                        token_hash TEXT PRIMARY KEY,    -- hex SHA-256 of the session id
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        created_at INTEGER NOT NULL,
                        last_seen_at INTEGER NOT NULL,
                        user_agent TEXT
                    ) WITHOUT ROWID;
                    CREATE INDEX sessions_by_user ON sessions(user_id);
                    CREATE INDEX sessions_by_created ON sessions(created_at);
                    CREATE INDEX sessions_by_seen ON sessions(last_seen_at);

                    CREATE TABLE access_tokens (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        name TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE, -- hex SHA-256 of the token
                        created_at INTEGER NOT NULL,
                        last_used_at INTEGER
                    );
                    CREATE INDEX access_tokens_by_user ON access_tokens(user_id);

                    CREATE TABLE recovery_codes (
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        code_hash TEXT NOT NULL,        -- hex SHA-256 of the code
                        PRIMARY KEY (user_id, code_hash)
                    ) WITHOUT ROWID;

                    CREATE TABLE votes (
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, paper_rowid)
                    ) WITHOUT ROWID;
                    CREATE INDEX votes_by_paper ON votes(paper_rowid);

                    CREATE TABLE submissions (
                        paper_rowid INTEGER PRIMARY KEY REFERENCES papers(rowid),
                        user_id INTEGER REFERENCES users(id), -- NULL once the account is deleted
                        submitted_at INTEGER NOT NULL,
                        comment TEXT
                    );
                    CREATE INDEX submissions_by_user ON submissions(user_id, submitted_at);

                    -- The user who submitted the paper to the daily list (never arXiv's own submitter).
                    ALTER TABLE papers ADD COLUMN submitted_by INTEGER REFERENCES users(id);
                    CREATE INDEX papers_by_submitter ON papers(submitted_by, featured_day)
                        WHERE submitted_by IS NOT NULL;
                    """)
        }
        migrator.registerMigration("0004_discussion") { db in
            try db.execute(
                sql: """
                    -- What moderators, submitters and claimed authors add to a paper, and the stored summary.
                    ALTER TABLE papers ADD COLUMN hidden_at INTEGER;       -- set while a moderator hides the paper
                    ALTER TABLE papers ADD COLUMN organization TEXT REFERENCES organizations(name);
                    ALTER TABLE papers ADD COLUMN github_repo TEXT;        -- set by hand (else found in the text)
                    ALTER TABLE papers ADD COLUMN project_page TEXT;
                    ALTER TABLE papers ADD COLUMN key_sentence TEXT;       -- first sentence, refined once embedded
                    ALTER TABLE papers ADD COLUMN keywords TEXT NOT NULL DEFAULT ''; -- newline separated
                    CREATE INDEX papers_by_organization ON papers(organization, featured_day)
                        WHERE organization IS NOT NULL;
                    CREATE INDEX papers_hidden ON papers(hidden_at) WHERE hidden_at IS NOT NULL;

                    CREATE TABLE organizations (
                        name TEXT PRIMARY KEY,          -- lower-case, like a username
                        fullname TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE organization_members (
                        organization TEXT NOT NULL REFERENCES organizations(name),
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        PRIMARY KEY (organization, user_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX organization_members_by_user ON organization_members(user_id);

                    CREATE TABLE claims (
                        id INTEGER PRIMARY KEY,
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        author_index INTEGER NOT NULL,  -- 0-based position in the author list
                        author_name TEXT NOT NULL,      -- the name at that position when claimed
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        status TEXT NOT NULL,           -- pending, accepted or refused
                        created_at INTEGER NOT NULL,
                        decided_at INTEGER,
                        decided_by INTEGER REFERENCES users(id),
                        UNIQUE (paper_rowid, user_id)
                    );
                    CREATE INDEX claims_by_status ON claims(status, created_at);
                    CREATE INDEX claims_by_user ON claims(user_id, created_at);

                    CREATE TABLE comments (
                        id INTEGER PRIMARY KEY,
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        user_id INTEGER REFERENCES users(id), -- NULL once the account is deleted
                        text TEXT NOT NULL,             -- Markdown as written
                        created_at INTEGER NOT NULL,
                        edited_at INTEGER,
                        hidden_at INTEGER
                    );
                    CREATE INDEX comments_by_paper ON comments(paper_rowid, created_at, id);
                    CREATE INDEX comments_by_user ON comments(user_id, created_at);

                    CREATE TABLE reports (
                        id INTEGER PRIMARY KEY,
                        paper_rowid INTEGER REFERENCES papers(rowid),    -- a report of a paper
                        comment_id INTEGER REFERENCES comments(id),      -- or of a comment
                        user_id INTEGER REFERENCES users(id),            -- NULL once the account is deleted
                        reason TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        resolved_at INTEGER,
                        resolved_by INTEGER REFERENCES users(id)
                    );
                    CREATE INDEX reports_open ON reports(created_at) WHERE resolved_at IS NULL;
                    CREATE INDEX reports_resolved ON reports(resolved_at) WHERE resolved_at IS NOT NULL;

                    CREATE TABLE collections (
                        id TEXT PRIMARY KEY,            -- 12 random characters
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        name TEXT NOT NULL,
                        description TEXT NOT NULL,
                        is_public INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        item_count INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE INDEX collections_by_user ON collections(user_id, updated_at);

                    CREATE TABLE collection_items (
                        collection_id TEXT NOT NULL REFERENCES collections(id),
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        added_at INTEGER NOT NULL,
                        PRIMARY KEY (collection_id, paper_rowid)
                    ) WITHOUT ROWID;
                    CREATE INDEX collection_items_by_time ON collection_items(collection_id, added_at);
                    CREATE INDEX collection_items_by_paper ON collection_items(paper_rowid);

                    CREATE TABLE moderation_log (
                        id INTEGER PRIMARY KEY,
                        actor_id INTEGER REFERENCES users(id), -- NULL: the command line, or a deleted account
                        action TEXT NOT NULL,           -- paper.hide, comment.unhide, claim.accept, user.role, ...
                        target TEXT NOT NULL,
                        detail TEXT,
                        at INTEGER NOT NULL
                    );

                    -- The comment given with a submission is the paper's first comment.
                    INSERT INTO comments (paper_rowid, user_id, text, created_at)
                        SELECT paper_rowid, user_id, comment, submitted_at FROM submissions
                        WHERE comment IS NOT NULL AND comment != '';
                    UPDATE papers SET num_comments = (SELECT count(*) FROM comments WHERE paper_rowid = papers.rowid)
                        WHERE rowid IN (SELECT paper_rowid FROM comments);
                    """)
            try fillKeySentences(db)
        }
        migrator.registerMigration("0005_mail") { db in
            // Emails are unique only among verified addresses, so that nobody can block another person's address by
            // signing up with it first. SQLite cannot drop the UNIQUE of users.email_key, so the table is made again
            // (create, copy, drop, rename: the migrator runs this with foreign keys off and checks them before it
            // commits; the tables that reference users name it, and find the new one). Accounts made before count as
            // verified from their creation, so no uniqueness is lost.
            try db.execute(
                sql: """
                    CREATE TABLE users_new (
                        id INTEGER PRIMARY KEY,
                        username TEXT NOT NULL UNIQUE,  -- lower-case
                        email TEXT NOT NULL,            -- as written
                        email_key TEXT NOT NULL,        -- lower-cased email
                        email_verified_at INTEGER,      -- milliseconds since 1970, UTC; NULL while unverified
                        fullname TEXT NOT NULL,
                        role TEXT NOT NULL,             -- member, moderator or admin
                        password_hash TEXT NOT NULL,    -- bcrypt
                        totp_secret TEXT,               -- base32, when two-factor sign-in is on
                        disabled INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL     -- milliseconds since 1970, UTC
                    );
                    INSERT INTO users_new (id, username, email, email_key, email_verified_at, fullname, role,
                            password_hash, totp_secret, disabled, created_at)
                        SELECT id, username, email, email_key, created_at, fullname, role,
                            password_hash, totp_secret, disabled, created_at
                        FROM users;
                    DROP TABLE users;
                    ALTER TABLE users_new RENAME TO users;
                    CREATE INDEX users_by_email ON users(email_key, created_at);
                    CREATE UNIQUE INDEX users_verified_email ON users(email_key) WHERE email_verified_at IS NOT NULL;

                    -- Digest subscriptions: one per address, no account needed. Ids are never reused (AUTOINCREMENT),
                    -- so that a link made for an ended subscription never reaches a new one.
                    CREATE TABLE subscriptions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        email TEXT NOT NULL,            -- as written
                        email_key TEXT NOT NULL UNIQUE, -- lower-cased email
                        frequency TEXT NOT NULL,        -- daily or weekly
                        query TEXT,                     -- search words, NULL when none
                        categories TEXT NOT NULL,       -- space separated, sorted
                        pending_frequency TEXT,         -- set while a change waits for its confirmation
                        pending_query TEXT,
                        pending_categories TEXT,
                        confirm_nonce TEXT,             -- of the outstanding confirmation link
                        confirmed_at INTEGER,
                        created_at INTEGER NOT NULL,
                        failures INTEGER NOT NULL DEFAULT 0, -- permanent delivery failures in a row
                        paused_at INTEGER
                    );
                    CREATE INDEX subscriptions_active ON subscriptions(frequency, id)
                        WHERE confirmed_at IS NOT NULL AND paused_at IS NULL;
                    CREATE INDEX subscriptions_unconfirmed ON subscriptions(created_at) WHERE confirmed_at IS NULL;

                    -- Confirmation, verification and reset mails taken per address, kind and UTC day.
                    CREATE TABLE mail_quota (
                        address_key TEXT NOT NULL,      -- lower-cased address
                        kind TEXT NOT NULL,             -- confirm, verify, reset
                        day TEXT NOT NULL,              -- YYYY-MM-DD
                        count INTEGER NOT NULL,
                        PRIMARY KEY (address_key, kind, day)
                    ) WITHOUT ROWID;
                    CREATE INDEX mail_quota_by_day ON mail_quota(day);

                    -- The send ledger: one row per subscription and period, so that no digest goes out twice.
                    CREATE TABLE digest_ledger (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
                        email TEXT NOT NULL,            -- the address it went to
                        frequency TEXT NOT NULL,
                        period_start TEXT NOT NULL,     -- YYYY-MM-DD: the day, or the week's Monday
                        state TEXT NOT NULL,            -- sending, sent, empty or failed
                        message_id TEXT NOT NULL,
                        started_at INTEGER NOT NULL,
                        finished_at INTEGER,
                        detail TEXT,                    -- the server's answer to a failed digest
                        UNIQUE (subscription_id, frequency, period_start)
                    );
                    CREATE INDEX digest_ledger_by_period ON digest_ledger(frequency, period_start, state);
                    CREATE INDEX digest_ledger_sending ON digest_ledger(started_at) WHERE state = 'sending';

                    -- Sends of a period that ran to the end.
                    CREATE TABLE digest_runs (
                        frequency TEXT NOT NULL,
                        period_start TEXT NOT NULL,
                        completed_at INTEGER NOT NULL,
                        PRIMARY KEY (frequency, period_start)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("0006_change_sequence") { db in
            // The change sequence: every write to a paper gives it the next number (`ChangeSequence`), so that indexes
            // kept beside the store read what changed. Papers stored before are numbered in the order they came.
            try db.execute(
                sql: """
                    ALTER TABLE papers ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
                    UPDATE papers SET change_seq = rowid;
                    CREATE UNIQUE INDEX papers_by_change ON papers(change_seq);
                    """)
            // The store's identity: made once, with the store (new or upgraded), and copied with its data.
            try db.execute(
                sql: "INSERT INTO paperboy_meta (key, value) VALUES ('store_identity', ?) ON CONFLICT (key) DO NOTHING",
                arguments: [UUID().uuidString.lowercased()])
        }
        migrator.registerMigration("0007_drop_fts") { db in
            // Keyword search moved to Paperboy's own index beside the database (PaperboySearch), which reads the
            // change sequence: FTS5's tables only slowed every write and made the database larger.
            try db.execute(
                sql: """
                    DROP TABLE IF EXISTS papers_fts;
                    DELETE FROM paperboy_meta WHERE key = 'fts_stale';
                    """)
        }
        migrator.registerMigration("0008_votes_by_time") { db in
            // Votes per day (`/stats`) read a span of votes by time instead of every vote.
            try db.execute(sql: "CREATE INDEX votes_by_time ON votes(created_at)")
        }
        migrator.registerMigration("0009_leases_and_limits") { db in
            // What several nodes of one database share beyond the data: the leases of background jobs (a job runs on
            // the node holding its lease, `JobLeaseStore`) and failed sign-ins (`FailureLimitStore`).
            try db.execute(
                sql: """
                    CREATE TABLE job_leases (
                        job TEXT NOT NULL PRIMARY KEY,  -- harvest, digests
                        holder TEXT NOT NULL,           -- the node: host/pid/random
                        taken_at INTEGER NOT NULL,      -- when this holder took it (renewals keep it)
                        expires_at INTEGER NOT NULL     -- free from then on, unless renewed
                    ) WITHOUT ROWID;

                    CREATE TABLE failure_limits (
                        bucket TEXT NOT NULL,           -- login.account, login.address, settings.password
                        subject TEXT NOT NULL,          -- a login name, an address, an account id
                        failures TEXT NOT NULL,         -- the latest failures in the window: millis, comma-separated
                        blocked_until INTEGER,
                        strikes INTEGER NOT NULL,       -- blocks so far, forgotten a day after the last failure
                        last_failure INTEGER NOT NULL,
                        PRIMARY KEY (bucket, subject)
                    ) WITHOUT ROWID;
                    CREATE INDEX failure_limits_by_last ON failure_limits(last_failure);
                    """)
        }
        migrator.registerMigration("0010_recommendations") { db in
            // What a person's recommendations learn from beyond votes, collections, submissions and claims: papers
            // marked "not interested", and the categories and seed papers picked in settings.
            try db.execute(
                sql: """
                    CREATE TABLE not_interested (
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        paper_rowid INTEGER NOT NULL REFERENCES papers(rowid),
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, paper_rowid)
                    ) WITHOUT ROWID;
                    CREATE INDEX not_interested_by_time ON not_interested(user_id, created_at);

                    CREATE TABLE taste_seeds (
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        kind TEXT NOT NULL,             -- category or paper
                        value TEXT NOT NULL,            -- the category, or the paper's arXiv id
                        position INTEGER NOT NULL,      -- order picked in settings
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, kind, value)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// Gives every stored paper its first-sentence key sentence (papers stored before 0004), in batches of rowids.
    static func fillKeySentences(_ db: Database) throws {
        let update = try db.makeStatement(sql: "UPDATE papers SET key_sentence = ? WHERE rowid = ?")
        var last: Int64 = 0
        while true {
            let rows = try Row.fetchAll(
                db, sql: "SELECT rowid, abstract FROM papers WHERE rowid > ? ORDER BY rowid LIMIT 1000",
                arguments: [last])
            guard let end = rows.last else { return }
            for row in rows {
                let rowid: Int64 = try row.decode(atIndex: 0)
                // An abstract that is not text (a database edited by hand) gets no sentence.
                guard let abstract = try? row.decode(String.self, atIndex: 1) else { continue }
                try update.execute(arguments: [StoredText.firstSentence(abstract), rowid])
            }
            last = try end.decode(atIndex: 0)
        }
    }
}
