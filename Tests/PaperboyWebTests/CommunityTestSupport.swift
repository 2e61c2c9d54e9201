import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyWeb
import Synchronization
import Testing

/// A browser for tests: keeps the cookies the site sets and sends them back, fills in forms (taking the CSRF token
/// from the page's HTML) and follows nothing by itself, so that each answer can be checked.
final class TestBrowser: Sendable {
    let client: any TestClientProtocol
    private let cookies = Mutex<[String: String]>([:])

    init(_ client: any TestClientProtocol) { self.client = client }

    var cookieHeader: String? {
        cookies.withLock { jar in
            jar.isEmpty ? nil : jar.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
    }

    func cookie(_ name: String) -> String? { cookies.withLock { $0[name] } }

    func setCookie(_ name: String, _ value: String?) { cookies.withLock { $0[name] = value } }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: String? = nil)
        async throws -> Fetched
    {
        var headers = headers
        if let cookieHeader { headers[.cookie] = cookieHeader }
        let answer = try await client.send(uri, method: method, headers: headers, body: body)
        for value in answer.headers[values: .setCookie] {
            let pair = value.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
            guard let name = pair.first.map(String.init) else { continue }
            let cookieValue = pair.count > 1 ? String(pair[1]) : ""
            let expired = value.contains("Max-Age=0")
            cookies.withLock { $0[name] = expired ? nil : cookieValue }
        }
        return answer
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Fetched {
        try await send(uri, method: .get, headers: headers)
    }

    /// Posts a form as a browser does (`application/x-www-form-urlencoded`).
    func post(_ uri: String, _ fields: [String: String], headers: HTTPFields = [:]) async throws -> Fetched {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = fields.sorted { $0.key < $1.key }.map {
            "\(TestBrowser.encode($0.key))=\(TestBrowser.encode($0.value))"
        }
        .joined(separator: "&")
        return try await send(uri, method: .post, headers: headers, body: body)
    }

    /// Gets the page at `page`, then posts its form to `action` with the page's CSRF token added to `fields`.
    func submitForm(on page: String, to action: String, _ fields: [String: String]) async throws -> Fetched {
        let html = try await get(page).body
        var fields = fields
        let token: String = try #require(TestBrowser.csrfToken(in: html), "no csrf_token on \(page)")
        fields["csrf_token"] = token
        return try await post(action, fields)
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The value of the first `csrf_token` field in a page.
    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf_token" value="([^"]*)""#, options: .regularExpression) else {
            return nil
        }
        let match = html[range]
        return match.split(separator: "\"").dropFirst(3).first.map(String.init)
    }

    /// Signs up through the form and stays signed in.
    @discardableResult
    func signUp(_ username: String, password: String = "correct horse battery", email: String? = nil) async throws
        -> Fetched
    {
        let answer = try await submitForm(
            on: "/signup", to: "/signup",
            ["username": username, "email": email ?? "\(username)@example.org", "password": password])
        #expect(answer.status == .seeOther, "sign-up of \(username): \(answer.body.prefix(300))")
        return answer
    }

    func logIn(_ login: String, password: String = "correct horse battery") async throws -> Fetched {
        try await submitForm(on: "/login", to: "/login", ["login": login, "password": password])
    }
}

extension TestSite {
    /// An account made through the store, with a personal access token for the API.
    func member(_ username: String, role: UserRole = .member) async throws -> (account: Account, token: String) {
        let account = try await store.createAccount(
            NewAccount(
                username: username, email: "\(username)@example.org", fullname: username.capitalized, role: role,
                passwordHash: try await Credentials.hashPassword(
                    "correct horse battery", cost: Credentials.minimumCost),
                createdAt: Date(timeIntervalSince1970: 1_763_000_000)))
        let token = Credentials.newAccessToken()
        _ = try await store.createToken(
            accountID: account.id, name: "tests", tokenHash: Credentials.storedHash(token),
            at: Date(timeIntervalSince1970: 1_763_000_000))
        return (account, token)
    }
}

/// `Authorization: Bearer <token>`.
func bearer(_ token: String) -> HTTPFields {
    var headers = HTTPFields()
    headers[.authorization] = "Bearer \(token)"
    return headers
}

/// A JSON object from an answer's body.
func object(_ fetched: Fetched) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(fetched.body.utf8)) as? [String: Any], "\(fetched.body)")
}
