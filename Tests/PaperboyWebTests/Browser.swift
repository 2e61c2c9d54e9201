import Foundation
import HTTPTypes
import Testing

// More of what a browser does in tests (`TestBrowser`, in CommunityTestSupport.swift): read hidden fields and texts
// out of pages, sign in with a given User-Agent, send the second factor, ask whether it is signed in.

extension TestBrowser {
    /// The value of the first `<input type="hidden" name="NAME" value="...">` in `html`, unescaped.
    static func hiddenValue(_ name: String, in html: String) -> String? {
        texts(between: #"<input type="hidden" name=""# + name + #"" value=""#, and: "\"", in: html).first
    }

    /// Every text between `open` and the next `close` in `html`, unescaped.
    static func texts(between open: String, and close: String, in html: String) -> [String] {
        var found: [String] = []
        var rest = html[...]
        while let start = rest.range(of: open), let end = rest[start.upperBound...].range(of: close) {
            found.append(unescape(String(rest[start.upperBound..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return found
    }

    /// Text as it reads once its HTML escapes are undone.
    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Signs in through `/login` as a browser naming itself `userAgent` (settings list sessions by it): a 303 home
    /// means signed in, a 303 to `/login/2fa` that a code is wanted next.
    @discardableResult
    func logIn(_ login: String, password: String = "correct horse battery", userAgent: String) async throws
        -> Fetched
    {
        var headers = HTTPFields()
        headers[.userAgent] = userAgent
        let page = try await get("/login", headers: headers)
        let token = try #require(TestBrowser.csrfToken(in: page.body), "the sign-in form has a CSRF token")
        return try await post("/login", ["csrf_token": token, "login": login, "password": password], headers: headers)
    }

    /// Sends the second factor (a TOTP code or a recovery code) of a sign-in under way.
    @discardableResult
    func secondFactor(_ code: String) async throws -> Fetched {
        try await submitForm(on: "/login/2fa", to: "/login/2fa", ["code": code])
    }

    /// Whether the site sees this browser signed in (its settings page answers 200).
    func isSignedIn() async throws -> Bool { try await get("/settings").status == .ok }
}
