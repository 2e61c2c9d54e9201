import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PaperboyCore

/// A comment's author in the API: `user` and `name` are the username, as in ``APIUser``; a deleted account's
/// comments have no `user` and the name "deleted user".
struct APICommentAuthor: Codable, Equatable {
    let user: String?
    let name: String
    let fullname: String
    let avatarUrl: String?
    let type: String

    init(_ person: Person?, config: WebConfiguration) {
        if let person {
            user = person.username
            name = person.username
            fullname = person.fullname
            avatarUrl = SiteURL.avatar(username: person.username).absolute(config)
            type = "user"
        } else {
            user = nil
            name = "deleted user"
            fullname = "deleted user"
            avatarUrl = nil
            type = "deleted"
        }
    }
}

/// A comment of `GET /api/papers/{id}/comments` and the answer of the comment writes.
struct APIComment: Codable, Equatable {
    /// The comment's number, as a string.
    let id: String
    let paperId: String
    let author: APICommentAuthor
    /// The Markdown as written.
    let text: String
    /// The Markdown rendered: escaped, with emphasis, code and http(s) links only.
    let html: String
    let createdAt: String
    let editedAt: String?
    /// Whether the author is a claimed author of the paper.
    let byPaperAuthor: Bool
    /// Shown to moderators only: whether a moderator hid it.
    let hidden: Bool?

    init(_ comment: Comment, config: WebConfiguration) {
        id = String(comment.id)
        paperId = comment.paper.rawValue
        author = APICommentAuthor(comment.author, config: config)
        text = comment.text
        html = CommentMarkdown.html(comment.text)
        createdAt = Timestamp.rfc3339(comment.createdAt)
        editedAt = comment.editedAt.map(Timestamp.rfc3339)
        byPaperAuthor = comment.byClaimedAuthor
        hidden = comment.hiddenAt == nil ? nil : true
    }
}

/// The answer of a report: it waits in the moderators' queue.
struct APIReportReceipt: Codable, Equatable {
    let id: String
    let status: String
}

/// The JSON body of a write, as an object, at most 16 KB.
struct APIBody {
    let fields: [String: Any]

    static func read(_ request: Request, example: String) async throws -> APIBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 16 * 1024)
        } catch {
            throw APIError(status: .contentTooLarge, message: "the body may hold at most 16 KB")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw APIError.badRequest("send a JSON object: \(example)")
        }
        return APIBody(fields: object)
    }

    /// A string field: nil when absent; 400 when of another type.
    func string(_ name: String) throws -> String? {
        guard let value = fields[name] else { return nil }
        guard let text = value as? String else { throw APIError.badRequest("\(name) must be a string") }
        return text
    }

    /// A field that may be cleared: absent → nil, JSON null → `.some(nil)`, a string → `.some(text)`.
    func clearable(_ name: String) throws -> String?? {
        guard let value = fields[name] else { return nil }
        if value is NSNull { return .some(nil) }
        guard let text = value as? String else { throw APIError.badRequest("\(name) must be a string or null") }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return .some(trimmed.isEmpty ? nil : trimmed)
    }
}

/// What `/api/papers/{id}/...` names after the id.
enum PaperSubresource: String, CaseIterable {
    case paper = ""
    case similar
    case upvote
    case comments
    case report
    case hide
    case unhide
    case notInterested = "not-interested"

    /// The paper id's text and what follows it; old-style ids hold a slash of their own.
    static func split(_ parameter: String) -> (id: Substring, sub: PaperSubresource) {
        for sub in allCases where sub != .paper {
            let suffix = "/" + sub.rawValue
            if parameter.hasSuffix(suffix) { return (parameter.dropLast(suffix.count), sub) }
            if parameter == sub.rawValue { return ("", sub) }
        }
        return (Substring(parameter), .paper)
    }

    var methods: Set<HTTPRequest.Method> {
        switch self {
        case .paper: [.get, .patch]
        case .similar, .comments: self == .similar ? [.get] : [.get, .post]
        case .upvote, .notInterested: [.post, .delete]
        case .report, .hide, .unhide: [.post]
        }
    }
}

/// What `/api/comments/{id}/...` names after the id.
enum CommentSubresource: String, CaseIterable {
    case comment = ""
    case report
    case hide
    case unhide

