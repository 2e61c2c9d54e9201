import Foundation
import HTTPTypes
import Logging
import PaperboyCore

/// Comments, reports, claims, a paper's links and hiding, as both the forms and the API make them: who may, the
/// checks, the store call and the cache invalidation, in one place. Refusals are ``CommunityRefusal`` values, which
/// pages and the API turn into their status and text.
struct DiscussionActions<Store: SiteStore>: Sendable {
    let site: Site<Store>

    /// The longest comment, and the longest report reason.
    static var maxComment: Int { 5_000 }
    static var maxReason: Int { 1_000 }

    // MARK: Comments

    func addComment(_ viewer: Viewer, paper id: PaperID, text raw: String) async throws -> Comment {
        let text = try Self.commentText(raw)
        try takeWrite(viewer)
        guard try await visiblePaper(id, viewer) != nil,
            let comment = try await site.store.addComment(
                paper: id, accountID: viewer.account.id, text: text, at: site.now())
        else { throw Self.noPaper(id) }
        site.cache.invalidate()
        site.logger.info(
            "comment added",
            metadata: ["paper.id": .string(id.rawValue), "comment.id": .stringConvertible(comment.id)])
        return comment
    }

    func editComment(_ viewer: Viewer, id: Int64, text raw: String) async throws -> Comment {
        let text = try Self.commentText(raw)
        let comment = try await ownComment(viewer, id: id)
        try takeWrite(viewer)
        guard let edited = try await site.store.editComment(id: comment.id, text: text, at: site.now()) else {
            throw Self.noComment(id)
        }
        site.cache.invalidate()
        return edited
    }

    func deleteComment(_ viewer: Viewer, id: Int64) async throws -> Comment {
        let comment = try await ownComment(viewer, id: id)
        try takeWrite(viewer)
        _ = try await site.store.deleteComment(id: comment.id)
        site.cache.invalidate()
        return comment
    }

    /// A comment the viewer may see: hidden ones (and those on hidden papers) only for moderators.
    func visibleComment(_ viewer: Viewer?, id: Int64) async throws -> Comment {
        guard let comment = try await site.store.comment(id: id),
            comment.hiddenAt == nil || audience(viewer) == .moderators,
            try await visiblePaper(comment.paper, viewer) != nil
        else { throw Self.noComment(id) }
        return comment
    }

    /// The viewer's own comment: 404 when they cannot see it, 403 when it is somebody else's.
    func ownComment(_ viewer: Viewer, id: Int64) async throws -> Comment {
        let comment = try await visibleComment(viewer, id: id)
        guard comment.authorID == viewer.account.id else {
            throw CommunityRefusal(status: .forbidden, message: "comment \(id) is somebody else's")
        }
        return comment
    }

    /// A paper's comments as the viewer may see them, oldest first.
    func comments(on id: PaperID, _ viewer: Viewer?) async throws -> [Comment] {
        guard try await visiblePaper(id, viewer) != nil else { throw Self.noPaper(id) }
        return try await site.store.comments(on: id, audience: audience(viewer), limit: Self.maxListed)
    }

    /// The most comments a page or an answer lists.
    static var maxListed: Int { 1_000 }

    // MARK: Reports

    func report(_ viewer: Viewer, _ target: ReportTarget, reason raw: String?) async throws -> Report {
        let reason = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count <= Self.maxReason else {
            throw CommunityRefusal(
                status: .badRequest, message: "a reason may be at most \(Self.maxReason) characters")
        }
        switch target {
        case .paper(let id): guard try await visiblePaper(id, viewer) != nil else { throw Self.noPaper(id) }
        case .comment(let id): _ = try await visibleComment(viewer, id: id)
        }
        try takeWrite(viewer)
        guard
            let report = try await site.store.fileReport(
                target: target, accountID: viewer.account.id, reason: reason, at: site.now())
        else { throw CommunityRefusal(status: .notFound, message: "nothing to report there") }
        return report
    }

    // MARK: Moderation

    /// Hides or shows a paper (moderators only). True when it changed.
    @discardableResult
    func setPaperHidden(_ viewer: Viewer, paper id: PaperID, hidden: Bool) async throws -> Bool {
        try requireModerator(viewer)
        guard
            let changed = try await site.store.setPaperHidden(
                id, hidden: hidden, by: viewer.account.id, at: site.now())
        else { throw Self.noPaper(id) }
        site.cache.invalidate()
        site.logger.notice(
            hidden ? "paper hidden" : "paper shown",
            metadata: ["paper.id": .string(id.rawValue), "account.username": .string(viewer.account.username)])
        return changed
    }

    /// Hides or shows a comment (moderators only). True when it changed.
    @discardableResult
    func setCommentHidden(_ viewer: Viewer, id: Int64, hidden: Bool) async throws -> Bool {
        try requireModerator(viewer)
        guard
            let changed = try await site.store.setCommentHidden(
                id: id, hidden: hidden, by: viewer.account.id, at: site.now())
        else { throw Self.noComment(id) }
        site.cache.invalidate()
        return changed
    }

