import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The admin page (`admin.mustache`): organisations and their members, and a user looked up by name, whose role an
/// admin changes or whose account they disable or enable. For admins only (``StaffAccess``); never cached.
struct AdminPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading = "Admin"
    let csrf: String
    let problem: String?
    let actions: AdminActionLinks
    let moderation: String
    /// Where the look-up forms go (`GET /admin?user=...`, `?org=...`).
    let lookup: String
    let organizations: [OrganizationRow]
    let hasOrganizations: Bool
    /// What the organisation form held when it was refused.
    let newName: String
    let newFullname: String
    /// The organisation whose members are shown.
    let selected: SelectedOrganization?
    let unknownOrganization: String?
    /// The name looked up, as typed.
    let userQuery: String
    let user: UserView?
    let unknownUser: String?
}

struct AdminActionLinks {
    let createOrganization: String
    let addMember: String
    let removeMember: String
    let role: String
    let disable: String
    let enable: String

    init(_ config: WebConfiguration) {
        func link(_ action: AdminFormAction) -> String { SiteURL.adminAction(action.rawValue).path(config) }
        createOrganization = link(.createOrganization)
        addMember = link(.addMember)
        removeMember = link(.removeMember)
        role = link(.role)
        disable = link(.disable)
        enable = link(.enable)
    }
}

struct OrganizationRow {
    let name: String
    let fullname: String
    let page: String
    /// This page showing the organisation's members.
    let manage: String
}

struct SelectedOrganization {
    let orgName: String
    let orgFullname: String
    let orgPage: String
    let members: [MemberRow]
    let hasMembers: Bool
}

struct MemberRow {
    let username: String
    let profile: String
}

struct UserView {
    let username: String
    let fullname: String
    let email: String
    let role: String
    let roles: [RoleOption]
    let disabled: Bool
    let twoFactor: Bool
    let created: String
    let profile: String
    let memberOf: String
    let hasOrganizations: Bool
    /// The admin looking at their own account (who may neither change their role nor disable it).
    let isSelf: Bool
}

struct RoleOption {
    let value: String
    let selected: Bool
}

/// What the admin forms post to: `/admin/{action}`.
enum AdminFormAction: String, CaseIterable {
    case createOrganization = "create-org"
    case addMember = "add-member"
    case removeMember = "remove-member"
    case role
    case disable
    case enable
}

