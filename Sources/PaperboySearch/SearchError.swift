import PaperboyCore

/// Searches refused before any work is done, or because the model is busy. Every case is the caller's to map:
/// the first three to a bad request, `overloaded` and `shuttingDown` to "unavailable, retry later".
public enum SearchError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `offset + limit` goes past ``SearchLimits/maxReachableResults`` (`reachable`).
    case beyondReachableResults(offset: Int, limit: Int, reachable: Int)
    /// A negative offset or limit.
    case invalidPage(offset: Int, limit: Int)
    /// The words to search for are longer than ``SearchLimits/maxQueryLength`` characters.
    case queryTooLong(length: Int, limit: Int)
    /// `waiting` query embeddings already wait for the model, the most allowed (`limit`); retry shortly.
    case overloaded(waiting: Int, limit: Int)
    /// The embedding model is shutting down.
    case shuttingDown

    public var description: String {
        switch self {
        case .beyondReachableResults(let offset, let limit, let reachable):
            return "results \(offset) to \(offset) + \(limit) are beyond the first \(reachable), the most a search "
                + "can page through"
        case .invalidPage(let offset, let limit):
            return "offset \(offset) and limit \(limit) must not be negative"
        case .queryTooLong(let length, let limit):
            return "the query is \(length) characters long, longer than \(limit)"
        case .overloaded(let waiting, let limit):
            return "the embedding model is busy (\(waiting) queries waiting, at most \(limit)); try again shortly"
        case .shuttingDown:
            return "the embedding model is shutting down"
        }
    }

    /// The number of results a page needs (`offset + limit`), or the error that refuses it.
    public static func reachable(offset: Int, limit: Int) throws(SearchError) -> Int {
        guard offset >= 0, limit >= 0 else { throw .invalidPage(offset: offset, limit: limit) }
        let (end, overflow) = offset.addingReportingOverflow(limit)
        guard !overflow, end <= SearchLimits.maxReachableResults else {
            throw .beyondReachableResults(offset: offset, limit: limit, reachable: SearchLimits.maxReachableResults)
        }
        return end
    }
}

extension SearchError: RefusedRequest {
    public var refusal: Refusal {
        switch self {
        case .beyondReachableResults, .invalidPage, .queryTooLong: .badRequest(description)
        case .overloaded: .unavailable(retryAfterSeconds: 1, message: "Too busy to answer now; try again in 1 s.")
        case .shuttingDown: .unavailable(retryAfterSeconds: 5, message: "The server is shutting down.")
        }
    }
}
