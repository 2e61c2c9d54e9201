import PaperboyCore
import Synchronization

/// Where the site's random draws come from (collection ids): the system's generator, or in tests a repeatable
/// sequence, so that a test can draw an id that exists already.
public struct RandomSource: Sendable {
    private let draw: @Sendable () -> UInt64

    public init(_ draw: @escaping @Sendable () -> UInt64) { self.draw = draw }

    /// The system's cryptographically secure generator.
    public static var system: RandomSource {
        RandomSource {
            var generator = SystemRandomNumberGenerator()
            return generator.next()
        }
    }

    /// SplitMix64 from `seed`: the same seed gives the same draws.
    public static func seeded(_ seed: UInt64) -> RandomSource {
        let state = SeededState(seed)
        return RandomSource { state.next() }
    }

    /// A new random collection id.
    func collectionID() -> String {
        var generator = Generator(source: self)
        return PaperCollection.randomID(using: &generator)
    }

    struct Generator: RandomNumberGenerator {
        let source: RandomSource
        mutating func next() -> UInt64 { source.draw() }
    }

    final class SeededState: Sendable {
        private let state: Mutex<SplitMix64>

        init(_ seed: UInt64) { state = Mutex(SplitMix64(state: seed)) }

        func next() -> UInt64 { state.withLock { $0.next() } }
    }
}
