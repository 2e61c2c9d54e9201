import PaperboyCore
import PaperboySearch
import Testing

@Suite("Rank fusion")
struct FusionTests {
    @Test func reciprocalRankFusionRewardsAgreementAndKeepsTiesInFirstSeenOrder() {
        // Key 2 is second in both lists and beats keys ranked first in only one of them.
        let fused = RankFusion.reciprocal([[1, 2, 3], [4, 2, 5]])
        #expect(fused.map(\.key) == [2, 1, 4, 3, 5])
        #expect(abs(fused[0].score - 2.0 / 62.0) < 1e-12)
        #expect(abs(fused[1].score - 1.0 / 61.0) < 1e-12)
    }

    @Test func weightsScaleEachList() {
        let fused = RankFusion.reciprocal([[1], [2]], weights: [0.5, 1])
        #expect(fused.map(\.key) == [2, 1])
        #expect(abs(fused[1].score - 0.5 / 61.0) < 1e-12)
        #expect(RankFusion.reciprocal([[], []]).isEmpty)
    }

    @Test func missingWeightsCountAsOneAndRepeatedKeysAddUp() {
        let fused = RankFusion.reciprocal([[1, 2], [2], [3]], weights: [2])
        #expect(fused.map(\.key) == [2, 1, 3])
        #expect(abs(fused[0].score - (2.0 / 62.0 + 1.0 / 61.0)) < 1e-12)
        #expect(abs(fused[1].score - 2.0 / 61.0) < 1e-12)
        #expect(abs(fused[2].score - 1.0 / 61.0) < 1e-12)
        #expect(RankFusion.reciprocal([[5, 5]], weights: []).map(\.key) == [5])
    }
}
