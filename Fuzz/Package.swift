// swift-tools-version:6.1
// Fuzz targets for libFuzzer, one executable each, built apart from the root package (its own scratch path) so
// that the normal build stays one build. Build and run them with scripts/fuzz.sh; see README.md.
import PackageDescription

let targets = ["snapshot", "oai", "atom", "query", "tex", "markdown"]

let package = Package(
    name: "PaperboyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Paperboy", path: "..")],
    targets: [.target(name: "CFuzzerDriver")]
        + targets.map { name in
            .executableTarget(
                name: "fuzz-\(name)",
                dependencies: ["CFuzzerDriver", .product(name: "PaperboyIngest", package: "Paperboy")],
                path: "Sources/fuzz-\(name)",
                swiftSettings: [.swiftLanguageMode(.v6)]
            )
        }
)
