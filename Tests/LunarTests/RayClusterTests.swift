import Foundation
import LunarTestSupport
import Testing

/// The Ray integration against a real two-node cluster on this machine, inside a network
/// namespace with only loopback (integrations/ray/tests/cluster_test.py does the checks: sharded
/// sweep, walk-forward and run merged = one machine's files, a killed worker, --resume).
/// Needs Ray in .build-venv-ray (`tools/ray/install.sh`, which .ci/run calls) and `unshare -n`
/// (root); skipped where either is missing.
@Suite(.serialized, .enabled(if: RayCluster.available, "Ray is not installed in .build-venv-ray (tools/ray/install.sh) or unshare -n is not allowed"))
struct RayClusterTests {
    @Test func shardedCommandsOnATwoNodeCluster() throws {
        let lunar = try #require(Fixtures.executable("lunar"), "build the lunar executable first")
        let script = "ip link set lo up && exec \(RayCluster.python) integrations/ray/tests/cluster_test.py --lunar \(lunar)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["unshare", "-n", "bash", "-c", script]
        p.currentDirectoryURL = Fixtures.root
        let log = Fixtures.tempDir() + "/cluster.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle; p.standardError = handle
        try p.run()
        // The script bounds itself (15 minutes); this bounds the script.
        let deadline = Date().addingTimeInterval(960)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if p.isRunning { kill(-p.processIdentifier, SIGKILL); p.terminate() }
        p.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let checks = output.split(separator: "\n").filter { $0.hasPrefix("ok ") || $0.hasPrefix("FAIL ") }
        #expect(p.terminationStatus == 0, "\(checks.joined(separator: "\n"))\n\(output.suffix(3000))")
        #expect(checks.count >= 14 && checks.allSatisfy { $0.hasPrefix("ok ") }, "\(checks.joined(separator: "\n"))")
    }
}

enum RayCluster {
    static let python = Fixtures.root.appendingPathComponent(".build-venv-ray/bin/python").path

    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["unshare", "-n", "true"]
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()
}
