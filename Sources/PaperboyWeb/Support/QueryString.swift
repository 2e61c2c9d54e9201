import Hummingbird

extension Request {
    /// A query parameter as HTML forms and most clients encode it: `+` is a space, `%XX` a byte; control
    /// characters become spaces (see ``QueryString/decode(_:)``).
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
    /// Decodes a query component or path segment: `+` is a space, `%XX` a byte. Text that is not valid
    /// percent-encoded UTF-8 stays as written; control characters (C0, DEL, C1) become spaces, so they never
    /// reach a page, a feed or a log raw.
    static func decode(_ s: Substring) -> String {
        let plusless = s.replacingOccurrences(of: "+", with: " ")
        return clean(plusless.removingPercentEncoding ?? plusless)
    }

    /// A path segment: `%XX` decoded, `+` kept.
    static func segment(_ s: some StringProtocol) -> String {
        let text = String(s)
        return clean(text.removingPercentEncoding ?? text)
    }

    static func clean(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars { out.append(isControl(scalar) ? " " : scalar) }
        return String(out)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
