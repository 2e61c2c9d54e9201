import Foundation
import Hummingbird
import PaperboyCore

/// An organisation in a list: its name, then its full name, linking to its page.
struct OrganizationLink {
    let name: String
    let fullname: String
    let url: String
}

/// A member on an organisation's page.
struct MemberView {
    let username: String
    let fullname: String
    let url: String
    let avatar: String
    let last: Bool
}

/// A user's profile `/users/{name}` (`user.mustache`): the papers they submitted, the papers they are an accepted
/// author of, their organisations and their public collections.
struct UserPageModel {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String?
    let username: String
    let fullname: String
    let avatar: String
    let joined: String
    let isoJoined: String
    let organizations: [OrganizationLink]
    let hasOrganizations: Bool
    let collections: [CollectionSummaryView]
    let hasCollections: Bool
    let submittedText: String
    var submitted: [CardView]
    let moreSubmitted: String?
    let claimedText: String
    var claimed: [CardView]
    let moreClaimed: String?
}

extension UserPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in submitted.indices { body(&submitted[index]) }
        for index in claimed.indices { body(&claimed[index]) }
    }
}

/// An organisation's page `/orgs/{name}` (`organization.mustache`): its name, full name, members and papers,
/// newest first.
struct OrganizationPageModel {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String?
    let name: String
    let fullname: String
    let avatar: String
    let members: [MemberView]
    let hasMembers: Bool
    let countText: String
    var cards: [CardView]
    let pagination: PaginationView?
}

extension OrganizationPageModel: PersonalPage {
    mutating func eachCard(_ body: (inout CardView) -> Void) {
        for index in cards.indices { body(&cards[index]) }
    }
}

/// Profiles of users and organisations. Both are the same for every visitor (public collections only), so the
/// shared cache keeps them for anonymous visitors like any page.
struct ProfileRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var pages: PageRoutes<Store> { PageRoutes(site: site) }

    /// How many submitted and claimed papers a profile shows (newest first).
    static var shown: Int { 50 }

    func register(on routes: RouteTable) {
        routes.get(.user) { request, context in
            try await pages.page(request, context) { try await user(SiteRoute.user.parameter(in: context), $0) }
        }
        routes.get(.organization) { request, context in
            try await pages.page(request, context) {
                try await organization(SiteRoute.organization.parameter(in: context), request, $0)
            }
        }
    }

    /// `/users/{name}`. An unknown name, a deleted account and a disabled one are all 404: a disabled account's
    /// profile would keep showing what a moderator meant to stop.
    func user(_ parameter: String, _ visit: Visit) async throws -> Rendered {
        let raw = QueryString.segment(parameter)
        guard case .success(let username) = Username.normalize(raw),
            let account = try await site.store.account(username: username), !account.disabled
        else { throw PageError.notFound("No user named “\(raw)” is here.") }
        let shown = ProfileRoutes.shown
        let submitted = try await site.store.papers(
            submittedBy: account.username, days: ListingPeriod.everything, sort: .publishedAt, offset: 0, limit: shown)
        let claimed = try await site.store.papers(claimedBy: account.id, offset: 0, limit: shown)
        let organizations = try await site.store.organizations(accountID: account.id)
        let collections = try await site.store.collections(
            ownerID: account.id, includePrivate: false, limit: CollectionRules.maxPerUser)
        let model = UserPageModel(
            site: SiteChrome(config), canonical: SiteURL.user(account.username).absolute(config),
            username: account.username, fullname: account.fullname,
            avatar: SiteURL.avatar(username: account.username).path(config),
            joined: Format.longDate(Day(account.createdAt)), isoJoined: Timestamp.rfc3339(account.createdAt),
            organizations: organizations.map {
                OrganizationLink(
                    name: $0.name, fullname: $0.fullname, url: SiteURL.organization($0.name).path(config))
            },
            hasOrganizations: !organizations.isEmpty,
            collections: collections.map { CollectionSummaryView($0, config: config) },
            hasCollections: !collections.isEmpty,
            submittedText: Format.count(submitted.total, "paper submitted", "papers submitted"),
            submitted: submitted.items.map { CardView($0, config: config) },
            moreSubmitted: ProfileRoutes.more(submitted),
            claimedText: Format.count(claimed.total, "paper as an author", "papers as an author"),
            claimed: claimed.items.map { CardView($0, config: config) },
            moreClaimed: ProfileRoutes.more(claimed))
        return try await pages.html(model, "user", visit)
    }

    /// "The 50 newest are shown." when a list is longer than the page shows.
    static func more(_ page: ResultPage<StoredPaper>) -> String? {
        page.total > page.items.count ? "The \(page.items.count) newest are shown." : nil
    }

    /// `/orgs/{name}`, its papers in pages of 50.
    func organization(_ parameter: String, _ request: Request, _ visit: Visit) async throws -> Rendered {
        let raw = QueryString.segment(parameter)
        let window = try PageWindow(request)
        let name = raw.lowercased()
        guard name.utf8.count <= 64, let organization = try await site.store.organization(name: name) else {
            throw PageError.notFound("No organisation named “\(raw)” is here.")
        }
        let members = try await site.store.members(of: organization.name)
        let result = try await site.store.papers(
            ofOrganization: organization.name, days: nil, sort: .publishedAt, offset: window.offset,
            limit: window.limit)
        let model = OrganizationPageModel(
            site: SiteChrome(config),
            canonical: SiteURL.organization(organization.name, page: window.page).absolute(config),
            name: organization.name, fullname: organization.fullname,
            avatar: SiteURL.avatar(username: organization.name).path(config),
            members: members.enumerated().map { index, person in
                MemberView(
                    username: person.username, fullname: person.fullname,
                    url: SiteURL.user(person.username).path(config),
                    avatar: SiteURL.avatar(username: person.username).path(config), last: index == members.count - 1)
            },
            hasMembers: !members.isEmpty, countText: Format.count(result.total, "paper", "papers"),
            cards: result.items.map { CardView($0, config: config) },
            pagination: window.pagination(total: result.total) {
                SiteURL.organization(organization.name, page: $0).path(config)
            })
        return try await pages.html(model, "organization", visit)
    }
}