    func requireModerator(_ viewer: Viewer) throws {
        guard viewer.account.role.isStaff else {
            throw CommunityRefusal(status: .forbidden, message: "only moderators may do this")
        }
        guard viewer.mayUseStaffPages(site.config.community) else {
            throw CommunityRefusal(
                status: .forbidden, message: "turn on two-factor sign-in in your settings to moderate")
        }
    }

    // MARK: Claims and links

    /// Files the viewer's claim to be the author at `index` (0-based) of the paper.
    func claim(_ viewer: Viewer, paper id: PaperID, authorIndex index: Int) async throws -> AuthorClaim {
        guard let stored = try await visiblePaper(id, viewer) else { throw Self.noPaper(id) }
        guard stored.paper.authors.indices.contains(index) else {
            throw CommunityRefusal(status: .badRequest, message: "paper \(id) has no author number \(index + 1)")
        }
        try takeWrite(viewer)
        switch try await site.store.claimAuthorship(
            paper: id, authorIndex: index, accountID: viewer.account.id, at: site.now())
        {
        case .filed(let claim):
            site.logger.info(
                "authorship claimed",
                metadata: ["paper.id": .string(id.rawValue), "account.username": .string(viewer.account.username)])
            return claim
        case .alreadyClaimed(let claim):
            throw CommunityRefusal(
                status: .conflict,
                message: "you claimed \(claim.authorName) on this paper already (\(claim.status.rawValue))")
        case .takenByAnother:
            throw CommunityRefusal(status: .conflict, message: "somebody else claimed this author already")
        case .unknownAuthor:
            throw CommunityRefusal(status: .badRequest, message: "paper \(id) has no author number \(index + 1)")
        }
    }

    /// Whether the viewer may set the paper's organisation and links: its submitter, a claimed author or a
    /// moderator.
    func mayEditLinks(_ viewer: Viewer?, _ stored: StoredPaper) -> Bool {
        guard let viewer else { return false }
        if viewer.account.role.isStaff && viewer.mayUseStaffPages(site.config.community) { return true }
        if stored.submittedBy?.username == viewer.account.username { return true }
        return stored.claimedAuthors.contains { $0.person.username == viewer.account.username }
    }

    /// Sets a paper's organisation, code and project links. The organisation must be one of the viewer's (any, for
    /// a moderator); links must be http(s).
    func updateLinks(_ viewer: Viewer, paper id: PaperID, _ change: PaperLinksChange) async throws -> StoredPaper {
        guard let stored = try await visiblePaper(id, viewer) else { throw Self.noPaper(id) }
        guard mayEditLinks(viewer, stored) else {
            throw CommunityRefusal(
                status: .forbidden,
                message: "only the paper's submitter, its claimed authors and moderators may change its links")
        }
        for case let (name, link??) in [("githubRepo", change.githubRepo), ("projectPage", change.projectPage)] {
            guard SiteURL.externalLink(link) != nil, link.count <= 500 else {
                throw CommunityRefusal(
                    status: .badRequest, message: "\(name) must be an http(s) URL of at most 500 characters")
            }
        }
        if case let name?? = change.organization, !viewer.account.role.isStaff {
            let mine = try await site.store.organizations(accountID: viewer.account.id)
            guard mine.contains(where: { $0.name == name }) else {
                throw CommunityRefusal(status: .forbidden, message: "you are not a member of organization \(name)")
            }
        }
        try takeWrite(viewer)
        do {
            guard let updated = try await site.store.updatePaperLinks(id, change) else { throw Self.noPaper(id) }
            site.cache.invalidate()
            return updated
        } catch let unknown as UnknownOrganization {
            throw CommunityRefusal(status: .badRequest, message: "there is no organization \(unknown.name)")
        }
    }

    // MARK: Shared

    /// The paper when the viewer may see it (hidden ones: moderators only).
    func visiblePaper(_ id: PaperID, _ viewer: Viewer?) async throws -> StoredPaper? {
        try await site.store.paper(id: id, audience: audience(viewer))
    }

    /// Moderators see hidden papers and comments (under `--require-2fa staff`, only once two-factor sign-in is on).
    func audience(_ viewer: Viewer?) -> Audience {
        viewer?.mayUseStaffPages(site.config.community) == true ? .moderators : .everyone
    }

    func takeWrite(_ viewer: Viewer) throws {
        let key = RateLimiter.Key(bucket: "writes", subject: String(viewer.account.id))
        if let wait = site.accounts.limiter.take(key, .writes) {
            throw CommunityRefusal.rateLimited(wait, "Too many changes: at most 60 a minute.")
        }
    }

    static func commentText(_ raw: String) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw CommunityRefusal(status: .badRequest, message: "a comment needs some text") }
        guard text.count <= maxComment else {
            throw CommunityRefusal(status: .badRequest, message: "a comment may be at most \(maxComment) characters")
        }
        return text
    }

    static func noPaper(_ id: PaperID) -> CommunityRefusal {
        CommunityRefusal(status: .notFound, message: "paper \(id) not found")
    }

    static func noComment(_ id: Int64) -> CommunityRefusal {
        CommunityRefusal(status: .notFound, message: "comment \(id) not found")
    }
}
