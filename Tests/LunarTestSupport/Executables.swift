import Foundation

extension Fixtures {
    /// A built executable of this package (`lunar`, the test helper `HistoryWriter`): next to the
    /// test bundle, or in `.build/debug`.
    public static func executable(_ name: String) -> String? {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent(), root.appendingPathComponent(".build/debug")]
        for dir in candidates {
            var d = dir
            for _ in 0 ..< 4 {
                let p = d.appendingPathComponent(name).path
                if FileManager.default.isExecutableFile(atPath: p) { return p }
                d = d.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// Starts `executable` with `args`; its standard output and error go to the returned pipes
    /// (or nowhere). Read them only for small outputs: a full pipe blocks the process.
    public static func start(_ executable: String, _ args: [String], cwd: String? = nil, captureOutput: Bool = false) throws
        -> (process: Process, output: Pipe?, error: Pipe?) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = captureOutput ? Pipe() : nil
        p.standardOutput = out ?? FileHandle.nullDevice
        let err = captureOutput ? Pipe() : nil
        p.standardError = err ?? FileHandle.nullDevice
        try p.run()
        return (p, out, err)
    }
}
