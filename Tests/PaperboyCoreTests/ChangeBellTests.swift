import Foundation
import PaperboyCore
import Testing

@Suite("Change bell")
struct ChangeBellTests {
    @Test(.timeLimit(.minutes(1))) func aRingWakesEveryWaiterLongBeforeItsTimeout() async throws {
        let bell = ChangeBell()
        async let first = bell.wait(after: 0, upTo: .seconds(600))
        async let second = bell.wait(after: 0, upTo: .seconds(600))
        // Rung until both have returned: a ring before a waiter registers also counts (it has seen 0 rings).
        bell.ring()
        let rings = await [first, second]
        #expect(rings.allSatisfy { $0 >= 1 })
    }

    @Test(.timeLimit(.minutes(1))) func aRingBeforeTheWaitIsNotMissed() async {
        let bell = ChangeBell()
        let seen = bell.rings
        bell.ring()
        #expect(await bell.wait(after: seen, upTo: .seconds(600)) == seen + 1)
    }

    @Test func withoutARingTheWaitEndsAtItsTimeout() async {
        let bell = ChangeBell()
        #expect(await bell.wait(after: 0, upTo: .milliseconds(20)) == 0)
    }

    @Test(.timeLimit(.minutes(1))) func aCancelledWaitReturns() async {
        let bell = ChangeBell()
        let waiter = Task { await bell.wait(after: 0, upTo: .seconds(600)) }
        waiter.cancel()
        #expect(await waiter.value == 0)
    }
}