/// The admin page and its forms. A change that works sends the browser back to the page showing what changed (303);
/// one that cannot be made shows the page again with the reason (422). Role, account and organisation changes are
/// recorded in the moderation log.
struct AdminRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    /// The most organisations the page lists.
    static var organizationLimit: Int { 500 }

    var config: WebConfiguration { site.config }
    var access: StaffAccess<Store> { StaffAccess(site: site, area: .admin) }

    func register(on routes: RouteTable) {
        routes.get(.admin) { request, context in
            try await access.answer(request, context) {
                let viewer = try access.staff(context)
                return try await page(
                    viewer, View(user: request.query("user") ?? "", organization: request.query("org") ?? ""))
            }
        }
        routes.on(.adminAction, method: .post) { request, context in
            try await access.answer(request, context) {
                try await perform(try SiteRoute.adminAction.parameter(in: context), request, context)
            }
        }
    }

    // MARK: The page

    /// What the page shows beyond the stored state: who and which organisation were looked up, a refusal, and what
    /// a refused form held.
    struct View {
        var user = ""
        var organization = ""
        var problem: String?
        var newName = ""
        var newFullname = ""
    }

    func page(_ viewer: Viewer, _ view: View, status: HTTPResponse.Status = .ok) async throws -> Rendered {
        let store = site.store
        let organizations = try await store.organizations(limit: AdminRoutes.organizationLimit).map { org in
            OrganizationRow(
                name: org.name, fullname: org.fullname, page: SiteURL.organization(org.name).path(config),
                manage: link(organization: org.name))
        }
        var selected: SelectedOrganization?
        var unknownOrganization: String?
        let orgQuery = view.organization.trimmingCharacters(in: .whitespaces)
        if !orgQuery.isEmpty {
            if orgQuery.utf8.count <= 100, let org = try await store.organization(name: orgQuery.lowercased()) {
                let members = try await store.members(of: org.name).map {
                    MemberRow(username: $0.username, profile: SiteURL.user($0.username).path(config))
                }
                selected = SelectedOrganization(
                    orgName: org.name, orgFullname: org.fullname, orgPage: SiteURL.organization(org.name).path(config),
                    members: members, hasMembers: !members.isEmpty)
            } else {
                unknownOrganization = "There is no organisation named \(orgQuery)."
            }
        }
        var user: UserView?
        var unknownUser: String?
        let userQuery = view.user.trimmingCharacters(in: .whitespaces)
        if !userQuery.isEmpty {
            if userQuery.utf8.count <= 100, let account = try await store.account(username: userQuery.lowercased()) {
                let orgs = try await store.organizations(accountID: account.id)
                user = UserView(
                    username: account.username, fullname: account.fullname, email: account.email,
                    role: account.role.rawValue,
                    roles: UserRole.allCases.map { RoleOption(value: $0.rawValue, selected: $0 == account.role) },
                    disabled: account.disabled, twoFactor: account.totpSecret != nil,
                    created: StaffAccess<Store>.time(account.createdAt),
                    profile: SiteURL.user(account.username).path(config),
                    memberOf: orgs.map(\.name).joined(separator: ", "), hasOrganizations: !orgs.isEmpty,
                    isSelf: account.id == viewer.account.id)
            } else {
                unknownUser = "There is no user named \(userQuery)."
            }
        }
        let model = AdminPageModel(
            site: SiteChrome(config), csrf: viewer.csrfToken, problem: view.problem, actions: AdminActionLinks(config),
            moderation: SiteURL.moderation.path(config), lookup: SiteURL.admin.path(config),
            organizations: organizations, hasOrganizations: !organizations.isEmpty, newName: view.newName,
            newFullname: view.newFullname, selected: selected, unknownOrganization: unknownOrganization,
            userQuery: userQuery, user: user, unknownUser: unknownUser)
        var rendered = try await PageRoutes(site: site).html(
            model, "admin", Visit(viewer: viewer, path: SiteURL.admin.path(config)))
        rendered.status = status
        return rendered
    }

    /// This page looking up a user.
    func link(user: String) -> String { SiteURL.admin.path(config) + "?user=" + SiteURL.query(user) }

    /// This page showing an organisation's members.
    func link(organization: String) -> String { SiteURL.admin.path(config) + "?org=" + SiteURL.query(organization) }

    // MARK: Forms

    /// A form that cannot be done: the page again, with the reason.
    struct Refusal: Error {
        let view: View
    }

    func perform(_ name: String, _ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        guard let action = AdminFormAction(rawValue: name) else {
            throw PageError.notFound("There is no such admin action.")
        }
        let (viewer, form) = try await access.staffForm(request, context)
        do {
            let next: String
            switch action {
            case .createOrganization: next = try await createOrganization(viewer, form)
            case .addMember, .removeMember: next = try await membership(viewer, form, add: action == .addMember)
            case .role: next = try await changeRole(viewer, form)
            case .disable, .enable: next = try await setDisabled(viewer, form, disabled: action == .disable)
            }
            return .redirect(to: next)
        } catch let refusal as Refusal {
            return try await page(viewer, refusal.view, status: .unprocessableContent)
        }
    }

    /// Records a change in the moderation log, empties this node's cache and logs it.
    func record(_ viewer: Viewer, _ action: String, target: String, detail: String?) async throws {
        try await site.store.recordModeration(
            action: action, target: target, detail: detail, by: viewer.account.id, at: site.now())
        site.cache.invalidate()
        site.logger.info(
            "admin",
            metadata: [
                "moderation.action": .string(action), "moderation.target": .string(target),
                "account.username": .string(viewer.account.username),
            ])
    }

    func createOrganization(_ viewer: Viewer, _ form: Form) async throws -> String {
        let raw = form["name"] ?? ""
        let rawFullname = form["fullname"] ?? ""
        func refuse(_ message: String) -> Refusal {
            Refusal(view: View(problem: message, newName: raw, newFullname: rawFullname))
        }
        let name: String
        switch OrganizationName.normalize(raw) {
        case .success(let normalized): name = normalized
        case .failure(let problem): throw refuse("Name: \(problem).")
        }
        guard let fullname = OrganizationName.fullname(rawFullname) else {
            throw refuse("Full name: \(OrganizationName.fullnameProblem).")
        }
        do {
            _ = try await site.store.createOrganization(Organization(name: name, fullname: fullname), at: site.now())
        } catch is OrganizationExists {
            throw refuse("An organisation named \(name) exists already.")
        }
        try await record(viewer, "org.create", target: name, detail: fullname)
        return link(organization: name)
    }

    func membership(_ viewer: Viewer, _ form: Form, add: Bool) async throws -> String {
        let orgName = (form.trimmed("org") ?? "").lowercased()
        let username = (form.trimmed("username") ?? "").lowercased()
        func refuse(_ message: String) -> Refusal { Refusal(view: View(organization: orgName, problem: message)) }
        guard orgName.utf8.count <= 100, let org = try await site.store.organization(name: orgName) else {
            throw refuse("There is no organisation named \(orgName).")
        }
        guard username.utf8.count <= 100, let account = try await site.store.account(username: username) else {
            throw refuse("There is no user named \(username).")
        }
        guard let changed = try await site.store.setMember(accountID: account.id, of: org.name, member: add) else {
            throw refuse("There is no organisation named \(orgName).")
        }
        if changed {
            try await record(viewer, add ? "org.add" : "org.remove", target: org.name, detail: account.username)
        }
        return link(organization: org.name)
    }

    /// The account a user form names (`username`), or a refusal that shows the look-up again.
    func account(_ form: Form) async throws -> Account {
        let username = (form.trimmed("username") ?? "").lowercased()
        guard username.utf8.count <= 100, let account = try await site.store.account(username: username) else {
            throw Refusal(view: View(user: username, problem: "There is no user named \(username)."))
        }
        return account
    }

    func changeRole(_ viewer: Viewer, _ form: Form) async throws -> String {
        let account = try await account(form)
        guard let role = form.trimmed("role").flatMap(UserRole.init(rawValue:)) else {
            throw Refusal(
                view: View(user: account.username, problem: "Role: choose member, moderator or admin."))
        }
        guard role != account.role else { return link(user: account.username) }
        guard account.id != viewer.account.id else {
            throw Refusal(
                view: View(
                    user: account.username, problem: "You cannot change your own role: ask another admin."))
        }
        guard try await site.store.updateAccount(id: account.id, .role(role)) != nil else {
            throw Refusal(view: View(user: account.username, problem: "There is no user named \(account.username)."))
        }
        try await record(viewer, "user.role", target: account.username, detail: role.rawValue)
        return link(user: account.username)
    }

    func setDisabled(_ viewer: Viewer, _ form: Form, disabled: Bool) async throws -> String {
        let account = try await account(form)
        guard account.disabled != disabled else { return link(user: account.username) }
        guard account.id != viewer.account.id else {
            throw Refusal(
                view: View(user: account.username, problem: "You cannot disable your own account: ask another admin."))
        }
        guard try await site.store.updateAccount(id: account.id, .disabled(disabled)) != nil else {
            throw Refusal(view: View(user: account.username, problem: "There is no user named \(account.username)."))
        }
        try await record(viewer, disabled ? "user.disable" : "user.enable", target: account.username, detail: nil)
        return link(user: account.username)
    }
}
