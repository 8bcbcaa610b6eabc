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

extension Fixtures {
    /// Runs a test driver (a script that prints `ok …` / `FAIL …` lines) to the end or until
    /// `timeout` seconds, its output in a file (a pipe could fill and block it); returns its exit
    /// status, its output and its check lines.
    public static func runDriver(_ args: [String], timeout: Double) throws -> (status: Int32, output: String, checks: [String]) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = root
        let log = tempDir() + "/driver.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle; p.standardError = handle
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if p.isRunning { kill(-p.processIdentifier, SIGKILL); p.terminate() }
        p.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let checks = output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("ok ") || $0.hasPrefix("FAIL ") }
        return (p.terminationStatus, output, checks)
    }
}
