import Hummingbird

extension Request {
    /// A query parameter as HTML forms and most clients encode it: `+` is a space, `%XX` a byte.
    /// (Hummingbird's `queryParameters` decodes only `%XX`, so `q=graph+neural` would stay one word.)
    func query(_ name: String) -> String? {
        guard let raw = uri.query else { return nil }
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard QueryString.decode(parts[0]) == name else { continue }
            return parts.count > 1 ? QueryString.decode(parts[1]) : ""
        }
        return nil
    }
}

enum QueryString {
    static func decode(_ s: Substring) -> String {
        let plusless = s.replacingOccurrences(of: "+", with: " ")
        return plusless.removingPercentEncoding ?? plusless
    }
}
