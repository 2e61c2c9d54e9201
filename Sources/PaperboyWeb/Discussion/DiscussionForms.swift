import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// The actions `POST /comments/{id}/{action}` takes.
enum CommentFormAction: String, CaseIterable {
    case edit, delete, report, hide, unhide
}

/// The paper page's forms: comments (`POST /comments`, `POST /comments/{id}/{action}`), reports (`POST /report`),
/// authorship claims (`POST /claim`) and a paper's organisation and links (`POST /paper-links`). Each needs a
/// signed-in browser and its CSRF token, and ends with 303 back to the paper (or a short notice). The API offers the
/// same under `/api/papers/{id}/...` and `/api/comments/{id}`.
struct DiscussionRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    var config: WebConfiguration { site.config }
    var actions: DiscussionActions<Store> { DiscussionActions(site: site) }
    var community: CommunityRoutes<Store> { CommunityRoutes(site: site) }

    func register(on routes: RouteTable) {
        routes.on(.comments, method: .post) { request, context in
            try await community.answer(request, context) { try await addComment(request, $0) }
        }
        routes.on(.commentAction, method: .post) { request, context in
            let parameter = try SiteRoute.commentAction.parameter(in: context)
            return try await community.answer(request, context) { try await commentAction(parameter, request, $0) }
        }
        routes.on(.report, method: .post) { request, context in
            try await community.answer(request, context) { try await reportPaper(request, $0) }
        }
        routes.on(.claim, method: .post) { request, context in
            try await community.answer(request, context) { try await claim(request, $0) }
        }
        routes.on(.paperLinks, method: .post) { request, context in
            try await community.answer(request, context) { try await links(request, $0) }
        }
    }

    /// The form, once its CSRF token is checked.
    func form(_ request: Request, _ viewer: Viewer) async throws -> Form {
        let form = try await Form.read(request)
        guard site.accounts.checkCSRF(viewer, token: form["csrf_token"]) else { throw PageError.csrf }
        return form
    }

    func paperID(_ form: Form) throws -> PaperID {
        guard let raw = form.trimmed("paper"), let (id, _) = PaperID.parse(raw) else {
            throw PageError.badRequest("The form names no paper.")
        }
        return id
    }

    func addComment(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await form(request, viewer)
        let id = try paperID(form)
        let comment = try await actions.addComment(viewer, paper: id, text: form["text"] ?? "")
        return .redirect(to: SiteURL.paper(id).path(config) + "#comment-\(comment.id)")
    }

    func commentAction(_ parameter: String, _ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let parts = parameter.split(separator: "/")
        guard parts.count == 2, let id = Int64(parts[0]), id > 0,
            let action = CommentFormAction(rawValue: String(parts[1]))
        else { throw PageError.notFound("There is no such comment action.") }
        let form = try await form(request, viewer)
        let comment = try await actions.visibleComment(viewer, id: id)
        let back = SiteURL.paper(comment.paper).path(config)
        switch action {
        case .edit:
            _ = try await actions.editComment(viewer, id: id, text: form["text"] ?? "")
            return .redirect(to: back + "#comment-\(id)")
        case .delete:
            _ = try await actions.deleteComment(viewer, id: id)
            return .redirect(to: back + "#comments")
        case .report:
            _ = try await actions.report(viewer, .comment(id), reason: form["reason"])
            return try await notice("Reported", "Thank you: moderators will look at this comment.", back, viewer)
        case .hide, .unhide:
            try await actions.setCommentHidden(viewer, id: id, hidden: action == .hide)
            return .redirect(
                to: NextPath.safe(form["next"], config: config) ?? back + "#comment-\(id)")
        }
    }

    func reportPaper(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await form(request, viewer)
        let id = try paperID(form)
        _ = try await actions.report(viewer, .paper(id), reason: form["reason"])
        return try await notice(
            "Reported", "Thank you: moderators will look at this paper.", SiteURL.paper(id).path(config), viewer)
    }

    func claim(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await form(request, viewer)
        let id = try paperID(form)
        guard let raw = form.trimmed("author"), let index = Int(raw), index >= 0 else {
            throw PageError.badRequest("Choose which of the authors you are.")
        }
        let claim = try await actions.claim(viewer, paper: id, authorIndex: index)
        return try await notice(
            "Claim sent",
            "Your claim to be \(claim.authorName) is waiting for a moderator. Once accepted, the paper is listed on "
                + "your profile and the name links to it.",
            SiteURL.paper(id).path(config), viewer)
    }

    func links(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let form = try await form(request, viewer)
        let id = try paperID(form)
        let change = PaperLinksChange(
            organization: .some(form.trimmed("organization")), githubRepo: .some(form.trimmed("github_repo")),
            projectPage: .some(form.trimmed("project_page")))
        _ = try await actions.updateLinks(viewer, paper: id, change)
        return .redirect(to: SiteURL.paper(id).path(config) + "#links")
    }

    /// A short page saying what happened, with a way back.
    func notice(_ heading: String, _ message: String, _ back: String, _ viewer: Viewer) async throws -> Rendered {
        var model = ErrorPageModel(
            config: config, error: PageError(status: .ok, heading: heading, message: message))
        model.back = back
        return try await community.pages.html(model, "error", Visit(viewer: viewer, path: back))
    }
}
