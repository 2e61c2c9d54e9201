import Foundation

// Personal recommendations ("for you"): what a person's actions say about their taste, what they chose in settings,
// and the store role that keeps both. The model (``TasteModel``) and the ranking (``TasteRanking``) are in
// Recommending.swift.

/// Why a paper counts as one a person likes.
public enum TasteSignalKind: String, Sendable, Hashable, Codable, CaseIterable {
    case upvote, collection, submission, claim, seed
}

/// A paper a person gave a signal about, with what the model reads of it.
public struct TastePaper: Sendable, Hashable {
    public var key: PaperKey
    public var id: PaperID
    public var title: String
    public var categories: [String]
    public var authors: [String]
    public var kind: TasteSignalKind

    public init(
        key: PaperKey, id: PaperID, title: String, categories: [String], authors: [String], kind: TasteSignalKind
    ) {
        self.key = key
        self.id = id
        self.title = title
        self.categories = categories
        self.authors = authors
        self.kind = kind
    }
}

/// Everything one person's recommendations are made from.
public struct TasteSignals: Sendable, Hashable {
    public var accountID: Int64
    /// Papers liked: upvoted, collected, submitted, claimed, or picked as seeds in settings (one entry per paper, the
    /// newest signals first, at most ``RecommendationLimits/maxLiked``).
    public var liked: [TastePaper]
    /// Papers marked "not interested", newest first (at most ``RecommendationLimits/maxNotInterested``).
    public var notInterested: [TastePaper]
    /// Categories picked in settings.
    public var categories: [String]

    public init(accountID: Int64, liked: [TastePaper], notInterested: [TastePaper], categories: [String]) {
        self.accountID = accountID
        self.liked = liked
        self.notInterested = notInterested
        self.categories = categories
    }

    /// Whether there is anything to recommend from.
    public var isEmpty: Bool { liked.isEmpty && categories.isEmpty }

    /// Tells one set of signals from another: a model is retrained only when this changes.
    public var fingerprint: UInt64 {
        var hash = FNV1a()
        func combine(_ number: Int64) { withUnsafeBytes(of: number.littleEndian) { hash.combine($0) } }
        for paper in liked { combine(paper.key) }
        combine(-1)
        for paper in notInterested { combine(paper.key) }
        for category in categories {
            hash.combine(category.utf8)
            combine(-2)
        }
        return hash.value
    }
}

/// What a person picked in settings to start recommendations before their votes say enough.
public struct RecommendationSettings: Sendable, Hashable {
    public var categories: [String]
    public var seedPapers: [PaperID]

    public init(categories: [String] = [], seedPapers: [PaperID] = []) {
        self.categories = categories
        self.seedPapers = seedPapers
    }

    /// Reads the settings form: categories and arXiv ids separated by spaces, commas or new lines. Duplicates are
    /// dropped; anything malformed or too many is refused with a message naming it.
    public static func parse(categories: String, seedPapers: String) -> Result<Self, RecommendationSettingsProblem> {
        var cats: [String] = []
        for word in Self.words(categories) where !cats.contains(word) {
            guard isWellFormedCategory(word) else { return .failure(.badCategory(String(word.prefix(40)))) }
            cats.append(word)
        }
        guard cats.count <= RecommendationLimits.maxCategories else {
            return .failure(.tooManyCategories(cats.count))
        }
        var ids: [PaperID] = []
        for word in Self.words(seedPapers) {
            guard let parsed = PaperID.parse(word) else { return .failure(.badPaper(String(word.prefix(40)))) }
            if !ids.contains(parsed.id) { ids.append(parsed.id) }
        }
        guard ids.count <= RecommendationLimits.maxSeedPapers else { return .failure(.tooManySeedPapers(ids.count)) }
        return .success(Self(categories: cats, seedPapers: ids))
    }

    private static func words(_ text: String) -> [String] {
        text.prefix(RecommendationLimits.maxSettingsText).split { $0 == " " || $0 == "," || $0.isNewline || $0 == "\t" }
            .map(String.init)
    }

    /// An arXiv category as written in listings: `hep-ph`, `cs.LG`, `astro-ph.GA`, `cond-mat.stat-mech`.
    public static func isWellFormedCategory(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.utf8.count <= 32, (1...2).contains(parts.count) else { return false }
        let archive = parts[0].utf8
        guard let first = archive.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z"),
            archive.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "-") })
        else { return false }
        guard parts.count == 2 else { return true }
        let subject = parts[1].utf8
        return !subject.isEmpty
            && subject.allSatisfy {
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
                    || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                    || $0 == UInt8(ascii: "-")
            }
    }
}

/// Why the settings form was refused.
public enum RecommendationSettingsProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case badCategory(String)
    case tooManyCategories(Int)
    case badPaper(String)
    case tooManySeedPapers(Int)
    case unknownPapers([PaperID])

    public var description: String {
        switch self {
        case .badCategory(let text): "“\(text)” is not an arXiv category such as cs.LG or hep-ph"
        case .tooManyCategories(let n):
            "\(n) categories is too many: pick at most \(RecommendationLimits.maxCategories)"
        case .badPaper(let text): "“\(text)” is not an arXiv id such as 2401.01234"
        case .tooManySeedPapers(let n):
            "\(n) papers is too many: pick at most \(RecommendationLimits.maxSeedPapers)"
        case .unknownPapers(let ids):
            "no paper here has the id \(ids.map(\.rawValue).joined(separator: ", ")): submit it first"
        }
    }
}

/// Bounds on what one person's recommendations read and keep.
public enum RecommendationLimits {
    public static let maxCategories = 20
    public static let maxSeedPapers = 50
    /// Characters of each settings field read.
    public static let maxSettingsText = 4_000
    /// Liked papers a model learns from (the newest); older signals have had their say.
    public static let maxLiked = 1_000
    /// "Not interested" papers kept out of recommendations and listed in settings.
    public static let maxNotInterested = 5_000
    /// Longest span of days recommended from.
    public static let maxDays = 90
    /// Most recommendations in one answer.
    public static let maxLimit = 100
}

/// What a person likes and does not, and what they chose in settings.
public protocol RecommendationStore: Sendable {
    /// The person's signals: liked papers (votes, collection items, submissions, accepted and pending claims, seed
    /// papers), "not interested" papers and chosen categories. Hidden papers are left out.
    func tasteSignals(accountID: Int64) async throws -> TasteSignals

    /// Marks (`on`) or unmarks a paper as "not interested" for the person, idempotently. Nil when no visible paper
    /// has this id.
    func setNotInterested(accountID: Int64, paper: PaperID, on: Bool, at: Date) async throws -> Bool?

    /// The person's "not interested" papers, newest mark first.
    func notInterestedPapers(accountID: Int64, limit: Int) async throws -> [StoredPaper]

    func recommendationSettings(accountID: Int64) async throws -> RecommendationSettings

    /// Replaces the person's settings. Seed papers must be stored: unknown ones are refused with
    /// ``RecommendationSettingsProblem/unknownPapers(_:)`` and nothing changes.
    func setRecommendationSettings(accountID: Int64, _ settings: RecommendationSettings, at: Date) async throws
}
