// swift-tools-version: 6.1
import PackageDescription

// One setting list shared by every target, so the whole package builds the same way.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

// Homebrew's Lua lives outside the compiler's default paths; its pkg-config file (lua5.4.pc)
// supplies them. Debian's headers and library are on the default paths already, so Linux needs
// no pkg-config (and does not warn where it is not installed).
#if os(macOS)
let luaPkgConfig: String? = "lua5.4"
#else
let luaPkgConfig: String? = nil
#endif

let package = Package(
    name: "Lunar",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Lunar", targets: ["Lunar"]),
        .executable(name: "lunar", targets: ["lunar"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // SHA-256 of library checkouts (lunar.lock's hashes).
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0" ..< "5.0.0"),
        // The live page of `lunar watch --serve` (LunarWeb).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        // Tests only: property-based tests of the simulator (LunarSimTests).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // MARK: - Implementation layers, lowest first
        .systemLibrary(name: "CLua", path: "Sources/CLua", pkgConfig: luaPkgConfig,
                       providers: [.apt(["liblua5.4-dev"]), .brew(["lua"])]),
        .target(name: "LunarData", swiftSettings: strict),
        // Parquet's codecs: libsnappy, libzstd and zlib from Debian's -dev packages.
        .systemLibrary(name: "CCodecs", path: "Sources/CCodecs",
                       providers: [.apt(["libsnappy-dev", "libzstd-dev", "zlib1g-dev"]), .brew(["snappy", "zstd"])]),
        // Parquet in and out, our own reader and writer (no maintained Swift library exists).
        .target(name: "LunarParquet", dependencies: ["LunarData", "CCodecs"], swiftSettings: strict),
        .target(name: "LunarKernels", dependencies: ["LunarData"], swiftSettings: strict),
        .target(name: "LunarGraph", dependencies: ["LunarKernels", "LunarData"], swiftSettings: strict),
        // Vector operations the lane kernels take from C (a square root in one instruction).
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "LunarEngine", dependencies: ["CKernels", "LunarGraph", "LunarKernels", "LunarData"], swiftSettings: strict),
        .target(name: "LunarSim", dependencies: ["CKernels", "LunarData"], swiftSettings: strict),
        // Overfitting statistics (PSR, DSR, PBO, bootstrap, plateau): plain functions of returns.
        .target(name: "LunarStats", dependencies: ["LunarData"], swiftSettings: strict),
        // Library manifests and lunar.toml: the only target that sees TOMLKit.
        .target(name: "LunarManifest", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: strict),
        // Git dependencies: the real git command, the per-user cache, resolution and lunar.lock.
        .target(name: "LunarDeps", dependencies: ["LunarData", "LunarManifest", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Reads the setting and signal vocabularies from LunarSim; never calls the simulator
        // (orders reach it through the BarBroker protocol).
        .target(name: "LunarScript", dependencies: ["CLua", "LunarData", "LunarDeps", "LunarGraph", "LunarKernels", "LunarManifest", "LunarSim"],
                resources: [.copy("Resources/prelude.lua")], swiftSettings: strict),
        .target(name: "LunarReport", dependencies: ["LunarData", "LunarSim", "LunarParquet"],
                // The charts' JavaScript, inlined by report.html and the live page.
                resources: [.copy("Resources/charts")], swiftSettings: strict),
        .target(name: "LunarHistory", dependencies: ["LunarSim", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        // MARK: - Public API
        .target(name: "Lunar",
                dependencies: ["LunarData", "LunarKernels", "LunarGraph", "LunarEngine", "LunarSim", "LunarManifest", "LunarDeps",
                               "LunarScript", "LunarReport", "LunarHistory", "LunarStats", "LunarParquet"],
                swiftSettings: strict),
        // The live page: an HTTP server on loopback, Server-Sent Events after every run.
        .target(name: "LunarWeb", dependencies: ["Lunar", .product(name: "Hummingbird", package: "hummingbird"),
                                                .product(name: "Logging", package: "swift-log")],
                resources: [.copy("Resources/page.js")], swiftSettings: strict),
        // MARK: - Command-line tool
        .executableTarget(name: "lunar",
                          dependencies: ["Lunar", "LunarWeb", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),
        // MARK: - Tests
        // A helper the history tests run as many processes at once (records runs without a backtest).
        .executableTarget(name: "HistoryWriter", dependencies: ["LunarHistory", "LunarSim"], path: "Tests/HistoryWriter",
                          swiftSettings: strict),
        .target(name: "LunarTestSupport", dependencies: ["LunarData", "LunarParquet"], path: "Tests/LunarTestSupport",
                swiftSettings: strict),
        .testTarget(name: "LunarDataTests", dependencies: ["LunarData", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarParquetTests", dependencies: ["LunarParquet", "LunarData", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarKernelsTests", dependencies: ["LunarKernels", "LunarData", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarGraphTests", dependencies: ["LunarGraph"], swiftSettings: strict),
        .testTarget(name: "LunarEngineTests", dependencies: ["CKernels", "LunarEngine", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarSimTests",
                    dependencies: ["LunarSim", "LunarTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
                    swiftSettings: strict),
        .testTarget(name: "LunarManifestTests", dependencies: ["LunarManifest"], swiftSettings: strict),
        .testTarget(name: "LunarDepsTests", dependencies: ["LunarDeps", "LunarManifest"], swiftSettings: strict),
        .testTarget(name: "LunarStatsTests", dependencies: ["LunarStats", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarScriptTests", dependencies: ["LunarScript", "LunarManifest", "LunarSim", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarReportTests", dependencies: ["LunarReport", "LunarParquet", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarHistoryTests", dependencies: ["LunarHistory", "LunarSim", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarTests", dependencies: ["Lunar", "LunarTestSupport"], swiftSettings: strict),
        .testTarget(name: "LunarWebTests", dependencies: ["LunarWeb", "Lunar", "LunarTestSupport"], swiftSettings: strict),
        // A third-party plugin (a primitive, a data source) built against the public API; see docs/plugins.md.
        .testTarget(name: "PluginExampleTests",
                    dependencies: ["Lunar", "LunarTestSupport"],
                    path: "examples/plugin-example", swiftSettings: strict),
    ]
)

// MARK: - Fuzz targets (Fuzz/, docs/fuzzing.md)
// libFuzzer harnesses: each defines LLVMFuzzerTestOneInput and no main (libFuzzer supplies
// it), so they link only when built with `--sanitize=fuzzer`. They are declared only when
// LUNAR_FUZZ is set — `make fuzz` sets it and builds them in .build-fuzz — so `swift build`,
// `swift build --build-tests` and `swift test` never see them.
if Context.environment["LUNAR_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport", swiftSettings: strict))
    // pattern.h compiled as C, so that ASan and the fuzzer's coverage reach it (see its header).
    package.targets.append(.target(name: "FuzzPatternC", dependencies: ["CLua"], path: "Fuzz/FuzzPatternC"))
    let harnesses: [(String, [Target.Dependency])] = [
        ("FuzzCSV", ["LunarData"]),
        ("FuzzPanelCache", ["LunarData"]),
        ("FuzzManifest", ["LunarManifest"]),
        ("FuzzStrategy", ["LunarScript", "LunarKernels", "LunarSim"]),
        ("FuzzPattern", ["LunarScript", "CLua", "FuzzPatternC"]),
        ("FuzzParquet", ["LunarParquet", "LunarData"]),
    ]
    for (name, dependencies) in harnesses {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies,
                                                 path: "Fuzz/\(name)",
                                                 swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]))
    }
}
