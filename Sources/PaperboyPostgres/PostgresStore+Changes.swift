import Foundation
import Logging
import PaperboyCore
import PostgresNIO

// The change sequence (migration 0006, ``PaperChangeFeed``): every write to a paper gives it the next number of
// `paper_changes` while its transaction holds the change lock (``ChangeSequence``), so a node that has read the changes
// up to a number finds every later commit after it.

extension PostgresStore: PaperChangeFeed {
    /// The most changes one ``paperChanges(after:limit:)`` reads, whatever limit it is asked for.
    public static let maximumChangesRead = 10_000

    /// Reads at least one and at most ``maximumChangesRead`` changes, whatever `limit` says. A paper row that cannot
    /// be read (a database edited by hand) is logged and passed over.
    public func paperChanges(after sequence: Int64, limit: Int) async throws -> PaperChanges {
        let limit = min(max(limit, 1), Self.maximumChangesRead)
        var changes = PaperChanges(papers: [], last: sequence)
        var unreadable: [PaperKey] = []
        let rows = try await client.run(
            """
            SELECT change_seq, key, id, title, authors, abstract, categories, featured_at, hidden_at IS NOT NULL
            FROM papers WHERE change_seq > \(sequence) ORDER BY change_seq LIMIT \(limit)
            """, logger: logger)
        for try await row in rows {
            let (number, key) = try row.decode((Int64, Int64).self)
            changes.last = number
            guard
                let (_, _, id, title, authors, abstract, categories, featuredAt, isHidden) = try? row.decode(
                    (Int64, Int64, String, String, String, String, String, Int64, Bool).self)
            else {
                unreadable.append(key)
                continue
            }
            changes.papers.append(
                IndexablePaper(
                    key: key, id: PaperID(storedValue: id), title: title, authors: StoredText.authors(authors),
                    abstract: abstract, categories: StoredText.categories(categories),
                    featuredAt: Millis.date(featuredAt), isHidden: isHidden))
        }
        if !unreadable.isEmpty {
            logger.warning(
                "papers that cannot be read are left out of the changes",
                metadata: ["paper.keys": "\(unreadable.prefix(10).map(String.init).joined(separator: ", "))"])
        }
        return changes
    }

    public func latestPaperChange() async throws -> Int64 {
        try await client.scalar("SELECT max(change_seq) FROM papers", as: Int64.self, logger: logger) ?? 0
    }

    /// Throws when the store was never migrated (migration 0006 makes the identity).
    public func storeIdentity() async throws -> String {
        guard
            let identity = try await client.scalar(
                "SELECT value FROM paperboy_meta WHERE key = 'store_identity'", as: String.self, logger: logger)
        else {
            throw StoredRowError(
                description: "the database \(settings.redacted) has no identity: run `paperboy migrate`")
        }
        return identity
    }
}

extension PostgresStore: PaperChangeNotifier {
    /// Listens on ``ChangeSequence/channel`` on a connection of the pool and rings `bell` at each notification (each
    /// commit that changed papers, made through any node). Rings once whenever listening starts, since changes may
    /// have been committed while it was not; a lost connection is retried after a pause that grows to 10 s.
    public func ringOnChanges(_ bell: ChangeBell) async {
        var pause = Duration.milliseconds(250)
        while !Task.isCancelled {
            let listened: Bool
            do {
                listened = try await client.withConnection { connection in
                    try await connection.listen(on: ChangeSequence.channel) { notifications in
                        bell.ring()
                        for try await _ in notifications { bell.ring() }
                    }
                    return true
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "listening for changes failed; polling alone until it works again",
                    metadata: ["error.message": "\(error)"])
                listened = false
            }
            pause = listened ? .milliseconds(250) : min(pause * 2, .seconds(10))
            try? await Task.sleep(for: pause)
        }
    }
}
