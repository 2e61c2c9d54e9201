import Foundation

/// Formatting and parsing of the timestamps Paperboy reads and writes, without locale-dependent formatters.
public enum Timestamp {
    /// RFC 3339 in UTC with milliseconds and a `Z`: `2007-04-02T19:18:42.000Z`
    /// (the Hugging Face client cannot parse `+00:00`).
    public static func rfc3339(_ date: Date) -> String {
        let ms = Millis.of(date)
        let days = Day.floorDiv(ms, 86_400_000)
        let inDay = Int(ms - Int64(days) * 86_400_000)
        let millis = inDay % 1000
        let rest = inDay / 1000
        let d = Day(daysSinceEpoch: days)
        return d.description + "T" + Digits.padded(rest / 3600, 2) + ":" + Digits.padded(rest % 3600 / 60, 2) + ":"
            + Digits.padded(rest % 60, 2) + "." + Digits.padded(millis, 3) + "Z"
    }

    /// RFC 822 / 2822 in GMT, as RSS wants: `Mon, 02 Apr 2007 19:18:42 GMT`.
    public static func rfc2822(_ date: Date) -> String {
        let ms = Millis.of(date)
        let d = Day(daysSinceEpoch: Day.floorDiv(ms, 86_400_000))
        let rest = Int(ms - Int64(d.daysSinceEpoch) * 86_400_000) / 1000
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return weekdays[d.isoWeekday - 1] + ", " + Digits.padded(d.day, 2) + " " + monthNames[d.month - 1] + " "
            + Digits.padded(d.year, 4) + " " + Digits.padded(rest / 3600, 2) + ":" + Digits.padded(rest % 3600 / 60, 2)
            + ":" + Digits.padded(rest % 60, 2) + " GMT"
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses the date forms found in arXiv metadata: RFC 2822 (`Mon, 2 Apr 2007 19:18:42 GMT`),
    /// ISO 8601 / RFC 3339 (`2007-04-02T19:18:42Z`, with fraction or offset) and a bare date (`2007-04-02`).
    public static func parse(_ input: some StringProtocol) -> Date? {
        let s = input.trimmingASCIIWhitespace()
        guard let first = s.utf8.first else { return nil }
        if first >= 48 && first <= 57 { return parseISO(s) }
        return parseRFC2822(s)
    }

    static func parseISO(_ s: String) -> Date? {
        let u = Array(s.utf8)
        guard u.count >= 10, let day = Day(iso: String(decoding: u[0..<10], as: UTF8.self)) else { return nil }
        var seconds = Double(day.daysSinceEpoch) * 86_400
        if u.count == 10 { return Date(timeIntervalSince1970: seconds) }
        guard u.count >= 19, u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
            let h = Digits.int(u[11..<13]), let mi = Digits.int(u[14..<16]), let se = Digits.int(u[17..<19]),
            h < 24, mi < 60, se < 61
        else { return nil }
        seconds += Double(h * 3600 + mi * 60 + se)
        var i = 19
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                seconds += Double(u[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        if i == u.count { return Date(timeIntervalSince1970: seconds) }
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            return i + 1 == u.count ? Date(timeIntervalSince1970: seconds) : nil
        }
        guard u.count == i + 6, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"), u[i + 3] == UInt8(ascii: ":"),
            let oh = Digits.int(u[(i + 1)..<(i + 3)]), let om = Digits.int(u[(i + 4)..<(i + 6)])
        else { return nil }
        let offset = Double(oh * 3600 + om * 60)
        return Date(timeIntervalSince1970: u[i] == UInt8(ascii: "+") ? seconds - offset : seconds + offset)
    }

    static func parseRFC2822(_ s: String) -> Date? {
        // [Day,] D Mon YYYY HH:MM[:SS] (GMT|UT|Z|+hhmm|-hhmm)
        var parts = s.split(separator: " ", omittingEmptySubsequences: true)
        if let first = parts.first, first.hasSuffix(",") { parts.removeFirst() }
        guard parts.count >= 4, let d = Int(parts[0]),
            let m = monthNames.firstIndex(where: { $0.caseInsensitiveCompare(parts[1]) == .orderedSame }),
            let y = Int(parts[2]), let day = Day(year: y, month: m + 1, day: d)
        else { return nil }
        let time = parts[3].split(separator: ":")
        guard time.count == 2 || time.count == 3, let h = Int(time[0]), let mi = Int(time[1]), (0..<24).contains(h),
            (0..<60).contains(mi)
        else { return nil }
        let se = time.count == 3 ? Int(time[2]) : 0
        guard let se, (0..<61).contains(se) else { return nil }
        var seconds = day.daysSinceEpoch * 86_400 + h * 3600 + mi * 60 + se
        if parts.count >= 5 {
            let zone = parts[4]
            if zone.count == 5, let sign = zone.first, sign == "+" || sign == "-",
                let hhmm = Digits.int(zone.utf8.dropFirst())
            {
                let offset = (hhmm / 100) * 3600 + (hhmm % 100) * 60
                seconds += sign == "+" ? -offset : offset
            } else if !["GMT", "UT", "UTC", "Z"].contains(zone.uppercased()) {
                return nil
            }
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
