import Foundation

// PLACEHOLDER until the text helpers land (deleted at merge): the same names, a simpler rule.
extension Paper {
    public var foundGitHubRepository: String? { nil }
    public var withdrawnAt: Date? { isWithdrawn ? versions.last?.submitted : nil }
}

public enum CommentMarkdown {
    public static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
