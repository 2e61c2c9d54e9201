import PaperboyCore
import Testing

@Suite("Recommendation settings as typed in the form")
struct RecommendationSettingsTests {
    @Test func categoriesAndPapersAreReadInOrderWithoutDuplicates() throws {
        let settings = try RecommendationSettings.parse(
            categories: "cs.LG, hep-ph\nastro-ph.GA cs.LG cond-mat.stat-mech",
            seedPapers: "2401.01234v2\nhep-th/9901001, 2401.01234"
        ).get()
        #expect(settings.categories == ["cs.LG", "hep-ph", "astro-ph.GA", "cond-mat.stat-mech"])
        #expect(settings.seedPapers == [PaperID("2401.01234")!, PaperID("hep-th/9901001")!])
        #expect(try RecommendationSettings.parse(categories: "  ", seedPapers: "").get() == RecommendationSettings())
    }

    @Test(arguments: [
        ("CS.lg", "", "“CS.lg” is not an arXiv category such as cs.LG or hep-ph"),
        ("cs.", "", "“cs.” is not an arXiv category such as cs.LG or hep-ph"),
        ("cs.LG.x", "", "“cs.LG.x” is not an arXiv category such as cs.LG or hep-ph"),
        ("<script>", "", "“<script>” is not an arXiv category such as cs.LG or hep-ph"),
        ("", "abc", "“abc” is not an arXiv id such as 2401.01234"),
        (
            (1...21).map { "a\($0 < 10 ? "" : "b").x\(String(repeating: "y", count: $0))" }.joined(separator: " "), "",
            "21 categories is too many: pick at most 20"
        ),
        (
            "", (1...51).map { String(format: "2401.%05d", $0) }.joined(separator: " "),
            "51 papers is too many: pick at most 50"
        ),
    ])
    func badInputIsRefusedNamingIt(categories: String, papers: String, message: String) {
        switch RecommendationSettings.parse(categories: categories, seedPapers: papers) {
        case .success(let settings): Issue.record("accepted \(settings)")
        case .failure(let problem): #expect(problem.description == message)
        }
    }

    @Test func unknownPapersAreNamed() {
        #expect(
            RecommendationSettingsProblem.unknownPapers([PaperID("2401.01234")!, PaperID("2401.00001")!]).description
                == "no paper here has the id 2401.01234, 2401.00001: submit it first")
    }
}
