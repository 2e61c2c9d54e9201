import Crypto
import Foundation
import Hummingbird
import PaperboyCore

/// Avatars Paperboy draws itself: `/avatars/{username}.svg`, an identicon made from the name alone, for any
/// well-formed username whether or not such an account exists (so that avatars do not tell which accounts do).
struct AvatarRoutes<Store: SiteStore>: Sendable {
    let site: Site<Store>

    func register(on routes: RouteTable) {
        routes.get(.avatar) { request, context in
            try await PageRoutes(site: site).page(request, context) { _ in
                let file = try SiteRoute.avatar.parameter(in: context)
                guard file.hasSuffix(".svg"), let svg = Identicon.svg(for: String(file.dropLast(4))) else {
                    throw PageError.notFound("There is no such avatar.")
                }
                var rendered = Rendered(contentType: Identicon.contentType, text: svg)
                // A name's avatar never changes.
                rendered.headers[.cacheControl] = "public, max-age=86400"
                return rendered
            }
        }
    }
}

/// A 5×5 grid, mirrored left to right, whose cells and colour come from the SHA-256 of a username.
enum Identicon {
    static let contentType = "image/svg+xml"

    /// The SVG of `username`'s identicon; nil when it is not a well-formed username (lower-case
    /// `[a-z0-9_-]{2,30}`; reserved names are drawn too).
    static func svg(for username: String) -> String? {
        guard (2...30).contains(username.utf8.count),
            username.utf8.allSatisfy({ b in
                (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x5F || b == 0x2D
            })
        else { return nil }
        let hash = Array(SHA256.hash(data: Data(username.utf8)))
        // 15 bits (three columns of five) from the first bytes; the two right columns mirror the two left ones.
        var cells: [(x: Int, y: Int)] = []
        for column in 0..<3 {
            for row in 0..<5 {
                let bit = column * 5 + row
                guard hash[bit / 8] >> (bit % 8) & 1 == 1 else { continue }
                cells.append((column, row))
                if column < 2 { cells.append((4 - column, row)) }
            }
        }
        let hue = (Int(hash[28]) << 8 | Int(hash[29])) % 360
        let saturation = 45 + Int(hash[30]) % 25
        let lightness = 40 + Int(hash[31]) % 15
        let path = cells.map { "M\($0.x) \($0.y)h1v1h-1z" }.joined()
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-0.5 -0.5 6 6\" width=\"64\" height=\"64\" "
            + "shape-rendering=\"crispEdges\"><rect x=\"-0.5\" y=\"-0.5\" width=\"6\" height=\"6\" fill=\"#f0f0f0\"/>"
            + "<path fill=\"\(hex(hue: hue, saturation: saturation, lightness: lightness))\" d=\"\(path)\"/></svg>\n"
    }

    /// `#rrggbb` of an HSL colour (hue in degrees, saturation and lightness in percent).
    static func hex(hue: Int, saturation: Int, lightness: Int) -> String {
        let s = Double(saturation) / 100
        let l = Double(lightness) / 100
        let chroma = (1 - abs(2 * l - 1)) * s
        let h = Double(hue) / 60
        let x = chroma * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double) =
            switch hue / 60 {
            case 0: (chroma, x, 0)
            case 1: (x, chroma, 0)
            case 2: (0, chroma, x)
            case 3: (0, x, chroma)
            case 4: (x, 0, chroma)
            default: (chroma, 0, x)
            }
        let m = l - chroma / 2
        return "#"
            + [r, g, b].map { value in
                let byte = Int(((value + m) * 255).rounded())
                let clamped = min(255, max(0, byte))
                return (clamped < 16 ? "0" : "") + String(clamped, radix: 16)
            }.joined()
    }
}
