import Foundation
import PaperboyCore
import Testing

extension PaperStoreConformance {
    public typealias Collections = CollectionStore & CommunityStore & AccountStore & PaperCatalog & PaperWriter
        & KeyedPapers & StoreMaintenance

    static func newCollection(
        _ id: String, _ owner: Account, name: String = "Reading", description: String = "", isPublic: Bool = true,
        at: Date = t0
    ) -> NewCollection {
        NewCollection(id: id, ownerID: owner.id, name: name, description: description, isPublic: isPublic, at: at)
    }

    /// Adds or removes papers that must exist, in order, an hour apart from `start`.
    static func set(
        _ store: some Collections, _ papers: [String], in collection: String, add: Bool = true, from start: Double = 0
    ) async throws {
        for (n, paper) in papers.enumerated() {
            let changed = try await store.setPaper(
                id(paper), inCollection: collection, add: add, at: at(start + Double(n)))
            #expect(changed != nil, "the collection \(collection) exists")
        }
    }

    static func collectionPapers(_ store: some Collections, _ collection: String, offset: Int = 0, limit: Int = 10)
        async throws -> (ids: [String], total: Int)
    {
        let page = try await store.papers(inCollection: collection, audience: .everyone, offset: offset, limit: limit)
        return (ids(page.items), page.total)
    }

    // MARK: CollectionStore

