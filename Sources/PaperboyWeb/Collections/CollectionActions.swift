import Foundation
import HTTPTypes
import PaperboyCore

/// What collections may hold, and the checks every change makes, for the forms and the API alike: who may see and
/// change a collection, the limits, the rate limit, the store call and the cache invalidation, in one place. A
/// refusal is a ``CommunityRefusal`` (its status and exact message are what the API answers and pages show).
struct CollectionActions<Store: SiteStore>: Sendable {
    let site: Site<Store>

    // MARK: Reading

    /// The collection when `viewer` may see it: its owner always, anyone when it is public and its owner's account
    /// is not disabled (like their profile). Someone else's private collection, a malformed id and an unknown one
    /// all read as missing.
    func visible(_ id: String, to viewer: Viewer?) async throws -> PaperCollection {
        guard PaperCollection.isWellFormedID(id), let collection = try await site.store.collection(id: id) else {
            throw CollectionRules.notFound(id)
        }
        if collection.ownerID == viewer?.account.id { return collection }
        guard collection.isPublic, try await site.store.account(id: collection.ownerID)?.disabled == false else {
            throw CollectionRules.notFound(id)
        }
        return collection
    }

    /// The collection when `viewer` owns it: 404 when they cannot see it, 403 when it is someone else's.
    func owned(_ id: String, by viewer: Viewer) async throws -> PaperCollection {
        let collection = try await visible(id, to: viewer)
        guard collection.ownerID == viewer.account.id else {
            throw CommunityRefusal(status: .forbidden, message: "only its owner may change collection \(id)")
        }
        return collection
    }

    /// Every paper of a collection, most recently added first (for its BibTeX export).
    func allPapers(of collection: PaperCollection, audience: Audience) async throws -> [StoredPaper] {
        var papers: [StoredPaper] = []
        let page = 250
        while papers.count < 4 * CollectionRules.maxItems {
            let next = try await site.store.papers(
                inCollection: collection.id, audience: audience, offset: papers.count, limit: page)
            papers += next.items
            if next.items.count < page { break }
        }
        return papers
    }

    // MARK: Changing

    /// Counts a change against the account's write limit (shared with settings and the other writes).
    func limitWrites(_ viewer: Viewer) throws {
        let key = RateLimiter.Key(bucket: "writes", subject: String(viewer.account.id))
        if let wait = site.accounts.limiter.take(key, .writes) {
            throw CommunityRefusal.rateLimited(wait, "Too many changes at once: at most 60 a minute.")
        }
    }

    /// Creates a collection with a new random id (drawn again when taken).
    func create(_ viewer: Viewer, name rawName: String?, description rawDescription: String?, isPublic: Bool)
        async throws -> PaperCollection
    {
        let name = try CollectionRules.name(rawName)
        let description = try CollectionRules.description(rawDescription)
        let owned = try await site.store.collections(
            ownerID: viewer.account.id, includePrivate: true, limit: CollectionRules.maxPerUser)
        guard owned.count < CollectionRules.maxPerUser else {
            throw CommunityRefusal(
                status: .unprocessableContent,
                message: "an account may have at most \(CollectionRules.maxPerUser) collections")
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                let created = try await site.store.createCollection(
                    NewCollection(
                        id: site.randomness.collectionID(), ownerID: viewer.account.id, name: name,
                        description: description, isPublic: isPublic, at: site.now()))
                site.cache.invalidate()
                return created
            } catch is CollectionIDTaken where attempt < CollectionRules.idAttempts {
                continue
            }
        }
    }

    /// Applies a change the owner asked for; the fields given are checked as at creation.
    func update(_ collection: PaperCollection, name: String?, description: String?, isPublic: Bool?) async throws
        -> PaperCollection
    {
        let change = CollectionChange(
            name: try name.map { try CollectionRules.name($0) },
            description: try description.map { try CollectionRules.description($0) }, isPublic: isPublic)
        guard let updated = try await site.store.updateCollection(id: collection.id, change, at: site.now()) else {
            throw CollectionRules.notFound(collection.id)
        }
        site.cache.invalidate()
        return updated
    }

    func delete(_ collection: PaperCollection) async throws {
        guard try await site.store.deleteCollection(id: collection.id) else {
            throw CollectionRules.notFound(collection.id)
        }
        site.cache.invalidate()
    }

    /// Adds or removes a paper, idempotently. A paper the viewer cannot see (unknown, or hidden from them) cannot
    /// be added; a full collection takes no new paper.
    func setPaper(_ id: PaperID, in collection: PaperCollection, add: Bool, viewer: Viewer) async throws
        -> PaperCollection
    {
        if add {
            guard try await site.store.paper(id: id, audience: Audience(role: viewer.account.role)) != nil else {
                throw CollectionRules.paperNotFound(id)
            }
            if collection.itemCount >= CollectionRules.maxItems,
                !(try await site.store.collectionIDs(ownerID: collection.ownerID, containing: id))
                    .contains(collection.id)
            {
                throw CommunityRefusal(
                    status: .unprocessableContent,
                    message: "a collection may hold at most \(CollectionRules.maxItems) papers")
            }
        }
        guard try await site.store.setPaper(id, inCollection: collection.id, add: add, at: site.now()) != nil else {
            throw CollectionRules.paperNotFound(id)
        }
        site.cache.invalidate()
        guard let updated = try await site.store.collection(id: collection.id) else {
            throw CollectionRules.notFound(collection.id)
        }
        return updated
    }

    /// A paper id as the forms and the API send it (`arXiv:` prefixes and version suffixes allowed).
    static func paperID(_ raw: String?) throws -> PaperID {
        let text = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count <= 64, let (id, _) = PaperID.parse(text) else {
            throw CommunityRefusal(
                status: .badRequest, message: "paperId must be an arXiv id such as 2511.01234 or hep-th/9901001")
        }
        return id
    }
}

/// What collections may hold, the checks of what users send, and the messages of refusals.
enum CollectionRules {
    static let maxName = 100
    static let maxDescription = 2_000
    static let maxPerUser = 100
    static let maxItems = 1_000
    /// How often a drawn id may turn out to exist before creating gives up (it never should).
    static let idAttempts = 8

    /// A name as stored: control characters as spaces, blanks around it trimmed, 1 to 100 characters.
    static func name(_ raw: String?) throws -> String {
        let name = QueryString.clean(raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...maxName).contains(name.count) else {
            throw CommunityRefusal(status: .badRequest, message: "name must be 1 to \(maxName) characters")
        }
        return name
    }

    /// A description as stored: line breaks kept (as `\n`), other control characters dropped, blanks around it
    /// trimmed, at most 2,000 characters.
    static func description(_ raw: String?) throws -> String {
        let unified = (raw ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        var kept = String.UnicodeScalarView()
        for scalar in unified.unicodeScalars where scalar == "\n" || !QueryString.isControl(scalar) {
            kept.append(scalar)
        }
        let description = String(kept).trimmingCharacters(in: .whitespacesAndNewlines)
        guard description.count <= maxDescription else {
            throw CommunityRefusal(
                status: .badRequest, message: "description must be at most \(maxDescription) characters")
        }
        return description
    }

    static func notFound(_ id: String) -> CommunityRefusal {
        CommunityRefusal(status: .notFound, message: "collection \(id) not found")
    }

    static func paperNotFound(_ id: PaperID) -> CommunityRefusal {
        CommunityRefusal(status: .notFound, message: "paper \(id) not found")
    }
}
