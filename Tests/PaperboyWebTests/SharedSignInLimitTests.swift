import Foundation
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import Testing

@testable import PaperboyWeb

/// Several nodes on one database count failed sign-ins together when given the store as their shared limits: guesses
/// spread over the nodes block as soon as they would on one.
@Suite struct SharedSignInLimitTests {
    static let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_795_262_400) }

    /// A node's router on the site's store.
    static func node(_ site: TestSite, shared: Bool) async throws -> Router<AppRequestContext> {
        try await buildRouter(
            store: site.store, searcher: site.keywordSearcher, lookup: StubLookup(), config: site.config,
            logger: TestSite.quietLogger, clock: clock, sharedLimits: shared ? site.store : nil)
    }

    /// Two nodes on one store.
    static func twoNodes(
        _ site: TestSite, shared: Bool,
        _ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await Application(router: try await node(site, shared: shared)).test(.router) { first in
            try await Application(router: try await node(site, shared: shared)).test(.router) { second in
                try await body(first, second)
            }
        }
    }

    @Test func failedSignInsThroughTwoNodesCountTogether() async throws {
        let site = try await TestSite.make()
        _ = try await site.member("ada")
        try await Self.twoNodes(site, shared: true) { first, second async throws in
            for n in 0..<5 {
                let node = TestBrowser(n.isMultiple(of: 2) ? first : second)
                #expect(try await node.logIn("ada", password: "wrong password").status == .unprocessableContent)
            }
            for node in [first, second] {
                let blocked = try await TestBrowser(node).logIn("ada")
                #expect(blocked.status == .tooManyRequests, "a right password during a block still gets 429")
                #expect(blocked.headers[.retryAfter] == "60")
            }
        }
    }

    @Test func withoutSharedLimitsEachNodeCountsForItself() async throws {
        let site = try await TestSite.make()
        _ = try await site.member("ada")
        try await Self.twoNodes(site, shared: false) { first, second async throws in
            for n in 0..<5 {
                let node = TestBrowser(n.isMultiple(of: 2) ? first : second)
                #expect(try await node.logIn("ada", password: "wrong password").status == .unprocessableContent)
            }
            #expect(try await TestBrowser(second).logIn("ada").status == .seeOther)
        }
    }

    @Test func aSignInForgetsTheAccountsFailuresOnEveryNode() async throws {
        let site = try await TestSite.make()
        _ = try await site.member("ada")
        try await Self.twoNodes(site, shared: true) { first, second async throws in
            for _ in 0..<4 {
                #expect(try await TestBrowser(first).logIn("ada", password: "wrong").status == .unprocessableContent)
            }
            #expect(try await TestBrowser(second).logIn("ada").status == .seeOther)
            for _ in 0..<4 {
                #expect(try await TestBrowser(first).logIn("ada", password: "wrong").status == .unprocessableContent)
            }
            #expect(try await TestBrowser(second).logIn("ada").status == .seeOther, "four failures since: no block")
        }
    }
}
