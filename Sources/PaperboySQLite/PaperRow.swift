import Foundation
import GRDB
import PaperboyCore

/// Conversion between `Paper` and a row of `papers`.
struct PaperRow {
    /// The columns a paper is read from, in SELECT order. Rows are decoded by these names, so adding a column here
    /// (or to the SELECT) shifts no other.
    enum Columns: String, ColumnExpression, CaseIterable {
        case rowid, id, title, authors, abstract, categories, versions, submitter, comments
        case journalRef = "journal_ref"
        case doi
        case reportNo = "report_no"
        case license
        case updatedAt = "updated_at"
        case featuredAt = "featured_at"
        case upvotes
        case numComments = "num_comments"
        case hiddenAt = "hidden_at"
        case organization
        case githubRepo = "github_repo"
        case projectPage = "project_page"
        case keySentence = "key_sentence"
        case keywords
    }

    static let columns = columns(prefix: "")

    /// The SELECT list, each column named by an alias (SQLite does not promise a name otherwise), its table
    /// given by `prefix` ("p."; none for a query `FROM papers`). What the community added comes from scalar
    /// subqueries, each a primary-key or indexed lookup (skipped when the paper has none), so every query reading
    /// papers carries them without a join: the submitter and the organisation's full name (by primary key), and the
    /// accepted claims (one look-up in the claims index on the paper), each with whether the claimant has a visible
    /// comment on the paper (looked up only for an accepted claim).
    static func columns(prefix: String) -> String {
        let table = prefix.isEmpty ? "papers." : prefix
        let submitter = """
            CASE WHEN \(table)submitted_by IS NULL THEN NULL ELSE (SELECT u.username || char(10) || u.fullname \
            FROM users u WHERE u.id = \(table)submitted_by) END AS \(submitterColumn)
            """
        let organization = """
            CASE WHEN \(table)organization IS NULL THEN NULL ELSE (SELECT o.fullname FROM organizations o \
            WHERE o.name = \(table)organization) END AS \(organizationFullnameColumn)
            """
        let claimed = """
            (SELECT json_group_array(json_array(c.author_index, u.username, u.fullname, EXISTS (SELECT 1 \
            FROM comments m WHERE m.paper_rowid = c.paper_rowid AND m.user_id = c.user_id AND m.hidden_at IS NULL))) \
            FROM claims c JOIN users u ON u.id = c.user_id WHERE c.paper_rowid = \(table)rowid \
            AND c.status = 'accepted') AS \(claimedColumn)
            """
        return
            (Columns.allCases.map { "\(prefix)\($0.rawValue) AS \($0.rawValue)" } + [
                submitter, organization, claimed,
            ]).joined(separator: ", ")
    }

    /// The alias of the submitter's username and display name, separated by a newline (a username has none).
    static let submitterColumn = "submitter_person"
    /// The alias of the organisation's full name.
    static let organizationFullnameColumn = "organization_fullname"
    /// The alias of the accepted claims: a JSON array of `[author index, username, full name, commented]` arrays,
    /// `commented` 1 when the claimant has a visible comment on the paper.
    static let claimedColumn = "claimed_authors"

    /// A condition true of a paper that is not hidden, over an expression naming its rowid (`rowid`, `p.rowid`,
    /// `l.paper_rowid`). The hidden papers are a short list read once per query through the `papers_hidden` partial
    /// index, so the condition needs no row and a query keeps its covering index; hiding needs no re-indexing. Each
    /// row checked costs a probe of that list (about a third of a microsecond), so a count over many rows subtracts
    /// the hidden ones instead (found from ``hiddenRowids``).
    static func visible(_ rowid: String = "rowid") -> String {
        "\(rowid) NOT IN (\(hiddenRowids))"
    }

    /// The rowids of hidden papers.
    static let hiddenRowids = "SELECT h.rowid FROM papers h WHERE h.hidden_at IS NOT NULL"

    let rowid: Int64
    let paper: StoredPaper

    /// The papers a query selecting ``columns`` finds, in its order. Each row is decoded while its statement steps,
    /// where GRDB finds a column by name in the statement's own table (a copied row would search its names).
    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [PaperRow] {
        try Array(Row.fetchCursor(db, sql: sql, arguments: arguments).map { try PaperRow(row: $0) })
    }

    /// One page of the papers `filter` (a WHERE clause over `papers`, or nothing) selects, in `order`. The ordering runs
    /// over row ids, so the sorter holds sort keys rather than whole rows (abstracts and all), and only the page's rows
    /// are read: ordering a day's papers by votes took 2-3 ms as whole rows, well under one this way.
    static func fetchPage(
        _ db: Database, filter: String, filterArguments: StatementArguments = [], order: String,
        orderArguments: StatementArguments = [], limit: Int, offset: Int
    ) throws -> [PaperRow] {
        try fetchAll(
            db,
            sql: """
                SELECT \(columns) FROM papers WHERE rowid IN (
                    SELECT rowid FROM papers \(filter) ORDER BY \(order) LIMIT ? OFFSET ?)
                ORDER BY \(order)
                """,
            arguments: filterArguments + orderArguments + [limit, offset] + orderArguments)
    }

