import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// Collections as their owners, other members, anonymous visitors and API clients see them.
@Suite("Collections")
struct CollectionTests {
    static let clock = CommunityTests.clock

    // MARK: Helpers

    /// A JSON request with a bearer token (or none).
    static func call(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String?,
        json: String? = nil
    ) async throws -> Fetched {
        var headers = token.map(bearer) ?? HTTPFields()
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.send(uri, method: method, headers: headers, body: json)
    }

    /// Creates a collection through the API and returns its id.
    static func create(
        _ client: any TestClientProtocol, token: String, name: String = "Reading list", isPublic: Bool,
        description: String = ""
    ) async throws -> String {
        let body = try JSONSerialization.data(
            withJSONObject: ["name": name, "description": description, "isPublic": isPublic])
        let answer = try await call(
            client, .post, "/api/collections", token: token, json: String(decoding: body, as: UTF8.self))
        #expect(answer.status == .created, "\(answer.body)")
        return try #require(try object(answer)["id"] as? String)
    }

    static func add(_ client: any TestClientProtocol, _ paper: String, to id: String, token: String) async throws
        -> Fetched
    {
        try await call(
            client, .post, "/api/collections/\(id)/items", token: token, json: #"{"paperId": "\#(paper)"}"#)
    }

    static func error(_ fetched: Fetched) throws -> String? { try object(fetched)["error"] as? String }

    /// A JSON array of objects from an answer's body.
    static func array(_ fetched: Fetched) throws -> [[String: Any]] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(fetched.body.utf8)) as? [[String: Any]], "\(fetched.body)")
    }

    // MARK: Pages

    @Test func anonymousVisitorsAreSentToSignIn() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let list = try await client.get("/collections")
            #expect(list.status == .seeOther)
            #expect(list.headers[.location] == "/login?next=%2Fcollections")
            let create = try await client.send("/collections", method: .post, body: "name=x")
            #expect(create.status == .seeOther)
            #expect(create.headers[.location] == "/login?next=%2Fcollections")
            let add = try await client.send("/collections/aB3dE5gH7jK9/add", method: .post, body: "paper=2611.00001")
            #expect(add.headers[.location] == "/login?next=%2Fcollections%2FaB3dE5gH7jK9")
            #expect(try await client.get("/collections/aB3dE5gH7jK9/add").status == .methodNotAllowed)
            let post = try await client.send("/collections/aB3dE5gH7jK9", method: .post)
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD, OPTIONS")
        }
    }

    @Test func creatingThroughTheFormLeadsToTheNewCollection() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let empty = try await browser.get("/collections")
            #expect(empty.status == .ok)
            #expect(empty.headers[.cacheControl] == "private, no-store")
            #expect(empty.body.contains("No collections yet."))
            #expect(empty.body.contains("0 collections of at most 100"))

            let created = try await browser.submitForm(
                on: "/collections", to: "/collections",
                ["name": "  Transformers  ", "description": "Line one\r\nLine two", "public": "1"])
            #expect(created.status == .seeOther)
            let location = try #require(created.headers[.location])
            let id = String(location.dropFirst("/collections/".count))
            #expect(location.hasPrefix("/collections/") && PaperCollection.isWellFormedID(id), "\(location)")

            let page = try await browser.get(location)
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "private, no-store")
            #expect(page.body.contains("<h1>Transformers</h1>"))
            #expect(page.body.contains("Line one\nLine two"))
            #expect(page.body.contains("A public collection by"))
            #expect(page.body.contains("href=\"/collections/\(id).bib\""))
            #expect(page.body.contains("href=\"/feeds/collections/\(id).xml\""))
            #expect(page.body.contains("Edit or delete this collection"), "the owner gets the forms")

            let list = try await browser.get("/collections")
            #expect(list.body.contains("href=\"\(location)\">Transformers</a>"))
            #expect(list.body.contains("1 collection of at most 100"))

            let stored = try #require(try await site.store.collection(id: id))
            #expect(stored.name == "Transformers")
            #expect(stored.description == "Line one\nLine two")
            #expect(stored.isPublic)
        }
    }

    @Test func theCreateFormComesBackWithTheProblem() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let blank = try await browser.submitForm(
                on: "/collections", to: "/collections", ["name": "   ", "description": "kept"])
            #expect(blank.status == .badRequest)
            #expect(blank.body.contains("name must be 1 to 100 characters"))
            #expect(blank.body.contains(">kept</textarea>"), "the form keeps what was typed")
            let long = try await browser.submitForm(
                on: "/collections", to: "/collections",
                ["name": "ok", "description": String(repeating: "d", count: 2_001)])
            #expect(long.status == .badRequest)
            #expect(long.body.contains("description must be at most 2000 characters"))
            let noToken = try await browser.post("/collections", ["name": "x"])
            #expect(noToken.status == .forbidden)
            #expect(noToken.body.contains("Form expired"))
        }
    }

    @Test func theOwnerEditsRemovesAndDeletesThroughForms() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let location = try #require(
                try await browser.submitForm(on: "/collections", to: "/collections", ["name": "Old"]).headers[
                    .location])
            let added = try await browser.submitForm(
                on: location, to: location + "/add", ["paper": "2611.00001", "next": location])
            #expect(added.status == .seeOther)
            #expect(added.headers[.location] == location)
            let page = try await browser.get(location)
            #expect(page.body.contains("Attention Is All You Need Again"))
            #expect(page.body.contains("Remove from this collection"))
            #expect(page.body.contains("A private collection by"))
            #expect(!page.body.contains("/feeds/collections/"), "a private collection has no feed")

            let edited = try await browser.submitForm(
                on: location, to: location + "/edit", ["name": "New name", "description": "", "public": "1"])
            #expect(edited.status == .seeOther)
            #expect(try await browser.get(location).body.contains("<h1>New name</h1>"))
            #expect(try await client.get(location).status == .ok, "public now")

            let removed = try await browser.submitForm(
                on: location, to: location + "/remove", ["paper": "2611.00001", "next": location])
            #expect(removed.status == .seeOther)
            #expect(try await browser.get(location).body.contains("No papers yet."))

            let deleted = try await browser.submitForm(on: location, to: location + "/delete", [:])
            #expect(deleted.status == .seeOther)
            #expect(deleted.headers[.location] == "/collections")
            #expect(try await browser.get(location).status == .notFound)
        }
    }

    @Test func someoneElsesPrivateCollectionIsNotFoundAnywhere() async throws {
        let site = try await TestSite.make()
        let (_, owner) = try await site.member("owner")
        let (_, other) = try await site.member("other")
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(client, token: owner, name: "Secret", isPublic: false)
            _ = try await Self.add(client, "2611.00001", to: id, token: owner)
            let unknown = "zzzzzzzzzzzz"
            for candidate in [id, unknown] {
                for token in [nil, other] {
                    let page = try await client.get(
                        "/collections/\(candidate)", headers: token.map(bearer) ?? HTTPFields())
                    #expect(page.status == .notFound)
                    #expect(!page.body.contains("Secret"))
                    let bib = try await client.get(
                        "/collections/\(candidate).bib", headers: token.map(bearer) ?? HTTPFields())
                    #expect(bib.status == .notFound)
                    #expect(bib.body == "collection \(candidate) not found\n")
                    let api = try await Self.call(client, .get, "/api/collections/\(candidate)", token: token)
                    #expect(api.status == .notFound)
                    #expect(try Self.error(api) == "collection \(candidate) not found")
                    if let token {
                        let patch = try await Self.call(
                            client, .patch, "/api/collections/\(candidate)", token: token, json: #"{"name": "x"}"#)
                        #expect(patch.status == .notFound)
                        #expect(try Self.error(patch) == "collection \(candidate) not found")
                        let add = try await Self.add(client, "2611.00002", to: candidate, token: token)
                        #expect(add.status == .notFound)
                    }
                }
                #expect(try await client.get("/feeds/collections/\(candidate).xml").status == .notFound)
            }
            #expect(try await Self.call(client, .get, "/api/collections/\(id)", token: owner).status == .ok)
            #expect(try await client.get("/collections/\(id)", headers: bearer(owner)).status == .ok)
            #expect(try await client.get("/collections/\(id).bib", headers: bearer(owner)).status == .ok)
            #expect(
                try await client.get("/feeds/collections/\(id).xml", headers: bearer(owner)).status == .notFound,
                "a private collection has no feed, even for its owner")
            let others = try Self.array(try await Self.call(client, .get, "/api/collections?user=owner", token: other))
            #expect(others.isEmpty, "private collections are not listed for others")
            let own = try Self.array(try await Self.call(client, .get, "/api/collections?user=owner", token: owner))
            #expect(own.map { $0["id"] as? String } == [id], "the owner's own name lists their private ones too")
        }
    }

    @Test func aDisabledOwnersPublicCollectionIsNotFound() async throws {
        let site = try await TestSite.make()
        let (owner, token) = try await site.member("owner")
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(client, token: token, name: "Spam", isPublic: true)
            #expect(try await client.get("/collections/\(id)").status == .ok)
            _ = try await site.store.updateAccount(id: owner.id, .disabled(true))
            #expect(try await client.get("/collections/\(id)").status == .notFound)
            #expect(try await client.get("/collections/\(id).bib").status == .notFound)
            #expect(try await client.get("/feeds/collections/\(id).xml").status == .notFound)
            #expect(try await client.get("/api/collections/\(id)").status == .notFound)
        }
    }

    @Test func onlyTheOwnerChangesAPublicCollection() async throws {
        let site = try await TestSite.make()
        let (_, owner) = try await site.member("owner")
        let (_, other) = try await site.member("other")
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(client, token: owner, name: "Open", isPublic: true)
            #expect(try await client.get("/collections/\(id)").status == .ok)
            let message = "only its owner may change collection \(id)"
            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.patch, "/api/collections/\(id)", #"{"name": "Mine now"}"#),
                (.delete, "/api/collections/\(id)", nil),
                (.post, "/api/collections/\(id)/items", #"{"paperId": "2611.00001"}"#),
                (.delete, "/api/collections/\(id)/items/2611.00001", nil),
            ]
            for (method, uri, json) in attempts {
                let answer = try await Self.call(client, method, uri, token: other, json: json)
                #expect(answer.status == .forbidden, "\(method) \(uri)")
                #expect(try Self.error(answer) == message)
                let anonymous = try await Self.call(client, method, uri, token: nil, json: json)
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer realm=\"paperboy\"")
                #expect(
                    try Self.error(anonymous)
                        == "sign in or send a personal access token (Authorization: Bearer pb_...)")
            }
            // Through the forms, too.
            let browser = TestBrowser(client)
            try await browser.signUp("intruder")
            let form = try await browser.submitForm(
                on: "/collections/\(id)", to: "/collections/\(id)/delete", [:])
            #expect(form.status == .forbidden)
            #expect(form.body.contains(message))
            let page = try await browser.get("/collections/\(id)")
            #expect(!page.body.contains("Edit or delete this collection"))
            #expect(!page.body.contains("Remove from this collection"))
            let stored = try #require(try await site.store.collection(id: id))
            #expect(stored.name == "Open")
        }
    }

    // MARK: API

    @Test func theAPIShapes() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let created = try await Self.call(
                client, .post, "/api/collections", token: token,
                json: #"{"name": "Reading list", "description": "Weekend", "isPublic": true}"#)
            #expect(created.status == .created)
            let collection = try object(created)
            #expect(
                Set(collection.keys) == [
                    "id", "name", "description", "isPublic", "owner", "createdAt", "updatedAt", "numItems", "url",
                ])
            let id = try #require(collection["id"] as? String)
            #expect(PaperCollection.isWellFormedID(id))
            #expect(collection["name"] as? String == "Reading list")
            #expect(collection["description"] as? String == "Weekend")
            #expect(collection["isPublic"] as? Bool == true)
            #expect(collection["numItems"] as? Int == 0)
            #expect(collection["url"] as? String == "http://127.0.0.1:8080/collections/\(id)")
            #expect(isAPITimestamp(collection["createdAt"]))
            #expect(collection["createdAt"] as? String == "2026-11-21T12:00:00.000Z")
            #expect(isAPITimestamp(collection["updatedAt"]))
            let owner = try #require(collection["owner"] as? [String: Any])
            #expect(Set(owner.keys) == ["user", "name", "fullname", "avatarUrl", "type"])
            #expect(owner["user"] as? String == "ada")
            #expect(owner["fullname"] as? String == "Ada")
            #expect(owner["type"] as? String == "user")

            for _ in 0..<2 {
                let added = try await Self.add(client, "2611.00001", to: id, token: token)
                #expect(added.status == .ok)
                #expect(try object(added)["numItems"] as? Int == 1, "adding twice changes nothing")
                #expect(try object(added)["items"] == nil)
            }
            _ = try await Self.add(client, "arXiv:2611.00002v2", to: id, token: token)

            let read = try object(try await client.get("/api/collections/\(id)"))
            #expect(read["numItems"] as? Int == 2)
            let items = try #require(read["items"] as? [[String: Any]])
            #expect(items.map { ($0["paper"] as? [String: Any])?["id"] as? String } == ["2611.00002", "2611.00001"])
            #expect(items.first?["upvoted"] == nil, "anonymous items carry no upvoted field")
            #expect(items.first?["title"] as? String == "Quantum Error Correction at Scale")
            let paged = try object(try await client.get("/api/collections/\(id)?limit=1&p=1"))
            #expect((paged["items"] as? [[String: Any]])?.count == 1)
            let mine = try object(try await client.get("/api/collections/\(id)", headers: bearer(token)))
            #expect((mine["items"] as? [[String: Any]])?.first?["upvoted"] as? Bool == false)

            let listed = try Self.array(try await Self.call(client, .get, "/api/collections", token: token))
            #expect(listed.map { $0["id"] as? String } == [id])
            #expect(listed.first?["items"] == nil)
            let byName = try await client.get("/api/collections?user=ada")
            #expect(byName.status == .ok)
            #expect(byName.body.contains(id))
            let nobody = try await client.get("/api/collections?user=nobody")
            #expect(nobody.status == .notFound)
            #expect(try Self.error(nobody) == "user nobody not found")
            let anonymous = try await client.get("/api/collections")
            #expect(anonymous.status == .unauthorized)

            let patched = try await Self.call(
                client, .patch, "/api/collections/\(id)", token: token, json: #"{"isPublic": false}"#)
            #expect(patched.status == .ok)
            #expect(try object(patched)["isPublic"] as? Bool == false)
            #expect(try object(patched)["name"] as? String == "Reading list", "fields left out stay")
            #expect(try await client.get("/api/collections/\(id)").status == .notFound, "private now")

            let removed = try await Self.call(
                client, .delete, "/api/collections/\(id)/items/2611.00001", token: token)
            #expect(removed.status == .ok)
            #expect(try object(removed)["numItems"] as? Int == 1)
            let again = try await Self.call(
                client, .delete, "/api/collections/\(id)/items/2611.00001", token: token)
            #expect(try object(again)["numItems"] as? Int == 1, "removing twice changes nothing")

            let deleted = try await Self.call(client, .delete, "/api/collections/\(id)", token: token)
            #expect(deleted.status == .noContent)
            #expect(deleted.body.isEmpty)
            let gone = try await Self.call(client, .get, "/api/collections/\(id)", token: token)
            #expect(gone.status == .notFound)
            let twice = try await Self.call(client, .delete, "/api/collections/\(id)", token: token)
            #expect(twice.status == .notFound)
        }
    }

    @Test func oldStyleIdsKeepTheirSlash() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(client, token: token, isPublic: true)
            let added = try await Self.add(client, "hep-th/9901001", to: id, token: token)
            #expect(try object(added)["numItems"] as? Int == 1)
            let read = try object(try await client.get("/api/collections/\(id)"))
            #expect(
                ((read["items"] as? [[String: Any]])?.first?["paper"] as? [String: Any])?["id"] as? String
                    == "hep-th/9901001")
            let removed = try await Self.call(
                client, .delete, "/api/collections/\(id)/items/hep-th/9901001", token: token)
            #expect(removed.status == .ok, "\(removed.body)")
            #expect(try object(removed)["numItems"] as? Int == 0)
            _ = try await Self.add(client, "hep-th/9901001", to: id, token: token)
            let encoded = try await Self.call(
                client, .delete, "/api/collections/\(id)/items/hep-th%2F9901001", token: token)
            #expect(try object(encoded)["numItems"] as? Int == 0)
        }
    }

    @Test func badInputGetsExactErrors() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"name": ""}"#, .badRequest, "name must be 1 to 100 characters"),
                (#"{"name": " \n\t "}"#, .badRequest, "name must be 1 to 100 characters"),
                (#"{"description": "no name"}"#, .badRequest, "name must be 1 to 100 characters"),
                (
                    "{\"name\": \"\(String(repeating: "n", count: 101))\"}", .badRequest,
                    "name must be 1 to 100 characters"
                ),
                (
                    "{\"name\": \"ok\", \"description\": \"\(String(repeating: "d", count: 2_001))\"}", .badRequest,
                    "description must be at most 2000 characters"
                ),
                (
                    "not json", .badRequest,
                    #"send JSON: {"name": "Reading list", "description": "optional", "isPublic": false}"#
                ),
                (
                    #"{"name": "x", "isPublic": "yes"}"#, .badRequest,
                    #"send JSON: {"name": "Reading list", "description": "optional", "isPublic": false}"#
                ),
            ]
            for (json, status, message) in cases {
                let answer = try await Self.call(client, .post, "/api/collections", token: token, json: json)
                #expect(answer.status == status, "\(json)")
                #expect(try Self.error(answer) == message, "\(json)")
            }
            let longest = try await Self.call(
                client, .post, "/api/collections", token: token,
                json: "{\"name\": \"\(String(repeating: "é", count: 100))\", "
                    + "\"description\": \"\(String(repeating: "😀", count: 2_000))\"}")
            #expect(longest.status == .created, "100 and 2,000 characters are allowed, whatever their bytes")
            let id = try #require(try object(longest)["id"] as? String)

            let empty = try await Self.call(client, .patch, "/api/collections/\(id)", token: token, json: "{}")
            #expect(empty.status == .badRequest)
            #expect(try Self.error(empty) == "send at least one of name, description and isPublic")
            let blank = try await Self.call(
                client, .patch, "/api/collections/\(id)", token: token, json: #"{"name": ""}"#)
            #expect(try Self.error(blank) == "name must be 1 to 100 characters")

            let malformed = try await Self.add(client, "not-an-id", to: id, token: token)
            #expect(malformed.status == .badRequest)
            #expect(try Self.error(malformed) == "paperId must be an arXiv id such as 2511.01234 or hep-th/9901001")
            let noField = try await Self.call(
                client, .post, "/api/collections/\(id)/items", token: token, json: #"{"paper": "2611.00001"}"#)
            #expect(try Self.error(noField) == #"send JSON: {"paperId": "2511.01234"}"#)
            let unknown = try await Self.add(client, "2611.99999", to: id, token: token)
            #expect(unknown.status == .notFound)
            #expect(try Self.error(unknown) == "paper 2611.99999 not found")
            let unknownRemove = try await Self.call(
                client, .delete, "/api/collections/\(id)/items/2611.99999", token: token)
            #expect(unknownRemove.status == .notFound)
            #expect(try Self.error(unknownRemove) == "paper 2611.99999 not found")
            let notAnID = try await Self.call(client, .delete, "/api/collections/\(id)/items/nope", token: token)
            #expect(notAnID.status == .notFound)
            #expect(try Self.error(notAnID) == "nope is not an arXiv id")

            let large = try await Self.call(
                client, .post, "/api/collections", token: token,
                json: "{\"name\": \"\(String(repeating: "x", count: 20_000))\"}")
            #expect(large.status == .contentTooLarge)
            #expect(try Self.error(large) == "the body may hold at most 16 KB")

            let wrongMethod = try await Self.call(client, .post, "/api/collections/\(id)", token: token, json: "{}")
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, HEAD, PATCH, DELETE, OPTIONS")
            let itemsGet = try await client.get("/api/collections/\(id)/items")
            #expect(itemsGet.status == .methodNotAllowed)
            #expect(itemsGet.headers[.allow] == "POST, OPTIONS")
        }
    }

    @Test func aBrowserSessionSendsItsCSRFTokenForAPIWrites() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let without = try await browser.send(
                "/api/collections", method: .post, headers: headers, body: #"{"name": "x"}"#)
            #expect(without.status == .forbidden)
            #expect(try Self.error(without) == "a signed-in browser must send its CSRF token in X-CSRF-Token")
            let token: String = try #require(TestBrowser.csrfToken(in: try await browser.get("/").body))
            headers[.xCSRFTokenForTests] = token
            let with = try await browser.send(
                "/api/collections", method: .post, headers: headers, body: #"{"name": "x"}"#)
            #expect(with.status == .created)
            let own = try await browser.get("/api/collections")
            #expect(own.status == .ok, "a signed-in browser reads its own list")
            #expect(own.body.contains("\"name\":\"x\""))
        }
    }

    // MARK: Limits

    @Test func anAccountHasAtMost100Collections() async throws {
        let site = try await TestSite.make()
        let (account, token) = try await site.member("ada")
        let ids = RandomSource.seeded(100)
        for n in 0..<100 {
            _ = try await site.store.createCollection(
                NewCollection(
                    id: ids.collectionID(), ownerID: account.id, name: "c\(n)", description: "", isPublic: false,
                    at: Self.clock()))
        }
        try await site.run(clock: Self.clock) { client in
            let answer = try await Self.call(client, .post, "/api/collections", token: token, json: #"{"name": "x"}"#)
            #expect(answer.status == .unprocessableContent)
            #expect(try Self.error(answer) == "an account may have at most 100 collections")
            let browser = TestBrowser(client)
            _ = try await browser.logIn("ada")
            let page = try await browser.get("/collections")
            #expect(page.body.contains("100 collections of at most 100"))
            #expect(!page.body.contains("Create collection"), "no create form once full")
        }
    }

    @Test func aCollectionHoldsAtMost1000Papers() async throws {
        let papers = (0..<1_001).map { n in
            Fixtures.paper(String(format: "2611.%05d", 10_000 + n), title: "Paper \(n)")
        }
        let site = try await TestSite.make(papers: papers)
        let (account, token) = try await site.member("ada")
        let collection = try await site.store.createCollection(
            NewCollection(
                id: RandomSource.seeded(1).collectionID(), ownerID: account.id, name: "Full", description: "",
                isPublic: true,
                at: Self.clock()))
        for paper in papers.prefix(1_000) {
            _ = try await site.store.setPaper(paper.id, inCollection: collection.id, add: true, at: Self.clock())
        }
        try await site.run(clock: Self.clock) { client in
            let more = try await Self.add(client, "2611.11000", to: collection.id, token: token)
            #expect(more.status == .unprocessableContent)
            #expect(try Self.error(more) == "a collection may hold at most 1000 papers")
            let again = try await Self.add(client, "2611.10000", to: collection.id, token: token)
            #expect(again.status == .ok, "a paper it holds may be added again")
            #expect(try object(again)["numItems"] as? Int == 1_000)
            let bib = try await client.get("/collections/\(collection.id).bib")
            #expect(bib.body.components(separatedBy: "@misc{").count - 1 == 1_000)
        }
    }

    @Test func writesAreRateLimited() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        let instant = ContinuousClock.now
        try await site.run(now: { instant }, clock: Self.clock) { client in
            let id = try await Self.create(client, token: token, isPublic: false)
            for n in 1..<60 {
                let answer = try await Self.add(client, n % 2 == 0 ? "2611.00001" : "2611.00002", to: id, token: token)
                #expect(answer.status == .ok)
            }
            let limited = try await Self.add(client, "2611.00003", to: id, token: token)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "60")
            #expect(try Self.error(limited) == "Too many changes at once: at most 60 a minute.")
        }
    }

    // MARK: Ids

    @Test func idsAreRandomAndADrawnIdThatExistsIsDrawnAgain() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        let draws = RandomSource.seeded(42)
        let first = draws.collectionID()
        let second = draws.collectionID()
        #expect(first != second)
        #expect(PaperCollection.isWellFormedID(first) && PaperCollection.isWellFormedID(second))
        try await site.run(clock: Self.clock, randomness: .seeded(42)) { client in
            let created = try await Self.create(client, token: token, isPublic: false)
            #expect(created == first)
        }
        // The same seed again draws the id that exists first, then the next one.
        try await site.run(clock: Self.clock, randomness: .seeded(42)) { client in
            let created = try await Self.create(client, token: token, isPublic: false)
            #expect(created == second)
        }
    }

    // MARK: Exports

    @Test func theBibTeXExportHoldsEveryPaperWithUniqueKeys() async throws {
        let twin = Fixtures.paper(
            "2611.00009", title: "Attention Mechanisms Revisited", authors: ["Ada Lovelace"],
            versions: [(1, "2026-11-20T08:00:00Z")])
        let site = try await TestSite.make(papers: Fixtures.corpus + [twin])
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(client, token: token, isPublic: true)
            for paper in ["2611.00001", "2611.00009", "hep-th/9901001"] {
                _ = try await Self.add(client, paper, to: id, token: token)
            }
            let bib = try await client.get("/collections/\(id).bib")
            #expect(bib.status == .ok)
            #expect(bib.headers[.contentType] == "text/x-bibtex; charset=utf-8")
            #expect(bib.headers[.contentDisposition] == "inline; filename=\"\(id).bib\"")
            // Both papers cite as lovelace2026attention; the one listed first (added last) keeps the key.
            let first = Citation.bibtex(twin)
            #expect(first.hasPrefix("@misc{lovelace2026attention,"))
            #expect(bib.body.contains("\n\n" + first + "\n\n"), "the entry as the paper page cites it")
            #expect(
                bib.body.contains(
                    Citation.bibtex(Fixtures.corpus[0]).replacingOccurrences(
                        of: "lovelace2026attention,", with: "lovelace2026attentionb,")),
                "a key given twice gets a letter")
            #expect(bib.body.contains("eprint = {hep-th/9901001}"))
            #expect(bib.body.components(separatedBy: "@misc{").count - 1 == 3)
            let empty = try await Self.create(client, token: token, name: "Empty", isPublic: true)
            #expect(try await client.get("/collections/\(empty).bib").body == "")
        }
    }

    @Test func aPublicCollectionHasAFeed() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(
                client, token: token, name: "Q & <A>", isPublic: true, description: "Things \"quoted\"")
            _ = try await Self.add(client, "2611.00002", to: id, token: token)
            _ = try await Self.add(client, "2611.00004", to: id, token: token)
            let feed = try await client.get("/feeds/collections/\(id).xml")
            #expect(feed.status == .ok)
            #expect(feed.headers[.contentType] == "application/rss+xml; charset=utf-8")
            #expect(feed.body.contains("<title>Paperboy: Q &amp; &lt;A&gt;</title>"))
            #expect(feed.body.contains("<description>Things &quot;quoted&quot;</description>"))
            #expect(feed.body.contains("<link>http://127.0.0.1:8080/collections/\(id)</link>"))
            #expect(feed.body.contains("href=\"http://127.0.0.1:8080/feeds/collections/\(id).xml\""))
            #expect(feed.body.contains("<link>http://127.0.0.1:8080/papers/2611.00002</link>"))
            #expect(feed.body.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"))
            #expect(!feed.body.contains("<script>"))
            #expect(feed.body.components(separatedBy: "<item>").count - 1 == 2)
            #expect(try await client.get("/feeds/collections/\(id)").status == .notFound)
            #expect(try await client.get("/feeds/collections/\(id).rss").status == .notFound)
        }
    }

    // MARK: Escaping

    @Test func namesAndDescriptionsAreEscapedEverywhere() async throws {
        let site = try await TestSite.make()
        let (_, token) = try await site.member("ada")
        let name = "<script>alert(1)</script>"
        let description = "\"><img src=x onerror=alert(2)>"
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(client, token: token, name: name, isPublic: true, description: description)
            _ = try await Self.add(client, "2611.00001", to: id, token: token)
            let browser = TestBrowser(client)
            _ = try await browser.logIn("ada")
            let pages = [
                try await client.get("/collections/\(id)").body, try await browser.get("/collections/\(id)").body,
                try await browser.get("/collections").body, try await browser.get("/").body,
                try await browser.get("/papers/2611.00001").body,
            ]
            for page in pages {
                #expect(!page.contains(name))
                #expect(!page.contains("<img src=x"))
                #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            }
            #expect(pages[0].contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
        }
    }

    // MARK: Cards and the paper page

    @Test func cardsOfferSaveToForSignedInViewersWithCollections() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            #expect(!(try await client.get("/").body.contains("Save to")), "anonymous visitors get no form")
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            #expect(!(try await browser.get("/").body.contains("Save to")), "nothing to save to yet")
            let location = try #require(
                try await browser.submitForm(on: "/collections", to: "/collections", ["name": "Later"]).headers[
                    .location])
            let id = String(location.dropFirst("/collections/".count))
            let home = try await browser.get("/")
            #expect(home.body.contains("<option value=\"\(id)\">Later</option>"))
            #expect(home.body.contains("action=\"/collections/save\""))
            let saved = try await browser.submitForm(
                on: "/", to: "/collections/save", ["collection": id, "paper": "2611.00002", "next": "/"])
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/")
            #expect(try await site.store.collection(id: id)?.itemCount == 1)
            let foreign = try await browser.submitForm(
                on: "/", to: "/collections/save", ["collection": "zzzzzzzzzzzz", "paper": "2611.00002"])
            #expect(foreign.status == .notFound)
        }
    }

    @Test func thePaperPageAddsAndRemoves() async throws {
        let site = try await TestSite.make()
        try await site.run(clock: Self.clock) { client in
            #expect(!(try await client.get("/papers/2611.00001").body.contains("collections-control")))
            let browser = TestBrowser(client)
            try await browser.signUp("ada")
            let none = try await browser.get("/papers/2611.00001")
            #expect(none.body.contains("Make a new collection"))
            let location = try #require(
                try await browser.submitForm(on: "/collections", to: "/collections", ["name": "Later"]).headers[
                    .location])
            let page = try await browser.get("/papers/2611.00001")
            #expect(page.body.contains("action=\"\(location)/add\""))
            #expect(page.body.contains("+ Add to"))
            let added = try await browser.submitForm(
                on: "/papers/2611.00001", to: location + "/add", ["paper": "2611.00001", "next": "/papers/2611.00001"])
            #expect(added.headers[.location] == "/papers/2611.00001")
            let held = try await browser.get("/papers/2611.00001")
            #expect(held.body.contains("action=\"\(location)/remove\""))
            #expect(held.body.contains("aria-pressed=\"true\""))
            #expect(held.body.contains("Collections (1)"))
            _ = try await browser.submitForm(
                on: "/papers/2611.00001", to: location + "/remove",
                ["paper": "2611.00001", "next": "https://evil.example/"])
            let id = String(location.dropFirst("/collections/".count))
            #expect(try await site.store.collection(id: id)?.itemCount == 0)
        }
    }

    // MARK: Cache

    @Test func aPublicCollectionShowsAnAddAtOnceAndSignedInPagesAreNotCached() async throws {
        let site = try await TestSite.make(
            config: WebConfiguration(cacheTTL: .seconds(60), community: TestSite.testCommunity))
        let (_, token) = try await site.member("ada")
        try await site.run(clock: Self.clock) { client in
            let id = try await Self.create(client, token: token, isPublic: true)
            let before = try await client.get("/collections/\(id)")
            #expect(before.headers[.cacheControl] == "public, max-age=60")
            #expect(before.body.contains("0 papers"))
            #expect(try await client.get("/collections/\(id)").body == before.body)
            _ = try await Self.add(client, "2611.00003", to: id, token: token)
            let after = try await client.get("/collections/\(id)")
            #expect(after.body.contains("Galaxy Spectra Without Calibration"), "the add shows at once on this node")
            #expect(after.body.contains("1 paper"))
            let feed = try await client.get("/feeds/collections/\(id).xml")
            #expect(feed.body.contains("Galaxy Spectra"))

            let browser = TestBrowser(client)
            _ = try await browser.logIn("ada")
            let personal = try await browser.get("/collections/\(id)")
            #expect(personal.headers[.cacheControl] == "private, no-store")
            #expect(personal.body.contains("Remove from this collection"))
            let anonymous = try await client.get("/collections/\(id)")
            #expect(!anonymous.body.contains("Remove from this collection"), "no trace of the owner's page")
            #expect(!anonymous.body.contains("csrf_token"))
        }
    }
}
