import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A submitted HTML form (`application/x-www-form-urlencoded`), read with a bound on its size.
struct Form: Sendable {
    /// The most a form body may hold (the longest field, a comment, is far less).
    static let maxBytes = 64 * 1024

    let fields: [String: String]

    init(fields: [String: String]) { self.fields = fields }

    /// Reads the request's body as a form; a larger body is refused with 413.
    static func read(_ request: Request) async throws -> Form {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBytes)
        } catch {
            throw HTTPError(.contentTooLarge, message: "A form may hold at most \(maxBytes / 1024) KB.")
        }
        return Form(urlEncoded: String(buffer: body))
    }

    /// Parses `a=1&b=two+words`; a name given twice keeps its first value; broken escapes leave a field out.
    init(urlEncoded text: String) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Form.decode(parts[0]) else { continue }
            let value = parts.count > 1 ? Form.decode(parts[1]) : ""
            guard let value, fields[name] == nil else { continue }
            fields[name] = value
        }
        self.fields = fields
    }

    static func decode(_ part: Substring) -> String? {
        String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    subscript(_ name: String) -> String? { fields[name] }

    /// A field with its surrounding blanks removed, nil when empty.
    func trimmed(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }
}

/// Where to go after signing in: only a path on this site (no scheme, no host, no `//` or `\`), so that a link
/// cannot send a visitor elsewhere (no open redirect).
enum NextPath {
    static func safe(_ raw: String?, config: WebConfiguration) -> String? {
        guard let raw, !raw.isEmpty, raw.utf8.count <= 2_000, raw.hasPrefix("/"),
            !raw.hasPrefix("//"), !raw.contains("\\"),
            !raw.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }),
            raw.hasPrefix(config.pathPrefix + "/")
        else { return nil }
        return raw
    }

    static func safeOrHome(_ raw: String?, config: WebConfiguration) -> String {
        safe(raw, config: config) ?? SiteURL.home.path(config)
    }
}

extension Rendered {
    /// A 303 See Other to a path of this site (after a form), never cached.
    static func redirect(to location: String, setCookies: [String] = []) -> Rendered {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        for cookie in setCookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Rendered(status: .seeOther, contentType: Rendered.plain, text: "See \(location)\n", headers: headers)
    }
}
