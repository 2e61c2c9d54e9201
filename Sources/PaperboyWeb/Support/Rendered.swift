import HTTPTypes
import NIOCore

/// A finished answer body with its type: what controllers produce. ``ResponseCache`` turns it into a
/// response with an ETag, conditional 304s, gzip when asked, and caching of anonymous answers.
public struct Rendered: Sendable {
    public var status: HTTPResponse.Status
    public var contentType: String
    public var body: ByteBuffer
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status = .ok, contentType: String, body: ByteBuffer, headers: HTTPFields = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public init(status: HTTPResponse.Status = .ok, contentType: String, text: String, headers: HTTPFields = [:]) {
        self.init(status: status, contentType: contentType, body: ByteBuffer(string: text), headers: headers)
    }

    static let html = "text/html; charset=utf-8"
    static let json = "application/json; charset=utf-8"
    static let rss = "application/rss+xml; charset=utf-8"
    static let xml = "application/xml; charset=utf-8"
    static let markdown = "text/markdown; charset=utf-8"
    static let plain = "text/plain; charset=utf-8"
}
