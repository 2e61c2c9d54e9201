import Foundation
import PaperboyCore

/// What the community adds to a paper's page (`paper.mustache`): claimed authors, links, key sentence and keywords,
/// the discussion, and the forms a signed-in viewer may use. The parts for anonymous visitors are the same for all
/// of them (the page is cached); the forms are added only for a signed-in browser, whose page is never cached.
struct PaperCommunityView {
    let authors: [PaperAuthorView]
    let withdrawn: String?
    let keySentence: String?
    let keywords: [String]
    let hasKeywords: Bool
    let code: CodeLinkView?
    let projectPage: String?
    let organization: OrganizationLinkView?
    let hidden: Bool
    var comments: [CommentView]
    let commentCount: Int
    /// Where an anonymous visitor signs in to take part.
    let login: String
    var forms: PaperForms?
}

struct PaperAuthorView {
    let name: String
    let url: String
    let last: Bool
    /// The profile of the user whose claim to be this author was accepted.
    let profile: String?
    let username: String?
}

struct CodeLinkView {
    let url: String
    /// Found in the abstract or arXiv's comments rather than set by the submitter or an author.
    let automatic: Bool
}

struct OrganizationLinkView {
    let name: String
    let fullname: String
    let url: String
}

struct CommentView {
    let id: Int64
    let anchor: String
    let authorName: String
    let authorUsername: String?
    let profile: String?
    let avatar: String?
    /// Rendered by ``CommentMarkdown``: escaped first, so the template writes it as is.
    let html: String
    let text: String
    let date: String
    let iso: String
    let edited: Bool
    let hidden: Bool
    let byAuthor: Bool
    var actions: CommentActionsView?
}

/// The buttons on one comment for the signed-in viewer.
struct CommentActionsView {
    let csrf: String
    let edit: String?
    let delete: String?
    let report: String?
    let hide: String?
    let unhide: String?
}

/// The paper page's forms for a signed-in viewer.
struct PaperForms {
    let csrf: String
    let paper: String
    let comment: String
    let report: String
    let claim: String
    /// Authors nobody has claimed (for the claim form), with their positions.
    let claimable: [ClaimableAuthor]
    let hasClaimable: Bool
    /// Present when the viewer may set the paper's organisation and links.
    let links: LinksForm?
}

struct ClaimableAuthor {
    let index: Int
    let name: String
}

struct LinksForm {
    let action: String
    let githubRepo: String
    let projectPage: String
    let organizations: [OrganizationOption]
    let hasOrganizations: Bool
}

struct OrganizationOption {
    let name: String
    let label: String
    let selected: Bool
}

extension PaperCommunityView {
    init(_ stored: StoredPaper, comments: [Comment], config: WebConfiguration) {
        let paper = stored.paper
        let names = paper.authors
        authors = names.enumerated().map { index, name in
            let claimant = stored.claimant(ofAuthor: index)
            return PaperAuthorView(
                name: name, url: SiteURL.author(name).path(config), last: index == names.count - 1,
                profile: claimant.map { SiteURL.user($0.username).path(config) }, username: claimant?.username)
        }
        withdrawn = paper.withdrawnAt.map { Format.longDate(Day($0)) }
        keySentence = stored.keySentence
        keywords = stored.keywords
        hasKeywords = !stored.keywords.isEmpty
        code = stored.codeRepository.map { CodeLinkView(url: $0.url, automatic: $0.automatic) }
        projectPage = stored.projectPage.flatMap(SiteURL.externalLink)
        organization = stored.organization.map {
            OrganizationLinkView(name: $0.name, fullname: $0.fullname, url: SiteURL.organization($0.name).path(config))
        }
        hidden = stored.hiddenAt != nil
        self.comments = comments.map { CommentView($0, config: config) }
        commentCount = comments.count
        login = SiteURL.login(next: SiteURL.paper(paper.id).path(config) + "#comments").path(config)
        forms = nil
    }

    /// Adds the forms and comment buttons the viewer may use.
    mutating func personalize(
        for viewer: Viewer, stored: StoredPaper, mayEditLinks: Bool, moderator: Bool,
        organizations: [Organization], config: WebConfiguration
    ) {
        let csrf = viewer.csrfToken
        for index in comments.indices {
            let comment = comments[index]
            let own = comment.authorUsername == viewer.account.username
            let action = { (name: CommentFormAction) in
                SiteURL.commentAction(comment.id, name.rawValue).path(config)
            }
            comments[index].actions = CommentActionsView(
                csrf: csrf, edit: own ? action(.edit) : nil, delete: own ? action(.delete) : nil,
                report: own ? nil : action(.report), hide: moderator && !comment.hidden ? action(.hide) : nil,
                unhide: moderator && comment.hidden ? action(.unhide) : nil)
        }
        let claimed = Set(stored.claimedAuthors.map(\.index))
        let claimable = stored.paper.authors.enumerated().filter { !claimed.contains($0.offset) }.map {
            ClaimableAuthor(index: $0.offset, name: $0.element)
        }
        var links: LinksForm?
        if mayEditLinks {
            var options = organizations.map {
                OrganizationOption(
                    name: $0.name, label: "\($0.name) · \($0.fullname)", selected: $0.name == stored.organization?.name)
            }
            if let current = stored.organization, !options.contains(where: { $0.name == current.name }) {
                options.append(
                    OrganizationOption(
                        name: current.name, label: "\(current.name) · \(current.fullname)", selected: true))
            }
            links = LinksForm(
                action: SiteURL.paperLinks.path(config), githubRepo: stored.githubRepo ?? "",
                projectPage: stored.projectPage ?? "", organizations: options, hasOrganizations: !options.isEmpty)
        }
        forms = PaperForms(
            csrf: csrf, paper: stored.paper.id.rawValue, comment: SiteURL.comments.path(config),
            report: SiteURL.report.path(config), claim: SiteURL.claim.path(config), claimable: claimable,
            hasClaimable: !claimable.isEmpty, links: links)
    }
}

extension CommentView {
    init(_ comment: Comment, config: WebConfiguration) {
        id = comment.id
        anchor = "comment-\(comment.id)"
        authorName = comment.author?.fullname ?? "deleted user"
        authorUsername = comment.author?.username
        profile = comment.author.map { SiteURL.user($0.username).path(config) }
        avatar = comment.author.map { SiteURL.avatar(username: $0.username).path(config) }
        html = CommentMarkdown.html(comment.text)
        text = comment.text
        date = Format.longDate(Day(comment.createdAt))
        iso = Timestamp.rfc3339(comment.createdAt)
        edited = comment.editedAt != nil
        hidden = comment.hiddenAt != nil
        byAuthor = comment.byClaimedAuthor
        actions = nil
    }
}