    static func split(_ parameter: String) -> (id: Substring, sub: CommentSubresource) {
        for sub in allCases where sub != .comment {
            let suffix = "/" + sub.rawValue
            if parameter.hasSuffix(suffix) { return (parameter.dropLast(suffix.count), sub) }
        }
        return (Substring(parameter), .comment)
    }

    var methods: Set<HTTPRequest.Method> { self == .comment ? [.patch, .delete] : [.post] }
}

extension APIRoutes {
    var discussion: DiscussionActions<Store> { DiscussionActions(site: site) }

    /// The writes on `/api/papers/{id}/...` (the reads are registered with the paper).
    func paperWrite(_ parameter: String, _ method: HTTPRequest.Method, _ request: Request, _ viewer: Viewer)
        async throws -> Rendered
    {
        let (raw, sub) = PaperSubresource.split(parameter)
        let id = try paperID(raw)
        switch (sub, method) {
        case (.upvote, _):
            return try await upvote(id, up: method == .post, viewer)
        case (.notInterested, _):
            return try await notInterested(id, on: method == .post, viewer)
        case (.comments, _):
            let body = try await APIBody.read(request, example: #"{"text": "Markdown, at most 5,000 characters"}"#)
            let comment = try await discussion.addComment(viewer, paper: id, text: try body.string("text") ?? "")
            return try JSON.rendered(APIComment(comment, config: site.config), status: .created)
        case (.report, _):
            let body = try await APIBody.read(request, example: #"{"reason": "optional"}"#)
            let report = try await discussion.report(viewer, .paper(id), reason: try body.string("reason"))
            return try JSON.rendered(APIReportReceipt(id: String(report.id), status: "open"), status: .accepted)
        case (.hide, _), (.unhide, _):
            try await discussion.setPaperHidden(viewer, paper: id, hidden: sub == .hide)
            return try await paper(id, viewer)
        case (.paper, _):
            let body = try await APIBody.read(
                request, example: #"{"organization": "name", "githubRepo": "https://...", "projectPage": null}"#)
            let change = PaperLinksChange(
                organization: try body.clearable("organization"), githubRepo: try body.clearable("githubRepo"),
                projectPage: try body.clearable("projectPage"))
            let updated = try await discussion.updateLinks(viewer, paper: id, change)
            return JSON.written(APIPaper(updated, config: site.config))
        case (.similar, _):
            throw APIError(status: .methodNotAllowed, message: "similar papers are read with GET")
        }
    }

    func comments(_ id: PaperID, _ viewer: Viewer?) async throws -> Rendered {
        let comments = try await discussion.comments(on: id, viewer)
        return try JSON.rendered(comments.map { APIComment($0, config: site.config) })
    }

    /// `/api/comments/{id}` and its `report`, `hide` and `unhide`.
    func commentWrite(_ parameter: String, _ method: HTTPRequest.Method, _ request: Request, _ viewer: Viewer)
        async throws -> Rendered
    {
        let (raw, sub) = CommentSubresource.split(parameter)
        guard let id = Int64(raw), id > 0 else { throw APIError.notFound("comment \(raw) not found") }
        switch (sub, method) {
        case (.comment, .patch):
            let body = try await APIBody.read(request, example: #"{"text": "Markdown, at most 5,000 characters"}"#)
            let edited = try await discussion.editComment(viewer, id: id, text: try body.string("text") ?? "")
            return try JSON.rendered(APIComment(edited, config: site.config))
        case (.comment, _):
            _ = try await discussion.deleteComment(viewer, id: id)
            return Rendered(status: .noContent, contentType: Rendered.json, body: ByteBuffer())
        case (.report, _):
            let body = try await APIBody.read(request, example: #"{"reason": "optional"}"#)
            let report = try await discussion.report(viewer, .comment(id), reason: try body.string("reason"))
            return try JSON.rendered(APIReportReceipt(id: String(report.id), status: "open"), status: .accepted)
        case (.hide, _), (.unhide, _):
            try await discussion.setCommentHidden(viewer, id: id, hidden: sub == .hide)
            return try JSON.rendered(
                APIComment(try await discussion.visibleComment(viewer, id: id), config: site.config))
        }
    }
}
