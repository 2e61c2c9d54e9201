import Foundation

// Collections: named reading lists, public or private. The web layer decides who may see one (its owner always,
// anyone when public; a private collection of someone else reads as missing) and makes the random ids.

/// A reading list.
public struct PaperCollection: Sendable, Hashable {
    /// 12 random characters from ``PaperCollection/idAlphabet``.
    public var id: String
    public var ownerID: Int64
    public var owner: Person
    public var name: String
    public var description: String
    public var isPublic: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var itemCount: Int

    public init(
        id: String, ownerID: Int64, owner: Person, name: String, description: String, isPublic: Bool,
        createdAt: Date, updatedAt: Date, itemCount: Int
    ) {
        self.id = id
        self.ownerID = ownerID
        self.owner = owner
        self.name = name
        self.description = description
        self.isPublic = isPublic
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.itemCount = itemCount
    }

    /// The characters of collection ids.
    public static let idAlphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    public static let idLength = 12

    /// A new random id.
    public static func randomID<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<idLength).map { _ in idAlphabet[Int.random(in: 0..<idAlphabet.count, using: &generator)] })
    }

    /// Whether `text` could be a collection id (checked before any lookup).
    public static func isWellFormedID(_ text: some StringProtocol) -> Bool {
        text.count == idLength && text.allSatisfy { idAlphabet.contains($0) }
    }
}

/// A collection to create.
public struct NewCollection: Sendable, Hashable {
    public var id: String
    public var ownerID: Int64
    public var name: String
    public var description: String
    public var isPublic: Bool
    public var at: Date

    public init(id: String, ownerID: Int64, name: String, description: String, isPublic: Bool, at: Date) {
        self.id = id
        self.ownerID = ownerID
        self.name = name
        self.description = description
        self.isPublic = isPublic
        self.at = at
    }
}

/// Changes to a collection; nil fields stay as they are.
public struct CollectionChange: Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var isPublic: Bool?

    public init(name: String? = nil, description: String? = nil, isPublic: Bool? = nil) {
        self.name = name
        self.description = description
        self.isPublic = isPublic
    }
}

/// Collections and their papers.
public protocol CollectionStore: Sendable {
    /// Creates a collection. Throws ``CollectionIDTaken`` when the id exists (the caller draws another).
    func createCollection(_ collection: NewCollection) async throws -> PaperCollection

    func collection(id: String) async throws -> PaperCollection?

    /// A user's collections, most recently updated first; private ones only with `includePrivate`.
    func collections(ownerID: Int64, includePrivate: Bool, limit: Int) async throws -> [PaperCollection]

    /// Applies `change` (and moves `updatedAt`); nil when there is no such collection.
    func updateCollection(id: String, _ change: CollectionChange, at: Date) async throws -> PaperCollection?

    /// Deletes the collection and its items; false when there was none.
    func deleteCollection(id: String) async throws -> Bool

    /// Adds (`add`) or removes a paper, idempotently (and moves `updatedAt` when something changed). Nil when the
    /// collection or the paper does not exist.
    func setPaper(_ paper: PaperID, inCollection id: String, add: Bool, at: Date) async throws -> Bool?

    /// The collection's papers, most recently added first; hidden papers only for moderators.
    func papers(inCollection id: String, audience: Audience, offset: Int, limit: Int) async throws
        -> ResultPage<StoredPaper>

    /// Which of the user's collections hold `paper` (ids), for the add/remove control.
    func collectionIDs(ownerID: Int64, containing paper: PaperID) async throws -> Set<String>
}

/// A collection id drawn twice.
public struct CollectionIDTaken: Error, Equatable, Sendable {
    public init() {}
}
