// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "Paperboy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "paperboy", targets: ["paperboy"]),
        .library(name: "PaperboyCore", targets: ["PaperboyCore"]),
        .library(name: "PaperboyIngest", targets: ["PaperboyIngest"]),
        .library(name: "PaperboySQLite", targets: ["PaperboySQLite"]),
        .library(name: "PaperboyPostgres", targets: ["PaperboyPostgres"]),
        .library(name: "PaperboyWeb", targets: ["PaperboyWeb"]),
        .library(name: "PaperboySearch", targets: ["PaperboySearch"]),
        .library(name: "PaperboyMail", targets: ["PaperboyMail"]),
        .library(name: "PaperboyMCP", targets: ["PaperboyMCP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "paperboy",
            dependencies: [
                "PaperboyCore", "PaperboyIngest", "PaperboySQLite", "PaperboyPostgres", "PaperboyWeb", "PaperboySearch",
                "PaperboyMail", "PaperboyMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "paperboy-bench",
            dependencies: [
                "PaperboyCore", "PaperboyIngest", "PaperboySQLite", "PaperboyPostgres", "PaperboySearch",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PaperboyBench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboyCore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboySearch",
            dependencies: [
                "PaperboyCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "paperboy-vector-bench",
            dependencies: ["PaperboySearch"],
            path: "Benchmarks/VectorBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "paperboy-embed-bench",
            dependencies: ["PaperboySearch", "PaperboyCore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/EmbedBench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboyIngest",
            dependencies: [
                "PaperboyCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboyMail",
            dependencies: [
                "PaperboyCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboyMCP",
            dependencies: [
                "PaperboyCore",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboySQLite",
            dependencies: [
                "PaperboyCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboyWeb",
            dependencies: [
                "PaperboyCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                "PaperboyMCP",
                .product(name: "MCP", package: "swift-sdk"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperboyPostgres",
            dependencies: [
                "PaperboyCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboyPostgresTests",
            dependencies: [
                "PaperboyPostgres", "PaperboyCore", "PaperStoreConformance", "PaperboySearch", "PaperboySQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PaperStoreConformance",
            dependencies: ["PaperboyCore"],
            path: "Tests/PaperStoreConformance",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboySearchTests",
            dependencies: ["PaperboySearch", "PaperboyCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboyMailTests",
            dependencies: [
                "PaperboyMail", "PaperboyCore", "PaperboySQLite", "PaperboySearch", "PaperStoreConformance",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboyMCPTests",
            dependencies: [
                "PaperboyMCP", "PaperboyCore", "PaperStoreConformance",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboyCoreTests",
            dependencies: ["PaperboyCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboyIngestTests",
            dependencies: [
                "PaperboyIngest", "PaperboyCore", "PaperboySearch", "PaperStoreConformance",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboySQLiteTests",
            dependencies: [
                "PaperboySQLite", "PaperStoreConformance", "PaperboyCore", "PaperboyIngest", "PaperboySearch",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboyCLITests",
            dependencies: [
                "paperboy", "PaperboySQLite", "PaperboyCore", "PaperboyWeb", "PaperboySearch", "PaperStoreConformance",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaperboyWebTests",
            dependencies: [
                "PaperboyWeb", "PaperboySQLite", "PaperboyIngest", "PaperboyCore", "PaperboySearch",
                "PaperStoreConformance",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // HTML snapshots, read and recorded through #filePath (see SnapshotTests.swift).
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
    ]
)
