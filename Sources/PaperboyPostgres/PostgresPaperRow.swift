import Foundation
import PaperboyCore
import PostgresNIO

/// Conversion between `Paper` and a row of `papers`, in the text forms of ``StoredText`` (the same values SQLite
/// stores, so that a copy moves them unchanged).
struct PostgresPaperRow {
    let key: PaperKey
    let paper: StoredPaper

    /// The SELECT list of a paper, its table named `p`. What the community added comes from scalar subqueries (each a
    /// primary-key or indexed look-up, NULL when the paper has none): the submitter as `username\nfullname`, the
    /// organisation's full name, and the accepted claims as ``StoredText/claims(_:)`` reads them.
    static let columns = """
        p.key, p.id, p.title, p.authors, p.abstract, p.categories, p.versions, p.submitter, p.comments, p.journal_ref, \
        p.doi, p.report_no, p.license, p.updated_at, p.featured_at, p.upvotes, p.num_comments, p.hidden_at, \
        p.organization, p.github_repo, p.project_page, p.key_sentence, p.keywords, \
        (SELECT u.username || E'\\n' || u.fullname FROM users u WHERE u.id = p.submitted_by) AS submitter_person, \
        (SELECT o.fullname FROM organizations o WHERE o.name = p.organization) AS organization_fullname, \
        (SELECT json_agg(json_build_array(c.author_index, u.username, u.fullname, CASE WHEN EXISTS (SELECT 1 \
        FROM comments m WHERE m.paper_key = c.paper_key AND m.user_id = c.user_id AND m.hidden_at IS NULL) THEN 1 \
        ELSE 0 END))::text FROM claims c JOIN users u ON u.id = c.user_id WHERE c.paper_key = p.key \
        AND c.status = 'accepted') AS claimed_authors
        """

    /// Decodes a row selected with ``columns``. A value of the wrong type (a database edited by hand) throws.
    init(row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T {
            try r[name].decode(T.self)
        }
        key = try value("key")
        let updated: Int64? = try value("updated_at")
        let hidden: Int64? = try value("hidden_at")
        let organization: String? = try value("organization")
        let organizationFullname: String? = try value("organization_fullname")
        let person: String? = try value("submitter_person")
        let claimed = try StoredText.claims(try value("claimed_authors", String?.self))
        let paper = Paper(
            id: PaperID(storedValue: try value("id")), title: try value("title"), abstract: try value("abstract"),
            authors: StoredText.authors(try value("authors")),
            categories: StoredText.categories(try value("categories")),
            versions: StoredText.versions(try value("versions")), submitter: try value("submitter"),
            comments: try value("comments"), journalRef: try value("journal_ref"), doi: try value("doi"),
            reportNo: try value("report_no"), license: try value("license"), updated: updated.map(Millis.date),
            featuredAt: Millis.date(try value("featured_at")))
        self.paper = StoredPaper(
            paper: paper, upvotes: try value("upvotes"), numComments: try value("num_comments"),
            submittedBy: person.flatMap(StoredText.person), hiddenAt: hidden.map(Millis.date),
            organization: organization.map { Organization(name: $0, fullname: organizationFullname ?? $0) },
            githubRepo: try value("github_repo"), projectPage: try value("project_page"),
            keySentence: try value("key_sentence"), keywords: StoredText.keywords(try value("keywords")),
            claimedAuthors: claimed.map(\.claimed), authorParticipating: claimed.contains(where: \.commented))
    }

    static func millis(_ date: Date) -> Int64 { Millis.of(date, rounding: .toNearestOrAwayFromZero) }

    /// The ORDER BY of a listing over `papers p`, ties broken newest first, then by id.
    static func order(_ sort: ListingSort) -> String {
        switch sort {
        case .publishedAt: "p.featured_at DESC, p.id DESC"
        case .upvotes: "p.upvotes DESC, p.featured_at DESC, p.id DESC"
        }
    }

    /// The columns a paper's own fields are written to, in the order of ``values(_:)``.
    static let writtenColumns = [
        "title", "authors", "abstract", "categories", "versions", "submitter", "comments", "journal_ref", "doi",
        "report_no", "license", "updated_at", "published_at", "latest_version", "featured_at", "featured_day",
    ]

    /// A paper's values for ``writtenColumns``: text, or nil for NULL.
    static func values(_ p: Paper) -> [String?] {
        [
            p.title, StoredText.authorsText(p.authors), p.abstract, StoredText.categoriesText(p.categories),
            StoredText.versionsText(p.versions), p.submitter, p.comments, p.journalRef, p.doi, p.reportNo, p.license,
            p.updated.map { String(millis($0)) }, String(millis(p.published)), String(p.latestVersion),
            String(millis(p.featuredAt)), p.featuredDay.description,
        ]
    }
}

/// Rows for `COPY ... FROM STDIN` in text format: tab-separated fields, `\N` for NULL, with backslash, tab, newline
/// and carriage return escaped.
struct CopyText {
    private(set) var buffer = ByteBuffer()

    var isEmpty: Bool { buffer.readableBytes == 0 }

    mutating func row(_ fields: [String?]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            guard let field else {
                buffer.writeStaticString("\\N")
                continue
            }
            // Bytes, not characters: the escaped bytes are ASCII, which never occur inside a UTF-8 sequence.
            let utf8 = field.utf8
            if utf8.withContiguousStorageIfAvailable({ Self.needsEscaping($0) }) ?? true {
                buffer.reserveCapacity(minimumWritableBytes: utf8.count + 16)
                for byte in utf8 {
                    switch byte {
                    case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                    case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                    case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                    case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                    case 0: continue  // PostgreSQL text cannot hold NUL; ingest never lets one through
                    default: buffer.writeInteger(byte)
                    }
                }
            } else {
                buffer.writeString(field)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// Whether the bytes hold one that `COPY`'s text format escapes (or NUL).
    private static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.contains { $0 == UInt8(ascii: "\\") || $0 < 0x0E && ($0 == 9 || $0 == 10 || $0 == 13 || $0 == 0) }
    }
}
