import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The moderation page (`moderation.mustache`): the open report queue, pending authors' claims, hidden papers and the
/// moderation log. For moderators and admins only (``StaffAccess``); never cached.
struct ModerationPageModel: PersonalPage {
    var site: SiteChrome
    let feed: FeedLink? = nil
    let canonical: String? = nil
    let heading = "Moderation"
    let csrf: String
    let actions: ModerationActionLinks
    /// The admin page, for admins.
    let admin: String?
    let reports: [ReportView]
    let hasReports: Bool
    let claims: [ClaimView]
    let hasClaims: Bool
    let hidden: [HiddenPaperView]
    let hasHidden: Bool
    let log: [LogEntryView]
    let hasLog: Bool
    /// How many rows each list shows at most.
    let limit: Int
}

/// Where each moderation form posts.
struct ModerationActionLinks {
    let hide: String
    let unhide: String
    let hideComment: String
    let unhideComment: String
    let resolve: String
    let acceptClaim: String
    let refuseClaim: String

    init(_ config: WebConfiguration) {
        func link(_ action: ModerationFormAction) -> String { SiteURL.moderationAction(action.rawValue).path(config) }
        hide = link(.hide)
        unhide = link(.unhide)
        hideComment = link(.hideComment)
        unhideComment = link(.unhideComment)
        resolve = link(.resolve)
        acceptClaim = link(.acceptClaim)
        refuseClaim = link(.refuseClaim)
    }
}

/// A person as the moderation and admin pages show them: a link to their profile, or "deleted user".
struct PersonLink {
    let name: String
    /// Their profile (named apart from the rows' own links: Mustache looks a missing value up in the enclosing row).
    let profile: String?

    init(_ person: Person?, config: WebConfiguration, absent: String = "deleted user") {
        name = person?.username ?? absent
        profile = person.map { SiteURL.user($0.username).path(config) }
    }
}

/// An open report and what a moderator may do about it.
struct ReportView {
    let id: Int64
    /// `paper` or `comment`.
    let kind: String
    /// What was reported, as a sentence: the paper's title, or the comment's author and paper.
    let what: String
    let targetLink: String?
    /// The start of a reported comment's text.
    let excerpt: String?
    let reporter: PersonLink
    let reason: String
    let hasReason: Bool
    let when: String
    /// The form that hides the target and resolves the report, unless the target is hidden already or gone.
    let hidePaper: String?
    let hideComment: Int64?
    /// The target is hidden already.
    let targetHidden: Bool
}

struct ClaimView {
    let id: Int64
    let claimant: PersonLink
    let paperID: String
    let paperTitle: String
    let paperLink: String
    let authorName: String
    /// 1-based, as readers count authors.
    let position: Int
    let when: String
}

struct HiddenPaperView {
    let id: String
    let title: String
    let link: String
    let when: String
}

struct LogEntryView {
    let actor: PersonLink
    let action: String
    let target: String
    let targetLink: String?
    let detail: String?
    let when: String
    /// A comment this entry hid that is still hidden: the form to show it again.
    let unhideComment: Int64?
}

/// What the moderation forms post to: `/moderation/{action}`.
enum ModerationFormAction: String, CaseIterable {
    case hide
    case unhide
    case hideComment = "hide-comment"
    case unhideComment = "unhide-comment"
    case resolve
    case acceptClaim = "accept-claim"
    case refuseClaim = "refuse-claim"
}

