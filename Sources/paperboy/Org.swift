import ArgumentParser
import Foundation
import PaperboyCore
import PaperboyWeb

// `paperboy org ...`: organisations and their members from the command line, as admins manage them on /admin. Each
// change is recorded in the moderation log without an actor (the command line). Bad input exits 65; an unknown
// organisation or user exits 67, as `paperboy user` does.

struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org",
        abstract: "Create organisations and add or remove their members.",
        discussion: "Bad input exits 65; an unknown organisation or user exits 67.",
        subcommands: [CreateOrg.self, AddMember.self, RemoveMember.self, ListOrgs.self])

    /// The organisation named `name` (compared lower-cased, as names are stored).
    static func organization(_ name: String, in store: some PaperProfileStore) async throws -> Organization {
        let lowered = name.trimmingCharacters(in: .whitespaces).lowercased()
        guard lowered.utf8.count <= 100, let organization = try await store.organization(name: lowered) else {
            throw UserCommandError.unknown("no organisation named “\(name)”")
        }
        return organization
    }

    /// Adds or removes a member and records it; prints what happened.
    static func setMember(_ organizationName: String, _ username: String, member: Bool, _ common: CommonOptions)
        async throws
    {
        let store = try await common.openStore(logger: try common.logger("paperboy.org"))
        let organization = try await organization(organizationName, in: store)
        let account = try await UserCommand.account(username, in: store)
        guard let changed = try await store.setMember(accountID: account.id, of: organization.name, member: member)
        else { throw UserCommandError.unknown("no organisation named “\(organizationName)”") }
        if changed {
            try await store.recordModeration(
                action: member ? "org.add" : "org.remove", target: organization.name, detail: account.username,
                by: nil, at: Date())
        }
        switch (member, changed) {
        case (true, true): print("added \(account.username) to \(organization.name)")
        case (true, false): print("\(account.username) is a member of \(organization.name) already")
        case (false, true): print("removed \(account.username) from \(organization.name)")
        case (false, false): print("\(account.username) is not a member of \(organization.name)")
        }
    }
}

struct CreateOrg: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an organisation.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "2 to 30 characters: letters, digits, _ and - (stored lower-case); shown on cards.")
    var name: String

    @Option(help: "The full name, shown after the name (e.g. \"AI at Meta\").")
    var fullname: String

    func run() async throws {
        try await Paperboy.guarded {
            let normalized: String
            switch OrganizationName.normalize(name) {
            case .success(let checked): normalized = checked
            case .failure(let problem): throw UserCommandError.badInput("bad organisation name “\(name)”: \(problem)")
            }
            guard let full = OrganizationName.fullname(fullname) else {
                throw UserCommandError.badInput("bad full name: \(OrganizationName.fullnameProblem)")
            }
            let store = try await common.openStore(logger: try common.logger("paperboy.org"))
            do {
                _ = try await store.createOrganization(Organization(name: normalized, fullname: full), at: Date())
            } catch is OrganizationExists {
                throw UserCommandError.badInput("the organisation “\(normalized)” exists already")
            }
            try await store.recordModeration(
                action: "org.create", target: normalized, detail: full, by: nil, at: Date())
            print("created organisation \(normalized) (\(full))")
        }
    }
}

struct AddMember: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a user to an organisation.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The organisation's name.")
    var name: String

    @Argument(help: "The username.")
    var username: String

    func run() async throws {
        try await Paperboy.guarded { try await OrgCommand.setMember(name, username, member: true, common) }
    }
}

struct RemoveMember: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a user from an organisation.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "The organisation's name.")
    var name: String

    @Argument(help: "The username.")
    var username: String

    func run() async throws {
        try await Paperboy.guarded { try await OrgCommand.setMember(name, username, member: false, common) }
    }
}

struct ListOrgs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List organisations: name, full name, members (tab-separated).")

    @OptionGroup var common: CommonOptions

    /// More than a site has; the list is not paged.
    static var limit: Int { 1_000_000 }

    func run() async throws {
        try await Paperboy.guarded {
            let store = try await common.openStore(logger: try common.logger("paperboy.org"))
            let organizations = try await store.organizations(limit: ListOrgs.limit)
            guard !organizations.isEmpty else {
                print("no organisations")
                return
            }
            print(["name", "full name", "members"].joined(separator: "\t"))
            for organization in organizations {
                let members = try await store.members(of: organization.name).map(\.username)
                print(
                    [organization.name, organization.fullname, members.joined(separator: ",")].joined(separator: "\t"))
            }
        }
    }
}
