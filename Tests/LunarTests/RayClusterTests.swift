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
        // The script bounds itself (15 minutes); this bounds the script.
        let run = try Fixtures.runDriver(["unshare", "-n", "bash", "-c", script], timeout: 960)
        let checks = run.checks, output = run.output
        #expect(run.status == 0, "\(checks.joined(separator: "\n"))\n\(output.suffix(3000))")
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