/// The moderation page and its forms. Every change goes through the store method that logs it, then empties this
/// node's cache (hidden papers and comments change listings, counts and pages) and sends the browser back.
struct ModerationRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    /// How many reports, claims, hidden papers and log entries the page lists.
    static var limit: Int { 100 }
    /// How much of a reported comment the queue quotes.
    static var excerptLength: Int { 280 }

    var config: WebConfiguration { site.config }
    var access: StaffAccess<Store> { StaffAccess(site: site, area: .moderation) }

    func register(on routes: RouteTable) {
        routes.get(.moderation) { request, context in
            try await access.answer(request, context) { try await page(try access.staff(context)) }
        }
        routes.on(.moderationAction, method: .post) { request, context in
            try await access.answer(request, context) {
                try await perform(try SiteRoute.moderationAction.parameter(in: context), request, context)
            }
        }
    }

    // MARK: The page

    func page(_ viewer: Viewer) async throws -> Rendered {
        let store = site.store
        let limit = ModerationRoutes.limit
        var reports: [ReportView] = []
        for report in try await store.reports(open: true, limit: limit) {
            reports.append(try await reportView(report))
        }
        var claims: [ClaimView] = []
        for claim in try await store.claims(status: .pending, limit: limit) {
            claims.append(
                ClaimView(
                    id: claim.id, claimant: PersonLink(claim.claimant, config: config),
                    paperID: claim.paper.rawValue, paperTitle: try await title(of: claim.paper),
                    paperLink: SiteURL.paper(claim.paper).path(config), authorName: claim.authorName,
                    position: claim.authorIndex + 1, when: StaffAccess<Store>.time(claim.createdAt)))
        }
        let hidden = try await store.hiddenPapers(limit: limit).map { stored in
            HiddenPaperView(
                id: stored.paper.id.rawValue, title: stored.paper.title,
                link: SiteURL.paper(stored.paper.id).path(config),
                when: stored.hiddenAt.map(StaffAccess<Store>.time) ?? "")
        }
        let log = try await logViews(try await store.moderationLog(limit: limit))
        let model = ModerationPageModel(
            site: SiteChrome(config), csrf: viewer.csrfToken, actions: ModerationActionLinks(config),
            admin: viewer.account.role == .admin ? SiteURL.admin.path(config) : nil,
            reports: reports, hasReports: !reports.isEmpty, claims: claims, hasClaims: !claims.isEmpty,
            hidden: hidden, hasHidden: !hidden.isEmpty, log: log, hasLog: !log.isEmpty, limit: limit)
        return try await PageRoutes(site: site).html(
            model, "moderation", Visit(viewer: viewer, path: SiteURL.moderation.path(config)))
    }

    /// A paper's title as moderators see it (hidden papers included), or its id when it is gone.
    func title(of id: PaperID) async throws -> String {
        try await site.store.paper(id: id, audience: .moderators)?.paper.title ?? id.rawValue
    }

    func reportView(_ report: Report) async throws -> ReportView {
        let reporter = PersonLink(report.reporter, config: config)
        let when = StaffAccess<Store>.time(report.createdAt)
        switch report.target {
        case .paper(let id):
            let stored = try await site.store.paper(id: id, audience: .moderators)
            let hidden = stored?.hiddenAt != nil
            return ReportView(
                id: report.id, kind: "paper",
                what: stored.map { "Paper \(id.rawValue): \($0.paper.title)" }
                    ?? "Paper \(id.rawValue) (no longer stored)",
                targetLink: stored.map { _ in SiteURL.paper(id).path(config) }, excerpt: nil, reporter: reporter,
                reason: report.reason, hasReason: !report.reason.isEmpty, when: when,
                hidePaper: stored != nil && !hidden ? id.rawValue : nil, hideComment: nil, targetHidden: hidden)
        case .comment(let commentID):
            guard let comment = try await site.store.comment(id: commentID) else {
                return ReportView(
                    id: report.id, kind: "comment", what: "Comment \(commentID) (deleted)", targetLink: nil,
                    excerpt: nil,
                    reporter: reporter, reason: report.reason, hasReason: !report.reason.isEmpty, when: when,
                    hidePaper: nil, hideComment: nil, targetHidden: false)
            }
            let author = comment.author?.username ?? "deleted user"
            let hidden = comment.hiddenAt != nil
            let excerpt =
                comment.text.count > ModerationRoutes.excerptLength
                ? String(comment.text.prefix(ModerationRoutes.excerptLength)) + "…" : comment.text
            return ReportView(
                id: report.id, kind: "comment",
                what: "Comment \(commentID) by \(author) on \(try await title(of: comment.paper))",
                targetLink: SiteURL.paper(comment.paper).path(config) + "#comment-\(commentID)", excerpt: excerpt,
                reporter: reporter, reason: report.reason, hasReason: !report.reason.isEmpty, when: when,
                hidePaper: nil, hideComment: hidden ? nil : commentID, targetHidden: hidden)
        }
    }

    func logViews(_ entries: [ModerationAction]) async throws -> [LogEntryView] {
        var offered: Set<Int64> = []
        var views: [LogEntryView] = []
        for entry in entries {
            var unhide: Int64?
            if entry.action == "comment.hide", let id = ModerationRoutes.commentID(entry.target), !offered.contains(id),
                try await site.store.comment(id: id)?.hiddenAt != nil
            {
                offered.insert(id)
                unhide = id
            }
            views.append(
                LogEntryView(
                    actor: PersonLink(entry.actor, config: config, absent: "command line or deleted user"),
                    action: entry.action, target: entry.target, targetLink: link(for: entry), detail: entry.detail,
                    when: StaffAccess<Store>.time(entry.at), unhideComment: unhide))
        }
        return views
    }

    /// `comment:12` → 12.
    static func commentID(_ target: String) -> Int64? {
        target.hasPrefix("comment:") ? Int64(target.dropFirst("comment:".count)) : nil
    }

    /// Where a log entry's target is shown: a paper's page, a user's profile or an organisation's page.
    func link(for entry: ModerationAction) -> String? {
        let kind = entry.action.split(separator: ".").first.map(String.init) ?? ""
        switch kind {
        case "paper": return PaperID(entry.target).map { SiteURL.paper($0).path(config) }
        case "user": return SiteURL.user(entry.target).path(config)
        case "org": return SiteURL.organization(entry.target).path(config)
        default: return nil
        }
    }

    // MARK: Forms

    func perform(_ name: String, _ request: Request, _ context: AppRequestContext) async throws -> Rendered {
        guard let action = ModerationFormAction(rawValue: name) else {
            throw PageError.notFound("There is no such moderation action.")
        }
        let (viewer, form) = try await access.staffForm(request, context)
        let actor = viewer.account.id
        let now = site.now()
        let store = site.store
        var changed = false
        switch action {
        case .hide, .unhide:
            let id = try paper(form)
            guard let done = try await store.setPaperHidden(id, hidden: action == .hide, by: actor, at: now) else {
                throw PageError.notFound("There is no paper \(id.rawValue).")
            }
            changed = done
            if action == .hide, let report = try number(form, "report", required: false) {
                changed = try await store.resolveReport(id: report, by: actor, at: now) || changed
            }
        case .hideComment, .unhideComment:
            let id = try number(form, "comment") ?? 0
            guard
                let done = try await store.setCommentHidden(
                    id: id, hidden: action == .hideComment, by: actor, at: now)
            else { throw PageError.notFound("There is no comment \(id).") }
            changed = done
            if action == .hideComment, let report = try number(form, "report", required: false) {
                changed = try await store.resolveReport(id: report, by: actor, at: now) || changed
            }
        case .resolve:
            // A report resolved already (by another moderator a moment ago) stays resolved: nothing to do.
            changed = try await store.resolveReport(id: try number(form, "report") ?? 0, by: actor, at: now)
        case .acceptClaim, .refuseClaim:
            let id = try number(form, "claim") ?? 0
            if try await store.decideClaim(id: id, accept: action == .acceptClaim, by: actor, at: now) != nil {
                changed = true
            } else if try await store.claim(id: id) == nil {
                throw PageError.notFound("There is no claim \(id).")
            }
        }
        if changed {
            site.cache.invalidate()
            site.logger.info(
                "moderation",
                metadata: [
                    "moderation.action": .string(action.rawValue),
                    "account.username": .string(viewer.account.username),
                ])
        }
        return .redirect(to: SiteURL.moderation.path(config))
    }

    /// The paper a form names (`paper`), as an arXiv id or link.
    func paper(_ form: Form) throws -> PaperID {
        guard let raw = form.trimmed("paper"), let (id, _) = PaperID.parse(raw) else {
            throw PageError.badRequest("The form names no paper: give an arXiv id such as 2501.01234.")
        }
        return id
    }

    /// A positive number the form gives as `field`; nil when it is absent and not required.
    func number(_ form: Form, _ field: String, required: Bool = true) throws -> Int64? {
        guard let raw = form.trimmed(field) else {
            if required { throw PageError.badRequest("The form names no \(field).") }
            return nil
        }
        guard raw.utf8.count <= 19, let value = Int64(raw), value > 0 else {
            throw PageError.badRequest("The form names no \(field).")
        }
        return value
    }
}
