import PaperboyCore
import Testing

@Suite struct DigestPeriodTests {
    @Test func weeklyPeriodsRunMondayToSunday() throws {
        let day = try #require(Day(iso: "2025-10-22"))
        let week = try #require(DigestPeriod(.weekly, containing: day))
        #expect(week.days.lowerBound.description == "2025-10-20")
        #expect(week.days.upperBound.description == "2025-10-26")
        #expect(try #require(DigestPeriod(.daily, containing: day)).days == day...day)
    }
}
