import Foundation
import PaperboyCore
import Testing

@Suite struct DigestPeriodTests {
    static func at(_ iso: String) throws -> Date { try #require(Timestamp.parse(iso)) }

    @Test func weeklyPeriodsRunMondayToSunday() throws {
        let day = try #require(Day(iso: "2025-10-22"))
        let week = try #require(DigestPeriod(.weekly, containing: day))
        #expect(week.days.lowerBound.description == "2025-10-20")
        #expect(week.days.upperBound.description == "2025-10-26")
        #expect(try #require(DigestPeriod(.daily, containing: day)).days == day...day)
        #expect(week.description == "weekly 2025-10-20")
    }

    @Test func aDailyDigestIsDueFromTheNextDaysHour() throws {
        let before = DigestPeriod.latestDue(.daily, at: try Self.at("2025-10-23T05:59:59Z"), hour: 6, weekday: 1)
        let after = DigestPeriod.latestDue(.daily, at: try Self.at("2025-10-23T06:00:00Z"), hour: 6, weekday: 1)
        #expect(before?.start.description == "2025-10-21")
        #expect(after?.start.description == "2025-10-22")
    }

    @Test func aWeeklyDigestIsDueFromTheSendWeekdayAfterTheWeek() throws {
        // 2025-10-27 is a Monday.
        func due(_ iso: String, weekday: Int = 1) throws -> String? {
            DigestPeriod.latestDue(.weekly, at: try Self.at(iso), hour: 6, weekday: weekday)?.start.description
        }
        #expect(try due("2025-10-27T06:00:00Z") == "2025-10-20")
        #expect(try due("2025-10-27T05:59:00Z") == "2025-10-13")
        #expect(try due("2025-10-29T12:00:00Z") == "2025-10-20")
        #expect(try due("2025-11-02T23:00:00Z") == "2025-10-20")
        // Sent on Wednesdays: the week before that Wednesday's week.
        #expect(try due("2025-10-29T06:00:00Z", weekday: 3) == "2025-10-20")
        #expect(try due("2025-10-28T06:00:00Z", weekday: 3) == "2025-10-13")
    }

    @Test func afterDowntimeOnlyTheLatestPeriodIsDue() throws {
        // Down from Monday to Friday: Friday's check asks for Thursday only.
        let due = DigestPeriod.latestDue(.daily, at: try Self.at("2025-10-24T09:00:00Z"), hour: 6, weekday: 1)
        #expect(due?.start.description == "2025-10-23")
    }
}
