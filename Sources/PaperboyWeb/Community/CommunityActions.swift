import Foundation
import HTTPTypes
import Logging
import PaperboyCore

/// Why a vote or a submission was refused, with the status the API answers and the text pages show.
struct CommunityRefusal: Error {
    let status: HTTPResponse.Status
    let message: String
    var retryAfter: Duration?
    /// For 409: the paper somebody submitted already.
    var existing: StoredPaper?

    static func rateLimited(_ wait: Duration, _ message: String) -> CommunityRefusal {
        CommunityRefusal(status: .tooManyRequests, message: message, retryAfter: wait)
    }
}

/// Votes and submissions, as both the forms and the API make them: the checks, the store call and the cache
/// invalidation, in one place.
struct CommunityActions<Store: SiteStore>: Sendable {
    let site: Site<Store>

    /// The longest comment a submission may carry.
    static var maxComment: Int { 5_000 }

    /// Casts or removes the viewer's vote. Afterwards this node's cache no longer holds the old count.
    func vote(_ viewer: Viewer, paper id: PaperID, up: Bool) async throws -> VoteState {
        let key = RateLimiter.Key(bucket: "votes", subject: String(viewer.account.id))
        if let wait = site.accounts.limiter.take(key, .votes) {
            throw CommunityRefusal.rateLimited(wait, "Too many votes: at most 120 a minute.")
        }
        guard let state = try await site.store.setVote(accountID: viewer.account.id, paper: id, up: up, at: site.now())
        else { throw CommunityRefusal(status: .notFound, message: "paper \(id) not found") }
        site.cache.invalidate()
        return state
    }

    /// Submits a paper by its arXiv id (a version suffix is ignored), checking in the order the API documents:
    /// malformed id 400, daily limit 429, submitted before 409, arXiv unreachable 503, unknown id 404, too old 422,
    /// withdrawn 422.
    func submit(_ viewer: Viewer, rawID: String, comment rawComment: String?) async throws -> StoredPaper {
        let text = rawID.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count <= 64, let (id, _) = PaperID.parse(text) else {
            throw CommunityRefusal(
                status: .badRequest, message: "paper_id must be an arXiv id such as 2511.01234 or hep-th/9901001")
        }
        let comment = rawComment?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let comment, comment.count > CommunityActions.maxComment {
            throw CommunityRefusal(
                status: .badRequest, message: "comment may be at most \(CommunityActions.maxComment) characters")
        }
        let now = site.now()
        let today = Day(now)
        let limit = site.config.community.submitLimit
        if site.config.community.rateLimits,
            try await site.store.submissionCount(accountID: viewer.account.id, since: today.start) >= limit
        {
            throw CommunityRefusal.rateLimited(
                today.adding(days: 1).start.timeIntervalSince(now).duration,
                "You have submitted \(limit) papers today, the most a day allows. Try again tomorrow (UTC).")
        }
        var stored = try await site.store.paper(id: id, audience: .moderators)
        if stored?.hiddenAt != nil {
            // A paper moderators hid is not here for anybody else, and cannot come back by being submitted.
            throw CommunityRefusal(status: .notFound, message: "paper \(id) not found")
        }
        if let stored, stored.submittedBy != nil {
            throw CommunityRefusal(
                status: .conflict, message: "paper \(id) was submitted already", existing: stored)
        }
        var paper: Paper
        if let stored {
            paper = stored.paper
        } else {
            do {
                guard let found = try await site.lookup.lookUp(id) else {
                    throw CommunityRefusal(status: .notFound, message: "arXiv has no paper \(id)")
                }
                paper = found
            } catch let unavailable as PaperLookupUnavailable {
                site.logger.warning(
                    "arXiv lookup failed", metadata: ["paper.id": .string(id.rawValue), "error": "\(unavailable)"])
                throw CommunityRefusal(
                    status: .serviceUnavailable, message: "arXiv cannot be reached right now; try again later",
                    retryAfter: .seconds(60))
            }
        }
        let window = site.config.community.submitWindowDays
        if now.timeIntervalSince(paper.published) > Double(window) * 86_400 {
            throw CommunityRefusal(
                status: .unprocessableContent,
                message: "paper \(id) is older than \(window) days: only recent papers may be submitted")
        }
        if paper.isWithdrawn {
            throw CommunityRefusal(status: .unprocessableContent, message: "paper \(id) was withdrawn")
        }
        if stored == nil {
            paper.featuredAt = paper.published
            _ = try await site.store.upsert([paper])
        }
        let outcome = try await site.store.submit(
            Submission(
                paper: id, accountID: viewer.account.id, at: now, comment: comment?.isEmpty == true ? nil : comment))
        switch outcome {
        case .submitted(let result):
            stored = result
        case .alreadySubmitted(let existing):
            throw CommunityRefusal(status: .conflict, message: "paper \(id) was submitted already", existing: existing)
        case .unknownPaper:
            throw CommunityRefusal(status: .notFound, message: "arXiv has no paper \(id)")
        }
        site.cache.invalidate()
        site.logger.info(
            "paper submitted",
            metadata: ["paper.id": .string(id.rawValue), "account.username": .string(viewer.account.username)])
        guard let stored else { throw CommunityRefusal(status: .notFound, message: "arXiv has no paper \(id)") }
        return stored
    }
}

extension TimeInterval {
    /// The interval as a Duration (whole milliseconds).
    var duration: Duration { .milliseconds(Int64((self * 1000).rounded(.up))) }
}
