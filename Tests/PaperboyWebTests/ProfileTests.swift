import Foundation
import HTTPTypes
import HummingbirdTesting
import PaperStoreConformance
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// Users' profiles and organisations' pages, and the links to them on cards.
@Suite("Profiles and organisations")
struct ProfileTests {
    static let clock = CommunityTests.clock

    @Test func aProfileShowsSubmissionsClaimsOrganisationsAndPublicCollections() async throws {
        let site = try await TestSite.make()
        let (ada, token) = try await site.member("ada")
        _ = try await site.store.submit(Submission(paper: PaperID("2611.00002")!, accountID: ada.id, at: Self.clock()))
        guard
            case .filed(let claim) = try await site.store.claimAuthorship(
                paper: PaperID("2611.00001")!, authorIndex: 0, accountID: ada.id, at: Self.clock())
        else { throw ProfileTestError.unexpected("the claim was not filed") }
        _ = try await site.store.decideClaim(id: claim.id, accept: true, by: nil, at: Self.clock())
        _ = try await site.store.createOrganization(Organization(name: "lab", fullname: "The Lab"), at: Self.clock())
        _ = try await site.store.setMember(accountID: ada.id, of: "lab", member: true)
        try await site.run(clock: Self.clock) { client in
            let open = try await CollectionTests.create(client, token: token, name: "Open list", isPublic: true)
            _ = try await CollectionTests.create(client, token: token, name: "Hidden list", isPublic: false)
            let page = try await client.get("/users/ada")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1><img class=\"avatar\" src=\"/avatars/ada.svg\""))
            #expect(page.body.contains("1 paper submitted"))
            #expect(page.body.contains("Quantum Error Correction at Scale"))
            #expect(page.body.contains("1 paper as an author"))
            #expect(page.body.contains("Attention Is All You Need Again"))
            #expect(page.body.contains("href=\"/collections/\(open)\">Open list</a>"))
            #expect(!page.body.contains("Hidden list"), "private collections stay private")
            #expect(page.body.contains("href=\"/orgs/lab\"><strong>lab</strong> The Lab</a>"))
            #expect(page.body.contains("<link rel=\"canonical\" href=\"http://127.0.0.1:8080/users/ada\">"))
            #expect(try await client.get("/users/ADA").status == .ok, "names are read in lower case")
        }
    }

    @Test func unknownDeletedAndDisabledUsersAreNotFound() async throws {
        let site = try await TestSite.make()
        let (gone, _) = try await site.member("gone")
        let (banned, _) = try await site.member("banned")
        _ = try await site.store.deleteAccount(id: gone.id)
        _ = try await site.store.updateAccount(id: banned.id, .disabled(true))
        try await site.run(clock: Self.clock) { client in
            for name in ["nobody", "gone", "banned", "deleted", "x", "%3Cscript%3E"] {
                let page = try await client.get("/users/\(name)")
                #expect(page.status == .notFound, "\(name)")
                #expect(!page.body.contains("<script>"))
            }
            #expect(try await client.get("/users/nobody").body.contains("No user named “nobody” is here."))
            let api = try await client.get("/api/collections?user=banned")
            #expect(api.status == .notFound)
            #expect(try object(api)["error"] as? String == "user banned not found")
        }
    }

    @Test func aDisplayNameIsEscaped() async throws {
        let site = try await TestSite.make()
        let (ada, _) = try await site.member("ada")
        _ = try await site.store.updateAccount(id: ada.id, .fullname("<script>alert(1)</script>"))
        _ = try await site.store.submit(Submission(paper: PaperID("2611.00002")!, accountID: ada.id, at: Self.clock()))
        try await site.run(clock: Self.clock) { client in
            for uri in ["/users/ada", "/", "/papers/2611.00002"] {
                let page = try await client.get(uri)
                #expect(!page.body.contains("<script>alert(1)"), "\(uri)")
                #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(uri)")
            }
        }
    }

    @Test func submittersLinkToTheirProfiles() async throws {
        let site = try await TestSite.make()
        let (ada, _) = try await site.member("ada")
        _ = try await site.store.submit(Submission(paper: PaperID("2611.00002")!, accountID: ada.id, at: Self.clock()))
        try await site.run(clock: Self.clock) { client in
            let home = try await client.get("/")
            #expect(home.body.contains("Submitted by <a href=\"/users/ada\">"))
            let paper = try await client.get("/papers/2611.00002")
            #expect(paper.body.contains("<dd><a href=\"/users/ada\">"))
        }
    }

    @Test func anOrganisationPageListsItsMembersAndPapers() async throws {
        let site = try await TestSite.make()
        let (ada, _) = try await site.member("ada")
        _ = try await site.store.createOrganization(
            Organization(name: "facebook", fullname: "AI at Meta"), at: Self.clock())
        _ = try await site.store.setMember(accountID: ada.id, of: "facebook", member: true)
        _ = try await site.store.updatePaperLinks(
            PaperID("2611.00001")!, PaperLinksChange(organization: .some("facebook")))
        try await site.run(clock: Self.clock) { client in
            let page = try await client.get("/orgs/facebook")
            #expect(page.status == .ok)
            #expect(page.body.contains("facebook <span class=\"fullname\">AI at Meta</span>"))
            #expect(page.body.contains("href=\"/users/ada\""))
            #expect(page.body.contains("1 paper"))
            #expect(page.body.contains("Attention Is All You Need Again"))
            #expect(!page.body.contains("Quantum Error Correction"))
            #expect(try await client.get("/orgs/FACEBOOK").status == .ok)
            let unknown = try await client.get("/orgs/nope")
            #expect(unknown.status == .notFound)
            #expect(unknown.body.contains("No organisation named “nope” is here."))
            #expect(try await client.get("/orgs/facebook?page=0").status == .badRequest)

            // Cards show the organisation, name then full name, linking to its page.
            let home = try await client.get("/")
            #expect(
                home.body.contains(
                    "<a class=\"org\" href=\"/orgs/facebook\"><img class=\"avatar\" src=\"/avatars/facebook.svg\" "
                        + "alt=\"\" width=\"16\" height=\"16\"> <strong>facebook</strong> AI at Meta</a>"))
        }
    }
}

enum ProfileTestError: Error {
    case unexpected(String)
}
