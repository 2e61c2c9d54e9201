import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The files below `Resources/Static`: the site's stylesheet and script, and KaTeX (its script, auto-render, its
/// stylesheet and fonts, with its license). They are read once at start, encoded once (an ETag each, gzip for text)
/// and served with a day's caching to everybody alike: they hold nothing personal, so a signed-in visitor's cookie
/// does not make them `no-store`.
struct StaticFiles: Sendable {
    let answers: [String: EncodedAnswer]

    static let maxAge = 86_400

    /// Content types by extension; a file of any other kind is not served.
    static let types = [
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "woff2": "font/woff2",
        "txt": "text/plain; charset=utf-8", "svg": "image/svg+xml",
    ]

    static func load(from directory: URL) throws -> StaticFiles {
        let root = directory.standardizedFileURL.path
        var answers: [String: EncodedAnswer] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw TemplateError.missingResources
        }
        while let relative = walker.nextObject() as? String {
            guard let type = types[(relative as NSString).pathExtension] else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: root).appendingPathComponent(relative))
            var headers = HTTPFields()
            headers[.cacheControl] = "public, max-age=\(maxAge)"
            answers[relative] = EncodedAnswer(
                Rendered(contentType: type, body: ByteBuffer(bytes: data), headers: headers))
        }
        return StaticFiles(answers: answers)
    }

    /// The file at `path` (below `/static/`, still percent-encoded as requested), nil when there is none.
    func answer(_ path: String) -> EncodedAnswer? {
        answers[path.removingPercentEncoding ?? path]
    }
}
