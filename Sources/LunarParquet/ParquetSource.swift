import Foundation
import LunarData

/// `--data FILE.parquet`, or a folder of Parquet files (see `ParquetLoader`).
public struct ParquetSource: PanelSource {
    public let path: String
    public let adjust: Bool
    public init(path: String, adjust: Bool = false) { self.path = path; self.adjust = adjust }
    public var description: String { path }
    public func load(progress: ((Int, Int) -> Void)?) throws -> Panel {
        try ParquetLoader.load(path: path, adjust: adjust, progress: progress)
    }
}

/// Takes a `.parquet` file, or a folder with Parquet files in it or below it and no CSV files
/// of its own (a folder of CSVs stays the CSV reader's).
public struct ParquetSourceFactory: PanelSourceFactory {
    public init() {}
    public var name: String { "parquet" }
    public var usage: String { "FILE.parquet or a folder of Parquet files (SYMBOL.parquet, or long files such as year=2024/part-0.parquet)" }
    public func source(for spec: String, options: PanelSourceOptions) throws -> (any PanelSource)? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDir) else {
            return spec.lowercased().hasSuffix(".parquet") ? ParquetSource(path: spec, adjust: options.adjust) : nil
        }
        if !isDir.boolValue { return spec.lowercased().hasSuffix(".parquet") ? ParquetSource(path: spec, adjust: options.adjust) : nil }
        let top = (try? FileManager.default.contentsOfDirectory(atPath: spec)) ?? []
        if top.contains(where: { $0.lowercased().hasSuffix(".csv") }) { return nil }
        return ParquetLoader.parquetFiles(under: spec).isEmpty ? nil : ParquetSource(path: spec, adjust: options.adjust)
    }

    /// Registers the factory once (the data layer below cannot know this target).
    public static let registered: Void = { PanelSources.register(ParquetSourceFactory()) }()
}