    /// The first paper a prepared statement selecting ``columns`` finds, decoded while the statement steps (as in
    /// ``fetchAll(_:sql:arguments:)``): upsert looks up every incoming paper this way.
    static func fetchOne(_ statement: Statement, arguments: StatementArguments) throws -> PaperRow? {
        // Decoded inside the cursor's `next()`: once the cursor is gone, the statement is reset and the row is empty.
        try Row.fetchCursor(statement, arguments: arguments).map { try PaperRow(row: $0) }.next()
    }

    /// Decodes a row selected with ``columns``, by column name. A missing column or a value of the wrong type (a
    /// database edited by hand) throws a `RowDecodingError` instead of trapping.
    init(row: Row) throws {
        rowid = try row.decode(forColumn: Columns.rowid)
        let idString: String = try row.decode(forColumn: Columns.id)
        let categories: String = try row.decode(forColumn: Columns.categories)
        let versionsText: String = try row.decode(forColumn: Columns.versions)
        let updated: Int64? = try row.decode(forColumn: Columns.updatedAt)
        let featured: Int64 = try row.decode(forColumn: Columns.featuredAt)
        let paper = Paper(
            id: PaperID(storedValue: idString),
            title: try row.decode(forColumn: Columns.title),
            abstract: try row.decode(forColumn: Columns.abstract),
            authors: PaperRow.authors(try row.decode(forColumn: Columns.authors)),
            categories: StoredText.categories(categories),
            versions: StoredText.versions(versionsText),
            submitter: try row.decode(forColumn: Columns.submitter),
            comments: try row.decode(forColumn: Columns.comments),
            journalRef: try row.decode(forColumn: Columns.journalRef), doi: try row.decode(forColumn: Columns.doi),
            reportNo: try row.decode(forColumn: Columns.reportNo), license: try row.decode(forColumn: Columns.license),
            updated: updated.map(PaperRow.date),
            featuredAt: PaperRow.date(featured))
        let person: String? = try row.decode(forColumn: PaperRow.submitterColumn)
        let hidden: Int64? = try row.decode(forColumn: Columns.hiddenAt)
        let organization: String? = try row.decode(forColumn: Columns.organization)
        let organizationFullname: String? = try row.decode(forColumn: PaperRow.organizationFullnameColumn)
        let keywords: String = try row.decode(forColumn: Columns.keywords)
        let claimed = try StoredText.claims(try row.decode(forColumn: PaperRow.claimedColumn))
        self.paper = StoredPaper(
            paper: paper, upvotes: try row.decode(forColumn: Columns.upvotes),
            numComments: try row.decode(forColumn: Columns.numComments), submittedBy: person.flatMap(StoredText.person),
            hiddenAt: hidden.map(PaperRow.date),
            organization: organization.map { Organization(name: $0, fullname: organizationFullname ?? $0) },
            githubRepo: try row.decode(forColumn: Columns.githubRepo),
            projectPage: try row.decode(forColumn: Columns.projectPage),
            keySentence: try row.decode(forColumn: Columns.keySentence), keywords: StoredText.keywords(keywords),
            claimedAuthors: claimed.map(\.claimed), authorParticipating: claimed.contains(where: \.commented))
    }

    /// Arguments for the INSERT statement (id first) or the UPDATE statement (rowid last).
    static func arguments(_ p: Paper, includingID: Bool) -> StatementArguments {
        var values: [(any DatabaseValueConvertible)?] = includingID ? [p.id.rawValue] : []
        values += [
            p.title, StoredText.authorsText(p.authors), p.abstract, StoredText.categoriesText(p.categories),
            StoredText.versionsText(p.versions),
            p.submitter, p.comments, p.journalRef, p.doi, p.reportNo, p.license, p.updated.map(millis),
            millis(p.published), p.latestVersion, millis(p.featuredAt), p.featuredDay.description,
        ]
        return StatementArguments(values)
    }

    static func arguments(paper: Paper, rowid: Int64) -> StatementArguments {
        arguments(paper, includingID: false) + [rowid]
    }

    static func authors(_ text: String) -> [String] { StoredText.authors(text) }

    static func millis(_ date: Date) -> Int64 { Millis.of(date, rounding: .toNearestOrAwayFromZero) }

    static func date(_ millis: Int64) -> Date { Millis.date(millis) }
}