    public static let collections: [RoleCheck<any Collections>] = [
        RoleCheck("a collection is created and found; a taken id throws and changes nothing") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada", fullname: "Ada L."))
            let bob = try await store.createAccount(newAccount("bob"))
            let made = try await store.createCollection(
                newCollection("abcdefghijkm", ada, name: "Transformers", description: "Worth reading", at: t0))
            #expect(
                made
                    == PaperCollection(
                        id: "abcdefghijkm", ownerID: ada.id, owner: Person(username: "ada", fullname: "Ada L."),
                        name: "Transformers", description: "Worth reading", isPublic: true, createdAt: t0,
                        updatedAt: t0, itemCount: 0))
            #expect(try await store.collection(id: "abcdefghijkm") == made)
            await #expect(throws: CollectionIDTaken()) {
                try await store.createCollection(newCollection("abcdefghijkm", bob, name: "Mine", at: at(1)))
            }
            #expect(try await store.collection(id: "abcdefghijkm") == made)
            #expect(try await store.collections(ownerID: bob.id, includePrivate: true, limit: 10).isEmpty)
            #expect(try await store.collection(id: "zzzzzzzzzzzz") == nil)
            let hostile = "'); DROP TABLE collections; -- <script>alert(1)</script>"
            let odd = try await store.createCollection(
                newCollection("bcdefghijkmn", bob, name: hostile, description: hostile, isPublic: false))
            #expect(odd.name == hostile && odd.description == hostile && !odd.isPublic)
            #expect(try await store.collection(id: "bcdefghijkmn") == odd)
        },
        RoleCheck("a user's collections list most recently updated first, private ones only when asked") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            let first = try await store.createCollection(newCollection("aaaaaaaaaaa1", ada, name: "first", at: t0))
            let hidden = try await store.createCollection(
                newCollection("aaaaaaaaaaa2", ada, name: "private", isPublic: false, at: at(1)))
            let last = try await store.createCollection(newCollection("aaaaaaaaaaa3", ada, name: "last", at: at(2)))
            _ = try await store.createCollection(newCollection("bbbbbbbbbbb1", bob, name: "bob's", at: at(3)))
            #expect(try await store.collections(ownerID: ada.id, includePrivate: false, limit: 10) == [last, first])
            #expect(
                try await store.collections(ownerID: ada.id, includePrivate: true, limit: 10) == [last, hidden, first])
            #expect(try await store.collections(ownerID: ada.id, includePrivate: true, limit: 2) == [last, hidden])
            #expect(try await store.collections(ownerID: ada.id + 1000, includePrivate: true, limit: 10).isEmpty)
            // A change moves a collection to the front.
            let moved = try #require(try await store.updateCollection(id: first.id, CollectionChange(), at: at(4)))
            #expect(moved.updatedAt == at(4))
            #expect(
                try await store.collections(ownerID: ada.id, includePrivate: true, limit: 10).map(\.id) == [
                    "aaaaaaaaaaa1", "aaaaaaaaaaa3", "aaaaaaaaaaa2",
                ])
            // Made public, the private one is listed for everyone.
            _ = try await store.updateCollection(id: hidden.id, CollectionChange(isPublic: true), at: at(5))
            #expect(
                try await store.collections(ownerID: ada.id, includePrivate: false, limit: 10).map(\.id) == [
                    "aaaaaaaaaaa2", "aaaaaaaaaaa1", "aaaaaaaaaaa3",
                ])
        },
        RoleCheck("an update changes only the fields given and moves the update time") { store in
            try await store.migrate()
            let ada = try await store.createAccount(newAccount("ada"))
            let made = try await store.createCollection(
                newCollection("abcdefghijkm", ada, name: "Old", description: "Old text", at: t0))
            let renamed = try #require(
                try await store.updateCollection(id: made.id, CollectionChange(name: "New"), at: at(1)))
            var expected = made
            expected.name = "New"
            expected.updatedAt = at(1)
            #expect(renamed == expected)
            let all = try #require(
                try await store.updateCollection(
                    id: made.id, CollectionChange(name: "Newer", description: "", isPublic: false), at: at(2)))
            expected.name = "Newer"
            expected.description = ""
            expected.isPublic = false
            expected.updatedAt = at(2)
            #expect(all == expected)
            #expect(try await store.collection(id: made.id) == expected)
            #expect(try await store.updateCollection(id: "zzzzzzzzzzzz", CollectionChange(name: "x"), at: at(3)) == nil)
        },
        RoleCheck("papers are added and removed idempotently; the count follows and the time moves on a change") {
            store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let list = try await store.createCollection(newCollection("abcdefghijkm", ada, at: t0))
            let other = try await store.createCollection(newCollection("bcdefghijkmn", ada, at: t0))
            let one = id("2611.00001")
            #expect(try await store.setPaper(one, inCollection: list.id, add: true, at: at(1)) == true)
            #expect(try await store.collection(id: list.id)?.itemCount == 1)
            #expect(try await store.collection(id: list.id)?.updatedAt == at(1))
            #expect(try await store.setPaper(one, inCollection: list.id, add: true, at: at(2)) == false)
            #expect(try await store.collection(id: list.id)?.itemCount == 1)
            #expect(try await store.collection(id: list.id)?.updatedAt == at(1))
            #expect(try await store.setPaper(id("hep-th/9901001"), inCollection: list.id, add: true, at: at(3)) == true)
            #expect(try await store.collection(id: list.id)?.itemCount == 2)
            #expect(try await store.setPaper(one, inCollection: other.id, add: true, at: at(3)) == true)
            #expect(try await store.collectionIDs(ownerID: ada.id, containing: one) == [list.id, other.id])
            #expect(try await store.collectionIDs(ownerID: ada.id, containing: id("hep-th/9901001")) == [list.id])
            #expect(try await store.collectionIDs(ownerID: ada.id, containing: id("2611.00002")) == [])
            #expect(try await store.collectionIDs(ownerID: ada.id + 1000, containing: one) == [])
            #expect(try await store.setPaper(one, inCollection: list.id, add: false, at: at(4)) == true)
            #expect(try await store.setPaper(one, inCollection: list.id, add: false, at: at(5)) == false)
            let after = try #require(try await store.collection(id: list.id))
            #expect(after.itemCount == 1)
            #expect(after.updatedAt == at(4))
            #expect(try await store.collectionIDs(ownerID: ada.id, containing: one) == [other.id])
            #expect(try await store.setPaper(id("2611.09999"), inCollection: list.id, add: true, at: at(6)) == nil)
            #expect(try await store.setPaper(one, inCollection: "zzzzzzzzzzzz", add: true, at: at(6)) == nil)
            #expect(try await store.collection(id: list.id) == after)
            #expect(try await collectionPapers(store, list.id).ids == ["hep-th/9901001"])
        },
        RoleCheck("a collection's papers list most recently added first, as stored, with a total") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let list = try await store.createCollection(newCollection("abcdefghijkm", ada, at: t0))
            try await set(store, ["2611.00003", "hep-th/9901001", "2611.00001", "2611.00004"], in: list.id)
            _ = try await store.setVote(accountID: ada.id, paper: id("2611.00001"), up: true, at: t0)
            let all = try await store.papers(inCollection: list.id, audience: .everyone, offset: 0, limit: 10)
            #expect(ids(all.items) == ["2611.00004", "2611.00001", "hep-th/9901001", "2611.00003"])
            #expect(all.total == 4)
            #expect(all.items[1] == (try await store.paper(id: id("2611.00001"), audience: .everyone)))
            #expect(all.items[1].upvotes == 1)
            let page = try await collectionPapers(store, list.id, offset: 1, limit: 2)
            #expect(page.ids == ["2611.00001", "hep-th/9901001"])
            #expect(page.total == 4)
            // Removing and adding again puts a paper in front.
            _ = try await store.setPaper(id("2611.00003"), inCollection: list.id, add: false, at: at(10))
            _ = try await store.setPaper(id("2611.00003"), inCollection: list.id, add: true, at: at(11))
            #expect(try await collectionPapers(store, list.id, limit: 2).ids == ["2611.00003", "2611.00004"])
            let empty = try await store.createCollection(newCollection("bcdefghijkmn", ada, at: t0))
            #expect(try await collectionPapers(store, empty.id) == ([], 0))
            #expect(try await collectionPapers(store, "zzzzzzzzzzzz") == ([], 0))
        },
        RoleCheck("a deleted collection is gone with its items") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let list = try await store.createCollection(newCollection("abcdefghijkm", ada, at: t0))
            try await set(store, ["2611.00001", "2611.00002"], in: list.id)
            #expect(try await store.deleteCollection(id: list.id))
            #expect(try await store.deleteCollection(id: list.id) == false)
            #expect(try await store.collection(id: list.id) == nil)
            #expect(try await store.collections(ownerID: ada.id, includePrivate: true, limit: 10).isEmpty)
            #expect(try await store.collectionIDs(ownerID: ada.id, containing: id("2611.00001")) == [])
            #expect(try await collectionPapers(store, list.id) == ([], 0))
            // The id may be drawn again: the new collection starts empty.
            let again = try await store.createCollection(newCollection("abcdefghijkm", ada, at: at(1)))
            #expect(again.itemCount == 0)
            #expect(try await collectionPapers(store, again.id) == ([], 0))
            #expect(try await store.paper(id: id("2611.00001"), audience: .everyone) != nil)
        },
        RoleCheck("a deleted account's collections go with it; other people's stay") { store in
            try await load(store)
            let ada = try await store.createAccount(newAccount("ada"))
            let bob = try await store.createAccount(newAccount("bob"))
            _ = try await store.createCollection(newCollection("aaaaaaaaaaa1", ada, at: t0))
            _ = try await store.createCollection(newCollection("aaaaaaaaaaa2", ada, isPublic: false, at: t0))
            let his = try await store.createCollection(newCollection("bbbbbbbbbbb1", bob, at: t0))
            try await set(store, ["2611.00001", "2611.00002"], in: "aaaaaaaaaaa1")
            try await set(store, ["2611.00001"], in: "aaaaaaaaaaa2")
            try await set(store, ["2611.00001"], in: his.id)
            #expect(try await store.deleteAccount(id: ada.id))
            #expect(try await store.collection(id: "aaaaaaaaaaa1") == nil)
            #expect(try await store.collection(id: "aaaaaaaaaaa2") == nil)
            #expect(try await collectionPapers(store, "aaaaaaaaaaa1") == ([], 0))
            #expect(try await store.collections(ownerID: ada.id, includePrivate: true, limit: 10).isEmpty)
            var expected = his
            expected.itemCount = 1
            expected.updatedAt = at(0)
            #expect(try await store.collection(id: his.id) == expected)
            #expect(try await collectionPapers(store, his.id) == (["2611.00001"], 1))
        },
    ]
}
