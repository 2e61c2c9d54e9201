import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore

/// `GET /api/moderation/reports`: the report queue for moderators and admins. `state` is `open` (the default, oldest
/// first) or `resolved` (most recently resolved first); `limit` 1 to 100 (default 50).
struct ReportsAPIRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    enum State: String {
        case open
        case resolved
    }

    func register(on routes: RouteTable) {
        routes.get(.apiReports) { request, context in
            try await APIRoutes(site: site).api(request, cacheable: false) {
                try await reports(request, try moderator(context))
            }
        }
    }

    /// The caller, when they are a moderator or admin who may moderate: 401 without an account, 403 for members and
    /// for staff who must first turn on two-factor sign-in (`--require-2fa staff`; a token does not get round it).
    func moderator(_ context: AppRequestContext) throws -> Viewer {
        guard let viewer = context.viewer else { throw APIError.unauthorized(rejected: context.credentialsRejected) }
        guard viewer.account.role.isStaff else {
            throw APIError(status: .forbidden, message: "only moderators and admins may read reports")
        }
        guard viewer.mayUseStaffPages(site.config.community) else {
            throw APIError(
                status: .forbidden, message: "moderators and admins must turn on two-factor sign-in first (in settings)"
            )
        }
        return viewer
    }

    func reports(_ request: Request, _ viewer: Viewer) async throws -> Rendered {
        let parameters = Parameters(request: request)
        let state = try parameters.choice("state", default: State.open) { _ in
            APIError.badRequest("state must be open or resolved")
        }
        let limit = try parameters.integer("limit", in: 1...100, default: 50)
        let reports = try await site.store.reports(open: state == .open, limit: limit)
        var rendered = try JSON.rendered(reports.map { APIReport($0, config: site.config) })
        rendered.headers[.cacheControl] = "private, no-store"
        return rendered
    }
}

/// A report as `GET /api/moderation/reports` gives it.
struct APIReport: Encodable, Equatable {
    struct Target: Codable, Equatable {
        /// `paper` or `comment`.
        let type: String
        /// The arXiv id, or the comment's id (as a string, as comment ids are everywhere in the API).
        let id: String
    }

    let id: String
    let target: Target
    /// Nil (written as `null`) once the reporter's account is deleted.
    let reporter: APIUser?
    let reason: String
    let createdAt: String
    let resolvedAt: String?
    let resolvedBy: APIUser?

    init(_ report: Report, config: WebConfiguration) {
        id = String(report.id)
        switch report.target {
        case .paper(let paper): target = Target(type: "paper", id: paper.rawValue)
        case .comment(let comment): target = Target(type: "comment", id: String(comment))
        }
        reporter = report.reporter.map { APIUser($0, config: config) }
        reason = report.reason
        createdAt = Timestamp.rfc3339(report.createdAt)
        resolvedAt = report.resolvedAt.map(Timestamp.rfc3339)
        resolvedBy = report.resolvedBy.map { APIUser($0, config: config) }
    }

    enum CodingKeys: String, CodingKey {
        case id, target, reporter, reason, createdAt, resolvedAt, resolvedBy
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(target, forKey: .target)
        // Always present: null says the account is gone.
        try container.encode(reporter, forKey: .reporter)
        try container.encode(reason, forKey: .reason)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(resolvedAt, forKey: .resolvedAt)
        try container.encodeIfPresent(resolvedBy, forKey: .resolvedBy)
    }
}
